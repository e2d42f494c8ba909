//! Sign-ins halfway: the `pending_sign_ins` table.

use async_trait::async_trait;
use latch_domain::{PendingId, PendingSignIn, PendingSignInRepository, StorageError};
use rusqlite::params;
use time::OffsetDateTime;

use crate::{
    columns::{Cells, millis},
    statements::{execute, first_row},
    store::SqliteStore,
};

#[async_trait]
impl PendingSignInRepository for SqliteStore {
    async fn insert_pending(&self, pending: &PendingSignIn) -> Result<(), StorageError> {
        let id = *pending.id.as_bytes();
        let values = (
            pending.user_id.to_string(),
            pending.credential_version,
            pending.remember,
            pending.return_to.clone(),
            millis(pending.created_at)?,
            millis(pending.expires_at)?,
        );
        self.write(move |connection| {
            let (user, version, remember, return_to, created, expires) = values;
            execute(
                connection,
                "INSERT INTO pending_sign_ins \
                 (id, user_id, credential_version, remember, return_to, created_at, expires_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
                params![
                    id.as_slice(),
                    user,
                    version,
                    remember,
                    return_to,
                    created,
                    expires
                ],
            )
            .map(|_| ())
        })
        .await
    }

    async fn pending(&self, id: &PendingId) -> Result<Option<PendingSignIn>, StorageError> {
        let id = *id;
        self.read(|connection| {
            first_row(
                connection,
                "SELECT user_id, credential_version, remember, return_to, created_at, expires_at \
                 FROM pending_sign_ins WHERE id = ?",
                [id.as_bytes().as_slice()],
                |row| {
                    let mut cells = Cells::new(row);
                    Ok(PendingSignIn {
                        id,
                        user_id: cells.user_id("user_id")?,
                        credential_version: cells.count("credential_version")?,
                        remember: cells.flag("remember")?,
                        return_to: cells.optional_text("return_to")?,
                        created_at: cells.time("created_at")?,
                        expires_at: cells.time("expires_at")?,
                    })
                },
            )
        })
    }

    async fn take_pending(&self, id: &PendingId) -> Result<bool, StorageError> {
        let id = *id.as_bytes();
        self.write(move |connection| {
            execute(
                connection,
                "DELETE FROM pending_sign_ins WHERE id = ?",
                [id.as_slice()],
            )
            .map(|changed| changed > 0)
        })
        .await
    }

    async fn delete_expired_pending(&self, now: OffsetDateTime) -> Result<u64, StorageError> {
        let now = millis(now)?;
        self.write(move |connection| {
            execute(
                connection,
                "DELETE FROM pending_sign_ins WHERE expires_at <= ?",
                [now],
            )
            .map(|changed| changed as u64)
        })
        .await
    }
}
