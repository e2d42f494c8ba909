//! A sign-in halfway: the password was right, the second step is still to
//! come. It is a short-lived record in the store, never a session: the
//! client holds a token for it (in a cookie of its own, or the API's
//! `pending` field), the store its digest, and only the second step's
//! success turns it into a session, once.

use std::fmt;

use time::{Duration, OffsetDateTime};

use crate::{
    session::{SessionId, SessionToken},
    user::UserId,
};

/// How long a person has for the second step.
pub const PENDING_SIGN_IN_LIFETIME: Duration = Duration::minutes(5);

/// What the client holds for a sign-in halfway: 256 random bits, like a
/// session token, but never accepted as one (stores keep the two apart).
#[derive(Clone, PartialEq, Eq)]
pub struct PendingToken(SessionToken);

impl PendingToken {
    /// Wraps 32 bytes from a cryptographically secure random source.
    pub fn from_random_bytes(bytes: [u8; 32]) -> Self {
        Self(SessionToken::from_random_bytes(bytes))
    }

    /// Reads the text form a client sent back; `None` for anything that a
    /// token of ours could not be.
    pub fn parse(text: &str) -> Option<Self> {
        SessionToken::parse(text).map(Self)
    }

    /// The text form given to the client.
    pub fn encode(&self) -> String {
        self.0.encode()
    }

    /// What a store keys the record by: the token's SHA-256 digest.
    pub fn id(&self) -> PendingId {
        PendingId(self.0.id())
    }
}

impl fmt::Debug for PendingToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PendingToken([redacted])")
    }
}

/// The digest of a [`PendingToken`], as stores key the record.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PendingId(SessionId);

impl PendingId {
    /// Wraps a digest read from a store.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(SessionId::from_bytes(bytes))
    }

    /// The digest's bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for PendingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PendingId({}...)", self.0.fingerprint())
    }
}

/// A sign-in halfway, as stores keep it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingSignIn {
    /// The digest of the client's token.
    pub id: PendingId,
    /// Whose password was right.
    pub user_id: UserId,
    /// The account's credential version then: a password change meanwhile
    /// voids it.
    pub credential_version: u32,
    /// Whether the person asked to be remembered.
    pub remember: bool,
    /// Where to go once signed in, as the delivery adapter vetted it.
    pub return_to: Option<String>,
    /// When the password was proved.
    pub created_at: OffsetDateTime,
    /// When it ends unused.
    pub expires_at: OffsetDateTime,
}

impl PendingSignIn {
    /// Whether it can still be completed at `now`.
    pub fn is_live_at(&self, now: OffsetDateTime) -> bool {
        now < self.expires_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pending_token_round_trips_and_is_never_printed() {
        let token = PendingToken::from_random_bytes([4; 32]);
        let parsed = PendingToken::parse(&token.encode()).unwrap();
        assert_eq!(parsed.id(), token.id());
        assert_eq!(format!("{token:?}"), "PendingToken([redacted])");
        assert!(PendingToken::parse("short").is_none());
    }
}
