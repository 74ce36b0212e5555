//! KLL quantile sketch (Karnin, Lang, Liberty 2016) over `f64`, mergeable.
//!
//! Level `h` holds items of weight 2^h. When the sketch exceeds its budget, the
//! lowest level over its capacity is sorted and compacted: of each adjacent pair one
//! item (all the even or all the odd positions, a coin flip) moves up a level with
//! twice the weight. Capacities shrink by 2/3 per level below the top (top = k), so
//! about 3k items are kept. The coin comes from a constant-seeded xorshift: the same
//! adds and merges always give the same sketch. Count, min and max are exact.

/// Default accuracy parameter: about 1.65 % normalized rank error (99 % confidence).
const DEFAULT_K: u16 = 200;
/// Smallest accepted `k`.
const MIN_K: u16 = 8;
/// Seed of the compaction coin (any nonzero constant).
const SEED: u64 = 0x2545_F491_4F6C_DD1D;

/// A KLL sketch answering approximate quantiles and ranks of a stream of `f64`.
#[derive(Clone, Debug)]
pub struct Kll {
    k: u16,
    /// `levels[h]` holds items of weight 2^h (unsorted between compactions).
    levels: Vec<Vec<f64>>,
    /// Items held over all levels.
    retained: usize,
    /// Sum of level capacities: compaction starts when `retained` reaches it.
    max_retained: usize,
    count: u64,
    min: f64,
    max: f64,
    /// Xorshift state for the compaction coin.
    rng: u64,
}

impl Kll {
    /// An empty sketch with k = 200.
    pub fn new() -> Kll {
        Kll::with_k(DEFAULT_K)
    }

    /// An empty sketch with accuracy parameter `k` (raised to at least 8). Rank error
    /// shrinks roughly like 1/k; memory is about 3k values.
    pub fn with_k(k: u16) -> Kll {
        let mut sketch = Kll {
            k: k.max(MIN_K),
            levels: vec![Vec::new()],
            retained: 0,
            max_retained: 0,
            count: 0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            rng: SEED,
        };
        sketch.max_retained = sketch.total_capacity();
        sketch
    }

    /// Adds one value; NaN is ignored (not counted).
    pub fn add(&mut self, x: f64) {
        if x.is_nan() {
            return;
        }
        self.count += 1;
        self.min = self.min.min(x);
        self.max = self.max.max(x);
        if let Some(level) = self.levels.first_mut() {
            level.push(x);
            self.retained += 1;
        }
        if self.retained >= self.max_retained {
            self.compress();
        }
    }

    /// Adds every value summarized by `other`. When the two `k` differ, the smaller
    /// one (the less accurate) is kept.
    pub fn merge(&mut self, other: &Kll) {
        if other.count == 0 {
            return;
        }
        self.k = self.k.min(other.k);
        while self.levels.len() < other.levels.len() {
            self.levels.push(Vec::new());
        }
        for (mine, theirs) in self.levels.iter_mut().zip(&other.levels) {
            mine.extend_from_slice(theirs);
        }
        self.retained += other.retained;
        self.count += other.count;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        self.max_retained = self.total_capacity();
        self.compress();
    }

    /// Exact number of (non-NaN) values added, merged sketches included.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Exact smallest value; `None` when empty.
    pub fn min(&self) -> Option<f64> {
        (self.count > 0).then_some(self.min)
    }

    /// Exact largest value; `None` when empty.
    pub fn max(&self) -> Option<f64> {
        (self.count > 0).then_some(self.max)
    }

    /// Approximate `q`-quantile: the smallest retained value whose estimated rank
    /// (fraction of values ≤ it) reaches `q`. `q = 0` gives the exact min, `q = 1` the
    /// exact max. `None` when the sketch is empty or `q` is not within [0, 1].
    pub fn quantile(&self, q: f64) -> Option<f64> {
        if self.count == 0 || !(0.0..=1.0).contains(&q) {
            return None;
        }
        if q == 0.0 {
            return Some(self.min);
        }
        if q == 1.0 {
            return Some(self.max);
        }
        let items = self.weighted_sorted();
        let total: u64 = items.iter().map(|&(_, w)| w).sum();
        let target = q * total as f64;
        let mut cumulative = 0u64;
        for &(value, weight) in &items {
            cumulative += weight;
            if cumulative as f64 >= target {
                return Some(value.clamp(self.min, self.max));
            }
        }
        Some(self.max)
    }

    /// Estimated fraction of values ≤ `x`, in [0, 1]: exactly 0 below the min, exactly
    /// 1 from the max up, 0 when empty or when `x` is NaN.
    pub fn rank(&self, x: f64) -> f64 {
        if self.count == 0 || x.is_nan() || x < self.min {
            return 0.0;
        }
        if x >= self.max {
            return 1.0;
        }
        let mut below = 0u64;
        let mut total = 0u64;
        for (h, level) in self.levels.iter().enumerate() {
            let weight = level_weight(h);
            total += weight * level.len() as u64;
            below += weight * level.iter().filter(|&&v| v <= x).count() as u64;
        }
        if total == 0 {
            return 0.0;
        }
        (below as f64 / total as f64).clamp(0.0, 1.0)
    }

    /// Number of values held in memory (about 3k, whatever the count).
    pub fn retained(&self) -> usize {
        self.retained
    }

    /// All retained values with their weights, sorted by value.
    fn weighted_sorted(&self) -> Vec<(f64, u64)> {
        let mut items: Vec<(f64, u64)> = self
            .levels
            .iter()
            .enumerate()
            .flat_map(|(h, level)| level.iter().map(move |&v| (v, level_weight(h))))
            .collect();
        items.sort_by(|a, b| a.0.total_cmp(&b.0));
        items
    }

    /// Capacity of level `h` with the current number of levels:
    /// ⌈k · (2/3)^depth⌉ + 1, depth counted down from the top level.
    fn capacity(&self, h: usize) -> usize {
        let depth = self.levels.len().saturating_sub(h + 1);
        if depth > 40 {
            // k · (2/3)^41 < 1 for every u16 k.
            return 2;
        }
        let depth = depth as u32;
        let numerator = u128::from(self.k) << depth;
        let denominator = 3u128.pow(depth);
        numerator.div_ceil(denominator) as usize + 1
    }

    fn total_capacity(&self) -> usize {
        (0..self.levels.len()).map(|h| self.capacity(h)).sum()
    }

    /// Compacts levels until fewer than `max_retained` items are held.
    fn compress(&mut self) {
        while self.retained >= self.max_retained {
            let Some(h) =
                (0..self.levels.len()).find(|&h| self.levels[h].len() >= self.capacity(h))
            else {
                break;
            };
            if h + 1 == self.levels.len() {
                self.levels.push(Vec::new());
                self.max_retained = self.total_capacity();
            }
            self.compact(h);
        }
    }

    /// Halves level `h` into level `h + 1`; an odd item out (the smallest) stays.
    fn compact(&mut self, h: usize) {
        let offset = usize::from(self.coin());
        let mut level = std::mem::take(&mut self.levels[h]);
        level.sort_by(f64::total_cmp);
        let odd = level.len() % 2;
        let promoted: Vec<f64> = level[odd..]
            .iter()
            .skip(offset)
            .step_by(2)
            .copied()
            .collect();
        self.retained -= level.len() - odd - promoted.len();
        level.truncate(odd);
        self.levels[h] = level;
        self.levels[h + 1].extend(promoted);
    }

    /// One pseudo-random bit from a xorshift64 generator.
    fn coin(&mut self) -> bool {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng >> 63 == 1
    }
}

/// Everything a [`Kll`] holds, for a saved profile state: merging a sketch rebuilt from
/// it gives the same result as merging the sketch it was taken from.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct KllState {
    /// Accuracy parameter.
    pub k: u16,
    /// `levels[h]` holds items of weight 2^h.
    pub levels: Vec<Vec<f64>>,
    /// Values added.
    pub count: u64,
    /// Exact smallest (absent when empty).
    pub min: Option<f64>,
    /// Exact largest (absent when empty).
    pub max: Option<f64>,
    /// State of the compaction coin.
    pub rng: u64,
}

impl Kll {
    /// The sketch's state.
    pub fn state(&self) -> KllState {
        KllState {
            k: self.k,
            levels: self.levels.clone(),
            count: self.count,
            min: self.min(),
            max: self.max(),
            rng: self.rng,
        }
    }

    /// The sketch of a saved state, or what is wrong with it.
    pub fn from_state(state: KllState) -> Result<Kll, String> {
        if state.k < MIN_K {
            return Err(format!("k is {}, at least {MIN_K} expected", state.k));
        }
        if state.levels.is_empty() || state.levels.len() > 60 {
            return Err(format!("{} levels, 1 to 60 expected", state.levels.len()));
        }
        if state.levels.iter().flatten().any(|v| !v.is_finite()) {
            return Err("a retained value is not a finite number".into());
        }
        let (min, max) = match (state.count, state.min, state.max) {
            (0, _, _) => (f64::INFINITY, f64::NEG_INFINITY),
            (_, Some(lo), Some(hi)) if lo <= hi => (lo, hi),
            _ => return Err("min and max are missing or out of order".into()),
        };
        if state.rng == 0 {
            return Err("the coin state is 0 (xorshift never leaves 0)".into());
        }
        let mut sketch = Kll {
            k: state.k,
            retained: state.levels.iter().map(Vec::len).sum(),
            levels: state.levels,
            max_retained: 0,
            count: state.count,
            min,
            max,
            rng: state.rng,
        };
        sketch.max_retained = sketch.total_capacity();
        Ok(sketch)
    }
}

impl Default for Kll {
    fn default() -> Kll {
        Kll::new()
    }
}

/// Weight 2^h of an item at level `h` (saturating; never reached in practice).
fn level_weight(h: usize) -> u64 {
    if h >= 64 {
        u64::MAX
    } else {
        1u64 << h
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// SplitMix64: a deterministic stream of test values.
    struct Stream(u64);

    impl Stream {
        fn next_u64(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        /// Uniform in [0, 1).
        fn uniform(&mut self) -> f64 {
            (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
        }

        /// Exponential with mean 1.
        fn exponential(&mut self) -> f64 {
            -(1.0 - self.uniform()).ln()
        }
    }

    /// Largest distance between `q` and the exact rank interval of `quantile(q)`,
    /// over q = 0.01 … 0.99. `sorted` is the exact data.
    fn max_rank_error(sketch: &Kll, sorted: &[f64]) -> f64 {
        let n = sorted.len() as f64;
        let mut worst: f64 = 0.0;
        for i in 1..100 {
            let q = f64::from(i) / 100.0;
            let Some(v) = sketch.quantile(q) else {
                return f64::INFINITY;
            };
            let below = sorted.partition_point(|&x| x < v) as f64 / n;
            let at_most = sorted.partition_point(|&x| x <= v) as f64 / n;
            let error = (below - q).max(q - at_most).max(0.0);
            worst = worst.max(error);
        }
        worst
    }

    fn sorted(mut values: Vec<f64>) -> Vec<f64> {
        values.sort_by(f64::total_cmp);
        values
    }

    fn retained_bound(k: u16, n: u64) -> f64 {
        let k = f64::from(k);
        3.0 * k * (n as f64 / k).log2().max(1.0) + k
    }

    #[test]
    fn uniform_million_within_rank_error() {
        let mut stream = Stream(1);
        let values: Vec<f64> = (0..1_000_000).map(|_| stream.uniform()).collect();
        let mut sketch = Kll::new();
        for &v in &values {
            sketch.add(v);
        }
        let exact = sorted(values);
        let error = max_rank_error(&sketch, &exact);
        eprintln!(
            "kll uniform 1e6: max rank error {error:.5}, retained {}",
            sketch.retained()
        );
        assert!(error <= 0.02, "max rank error {error}");
        assert_eq!(sketch.count(), 1_000_000);
        assert_eq!(sketch.min(), exact.first().copied());
        assert_eq!(sketch.max(), exact.last().copied());
        assert!((sketch.retained() as f64) < retained_bound(200, 1_000_000));
        // Ranks agree with quantiles on uniform data: rank(x) ≈ x.
        for i in 1..20 {
            let x = f64::from(i) / 20.0;
            assert!(
                (sketch.rank(x) - x).abs() <= 0.02,
                "rank({x}) = {}",
                sketch.rank(x)
            );
        }
    }

    #[test]
    fn exponential_within_rank_error() {
        let mut stream = Stream(7);
        let values: Vec<f64> = (0..300_000).map(|_| stream.exponential()).collect();
        let mut sketch = Kll::new();
        for &v in &values {
            sketch.add(v);
        }
        let exact = sorted(values);
        let error = max_rank_error(&sketch, &exact);
        eprintln!("kll exponential 3e5: max rank error {error:.5}");
        assert!(error <= 0.02, "max rank error {error}");
        // The median of Exp(1) is ln 2.
        let median = sketch.quantile(0.5).unwrap_or(f64::NAN);
        assert!(
            (median - std::f64::consts::LN_2).abs() < 0.05,
            "median {median}"
        );
    }

    #[test]
    fn small_streams_are_exact() {
        let mut sketch = Kll::new();
        for v in [5.0, 1.0, 3.0, 2.0, 4.0] {
            sketch.add(v);
        }
        assert_eq!(sketch.quantile(0.0), Some(1.0));
        assert_eq!(sketch.quantile(0.2), Some(1.0));
        assert_eq!(sketch.quantile(0.5), Some(3.0));
        assert_eq!(sketch.quantile(0.61), Some(4.0));
        assert_eq!(sketch.quantile(1.0), Some(5.0));
        assert_eq!(sketch.rank(0.5), 0.0);
        assert_eq!(sketch.rank(3.0), 0.6);
        assert_eq!(sketch.rank(3.5), 0.6);
        assert_eq!(sketch.rank(9.0), 1.0);
        assert_eq!(sketch.retained(), 5);
    }

    #[test]
    fn empty_nan_and_bad_q() {
        let mut sketch = Kll::default();
        assert_eq!(sketch.quantile(0.5), None);
        assert_eq!(sketch.min(), None);
        assert_eq!(sketch.max(), None);
        assert_eq!(sketch.rank(1.0), 0.0);
        sketch.add(f64::NAN);
        assert_eq!(sketch.count(), 0);
        assert_eq!(sketch.quantile(0.5), None);
        sketch.add(2.0);
        sketch.add(f64::NEG_INFINITY);
        assert_eq!(sketch.count(), 2);
        assert_eq!(sketch.min(), Some(f64::NEG_INFINITY));
        assert_eq!(sketch.quantile(-0.1), None);
        assert_eq!(sketch.quantile(1.5), None);
        assert_eq!(sketch.quantile(f64::NAN), None);
        assert_eq!(sketch.rank(f64::NAN), 0.0);
        assert_eq!(Kll::with_k(0).k, MIN_K);
    }

    #[test]
    fn deterministic() {
        let build = || {
            let mut stream = Stream(3);
            let mut a = Kll::new();
            let mut b = Kll::with_k(100);
            for i in 0..50_000 {
                let v = stream.uniform();
                if i % 3 == 0 {
                    b.add(v);
                } else {
                    a.add(v);
                }
            }
            a.merge(&b);
            a
        };
        assert_eq!(format!("{:?}", build()), format!("{:?}", build()));
    }

    #[test]
    fn merged_counts_are_exact_and_memory_is_bounded() {
        let mut stream = Stream(11);
        let mut total = Kll::new();
        let mut all = Vec::new();
        for part in 0..40u64 {
            let mut sketch = Kll::new();
            for _ in 0..(part * 997) {
                let v = stream.exponential();
                sketch.add(v);
                all.push(v);
            }
            total.merge(&sketch);
            assert_eq!(total.count(), all.len() as u64);
            assert!((total.retained() as f64) < retained_bound(200, total.count().max(200)));
        }
        assert_eq!(total.count(), (0..40u64).map(|p| p * 997).sum::<u64>());
        // Tighter than the O(k log(n/k)) bound: about 3k plus two per level.
        assert!(total.retained() < 3 * 200 + 2 * total.levels.len());
        let exact = sorted(all);
        assert_eq!(total.min(), exact.first().copied());
        assert_eq!(total.max(), exact.last().copied());
        let error = max_rank_error(&total, &exact);
        eprintln!("kll 40 merged parts: max rank error {error:.5}");
        assert!(error <= 0.02, "max rank error {error}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn merged_splits_stay_within_rank_error(
            seed in any::<u64>(),
            n in 0usize..40_000,
            parts in 1usize..=16,
            skewed in any::<bool>(),
            order_seed in any::<u64>(),
        ) {
            let mut stream = Stream(seed);
            let values: Vec<f64> = (0..n)
                .map(|_| if skewed { stream.exponential() } else { stream.uniform() * 1000.0 - 500.0 })
                .collect();
            // Split the stream into `parts` contiguous pieces of random sizes.
            let mut cuts: Vec<usize> = (1..parts).map(|_| (stream.next_u64() % (n as u64 + 1)) as usize).collect();
            cuts.push(0);
            cuts.push(n);
            cuts.sort_unstable();
            let mut sketches: Vec<Kll> = cuts
                .windows(2)
                .map(|w| {
                    let mut sketch = Kll::new();
                    for &v in &values[w[0]..w[1]] {
                        sketch.add(v);
                    }
                    sketch
                })
                .collect();
            // Merge them in a random order.
            let mut order = Stream(order_seed);
            let mut merged = Kll::new();
            while !sketches.is_empty() {
                let i = (order.next_u64() % sketches.len() as u64) as usize;
                merged.merge(&sketches.swap_remove(i));
            }
            prop_assert_eq!(merged.count(), n as u64);
            let exact = sorted(values);
            prop_assert_eq!(merged.min(), exact.first().copied());
            prop_assert_eq!(merged.max(), exact.last().copied());
            if n > 0 {
                let error = max_rank_error(&merged, &exact);
                prop_assert!(error <= 0.02, "max rank error {}", error);
                prop_assert_eq!(merged.quantile(0.0), exact.first().copied());
                prop_assert_eq!(merged.quantile(1.0), exact.last().copied());
            }
            prop_assert!((merged.retained() as f64) < retained_bound(200, (n as u64).max(200)));
        }
    }
}
