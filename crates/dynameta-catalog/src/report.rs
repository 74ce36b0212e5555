//! The self-contained HTML report: one file, CSS and JavaScript inline, charts as inline
//! SVG, no network and no external asset, so it opens from disk anywhere.
//!
//! HTML comes from `maud` (templates checked at compile time, every value escaped). The
//! charts are drawn here: they are a few bars and a polyline, which a charting crate
//! (plotters and the like) would bring fonts, raster backends and far more code for.

use std::collections::BTreeMap;

use maud::{html, Markup, PreEscaped, DOCTYPE};

use crate::diff::{change_text, estate_groups, table_changes, ChangeKind, Diff, DiffOptions};
use crate::read::{ColumnFacts, ProfileFacts, SchemaVersion, StoredProfile, StoredSnapshot};
use crate::sample::{ColumnState, MaskedSample};
use crate::show::{attribute_name, column_rows, decode_reserved, human_bytes, ProfileCheck};
use crate::{Catalog, CatalogError, Column, PiiTag, Run, Sample, TableRef};

mod lineage_view;

/// Sample rows shown per table, and characters per cell (the catalog keeps them all).
const SAMPLE_ROWS: usize = 10;
const SAMPLE_CELL: usize = 80;

/// Everything the report shows of one table.
struct TableData {
    table: TableRef,
    /// Its current snapshot.
    current: Option<StoredSnapshot>,
    /// How many succeeded ingest runs saw it, and the first.
    seen: (u64, Option<i64>),
    /// Its latest distinct snapshots (a bounded window, see `read::SNAPSHOT_WINDOW`).
    snapshots: Vec<StoredSnapshot>,
    versions: Vec<SchemaVersion>,
    profiles: Vec<StoredProfile>,
    tags: Vec<PiiTag>,
    /// Whether a classify run classified the table (else it has no tags to mask by).
    classified: bool,
    sample: Option<Sample>,
    drift: Vec<ChangeKind>,
    /// The latest profile against the current schema.
    check: Option<ProfileCheck>,
    /// Its latest data-quality results (`dynameta test`).
    tests: Option<crate::dq::StoredTests>,
    /// Its latest lineage (`dynameta lineage`).
    lineage: Option<crate::lineage::StoredLineage>,
    /// Its latest days of usage (`dynameta usage`), oldest first.
    usage: Vec<crate::lineage::UsageDay>,
}

impl TableData {
    fn latest(&self) -> Option<&StoredSnapshot> {
        self.current.as_ref()
    }

    fn last_change(&self) -> Option<&SchemaVersion> {
        self.versions.last()
    }
}

impl Catalog {
    /// The HTML report of the catalog's current state, its history and the drift since
    /// the previous run.
    pub fn report_html(&self) -> Result<String, CatalogError> {
        let generated: String = self
            .conn()
            .query_row("SELECT strftime('%Y-%m-%dT%H:%M:%SZ', 'now')", [], |r| {
                r.get(0)
            })
            .map_err(|e| self.sql("reading the clock", e))?;
        let diff = self.diff(DiffOptions::default())?;
        let mut drift: BTreeMap<String, Vec<ChangeKind>> = BTreeMap::new();
        for c in &diff.changes {
            drift
                .entry(c.table.clone())
                .or_default()
                .push(c.kind.clone());
        }
        let mut tables = Vec::new();
        for table in self.current_tables()? {
            let fqn = table.fqn.clone();
            let snapshots = self.snapshots_of_table(&fqn)?;
            let profiles = self.profiles(&fqn)?;
            let tags = self.tags(&fqn)?;
            tables.push(TableData {
                check: profiles.last().map(|p| ProfileCheck::of(p, &snapshots)),
                current: self.latest_snapshot(&fqn)?,
                seen: self.runs_seeing(&fqn)?,
                snapshots,
                versions: self.versions(&fqn)?,
                profiles,
                classified: tags.is_some(),
                tags: tags.map(|(_, t)| t).unwrap_or_default(),
                sample: self.sample(&fqn)?,
                drift: drift.remove(&fqn).unwrap_or_default(),
                tests: self.tests(&fqn)?,
                lineage: self.lineage(&fqn)?,
                usage: self.usage(&fqn, crate::lineage::USAGE_WINDOW)?,
                table,
            });
        }
        // Only the latest runs are listed; the header says how many there are in all.
        let runs = self.latest_runs_any(crate::read::RUN_WINDOW)?;
        let run_count = self.run_count()?;
        Ok(page(
            &self.path().display().to_string(),
            &generated,
            &tables,
            (&runs, run_count),
            &diff,
        )
        .into_string())
    }
}

const CSS: &str = r#"
:root{--bg:#f6f7f9;--card:#fff;--ink:#1d2330;--mute:#5d6778;--line:#e2e6ec;--accent:#2f6fde;--ok:#1f8a4c;--warn:#b7791f;--bad:#c53030;--chip:#eef2f8}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;background:var(--bg);color:var(--ink)}
header{background:#17202f;color:#fff;padding:14px 20px}
header h1{margin:0;font-size:18px;font-weight:600}
header p{margin:2px 0 0;color:#b9c2d0;font-size:12px;word-break:break-all}
main{max-width:1200px;margin:0 auto;padding:16px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px;margin-bottom:16px}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px}
.card b{display:block;font-size:22px}
.card span{color:var(--mute);font-size:12px}
section,article{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:14px 16px;margin-bottom:16px}
h2{font-size:17px;margin:0 0 10px}
h3{font-size:14px;margin:18px 0 8px;color:var(--mute);text-transform:uppercase;letter-spacing:.04em}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:12px;color:var(--mute);font-weight:600;white-space:nowrap}
th.sort{cursor:pointer;user-select:none}
th.sort::after{content:" ↕";color:#aab}
th.asc::after{content:" ↑";color:var(--accent)}
th.desc::after{content:" ↓";color:var(--accent)}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tr.row:hover{background:#f0f5ff}
a{color:var(--accent);text-decoration:none}
a:hover{text-decoration:underline}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
.badge{display:inline-block;border-radius:10px;padding:1px 8px;font-size:11px;background:var(--chip);color:var(--ink);margin:1px 2px 1px 0;white-space:nowrap}
.badge.s{background:#fde8e8;color:var(--bad)}
.badge.n{background:#fff4e0;color:var(--warn)}
.badge.new{background:#e6f6ec;color:var(--ok)}
.badge.chg{background:#e8efff;color:var(--accent)}
#search{width:100%;padding:9px 12px;font-size:15px;border:1px solid var(--line);border-radius:6px;margin-bottom:10px}
.bar{background:var(--chip);border-radius:3px;height:8px;width:80px;display:inline-block;vertical-align:middle;margin-right:6px}
.bar i{display:block;height:8px;border-radius:3px;background:var(--accent)}
dl.props{display:grid;grid-template-columns:max-content 1fr;gap:4px 14px;margin:0}
dl.props dt{color:var(--mute)}
dl.props dd{margin:0;word-break:break-word}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(320px,1fr));gap:14px}
.chart{border:1px solid var(--line);border-radius:6px;padding:8px}
.chart h4{margin:0 0 6px;font-size:13px}
svg{display:block;width:100%;height:auto}
svg text{font:11px system-ui,sans-serif;fill:var(--ink)}
ul.changes{margin:0;padding-left:18px}
ul.changes li{margin:2px 0}
.add{color:var(--ok)}.del{color:var(--bad)}.mod{color:var(--accent)}
.muted{color:var(--mute)}
.nowrap{white-space:nowrap}
.back{display:inline-block;margin-bottom:10px}
.indent{display:inline-block}
.reason{font-size:12px;color:var(--mute);max-width:60ch;word-break:break-word}
tr.account-head th{font-size:14px;color:var(--ink);background:var(--chip);padding-top:10px}
tr.region-head th{font-size:13px;color:var(--ink);padding-left:20px}
.stale{color:var(--warn)}
@media (max-width:700px){
 main{padding:8px}
 .hide-sm{display:none}
 section,article{padding:10px}
 th,td{padding:5px 4px}
 .charts{grid-template-columns:1fr}
 table.columns td.col{max-width:40vw;overflow-wrap:anywhere}
 table.columns td.type code{word-break:break-all}
}
"#;

const JS: &str = r#"
(function(){
  var list=document.getElementById('overview');
  // Links carry percent-encoded ids; a fragment typed or cut by hand may not decode
  // (`#%E0%A4%A`): then it is taken as it is, and matches no table.
  function target(){
    var raw=location.hash.slice(1);
    try{return decodeURIComponent(raw);}catch(e){return raw;}
  }
  function route(){
    var id=target();
    var shown=null;
    document.querySelectorAll('article.table').forEach(function(a){
      var on=(a.id===id); a.hidden=!on; if(on){shown=a;}
    });
    list.hidden=!!shown;
    if(shown){window.scrollTo(0,0);document.title=shown.dataset.name+' · dynameta report';}
    else{document.title='dynameta report';}
  }
  var search=document.getElementById('search');
  var rows=Array.prototype.slice.call(document.querySelectorAll('#tables tbody tr.row'));
  var count=document.getElementById('shown');
  search.addEventListener('input',function(){
    var q=search.value.trim().toLowerCase(); var n=0;
    rows.forEach(function(r){var on=!q||r.dataset.search.indexOf(q)>=0; r.hidden=!on; if(on){n++;}});
    count.textContent=n;
    // An estate catalog's groups: a region or account with no row left is hidden.
    document.querySelectorAll('#tables tbody.region').forEach(function(g){
      g.hidden=!g.querySelector('tr.row:not([hidden])');
    });
    document.querySelectorAll('#tables tbody.account').forEach(function(a){
      a.hidden=!document.querySelector('#tables tbody.region[data-account="'+CSS.escape(a.dataset.account)+'"]:not([hidden])');
    });
  });
  document.querySelectorAll('th.sort').forEach(function(th,col){
    th.addEventListener('click',function(){
      var asc=!th.classList.contains('asc');
      document.querySelectorAll('th.sort').forEach(function(o){o.classList.remove('asc','desc');});
      th.classList.add(asc?'asc':'desc');
      var idx=Array.prototype.indexOf.call(th.parentNode.children,th);
      var num=th.classList.contains('num');
      rows.sort(function(a,b){
        var x=a.children[idx].dataset.v, y=b.children[idx].dataset.v;
        var c=num?(parseFloat(x)-parseFloat(y)):x.localeCompare(y);
        return asc?c:-c;
      });
      // Each row stays in its own body: sorted within its region in an estate catalog.
      rows.forEach(function(r){r.parentNode.appendChild(r);});
    });
  });
  // Routing last: search and sort work whatever the fragment.
  window.addEventListener('hashchange',route);
  route();
})();
"#;

/// A table's element id (its FQN as is: ids may hold any character but spaces, which
/// FQNs do not have).
fn anchor(t: &TableRef) -> String {
    format!("t:{}", t.fqn)
}

/// Characters a link's fragment keeps as they are; everything else (`%` above all) is
/// percent-encoded, and the page's script decodes it back to the id.
const FRAGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b':');

/// The link to a table: `#` and its id, percent-encoded (a name with `%` works).
fn href(t: &TableRef) -> String {
    format!(
        "#{}",
        percent_encoding::utf8_percent_encode(&anchor(t), FRAGMENT)
    )
}

fn pii_badge(tag: &str) -> Markup {
    let class = if tag.ends_with("NonSensitive") {
        "badge n"
    } else {
        "badge s"
    };
    html! { span class=(class) { (tag) } }
}

fn change_class(kind: &ChangeKind) -> &'static str {
    match change_text(kind).chars().next() {
        Some('+') => "add",
        Some('-') | Some('!') => "del",
        _ => "mod",
    }
}

fn changes_list(changes: &[ChangeKind]) -> Markup {
    html! {
        ul.changes {
            @for c in changes { li class=(change_class(c)) { (change_text(c)) } }
        }
    }
}

fn page(
    catalog: &str,
    generated: &str,
    tables: &[TableData],
    (runs, run_count): (&[Run], u64),
    diff: &Diff,
) -> Markup {
    let items: i64 = tables
        .iter()
        .filter_map(|t| t.latest()?.snapshot.item_count)
        .sum();
    let bytes: i64 = tables
        .iter()
        .filter_map(|t| t.latest()?.snapshot.size_bytes)
        .sum();
    let pii_columns: usize = tables.iter().map(|t| t.tags.len()).sum();
    let deleted: Vec<&str> = diff
        .changes
        .iter()
        .filter(|c| c.kind == ChangeKind::TableDeleted)
        .map(|c| c.table.as_str())
        .collect();
    // A catalog an estate run wrote: tables under account, then region headings.
    let groups = estate_groups(
        tables
            .iter()
            .map(|t| (t.table.database.as_str(), t.table.schema.as_str(), t)),
    );
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "dynameta report" }
                style { (PreEscaped(CSS)) (PreEscaped(lineage_view::CSS)) }
            }
            body {
                header {
                    h1 { "dynameta · DynamoDB catalog report" }
                    p { "Catalog " (catalog) " · generated " (generated) " · " (run_count) " runs recorded" @if run_count > runs.len() as u64 { " (the latest " (runs.len()) " listed)" } }
                }
                main {
                    div #overview {
                        div.cards {
                            div.card { b { (tables.len()) } span { "tables" } }
                            @if let Some(g) = &groups {
                                div.card #accounts { b { (g.len()) } span { "accounts" } }
                                div.card #regions { b { (g.values().flat_map(|r| r.keys()).collect::<std::collections::BTreeSet<_>>().len()) } span { "regions" } }
                            }
                            div.card { b { (items) } span { "items (approximate)" } }
                            div.card { b { (human_bytes(bytes)) } span { "stored" } }
                            div.card { b { (pii_columns) } span { "PII-tagged columns" } }
                            div.card { b { (diff.changes.len()) } span { "changes since the previous run" } }
                            @if tables.iter().any(|t| t.tests.is_some()) {
                                div.card { b { (failing_tests(tables)) } span { "data-quality tests not passing" } }
                            }
                        }
                        (dq_overview(tables))
                        (lineage_view::overview(&tables.iter().map(|t| lineage_view::TableLineageUsage { name: &t.table.name, lineage: t.lineage.as_ref(), usage: &t.usage }).collect::<Vec<_>>()))
                        section #drift {
                            h2 { "Drift since the previous run" }
                            @for c in &diff.compared {
                                p.muted { (match c.command.as_str() { "ingest" => "Schema", "test" => "Data-quality tests", "lineage" => "Lineage", _ => "PII tags" }) " of " (c.service) ": run " (c.from_run) " (" (c.from_started_at) ") → run " (c.to_run) " (" (c.to_started_at) ")" }
                            }
                            @for n in &diff.notes { p.muted { (n) } }
                            @if diff.changes.is_empty() {
                                p { @if diff.compared.is_empty() { "Nothing to compare yet." } @else { "No changes." } }
                            } @else {
                                @for t in tables.iter().filter(|t| !t.drift.is_empty()) {
                                    p { a href=(href(&t.table)) { b { (t.table.name) } } }
                                    (changes_list(&t.drift))
                                }
                                @for d in &deleted {
                                    p { b { (d) } }
                                    ul.changes { li.del { "- table deleted" } }
                                }
                            }
                        }
                        section {
                            h2 { "Tables (" span #shown { (tables.len()) } ")" }
                            input #search type="search" placeholder="Search tables, columns, tags…" aria-label="Search tables";
                            div.scroll {
                                table #tables {
                                    thead { tr {
                                        th.sort { "Table" }
                                        th.sort.num { "Items" }
                                        th.sort.num.hide-sm { "Size" }
                                        th.sort.hide-sm { "Billing" }
                                        th.sort.num { "PII" }
                                        th.sort.num.hide-sm { "Schema" }
                                        th.sort { "Last change" }
                                    } }
                                    @match &groups {
                                        None => {
                                            tbody {
                                                @for t in tables { (table_row(t)) }
                                            }
                                        }
                                        Some(groups) => {
                                            @for (account, regions) in groups {
                                                @let n: usize = regions.values().map(Vec::len).sum();
                                                tbody.account data-account=(account) {
                                                    tr.account-head { th colspan="7" {
                                                        "Account " (account) " · " (n) " table" @if n != 1 { "s" } " in " (regions.len()) " region" @if regions.len() != 1 { "s" }
                                                    } }
                                                }
                                                @for (region, in_region) in regions {
                                                    tbody.region data-account=(account) data-region=(region) {
                                                        tr.region-head { th colspan="7" {
                                                            "Region " (region) " · " (in_region.len()) " table" @if in_region.len() != 1 { "s" }
                                                        } }
                                                        @for t in in_region { (table_row(t)) }
                                                    }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                        section {
                            h2 { "Runs" }
                            div.scroll { table {
                                thead { tr { th.num { "#" } th { "Command" } th.hide-sm { "Service" } th { "Started" } th { "Status" } th.hide-sm { "Summary" } } }
                                tbody {
                                    @for r in runs.iter().rev() {
                                        tr {
                                            td.num { (r.id) }
                                            td { (r.command) }
                                            td.hide-sm { (r.service) }
                                            td.mono { (r.started_at) }
                                            td {
                                                (status_badge(r))
                                                @if let Some(reason) = run_reason(r) { div.reason { (reason) } }
                                            }
                                            td.hide-sm.muted { (run_summary(r)) }
                                        }
                                    }
                                }
                            } }
                        }
                    }
                    @for t in tables { (table_article(t)) }
                }
                script { (PreEscaped(JS)) }
            }
        }
    }
}

/// How many cases of the tables' latest test runs did not pass.
fn failing_tests(tables: &[TableData]) -> usize {
    tables
        .iter()
        .filter_map(|t| t.tests.as_ref())
        .flat_map(|x| &x.results)
        .filter(|(r, _)| !r.passed())
        .count()
}

/// Failures first (then aborted, not testable, passed), then by column and name.
fn dq_order(r: &crate::dq::TestResult) -> (u8, Option<String>, String) {
    let rank = match r.status.as_str() {
        "Failed" => 0,
        "Aborted" => 1,
        "Success" => 3,
        _ => 2,
    };
    (rank, r.column.clone(), r.name.clone())
}

fn dq_badge(status: &str) -> Markup {
    let class = match status {
        "Success" => "badge new",
        "Failed" => "badge s",
        _ => "badge n",
    };
    html! { span class=(class) { (status) } }
}

fn dq_numbers(r: &crate::dq::TestResult) -> String {
    let mut parts: Vec<String> = r.values.iter().map(|(k, v)| format!("{k}={v}")).collect();
    if let (Some(p), Some(f)) = (r.passed_rows, r.failed_rows) {
        parts.push(format!("passedRows={p}, failedRows={f}"));
    }
    parts.join(", ")
}

/// The overview's data-quality section: every tested table's latest cases, failures
/// first.
fn dq_overview(tables: &[TableData]) -> Markup {
    let mut rows: Vec<(&TableData, &crate::dq::TestResult, &Option<String>)> = tables
        .iter()
        .filter_map(|t| t.tests.as_ref().map(|x| (t, x)))
        .flat_map(|(t, x)| x.results.iter().map(move |(r, was)| (t, r, was)))
        .collect();
    if rows.is_empty() {
        return html! {};
    }
    rows.sort_by_key(|(t, r, _)| (dq_order(r), t.table.name.clone()));
    html! {
        section #data-quality {
            h2 { "Data quality" }
            p.muted { "Latest `dynameta test` results of each table, failures first." }
            div.scroll { table.dq {
                thead { tr { th { "Status" } th { "Table" } th { "Test case" } th.hide-sm { "Definition" } th { "Result" } th.hide-sm { "Before" } } }
                tbody {
                    @for (t, r, was) in &rows {
                        tr.dq {
                            td { (dq_badge(&r.status)) }
                            td { a href=(href(&t.table)) { (t.table.name) } }
                            td { (r.name) @if let Some(c) = &r.column { " " span.muted { "[" (c) "]" } } }
                            td.hide-sm { code { (r.definition) } }
                            td { div { (dq_numbers(r)) } div.reason { (r.result) } }
                            td.hide-sm { (was.as_deref().unwrap_or("–")) }
                        }
                    }
                }
            } }
        }
    }
}

/// A table's data-quality results (its latest test run), failures first.
fn dq_section(t: &TableData) -> Markup {
    let Some(tests) = &t.tests else {
        return html! {};
    };
    let mut results: Vec<&(crate::dq::TestResult, Option<String>)> = tests.results.iter().collect();
    results.sort_by_key(|(r, _)| dq_order(r));
    html! {
        h3 { "Data quality" }
        p.muted { "Test run " (tests.run_id) " (" (tests.started_at) ")" }
        div.scroll { table.dq {
            thead { tr { th { "Status" } th { "Test case" } th.hide-sm { "Definition" } th { "Result" } th.hide-sm { "Before" } } }
            tbody {
                @for (r, was) in results {
                    tr.dq {
                        td { (dq_badge(&r.status)) }
                        td { (r.name) @if let Some(c) = &r.column { " " span.muted { "[" (c) "]" } } }
                        td.hide-sm { code { (r.definition) } }
                        td { div { (dq_numbers(r)) } div.reason { (r.result) } }
                        td.hide-sm { (was.as_deref().unwrap_or("–")) }
                    }
                }
            }
        } }
    }
}

fn status_badge(r: &Run) -> Markup {
    let (class, text) = match r.status {
        crate::RunStatus::Succeeded => ("badge new", "succeeded"),
        crate::RunStatus::Failed => ("badge s", "failed"),
        crate::RunStatus::Stopped => ("badge n", "stopped"),
        crate::RunStatus::Running => ("badge n", "did not finish"),
    };
    html! { span class=(class) { (text) } }
}

/// Why a run did not succeed (or what failed in one that did, tolerated): the failures
/// its summary records, else its note; `None` for a clean success.
fn run_reason(r: &Run) -> Option<String> {
    let summary = r.summary.as_ref();
    let failures: Vec<String> = summary
        .and_then(|s| s.get("failures"))
        .and_then(|f| f.as_array())
        .into_iter()
        .flatten()
        .map(|f| {
            let name = f.get("name").and_then(|n| n.as_str()).unwrap_or("?");
            let reason = f
                .get("reason")
                .and_then(|n| n.as_str())
                .unwrap_or("no reason given");
            format!("{name}: {reason}")
        })
        .collect();
    let note = summary
        .and_then(|s| s.get("note"))
        .and_then(|n| n.as_str())
        .map(str::to_string);
    const SHOWN: usize = 3;
    let listed = |prefix: &str| {
        let mut text = format!(
            "{prefix}{}",
            failures
                .iter()
                .take(SHOWN)
                .cloned()
                .collect::<Vec<_>>()
                .join("; ")
        );
        if failures.len() > SHOWN {
            text.push_str(&format!("; and {} more", failures.len() - SHOWN));
        }
        text
    };
    match r.status {
        crate::RunStatus::Succeeded if failures.is_empty() => None,
        crate::RunStatus::Succeeded => Some(listed(&format!(
            "{} failure(s) tolerated by the workflow's failure policy: ",
            failures.len()
        ))),
        crate::RunStatus::Running => Some(
            "It never finished: it was killed, or is still running. Its data is not the catalog's state."
                .to_string(),
        ),
        _ if !failures.is_empty() => Some(listed("")),
        _ => Some(note.unwrap_or_else(|| "No reason was recorded for this run.".to_string())),
    }
}

/// The summary's counters as one line.
fn run_summary(r: &Run) -> String {
    let Some(serde_json::Value::Object(s)) = &r.summary else {
        return String::new();
    };
    s.iter()
        .filter(|(_, v)| v.is_number())
        .take(6)
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(" · ")
}

fn table_row(t: &TableData) -> Markup {
    let snap = t.latest().map(|s| &s.snapshot);
    let items = snap.and_then(|s| s.item_count);
    let size = snap.and_then(|s| s.size_bytes);
    let billing = snap.and_then(|s| s.billing.clone()).unwrap_or_default();
    let sensitive = t
        .tags
        .iter()
        .filter(|x| !x.tag.ends_with("NonSensitive"))
        .count();
    let version = t.last_change().map(|v| v.version).unwrap_or(0);
    let last = t
        .last_change()
        .map(|v| v.started_at.clone())
        .unwrap_or_default();
    let mut search = t.table.name.to_lowercase();
    if let Some(s) = snap {
        for (_, path, c) in column_rows(&s.columns) {
            search.push(' ');
            search.push_str(&path.to_lowercase());
            if attribute_name(c) != c.name {
                search.push(' ');
                search.push_str(&attribute_name(c).to_lowercase());
            }
        }
    }
    for tag in &t.tags {
        search.push(' ');
        search.push_str(&tag.tag.to_lowercase());
    }
    html! {
        tr.row data-search=(search) {
            td data-v=(t.table.name) {
                a href=(href(&t.table)) { (t.table.name) }
                @if !t.drift.is_empty() { " " span.badge.chg { "changed" } }
            }
            td.num data-v=(items.unwrap_or(-1)) { (items.map(|n| n.to_string()).unwrap_or_default()) }
            td.num.hide-sm data-v=(size.unwrap_or(-1)) { (size.map(human_bytes).unwrap_or_default()) }
            td.hide-sm data-v=(billing) { (billing.replace("PAY_PER_REQUEST", "on-demand").to_lowercase()) }
            td.num data-v=(t.tags.len()) {
                @if sensitive > 0 { span.badge.s { (sensitive) " sensitive" } }
                @if t.tags.len() > sensitive { span.badge.n { (t.tags.len() - sensitive) " other" } }
            }
            td.num.hide-sm data-v=(version) { @if version > 0 { "v" (version) } }
            td.mono data-v=(last) { (last.get(..16).unwrap_or(&last)) }
        }
    }
}

fn table_article(t: &TableData) -> Markup {
    let Some(latest) = t.latest() else {
        return html! {
            article.table id=(anchor(&t.table)) data-name=(t.table.name) hidden {
                a.back href="#" { "← all tables" }
                h2 { (t.table.name) }
                p.muted { "No succeeded ingest run has described this table yet; profiles, tags, tests, lineage and usage below." }
                (lineage_view::lineage_section(&t.table.name, t.lineage.as_ref()))
                (lineage_view::usage_section(&t.usage))
                (dq_section(t))
                (profile_section(t))
            }
        };
    };
    let s = &latest.snapshot;
    html! {
        article.table id=(anchor(&t.table)) data-name=(t.table.name) hidden {
            a.back href="#" { "← all tables" }
            h2 { (s.table.name) }
            p.muted.mono { (s.table.fqn) }
            @if !t.drift.is_empty() {
                h3 { "Drift since the previous run" }
                (changes_list(&t.drift))
            }
            h3 { "Keys and indexes" }
            div.scroll { table {
                thead { tr { th { "Name" } th { "Kind" } th { "Partition key" } th { "Sort key" } th { "Projection" } } }
                tbody {
                    tr {
                        td { "table" } td { "primary key" }
                        td { (s.keys.iter().find(|k| k.role == "HASH").map(|k| format!("{} ({})", k.name, k.attribute_type)).unwrap_or_default()) }
                        td { (s.keys.iter().find(|k| k.role == "RANGE").map(|k| format!("{} ({})", k.name, k.attribute_type)).unwrap_or_default()) }
                        td {}
                    }
                    @for i in &s.indexes {
                        tr { td { (i.name) } td { (i.kind) } td { (i.hash_key.clone().unwrap_or_default()) } td { (i.range_key.clone().unwrap_or_default()) } td { (i.projection.clone().unwrap_or_default()) } }
                    }
                }
            } }
            h3 { "Properties" }
            dl.props {
                dt { "Billing" } dd { (s.billing.clone().unwrap_or_else(|| "unknown".into())) }
                dt { "Items" } dd { (s.item_count.map(|n| n.to_string()).unwrap_or_else(|| "unknown".into())) }
                dt { "Size" } dd { (s.size_bytes.map(human_bytes).unwrap_or_else(|| "unknown".into())) }
                dt { "TTL" } dd { (s.ttl.clone().unwrap_or_else(|| "unknown".into())) }
                dt { "Stream" } dd { (s.stream.clone().unwrap_or_else(|| "unknown".into())) }
                @if let serde_json::Value::Object(props) = &s.properties {
                    @for (k, v) in props {
                        @if k == crate::DECLARED_OWNER {
                            dt { "Owner (declared)" }
                            dd { (s.declared_owner().map(|o| o.text()).unwrap_or_else(|| "none".into())) }
                        } @else if let (true, serde_json::Value::Object(tags)) = (k == "tags", v) {
                            dt { "AWS tags" }
                            dd { (aws_tags_text(tags)) }
                        } @else {
                            dt { (k) }
                            dd { @match v { serde_json::Value::String(x) => (x), other => code { (other.to_string()) } } }
                        }
                    }
                }
            }
            (lineage_view::lineage_section(&s.table.name, t.lineage.as_ref()))
            (lineage_view::usage_section(&t.usage))
            (dq_section(t))
            h3 { "Columns" }
            (columns_table(t, s))
            (profile_section(t))
            h3 { "History" }
            (history(t))
            @if let Some(sample) = &t.sample {
                h3 { "Sample rows" }
                (sample_section(t, sample, &s.columns))
            }
        }
    }
}

fn columns_table(t: &TableData, s: &crate::TableSnapshot) -> Markup {
    let tags: BTreeMap<&str, &PiiTag> = t.tags.iter().map(|x| (x.column.as_str(), x)).collect();
    let profile: BTreeMap<&str, &ColumnFacts> = t
        .profiles
        .last()
        .and_then(|p| p.columns.as_ref())
        .map(|cols| cols.iter().map(|c| (c.name.as_str(), c)).collect())
        .unwrap_or_default();
    let stale = t.check.as_ref().map(|c| &c.stale);
    // PII comes right after the name, so a phone shows it without scrolling sideways.
    html! {
        div.scroll { table.columns {
            thead { tr { th { "Column" } th { "PII" } th { "Type" } th { "Presence" } th.num.hide-sm { "Distinct" } th.num.hide-sm { "Nulls" } th.hide-sm { "Min / max / mean" } } }
            tbody {
                @for (depth, path, c) in column_rows(&s.columns) {
                    @let p = if depth == 0 { profile.get(c.name.as_str()).copied() } else { None };
                    @let old = if depth == 0 { stale.and_then(|s| s.get(&c.name)) } else { None };
                    tr {
                        td.col { span.indent style={ "padding-left:" (depth * 16) "px" } { (column_name(c)) } }
                        td.pii { @if let Some(tag) = tags.get(path.as_str()) {
                            (pii_badge(&tag.tag)) " " span.muted { (tag.recognizer) " " (format!("{:.0}", tag.confidence)) }
                        } }
                        td.type { code { (c.display_type) } }
                        td.nowrap { @if let Some(pr) = c.presence {
                            span.bar { i style={ "width:" (format!("{:.0}", pr * 100.0)) "%" } {} }
                            (format!("{:.0}%", pr * 100.0))
                        } }
                        td.num.hide-sm { (p.and_then(|p| p.distinct_count).map(|n| n.to_string()).unwrap_or_default()) }
                        td.num.hide-sm { (p.and_then(|p| p.null_proportion).map(|v| format!("{:.0}%", v * 100.0)).unwrap_or_default()) }
                        @if let Some(old) = old {
                            td.hide-sm.stale { (stale_note(old)) }
                        } @else {
                            td.hide-sm.mono { (min_max_mean(p)) }
                        }
                    }
                }
            }
        } }
    }
}

/// A column's name: the attribute name as written, and the stored (encoded) one beside
/// it when they differ.
fn column_name(c: &Column) -> Markup {
    let attribute = attribute_name(c);
    html! {
        code { (attribute) }
        @if attribute != c.name { " " span.muted { "stored as " code { (c.name) } } }
    }
}

/// What replaces a stale column's min / max / histogram.
fn stale_note(old: &str) -> String {
    format!("profiled when it was {old}; stale (profile again for current values)")
}

/// The table profile's facts the report shows, named as OpenMetadata names them.
fn table_facts(tp: &ProfileFacts) -> Vec<(&'static str, String)> {
    let number = |v: Option<f64>| v.map(number_text);
    [
        ("rowCount", number(tp.row_count)),
        ("columnCount", number(tp.column_count.map(|n| n as f64))),
        ("sizeInByte", number(tp.size_in_byte.map(|n| n as f64))),
        ("profileSample", number(tp.profile_sample)),
        ("profileSampleType", tp.profile_sample_type.clone()),
    ]
    .into_iter()
    .filter_map(|(k, v)| Some((k, v?)))
    .collect()
}

/// A statistic for people: whole numbers whole, others to four significant places.
fn number_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{f:.0}")
    } else if f.abs() >= 1e-3 && f.abs() < 1e9 {
        format!("{f:.4}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    } else {
        format!("{f:.4e}")
    }
}

fn min_max_mean(p: Option<&ColumnFacts>) -> String {
    let Some(p) = p else { return String::new() };
    let parts: Vec<String> = [p.min, p.max, p.mean]
        .into_iter()
        .flatten()
        .map(number_text)
        .collect();
    parts.join(" / ")
}

/// Horizontal bars with their labels and values (histograms and top values).
fn bar_chart(labels: &[String], values: &[f64]) -> Markup {
    let max = values.iter().cloned().fold(0.0_f64, f64::max).max(1e-12);
    let row = 18.0;
    let height = row * labels.len() as f64 + 4.0;
    let (label_w, bar_w) = (120.0, 190.0);
    html! {
        svg viewBox={ "0 0 360 " (height) } role="img" {
            @for (i, (l, v)) in labels.iter().zip(values).enumerate() {
                @let y = 2.0 + row * i as f64;
                @let w = (v / max * bar_w).max(1.0);
                @let label: String = if l.chars().count() > 20 { l.chars().take(19).collect::<String>() + "…" } else { l.clone() };
                text x=(label_w - 4.0) y=(y + 12.0) text-anchor="end" { (label) }
                rect x=(label_w) y=(y + 2.0) width=(format!("{w:.1}")) height=(row - 5.0) rx="2" fill="#2f6fde" {}
                text x=(label_w + w + 4.0) y=(y + 12.0) { (number_text(*v)) }
            }
        }
    }
}

/// A line of values over runs (row count history).
fn line_chart(points: &[(String, f64)]) -> Markup {
    let (w, h, pad) = (360.0, 120.0, 28.0);
    let max = points.iter().map(|p| p.1).fold(0.0_f64, f64::max).max(1.0);
    let n = points.len().max(2) as f64 - 1.0;
    let xy: Vec<(f64, f64)> = points
        .iter()
        .enumerate()
        .map(|(i, (_, v))| {
            (
                pad + (w - 2.0 * pad) * i as f64 / n,
                h - pad - (h - 2.0 * pad) * v / max,
            )
        })
        .collect();
    let line: String = xy
        .iter()
        .map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect::<Vec<_>>()
        .join(" ");
    html! {
        svg viewBox={ "0 0 " (w) " " (h) } role="img" {
            line x1=(pad) y1=(h - pad) x2=(w - pad) y2=(h - pad) stroke="#ccd" {}
            polyline points=(line) fill="none" stroke="#2f6fde" stroke-width="2" {}
            @for ((x, y), (label, v)) in xy.iter().zip(points) {
                circle cx=(format!("{x:.1}")) cy=(format!("{y:.1}")) r="3" fill="#2f6fde" {}
                text x=(format!("{x:.1}")) y=(format!("{:.1}", y - 6.0)) text-anchor="middle" { (number_text(*v)) }
                text x=(format!("{x:.1}")) y=(h - 10.0) text-anchor="middle" fill="#5d6778" { (label) }
            }
        }
    }
}

fn profile_section(t: &TableData) -> Markup {
    let Some(latest) = t.profiles.last() else {
        return html! { h3 { "Profile" } p.muted { "Not profiled yet (dynameta profile)." } };
    };
    let tp = &latest.table_profile;
    let mut charts: Vec<(String, &'static str, Vec<String>, Vec<f64>)> = Vec::new();
    let mut left_out: Vec<String> = Vec::new();
    for c in latest.columns.iter().flatten() {
        let stored = c.name.as_str();
        // The attribute as written (the current schema knows it), else decoded.
        let name = t
            .latest()
            .and_then(|l| l.snapshot.columns.iter().find(|c| c.name == stored))
            .map(|c| attribute_name(c).into_owned())
            .unwrap_or_else(|| decode_reserved(stored));
        // A chart of the old type's values (or of a column that is gone) is not the
        // column's current distribution: left out, and said.
        if let Some(check) = &t.check {
            if let Some(old) = check.stale.get(stored) {
                left_out.push(format!("{name}: {}", stale_note(old)));
                continue;
            }
            if check.gone.iter().any(|g| g == stored) {
                left_out.push(format!("{name}: no longer in the schema"));
                continue;
            }
        }
        for (kind, bars) in [
            ("histogram", &c.histogram),
            ("top values", &c.cardinality_distribution),
        ] {
            if let Some(b) = bars.as_ref() {
                if !b.labels.is_empty() && b.labels.len() == b.values.len() {
                    charts.push((name.clone(), kind, b.labels.clone(), b.values.clone()));
                }
            }
        }
    }
    let history: Vec<(String, f64)> = t
        .profiles
        .iter()
        .filter_map(|p| Some((format!("run {}", p.run_id), p.table_profile.row_count?)))
        .collect();
    html! {
        h3 { "Profile" }
        dl.props {
            dt { "Profiled" } dd { "run " (latest.run_id) " · " (latest.started_at) }
            @for (key, v) in table_facts(tp) { dt { (key) } dd { (v) } }
        }
        @if !left_out.is_empty() {
            p.stale { "Metrics left out as stale: " (left_out.join("; ")) "." }
        }
        @if !charts.is_empty() || history.len() > 1 {
            div.charts {
                @if history.len() > 1 {
                    div.chart { h4 { "Row count across profile runs" } (line_chart(&history)) }
                }
                @for (name, kind, labels, values) in &charts {
                    div.chart { h4 { code { (name) } " · " (kind) } (bar_chart(labels, values)) }
                }
            }
        }
    }
}

/// Schema versions and what changed between consecutive snapshots.
fn history(t: &TableData) -> Markup {
    let mut entries: Vec<(i64, Vec<ChangeKind>)> = Vec::new();
    for pair in t.snapshots.windows(2) {
        let changes = table_changes(&pair[0].snapshot, &pair[1].snapshot, DiffOptions::default());
        if !changes.is_empty() {
            entries.push((pair[1].run_id, changes));
        }
    }
    let (seen, first) = t.seen;
    html! {
        p.muted {
            (seen) " ingest run(s) saw this table"
            @if let Some(f) = first { ", first run " (f) }
            @if let Some(v) = t.versions.last() { "; schema version " (v.version) " since run " (v.first_run_id) " (" (v.started_at) ")" }
            "."
        }
        @for (run, changes) in entries.iter().rev() {
            p { "Run " (run) ":" }
            (changes_list(changes))
        }
    }
}

/// The sample with every leaf tagged `PII.Sensitive` (by the table's current tags)
/// masked, and a label that says which columns are masked, which are in clear and which
/// are gone.
fn sample_section(t: &TableData, sample: &Sample, columns: &[Column]) -> Markup {
    let masked = crate::sample::mask(sample, &t.tags, Some(columns));
    let label = |c: &crate::sample::SampleColumn| c.label.clone();
    let masked_names: Vec<String> = masked
        .columns
        .iter()
        .filter(|c| matches!(c.state, ColumnState::Masked(_)))
        .map(label)
        .collect();
    let clear: Vec<String> = masked
        .columns
        .iter()
        .filter(|c| c.state == ColumnState::Clear)
        .map(label)
        .collect();
    let gone: Vec<String> = masked
        .columns
        .iter()
        .filter(|c| !c.in_schema)
        .map(label)
        .collect();
    html! {
        p.sample-label {
            @if !t.classified {
                "In clear: all columns. This table has no classification (no classify run tagged it), so nothing is masked."
            } @else {
                @if masked_names.is_empty() {
                    "Masked: none (no column is tagged PII.Sensitive). "
                } @else {
                    "Masked (tagged PII.Sensitive): " (masked_names.join(", ")) ". "
                }
                @if clear.is_empty() {
                    "In clear: none."
                } @else {
                    "In clear (not tagged PII.Sensitive): " (clear.join(", ")) "."
                }
            }
        }
        @if !gone.is_empty() {
            p.stale { "No longer in the schema (the attribute is gone since this sample was taken): " (gone.join(", ")) "." }
        }
        (sample_table(&masked))
    }
}

fn sample_table(sample: &MaskedSample) -> Markup {
    let cell = |v: &serde_json::Value| -> String {
        let text = match v {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Null => String::new(),
            other => other.to_string(),
        };
        if text.chars().count() > SAMPLE_CELL {
            text.chars().take(SAMPLE_CELL - 1).collect::<String>() + "…"
        } else {
            text
        }
    };
    html! {
        div.scroll { table {
            thead { tr { @for c in &sample.columns {
                th {
                    (c.label)
                    @if c.label != c.name { " " span.muted { "(stored as " (c.name) ")" } }
                    @if matches!(c.state, ColumnState::Masked(_)) { " " span.badge.s { "masked" } }
                    @if !c.in_schema { " " span.badge.n { "no longer in the schema" } }
                }
            } } }
            tbody {
                @for row in sample.rows.iter().take(SAMPLE_ROWS) {
                    tr { @for v in row { td.mono { (cell(v)) } } }
                }
            }
        } }
        @if sample.rows.len() > SAMPLE_ROWS {
            p.muted { (SAMPLE_ROWS) " of " (sample.rows.len()) " rows shown." }
        }
    }
}

/// A table's AWS tags as `key = value, ...` (`none` when it has none).
fn aws_tags_text(tags: &serde_json::Map<String, serde_json::Value>) -> String {
    if tags.is_empty() {
        return "none".to_string();
    }
    tags.iter()
        .map(|(k, v)| match v {
            serde_json::Value::String(x) => format!("{k} = {x}"),
            other => format!("{k} = {other}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{RunStatus, TableProfile, TableSnapshot};
    use serde_json::json;

    /// Charts name the attribute as written: the schema's original name, even where
    /// OpenMetadata's name cannot be decoded back (`a::b` stored as `a__reserved__colon__b_2`
    /// beside a sibling that took the plain encoding).
    #[test]
    fn charts_name_attributes_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let mut cat = Catalog::open(&dir.path().join("c.db")).unwrap();
        let table = TableRef {
            fqn: "s.d.x.t".into(),
            service: "s".into(),
            database: "d".into(),
            schema: "x".into(),
            name: "t".into(),
        };
        let run = cat.begin_run("ingest", "s", "test").unwrap();
        let snapshot = TableSnapshot {
            table: table.clone(),
            keys: vec![],
            indexes: vec![],
            billing: None,
            item_count: None,
            size_bytes: None,
            ttl: None,
            stream: None,
            properties: json!({}),
            columns: vec![Column {
                name: "a__reserved__colon__b_2".into(),
                original_name: Some("a::b".into()),
                data_type: "STRING".into(),
                display_type: "string".into(),
                presence: Some(1.0),
                types: Default::default(),
                children: vec![],
            }],
        };
        cat.write_snapshot(run, &snapshot).unwrap();
        cat.finish_run(run, RunStatus::Succeeded, &json!({}))
            .unwrap();
        let run = cat.begin_run("profile", "s", "test").unwrap();
        cat.write_profile(
            run,
            &TableProfile {
                table,
                table_profile: serde_json::from_value(json!({"timestamp": 0, "rowCount": 2}))
                    .unwrap(),
                columns: serde_json::from_value(json!([{"name": "a__reserved__colon__b_2", "timestamp": 0,
                    "cardinalityDistribution": {"categories": ["x"], "counts": [2], "percentages": [100.0], "allValuesUnique": false}}]))
                .unwrap(),
                details: json!({}),
            },
        )
        .unwrap();
        cat.finish_run(run, RunStatus::Succeeded, &json!({}))
            .unwrap();
        let html = cat.report_html().unwrap();
        assert!(
            html.contains("<code>a::b</code> · top values"),
            "the chart names the attribute"
        );
        assert!(html.contains("stored as <code>a__reserved__colon__b_2</code>"));
    }
}
