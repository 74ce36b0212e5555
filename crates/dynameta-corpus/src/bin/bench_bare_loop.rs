//! The benchmark baseline: the least a metadata crawler must do, written as a bare
//! AWS SDK loop with no dynameta code: ListTables (all pages), then per table
//! DescribeTable and one Scan with Limit = SAMPLE, CONCURRENCY tables at a time.
//!
//! ```text
//! cargo run --release -p dynameta-corpus --bin bench_bare_loop -- http://127.0.0.1:8000 BENCHKEY us-east-1 100 16
//! ```

use futures_util::stream::{self, StreamExt};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [endpoint, key, region, sample, concurrency] = args.as_slice() else {
        eprintln!("usage: bench_bare_loop ENDPOINT ACCESS_KEY_ID REGION SAMPLE CONCURRENCY");
        std::process::exit(2);
    };
    let (Ok(sample), Ok(concurrency)) = (sample.parse::<i32>(), concurrency.parse::<usize>())
    else {
        eprintln!("SAMPLE and CONCURRENCY must be numbers");
        std::process::exit(2);
    };
    let items = dynameta_corpus::run_with_client(endpoint, key, region, |client| async move {
        let mut names = Vec::new();
        let mut start = None;
        loop {
            let page = client
                .list_tables()
                .set_exclusive_start_table_name(start.take())
                .send()
                .await
                .expect("ListTables");
            names.extend(page.table_names.unwrap_or_default());
            match page.last_evaluated_table_name {
                Some(last) => start = Some(last),
                None => break,
            }
        }
        let counts: Vec<usize> = stream::iter(names)
            .map(|name| {
                let client = client.clone();
                async move {
                    client
                        .describe_table()
                        .table_name(&name)
                        .send()
                        .await
                        .expect("DescribeTable");
                    let page = client
                        .scan()
                        .table_name(&name)
                        .limit(sample)
                        .send()
                        .await
                        .expect("Scan");
                    page.items().len()
                }
            })
            .buffer_unordered(concurrency)
            .collect()
            .await;
        counts.iter().sum::<usize>()
    });
    println!("bare loop read {items} items");
}
