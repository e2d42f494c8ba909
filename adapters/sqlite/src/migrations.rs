//! The schema's history, embedded in the binary and applied at every start.
//!
//! `PRAGMA user_version` counts the migrations a database has had; those it
//! lacks run in order, in one transaction, so a failed upgrade changes nothing.

use latch_domain::StorageError;
use sqlx::{AssertSqlSafe, SqlitePool};

use crate::error::{SqliteStoreError, storage};

/// Every migration, oldest first. Never edit one that has shipped: add another.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_initial.sql"),
    include_str!("../migrations/0002_sessions_and_throttling.sql"),
    include_str!("../migrations/0003_account_management.sql"),
];

/// Brings the schema up to date; does nothing when it already is.
pub(crate) async fn apply(pool: &SqlitePool) -> Result<(), StorageError> {
    // IMMEDIATE takes the write lock first, so two processes starting at once
    // cannot both decide to run the same migration.
    let mut transaction = pool.begin_with("BEGIN IMMEDIATE").await.map_err(storage)?;
    let found: i64 = sqlx::query_scalar("PRAGMA user_version")
        .fetch_one(&mut *transaction)
        .await
        .map_err(storage)?;
    let applied = usize::try_from(found)
        .ok()
        .filter(|applied| *applied <= MIGRATIONS.len())
        .ok_or(SqliteStoreError::NewerSchema {
            found,
            known: MIGRATIONS.len(),
        })?;
    for (index, migration) in MIGRATIONS.iter().enumerate().skip(applied) {
        sqlx::raw_sql(*migration)
            .execute(&mut *transaction)
            .await
            .map_err(storage)?;
        // PRAGMA takes no bound parameters; the version is our own integer.
        let version = index + 1;
        sqlx::raw_sql(AssertSqlSafe(format!("PRAGMA user_version = {version}")))
            .execute(&mut *transaction)
            .await
            .map_err(storage)?;
    }
    transaction.commit().await.map_err(storage)
}

/// The schema version this build brings a database to.
#[cfg(test)]
pub(crate) fn latest() -> i64 {
    i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX)
}
