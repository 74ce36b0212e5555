//! Profiling from a DynamoDB export to S3: a fixture export written in AWS's documented
//! layout (manifest-summary.json, manifest-files.json, gzip'd DYNAMODB_JSON data files)
//! to moto's S3 from the items of a DynamoDB Local table; its profile must equal the
//! scan profile of the same table on every exact metric.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use aws_sdk_dynamodb::types::AttributeValue as AV;
use dynameta::source::export::item_line;
use dynameta_testkit::{dynamodb_local, moto, unique_access_key};
use serde_json::{json, Value};

use super::profile::{block_on, profile_workflow, seed_known};
use super::profile_parts::exact_part;
use super::support::*;

const EXPORT_ID: &str = "01700000000000-a1b2c3d4";

pub(super) fn items_of(key: &str, table: &str) -> Vec<HashMap<String, AV>> {
    let (endpoint, key, table) = (
        dynamodb_local().endpoint.clone(),
        key.to_string(),
        table.to_string(),
    );
    let (tx, rx) = std::sync::mpsc::channel();
    block_on(async move {
        let client = dynameta_testkit::client(&endpoint, &key, "us-east-1").await;
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let page = client
                .scan()
                .table_name(&table)
                .set_exclusive_start_key(start)
                .send()
                .await
                .unwrap();
            items.extend(page.items.unwrap_or_default());
            start = page.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
        tx.send(items).unwrap();
    });
    rx.recv().unwrap()
}

fn gzip(text: &str) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(text.as_bytes()).unwrap();
    gz.finish().unwrap()
}

/// The base64 MD5 of `bytes`: AWS's `md5Checksum` of a data file.
fn md5_of(bytes: &[u8]) -> String {
    use base64::Engine;
    use md5::Digest;
    base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(bytes))
}

/// A manifest-files.json line for data file `key` holding `items` items.
fn manifest_line(key: &str, items: usize, body: &[u8]) -> String {
    format!(
        "{}\n",
        json!({"itemCount": items, "md5Checksum": md5_of(body), "etag": "y", "dataFileS3Key": key})
    )
}

/// The objects of an export of `items` of `table` in `bucket`, in `files` data files
/// (plus an empty one, as AWS writes for an empty partition), by key.
fn export_objects(
    bucket: &str,
    table: &str,
    items: &[HashMap<String, AV>],
    files: usize,
) -> Vec<(String, Vec<u8>)> {
    let prefix = format!("exports/AWSDynamoDB/{EXPORT_ID}/");
    let mut objects: Vec<(String, Vec<u8>)> = Vec::new();
    let mut manifest = String::new();
    for f in 0..files {
        let chunk: Vec<String> = items
            .iter()
            .skip(f)
            .step_by(files)
            .map(|i| item_line(i) + "\n")
            .collect();
        let key = format!("{prefix}data/file{f:03}.json.gz");
        let body = gzip(&chunk.concat());
        manifest += &manifest_line(&key, chunk.len(), &body);
        objects.push((key, body));
    }
    let empty = format!("{prefix}data/empty.json.gz");
    manifest += &manifest_line(&empty, 0, &[]);
    objects.push((empty, Vec::new()));
    objects.push((
        format!("{prefix}manifest-files.json"),
        manifest.into_bytes(),
    ));
    let summary = json!({
        "version": "2020-06-30",
        "exportArn": format!("arn:aws:dynamodb:us-east-1:123456789012:table/{table}/export/{EXPORT_ID}"),
        "startTime": "2026-11-29T10:00:00.000Z",
        "endTime": "2026-11-29T10:05:00.000Z",
        "tableArn": format!("arn:aws:dynamodb:us-east-1:123456789012:table/{table}"),
        "tableId": "12345a12-abcd-123a-ab12-1234abc12345",
        "exportTime": "2026-11-29T10:00:00.000Z",
        "s3Bucket": bucket,
        "s3Prefix": "exports",
        "s3SseAlgorithm": "AES256",
        "s3SseKmsKeyId": null,
        "manifestFilesS3Key": format!("{prefix}manifest-files.json"),
        "billedSizeBytes": 0,
        "itemCount": items.len(),
        "outputFormat": "DYNAMODB_JSON",
        "exportType": "FULL_EXPORT",
    });
    objects.push((
        format!("{prefix}manifest-summary.json"),
        summary.to_string().into_bytes(),
    ));
    objects
}

/// Creates `bucket` on moto and puts `objects` in it; returns the export's folder URL.
fn put_export(bucket: &str, objects: Vec<(String, Vec<u8>)>) -> String {
    let bucket_name = bucket.to_string();
    block_on(async move {
        let s3 = moto_s3();
        s3.create_bucket()
            .bucket(&bucket_name)
            .send()
            .await
            .unwrap();
        for (key, body) in objects {
            s3.put_object()
                .bucket(&bucket_name)
                .key(key)
                .body(body.into())
                .send()
                .await
                .unwrap();
        }
    });
    format!("s3://{bucket}/exports/AWSDynamoDB/{EXPORT_ID}/")
}

/// Writes `items` as an export of `table` to `bucket` on moto, in `files` data files
/// (plus an empty one, as AWS writes for an empty partition); returns its folder URL.
pub(super) fn write_export(
    bucket: &str,
    table: &str,
    items: &[HashMap<String, AV>],
    files: usize,
) -> String {
    put_export(bucket, export_objects(bucket, table, items, files))
}

fn profile_record(dir: &Path, name: &str, yaml: &str, extra: &[&str]) -> Value {
    let wf = write(dir, &format!("{name}.yaml"), yaml);
    let mut args = vec!["profile", "-c", wf.to_str().unwrap(), "-q"];
    args.extend(extra);
    let run = dynameta(&args, &[]);
    assert_eq!(run.code, 0, "{name}: {}", run.output());
    let out = yaml
        .lines()
        .find_map(|l| l.trim().strip_prefix("filename: "))
        .unwrap();
    records(Path::new(out))
        .into_iter()
        .find(|r| r["kind"] == "createTableProfile")
        .unwrap()
}

/// The parts of a record that do not depend on how the items were read.
fn data_part(record: &Value) -> Value {
    let r = exact_part(record);
    json!({"payload": r["payload"], "columns": r["dynamodb"]["columns"]})
}

#[test]
fn an_export_profiles_like_a_scan_of_the_same_items() {
    let key = unique_access_key("export");
    seed_known(&key, "exported", 1500);
    let items = items_of(&key, "exported");
    assert_eq!(items.len(), 1500);
    let bucket = format!("dynameta-export-{}", std::process::id());
    let folder = write_export(&bucket, "exported", &items, 5);
    let dir = tempfile::tempdir().unwrap();
    let endpoint = &dynamodb_local().endpoint;
    let scan = profile_record(
        dir.path(),
        "scan",
        &profile_workflow(endpoint, &key, "", "", &dir.path().join("scan.jsonl")),
        &[],
    );
    let args = format!(
        "        exports:\n          exported: {folder}\n        s3EndpointURL: {}",
        moto().endpoint
    );
    let export = profile_record(
        dir.path(),
        "export",
        &profile_workflow(endpoint, &key, &args, "", &dir.path().join("export.jsonl")),
        &[],
    );
    assert_eq!(data_part(&export), data_part(&scan));
    let x = &export["dynamodb"];
    assert_eq!(x["consumedReadUnits"], 0.0, "an export costs no read units");
    assert_eq!(x["itemsRead"], 1500);
    assert_eq!(x["rowCountExact"], true);
    assert_eq!(x["export"]["export"], folder.as_str());
    assert_eq!(x["export"]["exportTime"], "2026-11-29T10:00:00.000Z");
    assert_eq!(x["export"]["itemsInExport"], 1500);
    assert_eq!(
        (
            x["export"]["files"].as_u64(),
            x["export"]["filesRead"].as_u64()
        ),
        (Some(6), Some(6))
    );
    assert!(x["export"]["gzipBytes"].as_u64().unwrap() > 10_000);
    assert!(
        x["export"]["jsonBytes"].as_u64().unwrap() > x["export"]["gzipBytes"].as_u64().unwrap()
    );

    // Parts of an export share its files; merged, they publish the same profile.
    let parted_out = dir.path().join("parted.jsonl");
    let yaml = profile_workflow(endpoint, &key, &args, "", &parted_out);
    let wf = write(dir.path(), "parted.yaml", &yaml);
    let states: Vec<String> = (1..=2)
        .map(|i| {
            dir.path()
                .join(format!("x{i}.json"))
                .to_str()
                .unwrap()
                .to_string()
        })
        .collect();
    for (i, state) in states.iter().enumerate() {
        let part = format!("{}/2", i + 1);
        let run = dynameta(
            &[
                "profile",
                "-c",
                wf.to_str().unwrap(),
                "-q",
                "--part",
                &part,
                "--state-out",
                state,
            ],
            &[],
        );
        assert_eq!(run.code, 0, "{}", run.output());
    }
    let run = dynameta(
        &[
            "profile",
            "merge",
            "-c",
            wf.to_str().unwrap(),
            "-q",
            &states[0],
            &states[1],
        ],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.output());
    let merged = records(&parted_out)
        .into_iter()
        .find(|r| r["kind"] == "createTableProfile")
        .unwrap();
    assert_eq!(data_part(&merged), data_part(&scan));
    assert_eq!(merged["dynamodb"]["export"]["filesRead"], 6);

    // A PERCENTAGE sample reads whole files; the row count is the manifest's, exact.
    let sampled = profile_record(
        dir.path(),
        "sampled",
        &profile_workflow(
            endpoint,
            &key,
            &args,
            "      profileSample: 40\n      profileSampleType: PERCENTAGE\n",
            &dir.path().join("sampled.jsonl"),
        ),
        &[],
    );
    let d = &sampled["dynamodb"];
    assert_eq!(d["export"]["filesRead"], 2, "40 % of 6 files");
    assert_eq!(sampled["payload"]["tableProfile"]["rowCount"], 1500.0);
    let read = d["itemsRead"].as_u64().unwrap();
    assert!(read <= 600, "{read} items from two files");
}

#[test]
fn an_unreadable_export_fails_its_table_with_the_fix() {
    let key = unique_access_key("noexport");
    seed_known(&key, "unexported", 10);
    let dir = tempfile::tempdir().unwrap();
    let args = format!(
        "        exports:\n          unexported: s3://no-such-bucket-dynameta/AWSDynamoDB/{EXPORT_ID}/\n        s3EndpointURL: {}",
        moto().endpoint
    );
    let wf = write(
        dir.path(),
        "wf.yaml",
        &profile_workflow(
            &dynamodb_local().endpoint,
            &key,
            &args,
            "",
            &dir.path().join("o.jsonl"),
        ),
    );
    let run = dynameta(&["profile", "-c", wf.to_str().unwrap()], &[]);
    assert_eq!(run.code, 1, "{}", run.output());
    assert!(
        run.output()
            .contains("GetObject of export s3://no-such-bucket-dynameta"),
        "{}",
        run.output()
    );
    assert!(!dir.path().join("o.jsonl").exists());
    // A part that fails a table writes no state and keeps a previous file as it was.
    let state = write(dir.path(), "state.json", "previous");
    let run = dynameta(
        &[
            "profile",
            "-c",
            wf.to_str().unwrap(),
            "--part",
            "1/2",
            "--state-out",
            state.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(run.code, 1, "{}", run.output());
    assert!(
        run.output()
            .contains("was not written because the run failed"),
        "{}",
        run.output()
    );
    assert_eq!(std::fs::read_to_string(&state).unwrap(), "previous");
    // A value that is no export is a configuration error (exit 2), before any request.
    let bad = write(
        dir.path(),
        "bad.yaml",
        &profile_workflow(
            &dynamodb_local().endpoint,
            &key,
            "        exports:\n          unexported: s3://bucket/not-an-export/",
            "",
            &dir.path().join("o.jsonl"),
        ),
    );
    let run = dynameta(&["profile", "-c", bad.to_str().unwrap()], &[]);
    assert_eq!(run.code, 2, "{}", run.output());
    assert!(
        run.stderr
            .contains("connectionArguments.exports.unexported"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("AWSDynamoDB/<exportId>/"),
        "{}",
        run.stderr
    );
}

fn moto_s3() -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .endpoint_url(&moto().endpoint)
        .force_path_style(true)
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            "AKIDEXPORT",
            "secret",
            None,
            None,
            "test",
        ))
        .http_client(dynameta::aws::http_client())
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

#[test]
fn dynameta_export_starts_an_export_and_waits_for_it() {
    // moto implements ExportTableToPointInTime (its files lack AWS's manifests, so
    // profiling from it is tested with the fixture above; starting one is tested here).
    let table = format!("to_export_{}", std::process::id());
    let bucket = format!("dynameta-start-{}", std::process::id());
    let (endpoint, t, b) = (moto().endpoint.clone(), table.clone(), bucket.clone());
    block_on(async move {
        let client = dynameta_testkit::client(&endpoint, "AKIDMOTO", "us-east-1").await;
        dynameta_testkit::corpus::create_table(
            &client,
            &t,
            ("id", aws_sdk_dynamodb::types::ScalarAttributeType::S),
            None,
        )
        .await;
        let items = (0..7)
            .map(|i| HashMap::from([("id".to_string(), AV::S(format!("k{i}")))]))
            .collect();
        dynameta_testkit::corpus::put_items_parallel(&client, &t, items, 2).await;
        moto_s3().create_bucket().bucket(&b).send().await.unwrap();
    });
    let dir = tempfile::tempdir().unwrap();
    let wf = write(
        dir.path(),
        "wf.yaml",
        &profile_workflow(
            &moto().endpoint,
            "AKIDMOTO",
            "",
            "",
            &dir.path().join("o.jsonl"),
        ),
    );
    let wf = wf.to_str().unwrap();
    let export = || {
        dynameta(
            &[
                "export",
                "-c",
                wf,
                "--table",
                &table,
                "--s3-bucket",
                &bucket,
                "--wait",
            ],
            &[],
        )
    };
    // Without point-in-time recovery there is no export, and the fix is named.
    let run = export();
    assert_eq!(run.code, 1, "{}", run.output());
    assert!(
        run.stderr.contains("Enable point-in-time recovery"),
        "{}",
        run.stderr
    );
    let (endpoint, t) = (moto().endpoint.clone(), table.clone());
    block_on(async move {
        let client = dynameta_testkit::client(&endpoint, "AKIDMOTO", "us-east-1").await;
        client
            .update_continuous_backups()
            .table_name(&t)
            .point_in_time_recovery_specification(
                aws_sdk_dynamodb::types::PointInTimeRecoverySpecification::builder()
                    .point_in_time_recovery_enabled(true)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    });
    let run = export();
    assert_eq!(run.code, 0, "{}", run.output());
    assert!(
        run.stdout.contains("export COMPLETED: 7 items"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains(&format!("exports:\n    {table}: arn:aws:dynamodb:")),
        "{}",
        run.stdout
    );
    assert_no_secrets(&run.output(), "export");
    // A bucket that does not exist: the export FAILS, and the command says so (exit 1).
    let run = dynameta(
        &[
            "export",
            "-c",
            wf,
            "--table",
            &table,
            "--s3-bucket",
            "no-such-bucket-dynameta",
            "--wait",
        ],
        &[],
    );
    assert_eq!(run.code, 1, "{}", run.output());
    assert!(run.stderr.contains("FAILED"), "{}", run.stderr);
}

/// Replaces the object whose key ends with `suffix`.
fn replace(objects: &mut [(String, Vec<u8>)], suffix: &str, body: Vec<u8>) {
    let object = objects
        .iter_mut()
        .find(|(key, _)| key.ends_with(suffix))
        .unwrap();
    object.1 = body;
}

/// Exports that are not what AWS wrote fail their table, naming the object and what
/// is wrong: a cut file list (the summary's count disagrees), a data file whose MD5
/// is not its manifest entry's, a data file that decompresses to one endless line
/// (memory stays bounded: the line is refused at 8 MiB, not held whole).
#[test]
fn a_tampered_export_fails_its_table_naming_the_object() {
    let key = unique_access_key("tampered");
    seed_known(&key, "tampered", 300);
    let items = items_of(&key, "tampered");
    let dir = tempfile::tempdir().unwrap();
    let endpoint = &dynamodb_local().endpoint;
    let pid = std::process::id();
    let run_with = |bucket: &str, objects: Vec<(String, Vec<u8>)>| {
        let folder = put_export(bucket, objects);
        let args = format!(
            "        exports:\n          tampered: {folder}\n        s3EndpointURL: {}\n        exportWorkers: 2",
            moto().endpoint
        );
        let out = dir.path().join(format!("{bucket}.jsonl"));
        let wf = write(
            dir.path(),
            &format!("{bucket}.yaml"),
            &profile_workflow(endpoint, &key, &args, "", &out),
        );
        let (run, rss) = dynameta_measured(&["profile", "-c", wf.to_str().unwrap()], None);
        assert_eq!(run.code, 1, "{}", run.output());
        assert!(!out.exists(), "a failed run publishes nothing");
        (run.output(), rss)
    };

    // manifest-files.json cut after its first line: 1 of 4 files listed.
    let bucket = format!("dynameta-cut-{pid}");
    let mut objects = export_objects(&bucket, "tampered", &items, 3);
    let files = objects
        .iter()
        .find(|(k, _)| k.ends_with("manifest-files.json"))
        .unwrap()
        .1
        .clone();
    let first = files.split(|b| *b == b'\n').next().unwrap().to_vec();
    replace(&mut objects, "manifest-files.json", first);
    let (output, _) = run_with(&bucket, objects);
    assert!(output.contains("manifest-files.json"), "{output}");
    assert!(
        output.contains("manifest-summary.json says the export has 300"),
        "{output}"
    );

    // A data file replaced by another (valid, same count) one: its MD5 differs.
    let bucket = format!("dynameta-md5-{pid}");
    let mut objects = export_objects(&bucket, "tampered", &items, 3);
    let other: Vec<String> = items
        .iter()
        .take(100)
        .map(|i| item_line(i) + "\n")
        .collect();
    replace(&mut objects, "data/file001.json.gz", gzip(&other.concat()));
    let (output, _) = run_with(&bucket, objects);
    assert!(output.contains("data/file001.json.gz"), "{output}");
    assert!(output.contains("(md5Checksum)"), "{output}");

    // A data file of 1 GiB without a line break (16 gzip members of 64 MiB of `x`,
    // about 1 MiB), its MD5 and count as listed: refused at the line cap.
    let bucket = format!("dynameta-bomb-{pid}");
    let mut objects = export_objects(&bucket, "tampered", &items[..100], 1);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&vec![b'x'; 64 << 20]).unwrap();
    let member = gz.finish().unwrap();
    let bomb = member.repeat(16);
    assert!(bomb.len() < 2 << 20, "{}", bomb.len());
    let prefix = format!("exports/AWSDynamoDB/{EXPORT_ID}/");
    let data = format!("{prefix}data/file000.json.gz");
    replace(&mut objects, "data/file000.json.gz", bomb.clone());
    let manifest = manifest_line(&data, 100, &bomb)
        + &manifest_line(&format!("{prefix}data/empty.json.gz"), 0, &[]);
    replace(&mut objects, "manifest-files.json", manifest.into_bytes());
    let (output, rss) = run_with(&bucket, objects);
    assert!(output.contains("data/file000.json.gz line 1"), "{output}");
    assert!(output.contains("without a line break"), "{output}");
    // Held whole, the line alone would take 1 GiB.
    eprintln!("gzip bomb of {} bytes: peak RSS {rss} bytes", bomb.len());
    assert!(rss < 256 << 20, "peak RSS {rss} bytes");
}

/// `test-connection` reads every configured export's manifests (read-only): a readable
/// one passes with what it holds, a missing one fails with the fix.
#[test]
fn test_connection_checks_every_configured_export() {
    let key = unique_access_key("tcexport");
    seed_known(&key, "tcx", 20);
    let items = items_of(&key, "tcx");
    let bucket = format!("dynameta-tc-{}", std::process::id());
    let folder = put_export(&bucket, export_objects(&bucket, "tcx", &items, 2));
    let dir = tempfile::tempdir().unwrap();
    let args = format!(
        "        exports:\n          tcx: {folder}\n          tcmissing: s3://no-such-bucket-dynameta-tc/AWSDynamoDB/{EXPORT_ID}/\n        s3EndpointURL: {}",
        moto().endpoint
    );
    let wf = write(
        dir.path(),
        "wf.yaml",
        &profile_workflow(
            &dynamodb_local().endpoint,
            &key,
            &args,
            "",
            &dir.path().join("o.jsonl"),
        ),
    );
    let run = dynameta(&["test-connection", "-c", wf.to_str().unwrap()], &[]);
    assert_eq!(run.code, 1, "{}", run.output());
    let lines: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("Export manifests (S3)"))
        .collect();
    assert_eq!(lines.len(), 2, "{}", run.stdout);
    let missing = lines.iter().find(|l| l.contains("tcmissing")).unwrap();
    assert!(missing.contains("FAIL"), "{}", run.stdout);
    assert!(
        run.stdout.contains("error code: NoSuchBucket"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("hint: check connectionArguments.exports"),
        "{}",
        run.stdout
    );
    let found = lines.iter().find(|l| l.contains("export of tcx")).unwrap();
    assert!(found.contains("PASS"), "{}", run.stdout);
    assert!(found.contains("3 data files, 20 items"), "{}", run.stdout);
}
