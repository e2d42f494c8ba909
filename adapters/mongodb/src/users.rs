//! Accounts: the `users` collection.

use async_trait::async_trait;
use latch_domain::{
    InsertUserError, PasswordHash, StorageError, User, UserId, UserRepository, UsernameKey,
    UsernameSkeleton,
};
use mongodb::{
    bson::{Document, doc},
    options::{FindOptions, ReturnDocument},
};
use time::OffsetDateTime;

use crate::{
    documents::{self, date, field},
    error::{duplicate_key_message, storage},
    store::MongoStore,
};

#[async_trait]
impl UserRepository for MongoStore {
    /// One `insertOne`: the unique indexes on the username key and skeleton
    /// decide a race between two registrations, and their duplicate-key
    /// error (11000) is "username taken". A clash on `_id` is a storage
    /// error instead.
    async fn insert_user(&self, user: &User) -> Result<(), InsertUserError> {
        let document = documents::user_document(user)?;
        let Err(error) = self.users.insert_one(document).await else {
            return Ok(());
        };
        let Some(message) = duplicate_key_message(&error) else {
            return Err(storage(error).into());
        };
        // MongoDB names the index in the message; FerretDB does not, so
        // then the existing documents tell which key clashed.
        let id_clash = if message.contains("username_key") || message.contains("username_skeleton")
        {
            false
        } else if message.contains("_id_") {
            true
        } else {
            self.user_by_id(user.id).await?.is_some()
        };
        if id_clash {
            Err(StorageError::new(format!("an account with id {} already exists", user.id)).into())
        } else {
            Err(InsertUserError::UsernameTaken)
        }
    }

    async fn user_by_key(&self, key: &UsernameKey) -> Result<Option<User>, StorageError> {
        self.find_user(doc! { field::USERNAME_KEY: key.as_str() })
            .await
    }

    async fn skeleton_taken(&self, skeleton: &UsernameSkeleton) -> Result<bool, StorageError> {
        self.users
            .find_one(doc! { field::USERNAME_SKELETON: skeleton.as_str() })
            .projection(doc! { field::ID: 1 })
            .await
            .map(|found| found.is_some())
            .map_err(storage)
    }

    async fn user_by_id(&self, id: UserId) -> Result<Option<User>, StorageError> {
        self.find_user(doc! { field::ID: documents::user_id(id) })
            .await
    }

    /// One atomic `$set`, never a read followed by a write.
    async fn record_sign_in(&self, id: UserId, at: OffsetDateTime) -> Result<(), StorageError> {
        self.users
            .update_one(
                doc! { field::ID: documents::user_id(id) },
                doc! { "$set": { field::LAST_LOGIN_AT: date(at)? } },
            )
            .await
            .map(|_| ())
            .map_err(storage)
    }

    async fn set_password_hash(&self, id: UserId, hash: &PasswordHash) -> Result<(), StorageError> {
        self.users
            .update_one(
                doc! { field::ID: documents::user_id(id) },
                doc! { "$set": { field::PASSWORD_HASH: hash.as_str() } },
            )
            .await
            .map(|_| ())
            .map_err(storage)
    }

    /// One `findOneAndUpdate`: the new hash and `$inc` of the credential
    /// version together, returning the version after the update.
    async fn replace_password(
        &self,
        id: UserId,
        hash: &PasswordHash,
    ) -> Result<Option<u32>, StorageError> {
        let updated = self
            .users
            .find_one_and_update(
                doc! { field::ID: documents::user_id(id) },
                doc! {
                    "$set": { field::PASSWORD_HASH: hash.as_str() },
                    "$inc": { field::CREDENTIAL_VERSION: 1_i64 },
                },
            )
            .return_document(ReturnDocument::After)
            .await
            .map_err(storage)?;
        updated
            .as_ref()
            .map(|document| documents::user_from(document).map(|user| user.credential_version))
            .transpose()
    }

    /// A range query on the unique username-key index, sorted by it; MongoDB
    /// compares strings by their UTF-8 bytes when no collation is given.
    async fn users_page<'a>(
        &self,
        after: Option<&'a UsernameKey>,
        limit: u32,
    ) -> Result<Vec<User>, StorageError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let filter = match after {
            Some(key) => doc! { field::USERNAME_KEY: { "$gt": key.as_str() } },
            None => Document::new(),
        };
        let options = FindOptions::builder()
            .sort(doc! { field::USERNAME_KEY: 1 })
            .limit(i64::from(limit))
            .build();
        let mut cursor = self
            .users
            .find(filter)
            .with_options(options)
            .await
            .map_err(storage)?;
        let mut page = Vec::new();
        while cursor.advance().await.map_err(storage)? {
            let document: Document = cursor.deserialize_current().map_err(storage)?;
            page.push(documents::user_from(&document)?);
        }
        Ok(page)
    }

    /// One `$set` of the flag.
    async fn set_disabled(&self, id: UserId, disabled: bool) -> Result<bool, StorageError> {
        self.users
            .update_one(
                doc! { field::ID: documents::user_id(id) },
                doc! { "$set": { field::DISABLED: disabled } },
            )
            .await
            .map(|done| done.matched_count > 0)
            .map_err(storage)
    }

    /// The account first, then its sessions: a session left behind by a
    /// failure in between opens nothing, as it has no account.
    async fn delete_user(&self, id: UserId) -> Result<bool, StorageError> {
        let deleted = self
            .users
            .delete_one(doc! { field::ID: documents::user_id(id) })
            .await
            .map_err(storage)?
            .deleted_count
            > 0;
        self.sessions
            .delete_many(doc! { field::USER_ID: documents::user_id(id) })
            .await
            .map_err(storage)?;
        self.second_factors
            .delete_one(doc! { field::ID: documents::user_id(id) })
            .await
            .map_err(storage)?;
        self.pending_sign_ins
            .delete_many(doc! { field::USER_ID: documents::user_id(id) })
            .await
            .map_err(storage)?;
        Ok(deleted)
    }
}

impl MongoStore {
    async fn find_user(&self, filter: Document) -> Result<Option<User>, StorageError> {
        let found = self.users.find_one(filter).await.map_err(storage)?;
        found.as_ref().map(documents::user_from).transpose()
    }
}
