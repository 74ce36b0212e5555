//! Statistics of one attribute (and, through `children`, of the fields of its maps).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use super::decimal::Decimal;
use super::sketch::{hash_bytes, Hll, Kll};
use crate::hash::StrHasher;
use crate::MAX_DEPTH;

/// Distinct values counted exactly up to this many per column, then with HyperLogLog++.
pub const EXACT_DISTINCT_LIMIT: usize = 4096;
/// String values counted for top values up to this many distinct per column.
pub const TOP_VALUES_LIMIT: usize = 256;
/// Longer strings are not kept as top values.
const TOP_VALUE_MAX_LEN: usize = 200;

/// Keys that are already good 64-bit hashes need no second hashing.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct PrehashedKey(u64);

impl std::hash::Hasher for PrehashedKey {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) | u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

pub(super) type HashCounts = HashMap<u64, u64, std::hash::BuildHasherDefault<PrehashedKey>>;

/// Value hash → (value, occurrences), for top values.
pub(super) type TopCounts =
    HashMap<u64, (String, u64), std::hash::BuildHasherDefault<PrehashedKey>>;

/// Attribute name → statistics (unordered; outputs sort by name).
pub type Columns = HashMap<String, ColumnStats, std::hash::BuildHasherDefault<StrHasher>>;

#[derive(Debug, Clone)]
pub(super) enum Distinct {
    /// Value hash → occurrences.
    Exact(HashCounts),
    Sketch(Box<Hll>),
}

impl Default for Distinct {
    fn default() -> Self {
        Distinct::Exact(HashCounts::default())
    }
}

impl Distinct {
    fn add(&mut self, hash: u64) {
        match self {
            Distinct::Exact(map) => {
                *map.entry(hash).or_insert(0) += 1;
                if map.len() > EXACT_DISTINCT_LIMIT {
                    let mut hll = Hll::new();
                    for h in map.keys() {
                        hll.add_hash(*h);
                    }
                    *self = Distinct::Sketch(Box::new(hll));
                }
            }
            Distinct::Sketch(hll) => hll.add_hash(hash),
        }
    }

    fn merge(&mut self, other: Distinct) {
        match (&mut *self, other) {
            (Distinct::Exact(a), Distinct::Exact(b)) => {
                for (h, n) in b {
                    *a.entry(h).or_insert(0) += n;
                }
                if a.len() > EXACT_DISTINCT_LIMIT {
                    let mut hll = Hll::new();
                    for h in a.keys() {
                        hll.add_hash(*h);
                    }
                    *self = Distinct::Sketch(Box::new(hll));
                }
            }
            (Distinct::Sketch(a), Distinct::Sketch(b)) => a.merge(&b),
            (Distinct::Sketch(a), Distinct::Exact(b)) => {
                for h in b.keys() {
                    a.add_hash(*h);
                }
            }
            (Distinct::Exact(a), Distinct::Sketch(mut b)) => {
                for h in a.keys() {
                    b.add_hash(*h);
                }
                *self = Distinct::Sketch(b);
            }
        }
    }
}

/// A plain decimal (`-123.45`, no exponent) as mantissa and scale, when it fits i128.
fn parse_fixed(text: &str) -> Option<(i128, u32)> {
    let t = text.trim();
    if t.len() > 36 || t.contains(['e', 'E']) {
        return None;
    }
    let (neg, digits) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let mut m: i128 = 0;
    for b in int.bytes().chain(frac.bytes()) {
        if !b.is_ascii_digit() {
            return None;
        }
        m = m * 10 + i128::from(b - b'0');
    }
    Some((if neg { -m } else { m }, frac.len() as u32))
}

/// An exact running sum: an i128 fast path at a common scale, spilling into an
/// arbitrary-precision [`Decimal`] when the i128 would overflow (then it starts again
/// from zero, so an overflow costs one decimal addition, not one per value) or for
/// numbers the fast path cannot take (exponents, more than 38 fraction digits).
#[derive(Debug, Clone, Default)]
pub(super) struct ExactSum {
    small: i128,
    scale: u32,
    big: Decimal,
}

impl ExactSum {
    /// Adds `m · 10^-sc`, spilling the fast path into the decimal when it is full.
    /// False when the number cannot take the fast path at all.
    fn add_fixed(&mut self, m: i128, sc: u32) -> bool {
        if self.try_fixed(m, sc) {
            return true;
        }
        if self.small == 0 {
            return false;
        }
        self.spill();
        self.try_fixed(m, sc)
    }

    fn try_fixed(&mut self, m: i128, sc: u32) -> bool {
        let (mut a, mut b, scale) = (self.small, m, self.scale.max(sc));
        if scale > 38 {
            return false;
        }
        let pow = |k: u32| 10i128.checked_pow(k);
        a = match pow(scale - self.scale).and_then(|p| a.checked_mul(p)) {
            Some(v) => v,
            None => return false,
        };
        b = match pow(scale - sc).and_then(|p| b.checked_mul(p)) {
            Some(v) => v,
            None => return false,
        };
        match a.checked_add(b) {
            Some(sum) => {
                self.small = sum;
                self.scale = scale;
                true
            }
            None => false,
        }
    }

    /// Moves the fast path's total into the decimal.
    fn spill(&mut self) {
        self.big = self.big.add(&self.small_decimal());
        self.small = 0;
        self.scale = 0;
    }

    fn add_decimal(&mut self, d: &Decimal) {
        self.big = self.big.add(d);
    }

    fn merge(&mut self, other: &ExactSum) {
        if !self.add_fixed(other.small, other.scale) {
            self.big = self.big.add(&other.small_decimal());
        }
        self.big = self.big.add(&other.big);
    }

    fn small_decimal(&self) -> Decimal {
        Decimal::parse(&format!("{}E-{}", self.small, self.scale)).unwrap_or_default()
    }

    fn total(&self) -> Decimal {
        self.big.add(&self.small_decimal())
    }

    /// A sum that holds `total` (from a saved profile state).
    pub(super) fn of_total(total: Decimal) -> ExactSum {
        ExactSum {
            big: total,
            ..ExactSum::default()
        }
    }
}

/// Numbers seen: exact min, max, sum and sum of squares (decimals, never rounded, so
/// mean and variance come out the same whatever the merge order) and a quantile sketch.
#[derive(Debug, Clone)]
pub struct Numbers {
    /// How many.
    pub count: u64,
    /// Exact smallest.
    pub min: Decimal,
    /// Exact largest.
    pub max: Decimal,
    pub(super) min_f64: f64,
    pub(super) max_f64: f64,
    pub(super) sum: ExactSum,
    pub(super) squares: ExactSum,
    /// Quantiles.
    pub kll: Kll,
}

impl Numbers {
    /// Numbers from a saved profile state: exact extremes and sums, and the sketch.
    pub(super) fn restored(
        count: u64,
        min: Decimal,
        max: Decimal,
        sum: Decimal,
        squares: Decimal,
        kll: Kll,
    ) -> Numbers {
        // The f64 of a number is that of its exact decimal (Rust parses correctly rounded).
        let f = |d: &Decimal| d.to_string().parse::<f64>().unwrap_or_else(|_| d.to_f64());
        Numbers {
            count,
            min_f64: f(&min),
            max_f64: f(&max),
            min,
            max,
            sum: ExactSum::of_total(sum),
            squares: ExactSum::of_total(squares),
            kll,
        }
    }

    fn new(first: Decimal, x: f64) -> Numbers {
        Numbers {
            count: 0,
            min: first.clone(),
            max: first,
            min_f64: x,
            max_f64: x,
            sum: ExactSum::default(),
            squares: ExactSum::default(),
            kll: Kll::new(),
        }
    }

    /// Adds the number written `text` with f64 value `x`. The exact decimal is parsed
    /// only when it can matter: for the sums' slow paths and near the current extremes.
    fn add_text(&mut self, text: &str, x: f64) {
        let exact = || Decimal::parse(text);
        let fast = parse_fixed(text);
        let mut parsed: Option<Decimal> = None;
        // f64 rounding is monotonic: a value whose f64 is above the minimum's f64 is
        // above the minimum, so the exact comparison runs only near the extremes.
        if x <= self.min_f64 {
            let d = parsed
                .get_or_insert_with(|| exact().unwrap_or_default())
                .clone();
            if d < self.min {
                self.min = d;
                self.min_f64 = x;
            }
        }
        if x >= self.max_f64 {
            let d = parsed
                .get_or_insert_with(|| exact().unwrap_or_default())
                .clone();
            if d > self.max {
                self.max = d;
                self.max_f64 = x;
            }
        }
        match fast {
            Some((m, sc)) if self.sum.add_fixed(m, sc) => {}
            _ => {
                let d = parsed.get_or_insert_with(|| exact().unwrap_or_default());
                self.sum.add_decimal(d);
            }
        }
        let square = fast.and_then(|(m, sc)| Some((m.checked_mul(m)?, sc.checked_mul(2)?)));
        match square {
            Some((m2, sc2)) if self.squares.add_fixed(m2, sc2) => {}
            _ => {
                let d = parsed.get_or_insert_with(|| exact().unwrap_or_default());
                self.squares.add_decimal(&d.mul(d));
            }
        }
        self.count += 1;
        self.kll.add(x);
    }

    fn merge(&mut self, other: Numbers) {
        if other.count == 0 {
            return;
        }
        self.count += other.count;
        self.sum.merge(&other.sum);
        self.squares.merge(&other.squares);
        self.kll.merge(&other.kll);
        if other.min < self.min {
            self.min = other.min;
            self.min_f64 = other.min_f64;
        }
        if other.max > self.max {
            self.max = other.max;
            self.max_f64 = other.max_f64;
        }
    }

    /// Exact sum.
    pub fn sum(&self) -> Decimal {
        self.sum.total()
    }

    /// Exact sum of squares.
    pub fn sum_of_squares(&self) -> Decimal {
        self.squares.total()
    }

    /// Mean: the exact sum divided by the count, rounded once (so the same numbers give
    /// the same mean whatever the order they were read and merged in).
    pub fn mean(&self) -> f64 {
        if self.count == 0 {
            return 0.0;
        }
        self.sum().to_f64() / self.count as f64
    }

    /// Population variance, (n·Σx² − (Σx)²) / n², its numerator exact (no cancellation,
    /// never negative), rounded once.
    pub fn variance(&self) -> f64 {
        if self.count == 0 {
            return 0.0;
        }
        let n = Decimal::from_u64(self.count);
        let sum = self.sum();
        let numerator = n.mul(&self.sum_of_squares()).add(&sum.mul(&sum).neg());
        let n = self.count as f64;
        numerator.to_f64() / n / n
    }
}

/// Statistics of one attribute position.
#[derive(Debug, Clone, Default)]
pub struct ColumnStats {
    /// Items (or parent maps) that had the attribute, whatever its value.
    pub present: u64,
    /// Of those, `NULL` values.
    pub nulls: u64,
    pub(super) distinct: Distinct,
    /// Numbers (N), if any.
    pub numbers: Option<Box<Numbers>>,
    /// Smallest and largest length of strings, binaries, sets and lists.
    pub lengths: Option<(u64, u64)>,
    pub(super) top: Option<TopCounts>,
    pub(super) top_overflow: bool,
    /// Fields of the maps at this position.
    pub children: Columns,
}

/// Folds `value` into the stats of `name`, created on first sight (one lookup per
/// value; the key is cloned only the first time).
pub(super) fn observe_into(
    columns: &mut Columns,
    name: &str,
    value: &AttributeValue,
    depth: usize,
) {
    match columns.get_mut(name) {
        Some(stats) => stats.observe(value, depth),
        None => {
            let mut stats = ColumnStats::default();
            stats.observe(value, depth);
            columns.insert(name.to_string(), stats);
        }
    }
}

pub(super) fn merge_columns(into: &mut Columns, from: Columns) {
    for (name, stats) in from {
        match into.get_mut(&name) {
            Some(mine) => mine.merge(stats),
            None => {
                into.insert(name, stats);
            }
        }
    }
}

impl ColumnStats {
    /// Folds one value in, `depth` levels deep.
    pub fn observe(&mut self, value: &AttributeValue, depth: usize) {
        self.present += 1;
        if let AttributeValue::Null(_) = value {
            self.nulls += 1;
            return;
        }
        let hash = value_hash(value);
        self.distinct.add(hash);
        let length = match value {
            AttributeValue::S(s) => {
                self.count_top(s, hash);
                Some(s.chars().count() as u64)
            }
            AttributeValue::B(b) => Some(b.as_ref().len() as u64),
            AttributeValue::Ss(v) => Some(v.len() as u64),
            AttributeValue::Ns(v) => Some(v.len() as u64),
            AttributeValue::Bs(v) => Some(v.len() as u64),
            AttributeValue::L(v) => Some(v.len() as u64),
            _ => None,
        };
        if let Some(len) = length {
            self.lengths = Some(match self.lengths {
                Some((lo, hi)) => (lo.min(len), hi.max(len)),
                None => (len, len),
            });
        }
        match value {
            AttributeValue::N(text) => {
                if let Ok(x) = text.trim().parse::<f64>() {
                    match &mut self.numbers {
                        Some(n) => n.add_text(text, x),
                        None => {
                            if let Some(d) = Decimal::parse(text) {
                                let mut n = Numbers::new(d, x);
                                n.add_text(text, x);
                                self.numbers = Some(Box::new(n));
                            }
                        }
                    }
                }
            }
            AttributeValue::M(fields) if depth < MAX_DEPTH => {
                for (name, v) in fields {
                    observe_into(&mut self.children, name, v, depth + 1);
                }
            }
            _ => {}
        }
    }

    fn count_top(&mut self, s: &str, hash: u64) {
        if self.top_overflow || s.len() > TOP_VALUE_MAX_LEN {
            return;
        }
        let top = self.top.get_or_insert_with(TopCounts::default);
        if let Some((_, n)) = top.get_mut(&hash) {
            *n += 1;
        } else if top.len() < TOP_VALUES_LIMIT {
            top.insert(hash, (s.to_string(), 1));
        } else {
            self.top = None;
            self.top_overflow = true;
        }
    }

    /// Adds another worker's statistics of the same attribute.
    pub fn merge(&mut self, other: ColumnStats) {
        self.present += other.present;
        self.nulls += other.nulls;
        self.distinct.merge(other.distinct);
        match (&mut self.numbers, other.numbers) {
            (Some(a), Some(b)) => a.merge(*b),
            (None, Some(b)) => self.numbers = Some(b),
            _ => {}
        }
        self.lengths = match (self.lengths, other.lengths) {
            (Some((a, b)), Some((c, d))) => Some((a.min(c), b.max(d))),
            (x, None) => x,
            (None, y) => y,
        };
        self.top_overflow |= other.top_overflow;
        if self.top_overflow {
            self.top = None;
        } else if let Some(theirs) = other.top {
            let mine = self.top.get_or_insert_with(TopCounts::default);
            for (hash, (value, n)) in theirs {
                mine.entry(hash).or_insert((value, 0)).1 += n;
            }
            if mine.len() > TOP_VALUES_LIMIT {
                self.top = None;
                self.top_overflow = true;
            }
        }
        merge_columns(&mut self.children, other.children);
    }

    /// Non-null values.
    pub fn values(&self) -> u64 {
        self.present - self.nulls
    }

    /// Distinct non-null values, and whether the count is exact.
    pub fn distinct(&self) -> (u64, bool) {
        match &self.distinct {
            Distinct::Exact(map) => (map.len() as u64, true),
            Distinct::Sketch(hll) => (hll.estimate(), false),
        }
    }

    /// Values seen exactly once (only while counts are exact).
    pub fn unique(&self) -> Option<u64> {
        match &self.distinct {
            Distinct::Exact(map) => Some(map.values().filter(|n| **n == 1).count() as u64),
            Distinct::Sketch(_) => None,
        }
    }

    /// String values by count, most frequent first (only for low-cardinality strings).
    pub fn top_values(&self) -> Option<Vec<(String, u64)>> {
        let top = self.top.as_ref()?;
        let mut v: Vec<(String, u64)> = top.values().cloned().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Some(v)
    }
}

/// Mixes a type tag into a content hash, so `S "1"` and `N 1` differ.
fn tagged(tag: u8, hash: u64) -> u64 {
    let h = hash ^ u64::from(tag).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (h ^ (h >> 29)).wrapping_mul(0xBF58_476D_1CE4_E5B9)
}

/// The hash of a value for distinct counting and top values. Scalars hash their bytes
/// with their type. Containers combine their elements' hashes without allocating:
/// lists in order; sets and maps by a wrapping sum (DynamoDB returns neither in a
/// fixed order, and equal sets or maps must hash equal).
pub(super) fn value_hash(value: &AttributeValue) -> u64 {
    container_hash(value, 0)
}

fn container_hash(value: &AttributeValue, depth: usize) -> u64 {
    let unordered = |tag: u8, elements: &mut dyn Iterator<Item = u64>| {
        let (mut sum, mut count) = (0u64, 0u64);
        for h in elements {
            sum = sum.wrapping_add(h);
            count += 1;
        }
        tagged(tag, sum ^ count.wrapping_mul(0xC2B2_AE3D_27D4_EB4F))
    };
    match value {
        // DynamoDB stores numbers normalized ("1.50" comes back "1.5"): the text is canonical.
        AttributeValue::S(s) => tagged(b'S', hash_bytes(s.as_bytes())),
        AttributeValue::N(n) => tagged(b'N', hash_bytes(n.as_bytes())),
        AttributeValue::B(b) => tagged(b'B', hash_bytes(b.as_ref())),
        AttributeValue::Bool(b) => tagged(b'T', u64::from(*b)),
        AttributeValue::Null(_) => tagged(b'Z', 0),
        AttributeValue::Ss(v) => unordered(
            b's',
            &mut v.iter().map(|s| tagged(b'S', hash_bytes(s.as_bytes()))),
        ),
        AttributeValue::Ns(v) => unordered(
            b'n',
            &mut v.iter().map(|s| tagged(b'N', hash_bytes(s.as_bytes()))),
        ),
        AttributeValue::Bs(v) => unordered(
            b'b',
            &mut v.iter().map(|b| tagged(b'B', hash_bytes(b.as_ref()))),
        ),
        AttributeValue::L(items) if depth < MAX_DEPTH => {
            let mut h = tagged(b'L', items.len() as u64);
            for item in items {
                h = tagged(b'l', h.rotate_left(23) ^ container_hash(item, depth + 1));
            }
            h
        }
        AttributeValue::M(fields) if depth < MAX_DEPTH => unordered(
            b'M',
            &mut fields.iter().map(|(k, v)| {
                tagged(
                    b'k',
                    hash_bytes(k.as_bytes()).rotate_left(17) ^ container_hash(v, depth + 1),
                )
            }),
        ),
        _ => tagged(b'?', 0),
    }
}
