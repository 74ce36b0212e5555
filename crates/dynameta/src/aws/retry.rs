//! Retrying what DynamoDB throttled after the SDK gave up on it.
//!
//! The SDK retries every call up to `maxAttempts` times with exponential backoff. Under
//! sustained throttling (30 % of requests, say) a call occasionally exhausts those
//! attempts, and before this existed the whole table failed. [`ThrottleRetry`] keeps
//! retrying a call that still fails with a throttling error, with exponential backoff
//! and full jitter (a uniform wait between zero and the current ceiling, so retries of
//! many workers spread out instead of coming back together), until it has been
//! throttled for `throttleRetrySeconds`: a table DynamoDB throttles forever still fails,
//! with a message that says so.
//!
//! [`Delays`] is the one backoff computation of dynameta's own retry and poll loops:
//! these throttling retries, the OpenMetadata REST client's retries and tag-patch
//! rounds, and `dynameta export --wait`'s polling. The AWS SDK's own retries
//! (`maxAttempts`) are its standard retry strategy, configured in [`super::connect`],
//! not replaced. Hand-written (a dozen lines) rather than a crate such as `backon`:
//! the throttling retry is bounded by time since the first throttled answer, not by
//! a count, and the REST client honours `Retry-After`; both keep their loops and take
//! only the wait from here.
//!
//! The SDK's adaptive retry mode (a client-side rate limiter) is not used: its limiter
//! is shared by every request of the process, so one hot table would slow every other
//! table down; the profiler's per-table read budget (`maxReadUnitsPerSecond`,
//! `maxReadCapacityPercent`) is the rate control, and a retried page goes through it.

use std::future::Future;
use std::time::Duration;

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use tokio::time::Instant;

use super::CallFailure;

pub use crate::config::DEFAULT_THROTTLE_RETRY_SECONDS;
/// First backoff ceiling once the SDK's attempts are spent.
const BASE: Duration = Duration::from_millis(500);
/// Largest backoff ceiling (the SDK's own `max_backoff` is 20 s).
const CAP: Duration = Duration::from_secs(10);

/// Exponential backoff with jitter: the wait before retry `n` (0-based) is a uniform
/// share between `floor` and 1 of the ceiling `base × 2ⁿ`, capped at `cap`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Delays {
    /// The first ceiling.
    pub base: Duration,
    /// The largest ceiling.
    pub cap: Duration,
    /// The least share of the ceiling a wait is: 0 is "full jitter" (waits of many
    /// clients spread out), 1 is no jitter.
    pub floor: f64,
}

impl Delays {
    /// Full jitter: waits anywhere between zero and the ceiling.
    pub const fn full_jitter(base: Duration, cap: Duration) -> Delays {
        Delays {
            base,
            cap,
            floor: 0.0,
        }
    }

    /// No jitter: the ceiling itself (a poll of one thing, nobody to spread out from).
    pub const fn doubling(base: Duration, cap: Duration) -> Delays {
        Delays {
            base,
            cap,
            floor: 1.0,
        }
    }

    /// The ceiling of retry `n` (0-based): `base × 2ⁿ`, at most `cap`.
    pub fn ceiling(&self, n: u32) -> Duration {
        self.base.saturating_mul(1u32 << n.min(16)).min(self.cap)
    }

    /// The wait before retry `n` (0-based).
    pub fn wait(&self, n: u32) -> Duration {
        let floor = self.floor.clamp(0.0, 1.0);
        let share = if floor >= 1.0 {
            1.0
        } else {
            floor + (1.0 - floor) * fastrand::f64()
        };
        self.ceiling(n).mul_f64(share)
    }
}

/// How long a call that DynamoDB keeps throttling is retried, and how.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThrottleRetry {
    /// Longest a call keeps being retried while it is throttled.
    pub give_up_after: Duration,
    delays: Delays,
}

impl Default for ThrottleRetry {
    fn default() -> Self {
        ThrottleRetry::new(Duration::from_secs_f64(DEFAULT_THROTTLE_RETRY_SECONDS))
    }
}

impl ThrottleRetry {
    /// Retries for at most `give_up_after`.
    pub fn new(give_up_after: Duration) -> ThrottleRetry {
        ThrottleRetry {
            give_up_after,
            delays: Delays::full_jitter(BASE, CAP),
        }
    }

    /// From `throttleRetrySeconds` (negative or not a number = no retry).
    pub fn from_seconds(seconds: f64) -> ThrottleRetry {
        ThrottleRetry::new(Duration::try_from_secs_f64(seconds).unwrap_or_default())
    }

    /// A fresh backoff for one call.
    pub fn backoff(&self) -> Backoff {
        Backoff {
            policy: *self,
            started: None,
            retries: 0,
        }
    }

    /// Runs `call` until it succeeds, fails with something other than throttling, or
    /// has been throttled for longer than the policy allows. `what` names the call in
    /// the status line (e.g. `DescribeTable on orders`).
    pub async fn run<T, E, F, Fut>(&self, what: impl std::fmt::Display, mut call: F) -> Result<T, E>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: AsThrottling,
    {
        let mut backoff = self.backoff();
        loop {
            match call().await {
                Err(e) if e.is_throttling() => match backoff.next_wait() {
                    Some(wait) => {
                        backoff.report(&what, wait);
                        tokio::time::sleep(wait).await;
                    }
                    None => return Err(e),
                },
                other => return other,
            }
        }
    }
}

/// Errors that can say whether DynamoDB throttled.
pub trait AsThrottling {
    /// True for a throttling error.
    fn is_throttling(&self) -> bool;
}

impl AsThrottling for CallFailure {
    fn is_throttling(&self) -> bool {
        CallFailure::is_throttling(self)
    }
}

impl<E: ProvideErrorMetadata, R> AsThrottling for SdkError<E, R> {
    fn is_throttling(&self) -> bool {
        self.code().is_some_and(super::is_throttle_code)
    }
}

/// The retries of one call.
#[derive(Debug, Clone)]
pub struct Backoff {
    policy: ThrottleRetry,
    started: Option<Instant>,
    retries: u32,
}

impl Backoff {
    /// The wait before the next try after a throttled one, or `None` when the call has
    /// been throttled for `give_up_after` (counted from its first throttled answer
    /// here, i.e. after the SDK's own attempts).
    pub fn next_wait(&mut self) -> Option<Duration> {
        let started = *self.started.get_or_insert_with(Instant::now);
        let wait = self.policy.delays.wait(self.retries);
        if started.elapsed() + wait >= self.policy.give_up_after {
            return None;
        }
        self.retries += 1;
        Some(wait)
    }

    /// Retries so far.
    pub fn retries(&self) -> u32 {
        self.retries
    }

    /// Says (rate-limited) that `what` is being retried after `wait`.
    pub fn report(&self, what: &dyn std::fmt::Display, wait: Duration) {
        super::notice::retrying(format_args!(
            "{what} still throttled after the SDK's retries; retry {} in {:.1}s (gives up after throttleRetrySeconds = {}s)",
            self.retries,
            wait.as_secs_f64(),
            self.policy.give_up_after.as_secs_f64()
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn throttled() -> CallFailure {
        CallFailure {
            code: "ProvisionedThroughputExceededException".into(),
            message: "slow down".into(),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn retries_throttling_until_it_passes() {
        let calls = AtomicU32::new(0);
        let got = ThrottleRetry::default()
            .run("Scan on t", || async {
                match calls.fetch_add(1, Ordering::Relaxed) {
                    0..=5 => Err(throttled()),
                    _ => Ok(7),
                }
            })
            .await;
        assert_eq!(got, Ok(7));
        assert_eq!(calls.load(Ordering::Relaxed), 7);
    }

    #[tokio::test(start_paused = true)]
    async fn other_errors_are_not_retried() {
        let calls = AtomicU32::new(0);
        let got: Result<(), _> = ThrottleRetry::default()
            .run("Scan on t", || async {
                calls.fetch_add(1, Ordering::Relaxed);
                Err(CallFailure {
                    code: "AccessDeniedException".into(),
                    message: "no".into(),
                })
            })
            .await;
        assert!(got.is_err());
        assert_eq!(calls.load(Ordering::Relaxed), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn endless_throttling_gives_up_within_the_bound() {
        // Paused tokio time: the backoff sleeps advance a virtual clock.
        let started = Instant::now();
        let policy = ThrottleRetry::new(Duration::from_secs(30));
        let got: Result<(), _> = policy.run("Scan on t", || async { Err(throttled()) }).await;
        assert_eq!(got, Err(throttled()));
        let took = started.elapsed();
        assert!(took <= Duration::from_secs(30), "{took:?}");
        // It did not give up early either: the last wait was at most the cap.
        assert!(took >= Duration::from_secs(30) - CAP, "{took:?}");
    }

    #[test]
    fn waits_are_full_jitter_under_a_doubling_capped_ceiling() {
        let mut backoff = ThrottleRetry::new(Duration::from_secs(3600)).backoff();
        let mut waits = Vec::new();
        for _ in 0..200 {
            waits.push(backoff.next_wait().unwrap());
        }
        // Ceilings 0.5, 1, 2, 4, 8, 10, 10, ... seconds.
        assert!(waits[0] <= BASE && waits[1] <= 2 * BASE && waits[2] <= 4 * BASE);
        assert!(waits.iter().all(|w| *w <= CAP));
        // Full jitter: waits spread over [0, cap], not bunched at the ceiling.
        let late = &waits[10..];
        assert!(late.iter().any(|w| *w < CAP / 4), "{late:?}");
        assert!(late.iter().any(|w| *w > CAP * 3 / 4), "{late:?}");
    }

    #[test]
    fn delays_double_up_to_the_cap_within_their_jitter() {
        let rest = Delays {
            base: Duration::from_millis(200),
            cap: Duration::from_secs(10),
            floor: 0.1,
        };
        for n in 0..40 {
            let ceiling = rest.ceiling(n);
            assert_eq!(
                ceiling,
                (Duration::from_millis(200) * 2u32.pow(n.min(16))).min(Duration::from_secs(10))
            );
            let wait = rest.wait(n);
            assert!(
                wait <= ceiling && wait >= ceiling.mul_f64(0.1),
                "{n}: {wait:?}"
            );
        }
        let poll = Delays::doubling(Duration::from_secs(1), Duration::from_secs(30));
        let waits: Vec<u64> = (0..7).map(|n| poll.wait(n).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 30, 30]);
        // No overflow however many retries.
        assert_eq!(poll.wait(u32::MAX), Duration::from_secs(30));
    }

    #[test]
    fn no_retry_when_the_bound_is_zero() {
        assert_eq!(ThrottleRetry::from_seconds(0.0).backoff().next_wait(), None);
        assert_eq!(
            ThrottleRetry::from_seconds(-1.0).backoff().next_wait(),
            None
        );
    }
}
