//! Filling in the username skeletons of accounts stored before the schema
//! kept them (migration 0005), which SQL cannot compute.

use latch_domain::{StorageError, Username};
use rusqlite::{Connection, ErrorCode, TransactionBehavior, params};

use crate::{error::storage, statements::all_rows};

/// Accounts read and updated per transaction, so that a large upgrade holds
/// the write lock for short spells only.
const BATCH: i64 = 500;

/// What a fill-in did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Filled {
    /// Accounts that now hold their skeleton.
    pub(crate) filled: u64,
    /// Accounts left without one, because an account stored before them
    /// holds it (two names that look alike, both stored before the rule).
    pub(crate) left: u64,
}

/// Gives every account without a skeleton its own, in the order they were
/// stored (by rowid), skipping those whose skeleton another account holds;
/// does nothing when every account has one. Each batch is one transaction;
/// the unique index settles a race with another process doing the same.
pub(crate) fn fill_in(connection: &mut Connection) -> Result<Filled, StorageError> {
    let mut done = Filled::default();
    let mut after = 0_i64;
    loop {
        let transaction = connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(storage)?;
        let batch = all_rows(
            &transaction,
            "SELECT rowid, username FROM users \
             WHERE username_skeleton IS NULL AND rowid > ? ORDER BY rowid LIMIT ?",
            params![after, BATCH],
            |row| {
                let rowid: i64 = row.get(0).map_err(storage)?;
                let username: String = row.get(1).map_err(storage)?;
                Ok((rowid, username))
            },
        )?;
        let Some(&(last, _)) = batch.last() else {
            return Ok(done);
        };
        for (rowid, username) in batch {
            let skeleton = Username::from_stored(username).skeleton();
            let updated = transaction
                .prepare_cached(
                    "UPDATE users SET username_skeleton = ? \
                     WHERE rowid = ? AND username_skeleton IS NULL",
                )
                .and_then(|mut statement| statement.execute(params![skeleton.as_str(), rowid]));
            match updated {
                Ok(_) => done.filled += 1,
                // Only this statement is undone; the transaction goes on.
                Err(rusqlite::Error::SqliteFailure(failure, _))
                    if failure.code == ErrorCode::ConstraintViolation =>
                {
                    done.left += 1;
                }
                Err(error) => return Err(storage(error)),
            }
        }
        transaction.commit().map_err(storage)?;
        after = last;
    }
}
