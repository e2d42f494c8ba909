//! Per-client-IP rate limits on signing in and signing up: token buckets
//! kept in memory (per instance), refilled continuously. They complement the
//! per-username throttling the domain keeps in the store: that one stops
//! guessing one account's password, this one stops one client from trying
//! many accounts or creating many.
//!
//! An IPv6 client is known by its /64 network: one host is usually given a
//! whole /64, and could otherwise take a fresh allowance from each of its
//! addresses. The buckets are spread over shards, each behind its own lock
//! and holding a bounded number of clients, so neither memory nor the time
//! spent under a lock grows with the number of addresses a flood comes from.

use std::{
    collections::HashMap,
    hash::{BuildHasher, RandomState},
    net::{IpAddr, Ipv6Addr},
    sync::{Mutex, PoisonError},
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

/// The clients tracked at most by one limiter.
const MAX_TRACKED_CLIENTS: usize = 100_000;

/// Shards of a limiter's table; requests from different clients seldom wait
/// for the same lock.
const SHARDS: usize = 16;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// Buckets by client: an IPv4 address, or an IPv6 /64 network.
type Shard = HashMap<IpAddr, Bucket>;

/// One limit, applied per client IP.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    limit: Option<RateLimit>,
    shards: Box<[Mutex<Shard>]>,
    /// The clients one shard holds at most.
    shard_capacity: usize,
    /// Picks a client's shard (keyed at random, so that nobody can aim
    /// addresses at one shard).
    spread: RandomState,
}

impl RateLimiter {
    /// A limiter; `None` lets everything through.
    pub(crate) fn new(limit: Option<RateLimit>) -> Self {
        Self::tracking(limit, MAX_TRACKED_CLIENTS)
    }

    /// A limiter that tracks at most `max_clients` clients (rounded down to
    /// a multiple of the shard count, at least one per shard).
    fn tracking(limit: Option<RateLimit>, max_clients: usize) -> Self {
        Self {
            limit,
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::new())).collect(),
            shard_capacity: (max_clients / SHARDS).max(1),
            spread: RandomState::new(),
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
        let key = client_key(client);
        let shard = &self.shards[self.shard_of(&key)];
        // A poisoned lock only means another request panicked mid-update;
        // the buckets are still usable.
        let mut buckets = shard.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() >= self.shard_capacity && !buckets.contains_key(&key) {
            make_room(&mut buckets, self.shard_capacity, |bucket| {
                refilled(bucket, now, capacity, per_second)
            });
        }
        let bucket = buckets.entry(key).or_insert(Bucket {
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

    fn shard_of(&self, key: &IpAddr) -> usize {
        // The remainder is below `SHARDS`, so it fits in a usize.
        (self.spread.hash_one(key) % SHARDS as u64) as usize
    }

    /// The clients tracked now.
    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.shards
            .iter()
            .map(|shard| shard.lock().unwrap_or_else(PoisonError::into_inner).len())
            .sum()
    }
}

/// Whom a bucket belongs to: an IPv4 address (also when written as an
/// IPv4-mapped IPv6 one), or an IPv6 address's /64 network.
fn client_key(client: IpAddr) -> IpAddr {
    match client.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from_bits(v6.to_bits() & !u128::from(u64::MAX))),
        v4 => v4,
    }
}

/// Frees room in a full shard, leaving it at most seven eighths full, so
/// that the work is done once per many new clients. Forgets the buckets
/// with the most tokens at `tokens_now` first: a full bucket (a client not
/// limited lately) is no different from a new one, and a client being
/// limited is the last to get a fresh allowance.
fn make_room(buckets: &mut Shard, shard_capacity: usize, tokens_now: impl Fn(Bucket) -> f64) {
    let keep = shard_capacity - shard_capacity.div_ceil(8);
    let mut by_tokens: Vec<(f64, IpAddr)> = buckets
        .iter()
        .map(|(key, bucket)| (tokens_now(*bucket), *key))
        .collect();
    if by_tokens.len() > keep {
        let excess = by_tokens.len() - keep;
        by_tokens.select_nth_unstable_by(excess - 1, |a, b| b.0.total_cmp(&a.0));
        for (_, key) in &by_tokens[..excess] {
            buckets.remove(key);
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
    use std::net::Ipv4Addr;

    use super::*;

    fn limit(requests: u32, seconds: u64) -> Option<RateLimit> {
        Some(RateLimit {
            requests,
            per: Duration::from_secs(seconds),
        })
    }

    fn limiter(requests: u32, seconds: u64) -> RateLimiter {
        RateLimiter::new(limit(requests, seconds))
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
    fn an_ipv6_64_shares_one_allowance() {
        let limiter = limiter(2, 60);
        let now = Instant::now();
        assert_eq!(limiter.check(ip("2001:db8:1:2::1"), now), Ok(()));
        assert_eq!(
            limiter.check(ip("2001:db8:1:2:ffff:ffff:ffff:fffe"), now),
            Ok(())
        );
        assert!(limiter.check(ip("2001:db8:1:2:abcd::9"), now).is_err());
        assert_eq!(
            limiter.check(ip("2001:db8:1:3::1"), now),
            Ok(()),
            "the next /64 is another client"
        );
    }

    #[test]
    fn an_ipv4_mapped_address_is_its_ipv4_client() {
        let limiter = limiter(1, 60);
        let now = Instant::now();
        assert_eq!(limiter.check(ip("::ffff:192.0.2.1"), now), Ok(()));
        assert!(limiter.check(ip("192.0.2.1"), now).is_err());
        assert_eq!(
            limiter.check(ip("::ffff:192.0.2.2"), now),
            Ok(()),
            "IPv4 clients do not share a /64"
        );
    }

    #[test]
    fn the_table_stays_bounded_under_many_addresses() {
        let max_clients = 20 * SHARDS;
        let limiter = RateLimiter::tracking(limit(3, 60), max_clients);
        let start = Instant::now();
        for n in 0..50_000_u32 {
            let now = start + Duration::from_millis(u64::from(n));
            let client = if n % 2 == 0 {
                IpAddr::V4(Ipv4Addr::from_bits(n))
            } else {
                IpAddr::V6(Ipv6Addr::from_bits(u128::from(n) << 64))
            };
            assert_eq!(limiter.check(client, now), Ok(()));
            assert!(limiter.tracked() <= max_clients);
        }
        assert!(
            limiter.tracked() > max_clients / 2,
            "room is freed, not all of it"
        );
    }

    #[test]
    fn a_limited_client_is_not_forgotten_in_a_flood() {
        let limiter = RateLimiter::tracking(limit(3, 60), 4 * SHARDS);
        let now = Instant::now();
        let limited = ip("198.51.100.7");
        for _ in 0..3 {
            assert_eq!(limiter.check(limited, now), Ok(()));
        }
        for n in 0..10_000 {
            let _ = limiter.check(IpAddr::V4(Ipv4Addr::from_bits(n)), now);
        }
        assert!(
            limiter.check(limited, now).is_err(),
            "fresh clients are forgotten before one out of allowance"
        );
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
