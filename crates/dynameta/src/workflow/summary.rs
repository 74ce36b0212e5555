//! The run summary, like OpenMetadata's workflow status.

use std::time::Duration;

use serde::Serialize;

use crate::config::FailurePolicy;

/// What a run did.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// Tables in the region.
    pub tables_listed: usize,
    /// Tables described, sampled and written.
    pub tables_processed: usize,
    /// Tables dropped by the filters.
    pub filtered: Vec<String>,
    /// Problems that did not fail a table.
    pub warnings: Vec<String>,
    /// Tables (or steps) that failed, with why.
    pub failures: Vec<Failure>,
    /// Items read for inference.
    pub items_sampled: u64,
    /// Read capacity consumed by sampling.
    pub consumed_read_units: f64,
    /// DynamoDB requests answered with throttling (retried with backoff by the SDK).
    pub throttled_requests: u64,
    /// Records written (file sink) or tables published (REST sink).
    pub records_written: u64,
    /// Files the run wrote.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub outputs: Vec<String>,
    /// Tables soft-deleted in OpenMetadata because DynamoDB no longer has them.
    pub tables_deleted: Vec<String>,
    /// What classification found and did (`dynameta classify` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub classification: Option<ClassificationCounts>,
    /// AWS tag labels added and removed, owners set (ingest to OpenMetadata).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aws_tags: Option<Box<crate::sinks::openmetadata::AwsTagCounts>>,
    /// Each (account, region) pair walked, with its counts (only when the workflow
    /// walks several: `connectionArguments.regions`, `accounts`, `organization`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pairs: Vec<PairCounts>,
    /// Wall time.
    #[serde(serialize_with = "seconds")]
    pub elapsed: Duration,
}

/// One (account, region) pair of a run walking several.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PairCounts {
    /// The account: its database name in OpenMetadata (configured name, else its id).
    pub account: String,
    /// The account's 12-digit id, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// The region (the schema in OpenMetadata).
    pub region: String,
    /// Tables DynamoDB listed.
    pub tables_listed: usize,
    /// Tables the filters kept.
    pub tables_selected: usize,
    /// Tables written.
    pub tables_processed: usize,
    /// Tables that failed.
    pub tables_failed: usize,
    /// Why the pair could not be read at all (role not assumed, region disabled,
    /// listing throttled beyond retries); its tables are then never marked deleted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Classification counts.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClassificationCounts {
    /// Leaf columns scored.
    pub columns_classified: u64,
    /// Columns given `PII.Sensitive`.
    pub sensitive: u64,
    /// Columns given `PII.NonSensitive`.
    pub non_sensitive: u64,
    /// Tags added in OpenMetadata (REST sink).
    pub tags_added: u64,
    /// Tags left as they were in OpenMetadata (already there, or set by a person).
    pub tags_kept: u64,
    /// Tables whose sample data was stored or written.
    pub sample_data: u64,
}

/// One failure.
#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    /// The table, or `(listing)` / `(sink)`.
    pub name: String,
    /// Why.
    pub reason: String,
}

fn seconds<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 1000.0).round() / 1000.0)
}

impl Summary {
    /// Ends a run that could not go on: records `name` failing for `reason`.
    pub fn failed(
        mut self,
        name: &str,
        reason: String,
        elapsed: Duration,
    ) -> (Summary, super::Outcome) {
        self.failures.push(Failure {
            name: name.to_string(),
            reason,
        });
        self.elapsed = elapsed;
        (self, super::Outcome::Failures)
    }

    /// Ends a run that stopped after listing: a listing failure, or nothing to do
    /// (already a warning; nothing written, exit 3; exit 1 when failed pairs of an
    /// estate left nothing to do).
    pub fn stopped(self, stop: super::ListingStop, elapsed: Duration) -> (Summary, super::Outcome) {
        match stop {
            super::ListingStop::Failed(reason) => self.failed("(listing)", reason, elapsed),
            super::ListingStop::Credentials(reason) => {
                self.failed("(credentials)", reason, elapsed)
            }
            super::ListingStop::Empty(_) => {
                let mut summary = self;
                summary.elapsed = elapsed;
                // Nothing left to work on because (account, region) pairs failed is a
                // failure, not an empty run.
                let outcome = if summary.failures.is_empty() {
                    super::Outcome::Empty
                } else {
                    super::Outcome::Failures
                };
                (summary, outcome)
            }
        }
    }

    /// Takes in what the sink reported at the end of a run (and a sink error met
    /// earlier), and returns how the run ends.
    ///
    /// Table failures end the run as [`super::Outcome::Failures`] unless `policy`
    /// (`raiseOnError`, `successThreshold`) tolerates them; a failure of the listing
    /// or the sink never is.
    pub fn close(
        &mut self,
        report: crate::sinks::SinkReport,
        sink_error: Option<String>,
        elapsed: Duration,
        policy: &FailurePolicy,
    ) -> super::Outcome {
        self.records_written = report.written;
        self.outputs = report.outputs;
        let table_failures_before = self.failures.len();
        self.tables_deleted = report.deleted;
        self.warnings.extend(report.warnings);
        if let Some(c) = &mut self.classification {
            c.tags_added += report.tags.0;
            c.tags_kept += report.tags.1;
            c.sample_data += report.sample_data;
        }
        if report.aws_tags != Default::default() {
            self.aws_tags = Some(Box::new(report.aws_tags));
        }
        for f in report.table_failures {
            self.failures.push(Failure {
                name: f.table,
                reason: f.reason,
            });
        }
        let published_failures = self.failures.len() - table_failures_before;
        if let Some(e) = sink_error.or(report.error) {
            self.failures.push(Failure {
                name: "(sink)".into(),
                reason: e,
            });
        }
        self.elapsed = elapsed;
        if self.failures.is_empty() {
            return super::Outcome::Success;
        }
        if self.failures.iter().any(|f| f.name.starts_with('(')) {
            return super::Outcome::Failures;
        }
        let ok = self.tables_processed.saturating_sub(published_failures);
        match policy.tolerates(ok, self.failures.len()) {
            Some(Ok(why)) => {
                self.warnings.push(why);
                super::Outcome::Success
            }
            Some(Err(why)) => {
                if !why.is_empty() {
                    self.warnings.push(why);
                }
                super::Outcome::Failures
            }
            None => super::Outcome::Success,
        }
    }

    /// Whether the table failures so far are tolerated by `policy` (the output may then
    /// replace the previous one).
    pub fn tolerated(&self, policy: &FailurePolicy) -> bool {
        self.failures.iter().all(|f| !f.name.starts_with('('))
            && matches!(
                policy.tolerates(self.tables_processed, self.failures.len()),
                None | Some(Ok(_))
            )
    }

    /// Renders the human summary.
    pub fn render(&self) -> String {
        // Table names, attribute names and error messages can hold any character: each
        // is escaped for the terminal (one line each, controls and bidi made visible).
        use dynameta_fs::terminal::escape;
        let mut out = String::new();
        out.push_str("Workflow summary\n");
        out.push_str(&format!("  Tables listed:    {}\n", self.tables_listed));
        out.push_str(&format!("  Processed:        {}\n", self.tables_processed));
        out.push_str(&format!("  Filtered:         {}\n", self.filtered.len()));
        out.push_str(&format!("  Warnings:         {}\n", self.warnings.len()));
        out.push_str(&format!("  Failures:         {}\n", self.failures.len()));
        out.push_str(&format!(
            "  Items sampled:    {} ({:.1} read units)\n",
            self.items_sampled, self.consumed_read_units
        ));
        if self.throttled_requests > 0 {
            out.push_str(&format!(
                "  Throttled:        {} requests (retried with backoff)\n",
                self.throttled_requests
            ));
        }
        out.push_str(&format!("  Records written:  {}\n", self.records_written));
        for output in &self.outputs {
            out.push_str(&format!("  Output:           {}\n", escape(output)));
        }
        for p in &self.pairs {
            let counts = match &p.error {
                Some(_) => "FAILED (see below)".to_string(),
                None => format!(
                    "{} listed, {} selected, {} processed, {} failed",
                    p.tables_listed, p.tables_selected, p.tables_processed, p.tables_failed
                ),
            };
            out.push_str(&format!(
                "  Pair:             {}/{}: {counts}\n",
                escape(&p.account),
                escape(&p.region)
            ));
        }
        if let Some(c) = &self.classification {
            out.push_str(&format!(
                "  Columns:          {} classified, {} PII.Sensitive, {} PII.NonSensitive\n",
                c.columns_classified, c.sensitive, c.non_sensitive
            ));
            if c.tags_added + c.tags_kept > 0 {
                out.push_str(&format!(
                    "  Tags:             {} added, {} already there\n",
                    c.tags_added, c.tags_kept
                ));
            }
            if c.sample_data > 0 {
                out.push_str(&format!("  Sample data:      {} tables\n", c.sample_data));
            }
        }
        if let Some(a) = &self.aws_tags {
            out.push_str(&format!(
                "  AWS tags:         {} labels added, {} removed; {} owners set\n",
                a.added, a.removed, a.owners_set
            ));
        }
        if !self.tables_deleted.is_empty() {
            out.push_str(&format!(
                "  Marked deleted:   {} ({})\n",
                self.tables_deleted.len(),
                escape(&self.tables_deleted.join(", "))
            ));
        }
        out.push_str(&format!(
            "  Elapsed:          {:.2}s\n",
            self.elapsed.as_secs_f64()
        ));
        for w in self.warnings.iter().take(20) {
            out.push_str(&format!("  warning: {}\n", escape(w)));
        }
        if self.warnings.len() > 20 {
            out.push_str(&format!(
                "  ... and {} more warnings\n",
                self.warnings.len() - 20
            ));
        }
        for f in &self.failures {
            out.push_str(&format!(
                "  FAILED {}: {}\n",
                escape(&f.name),
                escape(&f.reason)
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Table names and reasons (which quote attribute names and values) reach the
    /// terminal escaped: no ESC, BEL, BS, CR or bidi override, one line each.
    #[test]
    fn the_summary_escapes_table_data() {
        let hostile = "a\u{1b}[31m\u{7}\u{8}\r\u{202E}b";
        let summary = Summary {
            warnings: vec![format!("attribute {hostile} skipped")],
            failures: vec![Failure {
                name: hostile.into(),
                reason: format!("bad value {hostile}\nsecond line"),
            }],
            tables_deleted: vec![hostile.into()],
            outputs: vec![format!("out{hostile}.jsonl")],
            ..Summary::default()
        };
        let text = summary.render();
        assert!(
            !text
                .chars()
                .any(|c| c != '\n' && dynameta_fs::terminal::is_unsafe(c)),
            "{text:?}"
        );
        assert!(
            text.contains("FAILED a\\u{1b}[31m\\u{7}\\u{8}\\r\\u{202e}b: bad value"),
            "{text}"
        );
        assert!(text.contains("\\nsecond line"), "{text}");
    }

    /// A run walking several pairs lists each with its counts, or as failed; the
    /// account and region are escaped too (an account's name comes from the file).
    #[test]
    fn the_summary_lists_every_pair() {
        let summary = Summary {
            pairs: vec![
                PairCounts {
                    account: "prod\u{1b}[31m".into(),
                    account_id: Some("111111111111".into()),
                    region: "eu-west-1".into(),
                    tables_listed: 3,
                    tables_selected: 2,
                    tables_processed: 2,
                    ..PairCounts::default()
                },
                PairCounts {
                    account: "222222222222".into(),
                    region: "us-east-1".into(),
                    error: Some("AssumeRole refused".into()),
                    ..PairCounts::default()
                },
            ],
            ..Summary::default()
        };
        let text = summary.render();
        assert!(
            text.contains("  Pair:             prod\\u{1b}[31m/eu-west-1: 3 listed, 2 selected, 2 processed, 0 failed\n"),
            "{text}"
        );
        assert!(
            text.contains("  Pair:             222222222222/us-east-1: FAILED (see below)\n"),
            "{text}"
        );
        assert!(!text.contains('\u{1b}'), "{text}");
        // A single-pair run's summary has no `pairs` key at all.
        let json = serde_json::to_value(Summary::default()).unwrap();
        assert!(json.get("pairs").is_none(), "{json}");
    }
}
