//! Failed sign-ins: the `login_failures` table, one row per throttle key
//! (a username key, or a trusted device's).

use async_trait::async_trait;
use latch_domain::{FailedAttempts, SignInAttemptRepository, StorageError, ThrottleKey};
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
        key: &ThrottleKey,
    ) -> Result<Option<FailedAttempts>, StorageError> {
        self.read(|connection| {
            first_row(
                connection,
                "SELECT count, last_failed_at FROM login_failures WHERE throttle_key = ?",
                [key.as_str()],
                attempts,
            )
        })
    }

    /// One conditional statement on the single write connection: an insert
    /// that does nothing if a row appeared meanwhile, or an update that
    /// matches only the count and time that were seen.
    async fn record_failed_attempt_if(
        &self,
        key: &ThrottleKey,
        seen: Option<FailedAttempts>,
        at: OffsetDateTime,
    ) -> Result<bool, StorageError> {
        let key = key.as_str().to_owned();
        let at = millis(at)?;
        let seen = seen
            .map(|seen| {
                Ok::<_, StorageError>((i64::from(seen.count), millis(seen.last_failed_at)?))
            })
            .transpose()?;
        let changed = self
            .write(move |connection| match seen {
                None => execute(
                    connection,
                    "INSERT INTO login_failures (throttle_key, count, last_failed_at) \
                     VALUES (?1, 1, ?2) ON CONFLICT (throttle_key) DO NOTHING",
                    params![key, at],
                ),
                Some((count, last_failed_at)) => execute(
                    connection,
                    "UPDATE login_failures SET count = count + 1, last_failed_at = ?2 \
                     WHERE throttle_key = ?1 AND count = ?3 AND last_failed_at = ?4",
                    params![key, at, count, last_failed_at],
                ),
            })
            .await?;
        Ok(changed == 1)
    }

    async fn clear_failed_attempts(&self, key: &ThrottleKey) -> Result<(), StorageError> {
        let key = key.as_str().to_owned();
        self.write(move |connection| {
            execute(
                connection,
                "DELETE FROM login_failures WHERE throttle_key = ?",
                [key],
            )
            .map(|_| ())
        })
        .await
    }

    async fn delete_stale_attempts(&self, before: OffsetDateTime) -> Result<u64, StorageError> {
        let before = millis(before)?;
        let deleted = self
            .write(move |connection| {
                execute(
                    connection,
                    "DELETE FROM login_failures WHERE last_failed_at < ?1 \
                     AND throttle_key NOT IN (SELECT username_key FROM users)",
                    [before],
                )
            })
            .await?;
        Ok(deleted as u64)
    }
}
