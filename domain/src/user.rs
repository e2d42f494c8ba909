//! Accounts.

use std::fmt;

use time::OffsetDateTime;
use uuid::Uuid;

use crate::{group::GroupName, password::PasswordHash, username::Username};

/// An account's permanent identifier (a random UUID).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(Uuid);

impl UserId {
    /// Builds an identifier from 16 random bytes (made a version 4 UUID).
    pub fn from_random_bytes(bytes: [u8; 16]) -> Self {
        Self(uuid::Builder::from_random_bytes(bytes).into_uuid())
    }

    /// Wraps a UUID read from a store.
    pub fn from_uuid(uuid: Uuid) -> Self {
        Self(uuid)
    }

    /// Parses the hyphenated text form, as stores and APIs write it.
    pub fn parse(text: &str) -> Option<Self> {
        Uuid::try_parse(text).ok().map(Self)
    }

    /// The UUID.
    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

/// An account as stores keep it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Permanent identifier.
    pub id: UserId,
    /// The name its owner chose; its key is unique among accounts.
    pub username: Username,
    /// The hash of the current password.
    pub password_hash: PasswordHash,
    /// When the account was created.
    pub created_at: OffsetDateTime,
    /// When its owner last signed in successfully, if ever.
    pub last_login_at: Option<OffsetDateTime>,
    /// Moves on at every password change; sessions issued under an older
    /// version are dead.
    pub credential_version: u32,
    /// Whether an operator disabled the account: it cannot sign in, and its
    /// sessions are dead.
    pub disabled: bool,
    /// The groups it belongs to, sorted, each once. Every read of an
    /// account fills it in (in the same read as the account, so a session
    /// check learns its groups without another); writing an account
    /// ignores it: memberships change only through the
    /// [`GroupRepository`](crate::ports::GroupRepository), and a new
    /// account belongs to none.
    pub groups: Vec<GroupName>,
}
