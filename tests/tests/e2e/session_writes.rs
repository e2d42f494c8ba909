//! Read-only traffic writes to the store at most once per session per
//! minute: signed-in page views and API calls, for 40 simulated minutes,
//! through the whole web application on the in-memory store, with every
//! store write counted.

// A step that fails is a test that fails, with its message.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use latch::{AeadSealer, HmacDigests};
use latch_argon2::{Argon2Hasher, Argon2Settings, MIN_MEMORY_KIB};
use latch_domain::{
    Authenticator, FailedAttempts, InsertUserError, NoEvents, Password, PasswordHash,
    PasswordHasher, Policies, Ports, Session, SessionId, SessionRepository, SessionToken,
    SignInAttemptRepository, StorageError, ThrottleKey, TokenSource, User, UserId, UserRepository,
    Username, UsernameKey, UsernameSkeleton,
};
use latch_http::{DEFAULT_MAX_BODY_BYTES, Services, TrustedProxies, WebSettings};
use latch_memory::MemoryStore;
use latch_tests::clock::ManualClock;
use poem::{Endpoint, Request, endpoint::BoxEndpoint, http::Method};
use time::{Duration, OffsetDateTime, macros::datetime};

const START: OffsetDateTime = datetime!(2026-01-02 03:04:05 UTC);
const PASSWORD: &str = "correct horse battery staple";

/// One write the store was asked to make.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Write {
    /// `touch_session`: a session's `last_seen_at`, at that time.
    Touch(SessionId, OffsetDateTime),
    /// Any other write, by the name of the port method.
    Other(&'static str),
}

/// The in-memory store, counting every write made through it.
#[derive(Clone, Default)]
struct CountingStore {
    inner: MemoryStore,
    writes: Arc<Mutex<Vec<Write>>>,
}

impl CountingStore {
    fn record(&self, write: Write) {
        self.writes.lock().unwrap().push(write);
    }

    fn take_writes(&self) -> Vec<Write> {
        std::mem::take(&mut *self.writes.lock().unwrap())
    }
}

#[async_trait]
impl UserRepository for CountingStore {
    async fn insert_user(&self, user: &User) -> Result<(), InsertUserError> {
        self.record(Write::Other("insert_user"));
        self.inner.insert_user(user).await
    }

    async fn user_by_key(&self, key: &UsernameKey) -> Result<Option<User>, StorageError> {
        self.inner.user_by_key(key).await
    }

    async fn skeleton_taken(&self, skeleton: &UsernameSkeleton) -> Result<bool, StorageError> {
        self.inner.skeleton_taken(skeleton).await
    }

    async fn user_by_id(&self, id: UserId) -> Result<Option<User>, StorageError> {
        self.inner.user_by_id(id).await
    }

    async fn record_sign_in(&self, id: UserId, at: OffsetDateTime) -> Result<(), StorageError> {
        self.record(Write::Other("record_sign_in"));
        self.inner.record_sign_in(id, at).await
    }

    async fn set_password_hash(&self, id: UserId, hash: &PasswordHash) -> Result<(), StorageError> {
        self.record(Write::Other("set_password_hash"));
        self.inner.set_password_hash(id, hash).await
    }

    async fn replace_password(
        &self,
        id: UserId,
        hash: &PasswordHash,
    ) -> Result<Option<u32>, StorageError> {
        self.record(Write::Other("replace_password"));
        self.inner.replace_password(id, hash).await
    }

    async fn users_page<'a>(
        &self,
        after: Option<&'a UsernameKey>,
        limit: u32,
    ) -> Result<Vec<User>, StorageError> {
        self.inner.users_page(after, limit).await
    }

    async fn set_disabled(&self, id: UserId, disabled: bool) -> Result<bool, StorageError> {
        self.record(Write::Other("set_disabled"));
        self.inner.set_disabled(id, disabled).await
    }

    async fn delete_user(&self, id: UserId) -> Result<bool, StorageError> {
        self.record(Write::Other("delete_user"));
        self.inner.delete_user(id).await
    }
}

#[async_trait]
impl SessionRepository for CountingStore {
    async fn insert_session(&self, session: &Session) -> Result<(), StorageError> {
        self.record(Write::Other("insert_session"));
        self.inner.insert_session(session).await
    }

    async fn session_with_user(
        &self,
        id: &SessionId,
    ) -> Result<Option<(Session, User)>, StorageError> {
        self.inner.session_with_user(id).await
    }

    async fn touch_session(&self, id: &SessionId, at: OffsetDateTime) -> Result<(), StorageError> {
        self.record(Write::Touch(*id, at));
        self.inner.touch_session(id, at).await
    }

    async fn delete_session(&self, id: &SessionId) -> Result<bool, StorageError> {
        self.record(Write::Other("delete_session"));
        self.inner.delete_session(id).await
    }

    async fn delete_user_sessions(&self, user_id: UserId) -> Result<u64, StorageError> {
        self.record(Write::Other("delete_user_sessions"));
        self.inner.delete_user_sessions(user_id).await
    }

    async fn user_sessions(&self, user_id: UserId) -> Result<Vec<Session>, StorageError> {
        self.inner.user_sessions(user_id).await
    }

    async fn delete_other_sessions(
        &self,
        user_id: UserId,
        keep: &SessionId,
    ) -> Result<u64, StorageError> {
        self.record(Write::Other("delete_other_sessions"));
        self.inner.delete_other_sessions(user_id, keep).await
    }

    async fn delete_expired_sessions(&self, now: OffsetDateTime) -> Result<u64, StorageError> {
        self.record(Write::Other("delete_expired_sessions"));
        self.inner.delete_expired_sessions(now).await
    }
}

#[async_trait]
impl SignInAttemptRepository for CountingStore {
    async fn failed_attempts(
        &self,
        key: &ThrottleKey,
    ) -> Result<Option<FailedAttempts>, StorageError> {
        self.inner.failed_attempts(key).await
    }

    async fn record_failed_attempt_if(
        &self,
        key: &ThrottleKey,
        seen: Option<FailedAttempts>,
        at: OffsetDateTime,
    ) -> Result<bool, StorageError> {
        self.record(Write::Other("record_failed_attempt_if"));
        self.inner.record_failed_attempt_if(key, seen, at).await
    }

    async fn clear_failed_attempts(&self, key: &ThrottleKey) -> Result<(), StorageError> {
        self.record(Write::Other("clear_failed_attempts"));
        self.inner.clear_failed_attempts(key).await
    }

    async fn delete_stale_attempts(&self, before: OffsetDateTime) -> Result<u64, StorageError> {
        self.record(Write::Other("delete_stale_attempts"));
        self.inner.delete_stale_attempts(before).await
    }
}

/// Distinct tokens from a counter: randomness is not under test here.
#[derive(Default)]
struct SequentialTokens(Mutex<u8>);

impl TokenSource for SequentialTokens {
    fn session_token(&self) -> SessionToken {
        let mut next = self.0.lock().unwrap();
        *next += 1;
        SessionToken::from_random_bytes([*next; 32])
    }

    fn user_id(&self) -> UserId {
        UserId::from_random_bytes([200; 16])
    }

    fn device_nonce(&self) -> [u8; 16] {
        [201; 16]
    }

    fn totp_secret(&self) -> [u8; latch_domain::second_factor::TOTP_SECRET_LEN] {
        [202; 20]
    }

    fn recovery_code(&self) -> [u8; latch_domain::second_factor::RECOVERY_CODE_LEN] {
        [203; 10]
    }

    fn pending_token(&self) -> latch_domain::PendingToken {
        latch_domain::PendingToken::from_random_bytes([204; 32])
    }
}

/// The web application over a counting store, with the cheapest Argon2id
/// costs allowed.
async fn application(store: &CountingStore, clock: &ManualClock) -> BoxEndpoint<'static> {
    let hasher = Argon2Hasher::new(
        Argon2Settings {
            memory_kib: MIN_MEMORY_KIB,
            iterations: 5,
            parallelism: 1,
        },
        2,
    )
    .unwrap();
    let alice = User {
        id: UserId::from_random_bytes([1; 16]),
        username: Username::parse("alice").unwrap(),
        password_hash: hasher.hash(&Password::new(PASSWORD)).await.unwrap(),
        created_at: START,
        last_login_at: None,
        credential_version: 0,
        disabled: false,
        groups: Vec::new(),
    };
    store.insert_user(&alice).await.unwrap();
    let shared = Arc::new(store.clone());
    let ports = Ports {
        users: shared.clone(),
        sessions: shared.clone(),
        groups: Arc::new(store.inner.clone()),
        attempts: shared,
        second_factors: Arc::new(store.inner.clone()),
        pending: Arc::new(store.inner.clone()),
        sealer: Arc::new(AeadSealer::new(&[7; 32])),
        hasher: Arc::new(hasher),
        clock: Arc::new(clock.clone()),
        tokens: Arc::new(SequentialTokens::default()),
        events: Arc::new(NoEvents),
        digests: Arc::new(HmacDigests::new(&[7; 32])),
    };
    let auth = Authenticator::new(ports, Policies::default())
        .await
        .unwrap();
    latch_http::endpoint(
        Services {
            visitors: auth.visitors(),
            owners: auth.account_owners(),
            health: Arc::new(store.inner.clone()),
        },
        WebSettings {
            cookie_secure: false,
            cookie_domain: None,
            csrf_key: [9; 32],
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            trusted_proxies: TrustedProxies::new(Vec::new()),
            sign_in_limit: None,
            sign_up_limit: None,
            access: latch_domain::AccessRules::default(),
            portal_url: None,
            allowed_hosts: Vec::new(),
            totp: latch_http::TotpSettings {
                issuer: "Latch".to_owned(),
                available: false,
            },
        },
    )
    .unwrap()
}

/// Signs alice in through `POST /api/login`; the session's token.
async fn sign_in(app: &BoxEndpoint<'static>) -> SessionToken {
    let body = serde_json::json!({ "username": "alice", "password": PASSWORD }).to_string();
    let request = Request::builder()
        .method(Method::POST)
        .uri_str("/api/login")
        .content_type("application/json")
        .body(body);
    let response = app.call(request).await.unwrap();
    assert_eq!(response.status(), 200);
    let answer: serde_json::Value =
        serde_json::from_str(&response.into_body().into_string().await.unwrap()).unwrap();
    SessionToken::parse(answer["token"].as_str().unwrap()).unwrap()
}

/// What a signed-in person reads, each answered `200` as for that person.
async fn read_everything(app: &BoxEndpoint<'static>, token: &SessionToken) {
    let cookie = format!("latch_session={}", token.encode());
    for path in ["/", "/account"] {
        let request = Request::builder()
            .uri_str(path)
            .header("cookie", &cookie)
            .finish();
        let response = app.call(request).await.unwrap();
        assert_eq!(response.status(), 200, "GET {path}");
        let page = response.into_body().into_string().await.unwrap();
        assert!(page.contains("alice"), "GET {path} is alice's page");
    }
    let request = Request::builder()
        .uri_str("/api/me")
        .header("authorization", format!("Bearer {}", token.encode()))
        .finish();
    let response = app.call(request).await.unwrap();
    assert_eq!(response.status(), 200, "GET /api/me");
}

#[tokio::test]
async fn read_only_traffic_writes_each_session_at_most_once_a_minute() {
    let store = CountingStore::default();
    let clock = ManualClock::starting_at(START);
    let app = application(&store, &clock).await;
    let mut tokens = Vec::new();
    for _ in 0..3 {
        tokens.push(sign_in(&app).await);
    }
    store.take_writes();

    // 40 minutes, past the 30-minute idle timeout: every session is read
    // from the pages and the API every 10 seconds.
    let step = Duration::seconds(10);
    let steps = 40 * 60 / 10;
    for _ in 0..steps {
        clock.advance(step);
        for token in &tokens {
            read_everything(&app, token).await;
        }
    }

    let writes = store.take_writes();
    let others: Vec<&Write> = writes
        .iter()
        .filter(|write| matches!(write, Write::Other(_)))
        .collect();
    assert!(others.is_empty(), "reads made other writes: {others:?}");
    for token in &tokens {
        let touches: Vec<OffsetDateTime> = writes
            .iter()
            .filter_map(|write| match write {
                Write::Touch(id, at) if *id == token.id() => Some(*at),
                _ => None,
            })
            .collect();
        for pair in touches.windows(2) {
            assert!(
                pair[1] - pair[0] >= Duration::minutes(1),
                "two writes of one session within a minute: {pair:?}"
            );
        }
        // 9 requests a minute for 40 minutes: one write a minute, which
        // also keeps the session alive past its idle timeout.
        assert_eq!(touches.len(), 40, "writes of one session: {touches:?}");
    }
}
