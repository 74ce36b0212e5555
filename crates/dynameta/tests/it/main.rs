//! Integration tests: the `dynameta` binary against real DynamoDB Local and moto.
//! One test binary, so each server starts once per run.
// Test code: a failed unwrap is a failed test (helpers outside `#[test]` too).
#![allow(clippy::unwrap_used)]

mod airflow;
mod catalog;
mod catalog_store;
mod classify;
mod cli_hints;
mod cli_text;
mod config_errors;
mod data_quality;
mod data_quality_reads;
mod dq_engine;
mod dq_oracle;
mod empty_runs;
mod estate;
mod estate_commands;
mod estate_test;
mod examples;
mod export;
mod failure_policy;
mod hostile_config;
mod ingest;
mod lineage;
mod moto;
mod number_parsing;
mod om_connector;
mod oracle;
mod output_safety;
mod profile;
mod profile_parts;
mod publish;
mod record_schema;
mod rest;
mod sampling;
mod spark;
mod support;
mod tags_owners;
mod test_connection;
mod throttling;
mod tls;
mod usage;
