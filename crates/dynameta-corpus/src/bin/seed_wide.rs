//! Seeds one table of N items of about 300 bytes (profiler benchmark).
//!
//! ```text
//! cargo run --release -p dynameta-corpus --bin seed_wide -- http://127.0.0.1:8000 KEY us-east-1 TABLE 200000
//! ```

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue as AV, ScalarAttributeType};

fn item(i: u64) -> HashMap<String, AV> {
    HashMap::from([
        ("id".to_string(), AV::S(format!("item-{i:09}"))),
        (
            "amount".to_string(),
            AV::N(format!("{}.{:02}", i % 10_000, i % 100)),
        ),
        (
            "status".to_string(),
            AV::S(["NEW", "PAID", "SHIPPED", "RETURNED"][(i % 4) as usize].into()),
        ),
        (
            "customer".to_string(),
            AV::S(format!("cust-{}", i % 50_000)),
        ),
        (
            "email".to_string(),
            AV::S(format!("user{}@example.com", i % 50_000)),
        ),
        ("flag".to_string(), AV::Bool(i.is_multiple_of(3))),
        (
            "note".to_string(),
            AV::S("lorem ipsum dolor sit amet ".repeat(6)),
        ),
        (
            "meta".to_string(),
            AV::M(HashMap::from([
                ("src".to_string(), AV::S("web".into())),
                ("v".to_string(), AV::N((i % 7).to_string())),
            ])),
        ),
    ])
}

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
    let Ok(runtime) = tokio::runtime::Runtime::new() else {
        eprintln!("cannot start runtime");
        std::process::exit(1);
    };
    runtime.block_on(async {
        let client = dynameta_corpus::client(endpoint, key, region).await;
        dynameta_corpus::create_table(&client, table, ("id", ScalarAttributeType::S), None).await;
        let mut start = 0;
        while start < n {
            let end = (start + 100_000).min(n);
            dynameta_corpus::put_items_parallel(
                &client,
                table,
                (start..end).map(item).collect(),
                8,
            )
            .await;
            start = end;
        }
    });
    println!("seeded {table} with {n} items");
}
