//! The file sink's published JSON Schema (`docs/schemas/dynameta-record.schema.json`)
//! holds for what real runs write: ingest, profile and classify over the test corpus,
//! every line validated; and it refuses mutated lines, so the check can fail.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use aws_sdk_dynamodb::types::ScalarAttributeType;
use dynameta_testkit::{corpus, dynamodb_local, unique_access_key};
use serde_json::{json, Value};

use super::profile::{block_on, profile_workflow};
use super::support::*;

fn schemas_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/schemas")
}

/// Serves the schema's relative `$ref`s (`openmetadata/*.json`) from the files beside
/// it, and nothing else: the test never reaches the network.
struct BesideTheSchema;

impl jsonschema::Retrieve for BesideTheSchema {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let path = uri.path().as_str();
        let name = path
            .strip_prefix("/schemas/record/v1/openmetadata/")
            .filter(|n| !n.contains('/') && !n.contains(".."))
            .ok_or_else(|| format!("unexpected $ref {uri}"))?;
        let text = std::fs::read_to_string(schemas_dir().join("openmetadata").join(name))?;
        Ok(serde_json::from_str(&text)?)
    }
}

/// The validator of the committed schema, built once.
fn validator() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| {
        let path = schemas_dir().join("dynameta-record.schema.json");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
        jsonschema::draft202012::options()
            .should_validate_formats(true)
            .with_retriever(BesideTheSchema)
            .build(&schema)
            .unwrap_or_else(|e| panic!("compile {}: {e}", path.display()))
    })
}

/// Every error of one record, as `instance path (schema path): message`. A record that
/// matches no `oneOf` branch is reported with the errors of the branch of its own
/// `kind` (the one whose `kind` matched), not just "not valid under any of the schemas".
fn errors(record: &Value) -> Vec<String> {
    let show = |e: &jsonschema::ValidationError| {
        format!("{} ({}): {e}", e.instance_path(), e.schema_path())
    };
    let mut out = Vec::new();
    for error in validator().iter_errors(record) {
        if let jsonschema::error::ValidationErrorKind::OneOfNotValid { context } = error.kind() {
            let own_kind = context
                .iter()
                .find(|branch| !branch.iter().any(|e| e.instance_path().as_str() == "/kind"));
            if let Some(branch) = own_kind {
                out.extend(branch.iter().map(show));
                continue;
            }
        }
        out.push(show(&error));
    }
    out
}

/// Validates every line of `path`; fails with the file, the line number and the
/// validator's paths. Returns the records.
pub(super) fn validate_file(path: &Path) -> Vec<Value> {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let record: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("{}:{}: not JSON: {e}", path.display(), i + 1));
        for error in errors(&record) {
            problems.push(format!(
                "{}:{} (kind {}): {error}",
                path.display(),
                i + 1,
                record["kind"]
            ));
        }
        out.push(record);
    }
    assert!(
        problems.is_empty(),
        "lines that do not match docs/schemas/dynameta-record.schema.json:\n{}",
        problems.join("\n")
    );
    out
}

/// The corpus (orders with GSI and LSI, users with TTL, an empty table, a dotted name,
/// nested shapes, filler) and a `customers` table of personal data, in `key`'s namespace.
fn seed(key: &str) {
    let (endpoint, key) = (dynamodb_local().endpoint.clone(), key.to_string());
    block_on(async move {
        let client = dynameta_testkit::client(&endpoint, &key, "us-east-1").await;
        corpus::seed(&client, 2).await;
        corpus::create_table(
            &client,
            "customers",
            ("customerId", ScalarAttributeType::S),
            None,
        )
        .await;
        corpus::put_items(
            &client,
            "customers",
            (0..60).map(corpus::customer_item).collect(),
        )
        .await;
    });
}

fn run(dir: &Path, command: &str, yaml: &str) {
    let wf = write(dir, &format!("{command}.yaml"), yaml);
    let run = dynameta(
        &[command, "-c", wf.to_str().unwrap(), "--log-format", "json"],
        &[],
    );
    assert_eq!(run.code, 0, "{command}: {}", run.output());
}

/// The records of an ingest, a profile and a classification of the corpus, all
/// validated line by line.
fn corpus_records() -> &'static [Value] {
    static RECORDS: OnceLock<Vec<Value>> = OnceLock::new();
    RECORDS.get_or_init(|| {
        let key = unique_access_key("record-schema");
        seed(&key);
        let dir = tempfile::tempdir().unwrap();
        let endpoint = &dynamodb_local().endpoint;
        let mut all = Vec::new();

        let out = dir.path().join("ingest.jsonl");
        let pipeline = "      includeTags: true\n      extractJsonSchema: true\n";
        run(
            dir.path(),
            "ingest",
            &workflow(endpoint, &key, "", pipeline, &out),
        );
        all.extend(validate_file(&out));

        let out = dir.path().join("profile.jsonl");
        run(
            dir.path(),
            "profile",
            &profile_workflow(endpoint, &key, "", "", &out),
        );
        all.extend(validate_file(&out));

        let out = dir.path().join("classify.jsonl");
        let pipeline = "      storeSampleData: true\n      sampleDataCount: 5\n";
        let yaml = WorkflowBuilder::new(endpoint, &key)
            .pipeline("AutoClassification")
            .source_lines(pipeline)
            .file_sink(&out)
            .yaml();
        run(dir.path(), "classify", &yaml);
        all.extend(validate_file(&out));
        all
    })
}

#[test]
fn every_line_of_ingest_profile_and_classify_matches_the_published_schema() {
    let records = corpus_records();
    // Every kind was exercised, so a kind the schema got wrong cannot pass unseen.
    for kind in [
        "createDatabaseService",
        "createDatabase",
        "createDatabaseSchema",
        "createTable",
        "tableListing",
        "dynamodbTable",
        "createTableProfile",
        "columnTags",
        "sampleData",
    ] {
        assert!(
            records.iter().any(|r| r["kind"] == kind),
            "the runs wrote no {kind} record"
        );
    }
}

/// The first record of `kind`.
fn first(kind: &str) -> Value {
    corpus_records()
        .iter()
        .find(|r| r["kind"] == kind)
        .cloned()
        .unwrap_or_else(|| panic!("no {kind} record"))
}

#[test]
fn mutated_lines_are_refused_with_the_path_of_what_is_wrong() {
    // `needle`: a part of the error that shows it points at what was changed.
    let refused = |what: &str, record: Value, needle: &str| {
        let found = errors(&record);
        assert!(!found.is_empty(), "{what} was accepted: {record}");
        assert!(
            found.iter().any(|e| e.contains(needle)),
            "{what}: no error names {needle}: {found:#?}"
        );
    };
    // Wrong type in an OpenMetadata payload (checked by OpenMetadata's own schema).
    let mut r = first("createTable");
    r["payload"]["name"] = json!(42);
    refused("a numeric table name", r, "/payload/name");
    // An unknown kind.
    let mut r = first("createTable");
    r["kind"] = json!("createTabel");
    refused("an unknown kind", r, "/oneOf");
    // A missing required field of dynameta's own part.
    let mut r = first("createTableProfile");
    r.as_object_mut().unwrap().remove("table");
    refused("a profile without its table", r, "\"table\"");
    let mut r = first("createTableProfile");
    r["dynamodb"].as_object_mut().unwrap().remove("itemsRead");
    refused("statistics without itemsRead", r, "\"itemsRead\"");
    // Wrong type and unknown field in dynameta's own structures.
    let mut r = first("dynamodbTable");
    r["sampling"]["itemsSampled"] = json!("many");
    refused("a textual item count", r, "/sampling/itemsSampled");
    let mut r = first("dynamodbTable");
    r["properties"]["surprise"] = json!(true);
    refused("an undocumented table property", r, "surprise");
    let mut r = corpus_records()
        .iter()
        .find(|r| {
            r["kind"] == "columnTags" && r["payload"].as_array().is_some_and(|p| !p.is_empty())
        })
        .cloned()
        .expect("a table with tagged columns");
    r["payload"][0]["confidence"] = json!("high");
    refused("a textual confidence", r, "/payload/0/confidence");
    let mut r = first("sampleData");
    r["payload"]["rows"] = json!("not rows");
    refused("sample rows that are not a list", r, "/payload/rows");
    // And the records as written pass (the controls changed only what they say).
    for kind in [
        "createTable",
        "createTableProfile",
        "dynamodbTable",
        "columnTags",
    ] {
        assert_eq!(errors(&first(kind)), Vec::<String>::new(), "{kind}");
    }
}

/// A profile read from an S3 export carries `dynamodb.export`; the schema describes it
/// with a mirror of `ExportRead` (the sink layer may not use the workflow's type), so
/// this keeps the two equal: a field added, removed or retyped fails here.
#[test]
fn the_export_part_of_a_profile_matches_the_schema() {
    for export_time in [Some("2026-11-29T10:00:00.000Z".to_string()), None] {
        let export = dynameta::processors::profiler::ExportRead {
            export: "arn:aws:dynamodb:us-east-1:123456789012:table/orders/export/01".into(),
            export_time,
            items_in_export: 1500,
            files: 3,
            files_read: 2,
            gzip_bytes: 1 << 20,
            json_bytes: 5 << 20,
        };
        let mut r = first("createTableProfile");
        r["dynamodb"]["export"] = serde_json::to_value(&export).unwrap();
        assert_eq!(
            errors(&r),
            Vec::<String>::new(),
            "{}",
            r["dynamodb"]["export"]
        );
    }
    let mut r = first("createTableProfile");
    r["dynamodb"]["export"] = json!({"export": "x", "filesRead": 1});
    assert!(!errors(&r).is_empty(), "an incomplete export was accepted");
}

/// Every line real runs write reads back into its typed record (what `publish --from`
/// and `show --from` do) and is written again byte for byte: the typed records are the
/// whole format, nothing a run writes is lost or reordered on the way back.
#[test]
fn every_line_reads_back_into_its_typed_record_and_writes_the_same_bytes() {
    for record in corpus_records() {
        let line = record.to_string();
        let typed: dynameta::sinks::Record = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("{} does not read back: {e}\n{line}", record["kind"]));
        let again = serde_json::to_string(&typed).unwrap();
        assert_eq!(again, line, "{} changed on the way back", record["kind"]);
    }
}

/// Tag labels are OpenMetadata's `TagLabel` type, not JSON: a `columnTags` line (or a
/// table's `tags`) whose label is outside OpenMetadata's schema — an unknown field, a
/// label type of another spelling, a missing state — does not read back (`publish
/// --from`, `show --from`), as the server would refuse it.
#[test]
fn a_tag_label_outside_openmetadatas_schema_does_not_read_back() {
    let good = corpus_records()
        .iter()
        .find(|r| r["kind"] == "columnTags" && r["payload"][0]["tags"][0].is_object())
        .cloned()
        .expect("a columnTags line with a label");
    let read = |line: &Value| serde_json::from_str::<dynameta::sinks::Record>(&line.to_string());
    assert!(read(&good).is_ok());
    let breaks: [fn(&mut Value); 4] = [
        |l| l["extra"] = json!(1),
        |l| l["labelType"] = json!("generated"),
        |l| l["source"] = json!("Tags"),
        |l| {
            l.as_object_mut().unwrap().remove("state");
        },
    ];
    for (i, break_it) in breaks.iter().enumerate() {
        let mut bad = good.clone();
        break_it(&mut bad["payload"][0]["tags"][0]);
        assert!(read(&bad).is_err(), "broken label {i} read back: {bad}");
    }
}
