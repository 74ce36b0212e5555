//! Seeds the benchmark corpus: TABLES tables of ITEMS items each. KIND `orders`
//! (default) gives order-like items; `mixed` alternates order tables with customer
//! tables full of personal data (the classification benchmark).
//!
//! ```text
//! cargo run --release -p dynameta-corpus --bin seed_bench -- http://127.0.0.1:8000 BENCHKEY us-east-1 200 200 [orders|mixed]
//! ```

use aws_sdk_dynamodb::types::ScalarAttributeType;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (endpoint, key, region, tables, items, mixed) = match args.as_slice() {
        [e, k, r, t, i] => (e, k, r, t, i, false),
        [e, k, r, t, i, kind] if kind == "orders" || kind == "mixed" => {
            (e, k, r, t, i, kind == "mixed")
        }
        _ => {
            eprintln!(
                "usage: seed_bench ENDPOINT ACCESS_KEY_ID REGION TABLES ITEMS [orders|mixed]"
            );
            std::process::exit(2);
        }
    };
    let (Ok(tables), Ok(items)) = (tables.parse::<usize>(), items.parse::<u32>()) else {
        eprintln!("TABLES and ITEMS must be numbers");
        std::process::exit(2);
    };
    dynameta_corpus::run_with_client(endpoint, key, region, |client| async move {
        let mut pending = Vec::new();
        for t in 0..tables {
            let client = client.clone();
            pending.push(tokio::spawn(async move {
                let name = format!("bench_{t:04}");
                if mixed && t % 2 == 1 {
                    dynameta_corpus::create_table(
                        &client,
                        &name,
                        ("customerId", ScalarAttributeType::S),
                        None,
                    )
                    .await;
                    dynameta_corpus::put_items(
                        &client,
                        &name,
                        (0..items).map(dynameta_corpus::customer_item).collect(),
                    )
                    .await;
                    return;
                }
                dynameta_corpus::create_table(
                    &client,
                    &name,
                    ("customerId", ScalarAttributeType::S),
                    Some(("orderId", ScalarAttributeType::N)),
                )
                .await;
                dynameta_corpus::put_items(
                    &client,
                    &name,
                    (0..items).map(dynameta_corpus::order_item).collect(),
                )
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
