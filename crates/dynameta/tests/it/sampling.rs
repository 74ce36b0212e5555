//! The inference sampler against DynamoDB Local: exact counts, segments, redistribution.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, ScalarAttributeType};
use dynameta::processors::inference::Sample;
use dynameta::source::sample_table;
use dynameta_testkit::{corpus, dynamodb_local, unique_access_key};

async fn table_with(items: usize) -> (aws_sdk_dynamodb::Client, String) {
    let key = unique_access_key("sampling");
    let client = dynameta_testkit::client(&dynamodb_local().endpoint, &key, "us-east-1").await;
    corpus::create_table(&client, "sample_t", ("id", ScalarAttributeType::S), None).await;
    let rows = (0..items)
        .map(|i| HashMap::from([("id".to_string(), AttributeValue::S(format!("id-{i}")))]))
        .collect();
    corpus::put_items(&client, "sample_t", rows).await;
    (client, "sample_t".to_string())
}

/// Samples `table`: `size` items over at most `segments` segments, keeping `keep`.
async fn sample(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    size: u32,
    segments: u32,
    item_count: Option<i64>,
    keep: u32,
) -> dynameta::source::SampleOutcome<Sample> {
    sample_table::<Sample>(
        client,
        table,
        size,
        segments,
        item_count,
        keep,
        &dynameta::aws::ThrottleRetry::default(),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn reads_exactly_the_sample_size_from_every_segment() {
    let (client, table) = table_with(1000).await;
    let out = sample(&client, &table, 100, 8, Some(1000), 0).await;
    assert_eq!(out.items, 100);
    assert_eq!(out.segments, 5, "1000 items / (2 x 100)");
    assert!(
        out.requests >= 5,
        "one scan per segment at least: {}",
        out.requests
    );
    let unknown_size = sample(&client, &table, 100, 8, None, 0).await;
    assert_eq!((unknown_size.items, unknown_size.segments), (100, 8));
    assert_eq!(out.sample.items, 100);
    assert!(out.kept.is_empty(), "nothing kept unless asked");

    // Classification keeps some of the items: a share of every segment, the same each time.
    let id = |item: &HashMap<String, AttributeValue>| item["id"].as_s().unwrap().clone();
    let kept = sample(&client, &table, 100, 8, Some(1000), 30).await;
    assert_eq!(kept.items, 100, "keeping items does not change the sample");
    assert_eq!(kept.kept.len(), 30);
    let again = sample(&client, &table, 100, 8, Some(1000), 30).await;
    let ids: Vec<String> = kept.kept.iter().map(id).collect();
    assert_eq!(ids, again.kept.iter().map(id).collect::<Vec<_>>());
}

#[tokio::test]
async fn small_table_is_read_whole_with_one_plain_scan() {
    let (client, table) = table_with(30).await;
    let out = sample(&client, &table, 100, 8, Some(30), 0).await;
    assert_eq!((out.items, out.segments, out.requests), (30, 1, 1));
}

#[tokio::test]
async fn unused_shares_of_empty_segments_go_to_the_others() {
    // ItemCount unknown (None), so the table is segmented although it is tiny: most of
    // the 16 segments hold 0 or 1 item, and the sampler must still find 12 of 13.
    let (client, table) = table_with(13).await;
    let out = sample(&client, &table, 12, 16, None, 0).await;
    assert_eq!(out.items, 12);
    let all = sample(&client, &table, 50, 16, None, 0).await;
    assert_eq!(all.items, 13, "stops when the table is exhausted");
}

#[tokio::test]
async fn a_rows_limit_is_reached_even_when_segments_are_small_or_empty() {
    use std::sync::Arc;

    use dynameta::processors::profiler::TableStats;
    use dynameta::source::{scan, shuffled_segments, ScanPlan};

    let (client, table) = table_with(300).await;
    // 64 segments of about 5 items: most bookings come back unused.
    for (rows, workers) in [(100u64, 8usize), (250, 3), (299, 16)] {
        let plan = ScanPlan {
            total_segments: 64,
            segments: shuffled_segments(64, 9),
            row_limit: Some(rows),
            workers,
        };
        let (states, stats) = scan(
            &client,
            &table,
            &plan,
            None,
            |s: &mut TableStats, item| s.observe(item),
            Arc::new(|_, _| {}),
            &dynameta::aws::ThrottleRetry::default(),
        )
        .await
        .unwrap();
        assert_eq!(stats.items, rows, "{rows} rows with {workers} workers");
        assert_eq!(states.iter().map(|s| s.rows).sum::<u64>(), rows);
        // Folding is synchronous: one state per runtime thread (this test runtime has
        // one), however many requests were in flight.
        assert_eq!(states.len(), 1, "{workers} workers");
    }
}
