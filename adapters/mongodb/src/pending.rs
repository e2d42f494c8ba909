//! Sign-ins halfway: the `pending_sign_ins` collection, the digest of the
//! client's token the `_id`. They live five minutes, so the collection
//! stays small: expired ones are deleted by the purge, and by a read that
//! finds one ended (in the domain).

use async_trait::async_trait;
use latch_domain::{PendingId, PendingSignIn, PendingSignInRepository, StorageError};
use mongodb::bson::doc;
use time::OffsetDateTime;

use crate::{
    documents::{self, field},
    error::storage,
    store::MongoStore,
};

#[async_trait]
impl PendingSignInRepository for MongoStore {
    async fn insert_pending(&self, pending: &PendingSignIn) -> Result<(), StorageError> {
        self.pending_sign_ins
            .insert_one(documents::pending_document(pending)?)
            .await
            .map(|_| ())
            .map_err(storage)
    }

    async fn pending(&self, id: &PendingId) -> Result<Option<PendingSignIn>, StorageError> {
        let found = self
            .pending_sign_ins
            .find_one(doc! { field::ID: documents::binary(id.as_bytes()) })
            .await
            .map_err(storage)?;
        found.as_ref().map(documents::pending_from).transpose()
    }

    async fn take_pending(&self, id: &PendingId) -> Result<bool, StorageError> {
        let done = self
            .pending_sign_ins
            .delete_one(doc! { field::ID: documents::binary(id.as_bytes()) })
            .await
            .map_err(storage)?;
        Ok(done.deleted_count > 0)
    }

    async fn delete_expired_pending(&self, now: OffsetDateTime) -> Result<u64, StorageError> {
        let done = self
            .pending_sign_ins
            .delete_many(doc! { field::EXPIRES_AT: { "$lte": documents::date(now)? } })
            .await
            .map_err(storage)?;
        Ok(done.deleted_count)
    }
}
