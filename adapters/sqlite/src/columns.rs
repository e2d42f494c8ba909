//! How domain values are written to and read from columns: times as Unix
//! milliseconds, user ids as hyphenated text (session ids are bound as their
//! 32 bytes), and which columns a query selects for each kind of row.

use latch_domain::{
    GroupName, PasswordHash, Proof, ProofMethod, Session, SessionId, StorageError, User, UserId,
    Username, group::sorted_groups,
};
use rusqlite::{Row, types::FromSql};
use time::OffsetDateTime;

use crate::error::SqliteStoreError;

const NANOS_PER_MILLI: i128 = 1_000_000;

/// A time as Unix milliseconds; anything finer than a millisecond is dropped.
pub(crate) fn millis(at: OffsetDateTime) -> Result<i64, StorageError> {
    let millis = at.unix_timestamp_nanos().div_euclid(NANOS_PER_MILLI);
    i64::try_from(millis)
        .map_err(|_| StorageError::new(format!("{at} is out of range for Unix milliseconds")))
}

/// A row's cells, read left to right: each reader takes the columns of its
/// `*_columns!` list, in that order, so no column is looked up by name.
pub(crate) struct Cells<'a, 'r> {
    row: &'a Row<'r>,
    next: usize,
}

impl<'a, 'r> Cells<'a, 'r> {
    /// The cells of `row`, from its first column.
    pub(crate) fn new(row: &'a Row<'r>) -> Self {
        Self { row, next: 0 }
    }

    /// The next cell; `column` names it in errors.
    fn next<T: FromSql>(&mut self, column: &'static str) -> Result<T, StorageError> {
        let value = self
            .row
            .get(self.next)
            .map_err(|error| corrupt(column, error.to_string()));
        self.next += 1;
        value
    }

    /// The next cell, text.
    pub(crate) fn text(&mut self, column: &'static str) -> Result<String, StorageError> {
        self.next(column)
    }

    /// The next cell, a time written by [`millis`].
    pub(crate) fn time(&mut self, column: &'static str) -> Result<OffsetDateTime, StorageError> {
        let millis: i64 = self.next(column)?;
        time_from_millis(millis, column)
    }

    /// The next cell, bytes.
    pub(crate) fn bytes(&mut self, column: &'static str) -> Result<Vec<u8>, StorageError> {
        self.next(column)
    }

    /// The next cell, a nullable non-negative integer.
    pub(crate) fn optional_index(
        &mut self,
        column: &'static str,
    ) -> Result<Option<u64>, StorageError> {
        let value: Option<i64> = self.next(column)?;
        value
            .map(|value| {
                u64::try_from(value).map_err(|_| corrupt(column, format!("{value} is negative")))
            })
            .transpose()
    }

    /// The next cell, a nullable time written by [`millis`].
    pub(crate) fn optional_time(
        &mut self,
        column: &'static str,
    ) -> Result<Option<OffsetDateTime>, StorageError> {
        let millis: Option<i64> = self.next(column)?;
        millis
            .map(|millis| time_from_millis(millis, column))
            .transpose()
    }

    /// The next cell, a flag (0 or 1).
    pub(crate) fn flag(&mut self, column: &'static str) -> Result<bool, StorageError> {
        self.next(column)
    }

    /// The next cell, nullable text.
    pub(crate) fn optional_text(
        &mut self,
        column: &'static str,
    ) -> Result<Option<String>, StorageError> {
        self.next(column)
    }

    /// The next cell, a user id.
    pub(crate) fn user_id(&mut self, column: &'static str) -> Result<UserId, StorageError> {
        let text: String = self.next(column)?;
        UserId::parse(&text).ok_or_else(|| corrupt(column, format!("{text:?} is not a UUID")))
    }

    /// The next cell, a non-negative integer that must fit a `u32`.
    pub(crate) fn count(&mut self, column: &'static str) -> Result<u32, StorageError> {
        let value: i64 = self.next(column)?;
        u32::try_from(value).map_err(|_| corrupt(column, format!("{value} is not a count")))
    }

    /// The next cell, group names joined by [`GROUP_SEPARATOR`] (or
    /// `NULL`, for none), as [`user_columns!`] selects them.
    fn groups(&mut self, column: &'static str) -> Result<Vec<GroupName>, StorageError> {
        let joined: Option<String> = self.next(column)?;
        let names = joined
            .as_deref()
            .unwrap_or_default()
            .split(GROUP_SEPARATOR)
            .filter(|name| !name.is_empty())
            .map(|name| GroupName::from_stored(name.to_owned()))
            .collect();
        Ok(sorted_groups(names))
    }

    /// The next cell, a session id (32 bytes).
    pub(crate) fn session_id(&mut self, column: &'static str) -> Result<SessionId, StorageError> {
        let bytes: Vec<u8> = self.next(column)?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| corrupt(column, "not 32 bytes".to_owned()))?;
        Ok(SessionId::from_bytes(bytes))
    }

    /// The next cells, an account's: those of [`user_columns!`].
    pub(crate) fn user(&mut self) -> Result<User, StorageError> {
        Ok(User {
            id: self.user_id("user_id")?,
            username: Username::from_stored(self.next("username")?),
            password_hash: PasswordHash::new(self.next::<String>("password_hash")?),
            created_at: self.time("user_created_at")?,
            last_login_at: self.optional_time("last_login_at")?,
            credential_version: self.count("credential_version")?,
            disabled: self.next("disabled")?,
            groups: self.groups("groups")?,
        })
    }

    /// The next cells, those of [`session_columns!`], as the session `id`.
    pub(crate) fn session(&mut self, id: SessionId) -> Result<Session, StorageError> {
        Ok(Session {
            id,
            user_id: self.user_id("session_user_id")?,
            created_at: self.time("session_created_at")?,
            authenticated_at: self.time("authenticated_at")?,
            last_seen_at: self.time("last_seen_at")?,
            expires_at: self.time("expires_at")?,
            remember: self.next("remember")?,
            credential_version: self.count("session_credential_version")?,
            user_agent: self.next("user_agent")?,
            client_ip: self.next("client_ip")?,
            proof: Proof::from_amr(self.next::<String>("proof")?.split(' ')),
        })
    }
}

/// A session's proof as the `proof` column keeps it: its RFC 8176 method
/// names, separated by spaces.
pub(crate) fn proof_text(proof: Proof) -> String {
    proof
        .methods()
        .map(ProofMethod::amr)
        .collect::<Vec<_>>()
        .join(" ")
}

/// What joins an account's group names in one cell: a character no group
/// name holds.
pub(crate) const GROUP_SEPARATOR: char = ',';

/// The `users` columns [`Cells::user`] reads, in its order, each after
/// the prefix given (a table alias and a dot), and last the account's
/// groups, joined by [`GROUP_SEPARATOR`] (a subquery on the primary key of
/// `group_members`, so the read stays one statement).
macro_rules! user_columns {
    ($table:literal) => {
        concat!(
            $table,
            "id, ",
            $table,
            "username, ",
            $table,
            "password_hash, ",
            $table,
            "created_at, ",
            $table,
            "last_login_at, ",
            $table,
            "credential_version, ",
            $table,
            "disabled, ",
            "(SELECT group_concat(m.group_name, ',') FROM group_members AS m WHERE m.user_id = ",
            $table,
            "id) AS groups"
        )
    };
}
pub(crate) use user_columns;

/// The `sessions` columns [`Cells::session`] reads, in its order, each
/// after the prefix given (a table alias and a dot, or `""`).
macro_rules! session_columns {
    ($table:literal) => {
        concat!(
            $table,
            "user_id, ",
            $table,
            "created_at, ",
            $table,
            "authenticated_at, ",
            $table,
            "last_seen_at, ",
            $table,
            "expires_at, ",
            $table,
            "remember, ",
            $table,
            "credential_version, ",
            $table,
            "user_agent, ",
            $table,
            "client_ip, ",
            $table,
            "proof"
        )
    };
}
pub(crate) use session_columns;

fn time_from_millis(millis: i64, column: &'static str) -> Result<OffsetDateTime, StorageError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * NANOS_PER_MILLI)
        .map_err(|error| corrupt(column, error.to_string()))
}

fn corrupt(column: &'static str, detail: String) -> StorageError {
    SqliteStoreError::Corrupt { column, detail }.into()
}
