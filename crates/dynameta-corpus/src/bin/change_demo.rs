//! Changes the demo data between the demo's two ingest runs, so the report and
//! `dynameta diff` have drift to show: `customers` gains `loyaltyTier`, loses `sku`,
//! stores `loyaltyPoints` as a string and gets a `by_email` index; `bulk_019` is deleted.
//!
//! dynameta itself never writes to DynamoDB; this program and `seed_demo` are the
//! demo's only writers.
//!
//! ```text
//! cargo run -p dynameta-corpus --bin change_demo -- http://127.0.0.1:8000 DEMOACCESSKEY us-east-1
//! ```

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [endpoint, access_key, region] = args.as_slice() else {
        eprintln!("usage: change_demo ENDPOINT ACCESS_KEY_ID REGION");
        std::process::exit(2);
    };
    dynameta_corpus::run_with_client(endpoint, access_key, region, |client| async move {
        dynameta_corpus::drift_demo(&client, 300).await;
    });
    println!("changed the demo data: customers +loyaltyTier, -sku, loyaltyPoints number -> string, +index by_email; bulk_019 deleted");
}
