//! `dynameta usage` against moto's CloudWatch (metrics put by the test) and the
//! OpenMetadata contract server: one count per table and day, on the right days,
//! summed over operations; a day posted twice is replaced; percentiles asked per day.

use aws_sdk_cloudwatch::types::{Dimension, MetricDatum, StatisticSet};
use dynameta_testkit::moto;
use dynameta_testkit::openmetadata_server::ContractServer;

use super::lineage::{
    assert_oracle_accepts, aws_only_workflow, block_on, create_streamed_table, credentials, ingest,
    moto_client, table_id, workflow_for,
};
use super::support::*;

const DAY: i64 = 86_400;

/// Puts `count` successful `operation` requests on `table` at noon `days_ago` days ago.
async fn put_requests(table: &str, operation: &str, days_ago: i64, count: f64) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let noon = now - now.rem_euclid(DAY) - days_ago * DAY + DAY / 2;
    moto_client!(aws_sdk_cloudwatch)
        .put_metric_data()
        .namespace("AWS/DynamoDB")
        .metric_data(
            MetricDatum::builder()
                .metric_name("SuccessfulRequestLatency")
                .dimensions(Dimension::builder().name("TableName").value(table).build())
                .dimensions(
                    Dimension::builder()
                        .name("Operation")
                        .value(operation)
                        .build(),
                )
                .timestamp(aws_smithy_types::DateTime::from_secs(noon))
                .statistic_values(
                    StatisticSet::builder()
                        .sample_count(count)
                        .sum(count)
                        .minimum(1.0)
                        .maximum(1.0)
                        .build(),
                )
                .unit(aws_sdk_cloudwatch::types::StandardUnit::Milliseconds)
                .build(),
        )
        .send()
        .await
        .unwrap();
}

fn date(days_ago: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let day = now - now.rem_euclid(DAY) - days_ago * DAY;
    aws_smithy_types::DateTime::from_secs(day)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap()[..10]
        .to_string()
}

#[test]
fn daily_request_counts_land_on_their_days() {
    let pid = std::process::id();
    let table = format!("use_orders_{pid}");
    let t = table.clone();
    block_on(async move {
        create_streamed_table(&t).await;
        put_requests(&t, "GetItem", 1, 7.0).await;
        put_requests(&t, "Query", 1, 5.0).await;
        put_requests(&t, "Scan", 2, 3.0).await;
    });
    let om = ContractServer::start("2.0.7", Some(JWT_MARKER));
    let dir = tempfile::tempdir().unwrap();
    let tables = format!("^use_orders_{pid}$");
    ingest(dir.path(), &moto().endpoint, &om, &tables);
    let id = table_id(&om, &table);

    let yaml = workflow_for(
        "DatabaseUsage",
        &moto().endpoint,
        &om,
        &tables,
        "      queryLogDuration: 3\n      stageFileLocation: /tmp/usage",
    )
    // OpenMetadata's usage workflow sections: accepted, ignored with a note.
    .replace(
        "sink:\n",
        "processor:\n  type: query-parser\n  config: {}\nstage:\n  type: table-usage\n  config:\n    filename: /tmp/usage\nbulkSink:\n  type: metadata-usage\n  config:\n    filename: /tmp/usage\nsink:\n",
    );
    let wf = write(dir.path(), "usage.yaml", &yaml);
    let run = dynameta(&["usage", "-c", wf.to_str().unwrap()], &[]);
    assert_eq!(run.code, 0, "{}\n{yaml}", run.output());
    assert!(
        run.stdout
            .contains("processor, stage, bulkSink of the workflow ignored"),
        "{}",
        run.stdout
    );
    let expected = vec![(date(3), 0), (date(2), 3), (date(1), 12)];
    assert_eq!(om.usage(&id), expected, "{}", run.stdout);
    for (day, _) in &expected {
        assert!(
            om.percentile_requests().contains(&format!("table/{day}")),
            "{:?}",
            om.percentile_requests()
        );
    }
    // A second run posts the same days again: replaced, not added.
    let t = table.clone();
    block_on(async move { put_requests(&t, "PutItem", 1, 1.0).await });
    let run = dynameta(&["usage", "-c", wf.to_str().unwrap()], &[]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert_eq!(
        om.usage(&id),
        vec![(date(3), 0), (date(2), 3), (date(1), 13)],
        "{}",
        run.stdout
    );
    assert_no_secrets(&run.output(), "usage run");
    assert_oracle_accepts(&om, dir.path(), &["dailyCount"]);
}

/// Without OpenMetadata (`sink: local`): one count per table and day in the catalog,
/// a rerun replacing its days (not adding), the report's usage chart. (Before, the
/// local sink was refused with exit 2.)
#[test]
fn daily_request_counts_to_the_local_catalog_a_rerun_replaces_its_days() {
    let pid = std::process::id();
    let table = format!("use_local_{pid}");
    let t = table.clone();
    block_on(async move {
        create_streamed_table(&t).await;
        put_requests(&t, "GetItem", 1, 7.0).await;
        put_requests(&t, "Scan", 2, 3.0).await;
    });
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("catalog.db");
    let tables = format!("^use_local_{pid}$");
    let sink = format!(
        "sink:\n  type: local\n  config:\n    path: {}\n",
        db.display()
    );
    let yaml = aws_only_workflow(
        "DatabaseUsage",
        &moto().endpoint,
        &tables,
        "      queryLogDuration: 3",
        &sink,
    );
    let wf = write(dir.path(), "usage.yaml", &yaml);
    let run = dynameta(&["usage", "-c", wf.to_str().unwrap(), "-q"], &[]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert!(
        run.stdout
            .contains(&format!("table {table}: 10 request(s)")),
        "{}",
        run.stdout
    );
    let fqn = format!("test_svc.default.default.{table}");
    let stored = |db: &std::path::Path| -> Vec<(String, u64)> {
        dynameta_catalog::Catalog::open_existing(db)
            .unwrap()
            .usage(&fqn, 90)
            .unwrap()
            .into_iter()
            .map(|d| (d.day, d.requests))
            .collect()
    };
    assert_eq!(
        stored(&db),
        vec![(date(3), 0), (date(2), 3), (date(1), 7)],
        "{}",
        run.stdout
    );
    let t = table.clone();
    block_on(async move { put_requests(&t, "PutItem", 1, 1.0).await });
    let run = dynameta(&["usage", "-c", wf.to_str().unwrap(), "-q"], &[]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert_eq!(
        stored(&db),
        vec![(date(3), 0), (date(2), 3), (date(1), 8)],
        "{}",
        run.stdout
    );
    let out = dir.path().join("report.html");
    report_to(&db, &out);
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.contains("usage-chart"), "no usage chart in the report");
    // The file sink: one `tableUsage` line, unclamped counts, matching the schema.
    let file = dir.path().join("usage.jsonl");
    let file_sink = format!(
        "sink:\n  type: file\n  config:\n    filename: {}\n",
        file.display()
    );
    let yaml = aws_only_workflow(
        "DatabaseUsage",
        &moto().endpoint,
        &tables,
        "      queryLogDuration: 3",
        &file_sink,
    );
    let wf = write(dir.path(), "usage-file.yaml", &yaml);
    let run = dynameta(&["usage", "-c", wf.to_str().unwrap(), "-q"], &[]);
    assert_eq!(run.code, 0, "{}", run.output());
    let lines = super::record_schema::validate_file(&file);
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert_eq!(lines[0]["kind"], "tableUsage");
    assert_eq!(lines[0]["days"][2]["date"], date(1).as_str());
    assert_eq!(lines[0]["days"][2]["requests"], 8);
    assert!(html.contains("id=\"lineage-usage\""), "no overview line");
}
