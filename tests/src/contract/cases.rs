//! The contract's cases, one async function each. [`contract_suite!`]
//! (crate::contract_suite) turns each into a test; each takes a fresh, empty
//! store.
//!
//! Expiry: a session is expired at `now` when `expires_at <= now`, the exact
//! complement of [`Session::is_live_at`](latch_domain::Session::is_live_at).

mod groups;
mod second_factors;

use std::{io::Write, sync::Arc};

use latch_domain::{
    FailedAttempts, InsertUserError, ThrottleKey, User, UsernameKey, UsernameSkeleton,
};
use time::{Duration, macros::datetime};
use tokio::sync::Barrier;

pub use self::{groups::*, second_factors::*};
use crate::contract::{
    Gap, StoreUnderTest,
    fixtures::{
        LATER, fresh_session_id, fresh_user_id, hash, session, session_until, stored_user, user,
    },
};

/// Every field of an account comes back as stored, by key and by id.
pub async fn a_user_round_trips_by_key_and_by_id(store: StoreUnderTest) {
    let mut zoe = user("Zoë.Ørsted-01");
    zoe.last_login_at = Some(datetime!(2026-03-04 05:06:07.089 UTC));
    let bob = user("bob");
    store.users.insert_user(&zoe).await.unwrap();
    store.users.insert_user(&bob).await.unwrap();

    for stored in [&zoe, &bob] {
        let upper = stored.username.as_str().to_uppercase();
        let by_key = store
            .users
            .user_by_key(&UsernameKey::from_input(&upper))
            .await
            .unwrap();
        assert_eq!(by_key.as_ref(), Some(stored), "by key {upper:?}");
        let by_id = store.users.user_by_id(stored.id).await.unwrap();
        assert_eq!(by_id.as_ref(), Some(stored), "by id");
    }
    let found = store.users.user_by_id(zoe.id).await.unwrap().unwrap();
    assert_eq!(
        found.username.as_str(),
        "Zoë.Ørsted-01",
        "display form kept"
    );
}

/// Looking up an account that does not exist gives `None`, not another one.
pub async fn unknown_users_are_none(store: StoreUnderTest) {
    store.users.insert_user(&user("alice")).await.unwrap();
    let unknown = UsernameKey::from_input("bob");
    assert_eq!(store.users.user_by_key(&unknown).await.unwrap(), None);
    assert_eq!(store.users.user_by_id(fresh_user_id()).await.unwrap(), None);
}

/// A second account whose username differs only by case is refused, and the
/// first is kept.
pub async fn a_username_key_is_taken_whatever_its_case(store: StoreUnderTest) {
    let alice = user("Alice");
    let shouting = user("ALICE");
    store.users.insert_user(&alice).await.unwrap();
    let refused = store.users.insert_user(&shouting).await;
    assert!(
        matches!(refused, Err(InsertUserError::UsernameTaken)),
        "{refused:?}"
    );
    let kept = store.users.user_by_key(alice.username.key()).await.unwrap();
    assert_eq!(kept, Some(alice));
    assert_eq!(store.users.user_by_id(shouting.id).await.unwrap(), None);
}

/// Twenty registrations of one username key at once: exactly one succeeds,
/// the others are told the name is taken.
pub async fn concurrent_registrations_of_one_key_let_exactly_one_through(store: StoreUnderTest) {
    const RACERS: usize = 20;
    let barrier = Arc::new(Barrier::new(RACERS));
    let mut racers = Vec::with_capacity(RACERS);
    for index in 0..RACERS {
        // "carol", "Carol", "cArol"...: one key, many spellings.
        let name: String = "carol"
            .chars()
            .enumerate()
            .map(|(bit, c)| match index >> bit & 1 {
                1 => c.to_ascii_uppercase(),
                _ => c,
            })
            .collect();
        let candidate = user(&name);
        let (users, barrier) = (store.users.clone(), barrier.clone());
        racers.push(tokio::spawn(async move {
            barrier.wait().await;
            let outcome = users.insert_user(&candidate).await;
            (candidate, outcome)
        }));
    }

    let mut winners = Vec::new();
    let mut taken = 0;
    for racer in racers {
        match racer.await.unwrap() {
            (candidate, Ok(())) => winners.push(candidate),
            (_, Err(InsertUserError::UsernameTaken)) => taken += 1,
            (_, Err(error)) => panic!("a racer failed instead of being refused: {error}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one registration succeeds");
    assert_eq!(taken, RACERS - 1);
    let key = UsernameKey::from_input("CAROL");
    let stored = store.users.user_by_key(&key).await.unwrap();
    assert_eq!(stored, winners.pop());
}

/// An account whose id already exists is refused as a storage failure (its
/// username is free, so "taken" would be a lie) and the existing one is kept.
pub async fn an_existing_id_is_refused_and_kept(store: StoreUnderTest) {
    let alice = user("alice");
    store.users.insert_user(&alice).await.unwrap();
    let mut impostor = user("mallory");
    impostor.id = alice.id;
    let refused = store.users.insert_user(&impostor).await;
    assert!(
        matches!(refused, Err(InsertUserError::Storage(_))),
        "{refused:?}"
    );
    assert_eq!(store.users.user_by_id(alice.id).await.unwrap(), Some(alice));
    let by_key = store.users.user_by_key(impostor.username.key()).await;
    assert_eq!(by_key.unwrap(), None);
}

/// An account whose name only looks like a stored one's (the same
/// skeleton, another key) is refused as taken, whether its name is valid
/// today or an old one the rules now refuse; once the first account is
/// deleted, its skeleton is free again.
pub async fn a_look_alike_of_a_stored_name_is_taken(store: StoreUnderTest) {
    let admin = user("admin");
    store.users.insert_user(&admin).await.unwrap();
    let skeleton = admin.username.skeleton();
    assert!(store.users.skeleton_taken(&skeleton).await.unwrap());
    let free = UsernameSkeleton::from_input("alice");
    assert!(!store.users.skeleton_taken(&free).await.unwrap());

    // `rn` for `m`; a Cyrillic `а`; a zero-width space.
    let look_alikes = [
        user("adrnin"),
        stored_user("\u{0430}dmin"),
        stored_user("ad\u{200B}min"),
    ];
    for look_alike in &look_alikes {
        assert_ne!(look_alike.username.key(), admin.username.key());
        let refused = store.users.insert_user(look_alike).await;
        assert!(
            matches!(refused, Err(InsertUserError::UsernameTaken)),
            "{:?}: {refused:?}",
            look_alike.username.as_str()
        );
        let by_key = store.users.user_by_key(look_alike.username.key()).await;
        assert_eq!(by_key.unwrap(), None);
        assert_eq!(store.users.user_by_id(look_alike.id).await.unwrap(), None);
    }
    let kept = store.users.user_by_key(admin.username.key()).await.unwrap();
    assert_eq!(kept, Some(admin.clone()));

    assert!(store.users.delete_user(admin.id).await.unwrap());
    assert!(!store.users.skeleton_taken(&skeleton).await.unwrap());
    store.users.insert_user(&look_alikes[0]).await.unwrap();
    assert!(store.users.skeleton_taken(&skeleton).await.unwrap());
}

/// Twenty registrations at once of names that differ (twenty keys) but look
/// alike (one skeleton): exactly one succeeds, the others are told the name
/// is taken.
pub async fn concurrent_registrations_of_look_alikes_let_exactly_one_through(
    store: StoreUnderTest,
) {
    const RACERS: usize = 20;
    let barrier = Arc::new(Barrier::new(RACERS));
    let mut racers = Vec::with_capacity(RACERS);
    for index in 0..RACERS {
        // "momom", "rnomom", "m0mom", "rn0mom"...: `rn` looks like `m`, `0`
        // like `o`.
        let name: String = "momom"
            .chars()
            .enumerate()
            .map(|(bit, c)| match (index >> bit & 1, c) {
                (1, 'm') => "rn",
                (1, _) => "0",
                (_, 'm') => "m",
                _ => "o",
            })
            .collect();
        let candidate = user(&name);
        let (users, barrier) = (store.users.clone(), barrier.clone());
        racers.push(tokio::spawn(async move {
            barrier.wait().await;
            let outcome = users.insert_user(&candidate).await;
            (candidate, outcome)
        }));
    }

    let mut winners = Vec::new();
    let mut losers = Vec::new();
    for racer in racers {
        match racer.await.unwrap() {
            (candidate, Ok(())) => winners.push(candidate),
            (candidate, Err(InsertUserError::UsernameTaken)) => losers.push(candidate),
            (_, Err(error)) => panic!("a racer failed instead of being refused: {error}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one registration succeeds");
    assert_eq!(losers.len(), RACERS - 1);
    let winner = winners.pop().unwrap();
    let stored = store
        .users
        .user_by_key(winner.username.key())
        .await
        .unwrap();
    assert_eq!(stored, Some(winner));
    for loser in losers {
        let by_key = store.users.user_by_key(loser.username.key()).await;
        assert_eq!(by_key.unwrap(), None, "{}", loser.username);
    }
}

/// Accounts stored before skeletons were kept hold none: they still sign in,
/// change passwords, list, and keep their keys unique, even two that look
/// alike; they hold no skeleton until the store fills theirs in.
pub async fn accounts_stored_without_a_skeleton_still_sign_in(store: StoreUnderTest) {
    let forget = store
        .forget_skeleton
        .clone()
        .expect("every backend can make an account look stored before skeletons were kept");
    // Two names that look alike, both from before the rule: the look-alike
    // first, as an impostor could have done.
    let impostor = stored_user("\u{0430}lice");
    store.users.insert_user(&impostor).await.unwrap();
    forget(impostor.clone()).await;
    let alice = user("alice");
    store.users.insert_user(&alice).await.unwrap();
    forget(alice.clone()).await;
    let skeleton = alice.username.skeleton();
    assert!(!store.users.skeleton_taken(&skeleton).await.unwrap());

    for old in [&impostor, &alice] {
        let key = UsernameKey::from_input(&old.username.as_str().to_uppercase());
        let found = store.users.user_by_key(&key).await.unwrap();
        assert_eq!(found.as_ref(), Some(old), "{} by key", old.username);
        store.users.record_sign_in(old.id, LATER).await.unwrap();
        store
            .users
            .set_password_hash(old.id, &hash("rehashed"))
            .await
            .unwrap();
        let changed = hash("changed");
        let version = store.users.replace_password(old.id, &changed).await;
        assert_eq!(version.unwrap(), Some(1));
        let now = store.users.user_by_id(old.id).await.unwrap().unwrap();
        assert_eq!(now.last_login_at, Some(LATER));
        assert_eq!(now.password_hash, hash("changed"));
        assert_eq!(now.username, old.username, "the name as it was stored");
    }
    let listed = store.users.users_page(None, 10).await.unwrap();
    assert_eq!(listed.len(), 2);

    let shouting = user("ALICE");
    let refused = store.users.insert_user(&shouting).await;
    assert!(
        matches!(refused, Err(InsertUserError::UsernameTaken)),
        "the key is still taken: {refused:?}"
    );
    assert!(store.users.delete_user(impostor.id).await.unwrap());
    assert_eq!(
        store.users.user_by_id(alice.id).await.unwrap().unwrap().id,
        alice.id
    );
}

/// A sign-in sets (and a later one replaces) that account's last sign-in
/// time, and touches nothing else.
pub async fn record_sign_in_sets_last_login_of_that_user_only(store: StoreUnderTest) {
    let alice = user("alice");
    let bob = user("bob");
    store.users.insert_user(&alice).await.unwrap();
    store.users.insert_user(&bob).await.unwrap();

    for at in [LATER, LATER + Duration::milliseconds(1)] {
        store.users.record_sign_in(alice.id, at).await.unwrap();
        let signed_in = store.users.user_by_id(alice.id).await.unwrap();
        let expected = User {
            last_login_at: Some(at),
            ..alice.clone()
        };
        assert_eq!(signed_in, Some(expected));
    }
    assert_eq!(store.users.user_by_id(bob.id).await.unwrap(), Some(bob));
}

/// A new hash replaces that account's hash, and touches nothing else.
pub async fn set_password_hash_replaces_the_hash_of_that_user_only(store: StoreUnderTest) {
    let alice = user("alice");
    let bob = user("bob");
    store.users.insert_user(&alice).await.unwrap();
    store.users.insert_user(&bob).await.unwrap();

    let new_hash = hash("rehashed");
    store
        .users
        .set_password_hash(alice.id, &new_hash)
        .await
        .unwrap();
    let changed = store.users.user_by_key(alice.username.key()).await.unwrap();
    let expected = User {
        password_hash: new_hash,
        ..alice
    };
    assert_eq!(changed, Some(expected));
    assert_eq!(store.users.user_by_id(bob.id).await.unwrap(), Some(bob));
}

/// Updating an account that does not exist succeeds, creates nothing and
/// changes no other account.
pub async fn updating_an_unknown_user_changes_nothing(store: StoreUnderTest) {
    let alice = user("alice");
    store.users.insert_user(&alice).await.unwrap();
    let ghost = fresh_user_id();
    store.users.record_sign_in(ghost, LATER).await.unwrap();
    store
        .users
        .set_password_hash(ghost, &hash("ghost"))
        .await
        .unwrap();
    assert_eq!(store.users.user_by_id(ghost).await.unwrap(), None);
    assert_eq!(store.users.user_by_id(alice.id).await.unwrap(), Some(alice));
}

/// Walking the accounts page by page, each page starting after the last key
/// of the one before, visits every account once, in key order.
pub async fn pages_of_users_visit_every_account_once_in_key_order(store: StoreUnderTest) {
    assert_eq!(store.users.users_page(None, 10).await.unwrap(), vec![]);
    let mut stored = Vec::new();
    for name in ["mallory", "Bob", "alice", "Zoë", "carol", "ÅSA", "dave"] {
        let mut account = user(name);
        account.last_login_at = Some(LATER);
        store.users.insert_user(&account).await.unwrap();
        stored.push(account);
    }
    stored.sort_by(|a, b| a.username.key().as_str().cmp(b.username.key().as_str()));

    let mut walked = Vec::new();
    let mut after = None;
    loop {
        let page = store.users.users_page(after.as_ref(), 3).await.unwrap();
        assert!(page.len() <= 3, "a page holds at most `limit` accounts");
        let Some(last) = page.last() else { break };
        after = Some(last.username.key().clone());
        walked.extend(page);
    }
    assert_eq!(walked, stored, "every account, every field, in key order");

    let zero = store.users.users_page(None, 0).await.unwrap();
    assert_eq!(zero, vec![], "a limit of 0 gives nothing");
    let last = stored.last().unwrap().username.key();
    let past_the_end = store.users.users_page(Some(last), 10).await.unwrap();
    assert_eq!(past_the_end, vec![], "nothing after the last key");
    let after_bob = store.users.users_page(Some(stored[1].username.key()), 2);
    assert_eq!(after_bob.await.unwrap(), stored[2..4].to_vec());
}

/// Sessions inserted and sign-ins recorded at the same time, for one
/// account, all land: every session is there afterwards, the last sign-in is
/// one of those recorded, and deleting the account's sessions counts them all.
pub async fn concurrent_sessions_and_sign_ins_of_one_user_all_land(store: StoreUnderTest) {
    const RACERS: usize = 20;
    let alice = user("alice");
    store.users.insert_user(&alice).await.unwrap();
    let barrier = Arc::new(Barrier::new(RACERS));
    let mut racers = Vec::with_capacity(RACERS);
    for index in 0..RACERS {
        let started = session(&alice);
        let at = LATER + Duration::milliseconds(i64::try_from(index).unwrap());
        let (users, sessions, barrier) =
            (store.users.clone(), store.sessions.clone(), barrier.clone());
        racers.push(tokio::spawn(async move {
            barrier.wait().await;
            sessions.insert_session(&started).await.unwrap();
            users.record_sign_in(started.user_id, at).await.unwrap();
            (started, at)
        }));
    }
    let mut recorded = Vec::with_capacity(RACERS);
    for racer in racers {
        let (started, at) = racer.await.unwrap();
        let found = store.sessions.session_with_user(&started.id).await.unwrap();
        assert_eq!(found.map(|(session, _)| session), Some(started));
        recorded.push(at);
    }
    let now = store.users.user_by_id(alice.id).await.unwrap().unwrap();
    let last = now.last_login_at.expect("a sign-in was recorded");
    assert!(recorded.contains(&last), "{last} is one of those recorded");
    assert_eq!(
        now.password_hash, alice.password_hash,
        "nothing else changed"
    );
    let deleted = store.sessions.delete_user_sessions(alice.id).await;
    assert_eq!(deleted.unwrap(), u64::try_from(RACERS).unwrap());
}

/// A session comes back with its own account, every field as stored (how
/// it was proved too).
pub async fn a_session_round_trips_with_its_user(store: StoreUnderTest) {
    let mut alice = user("alice");
    alice.last_login_at = Some(LATER);
    alice.credential_version = 7;
    alice.disabled = true;
    let bob = user("bob");
    store.users.insert_user(&alice).await.unwrap();
    store.users.insert_user(&bob).await.unwrap();
    let mut alices = session(&alice);
    alices.authenticated_at = datetime!(2026-02-03 04:05:01.002 UTC);
    alices.last_seen_at = datetime!(2026-02-03 05:06:07.008 UTC);
    alices.expires_at = datetime!(2026-02-03 16:05:06.791 UTC);
    alices.remember = true;
    alices.user_agent = Some("Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0 — ü".to_owned());
    alices.client_ip = Some("2001:db8::7".to_owned());
    alices.proof = latch_domain::Proof::PASSWORD.with(latch_domain::ProofMethod::OneTimeCode);
    let bobs = session(&bob);
    store.sessions.insert_session(&alices).await.unwrap();
    store.sessions.insert_session(&bobs).await.unwrap();

    for (stored, owner) in [(alices, alice), (bobs, bob)] {
        let found = store.sessions.session_with_user(&stored.id).await.unwrap();
        assert_eq!(found, Some((stored, owner)));
    }
}

/// A session is read with its account as it is now, not as it was when the
/// session started.
pub async fn a_session_reads_its_user_as_it_is_now(store: StoreUnderTest) {
    let alice = user("alice");
    store.users.insert_user(&alice).await.unwrap();
    let started = session(&alice);
    store.sessions.insert_session(&started).await.unwrap();

    let new_hash = hash("changed");
    store.users.record_sign_in(alice.id, LATER).await.unwrap();
    store
        .users
        .set_password_hash(alice.id, &new_hash)
        .await
        .unwrap();
    let now = User {
        last_login_at: Some(LATER),
        password_hash: new_hash,
        ..alice
    };
    let found = store.sessions.session_with_user(&started.id).await.unwrap();
    assert_eq!(found, Some((started, now)));
}

/// Looking up a session that does not exist gives `None`, not another one.
pub async fn an_unknown_session_is_none(store: StoreUnderTest) {
    let alice = user("alice");
    store.users.insert_user(&alice).await.unwrap();
    store
        .sessions
        .insert_session(&session(&alice))
        .await
        .unwrap();
    let found = store.sessions.session_with_user(&fresh_session_id()).await;
    assert_eq!(found.unwrap(), None);
}

/// Deleting a session says whether it existed; it is gone afterwards, and
/// the account's other sessions are not.
pub async fn deleting_a_session_reports_whether_it_existed(store: StoreUnderTest) {
    let alice = user("alice");
    store.users.insert_user(&alice).await.unwrap();
    let doomed = session(&alice);
    let kept = session(&alice);
    store.sessions.insert_session(&doomed).await.unwrap();
    store.sessions.insert_session(&kept).await.unwrap();

    assert!(store.sessions.delete_session(&doomed.id).await.unwrap());
    assert!(!store.sessions.delete_session(&doomed.id).await.unwrap());
    let gone = store.sessions.session_with_user(&doomed.id).await.unwrap();
    assert_eq!(gone, None);
    let still = store.sessions.session_with_user(&kept.id).await.unwrap();
    assert_eq!(still, Some((kept, alice)));
}

/// Deleting an account's sessions deletes all of them and no one else's,
/// and says how many.
pub async fn deleting_a_users_sessions_spares_other_users(store: StoreUnderTest) {
    let alice = user("alice");
    let bob = user("bob");
    store.users.insert_user(&alice).await.unwrap();
    store.users.insert_user(&bob).await.unwrap();
    let alices = [session(&alice), session(&alice), session(&alice)];
    let bobs = [session(&bob), session(&bob)];
    for stored in alices.iter().chain(&bobs) {
        store.sessions.insert_session(stored).await.unwrap();
    }

    let deleted = store.sessions.delete_user_sessions(alice.id).await;
    assert_eq!(deleted.unwrap(), 3);
    for gone in &alices {
        assert_eq!(
            store.sessions.session_with_user(&gone.id).await.unwrap(),
            None
        );
    }
    for kept in bobs {
        let found = store.sessions.session_with_user(&kept.id).await.unwrap();
        assert_eq!(found, Some((kept, bob.clone())));
    }
    let again = store.sessions.delete_user_sessions(alice.id).await;
    assert_eq!(again.unwrap(), 0);
    let nobody = store.sessions.delete_user_sessions(fresh_user_id()).await;
    assert_eq!(nobody.unwrap(), 0);
}

/// Deleting expired sessions at `now` deletes those with `expires_at <= now`
/// (no longer live) and keeps the rest, and says how many.
pub async fn deleting_expired_sessions_spares_live_ones(store: StoreUnderTest) {
    let alice = user("alice");
    store.users.insert_user(&alice).await.unwrap();
    let now = LATER + Duration::hours(1);
    let millisecond = Duration::milliseconds(1);
    let expired = [
        session_until(&alice, now - Duration::minutes(5)),
        session_until(&alice, now - millisecond),
        session_until(&alice, now),
    ];
    let live = [
        session_until(&alice, now + millisecond),
        session_until(&alice, now + Duration::hours(11)),
    ];
    for stored in expired.iter().chain(&live) {
        store.sessions.insert_session(stored).await.unwrap();
    }

    let deleted = store.sessions.delete_expired_sessions(now).await;
    assert_eq!(deleted.unwrap(), 3);
    for gone in expired {
        assert!(!gone.is_live_at(now));
        let found = store.sessions.session_with_user(&gone.id).await.unwrap();
        assert_eq!(found, None, "expired at {}", gone.expires_at);
    }
    for kept in live {
        assert!(kept.is_live_at(now));
        let found = store.sessions.session_with_user(&kept.id).await.unwrap();
        assert_eq!(found, Some((kept, alice.clone())));
    }
    let again = store.sessions.delete_expired_sessions(now).await;
    assert_eq!(again.unwrap(), 0);
}

/// A store that is up answers its health check.
pub async fn ping_answers(store: StoreUnderTest) {
    store.health.ping().await.unwrap();
}

/// A session's `last_seen_at` moves on when touched; nothing else changes.
pub async fn touching_a_session_records_its_last_use_only(store: StoreUnderTest) {
    let alice = user("alice");
    store.users.insert_user(&alice).await.unwrap();
    let started = session(&alice);
    store.sessions.insert_session(&started).await.unwrap();
    let seen = datetime!(2026-02-03 07:08:09.010 UTC);
    store
        .sessions
        .touch_session(&started.id, seen)
        .await
        .unwrap();
    store
        .sessions
        .touch_session(&fresh_session_id(), seen)
        .await
        .unwrap();

    let (found, _) = store
        .sessions
        .session_with_user(&started.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        found,
        latch_domain::Session {
            last_seen_at: seen,
            ..started
        }
    );
}

/// A new password moves the credential version on by one each time,
/// atomically with the hash; an unknown account gives `None`.
pub async fn replacing_a_password_moves_the_credential_version_on(store: StoreUnderTest) {
    let alice = user("alice");
    let bob = user("bob");
    store.users.insert_user(&alice).await.unwrap();
    store.users.insert_user(&bob).await.unwrap();

    let first = store
        .users
        .replace_password(alice.id, &hash("second"))
        .await;
    assert_eq!(first.unwrap(), Some(1));
    let second = store.users.replace_password(alice.id, &hash("third")).await;
    assert_eq!(second.unwrap(), Some(2));
    let unknown = store
        .users
        .replace_password(fresh_user_id(), &hash("x"))
        .await;
    assert_eq!(unknown.unwrap(), None);

    let now = store.users.user_by_id(alice.id).await.unwrap().unwrap();
    assert_eq!(now.credential_version, 2);
    assert_eq!(now.password_hash, hash("third"));
    let untouched = store.users.user_by_id(bob.id).await.unwrap().unwrap();
    assert_eq!(untouched, bob);
}

/// A throttle key for a username as typed.
fn username_key(name: &str) -> ThrottleKey {
    ThrottleKey::username(&UsernameKey::from_input(name))
}

/// Of many attempts that saw the same count (none yet, then one), exactly
/// one is counted each time: reading and counting cannot be raced.
pub async fn of_concurrent_counts_of_one_seen_state_exactly_one_lands(store: StoreUnderTest) {
    const RACERS: usize = 20;
    let key = username_key("Nobody-Has-This");
    let earlier = LATER - Duration::SECOND;
    for seen in [
        None,
        Some(FailedAttempts {
            count: 1,
            last_failed_at: earlier,
        }),
    ] {
        let at = if seen.is_none() { earlier } else { LATER };
        let barrier = Arc::new(Barrier::new(RACERS));
        let racers: Vec<_> = (0..RACERS)
            .map(|_| {
                let attempts = Arc::clone(&store.attempts);
                let barrier = Arc::clone(&barrier);
                let key = key.clone();
                tokio::spawn(async move {
                    barrier.wait().await;
                    attempts
                        .record_failed_attempt_if(&key, seen, at)
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut landed = 0;
        for racer in racers {
            landed += usize::from(racer.await.unwrap());
        }
        match store.lacks(Gap::ConcurrentConditionalUpdates) {
            Some(reason) if seen.is_some() => {
                // Said, not hidden: the sequential compare-and-set is still
                // checked by `a_count_from_a_stale_reading_changes_nothing`.
                let _ = writeln!(
                    std::io::stderr(),
                    "NOTE: {reason}: {landed} of {RACERS} concurrent updates of one count landed, not asserted"
                );
                assert!(landed >= 1);
            }
            _ => assert_eq!(landed, 1, "seen {seen:?}"),
        }
    }
    let counted = store.attempts.failed_attempts(&key).await.unwrap().unwrap();
    assert_eq!(counted.last_failed_at, LATER);
    if store.lacks(Gap::ConcurrentConditionalUpdates).is_none() {
        assert_eq!(counted.count, 2);
    }
    let other = username_key("someone-else");
    assert_eq!(store.attempts.failed_attempts(&other).await.unwrap(), None);
}

/// A count made from a reading that is no longer true (another count
/// landed, or the count was cleared) is refused and changes nothing.
pub async fn a_count_from_a_stale_reading_changes_nothing(store: StoreUnderTest) {
    let key = username_key("alice");
    let attempts = &store.attempts;
    let first = LATER - Duration::SECOND;
    assert!(
        attempts
            .record_failed_attempt_if(&key, None, first)
            .await
            .unwrap()
    );
    assert!(
        !attempts
            .record_failed_attempt_if(&key, None, LATER)
            .await
            .unwrap(),
        "a count exists now"
    );
    let one = FailedAttempts {
        count: 1,
        last_failed_at: first,
    };
    assert_eq!(attempts.failed_attempts(&key).await.unwrap(), Some(one));
    let wrong_time = FailedAttempts {
        last_failed_at: LATER,
        ..one
    };
    assert!(
        !attempts
            .record_failed_attempt_if(&key, Some(wrong_time), LATER)
            .await
            .unwrap()
    );
    assert!(
        attempts
            .record_failed_attempt_if(&key, Some(one), LATER)
            .await
            .unwrap()
    );
    assert!(
        !attempts
            .record_failed_attempt_if(&key, Some(one), LATER)
            .await
            .unwrap(),
        "that reading is stale now"
    );
    assert_eq!(
        attempts.failed_attempts(&key).await.unwrap(),
        Some(FailedAttempts {
            count: 2,
            last_failed_at: LATER
        })
    );
    attempts.clear_failed_attempts(&key).await.unwrap();
    let two = FailedAttempts {
        count: 2,
        last_failed_at: LATER,
    };
    assert!(
        !attempts
            .record_failed_attempt_if(&key, Some(two), LATER)
            .await
            .unwrap()
    );
    assert_eq!(attempts.failed_attempts(&key).await.unwrap(), None);
}

/// Clearing forgets one key's failures and no other's; a later failure
/// starts again from one, at its own time. A device's count is its own.
pub async fn clearing_failed_sign_ins_starts_the_count_again(store: StoreUnderTest) {
    let alice = username_key("alice");
    let bob = username_key("bob");
    let device = ThrottleKey::device(&[7; 16]);
    let attempts = &store.attempts;
    let mut seen = None;
    for count in 1..=3 {
        assert!(
            attempts
                .record_failed_attempt_if(&alice, seen, LATER)
                .await
                .unwrap()
        );
        seen = Some(FailedAttempts {
            count,
            last_failed_at: LATER,
        });
    }
    assert!(
        attempts
            .record_failed_attempt_if(&bob, None, LATER)
            .await
            .unwrap()
    );
    assert!(
        attempts
            .record_failed_attempt_if(&device, None, LATER)
            .await
            .unwrap()
    );
    attempts.clear_failed_attempts(&alice).await.unwrap();

    assert_eq!(attempts.failed_attempts(&alice).await.unwrap(), None);
    let bobs = attempts.failed_attempts(&bob).await.unwrap().unwrap();
    assert_eq!(bobs.count, 1);
    assert_eq!(
        attempts
            .failed_attempts(&device)
            .await
            .unwrap()
            .unwrap()
            .count,
        1
    );
    let again = datetime!(2026-03-04 05:06:07.089 UTC);
    assert!(
        attempts
            .record_failed_attempt_if(&alice, None, again)
            .await
            .unwrap()
    );
    assert_eq!(
        attempts.failed_attempts(&alice).await.unwrap(),
        Some(FailedAttempts {
            count: 1,
            last_failed_at: again
        })
    );
}

/// The purge forgets counts whose latest failure is older than asked, of
/// usernames with no account and of devices, and keeps those of accounts
/// (their lockout must hold) and recent ones.
pub async fn stale_counts_are_purged_but_those_of_accounts(store: StoreUnderTest) {
    let alice = user("Alice");
    store.users.insert_user(&alice).await.unwrap();
    let attempts = &store.attempts;
    let old = LATER - Duration::days(2);
    let keys = [
        username_key("alice"),
        username_key("ghost"),
        ThrottleKey::device(&[1; 16]),
        username_key("recent-ghost"),
    ];
    for (key, at) in keys.iter().zip([old, old, old, LATER]) {
        assert!(
            attempts
                .record_failed_attempt_if(key, None, at)
                .await
                .unwrap()
        );
    }
    let purged = attempts
        .delete_stale_attempts(LATER - Duration::DAY)
        .await
        .unwrap();
    assert_eq!(purged, 2);
    let kept: Vec<bool> = futures_kept(attempts.as_ref(), &keys).await;
    assert_eq!(kept, [true, false, false, true]);
}

async fn futures_kept(
    attempts: &dyn latch_domain::SignInAttemptRepository,
    keys: &[ThrottleKey],
) -> Vec<bool> {
    let mut kept = Vec::new();
    for key in keys {
        kept.push(attempts.failed_attempts(key).await.unwrap().is_some());
    }
    kept
}

/// Disabling an account sets its flag (read back by key, by id and with its
/// sessions), enabling clears it, other accounts are untouched, and an
/// unknown account is reported.
pub async fn disabling_a_user_sets_its_flag_only(store: StoreUnderTest) {
    let alice = user("alice");
    let bob = user("bob");
    store.users.insert_user(&alice).await.unwrap();
    store.users.insert_user(&bob).await.unwrap();
    let alices = session(&alice);
    store.sessions.insert_session(&alices).await.unwrap();

    assert!(store.users.set_disabled(alice.id, true).await.unwrap());
    let found = store.users.user_by_key(alice.username.key()).await.unwrap();
    assert!(found.is_some_and(|user| user.disabled));
    let found = store.sessions.session_with_user(&alices.id).await.unwrap();
    assert!(
        found.is_some_and(|(_, user)| user.disabled),
        "read with the session"
    );
    assert_eq!(store.users.user_by_id(bob.id).await.unwrap(), Some(bob));

    assert!(store.users.set_disabled(alice.id, false).await.unwrap());
    assert_eq!(store.users.user_by_id(alice.id).await.unwrap(), Some(alice));
    assert!(
        !store
            .users
            .set_disabled(fresh_user_id(), true)
            .await
            .unwrap()
    );
}

/// Deleting an account deletes it and its sessions, and nothing of another
/// account; deleting it again reports that there was none.
pub async fn deleting_a_user_deletes_its_sessions_only(store: StoreUnderTest) {
    let alice = user("alice");
    let bob = user("bob");
    store.users.insert_user(&alice).await.unwrap();
    store.users.insert_user(&bob).await.unwrap();
    let alices = session(&alice);
    let bobs = session(&bob);
    store.sessions.insert_session(&alices).await.unwrap();
    store.sessions.insert_session(&bobs).await.unwrap();

    assert!(store.users.delete_user(alice.id).await.unwrap());
    assert_eq!(store.users.user_by_id(alice.id).await.unwrap(), None);
    assert_eq!(
        store.users.user_by_key(alice.username.key()).await.unwrap(),
        None
    );
    assert_eq!(
        store.sessions.session_with_user(&alices.id).await.unwrap(),
        None
    );
    assert!(
        store
            .sessions
            .user_sessions(alice.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.sessions.session_with_user(&bobs.id).await.unwrap(),
        Some((bobs, bob))
    );
    assert!(!store.users.delete_user(alice.id).await.unwrap());
    store
        .users
        .insert_user(&user("alice"))
        .await
        .expect("the name is free again");
}

/// An account's sessions are listed oldest first, every field as stored,
/// expired ones included, and never another account's.
pub async fn a_users_sessions_are_listed_oldest_first_and_only_theirs(store: StoreUnderTest) {
    let alice = user("alice");
    let bob = user("bob");
    store.users.insert_user(&alice).await.unwrap();
    store.users.insert_user(&bob).await.unwrap();
    let mut newest = session(&alice);
    newest.created_at = LATER + Duration::hours(2);
    newest.user_agent = Some("curl/8.0".to_owned());
    newest.client_ip = Some("192.0.2.1".to_owned());
    let mut oldest = session_until(&alice, LATER);
    oldest.created_at = LATER - Duration::hours(2);
    let middle = session(&alice);
    for session in [&newest, &oldest, &middle, &session(&bob)] {
        store.sessions.insert_session(session).await.unwrap();
    }
    let listed = store.sessions.user_sessions(alice.id).await.unwrap();
    assert_eq!(listed, vec![oldest, middle, newest]);
    assert!(
        store
            .sessions
            .user_sessions(fresh_user_id())
            .await
            .unwrap()
            .is_empty()
    );
}

/// Deleting an account's other sessions keeps the one named and every
/// session of another account.
pub async fn deleting_other_sessions_keeps_the_one_named(store: StoreUnderTest) {
    let alice = user("alice");
    let bob = user("bob");
    store.users.insert_user(&alice).await.unwrap();
    store.users.insert_user(&bob).await.unwrap();
    let kept = session(&alice);
    let bobs = session(&bob);
    for session in [&kept, &session(&alice), &session(&alice), &bobs] {
        store.sessions.insert_session(session).await.unwrap();
    }
    let deleted = store
        .sessions
        .delete_other_sessions(alice.id, &kept.id)
        .await
        .unwrap();
    assert_eq!(deleted, 2);
    assert_eq!(
        store.sessions.user_sessions(alice.id).await.unwrap(),
        vec![kept]
    );
    assert_eq!(
        store.sessions.user_sessions(bob.id).await.unwrap(),
        vec![bobs]
    );
}
