//! The domain rules, tested through mocks of every port.

use std::sync::{
    Arc,
    atomic::{AtomicU8, Ordering},
};

use mockall::predicate::eq;
use time::{Duration, macros::datetime};

use super::*;
use crate::{
    ports::{
        MockClock, MockPasswordHasher, MockSessionRepository, MockTokenSource, MockUserRepository,
    },
    session::SessionId,
    user::UserId,
};

const NOW: OffsetDateTime = datetime!(2026-01-02 03:04:05.678 UTC);
const STRONG: &str = "correct horse battery staple";

/// Mocks for every port; tests add expectations, then call `build`.
struct Fixture {
    users: MockUserRepository,
    sessions: MockSessionRepository,
    hasher: MockPasswordHasher,
}

impl Fixture {
    fn new() -> Self {
        let mut hasher = MockPasswordHasher::new();
        // The constructor hashes one random password for unknown usernames.
        hasher
            .expect_hash()
            .withf(|password| password.expose().len() == 43)
            .times(1)
            .returning(|_| Ok(dummy_hash()));
        Self {
            users: MockUserRepository::new(),
            sessions: MockSessionRepository::new(),
            hasher,
        }
    }

    async fn build(self) -> Authenticator {
        let mut clock = MockClock::new();
        clock.expect_now().return_const(NOW);
        let mut tokens = MockTokenSource::new();
        let next = Arc::new(AtomicU8::new(1));
        tokens.expect_session_token().returning(move || {
            SessionToken::from_random_bytes([next.fetch_add(1, Ordering::SeqCst); 32])
        });
        tokens
            .expect_user_id()
            .returning(|| UserId::from_random_bytes([42; 16]));
        let ports = Ports {
            users: Arc::new(self.users),
            sessions: Arc::new(self.sessions),
            hasher: Arc::new(self.hasher),
            clock: Arc::new(clock),
            tokens: Arc::new(tokens),
        };
        Authenticator::new(ports, Policies::default())
            .await
            .unwrap()
    }
}

fn dummy_hash() -> PasswordHash {
    PasswordHash::new("$argon2id$dummy")
}

fn alice() -> User {
    User {
        id: UserId::from_random_bytes([1; 16]),
        username: Username::parse("Alice").unwrap(),
        password_hash: PasswordHash::new("$argon2id$alice"),
        created_at: NOW - Duration::days(3),
        last_login_at: None,
    }
}

fn credentials(username: &str, password: &str) -> Credentials {
    Credentials {
        username: username.to_owned(),
        password: Password::new(password),
    }
}

fn storage_down() -> StorageError {
    StorageError::new("connection refused")
}

#[tokio::test]
async fn registering_stores_a_hashed_password() {
    let mut fx = Fixture::new();
    fx.users
        .expect_user_by_key()
        .times(1)
        .returning(|_| Ok(None));
    fx.hasher
        .expect_hash()
        .withf(|password| password.expose() == STRONG)
        .times(1)
        .returning(|_| Ok(PasswordHash::new("$argon2id$new")));
    fx.users
        .expect_insert_user()
        .withf(|user| {
            user.username.as_str() == "Bob"
                && user.password_hash.as_str() == "$argon2id$new"
                && user.created_at == NOW
        })
        .times(1)
        .returning(|_| Ok(()));
    let auth = fx.build().await;

    let user = auth
        .register(" Bob ", &Password::new(STRONG))
        .await
        .unwrap();
    assert_eq!(user.username.as_str(), "Bob");
    assert_eq!(user.last_login_at, None);
}

#[tokio::test]
async fn invalid_fields_are_all_reported_and_nothing_is_stored() {
    let auth = Fixture::new().build().await;
    let error = auth
        .register("al!ce", &Password::new("short"))
        .await
        .unwrap_err();
    let RegisterError::InvalidInput(errors) = error else {
        panic!("expected invalid input, got {error:?}");
    };
    assert_eq!(errors.username, Some(UsernameError::InvalidCharacter));
    assert_eq!(errors.password, Some(PasswordError::TooShort { min: 15 }));
}

#[tokio::test]
async fn a_taken_username_is_reported_without_hashing() {
    let mut fx = Fixture::new();
    fx.users
        .expect_user_by_key()
        .withf(|key| key.as_str() == "alice")
        .returning(|_| Ok(Some(alice())));
    let auth = fx.build().await;
    let error = auth
        .register("ALICE", &Password::new(STRONG))
        .await
        .unwrap_err();
    assert!(matches!(error, RegisterError::UsernameTaken), "{error:?}");
}

#[tokio::test]
async fn a_username_taken_by_a_concurrent_registration_is_reported() {
    let mut fx = Fixture::new();
    fx.users.expect_user_by_key().returning(|_| Ok(None));
    fx.hasher
        .expect_hash()
        .withf(|password| password.expose() == STRONG)
        .returning(|_| Ok(PasswordHash::new("$argon2id$new")));
    fx.users
        .expect_insert_user()
        .returning(|_| Err(InsertUserError::UsernameTaken));
    let auth = fx.build().await;
    let error = auth
        .register("alice", &Password::new(STRONG))
        .await
        .unwrap_err();
    assert!(matches!(error, RegisterError::UsernameTaken), "{error:?}");
}

#[tokio::test]
async fn an_unknown_username_costs_one_verify_against_the_dummy_hash() {
    let mut fx = Fixture::new();
    fx.users.expect_user_by_key().returning(|_| Ok(None));
    fx.hasher
        .expect_verify()
        .withf(|_, hash| *hash == dummy_hash())
        .times(1)
        .returning(|_, _| Ok(Verification::Mismatch));
    let auth = fx.build().await;
    let error = auth
        .log_in(&credentials("nobody", STRONG), None)
        .await
        .unwrap_err();
    assert!(matches!(error, LoginError::InvalidCredentials), "{error:?}");
}

#[tokio::test]
async fn a_wrong_password_costs_one_verify_and_gives_the_same_error() {
    let mut fx = Fixture::new();
    fx.users
        .expect_user_by_key()
        .returning(|_| Ok(Some(alice())));
    fx.hasher
        .expect_verify()
        .withf(|_, hash| hash.as_str() == "$argon2id$alice")
        .times(1)
        .returning(|_, _| Ok(Verification::Mismatch));
    let auth = fx.build().await;
    let error = auth
        .log_in(&credentials("alice", "wrong password here"), None)
        .await
        .unwrap_err();
    assert!(matches!(error, LoginError::InvalidCredentials), "{error:?}");
}

#[tokio::test]
async fn signing_in_issues_a_new_session_and_deletes_the_old_one() {
    let previous = SessionToken::from_random_bytes([200; 32]);
    let previous_id = previous.id();
    let mut fx = Fixture::new();
    fx.users
        .expect_user_by_key()
        .withf(|key| key.as_str() == "alice")
        .returning(|_| Ok(Some(alice())));
    fx.hasher
        .expect_verify()
        .times(1)
        .returning(|_, _| Ok(Verification::Match));
    fx.sessions
        .expect_delete_session()
        .with(eq(previous_id))
        .times(1)
        .returning(|_| Ok(true));
    fx.sessions
        .expect_insert_session()
        .withf(|session| {
            session.user_id == alice().id
                && session.created_at == NOW
                && session.expires_at == NOW + Duration::hours(12)
        })
        .times(1)
        .returning(|_| Ok(()));
    fx.users
        .expect_record_sign_in()
        .with(eq(alice().id), eq(NOW))
        .times(1)
        .returning(|_, _| Ok(()));
    let auth = fx.build().await;

    let sign_in = auth
        .log_in(&credentials(" Alice", STRONG), Some(&previous))
        .await
        .unwrap();
    assert_ne!(sign_in.token, previous);
    assert_eq!(sign_in.session.id, sign_in.token.id());
    assert_eq!(sign_in.user.last_login_at, Some(NOW));
}

#[tokio::test]
async fn an_outdated_hash_is_replaced_at_sign_in() {
    let mut fx = Fixture::new();
    fx.users
        .expect_user_by_key()
        .returning(|_| Ok(Some(alice())));
    fx.hasher
        .expect_verify()
        .returning(|_, _| Ok(Verification::MatchNeedsRehash));
    fx.hasher
        .expect_hash()
        .withf(|password| password.expose() == STRONG)
        .times(1)
        .returning(|_| Ok(PasswordHash::new("$argon2id$stronger")));
    fx.users
        .expect_set_password_hash()
        .withf(|id, hash| *id == alice().id && hash.as_str() == "$argon2id$stronger")
        .times(1)
        .returning(|_, _| Ok(()));
    fx.sessions.expect_insert_session().returning(|_| Ok(()));
    fx.users.expect_record_sign_in().returning(|_, _| Ok(()));
    let auth = fx.build().await;
    let sign_in = auth
        .log_in(&credentials("alice", STRONG), None)
        .await
        .unwrap();
    assert_eq!(sign_in.user.password_hash.as_str(), "$argon2id$stronger");
}

#[tokio::test]
async fn a_store_failure_is_an_error_not_a_refusal() {
    let mut fx = Fixture::new();
    fx.users
        .expect_user_by_key()
        .returning(|_| Err(storage_down()));
    let auth = fx.build().await;
    let error = auth
        .log_in(&credentials("alice", STRONG), None)
        .await
        .unwrap_err();
    assert!(matches!(error, LoginError::Storage(_)), "{error:?}");
}

fn session_of_alice(expires_at: OffsetDateTime) -> (Session, User) {
    let session = Session {
        id: SessionId::from_bytes([5; 32]),
        user_id: alice().id,
        created_at: NOW - Duration::hours(1),
        expires_at,
    };
    (session, alice())
}

#[tokio::test]
async fn a_live_session_finds_its_user() {
    let mut fx = Fixture::new();
    fx.sessions
        .expect_session_with_user()
        .returning(|_| Ok(Some(session_of_alice(NOW + Duration::SECOND))));
    let auth = fx.build().await;
    let token = SessionToken::from_random_bytes([5; 32]);
    let signed_in = auth.signed_in(&token).await.unwrap().unwrap();
    assert_eq!(signed_in.user.username.as_str(), "Alice");
}

#[tokio::test]
async fn an_expired_session_is_absent_and_deleted() {
    let token = SessionToken::from_random_bytes([5; 32]);
    let mut fx = Fixture::new();
    fx.sessions
        .expect_session_with_user()
        .returning(|_| Ok(Some(session_of_alice(NOW))));
    fx.sessions
        .expect_delete_session()
        .with(eq(token.id()))
        .times(1)
        .returning(|_| Ok(true));
    let auth = fx.build().await;
    assert!(auth.signed_in(&token).await.unwrap().is_none());
}

#[tokio::test]
async fn an_unknown_token_is_absent() {
    let mut fx = Fixture::new();
    fx.sessions
        .expect_session_with_user()
        .returning(|_| Ok(None));
    let auth = fx.build().await;
    let token = SessionToken::from_random_bytes([6; 32]);
    assert!(auth.signed_in(&token).await.unwrap().is_none());
}

#[tokio::test]
async fn logging_out_deletes_the_session() {
    let token = SessionToken::from_random_bytes([7; 32]);
    let mut fx = Fixture::new();
    fx.sessions
        .expect_delete_session()
        .with(eq(token.id()))
        .times(1)
        .returning(|_| Ok(true));
    let auth = fx.build().await;
    auth.log_out(&token).await.unwrap();
}

#[tokio::test]
async fn times_are_kept_to_the_millisecond() {
    let auth = Fixture::new().build().await;
    assert_eq!(auth.now().nanosecond(), 678_000_000);
}
