//! What the operator may do to groups: create, delete and list them, and
//! add accounts to them or remove them. Each change is reported on the CLI
//! channel, naming the group (and the account, for a membership).

use super::Operators;
use crate::{
    auth::{GroupError, GroupMemberError, NewGroupError, OperatorError},
    events::{AuthEvent, EventKind, Origin},
    group::{GroupName, GroupSummary},
    ports::{CreateGroupError, MembershipError, StorageError},
    user::User,
    username::Username,
};

impl Operators {
    /// Reports an operator's action on a group, and on an account's
    /// membership of it when `user` is given.
    fn emit_group(&self, kind: EventKind, group: &GroupName, user: Option<&User>) {
        let mut event = AuthEvent::new(kind, &Origin::cli()).group(group);
        if let Some(user) = user {
            event = event.user(user.username.key());
        }
        self.core.emit(event);
    }

    /// Creates an empty group named `name` (as typed).
    pub async fn create_group(&self, name: &str) -> Result<GroupName, NewGroupError> {
        let name = GroupName::parse(name).map_err(NewGroupError::InvalidName)?;
        match self.core.ports.groups.create_group(&name).await {
            Ok(()) => {
                self.emit_group(EventKind::GroupCreated, &name, None);
                Ok(name)
            }
            Err(CreateGroupError::Exists) => Err(NewGroupError::Exists),
            Err(CreateGroupError::Storage(error)) => Err(error.into()),
        }
    }

    /// Deletes a group and every membership of it.
    pub async fn delete_group(&self, name: &str) -> Result<GroupName, GroupError> {
        let name = GroupName::parse(name).map_err(GroupError::InvalidName)?;
        if !self.core.ports.groups.delete_group(&name).await? {
            return Err(GroupError::NoSuchGroup);
        }
        self.emit_group(EventKind::GroupDeleted, &name, None);
        Ok(name)
    }

    /// Every group with its number of members, sorted by name.
    pub async fn list_groups(&self) -> Result<Vec<GroupSummary>, StorageError> {
        self.core.ports.groups.groups().await
    }

    /// The usernames of a group's members, in username-key order.
    pub async fn group_members(&self, name: &str) -> Result<Vec<Username>, GroupError> {
        let name = GroupName::parse(name).map_err(GroupError::InvalidName)?;
        self.core
            .ports
            .groups
            .members(&name)
            .await?
            .ok_or(GroupError::NoSuchGroup)
    }

    /// Makes the account `username` (as typed) a member of `group`; `false`
    /// when it already was one (and nothing is reported).
    pub async fn add_to_group(
        &self,
        group: &str,
        username: &str,
    ) -> Result<bool, GroupMemberError> {
        let (group, user) = self.group_and_user(group, username).await?;
        let added = self
            .core
            .ports
            .groups
            .add_member(&group, user.id)
            .await
            .map_err(membership_error)?;
        if added {
            self.emit_group(EventKind::AddedToGroup, &group, Some(&user));
        }
        Ok(added)
    }

    /// Ends the membership of the account `username` (as typed) of `group`;
    /// `false` when it was not a member (and nothing is reported).
    pub async fn remove_from_group(
        &self,
        group: &str,
        username: &str,
    ) -> Result<bool, GroupMemberError> {
        let (group, user) = self.group_and_user(group, username).await?;
        let removed = self
            .core
            .ports
            .groups
            .remove_member(&group, user.id)
            .await
            .map_err(membership_error)?;
        if removed {
            self.emit_group(EventKind::RemovedFromGroup, &group, Some(&user));
        }
        Ok(removed)
    }

    /// The groups the account `username` (as typed) belongs to, sorted.
    pub async fn groups_of(&self, username: &str) -> Result<Vec<GroupName>, OperatorError> {
        Ok(self.find_user(username).await?.groups)
    }

    async fn group_and_user(
        &self,
        group: &str,
        username: &str,
    ) -> Result<(GroupName, User), GroupMemberError> {
        let group = GroupName::parse(group).map_err(GroupMemberError::InvalidName)?;
        let user = self
            .find_user(username)
            .await
            .map_err(|error| match error {
                OperatorError::NoSuchAccount => GroupMemberError::NoSuchAccount,
                OperatorError::Storage(error) => GroupMemberError::Storage(error),
            })?;
        Ok((group, user))
    }
}

fn membership_error(error: MembershipError) -> GroupMemberError {
    match error {
        MembershipError::NoSuchGroup => GroupMemberError::NoSuchGroup,
        MembershipError::NoSuchUser => GroupMemberError::NoSuchAccount,
        MembershipError::Storage(error) => GroupMemberError::Storage(error),
    }
}
