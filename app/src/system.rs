//! The operating system's clock and random source, and the server's keyed
//! digest, as domain ports.

use hmac::{Hmac, Mac};
use latch_domain::{Clock, KeyedDigest, SessionToken, TokenSource, UserId};
use sha2::Sha256;
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

    fn device_nonce(&self) -> [u8; 16] {
        random_bytes()
    }

    fn totp_secret(&self) -> [u8; latch_domain::second_factor::TOTP_SECRET_LEN] {
        random_bytes()
    }

    fn recovery_code(&self) -> [u8; latch_domain::second_factor::RECOVERY_CODE_LEN] {
        random_bytes()
    }
}

/// HMAC-SHA256 under a key derived from the server's secret: device tokens
/// and the digests of names in logs.
pub struct HmacDigests {
    key: Hmac<Sha256>,
}

impl HmacDigests {
    /// Digests under `secret` (`server.secret_key`, or a random key for
    /// this process when none is set). The key is bound to its use, so it
    /// signs nothing that the same secret signs elsewhere (CSRF tokens).
    pub fn new(secret: &[u8; 32]) -> Self {
        let mut derive = hmac_with(secret);
        derive.update(b"latch keyed digests v1");
        Self {
            key: hmac_with(&derive.finalize().into_bytes()),
        }
    }
}

/// HMAC-SHA256 under `key` (HMAC takes a key of any length).
fn hmac_with(key: &[u8]) -> Hmac<Sha256> {
    #[allow(clippy::expect_used)]
    Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length")
}

impl KeyedDigest for HmacDigests {
    fn digest(&self, purpose: &str, message: &[u8]) -> [u8; 32] {
        let mut mac = self.key.clone();
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(message);
        mac.finalize().into_bytes().into()
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
