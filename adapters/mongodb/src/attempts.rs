//! Failed sign-ins: the `login_failures` collection, one document per
//! username key (its `_id`).

use async_trait::async_trait;
use latch_domain::{FailedAttempts, SignInAttemptRepository, StorageError, UsernameKey};
use mongodb::{bson::doc, options::ReturnDocument};
use time::OffsetDateTime;

use crate::{
    documents::{self, date, field},
    error::{duplicate_key_message, storage},
    store::MongoStore,
};

/// How often a failure count's upsert is tried when it loses an insert race.
const UPSERT_TRIES: u32 = 3;

#[async_trait]
impl SignInAttemptRepository for MongoStore {
    async fn failed_attempts(
        &self,
        key: &UsernameKey,
    ) -> Result<Option<FailedAttempts>, StorageError> {
        let found = self
            .login_failures
            .find_one(doc! { field::ID: key.as_str() })
            .await
            .map_err(storage)?;
        found.as_ref().map(documents::attempts_from).transpose()
    }

    /// One upserting `findOneAndUpdate` with `$inc`: concurrent failures on
    /// any number of instances are all counted. Two upserts of a key that
    /// does not exist yet can both try to insert it; the loser gets a
    /// duplicate-key error, and its retry finds the document and increments
    /// it (MongoDB's documented remedy).
    async fn record_failed_attempt(
        &self,
        key: &UsernameKey,
        at: OffsetDateTime,
    ) -> Result<FailedAttempts, StorageError> {
        let update = doc! {
            "$inc": { field::COUNT: 1_i64 },
            "$set": { field::LAST_FAILED_AT: date(at)? },
        };
        let mut tries = 0;
        let updated = loop {
            tries += 1;
            let attempt = self
                .login_failures
                .find_one_and_update(doc! { field::ID: key.as_str() }, update.clone())
                .upsert(true)
                .return_document(ReturnDocument::After)
                .await;
            match attempt {
                Err(error) if tries < UPSERT_TRIES && duplicate_key_message(&error).is_some() => {}
                other => break other.map_err(storage)?,
            }
        };
        let document =
            updated.ok_or_else(|| StorageError::new("the failure count was not returned"))?;
        documents::attempts_from(&document)
    }

    async fn clear_failed_attempts(&self, key: &UsernameKey) -> Result<(), StorageError> {
        self.login_failures
            .delete_one(doc! { field::ID: key.as_str() })
            .await
            .map(|_| ())
            .map_err(storage)
    }
}
