//! Profiler benchmark baseline: a bare parallel segmented Scan of a table with no
//! dynameta code — TOTAL segments, WORKERS tasks each with one request in flight (on
//! the multi-threaded runtime, like dynameta's scan engine), items only counted.
//!
//! By default each request is the one dynameta's scan engine sends (1000 items a page,
//! `ReturnConsumedCapacity: TOTAL`, which the profiler needs for its read budget and
//! report). `--no-capacity` leaves consumed capacity out, which DynamoDB Local answers
//! with measurably less CPU.
//!
//! ```text
//! cargo run --release -p dynameta-corpus --bin bench_bare_scan -- http://127.0.0.1:8000 KEY us-east-1 TABLE 64 8 [--no-capacity]
//! ```

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use aws_sdk_dynamodb::types::ReturnConsumedCapacity;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (args, capacity) = match args.split_last() {
        Some((last, rest)) if last == "--no-capacity" => (rest, None),
        _ => (args.as_slice(), Some(ReturnConsumedCapacity::Total)),
    };
    let [endpoint, key, region, table, total, workers] = args else {
        eprintln!(
            "usage: bench_bare_scan ENDPOINT ACCESS_KEY_ID REGION TABLE TOTAL_SEGMENTS WORKERS [--no-capacity]"
        );
        std::process::exit(2);
    };
    let (Ok(total), Ok(workers)) = (total.parse::<u32>(), workers.parse::<usize>()) else {
        eprintln!("TOTAL_SEGMENTS and WORKERS must be numbers");
        std::process::exit(2);
    };
    let items: u64 = dynameta_corpus::run_with_client(endpoint, key, region, |client| async move {
        let next = Arc::new(AtomicU32::new(0));
        let table: Arc<str> = Arc::from(table.as_str());
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                let (client, next, table, capacity) = (
                    client.clone(),
                    next.clone(),
                    table.clone(),
                    capacity.clone(),
                );
                tokio::spawn(async move {
                    let mut count = 0u64;
                    loop {
                        let segment = next.fetch_add(1, Ordering::Relaxed);
                        if segment >= total {
                            return count;
                        }
                        let mut start = None;
                        loop {
                            let page = client
                                .scan()
                                .table_name(&*table)
                                .segment(segment as i32)
                                .total_segments(total as i32)
                                .limit(1000)
                                .set_return_consumed_capacity(capacity.clone())
                                .set_exclusive_start_key(start.take())
                                .send()
                                .await
                                .expect("Scan");
                            count += page.items().len() as u64;
                            match page.last_evaluated_key {
                                Some(k) if !k.is_empty() => start = Some(k),
                                _ => break,
                            }
                        }
                    }
                })
            })
            .collect();
        let mut total_items = 0;
        for h in handles {
            total_items += h.await.expect("worker");
        }
        total_items
    });
    println!("bare scan read {items} items");
}
