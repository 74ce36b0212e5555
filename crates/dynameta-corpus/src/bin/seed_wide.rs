//! Seeds one table of N items of about 300 bytes (profiler benchmark).
//!
//! ```text
//! cargo run --release -p dynameta-corpus --bin seed_wide -- http://127.0.0.1:8000 KEY us-east-1 TABLE 200000
//! ```

use aws_sdk_dynamodb::types::ScalarAttributeType;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [endpoint, key, region, table, n] = args.as_slice() else {
        eprintln!("usage: seed_wide ENDPOINT ACCESS_KEY_ID REGION TABLE ITEMS");
        std::process::exit(2);
    };
    let Ok(n) = n.parse::<u64>() else {
        eprintln!("ITEMS must be a number");
        std::process::exit(2);
    };
    dynameta_corpus::run_with_client(endpoint, key, region, |client| async move {
        dynameta_corpus::create_table(&client, table, ("id", ScalarAttributeType::S), None).await;
        let mut start = 0;
        while start < n {
            let end = (start + 100_000).min(n);
            dynameta_corpus::put_items_parallel(
                &client,
                table,
                (start..end).map(dynameta_corpus::wide_item).collect(),
                8,
            )
            .await;
            start = end;
        }
    });
    println!("seeded {table} with {n} items");
}
