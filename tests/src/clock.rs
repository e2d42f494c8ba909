//! A clock that tests move forward by hand, so that time passes in an
//! instant: a throttled sign-in's wait, a session's idle timeout.

use std::sync::{Arc, Mutex};

use latch_domain::Clock;
use time::{Duration, OffsetDateTime};

/// A [`Clock`] that stands still until [`advance`](Self::advance)d; clones
/// share one time, so a test keeps a clone to move the server's clock.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<OffsetDateTime>>);

impl ManualClock {
    /// A clock standing at the system's time now.
    pub fn new() -> Self {
        Self::starting_at(OffsetDateTime::now_utc())
    }

    /// A clock standing at `start`.
    pub fn starting_at(start: OffsetDateTime) -> Self {
        Self(Arc::new(Mutex::new(start)))
    }

    /// Moves the time forward by `by`.
    pub fn advance(&self, by: Duration) {
        assert!(!by.is_negative(), "a clock only moves forward: {by}");
        *self.0.lock().unwrap() += by;
    }
}

impl Default for ManualClock {
    /// A clock standing at the system's time now.
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap()
    }
}
