//! Groups: the `groups` collection (one document per group, its name the
//! `_id`) and the `groups` array on each account's document, changed with
//! `$addToSet` and `$pull`.
//!
//! MongoDB has no foreign keys, so the order of writes keeps memberships
//! and groups together: a membership is added only after its group is
//! found, and undone if the group is gone once it is added; a group's
//! memberships are pulled before and after its document is deleted, so
//! that an addition racing the deletion is removed by one or the other.

use async_trait::async_trait;
use latch_domain::{
    CreateGroupError, GroupName, GroupRepository, GroupSummary, MembershipError, StorageError,
    UserId, Username,
};
use mongodb::{
    bson::{Document, doc},
    options::FindOptions,
};

use crate::{
    documents::{self, field},
    error::{duplicate_key_message, storage},
    store::MongoStore,
};

impl MongoStore {
    async fn group_exists(&self, name: &GroupName) -> Result<bool, StorageError> {
        self.groups
            .find_one(doc! { field::ID: name.as_str() })
            .await
            .map(|found| found.is_some())
            .map_err(storage)
    }

    /// Pulls `name` from every account's groups.
    async fn pull_group(&self, name: &GroupName) -> Result<(), StorageError> {
        self.users
            .update_many(
                doc! { field::GROUPS: name.as_str() },
                doc! { "$pull": { field::GROUPS: name.as_str() } },
            )
            .await
            .map(|_| ())
            .map_err(storage)
    }

    /// Applies `update` to the account `user`; whether it changed the
    /// document, or [`MembershipError::NoSuchUser`].
    async fn update_groups_of(
        &self,
        user: UserId,
        update: Document,
    ) -> Result<bool, MembershipError> {
        let done = self
            .users
            .update_one(doc! { field::ID: documents::user_id(user) }, update)
            .await
            .map_err(storage)?;
        if done.matched_count == 0 {
            return Err(MembershipError::NoSuchUser);
        }
        Ok(done.modified_count > 0)
    }
}

#[async_trait]
impl GroupRepository for MongoStore {
    /// One `insertOne`: the `_id` decides a race.
    async fn create_group(&self, name: &GroupName) -> Result<(), CreateGroupError> {
        match self
            .groups
            .insert_one(doc! { field::ID: name.as_str() })
            .await
        {
            Ok(_) => Ok(()),
            Err(error) if duplicate_key_message(&error).is_some() => Err(CreateGroupError::Exists),
            Err(error) => Err(storage(error).into()),
        }
    }

    async fn delete_group(&self, name: &GroupName) -> Result<bool, StorageError> {
        self.pull_group(name).await?;
        let deleted = self
            .groups
            .delete_one(doc! { field::ID: name.as_str() })
            .await
            .map_err(storage)?
            .deleted_count
            > 0;
        self.pull_group(name).await?;
        Ok(deleted)
    }

    /// The groups by `_id`, then one count per group on the index of the
    /// accounts' `groups`.
    async fn groups(&self) -> Result<Vec<GroupSummary>, StorageError> {
        let options = FindOptions::builder().sort(doc! { field::ID: 1 }).build();
        let mut cursor = self
            .groups
            .find(Document::new())
            .with_options(options)
            .await
            .map_err(storage)?;
        let mut names = Vec::new();
        while cursor.advance().await.map_err(storage)? {
            let document: Document = cursor.deserialize_current().map_err(storage)?;
            names.push(documents::group_name_from(&document)?);
        }
        let mut summaries = Vec::with_capacity(names.len());
        for name in names {
            let members = self
                .users
                .count_documents(doc! { field::GROUPS: name.as_str() })
                .await
                .map_err(storage)?;
            summaries.push(GroupSummary { name, members });
        }
        Ok(summaries)
    }

    async fn add_member(&self, name: &GroupName, user: UserId) -> Result<bool, MembershipError> {
        if !self.group_exists(name).await? {
            return Err(MembershipError::NoSuchGroup);
        }
        let added = self
            .update_groups_of(user, doc! { "$addToSet": { field::GROUPS: name.as_str() } })
            .await?;
        // Deleted meanwhile: its deletion may have pulled before we added.
        if !self.group_exists(name).await? {
            self.pull_group(name).await?;
            return Err(MembershipError::NoSuchGroup);
        }
        Ok(added)
    }

    async fn remove_member(&self, name: &GroupName, user: UserId) -> Result<bool, MembershipError> {
        if !self.group_exists(name).await? {
            return Err(MembershipError::NoSuchGroup);
        }
        self.update_groups_of(user, doc! { "$pull": { field::GROUPS: name.as_str() } })
            .await
    }

    async fn members(&self, name: &GroupName) -> Result<Option<Vec<Username>>, StorageError> {
        if !self.group_exists(name).await? {
            return Ok(None);
        }
        let options = FindOptions::builder()
            .sort(doc! { field::USERNAME_KEY: 1 })
            .projection(doc! { field::USERNAME: 1 })
            .build();
        let mut cursor = self
            .users
            .find(doc! { field::GROUPS: name.as_str() })
            .with_options(options)
            .await
            .map_err(storage)?;
        let mut members = Vec::new();
        while cursor.advance().await.map_err(storage)? {
            let document: Document = cursor.deserialize_current().map_err(storage)?;
            members.push(documents::username_from(&document)?);
        }
        Ok(Some(members))
    }
}
