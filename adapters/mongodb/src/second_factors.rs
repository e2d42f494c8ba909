//! Second factors: the `second_factors` collection, one document per
//! account that has any (its id the `_id`), holding its authenticator app
//! (`totp`) and its unspent recovery codes (`recovery_codes`).
//!
//! Every change is one single-document update, which MongoDB applies
//! atomically: the filter says what must still hold (an app not yet
//! confirmed, a step later than the last, a code still unspent), so of two
//! racing requests exactly one matches. Deleting an account deletes its
//! document.

use async_trait::async_trait;
use latch_domain::{
    RecoveryCodeDigest, SealedSecret, SecondFactorRepository, StorageError, StoredTotp, TimeStep,
    UserId,
};
use mongodb::bson::{Bson, doc};
use time::OffsetDateTime;

use crate::{
    documents::{self, field, totp_path},
    error::{duplicate_key_message, storage},
    store::MongoStore,
};

impl MongoStore {
    async fn account_exists(&self, user: UserId) -> Result<bool, StorageError> {
        self.users
            .find_one(doc! { field::ID: documents::user_id(user) })
            .projection(doc! { field::ID: 1 })
            .await
            .map(|found| found.is_some())
            .map_err(storage)
    }
}

#[async_trait]
impl SecondFactorRepository for MongoStore {
    async fn totp(&self, user: UserId) -> Result<Option<StoredTotp>, StorageError> {
        let found = self
            .second_factors
            .find_one(doc! { field::ID: documents::user_id(user) })
            .projection(doc! { field::TOTP: 1 })
            .await
            .map_err(storage)?;
        Ok(found
            .as_ref()
            .map(documents::totp_from)
            .transpose()?
            .flatten())
    }

    /// An update whose filter matches only a document without a confirmed
    /// app; when no document matched, an insert, whose clash on `_id`
    /// means one appeared meanwhile: then the update is tried once more.
    /// (Not one upsert: FerretDB answers an upsert that clashes on `_id`
    /// with a reply the driver cannot read.)
    async fn begin_totp(
        &self,
        user: UserId,
        secret: &SealedSecret,
        at: OffsetDateTime,
    ) -> Result<bool, StorageError> {
        if !self.account_exists(user).await? {
            return Ok(false);
        }
        let app = doc! {
            field::SECRET: documents::binary(secret.as_bytes()),
            field::ADDED_AT: documents::date(at)?,
        };
        let replace_pending = || async {
            self.second_factors
                .update_one(
                    doc! {
                        field::ID: documents::user_id(user),
                        totp_path::CONFIRMED_AT: { "$exists": false },
                    },
                    doc! { "$set": { field::TOTP: app.clone() } },
                )
                .await
                .map(|done| done.matched_count > 0)
                .map_err(storage)
        };
        if replace_pending().await? {
            return Ok(true);
        }
        match self
            .second_factors
            .insert_one(doc! { field::ID: documents::user_id(user), field::TOTP: app.clone() })
            .await
        {
            Ok(_) => Ok(true),
            Err(error) if duplicate_key_message(&error).is_some() => replace_pending().await,
            Err(error) => Err(storage(error)),
        }
    }

    async fn confirm_totp(
        &self,
        user: UserId,
        secret: &SealedSecret,
        step: TimeStep,
        at: OffsetDateTime,
    ) -> Result<bool, StorageError> {
        let done = self
            .second_factors
            .update_one(
                doc! {
                    field::ID: documents::user_id(user),
                    totp_path::SECRET: documents::binary(secret.as_bytes()),
                    totp_path::CONFIRMED_AT: { "$exists": false },
                },
                doc! { "$set": {
                    totp_path::CONFIRMED_AT: documents::date(at)?,
                    totp_path::LAST_ACCEPTED: documents::step(step)?,
                } },
            )
            .await
            .map_err(storage)?;
        Ok(done.modified_count > 0)
    }

    /// Confirmation records a first step, so a confirmed app always has
    /// one to compare with.
    async fn accept_totp_step(&self, user: UserId, step: TimeStep) -> Result<bool, StorageError> {
        let step = documents::step(step)?;
        let done = self
            .second_factors
            .update_one(
                doc! {
                    field::ID: documents::user_id(user),
                    totp_path::CONFIRMED_AT: { "$exists": true },
                    totp_path::LAST_ACCEPTED: { "$lt": step },
                },
                doc! { "$set": { totp_path::LAST_ACCEPTED: step } },
            )
            .await
            .map_err(storage)?;
        Ok(done.modified_count > 0)
    }

    async fn remove_totp(&self, user: UserId) -> Result<bool, StorageError> {
        let done = self
            .second_factors
            .update_one(
                doc! {
                    field::ID: documents::user_id(user),
                    field::TOTP: { "$exists": true },
                },
                doc! { "$unset": { field::TOTP: "" } },
            )
            .await
            .map_err(storage)?;
        Ok(done.modified_count > 0)
    }

    async fn replace_recovery_codes(
        &self,
        user: UserId,
        codes: &[RecoveryCodeDigest],
    ) -> Result<(), StorageError> {
        let filter = doc! { field::ID: documents::user_id(user) };
        if codes.is_empty() || !self.account_exists(user).await? {
            return self
                .second_factors
                .update_one(filter, doc! { "$unset": { field::RECOVERY_CODES: "" } })
                .await
                .map(|_| ())
                .map_err(storage);
        }
        let mut digests: Vec<Bson> = Vec::with_capacity(codes.len());
        for code in codes {
            let digest = documents::binary(code.as_bytes());
            if !digests.contains(&digest) {
                digests.push(digest);
            }
        }
        self.second_factors
            .update_one(filter, doc! { "$set": { field::RECOVERY_CODES: digests } })
            .upsert(true)
            .await
            .map(|_| ())
            .map_err(storage)
    }

    async fn use_recovery_code(
        &self,
        user: UserId,
        code: &RecoveryCodeDigest,
    ) -> Result<bool, StorageError> {
        let digest = documents::binary(code.as_bytes());
        let done = self
            .second_factors
            .update_one(
                doc! {
                    field::ID: documents::user_id(user),
                    field::RECOVERY_CODES: digest.clone(),
                },
                doc! { "$pull": { field::RECOVERY_CODES: digest } },
            )
            .await
            .map_err(storage)?;
        Ok(done.modified_count > 0)
    }

    async fn recovery_codes_left(&self, user: UserId) -> Result<u32, StorageError> {
        let found = self
            .second_factors
            .find_one(doc! { field::ID: documents::user_id(user) })
            .projection(doc! { field::RECOVERY_CODES: 1 })
            .await
            .map_err(storage)?;
        found
            .as_ref()
            .map_or(Ok(0), documents::recovery_codes_left_in)
    }
}
