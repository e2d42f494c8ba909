//! Account management rules, tested through mocks of every port.

use mockall::predicate::eq;
use time::Duration;

use super::*;
use crate::{
    auth::{
        Credentials, SignInError,
        tests::{
            Fixture, NOW, STRONG, alice, credentials, origin, session_of_alice, signed_in_alice,
            storage_down,
        },
    },
    events::Channel,
    session::SessionId,
};

fn session(byte: u8, created_minutes_ago: i64) -> Session {
    let (mut session, _) = session_of_alice(NOW + Duration::hours(6));
    session.id = SessionId::from_bytes([byte; 32]);
    session.created_at = NOW - Duration::minutes(created_minutes_ago);
    session
}

#[tokio::test]
async fn the_session_list_holds_live_sessions_oldest_first_and_marks_the_current_one() {
    let mut fx = Fixture::new();
    let current = signed_in_alice().session().clone();
    let mut expired = session(7, 300);
    expired.expires_at = NOW;
    let mut outdated = session(8, 200);
    outdated.credential_version = 1;
    let current_copy = current.clone();
    fx.sessions
        .expect_user_sessions()
        .with(eq(alice().id))
        .times(1)
        .returning(move |_| {
            Ok(vec![
                current_copy.clone(),
                session(6, 120),
                expired.clone(),
                outdated.clone(),
            ])
        });
    let auth = fx.build().await;
    let sessions = auth
        .auth
        .account_owners()
        .sessions(&signed_in_alice())
        .await
        .unwrap();
    let ids: Vec<(String, bool)> = sessions.iter().map(|s| (s.id.clone(), s.current)).collect();
    assert_eq!(
        ids,
        vec![
            (SessionId::from_bytes([6; 32]).public_id(), false),
            (current.id.public_id(), true),
        ]
    );
}

#[tokio::test]
async fn ending_a_session_looks_it_up_among_the_owners_own() {
    let mut fx = Fixture::new();
    fx.sessions
        .expect_user_sessions()
        .with(eq(alice().id))
        .returning(|_| Ok(vec![session(6, 10)]));
    fx.sessions
        .expect_delete_session()
        .with(eq(SessionId::from_bytes([6; 32])))
        .times(1)
        .returning(|_| Ok(true));
    let auth = fx.build().await;
    let others = SessionId::from_bytes([9; 32]).public_id();
    assert!(
        !auth
            .auth
            .account_owners()
            .end_session(&signed_in_alice(), &others, &origin())
            .await
            .unwrap()
    );
    assert!(
        !auth
            .auth
            .account_owners()
            .end_session(&signed_in_alice(), "", &origin())
            .await
            .unwrap()
    );
    let own = SessionId::from_bytes([6; 32]).public_id();
    assert!(
        auth.auth
            .account_owners()
            .end_session(&signed_in_alice(), &own, &origin())
            .await
            .unwrap()
    );
    let events = auth.events();
    assert_eq!(auth.event_names(), ["session_ended"], "only the one ended");
    assert_eq!(
        events[0].session,
        Some(SessionId::from_bytes([6; 32]).fingerprint()),
        "names the session ended, not the caller's"
    );
}

#[tokio::test]
async fn signing_out_everywhere_else_keeps_the_current_session() {
    let mut fx = Fixture::new();
    let current = signed_in_alice().session().id;
    fx.sessions
        .expect_delete_other_sessions()
        .with(eq(alice().id), eq(current))
        .times(1)
        .returning(|_, _| Ok(3));
    let auth = fx.build().await;
    assert_eq!(
        auth.auth
            .account_owners()
            .end_other_sessions(&signed_in_alice(), &origin())
            .await
            .unwrap(),
        3
    );
    assert_eq!(
        auth.events()[0].kind,
        EventKind::OtherSessionsEnded { ended: 3 }
    );
}

#[tokio::test]
async fn deleting_an_account_needs_its_password() {
    let mut fx = Fixture::new();
    fx.hasher
        .expect_verify()
        .withf(|password, _| password.expose() == "wrong")
        .returning(|_, _| Ok(Verification::Mismatch));
    fx.hasher
        .expect_verify()
        .withf(|password, _| password.expose() == STRONG)
        .returning(|_, _| Ok(Verification::Match));
    fx.users
        .expect_delete_user()
        .with(eq(alice().id))
        .times(1)
        .returning(|_| Ok(true));
    let auth = fx.build().await;
    let error = auth
        .auth
        .account_owners()
        .delete_account(&signed_in_alice(), &Password::new("wrong"), &origin())
        .await
        .unwrap_err();
    assert!(
        matches!(error, DeleteAccountError::WrongPassword),
        "{error:?}"
    );
    assert_eq!(auth.event_names(), ["password_check_failed"]);
    auth.auth
        .account_owners()
        .delete_account(&signed_in_alice(), &Password::new(STRONG), &origin())
        .await
        .unwrap();
    assert_eq!(
        auth.event_names(),
        ["password_check_failed", "account_deleted"]
    );
}

#[tokio::test]
async fn disabling_an_account_ends_its_sessions_and_enabling_does_not() {
    let mut fx = Fixture::new();
    fx.users
        .expect_user_by_key()
        .returning(|_| Ok(Some(alice())));
    fx.users
        .expect_set_disabled()
        .with(eq(alice().id), eq(true))
        .times(1)
        .returning(|_, _| Ok(true));
    fx.users
        .expect_set_disabled()
        .with(eq(alice().id), eq(false))
        .times(1)
        .returning(|_, _| Ok(true));
    fx.sessions
        .expect_delete_user_sessions()
        .with(eq(alice().id))
        .times(1)
        .returning(|_| Ok(2));
    let auth = fx.build().await;
    assert!(
        auth.auth
            .operators()
            .disable(" ALICE ")
            .await
            .unwrap()
            .disabled
    );
    assert!(
        !auth
            .auth
            .operators()
            .enable("alice")
            .await
            .unwrap()
            .disabled
    );
    let events = auth.events();
    assert_eq!(auth.event_names(), ["account_disabled", "account_enabled"]);
    assert!(events.iter().all(|event| event.channel == Channel::Cli
        && event.username_key.as_ref().map(UsernameKey::as_str) == Some("alice")));
}

#[tokio::test]
async fn operator_commands_on_an_unknown_username_say_so() {
    let mut fx = Fixture::new();
    fx.users.expect_user_by_key().returning(|_| Ok(None));
    let auth = fx.build().await;
    for error in [
        auth.auth.operators().disable("nobody").await.unwrap_err(),
        auth.auth
            .operators()
            .delete_account("nobody")
            .await
            .unwrap_err(),
        auth.auth
            .operators()
            .revoke_sessions("nobody")
            .await
            .unwrap_err(),
        auth.auth.operators().sessions("nobody").await.unwrap_err(),
    ] {
        assert!(matches!(error, OperatorError::NoSuchAccount), "{error:?}");
    }
    assert!(auth.events().is_empty(), "nothing happened");
}

#[tokio::test]
async fn a_disabled_accounts_session_is_dead_and_deleted() {
    let mut fx = Fixture::new();
    let (session, mut user) = session_of_alice(NOW + Duration::hours(6));
    user.disabled = true;
    let token = SessionToken::from_random_bytes([5; 32]);
    let id = token.id();
    fx.sessions
        .expect_session_with_user()
        .returning(move |_| Ok(Some((session.clone(), user.clone()))));
    fx.sessions
        .expect_delete_session()
        .with(eq(id))
        .times(1)
        .returning(|_| Ok(true));
    let auth = fx.build().await;
    assert!(auth.signed_in(&token).await.unwrap().is_none());
}

#[tokio::test]
async fn a_disabled_account_cannot_sign_in_even_with_the_right_password() {
    let mut fx = Fixture::new();
    fx.users.expect_user_by_key().returning(|_| {
        let mut user = alice();
        user.disabled = true;
        Ok(Some(user))
    });
    fx.hasher
        .expect_verify()
        .withf(|_, hash| hash.as_str() == "$argon2id$alice")
        .times(1)
        .returning(|_, _| Ok(Verification::Match));
    let auth = fx.build().await;
    let error = auth
        .sign_in(&credentials("alice", STRONG), None)
        .await
        .unwrap_err();
    assert!(
        matches!(error, SignInError::InvalidCredentials),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_session_keeps_where_its_sign_in_came_from() {
    let mut fx = Fixture::new();
    fx.users
        .expect_user_by_key()
        .returning(|_| Ok(Some(alice())));
    fx.hasher
        .expect_verify()
        .returning(|_, _| Ok(Verification::Match));
    fx.sessions
        .expect_insert_session()
        .withf(|session| {
            session.user_agent.as_deref() == Some("Firefox")
                && session.client_ip.as_deref() == Some("192.0.2.7")
        })
        .times(1)
        .returning(|_| Ok(()));
    fx.users.expect_record_sign_in().returning(|_, _| Ok(()));
    let auth = fx.build().await;
    let credentials = Credentials {
        origin: Origin::new(Channel::Api, Some("Firefox"), Some("192.0.2.7".to_owned())),
        ..credentials("alice", STRONG)
    };
    let sign_in = auth.sign_in(&credentials, None).await.unwrap();
    assert_eq!(sign_in.session.user_agent.as_deref(), Some("Firefox"));
}

#[tokio::test]
async fn unlocking_clears_the_failures_of_the_normalised_username() {
    let fx = Fixture::new();
    fx.attempts.set_for("alice", 100, NOW);
    let auth = fx.build().await;
    auth.auth.operators().unlock(" Alice ").await.unwrap();
    assert_eq!(auth.attempts.of("alice"), None);
    let events = auth.events();
    assert_eq!(auth.event_names(), ["sign_in_failures_cleared"]);
    assert_eq!(
        events[0].username_key.as_ref().map(UsernameKey::as_str),
        Some("alice")
    );
}

#[tokio::test]
async fn purging_deletes_expired_sessions_stale_failure_counts_and_unfinished_sign_ins_and_reports_store_failures()
 {
    let mut fx = Fixture::new();
    fx.sessions
        .expect_delete_expired_sessions()
        .with(eq(NOW))
        .times(1)
        .returning(|_| Ok(4));
    fx.sessions
        .expect_delete_expired_sessions()
        .returning(|_| Err(storage_down()));
    // A count of a day and a second ago is stale; one of a minute ago is not.
    fx.attempts
        .set_for("ghost", 3, NOW - Duration::DAY - Duration::SECOND);
    fx.attempts.set_for("recent", 3, NOW - Duration::MINUTE);
    // A sign-in halfway that ended now goes; one with a second left stays.
    for (byte, expires_at) in [(1, NOW), (2, NOW + Duration::SECOND)] {
        let pending = crate::second_factor::PendingSignIn {
            id: crate::second_factor::PendingId::from_bytes([byte; 32]),
            user_id: alice().id,
            credential_version: 2,
            remember: false,
            return_to: None,
            created_at: expires_at - Duration::minutes(5),
            expires_at,
        };
        fx.pending.insert_pending(&pending).await.unwrap();
    }
    let auth = fx.build().await;
    assert_eq!(
        auth.auth.operators().purge_expired().await.unwrap(),
        Purged {
            sessions: 4,
            failure_counts: 1,
            pending_sign_ins: 1,
        }
    );
    assert_eq!(auth.attempts.of("ghost"), None);
    assert!(auth.attempts.of("recent").is_some());
    assert!(auth.auth.operators().purge_expired().await.is_err());
}
