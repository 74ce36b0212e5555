//! Reading a DynamoDB export to S3 (`ExportTableToPointInTime`, `DYNAMODB_JSON`) as
//! AWS documents its layout: `<prefix>/AWSDynamoDB/<exportId>/manifest-summary.json`,
//! `manifest-files.json` (one JSON object per line: `dataFileS3Key`, `itemCount`, …) and
//! gzip'd data files of lines `{"Item": {...}}` in DynamoDB JSON. Data files are read
//! in parallel, each streamed from S3 through a gzip decoder line by line (memory stays
//! flat whatever their size), every item folded into per-file state. Only reads: the
//! export's S3 objects (`s3:GetObject`) and, for an ARN, `dynamodb:DescribeExport`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine;
use futures_util::stream::{self, StreamExt};
use md5::Digest;
use serde::Deserialize;

use crate::aws::{describe_sdk_error, Connection};
use crate::config::ExportRef;
use dynameta_fs::input::{read_line, LineRead};

/// An export whose manifests were read.
#[derive(Debug, Clone)]
pub struct Export {
    /// What the workflow gave (ARN or folder URL).
    pub reference: String,
    /// S3 bucket.
    pub bucket: String,
    /// The export's folder (key prefix ending in `/`).
    pub prefix: String,
    /// The point in time the export is of (`exportTime`).
    pub export_time: Option<String>,
    /// Items in the export, from the summary (else the data files' counts).
    pub item_count: u64,
    /// The data files, in manifest order.
    pub files: Vec<DataFile>,
}

/// One data file of an export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataFile {
    /// S3 key.
    pub key: String,
    /// Items it holds, from the manifest.
    pub item_count: u64,
    /// Base64 of the MD5 of the object as stored (gzip'd), from the manifest's
    /// `md5Checksum`; checked when the file is read.
    pub md5: Option<String>,
}

/// What reading some of an export's data files did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExportStats {
    /// Items read.
    pub items: u64,
    /// Data files read.
    pub files: u64,
    /// Bytes downloaded (gzip'd).
    pub gzip_bytes: u64,
    /// Bytes of DynamoDB JSON after decompression.
    pub json_bytes: u64,
    /// Wall time.
    pub elapsed: Duration,
}

/// Why an export could not be read, with where and how to fix it.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ExportError {
    /// An AWS call failed.
    #[error("{operation} of export {reference} ({target}) failed: {failure}{hint}")]
    Call {
        /// `DescribeExport` or `GetObject`.
        operation: &'static str,
        /// The export as configured.
        reference: String,
        /// ARN or `s3://bucket/key`.
        target: String,
        /// Code and message (`Code: message`).
        failure: String,
        /// The call was denied (a missing IAM permission).
        denied: bool,
        /// The fix, when known.
        hint: String,
    },
    /// The export cannot be profiled as it is.
    #[error("connectionArguments.exports.{table}: {problem}")]
    Unusable {
        /// The table.
        table: String,
        /// What is wrong, and the fix.
        problem: String,
    },
    /// A manifest or data file is not what AWS writes.
    #[error("export {reference}: {key}{line}: {problem}; the export is incomplete or was changed — export the table again")]
    Corrupt {
        /// The export as configured.
        reference: String,
        /// `s3://bucket/key`.
        key: String,
        /// ` line N`, when known.
        line: String,
        /// What is wrong.
        problem: String,
    },
}

fn call_error<E>(
    operation: &'static str,
    reference: &str,
    target: String,
    err: &aws_smithy_runtime_api::client::result::SdkError<
        E,
        aws_smithy_runtime_api::http::Response,
    >,
) -> ExportError
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    let failure = describe_sdk_error(err);
    let hint = if failure.is_access_denied() {
        match operation {
            "DescribeExport" => ". Grant `dynamodb:DescribeExport` on the export, or give its s3:// folder instead".to_string(),
            _ => ". Grant `s3:GetObject` on the export's objects (and `kms:Decrypt` for an SSE-KMS export)".to_string(),
        }
    } else if failure.code == "NoSuchKey" || failure.code == "NoSuchBucket" {
        ". Check the bucket and folder in connectionArguments.exports (the folder that holds manifest-summary.json)".to_string()
    } else if failure.code == "ConnectionError" || failure.code == "Timeout" {
        ". Check connectionArguments.s3EndpointURL / network access to S3".to_string()
    } else {
        String::new()
    };
    ExportError::Call {
        operation,
        reference: reference.to_string(),
        target,
        failure: failure.to_string(),
        denied: failure.is_access_denied(),
        hint,
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Summary {
    table_arn: Option<String>,
    export_time: Option<String>,
    item_count: Option<u64>,
    output_format: Option<String>,
    export_type: Option<String>,
    manifest_files_s3_key: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ManifestLine {
    data_file_s3_key: String,
    item_count: u64,
    #[serde(default)]
    md5_checksum: Option<String>,
}

/// The most bytes of `manifest-summary.json`: AWS writes about 1 KB.
pub const MAX_SUMMARY_BYTES: u64 = 1 << 20;
/// The most bytes of `manifest-files.json`: a line of about 250 bytes per data file,
/// and an export writes about one data file per partition, so 64 MiB holds some
/// 250 000 data files (a table of petabytes).
pub const MAX_FILES_MANIFEST_BYTES: u64 = 64 << 20;
/// The longest line of a data file: 8 MiB. A DynamoDB item is at most 400 KB, counted
/// as the bytes of its names and values; in DynamoDB JSON the widest it can get is a
/// list of NULLs (1 byte each, `{"NULL":true},` 14 bytes), 5.6 MB, and other values
/// grow less (base64 binaries 4/3, escaped control characters 6x). A longer line is
/// not an item, and a data file read line by line holds at most one such line (per
/// `exportWorkers`), whatever it decompresses to.
pub const MAX_LINE_BYTES: usize = 8 << 20;

/// Finds the export of `table` (DescribeExport for an ARN) and reads its manifests.
pub async fn open(
    connection: &Connection,
    table: &str,
    reference: &ExportRef,
    text: &str,
) -> Result<Export, ExportError> {
    let unusable = |problem: String| ExportError::Unusable {
        table: table.to_string(),
        problem,
    };
    let (bucket, prefix) = match reference {
        ExportRef::Folder { bucket, prefix } => (bucket.clone(), prefix.clone()),
        ExportRef::Arn(arn) => {
            let out = connection
                .dynamodb
                .describe_export()
                .export_arn(arn)
                .send()
                .await
                .map_err(|e| call_error("DescribeExport", text, arn.clone(), &e))?;
            let d = out
                .export_description
                .ok_or_else(|| unusable("DescribeExport returned no description".into()))?;
            let status = d.export_status.as_ref().map(|s| s.as_str().to_string());
            if status.as_deref() != Some("COMPLETED") {
                return Err(unusable(format!(
                    "the export is {}, not COMPLETED; wait for it to finish (or give a completed one)",
                    status.unwrap_or_else(|| "of unknown status".into())
                )));
            }
            let bucket = d
                .s3_bucket
                .ok_or_else(|| unusable("DescribeExport gives no S3 bucket".into()))?;
            let prefix = match d.export_manifest {
                Some(manifest) => manifest
                    .strip_suffix("manifest-summary.json")
                    .unwrap_or(&manifest)
                    .to_string(),
                // AWS's layout: <S3Prefix>/AWSDynamoDB/<exportId>/, the id ending the ARN.
                None => {
                    let id = arn.rsplit('/').next().unwrap_or_default();
                    match d.s3_prefix.as_deref().map(|p| p.trim_end_matches('/')) {
                        Some(p) if !p.is_empty() => format!("{p}/AWSDynamoDB/{id}/"),
                        _ => format!("AWSDynamoDB/{id}/"),
                    }
                }
            };
            (bucket, prefix)
        }
    };
    let summary_key = format!("{prefix}manifest-summary.json");
    let corrupt = |key: &str, problem: String| ExportError::Corrupt {
        reference: text.to_string(),
        key: format!("s3://{bucket}/{key}"),
        line: String::new(),
        problem,
    };
    let bytes = get_small(connection, text, &bucket, &summary_key, MAX_SUMMARY_BYTES).await?;
    let summary: Summary = serde_json::from_slice(&bytes)
        .map_err(|e| corrupt(&summary_key, format!("not a manifest summary: {e}")))?;
    if let Some(format) = summary
        .output_format
        .as_deref()
        .filter(|f| *f != "DYNAMODB_JSON")
    {
        return Err(unusable(format!(
            "the export is in {format}; dynameta reads DYNAMODB_JSON exports (export with ExportFormat DYNAMODB_JSON)"
        )));
    }
    if let Some(kind) = summary
        .export_type
        .as_deref()
        .filter(|t| *t != "FULL_EXPORT")
    {
        return Err(unusable(format!(
            "the export is an {kind}; only a FULL_EXPORT holds every item of the table"
        )));
    }
    if let Some(arn) = &summary.table_arn {
        if arn.rsplit('/').next() != Some(table) {
            return Err(unusable(format!(
                "the export is of {arn}, not of table {table}; map each table to its own export"
            )));
        }
    }
    let files_key = summary
        .manifest_files_s3_key
        .clone()
        .unwrap_or_else(|| format!("{prefix}manifest-files.json"));
    let bytes = get_small(
        connection,
        text,
        &bucket,
        &files_key,
        MAX_FILES_MANIFEST_BYTES,
    )
    .await?;
    let mut files = Vec::new();
    for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let entry: ManifestLine =
            serde_json::from_slice(line).map_err(|e| ExportError::Corrupt {
                reference: text.to_string(),
                key: format!("s3://{bucket}/{files_key}"),
                line: format!(" line {}", i + 1),
                problem: format!("not a manifest entry: {e}"),
            })?;
        files.push(DataFile {
            key: entry.data_file_s3_key,
            item_count: entry.item_count,
            md5: entry.md5_checksum,
        });
    }
    // The summary's count and the files' counts are written by the same export: when
    // they differ, manifest-files.json was cut or changed, and the data files it lists
    // are not the whole table.
    let listed = files
        .iter()
        .try_fold(0u64, |sum, f| sum.checked_add(f.item_count))
        .ok_or_else(|| {
            corrupt(
                &files_key,
                "the data files' itemCount values add up to more than 2^64".into(),
            )
        })?;
    if let Some(summary_count) = summary.item_count.filter(|n| *n != listed) {
        return Err(corrupt(
            &files_key,
            format!(
                "its {} data files hold {listed} items (their itemCount), but manifest-summary.json says the export has {summary_count}: the file list is cut or changed",
                files.len()
            ),
        ));
    }
    Ok(Export {
        reference: text.to_string(),
        bucket,
        prefix,
        export_time: summary.export_time,
        item_count: summary.item_count.unwrap_or(listed),
        files,
    })
}

/// A small object (a manifest), whole, if it has at most `cap` bytes: refused before
/// the download when S3 gives its size, and the download stops past `cap` otherwise.
async fn get_small(
    connection: &Connection,
    reference: &str,
    bucket: &str,
    key: &str,
    cap: u64,
) -> Result<Vec<u8>, ExportError> {
    let target = format!("s3://{bucket}/{key}");
    let out = connection
        .s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| call_error("GetObject", reference, target.clone(), &e))?;
    let corrupt = |problem: String| ExportError::Corrupt {
        reference: reference.to_string(),
        key: target.clone(),
        line: String::new(),
        problem,
    };
    let too_large = |len: u64| {
        corrupt(format!(
            "{len} bytes, more than the {cap} bytes a manifest of a DynamoDB export has"
        ))
    };
    let claimed = out.content_length.unwrap_or(0).max(0) as u64;
    if claimed > cap {
        return Err(too_large(claimed));
    }
    let mut body = out.body;
    let mut bytes = Vec::with_capacity(claimed as usize);
    while let Some(chunk) = body
        .try_next()
        .await
        .map_err(|e| corrupt(format!("the download broke off: {e}")))?
    {
        if (bytes.len() + chunk.len()) as u64 > cap {
            return Err(too_large((bytes.len() + chunk.len()) as u64));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// Folds every item of the data files `chosen` (indexes into `export.files`) into one
/// state per file, `workers` files at a time. Each file must hold the items its
/// manifest entry says (else the export is incomplete: an error).
pub async fn read<S: Default + Send + 'static>(
    connection: &Connection,
    export: &Export,
    chosen: &[u32],
    workers: usize,
    observe: fn(&mut S, &HashMap<String, AttributeValue>),
) -> Result<(Vec<S>, ExportStats), ExportError> {
    read_with(
        connection,
        export,
        chosen,
        workers,
        std::sync::Arc::new(S::default),
        observe,
    )
    .await
}

/// [`read`] with fold states made by `new_state` instead of `S::default()` (a
/// data-quality state is built from its plan), as [`super::scan_with`] is to
/// [`super::scan`].
pub async fn read_with<S: Send + 'static>(
    connection: &Connection,
    export: &Export,
    chosen: &[u32],
    workers: usize,
    new_state: super::NewState<S>,
    observe: fn(&mut S, &HashMap<String, AttributeValue>),
) -> Result<(Vec<S>, ExportStats), ExportError> {
    let started = Instant::now();
    let new_state = &new_state;
    let results: Vec<Result<(S, ExportStats), ExportError>> = stream::iter(chosen.iter())
        .map(|&i| async move {
            let file = export
                .files
                .get(i as usize)
                .ok_or_else(|| ExportError::Corrupt {
                    reference: export.reference.clone(),
                    key: format!("s3://{}/{}", export.bucket, export.prefix),
                    line: String::new(),
                    problem: format!("no data file {i} in the manifest"),
                })?;
            read_file(connection, export, file, new_state.clone(), observe).await
        })
        .buffer_unordered(workers.max(1))
        .collect()
        .await;
    let mut states = Vec::with_capacity(results.len());
    let mut total = ExportStats::default();
    for r in results {
        let (state, stats) = r?;
        states.push(state);
        total.items += stats.items;
        total.files += stats.files;
        total.gzip_bytes += stats.gzip_bytes;
        total.json_bytes += stats.json_bytes;
    }
    total.elapsed = started.elapsed();
    Ok((states, total))
}

async fn read_file<S: Send + 'static>(
    connection: &Connection,
    export: &Export,
    file: &DataFile,
    new_state: super::NewState<S>,
    observe: fn(&mut S, &HashMap<String, AttributeValue>),
) -> Result<(S, ExportStats), ExportError> {
    let target = format!("s3://{}/{}", export.bucket, file.key);
    let out = connection
        .s3
        .get_object()
        .bucket(&export.bucket)
        .key(&file.key)
        .send()
        .await
        .map_err(|e| call_error("GetObject", &export.reference, target.clone(), &e))?;
    let gzip_bytes = out.content_length.unwrap_or(0).max(0) as u64;
    if gzip_bytes == 0 && file.item_count == 0 && file.md5.as_deref().is_none_or(|m| m == EMPTY_MD5)
    {
        // An empty partition's file may be empty (not even a gzip header).
        return Ok((
            new_state(),
            ExportStats {
                files: 1,
                ..ExportStats::default()
            },
        ));
    }
    let body: std::pin::Pin<Box<dyn tokio::io::AsyncRead + Send>> =
        Box::pin(out.body.into_async_read());
    let (reference, expected, md5) = (export.reference.clone(), file.item_count, file.md5.clone());
    let handle = tokio::runtime::Handle::current();
    // Decompressing and parsing are CPU work: off the async workers, on a blocking
    // thread that pulls the download through a bridge as it decodes.
    tokio::task::spawn_blocking(move || {
        let corrupt = |line: usize, problem: String| ExportError::Corrupt {
            reference: reference.clone(),
            key: target.clone(),
            line: if line > 0 {
                format!(" line {line}")
            } else {
                String::new()
            },
            problem,
        };
        let bridge = tokio_util::io::SyncIoBridge::new_with_handle(body, handle);
        let hashed = Md5Reader {
            inner: bridge,
            md5: md5::Md5::new(),
        };
        let gz = flate2::bufread::MultiGzDecoder::new(std::io::BufReader::with_capacity(
            256 * 1024,
            hashed,
        ));
        let mut lines = std::io::BufReader::with_capacity(256 * 1024, gz);
        let mut state = new_state();
        let mut stats = ExportStats {
            files: 1,
            gzip_bytes,
            ..ExportStats::default()
        };
        let mut buf = Vec::new();
        let mut n = 0usize;
        loop {
            buf.clear();
            let read = match read_line(&mut lines, &mut buf, MAX_LINE_BYTES)
                .map_err(|e| corrupt(n + 1, format!("cannot read or decompress: {e}")))?
            {
                LineRead::End => break,
                LineRead::Read(read) => read,
                LineRead::TooLong => {
                    return Err(corrupt(
                        n + 1,
                        format!(
                            "longer than {MAX_LINE_BYTES} bytes without a line break, more than any DynamoDB item (at most 400 KB) takes in DynamoDB JSON"
                        ),
                    ))
                }
            };
            n += 1;
            stats.json_bytes += read as u64;
            if buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let item = parse_line(&buf).map_err(|e| corrupt(n, e))?;
            observe(&mut state, &item);
            stats.items += 1;
        }
        // The whole object goes through the hash, also what the decoder left unread.
        let mut raw = lines.into_inner().into_inner();
        std::io::copy(&mut raw, &mut std::io::sink())
            .map_err(|e| corrupt(0, format!("cannot read: {e}")))?;
        let digest = base64::engine::general_purpose::STANDARD
            .encode(raw.into_inner().md5.finalize());
        if let Some(listed) = md5.filter(|m| *m != digest) {
            return Err(corrupt(
                0,
                format!(
                    "its MD5 is {digest}, but manifest-files.json says {listed} (md5Checksum): the object was changed or replaced"
                ),
            ));
        }
        if stats.items != expected {
            return Err(corrupt(
                0,
                format!(
                    "{} items, but manifest-files.json says {expected}",
                    stats.items
                ),
            ));
        }
        Ok((state, stats))
    })
    .await
    .map_err(|e| ExportError::Corrupt {
        reference: export.reference.clone(),
        key: format!("s3://{}/{}", export.bucket, file.key),
        line: String::new(),
        problem: format!("the reader stopped: {e}"),
    })?
}

/// Base64 of the MD5 of no bytes: what an empty data file's `md5Checksum` is.
const EMPTY_MD5: &str = "1B2M2Y8AsgTpgAmY7PhCfg==";

/// Passes the bytes of a download through, hashing them: AWS lists each data file's
/// MD5 (of the object as stored, gzip'd) in manifest-files.json.
struct Md5Reader<R> {
    inner: R,
    md5: md5::Md5,
}

impl<R: std::io::Read> std::io::Read for Md5Reader<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(out)?;
        self.md5.update(&out[..n]);
        Ok(n)
    }
}

/// DynamoDB JSON, as the export writes it: one key naming the type. The SDK's
/// `AttributeValue` has no serde support, so this wire form is decoded here (it is the
/// documented export format, not a general-purpose codec).
#[derive(Deserialize)]
enum Wire {
    S(String),
    N(String),
    B(String),
    #[serde(rename = "BOOL")]
    Bool(bool),
    #[serde(rename = "NULL")]
    Null(bool),
    #[serde(rename = "SS")]
    Ss(Vec<String>),
    #[serde(rename = "NS")]
    Ns(Vec<String>),
    #[serde(rename = "BS")]
    Bs(Vec<String>),
    L(Vec<Wire>),
    M(HashMap<String, Wire>),
}

#[derive(Deserialize)]
struct Line {
    #[serde(rename = "Item")]
    item: HashMap<String, Wire>,
}

fn blob(text: &str) -> Result<Blob, String> {
    base64::engine::general_purpose::STANDARD
        .decode(text.as_bytes())
        .map(Blob::new)
        .map_err(|e| format!("a binary value is not base64: {e}"))
}

fn value(wire: Wire) -> Result<AttributeValue, String> {
    Ok(match wire {
        Wire::S(s) => AttributeValue::S(s),
        Wire::N(n) => AttributeValue::N(n),
        Wire::B(b) => AttributeValue::B(blob(&b)?),
        Wire::Bool(b) => AttributeValue::Bool(b),
        Wire::Null(b) => AttributeValue::Null(b),
        Wire::Ss(v) => AttributeValue::Ss(v),
        Wire::Ns(v) => AttributeValue::Ns(v),
        Wire::Bs(v) => AttributeValue::Bs(v.iter().map(|b| blob(b)).collect::<Result<_, _>>()?),
        Wire::L(v) => AttributeValue::L(v.into_iter().map(value).collect::<Result<_, _>>()?),
        Wire::M(m) => AttributeValue::M(
            m.into_iter()
                .map(|(k, v)| Ok((k, value(v)?)))
                .collect::<Result<_, String>>()?,
        ),
    })
}

/// One data file line, `{"Item": {...}}`, as an item.
pub fn parse_line(line: &[u8]) -> Result<HashMap<String, AttributeValue>, String> {
    let line: Line =
        serde_json::from_slice(line).map_err(|e| format!("not an item in DynamoDB JSON: {e}"))?;
    line.item
        .into_iter()
        .map(|(k, v)| Ok((k, value(v)?)))
        .collect()
}

/// An item in DynamoDB JSON as the export writes it (`{"Item": {...}}`): for tests
/// and fixtures that must match [`parse_line`].
pub fn item_line(item: &HashMap<String, AttributeValue>) -> String {
    fn wire(v: &AttributeValue) -> serde_json::Value {
        use serde_json::json;
        let b64 = |b: &Blob| base64::engine::general_purpose::STANDARD.encode(b.as_ref());
        match v {
            AttributeValue::S(s) => json!({"S": s}),
            AttributeValue::N(n) => json!({"N": n}),
            AttributeValue::B(b) => json!({"B": b64(b)}),
            AttributeValue::Bool(b) => json!({"BOOL": b}),
            AttributeValue::Null(b) => json!({"NULL": b}),
            AttributeValue::Ss(v) => json!({"SS": v}),
            AttributeValue::Ns(v) => json!({"NS": v}),
            AttributeValue::Bs(v) => json!({"BS": v.iter().map(b64).collect::<Vec<_>>()}),
            AttributeValue::L(v) => json!({"L": v.iter().map(wire).collect::<Vec<_>>()}),
            AttributeValue::M(m) => {
                json!({"M": m.iter().map(|(k, v)| (k.clone(), wire(v))).collect::<serde_json::Map<_, _>>()})
            }
            _ => json!({"NULL": true}),
        }
    }
    let fields: serde_json::Map<String, serde_json::Value> =
        item.iter().map(|(k, v)| (k.clone(), wire(v))).collect();
    serde_json::json!({ "Item": fields }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn any_value() -> impl Strategy<Value = AttributeValue> {
        let leaf = prop_oneof![
            ".{0,20}".prop_map(AttributeValue::S),
            (any::<i64>(), 0u32..6).prop_map(|(m, s)| AttributeValue::N(format!("{m}E-{s}"))),
            proptest::collection::vec(any::<u8>(), 0..20)
                .prop_map(|b| AttributeValue::B(Blob::new(b))),
            any::<bool>().prop_map(AttributeValue::Bool),
            Just(AttributeValue::Null(true)),
            proptest::collection::vec(".{0,5}", 1..4).prop_map(AttributeValue::Ss),
            proptest::collection::vec("[0-9]{1,5}", 1..4).prop_map(AttributeValue::Ns),
            proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..5), 1..3)
                .prop_map(|v| AttributeValue::Bs(v.into_iter().map(Blob::new).collect())),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(AttributeValue::L),
                proptest::collection::hash_map(".{0,6}", inner, 0..4).prop_map(AttributeValue::M),
            ]
        })
    }

    proptest! {
        #[test]
        fn items_read_back_as_written(item in proptest::collection::hash_map(".{1,8}", any_value(), 0..6)) {
            prop_assert_eq!(parse_line(item_line(&item).as_bytes()).unwrap(), item);
        }

        #[test]
        fn any_line_parses_or_fails_without_panicking(line in ".{0,120}") {
            let _ = parse_line(line.as_bytes());
        }
    }

    /// Endless bytes without a line break, as a gzip bomb decompresses to.
    struct NoBreak(u64);

    impl std::io::Read for NoBreak {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = (out.len() as u64).min(self.0) as usize;
            out[..n].fill(b'x');
            self.0 -= n as u64;
            Ok(n)
        }
    }

    #[test]
    fn a_line_without_end_is_refused_within_the_cap() {
        // 64 MiB without a line break: the buffer stops at the cap (read_until would
        // have grown to 64 MiB).
        let mut input = std::io::BufReader::with_capacity(64 * 1024, NoBreak(64 << 20));
        let mut buf = Vec::new();
        assert_eq!(
            read_line(&mut input, &mut buf, MAX_LINE_BYTES).unwrap(),
            LineRead::TooLong
        );
        assert!(buf.capacity() <= 2 * MAX_LINE_BYTES, "{}", buf.capacity());
        // Through gzip: 1 GiB of one line compresses to about 1 MiB.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::copy(&mut NoBreak(256 << 20), &mut gz).unwrap();
        let bomb = gz.finish().unwrap();
        assert!(bomb.len() < 2 << 20, "{}", bomb.len());
        let mut input = std::io::BufReader::new(flate2::bufread::MultiGzDecoder::new(&bomb[..]));
        let mut buf = Vec::new();
        assert_eq!(
            read_line(&mut input, &mut buf, MAX_LINE_BYTES).unwrap(),
            LineRead::TooLong
        );
        assert!(buf.capacity() <= 2 * MAX_LINE_BYTES, "{}", buf.capacity());
    }

    #[test]
    fn lines_are_read_whole_up_to_the_cap() {
        let text = b"ab\ncdef\n\nlast";
        let mut input = std::io::BufReader::with_capacity(3, &text[..]);
        let mut lines = Vec::new();
        loop {
            let mut buf = Vec::new();
            match read_line(&mut input, &mut buf, 4).unwrap() {
                LineRead::End => break,
                LineRead::Read(n) => {
                    assert_eq!(n, buf.len());
                    lines.push(String::from_utf8(buf).unwrap());
                }
                LineRead::TooLong => panic!("too long"),
            }
        }
        assert_eq!(lines, ["ab\n", "cdef\n", "\n", "last"]);
        let mut input = std::io::BufReader::with_capacity(2, &b"abcde\n"[..]);
        let mut buf = Vec::new();
        assert_eq!(
            read_line(&mut input, &mut buf, 4).unwrap(),
            LineRead::TooLong
        );
    }

    #[test]
    fn the_md5_of_no_bytes_is_what_aws_lists_for_an_empty_file() {
        let digest = md5::Md5::new().finalize();
        assert_eq!(
            base64::engine::general_purpose::STANDARD.encode(digest),
            EMPTY_MD5
        );
    }

    #[test]
    fn the_documented_example_line_parses() {
        let line = br#"{"Item":{"Authors":{"SS":["Author1","Author2"]},"Dimensions":{"S":"8.5 x 11.0 x 1.5"},"ISBN":{"S":"333-3333333333"},"Id":{"N":"103"},"InPublication":{"BOOL":false},"PageCount":{"N":"600"},"Price":{"N":"2000"},"ProductCategory":{"S":"Book"},"Title":{"S":"Book 103 Title"}}}"#;
        let item = parse_line(line).unwrap();
        assert_eq!(item["Id"], AttributeValue::N("103".into()));
        assert_eq!(item["InPublication"], AttributeValue::Bool(false));
        assert_eq!(item.len(), 9);
        assert!(parse_line(br#"{"Item":{"x":{"B":"not base64!"}}}"#)
            .unwrap_err()
            .contains("base64"));
        assert!(parse_line(br#"{"Item":{"x":{"Q":"1"}}}"#).is_err());
    }
}
