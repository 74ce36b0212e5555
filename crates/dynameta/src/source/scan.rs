//! The scan engine: a parallel segmented `Scan` over chosen segments, pages processed
//! as they arrive (never the whole table in memory), eventually consistent, consumed
//! capacity tracked, and an optional read budget enforced by a token bucket shared by
//! all workers.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::time::Instant as TokioInstant;

use aws_sdk_dynamodb::types::{AttributeValue, ReturnConsumedCapacity, Select};

use super::SourceError;
use crate::aws::{describe_sdk_error, ThrottleRetry};

/// Largest page asked for; DynamoDB also stops a page at 1 MB.
pub(crate) const MAX_PAGE: u32 = 1000;
/// First page of a budgeted scan, before the cost of an item is known.
const FIRST_BUDGETED_PAGE: u32 = 25;
/// Cost assumed for an item before any is read: one read unit (a 4 KB strongly
/// consistent read; an eventually consistent Scan costs at most half that).
const UNKNOWN_ITEM_COST: f64 = 1.0;
/// Seconds of budget one page of a budgeted scan may cost.
const PAGE_SHARE_OF_BUDGET: f64 = 0.1;

/// What to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanPlan {
    /// `TotalSegments` of every request.
    pub total_segments: u32,
    /// Segments to read, in order (workers take the next one when done).
    pub segments: Vec<u32>,
    /// Stop after this many items (ROWS sampling).
    pub row_limit: Option<u64>,
    /// Requests in flight at once.
    pub workers: usize,
}

/// What a scan read and cost.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScanStats {
    /// Items read.
    pub items: u64,
    /// Scan requests made.
    pub requests: u64,
    /// Read capacity units consumed, as DynamoDB reported.
    pub consumed_read_units: f64,
    /// Segments read to their end.
    pub segments_completed: u32,
    /// Segments started but left before their end (row limit).
    pub segments_partial: u32,
    /// Wall time.
    pub elapsed: Duration,
}

/// A read budget in read units per second, shared by all workers of a scan. A request
/// first takes its estimated cost out (waiting while the bucket is in debt), and the
/// difference to the cost DynamoDB reports is settled when the answer arrives. Workers
/// therefore queue behind each other's estimates instead of all passing an empty
/// bucket at once, and the average rate converges on the budget whatever the item size
/// and however slow the answers.
#[derive(Debug)]
pub struct TokenBucket {
    rate: f64,
    state: tokio::sync::Mutex<(f64, TokioInstant)>,
}

impl TokenBucket {
    /// A bucket refilling at `rate` units per second, holding at most one second's worth.
    pub fn new(rate: f64) -> TokenBucket {
        TokenBucket {
            rate,
            state: tokio::sync::Mutex::new((rate.min(1.0), TokioInstant::now())),
        }
    }

    /// Units per second.
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// Waits until the bucket is not in debt, then prices the request with `price`
    /// (its estimated cost, and whatever the caller sized with it) at that moment and
    /// takes the estimate out. Pricing after the wait uses the freshest cost per item.
    pub async fn acquire<T>(&self, price: impl Fn() -> (f64, T)) -> T {
        loop {
            let wait = {
                let mut state = self.state.lock().await;
                self.refill(&mut state);
                if state.0 > 0.0 {
                    let (estimate, sized) = price();
                    state.0 -= estimate;
                    return sized;
                }
                Duration::from_secs_f64((-state.0 + 0.01) / self.rate)
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// Settles a request that was acquired with `estimate` and cost `actual` (a refund
    /// never lifts the bucket above one second's worth).
    pub async fn settle(&self, estimate: f64, actual: f64) {
        let mut state = self.state.lock().await;
        self.refill(&mut state);
        state.0 = (state.0 + estimate - actual).min(self.capacity());
    }

    /// The most the bucket holds: one second's worth.
    fn capacity(&self) -> f64 {
        self.rate.max(1.0)
    }

    fn refill(&self, state: &mut (f64, TokioInstant)) {
        let now = TokioInstant::now();
        let earned = now.duration_since(state.1).as_secs_f64() * self.rate;
        state.0 = (state.0 + earned).min(self.capacity());
        state.1 = now;
    }
}

/// Waits for the budget and sizes the next page of a budgeted read of at most `most`
/// items: `(limit, estimate)`, the estimate taken out of the budget (settle it with
/// the page's cost). Pages cost about a tenth of a second of budget, so the last one
/// cannot overshoot by much. Until the cost of an item is known (`item_cost`, the read
/// units per item of the latest page, 0 before), pages are small and priced at a full
/// read unit an item, refunded when the answer comes. Shared by the profiler's scan and
/// the samplers of ingest and classify, so every read of a table keeps one budget.
pub(crate) async fn budgeted_page(
    budget: &TokenBucket,
    item_cost: &Mutex<f64>,
    most: u32,
) -> (u32, f64) {
    budget
        .acquire(|| {
            let known = *lock(item_cost);
            let (per_item, fit) = if known > 0.0 {
                (known, (budget.rate() * PAGE_SHARE_OF_BUDGET / known) as u32)
            } else {
                (UNKNOWN_ITEM_COST, FIRST_BUDGETED_PAGE)
            };
            let limit = most.min(fit.max(1));
            let estimate = per_item * f64::from(limit);
            (estimate, (limit, estimate))
        })
        .await
}

/// The read budget of a table, in read units per second: `maxReadCapacityPercent` of
/// its provisioned RCU and/or `maxReadUnitsPerSecond`, the smaller when both apply;
/// none when neither does (an on-demand table with only a percentage has no RCU to
/// take a share of).
pub fn read_budget(
    max_read_capacity_percent: Option<f64>,
    max_read_units_per_second: Option<f64>,
    table: &super::TableDescription,
) -> Option<f64> {
    let provisioned = table
        .provisioned_throughput
        .map(|t| t.read_capacity_units as f64)
        .filter(|r| *r > 0.0);
    let from_percent = max_read_capacity_percent
        .zip(provisioned)
        .map(|(p, rcu)| rcu * p / 100.0);
    match (from_percent, max_read_units_per_second) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// One segment to read: from `start` (or its beginning), at most `quota` items.
struct Task {
    segment: u32,
    quota: Option<u64>,
    start: Option<HashMap<String, AttributeValue>>,
}

/// A segment left at its quota, and where it continues.
type Partial = (u32, HashMap<String, AttributeValue>);

struct Shared {
    client: aws_sdk_dynamodb::Client,
    table: String,
    plan: ScanPlan,
    queue: Mutex<VecDeque<Task>>,
    partials: Mutex<Vec<Partial>>,
    stop: AtomicBool,
    items: AtomicU64,
    consumed: Mutex<f64>,
    budget: Option<Arc<TokenBucket>>,
    /// Read units per item of the latest page (0 until one is known): prices budgeted
    /// pages, so only the scan's first request is priced blind, not every worker's.
    item_cost: Mutex<f64>,
    progress: Progress,
    /// How a page DynamoDB still throttles after the SDK's attempts is retried.
    throttle_retry: ThrottleRetry,
}

/// How a folded item is observed: a plain function, so workers can run on any thread.
pub type Observe<S> = fn(&mut S, &HashMap<String, AttributeValue>);
/// Called after every page with (items so far, read units so far).
pub type Progress = Arc<dyn Fn(u64, f64) + Send + Sync>;

/// Scans `plan` of `table`. Each worker runs as its own task (so parsing and folding
/// use every core) and folds every page it reads into a state with `observe`; the
/// caller merges the states it gets back.
///
/// States are pooled rather than owned by workers: a page is folded synchronously, so at
/// most one state per runtime thread is ever in use, and a thread takes back the state
/// it used last. Two cores fold into two states however many requests are in flight,
/// which keeps the states (hash tables, sketches) in that core's cache.
///
/// With a row limit the scan goes in rounds, each reading the shortfall as equal
/// quotas of a few segments (segments left at their quota first, then fresh ones, in
/// plan order): every segment contributes its first items in key order, so the items
/// read depend on the data and the plan only, not on timing, and never exceed the limit.
pub async fn scan<S: Default + Send + 'static>(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    plan: &ScanPlan,
    budget: Option<Arc<TokenBucket>>,
    observe: Observe<S>,
    progress: Progress,
    throttle_retry: &ThrottleRetry,
) -> Result<(Vec<S>, ScanStats), SourceError> {
    let new_state: NewState<S> = Arc::new(S::default);
    scan_with(
        client,
        table,
        plan,
        budget,
        new_state,
        observe,
        progress,
        throttle_retry,
    )
    .await
}

/// Makes a fresh fold state (for states that need more than `Default`: a data-quality
/// state is built from its plan).
pub type NewState<S> = Arc<dyn Fn() -> S + Send + Sync>;

/// [`scan`] with fold states made by `new_state` instead of `S::default()`.
#[allow(clippy::too_many_arguments)]
pub async fn scan_with<S: Send + 'static>(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    plan: &ScanPlan,
    budget: Option<Arc<TokenBucket>>,
    new_state: NewState<S>,
    observe: Observe<S>,
    progress: Progress,
    throttle_retry: &ThrottleRetry,
) -> Result<(Vec<S>, ScanStats), SourceError> {
    let started = Instant::now();
    let shared = Arc::new(Shared {
        client: client.clone(),
        table: table.to_string(),
        plan: plan.clone(),
        queue: Mutex::new(VecDeque::new()),
        partials: Mutex::new(Vec::new()),
        stop: AtomicBool::new(false),
        items: AtomicU64::new(0),
        consumed: Mutex::new(0.0),
        item_cost: Mutex::new(0.0),
        budget,
        progress,
        throttle_retry: *throttle_retry,
    });
    let mut stats = ScanStats::default();
    let states = Arc::new(StatePool::new(new_state));
    let Some(rows) = plan.row_limit else {
        lock(&shared.queue).extend(plan.segments.iter().map(|&segment| Task {
            segment,
            quota: None,
            start: None,
        }));
        run_round(&shared, &states, observe, &mut stats).await?;
        return Ok(finish(&shared, &states, stats, started));
    };
    let mut fresh = plan.segments.iter().copied();
    let position = |segment: u32| plan.segments.iter().position(|&s| s == segment);
    loop {
        let got = shared.items.load(Ordering::Relaxed);
        let short = rows.saturating_sub(got);
        if short == 0 {
            break;
        }
        let width = (plan.workers.max(1) as u64).min(short) as usize;
        // Segments left at their quota continue first, in plan order; then fresh ones.
        let mut partials = std::mem::take(&mut *lock(&shared.partials));
        partials.sort_by_key(|(segment, _)| position(*segment));
        let mut picked: Vec<(u32, Option<HashMap<String, AttributeValue>>)> = Vec::new();
        let mut partials = partials.into_iter();
        while picked.len() < width {
            match partials.next() {
                Some((segment, key)) => picked.push((segment, Some(key))),
                None => match fresh.next() {
                    Some(segment) => picked.push((segment, None)),
                    None => break,
                },
            }
        }
        lock(&shared.partials).extend(partials);
        if picked.is_empty() {
            break;
        }
        let (base, extra) = (short / picked.len() as u64, short % picked.len() as u64);
        lock(&shared.queue).extend(picked.into_iter().enumerate().map(|(i, (segment, start))| {
            Task {
                segment,
                quota: Some(base + u64::from((i as u64) < extra)),
                start,
            }
        }));
        run_round(&shared, &states, observe, &mut stats).await?;
    }
    stats.segments_partial = lock(&shared.partials).len() as u32;
    Ok(finish(&shared, &states, stats, started))
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

fn finish<S>(
    shared: &Shared,
    states: &StatePool<S>,
    mut stats: ScanStats,
    started: Instant,
) -> (Vec<S>, ScanStats) {
    stats.items = shared.items.load(Ordering::Relaxed);
    stats.consumed_read_units = *lock(&shared.consumed);
    stats.elapsed = started.elapsed();
    let states = std::mem::take(&mut *lock(&states.free));
    (states.into_iter().map(|(_, s)| s).collect(), stats)
}

/// Fold states not in use, each with the thread that used it last.
struct StatePool<S> {
    free: Mutex<Vec<(std::thread::ThreadId, S)>>,
    new_state: NewState<S>,
}

impl<S> StatePool<S> {
    fn new(new_state: NewState<S>) -> Self {
        StatePool {
            free: Mutex::new(Vec::new()),
            new_state,
        }
    }

    /// The state this thread used last, else any free one, else a new one.
    fn take(&self) -> S {
        let me = std::thread::current().id();
        let mut free = lock(&self.free);
        let at = free
            .iter()
            .position(|(thread, _)| *thread == me)
            .or_else(|| free.len().checked_sub(1));
        match at {
            Some(i) => free.swap_remove(i).1,
            None => (self.new_state)(),
        }
    }

    fn put(&self, state: S) {
        lock(&self.free).push((std::thread::current().id(), state));
    }
}

/// Runs the workers until the task queue is empty.
async fn run_round<S: Send + 'static>(
    shared: &Arc<Shared>,
    states: &Arc<StatePool<S>>,
    observe: Observe<S>,
    stats: &mut ScanStats,
) -> Result<(), SourceError> {
    // A JoinSet aborts its tasks when dropped: a timed-out or failed scan stops reading.
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..shared.plan.workers.max(1) {
        workers.spawn(worker(shared.clone(), states.clone(), observe));
    }
    while let Some(joined) = workers.join_next().await {
        let failure = match joined {
            Ok(Ok((requests, completed))) => {
                stats.requests += requests;
                stats.segments_completed += completed;
                continue;
            }
            Ok(Err(e)) => e,
            Err(join) => SourceError::new(
                "Scan",
                &shared.table,
                crate::aws::CallFailure {
                    code: "WorkerFailed".into(),
                    message: join.to_string(),
                },
            ),
        };
        // The first failure ends the scan at once; the other workers are aborted.
        shared.stop.store(true, Ordering::Relaxed);
        workers.abort_all();
        return Err(failure);
    }
    Ok(())
}

async fn worker<S>(
    shared: Arc<Shared>,
    states: Arc<StatePool<S>>,
    observe: Observe<S>,
) -> Result<(u64, u32), SourceError> {
    let (client, table, plan) = (&shared.client, shared.table.as_str(), &shared.plan);
    let (mut requests, mut completed) = (0u64, 0u32);
    while !shared.stop.load(Ordering::Relaxed) {
        let next = lock(&shared.queue).pop_front();
        let Some(Task {
            segment,
            quota,
            mut start,
        }) = next
        else {
            break;
        };
        let mut taken = 0u64;
        let mut backoff = shared.throttle_retry.backoff();
        loop {
            let mut limit = MAX_PAGE;
            if let Some(q) = quota {
                limit = limit.min(u32::try_from(q - taken).unwrap_or(u32::MAX));
            }
            // What this page is expected to cost, taken from the budget before it is sent.
            let mut estimate = 0.0;
            if let Some(budget) = &shared.budget {
                (limit, estimate) = budgeted_page(budget, &shared.item_cost, limit).await;
            }
            let page = match scan_page(
                client,
                table,
                segment,
                plan.total_segments,
                limit,
                start.clone(),
            )
            .await
            {
                Ok(page) => page,
                // Still throttled after the SDK's attempts: nothing was read, so the
                // estimate goes back to the budget; after a full-jitter backoff the page
                // is priced and queued for the budget again, like any other page.
                Err(e) if e.failure.is_throttling() => {
                    if let Some(budget) = &shared.budget {
                        budget.settle(estimate, 0.0).await;
                    }
                    let Some(wait) = backoff.next_wait() else {
                        return Err(e);
                    };
                    backoff.report(&format!("Scan on {table}"), wait);
                    tokio::time::sleep(wait).await;
                    continue;
                }
                Err(e) => return Err(e),
            };
            backoff = shared.throttle_retry.backoff();
            requests += 1;
            let units = page.units;
            let n = page.items.len() as u64;
            if let Some(budget) = &shared.budget {
                budget.settle(estimate, units).await;
                if n > 0 {
                    *lock(&shared.item_cost) = units / n as f64;
                }
            }
            // Each item is dropped right after it is folded, while it is still in cache.
            let mut state = states.take();
            for item in page.items {
                observe(&mut state, &item);
            }
            states.put(state);
            taken += n;
            let items = shared.items.fetch_add(n, Ordering::Relaxed) + n;
            let consumed = {
                let mut c = lock(&shared.consumed);
                *c += units;
                *c
            };
            (shared.progress)(items, consumed);
            match page.next {
                None => {
                    completed += 1;
                    break;
                }
                Some(key) if quota.is_some_and(|q| taken >= q) => {
                    lock(&shared.partials).push((segment, key));
                    break;
                }
                Some(key) => start = Some(key),
            }
        }
    }
    Ok((requests, completed))
}

/// One answered Scan request.
pub(crate) struct Page {
    /// The items.
    pub items: Vec<HashMap<String, AttributeValue>>,
    /// Read units it consumed.
    pub units: f64,
    /// Where the segment continues; `None` at its end.
    pub next: Option<HashMap<String, AttributeValue>>,
}

/// Reads one page of `segment` of `total` (a plain Scan when `total` is 1): all
/// attributes, eventually consistent, at most `limit` items, consumed capacity returned.
/// The sampler and the scan engine both read through here.
pub(crate) async fn scan_page(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    segment: u32,
    total: u32,
    limit: u32,
    start: Option<HashMap<String, AttributeValue>>,
) -> Result<Page, SourceError> {
    let mut request = client
        .scan()
        .table_name(table)
        .select(Select::AllAttributes)
        .consistent_read(false)
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .limit(limit.min(MAX_PAGE) as i32)
        .set_exclusive_start_key(start);
    if total > 1 {
        request = request.segment(segment as i32).total_segments(total as i32);
    }
    let out = request
        .send()
        .await
        .map_err(|e| SourceError::new("Scan", table, describe_sdk_error(&e)))?;
    Ok(Page {
        units: out
            .consumed_capacity
            .as_ref()
            .and_then(|c| c.capacity_units)
            .unwrap_or(0.0),
        next: out.last_evaluated_key.filter(|k| !k.is_empty()),
        items: out.items.unwrap_or_default(),
    })
}

/// A seeded shuffle of `0..total` (SplitMix64-driven Fisher–Yates): the same seed
/// always picks the same segments.
///
/// Hand-written on purpose (product logic, not commodity code): "the same
/// `sampleSeed` reads the same items" is a promise to users across dynameta releases,
/// and a random-number crate is free to change its stream between versions. The test
/// `shuffle_values_are_pinned` holds the exact sequence.
pub fn shuffled_segments(total: u32, seed: u64) -> Vec<u32> {
    let mut segments: Vec<u32> = (0..total).collect();
    let mut x = seed;
    let mut next = move || {
        x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    for i in (1..segments.len()).rev() {
        let j = (next() % (i as u64 + 1)) as usize;
        segments.swap(i, j);
    }
    segments
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shuffle_is_a_seeded_permutation() {
        let a = shuffled_segments(100, 7);
        let mut sorted = a.clone();
        sorted.sort();
        assert_eq!(sorted, (0..100).collect::<Vec<_>>());
        assert_eq!(a, shuffled_segments(100, 7));
        assert_ne!(a, shuffled_segments(100, 8));
    }

    #[test]
    fn shuffle_values_are_pinned() {
        // The same seed reads the same segments in every release: changing these
        // values changes which items a user's `sampleSeed` profiles.
        assert_eq!(
            shuffled_segments(16, 42),
            [12, 13, 4, 2, 14, 6, 7, 8, 11, 15, 9, 10, 3, 0, 1, 5]
        );
        assert_eq!(
            shuffled_segments(1000, 42)[..10],
            [650, 152, 78, 670, 854, 316, 525, 677, 361, 796]
        );
        assert_eq!(
            shuffled_segments(64, 0)[..8],
            [22, 9, 57, 11, 12, 0, 49, 10]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn bucket_holds_the_rate() {
        // Paused tokio time: sleeps advance a virtual clock, so this is exact.
        let bucket = TokenBucket::new(200.0);
        let started = TokioInstant::now();
        let mut spent = 0.0;
        while spent < 100.0 {
            bucket.acquire(|| (10.0, ())).await;
            spent += 10.0;
        }
        // The tenth request goes once the bucket is out of debt again: 90 units at
        // 200/s, minus the initial unit of credit.
        let secs = started.elapsed().as_secs_f64();
        assert!((0.44..0.52).contains(&secs), "{secs}");
    }

    #[tokio::test(start_paused = true)]
    async fn slow_answers_and_underestimates_do_not_overspend() {
        // 8 workers whose answers cost 20 % more than estimated. Had they paid only when
        // the answer came, all 8 would pass the bucket together each time it refilled
        // (about 126 units/s here); paying the estimate up front queues them.
        let bucket = Arc::new(TokenBucket::new(100.0));
        let spent = Arc::new(Mutex::new(0.0f64));
        let started = TokioInstant::now();
        let mut workers = tokio::task::JoinSet::new();
        for _ in 0..8 {
            let (bucket, spent) = (bucket.clone(), spent.clone());
            workers.spawn(async move {
                for _ in 0..10 {
                    bucket.acquire(|| (10.0, ())).await;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    bucket.settle(10.0, 12.0).await;
                    *lock(&spent) += 12.0;
                }
            });
        }
        while workers.join_next().await.is_some() {}
        let rate = *lock(&spent) / started.elapsed().as_secs_f64();
        assert!((90.0..=105.0).contains(&rate), "{rate:.1} units/s");
    }
}
