//! Sessions: the token a client holds, the digest a store keeps, and how long
//! a session lives.

use std::fmt;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use crate::user::UserId;

/// The secret a client presents (in a cookie or a bearer header): 256 random
/// bits. Stores never see it, only its [`SessionId`].
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken([u8; 32]);

impl SessionToken {
    /// Wraps 32 bytes from a cryptographically secure random source.
    pub fn from_random_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Reads the text form a client sent back; `None` for anything that a
    /// token of ours could not be.
    pub fn parse(text: &str) -> Option<Self> {
        if text.len() != 43 {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
        bytes.try_into().ok().map(Self)
    }

    /// The text form given to the client (43 characters of URL-safe base64).
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0)
    }

    /// The identifier a store keeps for this token: its SHA-256 digest.
    pub fn id(&self) -> SessionId {
        SessionId(Sha256::digest(self.0).into())
    }
}

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionToken([redacted])")
    }
}

/// What a store keys a session by: the SHA-256 digest of its token, so that a
/// copy of the store does not hold working tokens.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId([u8; 32]);

impl SessionId {
    /// Wraps a digest read from a store.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The digest's bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The first 8 hex digits of the digest: enough to tell sessions apart
    /// in a log, useless to an attacker.
    pub fn fingerprint(&self) -> String {
        self.0[..4]
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionId({}...)", self.fingerprint())
    }
}

/// A signed-in session as stores keep it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Digest of the token.
    pub id: SessionId,
    /// Whose session it is.
    pub user_id: UserId,
    /// When it was issued.
    pub created_at: OffsetDateTime,
    /// When it ends, whatever happens.
    pub expires_at: OffsetDateTime,
}

impl Session {
    /// Whether the session is still alive at `now`.
    pub fn is_live_at(&self, now: OffsetDateTime) -> bool {
        now < self.expires_at
    }
}

/// How long sessions live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// The absolute lifetime of a session from sign-in.
    pub absolute_lifetime: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            absolute_lifetime: Duration::hours(12),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn tokens_round_trip_through_their_text_form() {
        let token = SessionToken::from_random_bytes([7; 32]);
        let text = token.encode();
        assert_eq!(text.len(), 43);
        assert_eq!(SessionToken::parse(&text), Some(token));
    }

    #[test]
    fn the_stored_id_is_the_sha256_of_the_token() {
        let token = SessionToken::from_random_bytes([0; 32]);
        // SHA-256 of 32 zero bytes.
        assert_eq!(
            token.id().fingerprint(),
            "66687aad",
            "digest of the token, not the token"
        );
        assert_ne!(token.id().as_bytes(), &[0; 32]);
    }

    #[test]
    fn debug_output_never_shows_the_token() {
        let token = SessionToken::from_random_bytes([9; 32]);
        assert!(!format!("{token:?}").contains(&token.encode()));
    }

    #[test]
    fn a_session_is_dead_from_its_expiry_on() {
        let start = OffsetDateTime::UNIX_EPOCH;
        let session = Session {
            id: SessionId::from_bytes([1; 32]),
            user_id: UserId::from_random_bytes([2; 16]),
            created_at: start,
            expires_at: start + Duration::hours(12),
        };
        assert!(session.is_live_at(start + Duration::hours(12) - Duration::SECOND));
        assert!(!session.is_live_at(start + Duration::hours(12)));
    }

    proptest! {
        #[test]
        fn parsing_any_text_never_panics(text in "\\PC{0,64}") {
            if let Some(token) = SessionToken::parse(&text) {
                prop_assert_eq!(token.encode(), text);
            }
        }
    }
}
