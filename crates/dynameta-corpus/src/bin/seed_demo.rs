//! Seeds a DynamoDB endpoint (DynamoDB Local) with the demo corpus.
//!
//! dynameta itself never writes to DynamoDB; this program is the demo's only writer.
//!
//! ```text
//! cargo run -p dynameta-corpus --bin seed_demo -- http://127.0.0.1:8000 DEMOACCESSKEY us-east-1 20
//! ```

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [endpoint, access_key, region, rest @ ..] = args.as_slice() else {
        eprintln!("usage: seed_demo ENDPOINT ACCESS_KEY_ID REGION [FILLER_TABLES]");
        std::process::exit(2);
    };
    let filler: usize = match rest.first().map(|s| s.parse()) {
        None => 20,
        Some(Ok(n)) => n,
        Some(Err(_)) => {
            eprintln!("FILLER_TABLES must be a number");
            std::process::exit(2);
        }
    };
    dynameta_corpus::run_with_client(endpoint, access_key, region, |client| async move {
        dynameta_corpus::seed(&client, filler).await;
        // Personal data for the classification demo.
        dynameta_corpus::create_table(
            &client,
            "customers",
            (
                "customerId",
                aws_sdk_dynamodb::types::ScalarAttributeType::S,
            ),
            None,
        )
        .await;
        dynameta_corpus::put_items(
            &client,
            "customers",
            (0..300).map(dynameta_corpus::customer_item).collect(),
        )
        .await;
    });
    println!("seeded {endpoint} ({region}) with the demo corpus, a customers table and {filler} filler tables");
}
