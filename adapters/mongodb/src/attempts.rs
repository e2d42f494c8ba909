//! Failed sign-ins: the `login_failures` collection, one document per
//! throttle key (its `_id`: a username key, or a trusted device's).

use async_trait::async_trait;
use latch_domain::{FailedAttempts, SignInAttemptRepository, StorageError, ThrottleKey};
use mongodb::bson::{Bson, doc};
use time::OffsetDateTime;

use crate::{
    documents::{self, date, field},
    error::{duplicate_key_message, storage},
    store::MongoStore,
};

/// How many stale keys one round of the purge looks at.
const PURGE_BATCH: i64 = 1000;

#[async_trait]
impl SignInAttemptRepository for MongoStore {
    async fn failed_attempts(
        &self,
        key: &ThrottleKey,
    ) -> Result<Option<FailedAttempts>, StorageError> {
        let found = self
            .login_failures
            .find_one(doc! { field::ID: key.as_str() })
            .await
            .map_err(storage)?;
        found.as_ref().map(documents::attempts_from).transpose()
    }

    /// With no count seen, an insert that the unique `_id` refuses if a
    /// document appeared meanwhile; else an update whose filter matches
    /// only the count and time that were seen. Either is one atomic
    /// operation on one document, on any number of instances.
    async fn record_failed_attempt_if(
        &self,
        key: &ThrottleKey,
        seen: Option<FailedAttempts>,
        at: OffsetDateTime,
    ) -> Result<bool, StorageError> {
        let Some(seen) = seen else {
            let inserted = self
                .login_failures
                .insert_one(doc! {
                    field::ID: key.as_str(),
                    field::COUNT: 1_i64,
                    field::LAST_FAILED_AT: date(at)?,
                })
                .await;
            return match inserted {
                Ok(_) => Ok(true),
                Err(error) if duplicate_key_message(&error).is_some() => Ok(false),
                Err(error) => Err(storage(error)),
            };
        };
        let updated = self
            .login_failures
            .update_one(
                doc! {
                    field::ID: key.as_str(),
                    field::COUNT: i64::from(seen.count),
                    field::LAST_FAILED_AT: date(seen.last_failed_at)?,
                },
                doc! {
                    "$set": {
                        field::COUNT: i64::from(seen.count) + 1,
                        field::LAST_FAILED_AT: date(at)?,
                    },
                },
            )
            .await
            .map_err(storage)?;
        Ok(updated.modified_count == 1)
    }

    async fn clear_failed_attempts(&self, key: &ThrottleKey) -> Result<(), StorageError> {
        self.login_failures
            .delete_one(doc! { field::ID: key.as_str() })
            .await
            .map(|_| ())
            .map_err(storage)
    }

    /// In rounds: the keys of a batch of stale counts, less those that name
    /// an account, are deleted (still only if stale, should one have failed
    /// again meanwhile).
    async fn delete_stale_attempts(&self, before: OffsetDateTime) -> Result<u64, StorageError> {
        let before = date(before)?;
        let mut deleted = 0;
        let mut after: Option<String> = None;
        loop {
            let mut filter = doc! { field::LAST_FAILED_AT: { "$lt": before } };
            if let Some(after) = &after {
                filter.insert(field::ID, doc! { "$gt": after });
            }
            let mut cursor = self
                .login_failures
                .find(filter)
                .projection(doc! { field::ID: 1 })
                .sort(doc! { field::ID: 1 })
                .limit(PURGE_BATCH)
                .await
                .map_err(storage)?;
            let mut keys = Vec::new();
            while cursor.advance().await.map_err(storage)? {
                let document = cursor.deserialize_current().map_err(storage)?;
                if let Some(Bson::String(key)) = document.get(field::ID) {
                    keys.push(key.clone());
                }
            }
            let Some(last) = keys.last().cloned() else {
                break;
            };
            let mut accounts = self
                .users
                .find(doc! { field::USERNAME_KEY: { "$in": &keys } })
                .projection(doc! { field::USERNAME_KEY: 1 })
                .await
                .map_err(storage)?;
            while accounts.advance().await.map_err(storage)? {
                let document = accounts.deserialize_current().map_err(storage)?;
                if let Some(Bson::String(taken)) = document.get(field::USERNAME_KEY) {
                    keys.retain(|key| key != taken);
                }
            }
            if !keys.is_empty() {
                let result = self
                    .login_failures
                    .delete_many(doc! {
                        field::ID: { "$in": keys },
                        field::LAST_FAILED_AT: { "$lt": before },
                    })
                    .await
                    .map_err(storage)?;
                deleted += result.deleted_count;
            }
            after = Some(last);
        }
        Ok(deleted)
    }
}
