//! Usage decisions: which days a run reads, and CloudWatch's daily request sums as
//! OpenMetadata `DailyCount`s (a date and a count the server keeps in a 32-bit column).

use std::collections::BTreeMap;

use aws_smithy_types::date_time::Format;
use aws_smithy_types::DateTime;

/// Seconds in a day.
pub const DAY: i64 = 86_400;

/// The largest count OpenMetadata stores (its `count` column is a 32-bit integer).
pub const MAX_DAILY_COUNT: u64 = i32::MAX as u64;

/// One day's count for one table.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DayCount {
    /// `YYYY-MM-DD` (UTC).
    pub date: String,
    /// Successful requests (at most [`MAX_DAILY_COUNT`]).
    pub count: u32,
    /// The real count was larger and was clamped.
    pub clamped: bool,
}

/// The first day (UTC midnight, epoch seconds) of the `days` complete days before
/// `now` (today, still running, is left out).
pub fn first_day(now: i64, days: u32) -> i64 {
    let today = now - now.rem_euclid(DAY);
    today - DAY * i64::from(days)
}

/// The first day (its UTC midnight, in seconds) of a `days`-day window that ends
/// yesterday, as of the clock now.
pub fn window_start(days: u32) -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    first_day(now, days)
}

/// `YYYY-MM-DD` of the UTC day holding `secs`.
pub fn date_of(secs: i64) -> String {
    let text = DateTime::from_secs(secs - secs.rem_euclid(DAY))
        .fmt(Format::DateTime)
        .unwrap_or_default();
    text.chars().take(10).collect()
}

/// One count per day from `start`, for `days` days: CloudWatch's sums rounded, a day
/// without data 0 (no successful request that day), clamped to [`MAX_DAILY_COUNT`].
pub fn daily_counts(start: i64, days: u32, sums: &BTreeMap<i64, f64>) -> Vec<DayCount> {
    (0..i64::from(days))
        .map(|d| {
            let day = start + d * DAY;
            let sum = sums.get(&day).copied().unwrap_or(0.0);
            // `as` saturates: NaN is 0, huge values u64::MAX.
            let whole = sum.round().max(0.0) as u64;
            DayCount {
                date: date_of(day),
                count: whole.min(MAX_DAILY_COUNT) as u32,
                clamped: whole > MAX_DAILY_COUNT,
            }
        })
        .collect()
}

/// One day's successful requests of a table, unclamped (the local catalog and the file
/// sink keep CloudWatch's number; only OpenMetadata's column is 32-bit).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct DailyRequests {
    /// `YYYY-MM-DD` (UTC).
    pub date: String,
    /// Successful requests that day (0: none, or no data point).
    pub requests: u64,
}

/// One count per day from `start`, for `days` days, as [`daily_counts`] but unclamped.
pub fn daily_requests(start: i64, days: u32, sums: &BTreeMap<i64, f64>) -> Vec<DailyRequests> {
    (0..i64::from(days))
        .map(|d| {
            let day = start + d * DAY;
            let sum = sums.get(&day).copied().unwrap_or(0.0);
            DailyRequests {
                date: date_of(day),
                // `as` saturates: NaN is 0, huge values u64::MAX.
                requests: sum.round().max(0.0) as u64,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn days_end_yesterday() {
        // 2026-12-07T06:00:00Z
        let now = 1_796_623_200;
        let start = first_day(now, 2);
        assert_eq!(date_of(start), "2026-12-05");
        assert_eq!(date_of(start + DAY), "2026-12-06");
    }

    #[test]
    fn counts_are_per_day_rounded_and_clamped() {
        let start = first_day(1_796_623_200, 3);
        let sums = BTreeMap::from([(start, 7.0), (start + 2 * DAY, 5e12)]);
        let counts = daily_counts(start, 3, &sums);
        assert_eq!(counts.len(), 3);
        assert_eq!((counts[0].count, counts[0].clamped), (7, false));
        assert_eq!((counts[1].count, counts[1].clamped), (0, false));
        assert_eq!(counts[2].count, i32::MAX as u32);
        assert!(counts[2].clamped);
    }

    #[test]
    fn local_counts_are_not_clamped() {
        let start = first_day(1_796_623_200, 2);
        let sums = BTreeMap::from([(start + DAY, 5e12)]);
        let days = daily_requests(start, 2, &sums);
        assert_eq!(days[0].requests, 0);
        assert_eq!(days[1].requests, 5_000_000_000_000);
        assert_eq!(days[1].date, date_of(start + DAY));
    }

    proptest! {
        #[test]
        fn never_above_the_column(v in proptest::num::f64::ANY, days in 1u32..10) {
            let start = first_day(1_796_623_200, days);
            let sums = BTreeMap::from([(start, v)]);
            for c in daily_counts(start, days, &sums) {
                prop_assert!(u64::from(c.count) <= MAX_DAILY_COUNT);
                prop_assert_eq!(c.date.len(), 10);
            }
        }
    }
}
