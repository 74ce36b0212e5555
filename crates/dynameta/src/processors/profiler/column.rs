//! Statistics of one attribute (and, through `children`, of the fields of its maps).

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::AttributeValue;

use super::decimal::Decimal;
use super::sketch::{hash_bytes, Hll, Kll};
use crate::processors::inference::MAX_DEPTH;

/// Distinct values counted exactly up to this many per column, then with HyperLogLog++.
pub const EXACT_DISTINCT_LIMIT: usize = 4096;
/// String values counted for top values up to this many distinct per column.
pub const TOP_VALUES_LIMIT: usize = 256;
/// Longer strings are not kept as top values.
const TOP_VALUE_MAX_LEN: usize = 200;

#[derive(Debug, Clone)]
enum Distinct {
    /// Value hash → occurrences.
    Exact(HashMap<u64, u64>),
    Sketch(Box<Hll>),
}

impl Default for Distinct {
    fn default() -> Self {
        Distinct::Exact(HashMap::new())
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

/// Numbers seen: exact min, max and sum (38-digit decimals, never rounded), f64
/// moments (Welford) and a quantile sketch.
#[derive(Debug, Clone)]
pub struct Numbers {
    /// How many.
    pub count: u64,
    /// Exact smallest.
    pub min: Decimal,
    /// Exact largest.
    pub max: Decimal,
    /// Exact sum.
    pub sum: Decimal,
    mean: f64,
    m2: f64,
    /// Quantiles.
    pub kll: Kll,
}

impl Numbers {
    fn new(first: Decimal) -> Numbers {
        Numbers {
            count: 0,
            min: first.clone(),
            max: first,
            sum: Decimal::zero(),
            mean: 0.0,
            m2: 0.0,
            kll: Kll::new(),
        }
    }

    fn add(&mut self, d: Decimal) {
        let x = d.to_f64();
        self.count += 1;
        let delta = x - self.mean;
        self.mean += delta / self.count as f64;
        self.m2 += delta * (x - self.mean);
        self.kll.add(x);
        self.sum = self.sum.add(&d);
        if d < self.min {
            self.min = d;
        } else if d > self.max {
            self.max = d;
        }
    }

    fn merge(&mut self, other: Numbers) {
        if other.count == 0 {
            return;
        }
        let n = self.count + other.count;
        let delta = other.mean - self.mean;
        self.m2 += other.m2 + delta * delta * (self.count as f64) * (other.count as f64) / n as f64;
        self.mean += delta * other.count as f64 / n as f64;
        self.count = n;
        self.sum = self.sum.add(&other.sum);
        self.kll.merge(&other.kll);
        if other.min < self.min {
            self.min = other.min;
        }
        if other.max > self.max {
            self.max = other.max;
        }
    }

    /// Mean (f64).
    pub fn mean(&self) -> f64 {
        self.mean
    }

    /// Population variance.
    pub fn variance(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.m2 / self.count as f64
        }
    }
}

/// Statistics of one attribute position.
#[derive(Debug, Clone, Default)]
pub struct ColumnStats {
    /// Items (or parent maps) that had the attribute, whatever its value.
    pub present: u64,
    /// Of those, `NULL` values.
    pub nulls: u64,
    distinct: Distinct,
    /// Numbers (N), if any.
    pub numbers: Option<Box<Numbers>>,
    /// Smallest and largest length of strings, binaries, sets and lists.
    pub lengths: Option<(u64, u64)>,
    top: Option<HashMap<String, u64>>,
    top_overflow: bool,
    /// Fields of the maps at this position.
    pub children: BTreeMap<String, ColumnStats>,
}

/// Stats of `name`, created on first sight (the key is cloned only then).
pub(super) fn stats_mut<'a>(
    columns: &'a mut BTreeMap<String, ColumnStats>,
    name: &str,
) -> &'a mut ColumnStats {
    if !columns.contains_key(name) {
        columns.insert(name.to_string(), ColumnStats::default());
    }
    columns.get_mut(name).expect("inserted above")
}

pub(super) fn merge_columns(
    into: &mut BTreeMap<String, ColumnStats>,
    from: BTreeMap<String, ColumnStats>,
) {
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
        let mut buf = Vec::new();
        encode(value, &mut buf, 0);
        self.distinct.add(hash_bytes(&buf));
        let length = match value {
            AttributeValue::S(s) => {
                self.count_top(s);
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
                if let Some(d) = Decimal::parse(text) {
                    self.numbers
                        .get_or_insert_with(|| Box::new(Numbers::new(d.clone())))
                        .add(d);
                }
            }
            AttributeValue::M(fields) if depth < MAX_DEPTH => {
                for (name, v) in fields {
                    stats_mut(&mut self.children, name).observe(v, depth + 1);
                }
            }
            _ => {}
        }
    }

    fn count_top(&mut self, s: &str) {
        if self.top_overflow || s.len() > TOP_VALUE_MAX_LEN {
            return;
        }
        let top = self.top.get_or_insert_with(HashMap::new);
        if let Some(n) = top.get_mut(s) {
            *n += 1;
        } else if top.len() < TOP_VALUES_LIMIT {
            top.insert(s.to_string(), 1);
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
            let mine = self.top.get_or_insert_with(HashMap::new);
            for (k, n) in theirs {
                *mine.entry(k).or_insert(0) += n;
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
        let mut v: Vec<(String, u64)> = top.iter().map(|(k, n)| (k.clone(), *n)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Some(v)
    }
}

/// A canonical byte encoding of a value, for hashing (type tag + content; set elements
/// sorted, map keys sorted, so equal values hash equal).
fn encode(value: &AttributeValue, out: &mut Vec<u8>, depth: usize) {
    let put = |tag: u8, bytes: &[u8], out: &mut Vec<u8>| {
        out.push(tag);
        out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        out.extend_from_slice(bytes);
    };
    match value {
        AttributeValue::S(s) => put(b'S', s.as_bytes(), out),
        AttributeValue::N(n) => match Decimal::parse(n) {
            Some(d) => put(b'N', d.to_string().as_bytes(), out),
            None => put(b'N', n.as_bytes(), out),
        },
        AttributeValue::B(b) => put(b'B', b.as_ref(), out),
        AttributeValue::Bool(b) => put(b'T', &[u8::from(*b)], out),
        AttributeValue::Null(_) => put(b'Z', &[], out),
        AttributeValue::Ss(v) | AttributeValue::Ns(v) => {
            let mut v: Vec<&String> = v.iter().collect();
            v.sort();
            out.push(if matches!(value, AttributeValue::Ss(_)) {
                b's'
            } else {
                b'n'
            });
            for s in v {
                put(b'.', s.as_bytes(), out);
            }
        }
        AttributeValue::Bs(v) => {
            let mut v: Vec<&[u8]> = v.iter().map(|b| b.as_ref()).collect();
            v.sort();
            out.push(b'b');
            for b in v {
                put(b'.', b, out);
            }
        }
        AttributeValue::L(items) if depth < MAX_DEPTH => {
            out.push(b'L');
            out.extend_from_slice(&(items.len() as u64).to_le_bytes());
            for item in items {
                encode(item, out, depth + 1);
            }
        }
        AttributeValue::M(fields) if depth < MAX_DEPTH => {
            let mut keys: Vec<&String> = fields.keys().collect();
            keys.sort();
            out.push(b'M');
            out.extend_from_slice(&(keys.len() as u64).to_le_bytes());
            for k in keys {
                put(b'k', k.as_bytes(), out);
                if let Some(v) = fields.get(k) {
                    encode(v, out, depth + 1);
                }
            }
        }
        _ => out.push(b'?'),
    }
}
