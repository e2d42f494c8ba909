//! How domain values are written to and read from columns: times as Unix
//! milliseconds, user ids as hyphenated text (session ids are bound as their
//! 32 bytes).

use latch_domain::{PasswordHash, Session, SessionId, StorageError, User, UserId, Username};
use sqlx::{Row, sqlite::SqliteRow};
use time::OffsetDateTime;

use crate::error::{SqliteStoreError, storage};

const NANOS_PER_MILLI: i128 = 1_000_000;

/// A time as Unix milliseconds; anything finer than a millisecond is dropped.
pub(crate) fn millis(at: OffsetDateTime) -> Result<i64, StorageError> {
    let millis = at.unix_timestamp_nanos().div_euclid(NANOS_PER_MILLI);
    i64::try_from(millis)
        .map_err(|_| StorageError::new(format!("{at} is out of range for Unix milliseconds")))
}

/// Reads a time column written by [`millis`].
pub(crate) fn time(row: &SqliteRow, column: &'static str) -> Result<OffsetDateTime, StorageError> {
    let millis: i64 = row.try_get(column).map_err(storage)?;
    time_from_millis(millis, column)
}

/// Reads a nullable time column written by [`millis`].
pub(crate) fn optional_time(
    row: &SqliteRow,
    column: &'static str,
) -> Result<Option<OffsetDateTime>, StorageError> {
    let millis: Option<i64> = row.try_get(column).map_err(storage)?;
    millis
        .map(|millis| time_from_millis(millis, column))
        .transpose()
}

fn time_from_millis(millis: i64, column: &'static str) -> Result<OffsetDateTime, StorageError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * NANOS_PER_MILLI)
        .map_err(|error| corrupt(column, error.to_string()))
}

/// Reads a user id column.
pub(crate) fn user_id(row: &SqliteRow, column: &'static str) -> Result<UserId, StorageError> {
    let text: String = row.try_get(column).map_err(storage)?;
    UserId::parse(&text).ok_or_else(|| corrupt(column, format!("{text:?} is not a UUID")))
}

/// Reads a non-negative integer column that must fit a `u32`.
pub(crate) fn count(row: &SqliteRow, column: &'static str) -> Result<u32, StorageError> {
    let value: i64 = row.try_get(column).map_err(storage)?;
    u32::try_from(value).map_err(|_| corrupt(column, format!("{value} is not a count")))
}

/// Reads an account from a row holding the columns `user_id`, `username`,
/// `password_hash`, `user_created_at`, `last_login_at`,
/// `credential_version` and `disabled`.
pub(crate) fn user(row: &SqliteRow) -> Result<User, StorageError> {
    Ok(User {
        id: user_id(row, "user_id")?,
        username: Username::from_stored(row.try_get("username").map_err(storage)?),
        password_hash: PasswordHash::new(
            row.try_get::<String, _>("password_hash").map_err(storage)?,
        ),
        created_at: time(row, "user_created_at")?,
        last_login_at: optional_time(row, "last_login_at")?,
        credential_version: count(row, "credential_version")?,
        disabled: row.try_get("disabled").map_err(storage)?,
    })
}

/// Reads a session with this id from a row holding the columns `user_id`,
/// `session_created_at`, `authenticated_at`, `last_seen_at`, `expires_at`,
/// `remember`, `session_credential_version`, `user_agent` and `client_ip`.
pub(crate) fn session(row: &SqliteRow, id: SessionId) -> Result<Session, StorageError> {
    Ok(Session {
        id,
        user_id: user_id(row, "user_id")?,
        created_at: time(row, "session_created_at")?,
        authenticated_at: time(row, "authenticated_at")?,
        last_seen_at: time(row, "last_seen_at")?,
        expires_at: time(row, "expires_at")?,
        remember: row.try_get("remember").map_err(storage)?,
        credential_version: count(row, "session_credential_version")?,
        user_agent: row.try_get("user_agent").map_err(storage)?,
        client_ip: row.try_get("client_ip").map_err(storage)?,
    })
}

/// Reads a session id column (32 bytes).
pub(crate) fn session_id(row: &SqliteRow, column: &'static str) -> Result<SessionId, StorageError> {
    let bytes: Vec<u8> = row.try_get(column).map_err(storage)?;
    let bytes: [u8; 32] = bytes
        .try_into()
        .map_err(|_| corrupt(column, "not 32 bytes".to_owned()))?;
    Ok(SessionId::from_bytes(bytes))
}

fn corrupt(column: &'static str, detail: String) -> StorageError {
    SqliteStoreError::Corrupt { column, detail }.into()
}
