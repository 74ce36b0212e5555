//! Writes the items of a DynamoDB table as a DynamoDB export to S3, in AWS's documented
//! layout (`AWSDynamoDB/<exportId>/manifest-summary.json`, `manifest-files.json`, gzip'd
//! `DYNAMODB_JSON` data files), to an S3-compatible endpoint — for benchmarks and the
//! Spark example where `ExportTableToPointInTime` is not available (DynamoDB Local).
//! Reads the table with a Scan and writes to S3: it is a fixture tool, not dynameta.
//!
//! ```text
//! cargo run --example write_export -- DDB_ENDPOINT KEY REGION TABLE S3_ENDPOINT BUCKET FILES
//! ```
//! Prints the export's folder URL (`s3://BUCKET/exports/AWSDynamoDB/<id>/`).

use std::io::Write;

use dynameta::source::export::item_line;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [ddb, key, region, table, s3_endpoint, bucket, files] = args.as_slice() else {
        eprintln!("usage: write_export DDB_ENDPOINT KEY REGION TABLE S3_ENDPOINT BUCKET FILES");
        std::process::exit(2);
    };
    let files: usize = files.parse().expect("FILES: a number of data files");
    let dynamodb = dynameta_testkit::client(ddb, key, region).await;
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new(region.clone()))
        .endpoint_url(s3_endpoint)
        .force_path_style(true)
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            key.clone(),
            "fixture",
            None,
            None,
            "write_export",
        ))
        .http_client(dynameta::aws::http_client())
        .build();
    let s3 = aws_sdk_s3::Client::from_conf(config);
    let _ = s3.create_bucket().bucket(bucket).send().await;
    let id = "01700000000000-b3c4d5e6";
    let prefix = format!("exports/AWSDynamoDB/{id}/");
    let mut encoders: Vec<(flate2::write::GzEncoder<Vec<u8>>, u64)> = (0..files.max(1))
        .map(|_| {
            (
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default()),
                0,
            )
        })
        .collect();
    let (mut start, mut n) = (None, 0u64);
    loop {
        let page = dynamodb
            .scan()
            .table_name(table)
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("Scan");
        for item in page.items.unwrap_or_default() {
            let (gz, count) = &mut encoders[(n % files.max(1) as u64) as usize];
            writeln!(gz, "{}", item_line(&item)).expect("gzip");
            *count += 1;
            n += 1;
        }
        start = page.last_evaluated_key;
        if start.is_none() {
            break;
        }
    }
    let mut manifest = String::new();
    for (i, (gz, count)) in encoders.into_iter().enumerate() {
        let key = format!("{prefix}data/{i:05}.json.gz");
        let body = gz.finish().expect("gzip");
        manifest += &format!(
            "{}\n",
            serde_json::json!({"itemCount": count, "md5": "", "etag": "", "dataFileS3Key": key})
        );
        s3.put_object()
            .bucket(bucket)
            .key(&key)
            .body(body.into())
            .send()
            .await
            .expect("PutObject");
    }
    let summary = serde_json::json!({
        "version": "2020-06-30",
        "exportArn": format!("arn:aws:dynamodb:{region}:000000000000:table/{table}/export/{id}"),
        "tableArn": format!("arn:aws:dynamodb:{region}:000000000000:table/{table}"),
        "exportTime": "2026-01-01T00:00:00.000Z",
        "s3Bucket": bucket,
        "s3Prefix": "exports",
        "manifestFilesS3Key": format!("{prefix}manifest-files.json"),
        "itemCount": n,
        "outputFormat": "DYNAMODB_JSON",
        "exportType": "FULL_EXPORT",
    });
    for (key, body) in [
        (
            format!("{prefix}manifest-files.json"),
            manifest.into_bytes(),
        ),
        (
            format!("{prefix}manifest-summary.json"),
            summary.to_string().into_bytes(),
        ),
    ] {
        s3.put_object()
            .bucket(bucket)
            .key(key)
            .body(body.into())
            .send()
            .await
            .expect("PutObject");
    }
    println!("s3://{bucket}/{prefix}");
}
