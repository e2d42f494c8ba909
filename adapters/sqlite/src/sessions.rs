//! Sessions: the `sessions` table, read together with `users`.

use async_trait::async_trait;
use latch_domain::{Session, SessionId, SessionRepository, StorageError, User, UserId};
use time::OffsetDateTime;

use crate::{
    columns::{self, millis},
    error::storage,
    store::SqliteStore,
};

#[async_trait]
impl SessionRepository for SqliteStore {
    async fn insert_session(&self, session: &Session) -> Result<(), StorageError> {
        sqlx::query(
            "INSERT INTO sessions (id, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
        )
        .bind(session.id.as_bytes().as_slice())
        .bind(session.user_id.to_string())
        .bind(millis(session.created_at)?)
        .bind(millis(session.expires_at)?)
        .execute(&self.pool)
        .await
        .map(|_| ())
        .map_err(storage)
    }

    async fn session_with_user(
        &self,
        id: &SessionId,
    ) -> Result<Option<(Session, User)>, StorageError> {
        let row = sqlx::query(
            "SELECT s.user_id, s.created_at AS session_created_at, s.expires_at, \
             u.username, u.password_hash, u.created_at AS user_created_at, u.last_login_at \
             FROM sessions AS s JOIN users AS u ON u.id = s.user_id \
             WHERE s.id = ?",
        )
        .bind(id.as_bytes().as_slice())
        .fetch_optional(&self.pool)
        .await
        .map_err(storage)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let user = columns::user(&row)?;
        let session = Session {
            id: *id,
            user_id: user.id,
            created_at: columns::time(&row, "session_created_at")?,
            expires_at: columns::time(&row, "expires_at")?,
        };
        Ok(Some((session, user)))
    }

    async fn delete_session(&self, id: &SessionId) -> Result<bool, StorageError> {
        sqlx::query("DELETE FROM sessions WHERE id = ?")
            .bind(id.as_bytes().as_slice())
            .execute(&self.pool)
            .await
            .map(|done| done.rows_affected() > 0)
            .map_err(storage)
    }

    async fn delete_user_sessions(&self, user_id: UserId) -> Result<u64, StorageError> {
        sqlx::query("DELETE FROM sessions WHERE user_id = ?")
            .bind(user_id.to_string())
            .execute(&self.pool)
            .await
            .map(|done| done.rows_affected())
            .map_err(storage)
    }

    /// Deletes the sessions that are no longer live at `now`: those whose
    /// `expires_at` is at or before it.
    async fn delete_expired_sessions(&self, now: OffsetDateTime) -> Result<u64, StorageError> {
        sqlx::query("DELETE FROM sessions WHERE expires_at <= ?")
            .bind(millis(now)?)
            .execute(&self.pool)
            .await
            .map(|done| done.rows_affected())
            .map_err(storage)
    }
}
