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
        None,
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

/// A table of `items` items of about 4.1 KB each: every item costs at least half a read
/// unit to scan (eventually consistent reads cost 0.5 units per 4 KB).
async fn padded_table(key: &str, items: usize) -> aws_sdk_dynamodb::Client {
    let client = dynameta_testkit::client(&dynamodb_local().endpoint, key, "us-east-1").await;
    corpus::create_table(&client, "budget_t", ("id", ScalarAttributeType::S), None).await;
    let rows = (0..items)
        .map(|i| {
            HashMap::from([
                ("id".to_string(), AttributeValue::S(format!("id-{i}"))),
                ("pad".to_string(), AttributeValue::S("p".repeat(4200))),
            ])
        })
        .collect();
    corpus::put_items(&client, "budget_t", rows).await;
    client
}

/// The sampler holds a read budget as the profiler's scan does: measured through the
/// capacity DynamoDB reports, never faster than the budget (plus the bucket's one unit
/// of initial credit and one page), however many segments read at once. A loaded machine can only
/// make the rate lower, so the bound holds whatever the load.
#[tokio::test]
async fn a_read_budget_holds_the_sample_to_its_rate() {
    let key = unique_access_key("samplebudget");
    let client = padded_table(&key, 300).await;
    let rate = 50.0;
    let budget = dynameta::source::TokenBucket::new(rate);
    let started = std::time::Instant::now();
    let out = sample_table::<Sample>(
        &client,
        "budget_t",
        300,
        8,
        None,
        0,
        Some(&budget),
        &dynameta::aws::ThrottleRetry::default(),
    )
    .await
    .unwrap();
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(out.items, 300);
    assert_eq!(out.segments, 8, "8 segments draw from one budget");
    let units = out.consumed_read_units;
    assert!(units >= 150.0, "300 items of 4.1 KB: {units} units");
    eprintln!(
        "sample: {units} units in {seconds:.2}s = {:.1}/s with a budget of {rate}/s",
        units / seconds
    );
    // The bucket's one unit of initial credit and at most one page in debt (a page
    // costs about 0.1 s of budget) are not waited for; 5 % for the cost estimate.
    assert!(
        units <= rate * seconds * 1.05 + 1.0 + rate * 0.1,
        "{units} units in {seconds:.2}s with a budget of {rate}/s"
    );
}

/// `ingest` and `classify` sample under `maxReadUnitsPerSecond` (the same per-table
/// budget the profiler keeps): 200 items of 4.1 KB cost at least 100 read units, so at
/// 25 units a second each run takes at least 4 s (without the budget: well under 1 s).
/// A bound below, which load cannot break.
#[test]
fn ingest_and_classify_samples_keep_the_read_budget() {
    use super::support::{dynameta, write, WorkflowBuilder};

    let key = unique_access_key("ingestbudget");
    let (tx, rx) = std::sync::mpsc::channel();
    let k = key.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(padded_table(&k, 200));
        tx.send(()).unwrap();
    });
    rx.recv().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let args = "        sampleSize: 200\n        maxReadUnitsPerSecond: 25";
    for (command, kind) in [
        ("ingest", "DatabaseMetadata"),
        ("classify", "AutoClassification"),
    ] {
        let yaml = WorkflowBuilder::new(&dynamodb_local().endpoint, &key)
            .connection_lines(args)
            .pipeline(kind)
            .file_sink(&dir.path().join(format!("{command}.jsonl")))
            .yaml();
        let wf = write(dir.path(), &format!("{command}.yaml"), &yaml);
        let run = dynameta(&[command, "-c", wf.to_str().unwrap(), "-q"], &[]);
        assert_eq!(run.code, 0, "{command}: {}", run.output());
        eprintln!("{command} with a budget of 25/s: {:?}", run.elapsed);
        assert!(
            run.elapsed.as_secs_f64() >= 3.9,
            "{command} sampled 100+ read units in {:?} with a budget of 25/s",
            run.elapsed
        );
    }
}
