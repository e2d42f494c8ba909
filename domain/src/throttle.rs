//! Slowing down password guessing: after a few consecutive failures for one
//! username, each further attempt must wait longer, and after 100 none is
//! accepted from an untrusted client (NIST SP 800-63B-4 §3.2.2). Failures
//! are counted per username key whether or not such an account exists, so
//! throttling reveals nothing about which accounts exist; a trusted device
//! has its own count and small allowance (see [`crate::device`]).

use std::fmt::Write;

use time::{Duration, OffsetDateTime};

use crate::username::UsernameKey;

/// What failures are counted under: a username (for untrusted clients) or
/// one trusted device. The two kinds never collide: a username key holds
/// no `:`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ThrottleKey(String);

impl ThrottleKey {
    /// The count of untrusted clients' failures for a username.
    pub fn username(key: &UsernameKey) -> Self {
        Self(key.as_str().to_owned())
    }

    /// The count of one trusted device's failures, by its token's nonce.
    pub fn device(nonce: &[u8]) -> Self {
        let mut key = String::from("device:");
        for byte in nonce {
            // Writing to a String cannot fail.
            let _ = write!(key, "{byte:02x}");
        }
        Self(key)
    }

    /// Rebuilds a key a store kept.
    pub fn from_stored(key: String) -> Self {
        Self(key)
    }

    /// The key as stores keep it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether one more attempt may be evaluated now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Yes.
    Open,
    /// Not before this long.
    Wait(Duration),
    /// Not at all: the count reached its limit.
    Closed,
}

/// The consecutive failed sign-ins for one username key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailedAttempts {
    /// How many in a row, since the last success.
    pub count: u32,
    /// When the latest failed.
    pub last_failed_at: OffsetDateTime,
}

/// How failures slow down the next attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Failures allowed before any delay.
    pub free_failures: u32,
    /// The delay after the first failure beyond the free ones; it doubles
    /// with each further failure.
    pub first_delay: Duration,
    /// The longest delay.
    pub max_delay: Duration,
    /// From this many consecutive failures on, no attempt is accepted until
    /// the count is cleared.
    pub lockout_after: u32,
    /// A trusted device's own allowance: from this many consecutive
    /// failures on, the device is trusted no more.
    pub device_allowance: u32,
    /// How long a count of a username with no account is kept after its
    /// latest failure before the purge forgets it.
    pub forget_unknown_after: Duration,
}

impl Default for ThrottlePolicy {
    /// 5 free failures, then 1 s doubling up to 15 minutes, and a lockout
    /// at 100; 10 for a trusted device; unknown usernames forgotten after a
    /// day without failures.
    fn default() -> Self {
        Self {
            free_failures: 5,
            first_delay: Duration::SECOND,
            max_delay: Duration::minutes(15),
            lockout_after: 100,
            device_allowance: 10,
            forget_unknown_after: Duration::DAY,
        }
    }
}

impl ThrottlePolicy {
    /// How long after the latest of `failures` consecutive failures the
    /// next attempt may be made.
    pub fn delay_after(&self, failures: u32) -> Duration {
        let Some(beyond) = failures.checked_sub(self.free_failures + 1) else {
            return Duration::ZERO;
        };
        // 2^beyond overflows quickly; past 2^20 the cap has long applied.
        let factor = 1_i32 << beyond.min(20);
        (self.first_delay * factor).min(self.max_delay)
    }

    /// Whether one more attempt may be evaluated at `now`, after `attempts`
    /// (none: yes), when `limit` failures close the count.
    pub fn gate(&self, attempts: Option<&FailedAttempts>, now: OffsetDateTime, limit: u32) -> Gate {
        let Some(attempts) = attempts else {
            return Gate::Open;
        };
        if attempts.count >= limit {
            return Gate::Closed;
        }
        let ready_at = attempts.last_failed_at + self.delay_after(attempts.count);
        if now < ready_at {
            Gate::Wait(ready_at - now)
        } else {
            Gate::Open
        }
    }

    /// How long the caller must still wait at `now`, if at all. A locked
    /// username always waits the longest delay.
    pub fn wait_at(&self, attempts: &FailedAttempts, now: OffsetDateTime) -> Option<Duration> {
        if attempts.count >= self.lockout_after {
            return Some(self.max_delay);
        }
        let ready_at = attempts.last_failed_at + self.delay_after(attempts.count);
        (now < ready_at).then(|| ready_at - now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempts(count: u32) -> FailedAttempts {
        FailedAttempts {
            count,
            last_failed_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn the_first_five_failures_cost_nothing() {
        let policy = ThrottlePolicy::default();
        for count in 0..=5 {
            assert_eq!(policy.delay_after(count), Duration::ZERO, "{count}");
            assert_eq!(
                policy.wait_at(&attempts(count), OffsetDateTime::UNIX_EPOCH),
                None
            );
        }
    }

    #[test]
    fn then_the_delay_doubles_from_one_second_up_to_fifteen_minutes() {
        let policy = ThrottlePolicy::default();
        assert_eq!(policy.delay_after(6), Duration::seconds(1));
        assert_eq!(policy.delay_after(7), Duration::seconds(2));
        assert_eq!(policy.delay_after(15), Duration::seconds(512));
        assert_eq!(policy.delay_after(16), Duration::minutes(15));
        assert_eq!(policy.delay_after(99), Duration::minutes(15));
        assert_eq!(policy.delay_after(u32::MAX), Duration::minutes(15));
    }

    #[test]
    fn an_attempt_during_the_delay_is_told_how_long_to_wait() {
        let policy = ThrottlePolicy::default();
        let start = OffsetDateTime::UNIX_EPOCH;
        let seven = attempts(7);
        assert_eq!(
            policy.wait_at(&seven, start + Duration::SECOND),
            Some(Duration::SECOND)
        );
        assert_eq!(policy.wait_at(&seven, start + Duration::seconds(2)), None);
    }

    #[test]
    fn the_gate_opens_waits_and_closes_at_the_limit() {
        let policy = ThrottlePolicy::default();
        let start = OffsetDateTime::UNIX_EPOCH;
        assert_eq!(policy.gate(None, start, 100), Gate::Open);
        assert_eq!(policy.gate(Some(&attempts(5)), start, 100), Gate::Open);
        assert_eq!(
            policy.gate(Some(&attempts(7)), start + Duration::SECOND, 100),
            Gate::Wait(Duration::SECOND)
        );
        assert_eq!(
            policy.gate(Some(&attempts(10)), start + Duration::days(9), 10),
            Gate::Closed,
            "a device's allowance"
        );
        assert_eq!(
            policy.gate(Some(&attempts(99)), start + Duration::days(9), 100),
            Gate::Open
        );
    }

    #[test]
    fn username_and_device_keys_never_collide() {
        let device = ThrottleKey::device(&[0xab; 4]);
        assert_eq!(device.as_str(), "device:abababab");
        assert!(
            !ThrottleKey::username(&UsernameKey::from_input("alice"))
                .as_str()
                .contains(':')
        );
    }

    #[test]
    fn from_the_hundredth_failure_on_nothing_is_accepted() {
        let policy = ThrottlePolicy::default();
        let much_later = OffsetDateTime::UNIX_EPOCH + Duration::days(365);
        assert_eq!(policy.wait_at(&attempts(99), much_later), None);
        assert_eq!(
            policy.wait_at(&attempts(100), much_later),
            Some(Duration::minutes(15))
        );
    }
}
