//! Slowing down password guessing: after a few consecutive failures for one
//! username, each further attempt must wait longer, and after 100 none is
//! accepted (NIST SP 800-63B-4 §3.2.2). Failures are counted per username
//! key whether or not such an account exists, so throttling reveals nothing
//! about which accounts exist.

use time::{Duration, OffsetDateTime};

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
}

impl Default for ThrottlePolicy {
    /// 5 free failures, then 1 s doubling up to 15 minutes, and a lockout
    /// at 100.
    fn default() -> Self {
        Self {
            free_failures: 5,
            first_delay: Duration::SECOND,
            max_delay: Duration::minutes(15),
            lockout_after: 100,
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
