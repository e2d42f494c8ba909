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
            "INSERT INTO sessions (id, user_id, created_at, authenticated_at, last_seen_at, \
             expires_at, remember, credential_version, user_agent, client_ip) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(session.id.as_bytes().as_slice())
        .bind(session.user_id.to_string())
        .bind(millis(session.created_at)?)
        .bind(millis(session.authenticated_at)?)
        .bind(millis(session.last_seen_at)?)
        .bind(millis(session.expires_at)?)
        .bind(session.remember)
        .bind(i64::from(session.credential_version))
        .bind(session.user_agent.as_deref())
        .bind(session.client_ip.as_deref())
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
            "SELECT s.user_id, s.created_at AS session_created_at, s.authenticated_at, \
             s.last_seen_at, s.expires_at, s.remember, \
             s.credential_version AS session_credential_version, s.user_agent, s.client_ip, \
             u.username, u.password_hash, u.created_at AS user_created_at, u.last_login_at, \
             u.credential_version, u.disabled \
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
        Ok(Some((columns::session(&row, *id)?, columns::user(&row)?)))
    }

    async fn touch_session(&self, id: &SessionId, at: OffsetDateTime) -> Result<(), StorageError> {
        sqlx::query("UPDATE sessions SET last_seen_at = ? WHERE id = ?")
            .bind(millis(at)?)
            .bind(id.as_bytes().as_slice())
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(storage)
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

    async fn user_sessions(&self, user_id: UserId) -> Result<Vec<Session>, StorageError> {
        let rows = sqlx::query(
            "SELECT id, user_id, created_at AS session_created_at, authenticated_at, \
             last_seen_at, expires_at, remember, credential_version AS session_credential_version, \
             user_agent, client_ip FROM sessions WHERE user_id = ? ORDER BY created_at",
        )
        .bind(user_id.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(storage)?;
        rows.iter()
            .map(|row| columns::session(row, columns::session_id(row, "id")?))
            .collect()
    }

    async fn delete_other_sessions(
        &self,
        user_id: UserId,
        keep: &SessionId,
    ) -> Result<u64, StorageError> {
        sqlx::query("DELETE FROM sessions WHERE user_id = ? AND id <> ?")
            .bind(user_id.to_string())
            .bind(keep.as_bytes().as_slice())
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
