//! The domain rules, tested through mocks of every port.

mod accounts;
mod forward_auth;
mod groups;
mod look_alikes;
mod second_factors;
mod second_step;
mod throttling;

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU8, Ordering},
    },
};

use async_trait::async_trait;

use mockall::predicate::eq;
use time::{Duration, macros::datetime};

use super::*;
use crate::{
    events::{Channel, PasswordCheck},
    password::PasswordError,
    ports::{
        MockClock, MockGroupRepository, MockPasswordHasher, MockSessionRepository, MockTokenSource,
        MockUserRepository,
    },
    session::{SessionId, SessionToken},
    throttle::{FailedAttempts, ThrottleKey},
    user::UserId,
    username::UsernameError,
};

pub(super) const NOW: OffsetDateTime = datetime!(2026-01-02 03:04:05.678 UTC);
/// What the clock says: [`NOW`] and a fraction of a millisecond, which the
/// core drops.
const CLOCK: OffsetDateTime = datetime!(2026-01-02 03:04:05.678_901_234 UTC);
pub(super) const STRONG: &str = "correct horse battery staple";

/// Mocks for every port; tests add expectations, then call `build`.
pub(super) struct Fixture {
    pub(super) users: MockUserRepository,
    pub(super) sessions: MockSessionRepository,
    pub(super) groups: MockGroupRepository,
    pub(super) attempts: Arc<FakeAttempts>,
    pub(super) second_factors: Arc<second_factors::FakeSecondFactors>,
    pub(super) pending: Arc<second_factors::FakePending>,
    pub(super) hasher: MockPasswordHasher,
    /// How far past [`CLOCK`] the clock reads.
    later: Arc<Mutex<Duration>>,
}

impl Fixture {
    pub(super) fn new() -> Self {
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
            groups: MockGroupRepository::new(),
            attempts: Arc::new(FakeAttempts::default()),
            second_factors: Arc::new(second_factors::FakeSecondFactors::default()),
            pending: Arc::new(second_factors::FakePending::default()),
            hasher,
            later: Arc::default(),
        }
    }

    pub(super) async fn build(self) -> Service {
        let mut clock = MockClock::new();
        let later = self.later.clone();
        clock
            .expect_now()
            .returning(move || CLOCK + *later.lock().unwrap());
        let mut tokens = MockTokenSource::new();
        let next = Arc::new(AtomicU8::new(1));
        tokens.expect_session_token().returning(move || {
            SessionToken::from_random_bytes([next.fetch_add(1, Ordering::SeqCst); 32])
        });
        tokens
            .expect_user_id()
            .returning(|| UserId::from_random_bytes([42; 16]));
        tokens.expect_device_nonce().return_const([9; 16]);
        tokens
            .expect_totp_secret()
            .return_const(second_factors::TOTP_KEY);
        let codes = Arc::new(AtomicU8::new(1));
        tokens
            .expect_recovery_code()
            .returning(move || [codes.fetch_add(1, Ordering::SeqCst); 10]);
        let pending = Arc::new(AtomicU8::new(1));
        tokens.expect_pending_token().returning(move || {
            crate::second_factor::PendingToken::from_random_bytes(
                [200 + pending.fetch_add(1, Ordering::SeqCst); 32],
            )
        });
        let events = Arc::new(Recorder::default());
        let ports = Ports {
            users: Arc::new(self.users),
            sessions: Arc::new(self.sessions),
            groups: Arc::new(self.groups),
            attempts: self.attempts.clone(),
            second_factors: self.second_factors.clone(),
            pending: self.pending.clone(),
            sealer: Arc::new(second_factors::TestSealer),
            hasher: Arc::new(self.hasher),
            clock: Arc::new(clock),
            tokens: Arc::new(tokens),
            events: events.clone(),
            digests: Arc::new(TestKey),
        };
        let auth = Authenticator::new(ports, Policies::default())
            .await
            .unwrap();
        Service {
            auth,
            events,
            attempts: self.attempts,
            second_factors: self.second_factors,
            later: self.later,
        }
    }
}

/// Records every event the rules emit.
#[derive(Default)]
pub(super) struct Recorder(Mutex<Vec<AuthEvent>>);

impl Events for Recorder {
    fn emit(&self, event: &AuthEvent) {
        self.0.lock().unwrap().push(event.clone());
    }
}

/// The service under test, its three faces called as the pages would
/// call them, and the events it emitted.
pub(super) struct Service {
    pub(super) auth: Authenticator,
    events: Arc<Recorder>,
    /// The failure counts, to look at after the fact.
    pub(super) attempts: Arc<FakeAttempts>,
    /// The second factors, likewise.
    pub(super) second_factors: Arc<second_factors::FakeSecondFactors>,
    later: Arc<Mutex<Duration>>,
}

/// Failure counts in memory, with the store's atomic compare-and-set. Each
/// read yields to the other tasks first, so attempts made at once
/// interleave between reading a count and counting, as on a real store.
#[derive(Default)]
pub(super) struct FakeAttempts(Mutex<HashMap<ThrottleKey, FailedAttempts>>);

impl FakeAttempts {
    /// The count under a username key or a device's key.
    pub(super) fn get(&self, key: &ThrottleKey) -> Option<FailedAttempts> {
        self.0.lock().unwrap().get(key).copied()
    }

    /// The count of untrusted failures for a username.
    pub(super) fn of(&self, username: &str) -> Option<FailedAttempts> {
        self.get(&ThrottleKey::username(&UsernameKey::from_input(username)))
    }

    /// Sets a count, as earlier failures would have.
    pub(super) fn set(&self, key: ThrottleKey, count: u32, last_failed_at: OffsetDateTime) {
        self.0.lock().unwrap().insert(
            key,
            FailedAttempts {
                count,
                last_failed_at,
            },
        );
    }

    /// Sets the untrusted count of a username.
    pub(super) fn set_for(&self, username: &str, count: u32, last_failed_at: OffsetDateTime) {
        let key = ThrottleKey::username(&UsernameKey::from_input(username));
        self.set(key, count, last_failed_at);
    }
}

#[async_trait]
impl SignInAttemptRepository for FakeAttempts {
    async fn failed_attempts(
        &self,
        key: &ThrottleKey,
    ) -> Result<Option<FailedAttempts>, StorageError> {
        tokio::task::yield_now().await;
        Ok(self.get(key))
    }

    async fn record_failed_attempt_if(
        &self,
        key: &ThrottleKey,
        seen: Option<FailedAttempts>,
        at: OffsetDateTime,
    ) -> Result<bool, StorageError> {
        let mut counts = self.0.lock().unwrap();
        if counts.get(key).copied() != seen {
            return Ok(false);
        }
        let count = seen.map_or(0, |seen| seen.count) + 1;
        counts.insert(
            key.clone(),
            FailedAttempts {
                count,
                last_failed_at: at,
            },
        );
        Ok(true)
    }

    async fn clear_failed_attempts(&self, key: &ThrottleKey) -> Result<(), StorageError> {
        self.0.lock().unwrap().remove(key);
        Ok(())
    }

    async fn delete_stale_attempts(&self, before: OffsetDateTime) -> Result<u64, StorageError> {
        let mut counts = self.0.lock().unwrap();
        let stale = counts.len();
        counts.retain(|_, attempts| attempts.last_failed_at >= before);
        Ok((stale - counts.len()) as u64)
    }
}

/// The server's keyed digest, stood in for by SHA-256 of a fixed key,
/// the purpose and the message.
pub(super) struct TestKey;

impl KeyedDigest for TestKey {
    fn digest(&self, purpose: &str, message: &[u8]) -> [u8; 32] {
        use sha2::{Digest, Sha256};
        let mut hash = Sha256::new();
        hash.update(b"test key");
        hash.update(purpose.as_bytes());
        hash.update(message);
        hash.finalize().into()
    }
}

/// Where the tests' requests come from.
pub(super) fn origin() -> Origin {
    Origin::new(
        Channel::Pages,
        Some("Test/1.0"),
        Some("192.0.2.7".to_owned()),
    )
}

impl Service {
    /// The events so far, as (name, channel, username key, session) tuples.
    pub(super) fn events(&self) -> Vec<AuthEvent> {
        self.events.0.lock().unwrap().clone()
    }

    /// The names of the events so far.
    pub(super) fn event_names(&self) -> Vec<&'static str> {
        self.events()
            .iter()
            .map(|event| event.kind.name())
            .collect()
    }

    pub(super) async fn register(
        &self,
        username: &str,
        password: &Password,
    ) -> Result<User, RegisterError> {
        self.auth
            .visitors()
            .register(username, password, &origin())
            .await
    }

    pub(super) async fn sign_in(
        &self,
        credentials: &Credentials,
        previous: Option<&SessionToken>,
    ) -> Result<SignIn, SignInError> {
        match self.sign_in_outcome(credentials, previous).await? {
            SignInOutcome::Complete(done) => Ok(done.sign_in),
            SignInOutcome::SecondFactorRequired { .. } => panic!("a second step was asked for"),
        }
    }

    pub(super) async fn sign_in_outcome(
        &self,
        credentials: &Credentials,
        previous: Option<&SessionToken>,
    ) -> Result<SignInOutcome, SignInError> {
        self.auth.visitors().sign_in(credentials, previous).await
    }

    pub(super) async fn signed_in(
        &self,
        token: &SessionToken,
    ) -> Result<Option<SignedIn>, StorageError> {
        self.auth.visitors().signed_in(token).await
    }

    pub(super) async fn change_password(
        &self,
        signed_in: &SignedIn,
        current: &Password,
        new: &Password,
    ) -> Result<SignIn, ChangePasswordError> {
        self.auth
            .account_owners()
            .change_password(signed_in, current, new, &origin())
            .await
    }

    pub(super) fn now(&self) -> OffsetDateTime {
        self.auth.core.now()
    }

    /// Moves the clock on by `by`.
    pub(super) fn advance(&self, by: Duration) {
        *self.later.lock().unwrap() += by;
    }
}

pub(super) fn dummy_hash() -> PasswordHash {
    PasswordHash::new("$argon2id$dummy")
}

pub(super) fn alice() -> User {
    User {
        id: UserId::from_random_bytes([1; 16]),
        username: Username::parse("Alice").unwrap(),
        password_hash: PasswordHash::new("$argon2id$alice"),
        created_at: NOW - Duration::days(3),
        last_login_at: None,
        credential_version: 2,
        disabled: false,
        groups: Vec::new(),
    }
}

pub(super) fn credentials(username: &str, password: &str) -> Credentials {
    Credentials {
        username: username.to_owned(),
        password: Password::new(password),
        remember: false,
        origin: origin(),
        return_to: None,
    }
}

pub(super) fn storage_down() -> StorageError {
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
    let events = auth.events();
    assert_eq!(auth.event_names(), ["registered"]);
    assert_eq!(
        events[0].username_key.as_ref().map(UsernameKey::as_str),
        Some("bob")
    );
    assert_eq!(events[0].session, None);
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
        .sign_in(&credentials("nobody", STRONG), None)
        .await
        .unwrap_err();
    assert!(
        matches!(error, SignInError::InvalidCredentials),
        "{error:?}"
    );
    let events = auth.events();
    assert_eq!(auth.event_names(), ["sign_in_failed"]);
    assert_eq!(
        events[0].username_key.as_ref().map(UsernameKey::as_str),
        Some("nobody")
    );
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
        .sign_in(&credentials("alice", "wrong password here"), None)
        .await
        .unwrap_err();
    assert!(
        matches!(error, SignInError::InvalidCredentials),
        "{error:?}"
    );
    assert_eq!(
        auth.event_names(),
        ["sign_in_failed"],
        "the same event as for nobody"
    );
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
                && session.authenticated_at == NOW
                && session.last_seen_at == NOW
                && session.expires_at == NOW + Duration::hours(12)
                && !session.remember
                && session.credential_version == 2
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
        .sign_in(&credentials(" Alice", STRONG), Some(&previous))
        .await
        .unwrap();
    assert_ne!(sign_in.token, previous);
    assert_eq!(sign_in.session.id, sign_in.token.id());
    assert_eq!(sign_in.user.last_login_at, Some(NOW));
    let events = auth.events();
    assert_eq!(auth.event_names(), ["sign_in_succeeded"]);
    assert_eq!(
        events[0].username_key.as_ref().map(UsernameKey::as_str),
        Some("alice")
    );
    assert_eq!(events[0].session, Some(sign_in.session.id.fingerprint()));
    assert_eq!(events[0].channel, Channel::Pages);
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
        .sign_in(&credentials("alice", STRONG), None)
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
        .sign_in(&credentials("alice", STRONG), None)
        .await
        .unwrap_err();
    assert!(matches!(error, SignInError::Storage(_)), "{error:?}");
}

pub(super) fn session_of_alice(expires_at: OffsetDateTime) -> (Session, User) {
    let session = Session {
        id: SessionId::from_bytes([5; 32]),
        user_id: alice().id,
        created_at: NOW - Duration::hours(1),
        authenticated_at: NOW - Duration::hours(1),
        last_seen_at: NOW - Duration::seconds(30),
        expires_at,
        remember: false,
        credential_version: 2,
        user_agent: None,
        client_ip: None,
        proof: Proof::PASSWORD,
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
    assert_eq!(signed_in.user().username.as_str(), "Alice");
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
async fn signing_out_deletes_the_session_and_says_so() {
    let signed_in = signed_in_alice();
    let mut fx = Fixture::new();
    fx.sessions
        .expect_delete_session()
        .with(eq(signed_in.session().id))
        .times(1)
        .returning(|_| Ok(true));
    let auth = fx.build().await;
    auth.auth
        .visitors()
        .sign_out(&signed_in, &origin())
        .await
        .unwrap();
    let events = auth.events();
    assert_eq!(auth.event_names(), ["signed_out"]);
    assert_eq!(events[0].channel, Channel::Pages);
    assert_eq!(
        events[0].username_key.as_ref().map(UsernameKey::as_str),
        Some("alice")
    );
    assert_eq!(
        events[0].session,
        Some(signed_in.session().id.fingerprint())
    );
    assert_eq!(events[0].client_ip.as_deref(), Some("192.0.2.7"));
}

#[tokio::test]
async fn times_are_kept_to_the_millisecond() {
    let auth = Fixture::new().build().await;
    assert_eq!(auth.now().nanosecond(), 678_000_000);
}

#[tokio::test]
async fn a_throttled_attempt_costs_one_dummy_verify_and_the_right_password_does_not_sign_in() {
    let mut fx = Fixture::new();
    fx.attempts.set_for("alice", 7, NOW - Duration::SECOND);
    fx.hasher
        .expect_verify()
        .withf(|_, hash| *hash == dummy_hash())
        .times(1)
        .returning(|_, _| Ok(Verification::Mismatch));
    // No account lookup, no session: the mocks refuse them.
    let auth = fx.build().await;
    let error = auth
        .sign_in(&credentials("alice", STRONG), None)
        .await
        .unwrap_err();
    let SignInError::Throttled { retry_after } = error else {
        panic!("expected throttling, got {error:?}");
    };
    assert_eq!(
        retry_after,
        Duration::SECOND,
        "7 failures: 2 s after the last"
    );
    assert_eq!(
        auth.events()[0].kind,
        EventKind::SignInThrottled { retry_after }
    );
    assert_eq!(auth.events().len(), 1);
    assert_eq!(auth.attempts.of("alice").unwrap().count, 7, "not counted");
}

#[tokio::test]
async fn throttling_is_keyed_by_the_normalised_username_whether_or_not_it_exists() {
    let mut fx = Fixture::new();
    fx.users.expect_user_by_key().returning(|_| Ok(None));
    fx.hasher
        .expect_verify()
        .times(1)
        .returning(|_, _| Ok(Verification::Mismatch));
    let auth = fx.build().await;
    let error = auth
        .sign_in(&credentials(" GHOST ", STRONG), None)
        .await
        .unwrap_err();
    assert!(
        matches!(error, SignInError::InvalidCredentials),
        "{error:?}"
    );
    assert_eq!(
        auth.attempts.of("ghost"),
        Some(FailedAttempts {
            count: 1,
            last_failed_at: NOW
        })
    );
}

#[tokio::test]
async fn a_successful_sign_in_clears_the_failure_count() {
    let mut fx = Fixture::new();
    fx.attempts.set_for("alice", 3, NOW - Duration::SECOND);
    fx.users
        .expect_user_by_key()
        .returning(|_| Ok(Some(alice())));
    fx.hasher
        .expect_verify()
        .returning(|_, _| Ok(Verification::Match));
    fx.sessions.expect_insert_session().returning(|_| Ok(()));
    fx.users.expect_record_sign_in().returning(|_, _| Ok(()));
    let auth = fx.build().await;
    auth.sign_in(&credentials("alice", STRONG), None)
        .await
        .unwrap();
    assert_eq!(auth.attempts.of("alice"), None);
}

#[tokio::test]
async fn remembered_sign_ins_last_thirty_days() {
    let mut fx = Fixture::new();
    fx.users
        .expect_user_by_key()
        .returning(|_| Ok(Some(alice())));
    fx.hasher
        .expect_verify()
        .returning(|_, _| Ok(Verification::Match));
    fx.sessions
        .expect_insert_session()
        .withf(|session| session.remember && session.expires_at == NOW + Duration::days(30))
        .times(1)
        .returning(|_| Ok(()));
    fx.users.expect_record_sign_in().returning(|_, _| Ok(()));
    let auth = fx.build().await;
    let mut remembered = credentials("alice", STRONG);
    remembered.remember = true;
    let sign_in = auth.sign_in(&remembered, None).await.unwrap();
    assert!(sign_in.session.remember);
}

#[tokio::test]
async fn an_idle_session_is_absent_and_deleted() {
    let token = SessionToken::from_random_bytes([5; 32]);
    let mut fx = Fixture::new();
    fx.sessions.expect_session_with_user().returning(|_| {
        let (mut session, user) = session_of_alice(NOW + Duration::hours(6));
        session.last_seen_at = NOW - Duration::minutes(30);
        Ok(Some((session, user)))
    });
    fx.sessions
        .expect_delete_session()
        .with(eq(token.id()))
        .times(1)
        .returning(|_| Ok(true));
    let auth = fx.build().await;
    assert!(auth.signed_in(&token).await.unwrap().is_none());
}

#[tokio::test]
async fn a_session_from_before_a_password_change_is_dead() {
    let token = SessionToken::from_random_bytes([5; 32]);
    let mut fx = Fixture::new();
    fx.sessions.expect_session_with_user().returning(|_| {
        let (mut session, user) = session_of_alice(NOW + Duration::hours(6));
        session.credential_version = user.credential_version - 1;
        Ok(Some((session, user)))
    });
    fx.sessions
        .expect_delete_session()
        .times(1)
        .returning(|_| Ok(true));
    let auth = fx.build().await;
    assert!(auth.signed_in(&token).await.unwrap().is_none());
}

#[tokio::test]
async fn use_is_recorded_at_most_once_a_minute() {
    let token = SessionToken::from_random_bytes([5; 32]);
    let mut fx = Fixture::new();
    let seen = Arc::new(AtomicU8::new(0));
    let calls = Arc::clone(&seen);
    fx.sessions.expect_session_with_user().returning(move |_| {
        let (mut session, user) = session_of_alice(NOW + Duration::hours(6));
        // First lookup: seen 30 s ago; second: seen 2 minutes ago.
        if calls.fetch_add(1, Ordering::SeqCst) == 1 {
            session.last_seen_at = NOW - Duration::minutes(2);
        }
        Ok(Some((session, user)))
    });
    fx.sessions
        .expect_touch_session()
        .with(eq(token.id()), eq(NOW))
        .times(1)
        .returning(|_, _| Ok(()));
    let auth = fx.build().await;
    let recent = auth.signed_in(&token).await.unwrap().unwrap();
    assert_eq!(recent.session().last_seen_at, NOW - Duration::seconds(30));
    let stale = auth.signed_in(&token).await.unwrap().unwrap();
    assert_eq!(stale.session().last_seen_at, NOW);
}

pub(super) fn signed_in_alice() -> SignedIn {
    let (session, user) = session_of_alice(NOW + Duration::hours(6));
    SignedIn { user, session }
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one() {
    let mut fx = Fixture::new();
    fx.hasher
        .expect_verify()
        .withf(|password, hash| {
            password.expose() == "a wrong current one" && hash.as_str() == "$argon2id$alice"
        })
        .times(1)
        .returning(|_, _| Ok(Verification::Mismatch));
    let auth = fx.build().await;
    let error = auth
        .change_password(
            &signed_in_alice(),
            &Password::new("a wrong current one"),
            &Password::new(STRONG),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(error, ChangePasswordError::WrongPassword),
        "{error:?}"
    );
    assert_eq!(
        auth.events()[0].kind,
        EventKind::PasswordCheckFailed {
            action: PasswordCheck::ChangePassword
        }
    );
    assert_eq!(
        auth.events()[0].session,
        Some(signed_in_alice().session().id.fingerprint())
    );
}

#[tokio::test]
async fn a_new_password_must_meet_the_policy() {
    let mut fx = Fixture::new();
    fx.hasher
        .expect_verify()
        .returning(|_, _| Ok(Verification::Match));
    let auth = fx.build().await;
    let error = auth
        .change_password(
            &signed_in_alice(),
            &Password::new(STRONG),
            &Password::new("too short"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            ChangePasswordError::InvalidPassword(PasswordError::TooShort { .. })
        ),
        "{error:?}"
    );
    assert!(
        auth.events().is_empty(),
        "a refused new password changes nothing"
    );
}

#[tokio::test]
async fn a_password_change_ends_every_session_and_issues_a_new_one() {
    let mut fx = Fixture::new();
    fx.hasher
        .expect_verify()
        .returning(|_, _| Ok(Verification::Match));
    fx.hasher
        .expect_hash()
        .withf(|password| password.expose() == "a brand new passphrase for her account")
        .times(1)
        .returning(|_| Ok(PasswordHash::new("$argon2id$changed")));
    fx.users
        .expect_replace_password()
        .withf(|id, hash| *id == alice().id && hash.as_str() == "$argon2id$changed")
        .times(1)
        .returning(|_, _| Ok(Some(3)));
    fx.sessions
        .expect_delete_user_sessions()
        .with(eq(alice().id))
        .times(1)
        .returning(|_| Ok(2));
    fx.sessions
        .expect_insert_session()
        .withf(|session| session.credential_version == 3)
        .times(1)
        .returning(|_| Ok(()));
    fx.users.expect_record_sign_in().returning(|_, _| Ok(()));
    let auth = fx.build().await;
    let sign_in = auth
        .change_password(
            &signed_in_alice(),
            &Password::new(STRONG),
            &Password::new("a brand new passphrase for her account"),
        )
        .await
        .unwrap();
    assert_eq!(sign_in.user.credential_version, 3);
    assert_eq!(sign_in.session.credential_version, 3);
    let events = auth.events();
    assert_eq!(auth.event_names(), ["password_changed"]);
    assert_eq!(
        events[0].session,
        Some(sign_in.session.id.fingerprint()),
        "names the session that replaces the caller's"
    );
}
