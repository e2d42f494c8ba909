//! The schema's history, embedded in the binary and applied at every start.
//!
//! `PRAGMA user_version` counts the migrations a database has had; those it
//! lacks run in order, in one transaction, so a failed upgrade changes nothing.

use latch_domain::StorageError;
use rusqlite::{Connection, TransactionBehavior};

use crate::error::{SqliteStoreError, storage};

/// Every migration, oldest first. Never edit one that has shipped: add another.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_initial.sql"),
    include_str!("../migrations/0002_sessions_and_throttling.sql"),
    include_str!("../migrations/0003_account_management.sql"),
    include_str!("../migrations/0004_throttle_keys.sql"),
    include_str!("../migrations/0005_username_skeletons.sql"),
    include_str!("../migrations/0006_groups.sql"),
    include_str!("../migrations/0007_second_factors.sql"),
    include_str!("../migrations/0008_pending_sign_ins.sql"),
    include_str!("../migrations/0009_session_proof.sql"),
];

/// Brings the schema up to date; does nothing when it already is.
pub(crate) fn apply(connection: &mut Connection) -> Result<(), StorageError> {
    // IMMEDIATE takes the write lock first, so two processes starting at once
    // cannot both decide to run the same migration.
    let transaction = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(storage)?;
    let found: i64 = transaction
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(storage)?;
    let applied = usize::try_from(found)
        .ok()
        .filter(|applied| *applied <= MIGRATIONS.len())
        .ok_or(SqliteStoreError::NewerSchema {
            found,
            known: MIGRATIONS.len(),
        })?;
    for (index, migration) in MIGRATIONS.iter().enumerate().skip(applied) {
        transaction.execute_batch(migration).map_err(storage)?;
        let version = i64::try_from(index + 1).map_err(StorageError::new)?;
        transaction
            .pragma_update(None, "user_version", version)
            .map_err(storage)?;
    }
    transaction.commit().map_err(storage)
}

/// Every migration, oldest first, for tests that build an older schema.
#[cfg(test)]
pub(crate) fn history() -> &'static [&'static str] {
    MIGRATIONS
}

/// The schema version this build brings a database to.
#[cfg(test)]
pub(crate) fn latest() -> i64 {
    i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX)
}
