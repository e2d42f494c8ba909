//! The operator's group actions: names checked before the store is asked,
//! the store's answers passed on, and one CLI event for each change.

use mockall::predicate::eq;

use super::*;
use crate::{
    group::{GroupName, GroupNameError, GroupSummary},
    ports::{CreateGroupError, MembershipError},
};

fn group(name: &str) -> GroupName {
    GroupName::parse(name).unwrap()
}

/// The group events so far, as (name, group, username key).
fn group_events(service: &Service) -> Vec<(&'static str, Option<String>, Option<String>)> {
    service
        .events()
        .into_iter()
        .map(|event| {
            assert_eq!(event.channel, Channel::Cli);
            (
                event.kind.name(),
                event.group.map(|group| group.to_string()),
                event.username_key.map(|key| key.as_str().to_owned()),
            )
        })
        .collect()
}

#[tokio::test]
async fn creating_a_group_normalises_its_name_and_reports_it() {
    let mut fx = Fixture::new();
    fx.groups
        .expect_create_group()
        .with(eq(group("ops")))
        .times(1)
        .returning(|_| Ok(()));
    fx.groups
        .expect_create_group()
        .with(eq(group("devs")))
        .times(1)
        .returning(|_| Err(CreateGroupError::Exists));
    let auth = fx.build().await;
    let operators = auth.auth.operators();
    assert_eq!(
        operators.create_group("  OPS ").await.unwrap(),
        group("ops")
    );
    assert!(matches!(
        operators.create_group("devs").await,
        Err(NewGroupError::Exists)
    ));
    assert_eq!(
        group_events(&auth),
        [("group_created", Some("ops".to_owned()), None)]
    );
}

#[tokio::test]
async fn invalid_group_names_are_refused_before_the_store_is_asked() {
    // No expectations: any store call fails the test.
    let auth = Fixture::new().build().await;
    let operators = auth.auth.operators();
    assert!(matches!(
        operators.create_group("-ops").await,
        Err(NewGroupError::InvalidName(GroupNameError::BadStart))
    ));
    assert!(matches!(
        operators.delete_group("").await,
        Err(GroupError::InvalidName(GroupNameError::Empty))
    ));
    assert!(matches!(
        operators.group_members("a b").await,
        Err(GroupError::InvalidName(GroupNameError::InvalidCharacter))
    ));
    assert!(matches!(
        operators.add_to_group("a/b", "alice").await,
        Err(GroupMemberError::InvalidName(
            GroupNameError::InvalidCharacter
        ))
    ));
    assert!(matches!(
        operators.remove_from_group("a/b", "alice").await,
        Err(GroupMemberError::InvalidName(
            GroupNameError::InvalidCharacter
        ))
    ));
    assert!(auth.events().is_empty());
}

#[tokio::test]
async fn deleting_a_group_says_whether_there_was_one() {
    let mut fx = Fixture::new();
    fx.groups
        .expect_delete_group()
        .with(eq(group("ops")))
        .times(1)
        .returning(|_| Ok(true));
    fx.groups
        .expect_delete_group()
        .with(eq(group("gone")))
        .times(1)
        .returning(|_| Ok(false));
    let auth = fx.build().await;
    let operators = auth.auth.operators();
    assert_eq!(operators.delete_group("Ops").await.unwrap(), group("ops"));
    assert!(matches!(
        operators.delete_group("gone").await,
        Err(GroupError::NoSuchGroup)
    ));
    assert_eq!(
        group_events(&auth),
        [("group_deleted", Some("ops".to_owned()), None)]
    );
}

#[tokio::test]
async fn adding_and_removing_members_report_only_changes() {
    let mut fx = Fixture::new();
    fx.users
        .expect_user_by_key()
        .with(eq(UsernameKey::from_input("alice")))
        .returning(|_| Ok(Some(alice())));
    let mut added = [true, false].into_iter();
    fx.groups
        .expect_add_member()
        .with(eq(group("ops")), eq(alice().id))
        .times(2)
        .returning(move |_, _| Ok(added.next().unwrap()));
    let mut removed = [true, false].into_iter();
    fx.groups
        .expect_remove_member()
        .with(eq(group("ops")), eq(alice().id))
        .times(2)
        .returning(move |_, _| Ok(removed.next().unwrap()));
    let auth = fx.build().await;
    let operators = auth.auth.operators();
    assert!(operators.add_to_group("OPS", " Alice ").await.unwrap());
    assert!(!operators.add_to_group("ops", "alice").await.unwrap());
    assert!(operators.remove_from_group("ops", "ALICE").await.unwrap());
    assert!(!operators.remove_from_group("ops", "alice").await.unwrap());
    let alice_in_ops = (Some("ops".to_owned()), Some("alice".to_owned()));
    assert_eq!(
        group_events(&auth),
        [
            (
                "added_to_group",
                alice_in_ops.0.clone(),
                alice_in_ops.1.clone()
            ),
            ("removed_from_group", alice_in_ops.0, alice_in_ops.1),
        ]
    );
}

#[tokio::test]
async fn memberships_name_a_missing_group_or_account() {
    let mut fx = Fixture::new();
    fx.users
        .expect_user_by_key()
        .with(eq(UsernameKey::from_input("alice")))
        .returning(|_| Ok(Some(alice())));
    fx.users
        .expect_user_by_key()
        .with(eq(UsernameKey::from_input("nobody")))
        .returning(|_| Ok(None));
    fx.groups
        .expect_add_member()
        .with(eq(group("gone")), eq(alice().id))
        .returning(|_, _| Err(MembershipError::NoSuchGroup));
    // Deleted between the lookup and the change.
    fx.groups
        .expect_remove_member()
        .with(eq(group("ops")), eq(alice().id))
        .returning(|_, _| Err(MembershipError::NoSuchUser));
    fx.groups
        .expect_add_member()
        .with(eq(group("ops")), eq(alice().id))
        .returning(|_, _| Err(MembershipError::Storage(storage_down())));
    let auth = fx.build().await;
    let operators = auth.auth.operators();
    assert!(matches!(
        operators.add_to_group("gone", "alice").await,
        Err(GroupMemberError::NoSuchGroup)
    ));
    assert!(matches!(
        operators.add_to_group("ops", "nobody").await,
        Err(GroupMemberError::NoSuchAccount)
    ));
    assert!(matches!(
        operators.remove_from_group("ops", "alice").await,
        Err(GroupMemberError::NoSuchAccount)
    ));
    assert!(matches!(
        operators.add_to_group("ops", "alice").await,
        Err(GroupMemberError::Storage(_))
    ));
    assert!(auth.events().is_empty());
}

#[tokio::test]
async fn listing_groups_members_and_an_accounts_groups_passes_the_store_on() {
    let mut fx = Fixture::new();
    let summaries = vec![
        GroupSummary {
            name: group("devs"),
            members: 0,
        },
        GroupSummary {
            name: group("ops"),
            members: 1,
        },
    ];
    let listed = summaries.clone();
    fx.groups
        .expect_groups()
        .times(1)
        .returning(move || Ok(listed.clone()));
    fx.groups
        .expect_members()
        .with(eq(group("ops")))
        .returning(|_| Ok(Some(vec![alice().username])));
    fx.groups
        .expect_members()
        .with(eq(group("gone")))
        .returning(|_| Ok(None));
    fx.users.expect_user_by_key().returning(|_| {
        Ok(Some(User {
            groups: vec![group("devs"), group("ops")],
            ..alice()
        }))
    });
    let auth = fx.build().await;
    let operators = auth.auth.operators();
    assert_eq!(operators.list_groups().await.unwrap(), summaries);
    assert_eq!(
        operators.group_members("ops").await.unwrap(),
        [alice().username]
    );
    assert!(matches!(
        operators.group_members("gone").await,
        Err(GroupError::NoSuchGroup)
    ));
    assert_eq!(
        operators.groups_of("alice").await.unwrap(),
        [group("devs"), group("ops")]
    );
    assert!(auth.events().is_empty());
}
