//! One set of credentials per account, shared by everything that reads the account:
//! the credentials check of each pair, `ListRegions`, and every pair's DynamoDB and S3
//! clients. Without it each pair assumed its role twice (the check called the provider,
//! then each client's identity cache called it again) and once more per region.
//!
//! Hand-written: the SDK's identity cache (`IdentityCache::lazy`) only runs inside a
//! client's request pipeline, so the check, which must tell a role that cannot be
//! assumed from a failed DynamoDB call, cannot go through it; and aws-config no longer
//! ships a provider-level cache. This is the small part of one: keep the last
//! credentials until [`REFRESH_BEFORE`] their expiry, and let one caller at a time
//! fetch new ones (the others wait and reuse them).

use std::time::{Duration, SystemTime};

use aws_credential_types::provider::{self, ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;

/// Credentials expiring sooner than this are fetched anew (AssumeRole credentials
/// last an hour by default, at least 15 minutes), so a long run never signs with
/// credentials about to expire.
pub const REFRESH_BEFORE: Duration = Duration::from_secs(300);

/// `inner`'s credentials, fetched once and reused until [`refresh_at`] (normally
/// [`REFRESH_BEFORE`] their expiry). A failure is not kept: the next caller tries again.
pub struct Reusing {
    inner: SharedCredentialsProvider,
    /// The last credentials and when to fetch new ones.
    last: tokio::sync::Mutex<Option<(Credentials, Option<SystemTime>)>>,
}

// By hand: the credentials (their access key id among them) stay out of every Debug.
impl std::fmt::Debug for Reusing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reusing")
            .field("inner", &self.inner)
            .field("last", &"**********")
            .finish()
    }
}

impl Reusing {
    /// Wraps `inner`.
    pub fn new(inner: SharedCredentialsProvider) -> Reusing {
        Reusing {
            inner,
            last: tokio::sync::Mutex::new(None),
        }
    }

    async fn get(&self) -> provider::Result {
        let mut last = self.last.lock().await;
        if let Some((credentials, refresh)) = last.as_ref() {
            if refresh.is_none_or(|at| SystemTime::now() < at) {
                return Ok(credentials.clone());
            }
        }
        let fresh = self.inner.provide_credentials().await?;
        *last = Some((fresh.clone(), refresh_at(fresh.expiry(), SystemTime::now())));
        Ok(fresh)
    }
}

/// When credentials fetched at `now` and expiring at `expiry` (never, when `None`) are
/// fetched anew: [`REFRESH_BEFORE`] their expiry; credentials that come with less than
/// that left (a credential process or a container near its rotation) are reused for
/// half of what they have left, so callers never fetch once per request.
pub fn refresh_at(expiry: Option<SystemTime>, now: SystemTime) -> Option<SystemTime> {
    let expiry = expiry?;
    let left = expiry.duration_since(now).unwrap_or(Duration::ZERO);
    Some(if left > REFRESH_BEFORE {
        expiry - REFRESH_BEFORE
    } else {
        now + left / 2
    })
}

impl ProvideCredentials for Reusing {
    fn provide_credentials<'a>(&'a self) -> provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        provider::future::ProvideCredentials::new(self.get())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::*;

    #[derive(Debug)]
    struct Counting {
        calls: Arc<AtomicUsize>,
        lasts: Duration,
    }

    impl ProvideCredentials for Counting {
        fn provide_credentials<'a>(&'a self) -> provider::future::ProvideCredentials<'a>
        where
            Self: 'a,
        {
            self.calls.fetch_add(1, Ordering::SeqCst);
            provider::future::ProvideCredentials::ready(Ok(Credentials::new(
                "AKID",
                "secret",
                None,
                Some(SystemTime::now() + self.lasts),
                "test",
            )))
        }
    }

    fn counted(lasts: Duration) -> (Reusing, Arc<AtomicUsize>) {
        let calls = Arc::new(AtomicUsize::new(0));
        let inner = SharedCredentialsProvider::new(Counting {
            calls: calls.clone(),
            lasts,
        });
        (Reusing::new(inner), calls)
    }

    #[tokio::test]
    async fn credentials_are_fetched_once_and_reused() {
        let (reusing, calls) = counted(Duration::from_secs(3600));
        let shared = Arc::new(reusing);
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let r = shared.clone();
                tokio::spawn(async move { r.provide_credentials().await.is_ok() })
            })
            .collect();
        for t in tasks {
            assert!(t.await.unwrap_or(false));
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn short_lived_credentials_are_reused_for_half_their_life_expired_ones_never() {
        // 60 s left (under REFRESH_BEFORE): reused for about 30 s, not fetched per call.
        let (reusing, calls) = counted(Duration::from_secs(60));
        for _ in 0..3 {
            assert!(reusing.provide_credentials().await.is_ok());
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // Already expired: every call fetches anew.
        let (reusing, calls) = counted(Duration::ZERO);
        for _ in 0..3 {
            assert!(reusing.provide_credentials().await.is_ok());
        }
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn when_credentials_are_fetched_anew() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let hour = Duration::from_secs(3600);
        assert_eq!(refresh_at(None, now), None);
        assert_eq!(
            refresh_at(Some(now + hour), now),
            Some(now + hour - REFRESH_BEFORE)
        );
        let minute = Duration::from_secs(60);
        assert_eq!(refresh_at(Some(now + minute), now), Some(now + minute / 2));
        assert_eq!(refresh_at(Some(now - minute), now), Some(now));
    }

    #[tokio::test]
    async fn debug_shows_no_credentials() {
        let (reusing, _) = counted(Duration::from_secs(3600));
        assert!(reusing.provide_credentials().await.is_ok());
        let shown = format!("{reusing:?}");
        assert!(shown.contains("**********"), "{shown}");
        assert!(
            !shown.contains("AKID") && !shown.contains("secret"),
            "{shown}"
        );
    }
}
