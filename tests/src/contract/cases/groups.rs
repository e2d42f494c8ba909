//! The contract's cases for groups: names unique, memberships of existing
//! groups and accounts only, and every read of an account carrying its
//! groups, sorted.

use std::sync::Arc;

use latch_domain::{
    CreateGroupError, GroupName, GroupSummary, MembershipError, User, Username, UsernameKey,
};
use tokio::sync::Barrier;

use crate::contract::{
    StoreUnderTest,
    fixtures::{fresh_user_id, session, user},
};

fn group(name: &str) -> GroupName {
    GroupName::parse(name).expect("a valid fixture group name")
}

fn summary(name: &str, members: u64) -> GroupSummary {
    GroupSummary {
        name: group(name),
        members,
    }
}

/// Stores `names` as new accounts and returns them.
async fn accounts(store: &StoreUnderTest, names: &[&str]) -> Vec<User> {
    let mut stored = Vec::new();
    for name in names {
        let account = user(name);
        store.users.insert_user(&account).await.unwrap();
        stored.push(account);
    }
    stored
}

/// Creates groups named `names`.
async fn groups(store: &StoreUnderTest, names: &[&str]) {
    for name in names {
        store.groups.create_group(&group(name)).await.unwrap();
    }
}

/// The groups of `account` as each of the store's reads of it gives them.
async fn groups_as_read(store: &StoreUnderTest, account: &User) -> Vec<Vec<GroupName>> {
    let by_id = store.users.user_by_id(account.id).await.unwrap().unwrap();
    let by_key = store
        .users
        .user_by_key(account.username.key())
        .await
        .unwrap()
        .unwrap();
    let page = store.users.users_page(None, 100).await.unwrap();
    let in_page = page
        .into_iter()
        .find(|listed| listed.id == account.id)
        .unwrap();
    let new_session = session(account);
    store.sessions.insert_session(&new_session).await.unwrap();
    let (_, of_session) = store
        .sessions
        .session_with_user(&new_session.id)
        .await
        .unwrap()
        .unwrap();
    vec![
        by_id.groups,
        by_key.groups,
        in_page.groups,
        of_session.groups,
    ]
}

/// A second group of the same name is refused, and the first is kept
/// (empty); `groups()` lists each once, by name.
pub async fn a_group_name_is_created_once(store: StoreUnderTest) {
    assert_eq!(store.groups.groups().await.unwrap(), []);
    groups(&store, &["ops", "devs"]).await;
    let again = store.groups.create_group(&group("ops")).await;
    assert!(matches!(again, Err(CreateGroupError::Exists)), "{again:?}");
    assert_eq!(
        store.groups.groups().await.unwrap(),
        [summary("devs", 0), summary("ops", 0)]
    );
    assert_eq!(
        store.groups.members(&group("ops")).await.unwrap(),
        Some(Vec::new())
    );
    assert_eq!(store.groups.members(&group("nope")).await.unwrap(), None);
}

/// Adding to or removing from a missing group says so, as does naming a
/// missing account; nothing is stored either way.
pub async fn memberships_need_a_group_and_an_account(store: StoreUnderTest) {
    let [alice] = <[User; 1]>::try_from(accounts(&store, &["alice"]).await).unwrap();
    groups(&store, &["ops"]).await;
    for result in [
        store.groups.add_member(&group("nope"), alice.id).await,
        store.groups.remove_member(&group("nope"), alice.id).await,
    ] {
        assert!(
            matches!(result, Err(MembershipError::NoSuchGroup)),
            "{result:?}"
        );
    }
    for result in [
        store
            .groups
            .add_member(&group("ops"), fresh_user_id())
            .await,
        store
            .groups
            .remove_member(&group("ops"), fresh_user_id())
            .await,
    ] {
        assert!(
            matches!(result, Err(MembershipError::NoSuchUser)),
            "{result:?}"
        );
    }
    assert_eq!(store.groups.groups().await.unwrap(), [summary("ops", 0)]);
    assert_eq!(store.groups.groups().await.unwrap().len(), 1);
    assert!(
        groups_as_read(&store, &alice)
            .await
            .iter()
            .all(Vec::is_empty)
    );
}

/// The first add is news, the second is not, and the member counts once.
pub async fn adding_a_member_twice_adds_it_once(store: StoreUnderTest) {
    let [alice] = <[User; 1]>::try_from(accounts(&store, &["alice"]).await).unwrap();
    groups(&store, &["ops"]).await;
    assert!(
        store
            .groups
            .add_member(&group("ops"), alice.id)
            .await
            .unwrap()
    );
    assert!(
        !store
            .groups
            .add_member(&group("ops"), alice.id)
            .await
            .unwrap()
    );
    assert_eq!(store.groups.groups().await.unwrap(), [summary("ops", 1)]);
    for read in groups_as_read(&store, &alice).await {
        assert_eq!(read, [group("ops")]);
    }
}

/// Every read of an account (by id, by key, in a page, with a session)
/// gives its groups sorted by name, whatever order they were added in, and
/// only its own; `members` lists a group's usernames in key order.
pub async fn an_accounts_groups_come_with_every_read_sorted(store: StoreUnderTest) {
    let users = accounts(&store, &["Zed", "alice", "bob"]).await;
    let (zed, alice, bob) = (&users[0], &users[1], &users[2]);
    groups(&store, &["ops", "admins", "devs.eu", "empty"]).await;
    for name in ["ops", "admins", "devs.eu"] {
        store
            .groups
            .add_member(&group(name), alice.id)
            .await
            .unwrap();
    }
    for member in [zed, bob] {
        store
            .groups
            .add_member(&group("ops"), member.id)
            .await
            .unwrap();
    }
    for read in groups_as_read(&store, alice).await {
        assert_eq!(read, [group("admins"), group("devs.eu"), group("ops")]);
    }
    for read in groups_as_read(&store, bob).await {
        assert_eq!(read, [group("ops")]);
    }
    assert_eq!(
        store.groups.groups().await.unwrap(),
        [
            summary("admins", 1),
            summary("devs.eu", 1),
            summary("empty", 0),
            summary("ops", 3),
        ]
    );
    let members = store.groups.members(&group("ops")).await.unwrap().unwrap();
    let names: Vec<&str> = members.iter().map(Username::as_str).collect();
    assert_eq!(names, ["alice", "bob", "Zed"]);
}

/// Removing a member ends that membership only: the account's others and
/// the group's other members stay; a second removal is no news.
pub async fn removing_a_member_ends_that_membership_only(store: StoreUnderTest) {
    let users = accounts(&store, &["alice", "bob"]).await;
    let (alice, bob) = (&users[0], &users[1]);
    groups(&store, &["ops", "devs"]).await;
    for (name, member) in [("ops", alice), ("devs", alice), ("ops", bob)] {
        store
            .groups
            .add_member(&group(name), member.id)
            .await
            .unwrap();
    }
    assert!(
        store
            .groups
            .remove_member(&group("ops"), alice.id)
            .await
            .unwrap()
    );
    assert!(
        !store
            .groups
            .remove_member(&group("ops"), alice.id)
            .await
            .unwrap()
    );
    for read in groups_as_read(&store, alice).await {
        assert_eq!(read, [group("devs")]);
    }
    for read in groups_as_read(&store, bob).await {
        assert_eq!(read, [group("ops")]);
    }
    assert_eq!(
        store.groups.groups().await.unwrap(),
        [summary("devs", 1), summary("ops", 1)]
    );
}

/// Deleting a group removes every membership of it, and nothing else; a
/// group created again with that name starts empty.
pub async fn deleting_a_group_ends_its_memberships(store: StoreUnderTest) {
    let users = accounts(&store, &["alice", "bob"]).await;
    let (alice, bob) = (&users[0], &users[1]);
    groups(&store, &["ops", "devs"]).await;
    for (name, member) in [("ops", alice), ("devs", alice), ("ops", bob)] {
        store
            .groups
            .add_member(&group(name), member.id)
            .await
            .unwrap();
    }
    assert!(store.groups.delete_group(&group("ops")).await.unwrap());
    assert!(!store.groups.delete_group(&group("ops")).await.unwrap());
    for read in groups_as_read(&store, alice).await {
        assert_eq!(read, [group("devs")]);
    }
    assert!(groups_as_read(&store, bob).await.iter().all(Vec::is_empty));
    assert_eq!(store.groups.groups().await.unwrap(), [summary("devs", 1)]);
    let again = store.groups.add_member(&group("ops"), bob.id).await;
    assert!(
        matches!(again, Err(MembershipError::NoSuchGroup)),
        "{again:?}"
    );
    groups(&store, &["ops"]).await;
    assert_eq!(
        store.groups.members(&group("ops")).await.unwrap(),
        Some(Vec::new())
    );
}

/// Deleting an account removes it from its groups: their member counts
/// drop, and the groups stay.
pub async fn deleting_an_account_ends_its_memberships(store: StoreUnderTest) {
    let users = accounts(&store, &["alice", "bob"]).await;
    let (alice, bob) = (&users[0], &users[1]);
    groups(&store, &["ops", "devs"]).await;
    for (name, member) in [("ops", alice), ("devs", alice), ("ops", bob)] {
        store
            .groups
            .add_member(&group(name), member.id)
            .await
            .unwrap();
    }
    assert!(store.users.delete_user(alice.id).await.unwrap());
    assert_eq!(
        store.groups.groups().await.unwrap(),
        [summary("devs", 0), summary("ops", 1)]
    );
    let members = store.groups.members(&group("ops")).await.unwrap().unwrap();
    assert_eq!(members, std::slice::from_ref(&bob.username));
    assert_eq!(
        store
            .users
            .user_by_key(&UsernameKey::from_input("alice"))
            .await
            .unwrap(),
        None
    );
}

/// Ten creations of one group at once: exactly one succeeds, the others
/// are told it exists.
pub async fn concurrent_creations_of_one_group_let_exactly_one_through(store: StoreUnderTest) {
    const RACERS: usize = 10;
    let barrier = Arc::new(Barrier::new(RACERS));
    let mut racers = Vec::with_capacity(RACERS);
    for _ in 0..RACERS {
        let groups = store.groups.clone();
        let barrier = barrier.clone();
        racers.push(tokio::spawn(async move {
            barrier.wait().await;
            groups.create_group(&group("ops")).await
        }));
    }
    let mut created = 0;
    for racer in racers {
        match racer.await.unwrap() {
            Ok(()) => created += 1,
            Err(CreateGroupError::Exists) => {}
            Err(other) => panic!("{other:?}"),
        }
    }
    assert_eq!(created, 1);
    assert_eq!(store.groups.groups().await.unwrap(), [summary("ops", 0)]);
}
