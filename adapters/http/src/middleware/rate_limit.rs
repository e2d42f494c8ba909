//! Per-client-IP rate limits on signing in and signing up: token buckets
//! kept in memory (per instance), refilled continuously. They complement the
//! per-username throttling the domain keeps in the store: that one stops
//! guessing one account's password, this one stops one client from trying
//! many accounts or creating many.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::Mutex,
    time::{Duration, Instant},
};

/// At most `requests` per `per`, in bursts of up to `requests`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed per period (and the largest burst).
    pub requests: u32,
    /// The period.
    pub per: Duration,
}

/// The buckets tracked at most; beyond that, full buckets (clients that have
/// not been limited lately) are forgotten first.
const MAX_TRACKED_CLIENTS: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// One limit, applied per client IP.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    limit: Option<RateLimit>,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

impl RateLimiter {
    /// A limiter; `None` lets everything through.
    pub(crate) fn new(limit: Option<RateLimit>) -> Self {
        Self {
            limit,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Spends one request of `client`'s allowance at `now`; when none is
    /// left, says how long until one is.
    pub(crate) fn check(&self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        let Some(limit) = self.limit else {
            return Ok(());
        };
        let capacity = f64::from(limit.requests);
        let per_second = capacity / limit.per.as_secs_f64().max(f64::EPSILON);
        // A poisoned lock only means another request panicked mid-update;
        // the buckets are still usable.
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if buckets.len() >= MAX_TRACKED_CLIENTS && !buckets.contains_key(&client) {
            buckets.retain(|_, bucket| refilled(*bucket, now, capacity, per_second) < capacity);
        }
        let bucket = buckets.entry(client).or_insert(Bucket {
            tokens: capacity,
            updated: now,
        });
        bucket.tokens = refilled(*bucket, now, capacity, per_second);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / per_second))
        }
    }
}

fn refilled(bucket: Bucket, now: Instant, capacity: f64, per_second: f64) -> f64 {
    let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
    (bucket.tokens + elapsed * per_second).min(capacity)
}

/// The limits the web adapter applies.
#[derive(Debug)]
pub(crate) struct RateLimits {
    /// `POST /login`, `POST /api/login`.
    pub(crate) sign_in: RateLimiter,
    /// `POST /register`, `POST /api/register`.
    pub(crate) sign_up: RateLimiter,
}

/// Whole seconds to announce in `Retry-After`: rounded up, at least one.
pub(crate) fn retry_after_seconds(wait: Duration) -> u64 {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    seconds.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(requests: u32, seconds: u64) -> RateLimiter {
        RateLimiter::new(Some(RateLimit {
            requests,
            per: Duration::from_secs(seconds),
        }))
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn a_burst_up_to_the_limit_passes_then_the_client_waits() {
        let limiter = limiter(3, 60);
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.check(ip("192.0.2.1"), start), Ok(()));
        }
        let wait = limiter.check(ip("192.0.2.1"), start).unwrap_err();
        assert!(
            wait > Duration::from_secs(19) && wait <= Duration::from_secs(20),
            "{wait:?}"
        );
        assert_eq!(
            limiter.check(ip("192.0.2.1"), start + Duration::from_secs(20)),
            Ok(())
        );
    }

    #[test]
    fn clients_have_their_own_allowance() {
        let limiter = limiter(1, 60);
        let now = Instant::now();
        assert_eq!(limiter.check(ip("192.0.2.1"), now), Ok(()));
        assert!(limiter.check(ip("192.0.2.1"), now).is_err());
        assert_eq!(limiter.check(ip("192.0.2.2"), now), Ok(()));
    }

    #[test]
    fn no_limit_lets_everything_through() {
        let limiter = RateLimiter::new(None);
        let now = Instant::now();
        for _ in 0..1000 {
            assert_eq!(limiter.check(ip("192.0.2.1"), now), Ok(()));
        }
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_seconds(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_seconds(Duration::from_millis(1500)), 2);
        assert_eq!(retry_after_seconds(Duration::from_secs(3)), 3);
    }
}
