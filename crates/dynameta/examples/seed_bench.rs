//! Seeds the benchmark corpus: TABLES tables of ITEMS order-like items each.
//!
//! ```text
//! cargo run --release --example seed_bench -- http://127.0.0.1:8000 BENCHKEY us-east-1 200 200
//! ```

use aws_sdk_dynamodb::types::ScalarAttributeType;
use dynameta_testkit::corpus;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [endpoint, key, region, tables, items] = args.as_slice() else {
        eprintln!("usage: seed_bench ENDPOINT ACCESS_KEY_ID REGION TABLES ITEMS");
        std::process::exit(2);
    };
    let (Ok(tables), Ok(items)) = (tables.parse::<usize>(), items.parse::<u32>()) else {
        eprintln!("TABLES and ITEMS must be numbers");
        std::process::exit(2);
    };
    let Ok(runtime) = tokio::runtime::Runtime::new() else {
        eprintln!("cannot start runtime");
        std::process::exit(1);
    };
    runtime.block_on(async {
        let client = dynameta_testkit::client(endpoint, key, region).await;
        let mut pending = Vec::new();
        for t in 0..tables {
            let client = client.clone();
            pending.push(tokio::spawn(async move {
                let name = format!("bench_{t:04}");
                corpus::create_table(
                    &client,
                    &name,
                    ("customerId", ScalarAttributeType::S),
                    Some(("orderId", ScalarAttributeType::N)),
                )
                .await;
                corpus::put_items(&client, &name, (0..items).map(corpus::order_item).collect())
                    .await;
            }));
            if pending.len() == 8 {
                for p in pending.drain(..) {
                    let _ = p.await;
                }
            }
        }
        for p in pending {
            let _ = p.await;
        }
    });
    println!("seeded {tables} tables x {items} items");
}
