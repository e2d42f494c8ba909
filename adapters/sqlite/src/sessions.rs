//! Sessions: the `sessions` table, read together with `users`.

use async_trait::async_trait;
use latch_domain::{Session, SessionId, SessionRepository, StorageError, User, UserId};
use rusqlite::params;
use time::OffsetDateTime;

use crate::{
    columns::{Cells, millis, proof_text, session_columns, user_columns},
    statements::{all_rows, execute, first_row},
    store::SqliteStore,
};

#[async_trait]
impl SessionRepository for SqliteStore {
    async fn insert_session(&self, session: &Session) -> Result<(), StorageError> {
        let values = (
            *session.id.as_bytes(),
            session.user_id.to_string(),
            millis(session.created_at)?,
            millis(session.authenticated_at)?,
            millis(session.last_seen_at)?,
            millis(session.expires_at)?,
            session.remember,
            i64::from(session.credential_version),
            session.user_agent.clone(),
            session.client_ip.clone(),
            proof_text(session.proof),
        );
        self.write(move |connection| {
            execute(
                connection,
                "INSERT INTO sessions (id, user_id, created_at, authenticated_at, last_seen_at, \
                 expires_at, remember, credential_version, user_agent, client_ip, proof) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                values,
            )
            .map(|_| ())
        })
        .await
    }

    /// The read behind every signed-in request: one indexed lookup, inline.
    async fn session_with_user(
        &self,
        id: &SessionId,
    ) -> Result<Option<(Session, User)>, StorageError> {
        self.read(|connection| {
            first_row(
                connection,
                concat!(
                    "SELECT ",
                    session_columns!("s."),
                    ", ",
                    user_columns!("u."),
                    " FROM sessions AS s JOIN users AS u ON u.id = s.user_id WHERE s.id = ?"
                ),
                [id.as_bytes().as_slice()],
                |row| {
                    let mut cells = Cells::new(row);
                    Ok((cells.session(*id)?, cells.user()?))
                },
            )
        })
    }

    async fn touch_session(&self, id: &SessionId, at: OffsetDateTime) -> Result<(), StorageError> {
        let id = *id.as_bytes();
        let at = millis(at)?;
        self.write(move |connection| {
            execute(
                connection,
                "UPDATE sessions SET last_seen_at = ? WHERE id = ?",
                params![at, id],
            )
            .map(|_| ())
        })
        .await
    }

    async fn delete_session(&self, id: &SessionId) -> Result<bool, StorageError> {
        let id = *id.as_bytes();
        self.write(move |connection| {
            execute(connection, "DELETE FROM sessions WHERE id = ?", [id])
                .map(|changed| changed > 0)
        })
        .await
    }

    async fn delete_user_sessions(&self, user_id: UserId) -> Result<u64, StorageError> {
        self.write(move |connection| {
            execute(
                connection,
                "DELETE FROM sessions WHERE user_id = ?",
                [user_id.to_string()],
            )
            .map(rows_to_u64)
        })
        .await
    }

    async fn user_sessions(&self, user_id: UserId) -> Result<Vec<Session>, StorageError> {
        self.read(|connection| {
            all_rows(
                connection,
                concat!(
                    "SELECT id, ",
                    session_columns!(""),
                    " FROM sessions WHERE user_id = ? ORDER BY created_at"
                ),
                [user_id.to_string()],
                |row| {
                    let mut cells = Cells::new(row);
                    let id = cells.session_id("id")?;
                    cells.session(id)
                },
            )
        })
    }

    async fn delete_other_sessions(
        &self,
        user_id: UserId,
        keep: &SessionId,
    ) -> Result<u64, StorageError> {
        let keep = *keep.as_bytes();
        self.write(move |connection| {
            execute(
                connection,
                "DELETE FROM sessions WHERE user_id = ? AND id <> ?",
                params![user_id.to_string(), keep],
            )
            .map(rows_to_u64)
        })
        .await
    }

    /// Deletes the sessions that are no longer live at `now`: those whose
    /// `expires_at` is at or before it.
    async fn delete_expired_sessions(&self, now: OffsetDateTime) -> Result<u64, StorageError> {
        let now = millis(now)?;
        self.write(move |connection| {
            execute(
                connection,
                "DELETE FROM sessions WHERE expires_at <= ?",
                [now],
            )
            .map(rows_to_u64)
        })
        .await
    }
}

/// A count of changed rows, as the port reports it.
fn rows_to_u64(rows: usize) -> u64 {
    u64::try_from(rows).unwrap_or(u64::MAX)
}
