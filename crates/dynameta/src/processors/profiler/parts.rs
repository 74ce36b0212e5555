//! Parts of a profile: `dynameta profile --part I/N` reads one share of every selected
//! table, so N machines (or N runs) profile big tables together.

use crate::source::ScanPlan;

/// Which share of every selected table a run reads: part `index` (1-based) of `count`.
/// The planned segments are dealt out in turn (segment k of the plan to part
/// k mod count + 1), so the parts are disjoint, together read exactly what one run
/// reads, and each gets an even share of a shuffled (sampled) plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Part {
    /// 1-based.
    pub index: u32,
    /// How many parts.
    pub count: u32,
}

impl Part {
    /// The whole table (one part of one).
    pub const WHOLE: Part = Part { index: 1, count: 1 };

    /// This part's share of `plan`: its segments, and for a ROWS sample its share of
    /// the rows (the shares add up to the limit).
    pub fn of(&self, plan: &ScanPlan) -> ScanPlan {
        let (i, n) = (u64::from(self.index - 1), u64::from(self.count));
        let segments = plan
            .segments
            .iter()
            .enumerate()
            .filter(|(k, _)| *k as u64 % n == i)
            .map(|(_, s)| *s)
            .collect();
        let share = |rows: u64| {
            let upto = |j: u64| (u128::from(rows) * u128::from(j) / u128::from(n)) as u64;
            upto(i + 1) - upto(i)
        };
        ScanPlan {
            total_segments: plan.total_segments,
            segments,
            row_limit: plan.row_limit.map(share),
            workers: plan.workers,
        }
    }
}

impl std::fmt::Display for Part {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl std::str::FromStr for Part {
    type Err = String;

    fn from_str(s: &str) -> Result<Part, String> {
        let hint = "write it I/N with 1 ≤ I ≤ N, e.g. --part 2/8 for the second of eight parts";
        let (i, n) = s
            .split_once('/')
            .ok_or_else(|| format!("`{s}` is not a part; {hint}"))?;
        let num = |t: &str| t.trim().parse::<u32>().ok();
        match (num(i), num(n)) {
            (Some(index), Some(count)) if index >= 1 && index <= count => Ok(Part { index, count }),
            _ => Err(format!("`{s}` is not a part; {hint}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::processors::profiler::plan::{plan, Sample};

    #[test]
    fn parts_deal_the_plan_disjointly_and_completely() {
        let whole = plan(Sample::Percentage(10.0), Some(100_000), 100, 8, 42);
        let mut all: Vec<u32> = Vec::new();
        for index in 1..=3 {
            let p = Part { index, count: 3 }.of(&whole);
            assert_eq!(p.total_segments, whole.total_segments);
            all.extend(p.segments);
        }
        all.sort_unstable();
        let mut planned = whole.segments.clone();
        planned.sort_unstable();
        assert_eq!(all, planned);
        // ROWS: the shares of the limit add up to it.
        let rows = plan(Sample::Rows(1001), Some(100_000), 100, 8, 42);
        let shares: Vec<u64> = (1..=4)
            .map(|index| Part { index, count: 4 }.of(&rows).row_limit.unwrap())
            .collect();
        assert_eq!(shares.iter().sum::<u64>(), 1001);
        assert_eq!(Part::WHOLE.of(&rows), rows);
    }

    proptest::proptest! {
        #[test]
        fn parts_parse_back_and_nothing_else_does(index in 1u32..1000, extra in 0u32..1000, junk in ".{0,12}") {
            let part = Part { index, count: index + extra };
            proptest::prop_assert_eq!(part.to_string().parse::<Part>(), Ok(part));
            if let Ok(p) = junk.parse::<Part>() {
                proptest::prop_assert!(p.index >= 1 && p.index <= p.count);
            }
        }
    }
}
