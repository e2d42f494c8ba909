//! Accounts and sessions for the cases to store, with distinct ids and times
//! precise to the millisecond (the finest any store must keep).

use std::{
    sync::atomic::{AtomicU64, Ordering},
    time::{SystemTime, UNIX_EPOCH},
};

use latch_domain::{PasswordHash, Session, SessionToken, User, UserId, Username};
use time::{Duration, OffsetDateTime, macros::datetime};

/// When the fixtures' accounts were created.
pub(crate) const CREATED_AT: OffsetDateTime = datetime!(2026-01-02 03:04:05.678 UTC);
/// A later instant, for sign-ins and session starts.
pub(crate) const LATER: OffsetDateTime = datetime!(2026-02-03 04:05:06.789 UTC);

static COUNTER: AtomicU64 = AtomicU64::new(1);

/// Bytes that differ between every call in this run, and from other runs.
fn unique_bytes<const N: usize>() -> [u8; N] {
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or_default();
    let mut bytes = [0; N];
    for (byte, source) in bytes
        .iter_mut()
        .zip(count.to_le_bytes().into_iter().chain(nanos.to_le_bytes()))
    {
        *byte = source;
    }
    bytes
}

/// An identifier no stored account has.
pub(crate) fn fresh_user_id() -> UserId {
    UserId::from_random_bytes(unique_bytes())
}

/// A session identifier no stored session has (a real token's digest).
pub(crate) fn fresh_session_id() -> latch_domain::SessionId {
    SessionToken::from_random_bytes(unique_bytes()).id()
}

/// A PHC-shaped hash, distinct per `tag`.
pub(crate) fn hash(tag: &str) -> PasswordHash {
    PasswordHash::new(format!("$argon2id$v=19$m=47104,t=1,p=1$c2FsdHNhbHQ${tag}"))
}

/// A new account named `name`, never signed in.
pub(crate) fn user(name: &str) -> User {
    User {
        id: fresh_user_id(),
        username: Username::parse(name).expect("a valid fixture username"),
        password_hash: hash(name),
        created_at: CREATED_AT,
        last_login_at: None,
        credential_version: 0,
        disabled: false,
        groups: Vec::new(),
    }
}

/// An account named `name` as a store may hold it although the rules of
/// today refuse it (stored before they were made stricter, or imported).
pub(crate) fn stored_user(name: &str) -> User {
    User {
        username: Username::from_stored(name.to_owned()),
        ..user("stored")
    }
}

/// A session of `user` that started at [`LATER`] and ends at `expires_at`.
pub(crate) fn session_until(user: &User, expires_at: OffsetDateTime) -> Session {
    Session {
        id: fresh_session_id(),
        user_id: user.id,
        created_at: LATER,
        authenticated_at: LATER,
        last_seen_at: LATER,
        expires_at,
        remember: false,
        credential_version: user.credential_version,
        user_agent: None,
        client_ip: None,
        proof: latch_domain::Proof::PASSWORD,
    }
}

/// A session of `user` that ends twelve hours after it started.
pub(crate) fn session(user: &User) -> Session {
    session_until(user, LATER + Duration::hours(12))
}
