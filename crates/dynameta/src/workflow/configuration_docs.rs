//! docs/configuration.md is tied to the options that exist: every key a workflow file
//! can set and dynameta reads is documented there, and every key the reference
//! documents exists. (The keys OpenMetadata's schema allows and dynameta accepts
//! without reading are not listed; the reference says so.)

use std::collections::BTreeSet;

use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use crate::config::{
    AutoClassificationPipeline, AwsConfig, ConnectionArguments, DynamoDbConnection, FilterPattern,
    MetadataPipeline, OpenMetadataServerConfig, ProfilerPipeline, RawSource, RawWorkflow,
    RawWorkflowConfig,
};
use crate::sinks::file::FileSinkConfig;
use crate::sinks::local::LocalSinkConfig;
use crate::sinks::openmetadata::RestSinkOptions;
use crate::sinks::SINK_TYPES;

const DOC: &str = include_str!("../../../../docs/configuration.md");

/// The keys of a `deny_unknown_fields` struct, read off serde's own error for an
/// unknown key ("expected one of `a`, `b`"): the list serde derives, never a copy.
fn keys_of<T: DeserializeOwned>() -> Vec<String> {
    let err = match serde_json::from_value::<T>(json!({"__not_a_key__": 0})) {
        Ok(_) => panic!("{} accepts unknown keys", std::any::type_name::<T>()),
        Err(e) => e.to_string(),
    };
    let list = err
        .split_once("expected one of ")
        .or_else(|| err.split_once("expected "))
        .map(|(_, rest)| rest)
        .unwrap_or_else(|| panic!("unexpected serde message: {err}"));
    list.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// The keys of `T` that dynameta reads: those whose type refuses a value of the wrong
/// shape at that key (an accepted-and-ignored key takes anything).
fn read_keys_of<T: DeserializeOwned>() -> Vec<String> {
    keys_of::<T>()
        .into_iter()
        .filter(|k| {
            let probe: Value = json!({ k.as_str(): [[[true]]] });
            match serde_path_to_error::deserialize::<_, T>(probe) {
                Ok(_) => false,
                Err(e) => e.path().to_string().split('.').next() == Some(k.as_str()),
            }
        })
        .collect()
}

/// Every word inside backticks in the reference, split at `.`, `{`, `}`, `,`, `/`
/// and spaces (`sourceConfig.config.{table,schema}FilterPattern` names four words).
fn documented_words() -> BTreeSet<String> {
    let mut words = BTreeSet::new();
    for quoted in DOC.split('`').skip(1).step_by(2) {
        // `{a,b}Suffix` stands for aSuffix and bSuffix.
        let expanded: Vec<String> = match (quoted.find('{'), quoted.find('}')) {
            (Some(open), Some(close)) if open < close => quoted[open + 1..close]
                .split(',')
                .map(|alt| format!("{}{alt}{}", &quoted[..open], &quoted[close + 1..]))
                .collect(),
            _ => vec![quoted.to_string()],
        };
        for text in expanded {
            for word in text.split(['.', ',', '/', ' ', ':', '=']) {
                if !word.is_empty() {
                    words.insert(word.to_string());
                }
            }
        }
    }
    words
}

/// Every key name the reference's tables list in their first column.
fn listed_keys() -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    for line in DOC.lines() {
        let Some(cell) = line
            .strip_prefix('|')
            .and_then(|rest| rest.split('|').next())
        else {
            continue;
        };
        for quoted in cell.split('`').skip(1).step_by(2) {
            let last = quoted.rsplit('.').next().unwrap_or(quoted);
            let expanded: Vec<String> = match (last.find('{'), last.find('}')) {
                (Some(open), Some(close)) if open < close => last[open + 1..close]
                    .split(',')
                    .map(|alt| format!("{}{alt}{}", &last[..open], &last[close + 1..]))
                    .collect(),
                _ => last.split(", ").map(str::to_string).collect(),
            };
            for key in expanded {
                for key in key.split(" / ") {
                    keys.insert(key.trim().to_string());
                }
            }
        }
    }
    keys
}

fn all_read_keys() -> Vec<(&'static str, Vec<String>)> {
    vec![
        ("source", read_keys_of::<RawSource>()),
        (
            "serviceConnection.config",
            read_keys_of::<DynamoDbConnection>(),
        ),
        ("awsConfig", read_keys_of::<AwsConfig>()),
        ("connectionArguments", read_keys_of::<ConnectionArguments>()),
        ("DatabaseMetadata", read_keys_of::<MetadataPipeline>()),
        ("Profiler", read_keys_of::<ProfilerPipeline>()),
        (
            "AutoClassification",
            read_keys_of::<AutoClassificationPipeline>(),
        ),
        ("workflowConfig", read_keys_of::<RawWorkflowConfig>()),
        (
            "openMetadataServerConfig",
            read_keys_of::<OpenMetadataServerConfig>(),
        ),
        ("sink file", keys_of::<FileSinkConfig>()),
        ("sink local", keys_of::<LocalSinkConfig>()),
        ("sink metadata-rest", keys_of::<RestSinkOptions>()),
        ("filter patterns", keys_of::<FilterPattern>()),
    ]
}

#[test]
fn every_key_dynameta_reads_is_in_docs_configuration_md() {
    let words = documented_words();
    let mut missing = Vec::new();
    for (section, keys) in all_read_keys() {
        assert!(!keys.is_empty(), "{section}: no keys found");
        for key in keys {
            if !words.contains(&key) {
                missing.push(format!("{section}: {key}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "keys dynameta reads but docs/configuration.md does not document:\n{}",
        missing.join("\n")
    );
}

#[test]
fn every_key_docs_configuration_md_lists_exists() {
    let mut known: BTreeSet<String> = BTreeSet::new();
    for (_, keys) in all_read_keys() {
        known.extend(keys);
    }
    // Accepted keys the reference describes as having no effect, and the structure.
    for keys in [
        keys_of::<RawWorkflow>(),
        keys_of::<RawSource>(),
        keys_of::<DynamoDbConnection>(),
        keys_of::<AwsConfig>(),
        keys_of::<MetadataPipeline>(),
        keys_of::<ProfilerPipeline>(),
        keys_of::<AutoClassificationPipeline>(),
        keys_of::<RawWorkflowConfig>(),
    ] {
        known.extend(keys);
    }
    known.extend(SINK_TYPES.iter().map(|s| s.to_string()));
    known.extend(["config".to_string(), "type".to_string()]);
    let unknown: Vec<String> = listed_keys()
        .into_iter()
        .filter(|k| !known.contains(k))
        .collect();
    assert!(
        unknown.is_empty(),
        "docs/configuration.md lists keys no workflow can set: {unknown:?}"
    );
}

#[test]
fn the_probe_tells_read_keys_from_ignored_ones() {
    let read = read_keys_of::<MetadataPipeline>();
    assert!(read.contains(&"threads".to_string()), "{read:?}");
    assert!(!read.contains(&"includeViews".to_string()), "{read:?}");
    assert!(
        !read.contains(&"jsonSchemaSampleSize".to_string()),
        "{read:?}"
    );
    // The reference's tables are read: a key renamed in the code shows up as unknown.
    let listed = listed_keys();
    for key in [
        "sampleSize",
        "awsRegion",
        "successThreshold",
        "threads",
        "loggerLevel",
    ] {
        assert!(listed.contains(key), "{key} not found in {listed:?}");
    }
    assert!(!listed.contains("sampleSizes"));
}
