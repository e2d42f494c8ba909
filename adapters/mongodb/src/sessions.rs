//! Sessions: the `sessions` collection, read together with `users`.

use async_trait::async_trait;
use latch_domain::{Session, SessionId, SessionRepository, StorageError, User, UserId};
use mongodb::{
    bson::{Document, doc},
    options::FindOptions,
};
use time::OffsetDateTime;

use crate::{
    documents::{self, date, field},
    error::storage,
    store::MongoStore,
};

#[async_trait]
impl SessionRepository for MongoStore {
    async fn insert_session(&self, session: &Session) -> Result<(), StorageError> {
        self.sessions
            .insert_one(documents::session_document(session)?)
            .await
            .map(|_| ())
            .map_err(storage)
    }

    /// Two reads by `_id`: the session, then its account as it is now.
    async fn session_with_user(
        &self,
        id: &SessionId,
    ) -> Result<Option<(Session, User)>, StorageError> {
        let found = self
            .sessions
            .find_one(doc! { field::ID: documents::session_id(id) })
            .await
            .map_err(storage)?;
        let Some(document) = found else {
            return Ok(None);
        };
        let session = documents::session_from(&document)?;
        let user = self
            .users
            .find_one(doc! { field::ID: documents::user_id(session.user_id) })
            .await
            .map_err(storage)?;
        let Some(user) = user else {
            return Ok(None);
        };
        Ok(Some((session, documents::user_from(&user)?)))
    }

    /// One `$set` of `last_seen_at`.
    async fn touch_session(&self, id: &SessionId, at: OffsetDateTime) -> Result<(), StorageError> {
        self.sessions
            .update_one(
                doc! { field::ID: documents::session_id(id) },
                doc! { "$set": { field::LAST_SEEN_AT: date(at)? } },
            )
            .await
            .map(|_| ())
            .map_err(storage)
    }

    async fn delete_session(&self, id: &SessionId) -> Result<bool, StorageError> {
        self.sessions
            .delete_one(doc! { field::ID: documents::session_id(id) })
            .await
            .map(|done| done.deleted_count > 0)
            .map_err(storage)
    }

    async fn delete_user_sessions(&self, user_id: UserId) -> Result<u64, StorageError> {
        self.sessions
            .delete_many(doc! { field::USER_ID: documents::user_id(user_id) })
            .await
            .map(|done| done.deleted_count)
            .map_err(storage)
    }

    async fn user_sessions(&self, user_id: UserId) -> Result<Vec<Session>, StorageError> {
        let options = FindOptions::builder()
            .sort(doc! { field::CREATED_AT: 1 })
            .build();
        let mut cursor = self
            .sessions
            .find(doc! { field::USER_ID: documents::user_id(user_id) })
            .with_options(options)
            .await
            .map_err(storage)?;
        let mut sessions = Vec::new();
        while cursor.advance().await.map_err(storage)? {
            let document: Document = cursor.deserialize_current().map_err(storage)?;
            sessions.push(documents::session_from(&document)?);
        }
        Ok(sessions)
    }

    async fn delete_other_sessions(
        &self,
        user_id: UserId,
        keep: &SessionId,
    ) -> Result<u64, StorageError> {
        self.sessions
            .delete_many(doc! {
                field::USER_ID: documents::user_id(user_id),
                field::ID: { "$ne": documents::session_id(keep) },
            })
            .await
            .map(|done| done.deleted_count)
            .map_err(storage)
    }

    /// Deletes the sessions no longer live at `now` (`expires_at <= now`),
    /// whether or not a TTL index would have removed them later.
    async fn delete_expired_sessions(&self, now: OffsetDateTime) -> Result<u64, StorageError> {
        self.sessions
            .delete_many(doc! { field::EXPIRES_AT: { "$lte": date(now)? } })
            .await
            .map(|done| done.deleted_count)
            .map_err(storage)
    }
}
