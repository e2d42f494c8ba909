//! Second factors: the `totp_apps` and `recovery_codes` tables.

use async_trait::async_trait;
use latch_domain::{
    RecoveryCodeDigest, SealedSecret, SecondFactorRepository, StorageError, StoredTotp, TimeStep,
    UserId,
};
use rusqlite::{TransactionBehavior, params};
use time::OffsetDateTime;

use crate::{
    columns::{Cells, millis},
    error::storage,
    statements::{account_exists, execute, first_row},
    store::SqliteStore,
};

/// A step as SQLite's signed integer.
fn step_value(step: TimeStep) -> Result<i64, StorageError> {
    i64::try_from(step.index()).map_err(StorageError::new)
}

#[async_trait]
impl SecondFactorRepository for SqliteStore {
    async fn totp(&self, user: UserId) -> Result<Option<StoredTotp>, StorageError> {
        self.read(|connection| {
            first_row(
                connection,
                "SELECT secret, added_at, confirmed_at, last_accepted \
                 FROM totp_apps WHERE user_id = ?",
                [user.to_string()],
                |row| {
                    let mut cells = Cells::new(row);
                    Ok(StoredTotp {
                        secret: SealedSecret::from_bytes(cells.bytes("secret")?),
                        added_at: cells.time("added_at")?,
                        confirmed_at: cells.optional_time("confirmed_at")?,
                        last_accepted: cells
                            .optional_index("last_accepted")?
                            .map(TimeStep::from_index),
                    })
                },
            )
        })
    }

    /// One upsert that leaves a confirmed app alone; the account must exist
    /// (its foreign key), checked first in the same transaction.
    async fn begin_totp(
        &self,
        user: UserId,
        secret: &SealedSecret,
        at: OffsetDateTime,
    ) -> Result<bool, StorageError> {
        let (user, secret, at) = (user.to_string(), secret.as_bytes().to_vec(), millis(at)?);
        self.write(move |connection| {
            let transaction = connection
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(storage)?;
            if !account_exists(&transaction, &user)? {
                return Ok(false);
            }
            let changed = execute(
                &transaction,
                "INSERT INTO totp_apps (user_id, secret, added_at) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (user_id) DO UPDATE SET secret = ?2, added_at = ?3, \
                 last_accepted = NULL WHERE confirmed_at IS NULL",
                params![user, secret, at],
            )?;
            transaction.commit().map_err(storage)?;
            Ok(changed > 0)
        })
        .await
    }

    async fn confirm_totp(
        &self,
        user: UserId,
        secret: &SealedSecret,
        step: TimeStep,
        at: OffsetDateTime,
    ) -> Result<bool, StorageError> {
        let (user, secret) = (user.to_string(), secret.as_bytes().to_vec());
        let (step, at) = (step_value(step)?, millis(at)?);
        self.write(move |connection| {
            execute(
                connection,
                "UPDATE totp_apps SET confirmed_at = ?, last_accepted = ? \
                 WHERE user_id = ? AND secret = ? AND confirmed_at IS NULL",
                params![at, step, user, secret],
            )
            .map(|changed| changed > 0)
        })
        .await
    }

    /// One conditional `UPDATE`: the write lock decides between two
    /// requests with the same code.
    async fn accept_totp_step(&self, user: UserId, step: TimeStep) -> Result<bool, StorageError> {
        let (user, step) = (user.to_string(), step_value(step)?);
        self.write(move |connection| {
            execute(
                connection,
                "UPDATE totp_apps SET last_accepted = ?1 WHERE user_id = ?2 \
                 AND confirmed_at IS NOT NULL AND (last_accepted IS NULL OR last_accepted < ?1)",
                params![step, user],
            )
            .map(|changed| changed > 0)
        })
        .await
    }

    async fn remove_totp(&self, user: UserId) -> Result<bool, StorageError> {
        let user = user.to_string();
        self.write(move |connection| {
            execute(
                connection,
                "DELETE FROM totp_apps WHERE user_id = ?",
                [user],
            )
            .map(|changed| changed > 0)
        })
        .await
    }

    /// The old set out and the new one in, in one transaction.
    async fn replace_recovery_codes(
        &self,
        user: UserId,
        codes: &[RecoveryCodeDigest],
    ) -> Result<(), StorageError> {
        let user = user.to_string();
        let codes: Vec<[u8; 32]> = codes.iter().map(|code| *code.as_bytes()).collect();
        self.write(move |connection| {
            let transaction = connection
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(storage)?;
            execute(
                &transaction,
                "DELETE FROM recovery_codes WHERE user_id = ?",
                [&user],
            )?;
            if account_exists(&transaction, &user)? {
                for code in &codes {
                    execute(
                        &transaction,
                        "INSERT OR IGNORE INTO recovery_codes (user_id, digest) VALUES (?, ?)",
                        params![user, code.as_slice()],
                    )?;
                }
            }
            transaction.commit().map_err(storage)
        })
        .await
    }

    async fn use_recovery_code(
        &self,
        user: UserId,
        code: &RecoveryCodeDigest,
    ) -> Result<bool, StorageError> {
        let (user, code) = (user.to_string(), *code.as_bytes());
        self.write(move |connection| {
            execute(
                connection,
                "DELETE FROM recovery_codes WHERE user_id = ? AND digest = ?",
                params![user, code.as_slice()],
            )
            .map(|changed| changed > 0)
        })
        .await
    }

    async fn recovery_codes_left(&self, user: UserId) -> Result<u32, StorageError> {
        self.read(|connection| {
            first_row(
                connection,
                "SELECT count(*) FROM recovery_codes WHERE user_id = ?",
                [user.to_string()],
                |row| Cells::new(row).count("left"),
            )
            .map(Option::unwrap_or_default)
        })
    }
}
