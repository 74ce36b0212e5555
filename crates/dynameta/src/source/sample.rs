//! Sampling items for schema inference with a parallel segmented `Scan`.
//!
//! DynamoDB hashes partition keys, so each of `TotalSegments` segments holds a slice
//! of the whole key space. Reading a share of the sample from every segment gives items
//! from all over the table instead of the first pages of one key range, and the reads
//! run in parallel. Results are deterministic for the same data: segments are read in
//! key order and merged per segment.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use futures_util::future::join_all;

use std::sync::Mutex;

use super::scan::{budgeted_page, scan_page, TokenBucket, MAX_PAGE};
use super::SourceError;
use crate::aws::ThrottleRetry;

/// What the sampler folds the items it reads into, segment by segment (the inference's
/// shapes, for one): the source knows nothing of what is computed from the items.
pub trait ItemFold: Default + Send {
    /// Takes in one item.
    fn observe(&mut self, item: &Item);
    /// Adds what another fold (of other items) took in.
    fn merge(&mut self, other: &Self);
}

/// The sample of one table, folded into `F`, and what reading it cost.
#[derive(Debug, Clone, Default)]
pub struct SampleOutcome<F> {
    /// The fold of every sampled item.
    pub sample: F,
    /// Items read.
    pub items: u64,
    /// Scan segments used (1 = a plain scan).
    pub segments: u32,
    /// Scan requests made.
    pub requests: u32,
    /// Read capacity units consumed, as DynamoDB reported.
    pub consumed_read_units: f64,
    /// The items themselves, segment by segment, when asked for (classification).
    pub kept: Vec<Item>,
}

/// One DynamoDB item.
pub type Item = HashMap<String, AttributeValue>;

type Key = HashMap<String, AttributeValue>;

struct Segment<F> {
    index: u32,
    next: Option<Key>,
    exhausted: bool,
    sample: F,
    items: u64,
    requests: u32,
    consumed: f64,
    kept: Vec<Item>,
    keep: usize,
}

/// Reads up to `size` items of `table` spread over `segments` Scan segments.
///
/// `item_count` (DescribeTable's estimate) sizes the read. While the sample is at
/// least half of the table, one plain scan already covers half the key space and
/// splitting it only adds requests; beyond that, one segment per two samples' worth of
/// items, up to `segments`, so each segment gives a real share of its items. An
/// unknown count uses `segments`. When some segments run dry, their unused share goes
/// to the others, so a table with at least `size` items always yields `size` items.
///
/// Up to `keep` of the items are also returned (an even share of every segment, in
/// segment order, so the same data gives the same list); 0 keeps none.
///
/// With a `budget` (the table's read budget, [`super::read_budget`]), every page is
/// priced and waits for it as the profiler's scan does, whatever the segment: the
/// sample's reads never exceed the budget's rate (its one second of initial credit
/// aside), however many segments read at once.
#[allow(clippy::too_many_arguments)]
pub async fn sample_table<F: ItemFold>(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    size: u32,
    segments: u32,
    item_count: Option<i64>,
    keep: u32,
    budget: Option<&TokenBucket>,
    throttle_retry: &ThrottleRetry,
) -> Result<SampleOutcome<F>, SourceError> {
    let item_cost = Mutex::new(0.0);
    let read = Reader {
        client,
        table,
        budget,
        item_cost: &item_cost,
        throttle_retry,
    };
    let total = segment_count(size, segments, item_count);
    let mut states: Vec<Segment<F>> = (0..total)
        .map(|index| Segment {
            index,
            next: None,
            exhausted: false,
            sample: F::default(),
            items: 0,
            requests: 0,
            consumed: 0.0,
            kept: Vec::new(),
            keep: (keep as usize).div_ceil(total as usize),
        })
        .collect();
    let mut wanted = u64::from(size);
    while wanted > 0 {
        let before: u64 = states.iter().map(|s| s.items).sum();
        let open: Vec<&mut Segment<F>> = states.iter_mut().filter(|s| !s.exhausted).collect();
        if open.is_empty() {
            break;
        }
        let share = wanted / open.len() as u64;
        let extra = wanted % open.len() as u64;
        let reads = open.into_iter().enumerate().map(|(i, seg)| {
            let quota = share + u64::from((i as u64) < extra);
            read_segment(&read, total, seg, quota)
        });
        for result in join_all(reads).await {
            result?;
        }
        let after: u64 = states.iter().map(|s| s.items).sum();
        wanted = wanted.saturating_sub(after - before);
    }
    let mut outcome = SampleOutcome {
        segments: total,
        ..SampleOutcome::<F>::default()
    };
    for s in &mut states {
        outcome.sample.merge(&s.sample);
        outcome.items += s.items;
        outcome.requests += s.requests;
        outcome.consumed_read_units += s.consumed;
        outcome.kept.append(&mut s.kept);
    }
    outcome.kept.truncate(keep as usize);
    Ok(outcome)
}

/// Segments for a sample of `size` out of about `item_count` items, at most `segments`.
fn segment_count(size: u32, segments: u32, item_count: Option<i64>) -> u32 {
    let cap = segments.clamp(1, size.max(1));
    match item_count {
        Some(n) => {
            let per_segment = 2 * u64::from(size.max(1));
            let wanted = u64::try_from(n).unwrap_or(0) / per_segment;
            cap.min(u32::try_from(wanted).unwrap_or(u32::MAX)).max(1)
        }
        None => cap,
    }
}

/// What every segment's reads share: the table, its budget and the latest cost of an
/// item (which prices budgeted pages).
struct Reader<'a> {
    client: &'a aws_sdk_dynamodb::Client,
    table: &'a str,
    budget: Option<&'a TokenBucket>,
    item_cost: &'a Mutex<f64>,
    throttle_retry: &'a ThrottleRetry,
}

async fn read_segment<F: ItemFold>(
    read: &Reader<'_>,
    total: u32,
    seg: &mut Segment<F>,
    quota: u64,
) -> Result<(), SourceError> {
    let table = read.table;
    let mut got = 0u64;
    while got < quota && !seg.exhausted {
        let mut limit = (quota - got).min(u64::from(MAX_PAGE)) as u32;
        let mut estimate = 0.0;
        if let Some(budget) = read.budget {
            (limit, estimate) = budgeted_page(budget, read.item_cost, limit).await;
        }
        let start = seg.next.take();
        // A page DynamoDB still throttles after the SDK's attempts is retried, not lost.
        let page = read
            .throttle_retry
            .run(format!("Scan on {table}"), || {
                scan_page(read.client, table, seg.index, total, limit, start.clone())
            })
            .await;
        if let Some(budget) = read.budget {
            let units = page.as_ref().map_or(0.0, |p| p.units);
            budget.settle(estimate, units).await;
            if let Ok(p) = &page {
                if !p.items.is_empty() {
                    *read.item_cost.lock().unwrap_or_else(|e| e.into_inner()) =
                        p.units / p.items.len() as f64;
                }
            }
        }
        let page = page?;
        seg.requests += 1;
        seg.consumed += page.units;
        for item in &page.items {
            seg.sample.observe(item);
        }
        let n = page.items.len() as u64;
        let room = seg.keep.saturating_sub(seg.kept.len());
        seg.kept.extend(page.items.into_iter().take(room));
        got += n;
        seg.items += n;
        seg.exhausted = page.next.is_none();
        seg.next = page.next;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::segment_count;

    #[test]
    fn segments_grow_with_table_to_sample_ratio() {
        assert_eq!(segment_count(100, 8, Some(50)), 1);
        assert_eq!(segment_count(100, 8, Some(100)), 1);
        assert_eq!(
            segment_count(100, 8, Some(399)),
            1,
            "sample is over half the table"
        );
        assert_eq!(segment_count(100, 8, Some(400)), 2);
        assert_eq!(segment_count(100, 8, Some(1000)), 5);
        assert_eq!(segment_count(100, 8, Some(1_000_000)), 8);
        assert_eq!(segment_count(100, 8, None), 8);
        assert_eq!(
            segment_count(3, 8, None),
            3,
            "never more segments than items wanted"
        );
    }
}
