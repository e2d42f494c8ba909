//! The operating system's clock and random source, as domain ports.

use latch_domain::{Clock, SessionToken, TokenSource, UserId};
use time::OffsetDateTime;

/// The system clock, in UTC.
pub(crate) struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// The operating system's cryptographically secure random source.
pub(crate) struct OsRandom;

impl TokenSource for OsRandom {
    fn session_token(&self) -> SessionToken {
        SessionToken::from_random_bytes(random_bytes())
    }

    fn user_id(&self) -> UserId {
        UserId::from_random_bytes(random_bytes())
    }
}

/// Random bytes from the operating system. Its random source failing means
/// no secret can be made safely, so that (never seen on a booted Linux
/// system) stops the process rather than going on with weak tokens.
pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0; N];
    #[allow(clippy::expect_used)]
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    bytes
}
