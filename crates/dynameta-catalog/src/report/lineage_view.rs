//! The report's lineage view and usage chart (`dynameta lineage` / `dynameta usage`
//! with the local sink): an overview line, and per table a small diagram of where its
//! data goes (the table, an arrow, its downstream ends) and an inline SVG bar chart of
//! its daily requests. Plain HTML and CSS, no script: the far ends are listed as AWS
//! named them, not looked up anywhere.

use maud::{html, Markup};

use crate::lineage::{edge_kind_text, StoredLineage, UsageDay};

/// Days the overview's usage total covers (the latest stored days).
const OVERVIEW_DAYS: usize = 30;

/// Styles of the lineage view (appended to the report's CSS).
pub(super) const CSS: &str = r#"
.lineage{display:flex;align-items:center;gap:10px;flex-wrap:wrap;margin:6px 0}
.lineage .node{border:1px solid var(--line);border-radius:6px;padding:6px 10px;background:var(--chip);max-width:100%;overflow-wrap:anywhere}
.lineage .self{font-weight:600;background:#e8efff}
.lineage .arrow{font-size:20px;color:var(--mute)}
.lineage ul.ends{list-style:none;margin:0;padding:0;display:flex;flex-direction:column;gap:6px;min-width:0;flex:1}
.lineage ul.ends li{display:block}
"#;

/// What the overview needs of one table.
pub(super) struct TableLineageUsage<'a> {
    pub name: &'a str,
    pub lineage: Option<&'a StoredLineage>,
    pub usage: &'a [UsageDay],
}

/// The overview line: edges and replicas of the tables' latest lineage, requests of
/// their latest stored days. Nothing when no lineage or usage was recorded.
pub(super) fn overview(tables: &[TableLineageUsage<'_>]) -> Markup {
    let judged: Vec<&StoredLineage> = tables.iter().filter_map(|t| t.lineage).collect();
    let used: Vec<&TableLineageUsage<'_>> = tables.iter().filter(|t| !t.usage.is_empty()).collect();
    if judged.is_empty() && used.is_empty() {
        return html! {};
    }
    let edges: usize = judged.iter().map(|l| l.facts.edges.len()).sum();
    let with_edges = judged.iter().filter(|l| !l.facts.edges.is_empty()).count();
    let replicated = judged
        .iter()
        .filter(|l| !l.facts.replicas.is_empty())
        .count();
    let recent = |t: &TableLineageUsage<'_>| -> u64 {
        let n = t.usage.len();
        t.usage[n.saturating_sub(OVERVIEW_DAYS)..]
            .iter()
            .map(|d| d.requests)
            .sum()
    };
    let total: u64 = used.iter().map(|t| recent(t)).sum();
    let busiest = used.iter().max_by_key(|t| recent(t));
    html! {
        section #lineage-usage {
            h2 { "Lineage and usage" }
            @if !judged.is_empty() {
                p { b { "Lineage: " } (edges) " edge(s) from " (with_edges) " of " (judged.len()) " table(s) (exports to S3, stream consumers, Kinesis destinations)"
                    @if replicated > 0 { "; " (replicated) " global table(s) with replicas" } "." }
            }
            @if !used.is_empty() {
                p { b { "Usage: " } (human_count(total)) " successful request(s) in the latest " (OVERVIEW_DAYS) " recorded day(s) of " (used.len()) " table(s)"
                    @if let Some(b) = busiest { "; busiest: " (b.name) " (" (human_count(recent(b))) ")" }
                    ". CloudWatch request counts (dynameta's own scans included), not queries or users." }
            }
        }
    }
}

/// A table's lineage: the table, an arrow, where its data goes; its replicas (facts,
/// not edges) and what could not be read.
pub(super) fn lineage_section(table: &str, lineage: Option<&StoredLineage>) -> Markup {
    let Some(l) = lineage else {
        return html! {};
    };
    let f = &l.facts;
    html! {
        h3 { "Lineage" }
        p.muted { "Lineage run " (l.run_id) " (" (l.started_at) "): where the table's data goes, as dynameta found it in AWS." }
        div.lineage {
            div.node.self { (table) }
            div.arrow aria-hidden="true" { "→" }
            @if f.edges.is_empty() {
                div.node.muted { "no export, stream consumer or Kinesis destination found" }
            } @else {
                ul.ends {
                    @for e in &f.edges {
                        li.node data-kind=(e.kind) {
                            span.badge.chg { (edge_kind_text(&e.kind)) } " " b { (e.name) }
                            div.mono.muted { (e.target) }
                            @if !e.detail.is_empty() { div.reason { (e.detail) } }
                        }
                    }
                }
            }
        }
        @if !f.replicas.is_empty() {
            p { "Global table replicas (not lineage): "
                (f.replicas.iter().map(|r| if r.status.is_empty() { r.region.clone() } else { format!("{} ({})", r.region, r.status) }).collect::<Vec<_>>().join(", ")) }
        }
        @for p in &f.problems { p.reason.stale { "Not read: " (p) } }
    }
}

/// A table's daily requests as a bar chart (inline SVG), with the total and the
/// busiest day.
pub(super) fn usage_section(days: &[UsageDay]) -> Markup {
    if days.is_empty() {
        return html! {};
    }
    let total: u64 = days.iter().map(|d| d.requests).sum();
    let busiest = days.iter().max_by_key(|d| d.requests);
    let (w, h, pad, bottom, top) = (360.0_f64, 130.0_f64, 6.0_f64, 18.0_f64, 14.0_f64);
    let max = days.iter().map(|d| d.requests).max().unwrap_or(0).max(1) as f64;
    let step = (w - 2.0 * pad) / days.len() as f64;
    let bar = (step * 0.8).max(0.5);
    let first = days.first().map(|d| d.day.as_str()).unwrap_or_default();
    let last = days.last().map(|d| d.day.as_str()).unwrap_or_default();
    html! {
        h3 { "Usage" }
        p.muted { (human_count(total)) " successful request(s) over " (days.len()) " day(s), " (first) " to " (last)
            @if let Some(b) = busiest { "; busiest " (b.day) " (" (human_count(b.requests)) ")" }
            ". CloudWatch request counts, dynameta's own included." }
        @if days.iter().any(|d| d.clamped) { p.reason.stale { "A day's count exceeded OpenMetadata's 32-bit usage column and was clamped." } }
        div.charts { div.chart {
            h4 { "Successful requests per day" }
            svg.usage-chart viewBox={ "0 0 " (w) " " (h) } role="img" aria-label="successful requests per day" {
                line x1=(pad) y1=(h - bottom) x2=(w - pad) y2=(h - bottom) stroke="#ccd" {}
                text x=(pad) y="10" fill="#5d6778" { "max " (human_count(max as u64)) }
                @for (i, d) in days.iter().enumerate() {
                    @let bh = (h - bottom - top) * d.requests as f64 / max;
                    rect x=(format!("{:.1}", pad + step * i as f64)) y=(format!("{:.1}", h - bottom - bh)) width=(format!("{bar:.1}")) height=(format!("{:.1}", bh.max(0.0))) fill="#2f6fde" {
                        title { (d.day) ": " (d.requests) }
                    }
                }
                text x=(pad) y=(h - 4.0) fill="#5d6778" { (first) }
                text x=(w - pad) y=(h - 4.0) text-anchor="end" fill="#5d6778" { (last) }
            }
        } }
    }
}

/// `1234567` as `1,234,567`.
fn human_count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_have_thousands_separators() {
        assert_eq!(human_count(0), "0");
        assert_eq!(human_count(999), "999");
        assert_eq!(human_count(1_234_567), "1,234,567");
    }
}
