//! Failed sign-ins: the `login_failures` table, one row per username key.

use async_trait::async_trait;
use latch_domain::{FailedAttempts, SignInAttemptRepository, StorageError, UsernameKey};
use rusqlite::{Row, params};
use time::OffsetDateTime;

use crate::{
    columns::{Cells, millis},
    statements::{execute, first_row},
    store::SqliteStore,
};

/// Reads a row of `count, last_failed_at`.
fn attempts(row: &Row<'_>) -> Result<FailedAttempts, StorageError> {
    let mut cells = Cells::new(row);
    Ok(FailedAttempts {
        count: cells.count("count")?,
        last_failed_at: cells.time("last_failed_at")?,
    })
}

#[async_trait]
impl SignInAttemptRepository for SqliteStore {
    async fn failed_attempts(
        &self,
        key: &UsernameKey,
    ) -> Result<Option<FailedAttempts>, StorageError> {
        self.read(|connection| {
            first_row(
                connection,
                "SELECT count, last_failed_at FROM login_failures WHERE username_key = ?",
                [key.as_str()],
                attempts,
            )
        })
    }

    /// One upsert that increments in place, so concurrent failures from
    /// several instances are all counted.
    async fn record_failed_attempt(
        &self,
        key: &UsernameKey,
        at: OffsetDateTime,
    ) -> Result<FailedAttempts, StorageError> {
        let key = key.as_str().to_owned();
        let at = millis(at)?;
        let counted = self
            .write(move |connection| {
                first_row(
                    connection,
                    "INSERT INTO login_failures (username_key, count, last_failed_at) \
                     VALUES (?1, 1, ?2) \
                     ON CONFLICT (username_key) DO UPDATE \
                     SET count = count + 1, last_failed_at = excluded.last_failed_at \
                     RETURNING count, last_failed_at",
                    params![key, at],
                    attempts,
                )
            })
            .await?;
        counted.ok_or_else(|| StorageError::new("the upsert of a failed sign-in returned no row"))
    }

    async fn clear_failed_attempts(&self, key: &UsernameKey) -> Result<(), StorageError> {
        let key = key.as_str().to_owned();
        self.write(move |connection| {
            execute(
                connection,
                "DELETE FROM login_failures WHERE username_key = ?",
                [key],
            )
            .map(|_| ())
        })
        .await
    }
}
