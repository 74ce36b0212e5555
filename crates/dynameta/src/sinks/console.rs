//! The console sink: prints each table as `dynameta show` does (key, indexes,
//! properties, columns with types and presence; PII tags after classify), writing no
//! file. `sink: {type: console}` — for a first look, or a quick check in a terminal.

use std::io::Write as _;

use dynameta_catalog::show::{render, TableView};
use dynameta_fs::terminal::{escape, escape_lines};
use futures_util::future::LocalBoxFuture;
use serde::Deserialize;
use serde_json::Value;

use crate::config::{decode, ConfigError};
use crate::sinks::local::{Item, Mapper};
use crate::sinks::{
    HealthStep, Opening, Record, RunEnd, SinkConfig, SinkContext, SinkError, SinkReport, SinkWriter,
};

/// `sink.config` for `type: console` (no settings).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsoleSinkConfig {}

impl ConsoleSinkConfig {
    /// Parses `sink.config` (which must be empty).
    pub fn parse(config: Value) -> Result<ConsoleSinkConfig, ConfigError> {
        decode(config, "sink.config")
    }
}

impl SinkConfig for ConsoleSinkConfig {
    fn kind(&self) -> &'static str {
        "console"
    }

    fn build<'a>(
        &'a self,
        _context: SinkContext<'a>,
        _opening: Opening<'a>,
    ) -> LocalBoxFuture<'a, Result<Box<dyn SinkWriter>, SinkError>> {
        Box::pin(async {
            Ok(Box::new(ConsoleWriter {
                mapper: Mapper::default(),
                records: 0,
            }) as Box<dyn SinkWriter>)
        })
    }

    fn health_check<'a>(
        &'a self,
        _context: SinkContext<'a>,
    ) -> LocalBoxFuture<'a, Vec<HealthStep>> {
        Box::pin(async { vec![HealthStep::passed("Console", "prints to standard output")] })
    }
}

struct ConsoleWriter {
    mapper: Mapper,
    records: u64,
}

impl ConsoleWriter {
    fn print(&self, items: Vec<Item>) {
        let mut out = std::io::stdout().lock();
        for item in items {
            let text = match item {
                Item::Snapshot(snapshot) => render(&TableView {
                    snapshot,
                    version: None,
                    tags: vec![],
                    profile: None,
                }),
                Item::Tags(table, tags) if tags.is_empty() => {
                    format!("{}: no PII tag\n", escape(&table.name))
                }
                Item::Tags(table, tags) => {
                    let mut t = format!("{}: PII tags\n", escape(&table.name));
                    for tag in tags {
                        t.push_str(&format!(
                            "  {:<32} {:<17} {} {:.0}\n",
                            escape(&tag.column),
                            escape(&tag.tag),
                            escape(&tag.recognizer),
                            tag.confidence
                        ));
                    }
                    t
                }
                Item::Profile(p) => {
                    // As JSON writes them (`12.0`, `null`), as this line always showed them.
                    let shown = |n: Option<serde_json::Value>| n.unwrap_or_default().to_string();
                    format!(
                        "{}: profiled, rowCount {}, columnCount {}\n",
                        escape(&p.table.name),
                        shown(p.table_profile.row_count.map(Into::into)),
                        shown(p.table_profile.column_count.map(Into::into))
                    )
                }
                Item::Listing { .. } | Item::Sample(..) => continue,
            };
            // Table data is escaped field by field above (`show`'s rendering does the
            // same); this keeps any character a field missed off the terminal too.
            // A closed stdout (`| head`) is not the run's failure.
            let _ = writeln!(out, "{}", escape_lines(&text));
        }
    }
}

impl SinkWriter for ConsoleWriter {
    fn write<'a>(&'a mut self, record: &'a Record) -> LocalBoxFuture<'a, Result<(), SinkError>> {
        Box::pin(async move {
            let items = self.mapper.record(record);
            self.print(items);
            self.records += 1;
            Ok(())
        })
    }

    fn finish<'a>(mut self: Box<Self>, _end: RunEnd<'a>) -> LocalBoxFuture<'a, SinkReport> {
        Box::pin(async move {
            let rest = self.mapper.flush();
            self.print(rest);
            SinkReport {
                written: self.records,
                ..SinkReport::default()
            }
        })
    }

    fn abandon(self: Box<Self>) -> Option<String> {
        None
    }
}
