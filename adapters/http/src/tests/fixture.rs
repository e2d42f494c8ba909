//! What the error-matrix tests share: mocks of every port, the whole web
//! endpoint built over them and reached from a fixed peer address, one
//! signed-in account, a browser's CSRF cookie and token, and the checks
//! that an answer is a problem document or one of our HTML pages.

use std::{net::SocketAddr, sync::Arc};

use latch_domain::{
    Authenticator, HasherError, NoEvents, PasswordHash, Policies, Ports, Session, SessionToken,
    StorageError, User, UserId, Username,
    ports::{
        MockClock, MockGroupRepository, MockPasswordHasher, MockPendingSignInRepository,
        MockSecondFactorRepository, MockSecretSealer, MockSessionRepository,
        MockSignInAttemptRepository, MockStoreHealth, MockTokenSource, MockUserRepository,
    },
};
use mockall::predicate::eq;
use poem::{
    Addr, Endpoint, Request, RequestParts, Result,
    endpoint::BoxEndpoint,
    http::{self, HeaderMap, StatusCode, header, uri::Scheme},
    test::{TestClient, TestRequestBuilder, TestResponse},
    web::{
        LocalAddr, RemoteAddr,
        cookie::{Cookie, CookieJar},
    },
};
use serde_json::Value;
use time::{Duration, OffsetDateTime, macros::datetime};

use crate::{
    DEFAULT_MAX_BODY_BYTES, RateLimit, Services, TrustedProxies, WebSettings,
    middleware::{cookies::CookiePolicy, csrf::CsrfProtection},
};

/// What the mock clock says, all along.
pub(super) const NOW: OffsetDateTime = datetime!(2026-01-02 03:04:05 UTC);
/// Alice's password.
pub(super) const PASSWORD: &str = "correct horse battery staple";
/// A new password the policy accepts for Alice.
pub(super) const NEW_PASSWORD: &str = "a brand new passphrase for her account";
/// Where every request comes from unless a test says otherwise: a client
/// connecting directly.
pub(super) const PEER: &str = "192.0.2.10:50000";

/// The whole web application, as the tests reach it.
pub(super) type App = FromPeer<BoxEndpoint<'static>>;
/// A client of [`App`].
pub(super) type Client = TestClient<App>;
/// A request to [`App`] being built.
pub(super) type Call<'a> = TestRequestBuilder<'a, App>;

/// The signed-in account.
pub(super) fn alice() -> User {
    User {
        id: UserId::from_random_bytes([1; 16]),
        username: Username::parse("alice").expect("a valid username"),
        password_hash: PasswordHash::new("$argon2id$alice"),
        created_at: NOW - Duration::days(30),
        last_login_at: Some(NOW - Duration::hours(1)),
        credential_version: 3,
        disabled: false,
        groups: Vec::new(),
    }
}

/// The token of Alice's session.
pub(super) fn token() -> SessionToken {
    SessionToken::from_random_bytes([7; 32])
}

/// Alice's session: issued an hour ago, just used, live until its
/// expiry, under her current credential version.
pub(super) fn session() -> Session {
    Session {
        id: token().id(),
        user_id: alice().id,
        created_at: NOW - Duration::hours(1),
        authenticated_at: NOW - Duration::hours(1),
        last_seen_at: NOW,
        expires_at: NOW + Duration::hours(11),
        remember: false,
        credential_version: alice().credential_version,
        user_agent: Some("Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0".to_owned()),
        client_ip: Some("192.0.2.10".to_owned()),
        proof: latch_domain::Proof::PASSWORD,
    }
}

/// `Authorization` for Alice's session as a bearer token.
pub(super) fn bearer() -> String {
    format!("Bearer {}", token().encode())
}

/// The store's answer while it is down.
pub(super) fn store_down() -> StorageError {
    StorageError::new("down")
}

/// The hasher's answer while it cannot work.
pub(super) fn hasher_down() -> HasherError {
    HasherError::new("no hashing worker available")
}

/// The hash the service computes at start-up for unknown usernames.
pub(super) fn dummy_hash() -> PasswordHash {
    PasswordHash::new("$argon2id$dummy")
}

/// Settings as in production, without rate limits.
pub(super) fn settings() -> WebSettings {
    WebSettings {
        cookie_secure: false,
        cookie_domain: None,
        csrf_key: [5; 32],
        max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        trusted_proxies: TrustedProxies::default(),
        sign_in_limit: None,
        sign_up_limit: None,
        access: latch_domain::AccessRules::default(),
        portal_url: None,
        allowed_hosts: Vec::new(),
        totp: crate::TotpSettings {
            issuer: "Latch".to_owned(),
            available: true,
        },
    }
}

/// Settings with a body limit of `max_body_bytes`.
pub(super) fn small_bodies(max_body_bytes: usize) -> WebSettings {
    WebSettings {
        max_body_bytes,
        ..settings()
    }
}

/// Settings allowing one sign-in and one sign-up per client a minute.
pub(super) fn one_attempt_a_minute() -> WebSettings {
    let limit = Some(RateLimit {
        requests: 1,
        per: std::time::Duration::from_secs(60),
    });
    WebSettings {
        sign_in_limit: limit,
        sign_up_limit: limit,
        ..settings()
    }
}

/// What a test case tells the mocks before it runs.
pub(super) type Setup = fn(&mut Mocks);

/// Mocks of the ports a test sets expectations on; the clock, the token
/// source and the events need none.
pub(super) struct Mocks {
    /// Accounts.
    pub(super) users: MockUserRepository,
    /// Sessions.
    pub(super) sessions: MockSessionRepository,
    /// Failed sign-in counters.
    pub(super) attempts: MockSignInAttemptRepository,
    /// Password hashing.
    pub(super) hasher: MockPasswordHasher,
}

impl Mocks {
    /// Mocks expecting nothing but the one hash the service computes when
    /// it starts. Any other call fails the test.
    pub(super) fn new() -> Self {
        let mut hasher = MockPasswordHasher::new();
        hasher
            .expect_hash()
            .times(1)
            .returning(|_| Ok(dummy_hash()));
        Self {
            users: MockUserRepository::new(),
            sessions: MockSessionRepository::new(),
            attempts: MockSignInAttemptRepository::new(),
            hasher,
        }
    }

    /// Alice's session (see [`token`]) is found, live.
    pub(super) fn signed_in(mut self) -> Self {
        self.sessions
            .expect_session_with_user()
            .with(eq(token().id()))
            .returning(|_| Ok(Some((session(), alice()))));
        self
    }

    /// Builds the service over these mocks and the web endpoint over it,
    /// every request coming from [`PEER`].
    pub(super) async fn serve(self, settings: WebSettings) -> Client {
        self.serve_from(PEER, settings).await
    }

    /// Builds the service over these mocks and the web endpoint over it,
    /// every request coming from `peer`.
    pub(super) async fn serve_from(mut self, peer: &str, settings: WebSettings) -> Client {
        // After a test's own expectations: no failures counted yet, a
        // counted attempt lands, and a right password clears its count.
        self.attempts
            .expect_failed_attempts()
            .returning(|_| Ok(None));
        self.attempts
            .expect_record_failed_attempt_if()
            .returning(|_, _, _| Ok(true));
        self.attempts
            .expect_clear_failed_attempts()
            .returning(|_| Ok(()));
        let mut clock = MockClock::new();
        clock.expect_now().return_const(NOW);
        let mut tokens = MockTokenSource::new();
        tokens
            .expect_session_token()
            .returning(|| SessionToken::from_random_bytes([9; 32]));
        tokens
            .expect_user_id()
            .returning(|| UserId::from_random_bytes([2; 16]));
        tokens.expect_device_nonce().return_const([3; 16]);
        // Alice has no second factor.
        let mut second_factors = MockSecondFactorRepository::new();
        second_factors.expect_totp().returning(|_| Ok(None));
        second_factors
            .expect_recovery_codes_left()
            .returning(|_| Ok(0));
        let ports = Ports {
            users: Arc::new(self.users),
            sessions: Arc::new(self.sessions),
            groups: Arc::new(MockGroupRepository::new()),
            second_factors: Arc::new(second_factors),
            pending: Arc::new(MockPendingSignInRepository::new()),
            sealer: Arc::new(MockSecretSealer::new()),
            attempts: Arc::new(self.attempts),
            hasher: Arc::new(self.hasher),
            clock: Arc::new(clock),
            tokens: Arc::new(tokens),
            events: Arc::new(NoEvents),
            digests: Arc::new(FixedDigests),
        };
        let auth = Authenticator::new(ports, Policies::default())
            .await
            .expect("the service starts");
        let services = Services {
            visitors: auth.visitors(),
            owners: auth.account_owners(),
            health: Arc::new(MockStoreHealth::new()),
        };
        let app = crate::endpoint(services, settings).expect("the templates compile");
        TestClient::new(FromPeer {
            inner: app,
            peer: peer.parse().expect("a socket address"),
        })
    }
}

/// Hands every request to `inner` as coming from `peer`, as the listener
/// would for a real connection: requests made by `TestClient` have no
/// peer address, so no client IP, so no per-client rate limit.
pub(super) struct FromPeer<E> {
    inner: E,
    peer: SocketAddr,
}

impl<E: Endpoint> Endpoint for FromPeer<E> {
    type Output = E::Output;

    async fn call(&self, req: Request) -> Result<Self::Output> {
        let (parts, body) = req.into_parts();
        let mut head = http::Request::new(());
        *head.method_mut() = parts.method;
        *head.uri_mut() = parts.uri;
        *head.version_mut() = parts.version;
        *head.headers_mut() = parts.headers;
        *head.extensions_mut() = parts.extensions;
        let (head, ()) = head.into_parts();
        let remote = RemoteAddr(Addr::SocketAddr(self.peer));
        let parts = RequestParts::from((head, LocalAddr::default(), remote, Scheme::HTTP));
        self.inner.call(Request::from_parts(parts, body)).await
    }
}

/// A response, read to the end.
pub(super) struct Answer {
    /// Its status.
    pub(super) status: StatusCode,
    /// Its headers.
    pub(super) headers: HeaderMap,
    /// Its body, as text.
    pub(super) body: String,
}

impl Answer {
    /// Reads `response` to the end.
    pub(super) async fn of(response: TestResponse) -> Self {
        let response = response.0;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .into_string()
            .await
            .expect("a text body");
        Self {
            status,
            headers,
            body,
        }
    }

    /// The value of header `name`, if any and text.
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// Every `Set-Cookie` header, as sent.
    pub(super) fn set_cookies(&self) -> Vec<&str> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .collect()
    }

    /// Whether it tells the browser to forget its session cookie.
    pub(super) fn clears_session(&self) -> bool {
        self.set_cookies()
            .iter()
            .any(|cookie| cookie.starts_with("latch_session=;") && cookie.contains("Max-Age=0"))
    }

    /// `Retry-After` in seconds; fails the test if it is missing, not a
    /// number or zero.
    pub(super) fn retry_after(&self, case: &str) -> u64 {
        let seconds = self
            .header("retry-after")
            .and_then(|value| value.parse::<u64>().ok())
            .unwrap_or_else(|| panic!("{case}: no Retry-After in seconds: {:?}", self.headers));
        assert!(seconds >= 1, "{case}: Retry-After {seconds}");
        seconds
    }
}

/// Checks that `response` is an RFC 9457 problem document with `status`
/// and the stable `code`, and returns the document.
pub(super) async fn assert_problem(
    case: &str,
    response: TestResponse,
    status: StatusCode,
    code: &str,
) -> (Answer, Value) {
    let answer = Answer::of(response).await;
    assert_eq!(answer.status, status, "{case}: {}", answer.body);
    assert_eq!(
        answer.header("content-type"),
        Some("application/problem+json"),
        "{case}: {}",
        answer.body
    );
    let problem: Value = serde_json::from_str(&answer.body)
        .unwrap_or_else(|error| panic!("{case}: not JSON ({error}): {}", answer.body));
    assert_eq!(problem["code"], code, "{case}: {problem}");
    assert_eq!(problem["status"], status.as_u16(), "{case}: {problem}");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|detail| !detail.is_empty()),
        "{case}: {problem}"
    );
    (answer, problem)
}

/// Checks that `response` is one of our HTML pages, in the layout, with
/// `status`, and returns it.
pub(super) async fn assert_page(case: &str, response: TestResponse, status: StatusCode) -> Answer {
    let answer = Answer::of(response).await;
    assert_eq!(answer.status, status, "{case}: {}", answer.body);
    assert_eq!(
        answer.header("content-type"),
        Some("text/html; charset=utf-8"),
        "{case}: {}",
        answer.body
    );
    assert!(
        answer.body.starts_with("<!DOCTYPE html>") && answer.body.contains("· Latch</title>"),
        "{case}: not a page in the layout: {}",
        answer.body
    );
    answer
}

/// Checks that `response` is our error page for `status` (never Poem's
/// plain text), and returns it.
pub(super) async fn assert_error_page(
    case: &str,
    response: TestResponse,
    status: StatusCode,
) -> Answer {
    let answer = assert_page(case, response, status).await;
    let heading = format!("<p class=\"status\">Error {}</p>", status.as_u16());
    assert!(
        answer.body.contains(&heading),
        "{case}: not the error page: {}",
        answer.body
    );
    answer
}

/// Checks that `response` is `303 See Other` to `location`, and returns it.
pub(super) async fn assert_see_other(case: &str, response: TestResponse, location: &str) -> Answer {
    let answer = Answer::of(response).await;
    assert_eq!(
        answer.status,
        StatusCode::SEE_OTHER,
        "{case}: {}",
        answer.body
    );
    assert_eq!(answer.header("location"), Some(location), "{case}");
    answer
}

/// A browser: the CSRF secret in its cookie, a token a page handed it, and
/// whether it holds Alice's session cookie.
pub(super) struct Browser {
    /// The value of its CSRF cookie.
    csrf_secret: String,
    /// A token from its last page (`csrf_token`, `X-CSRF-Token`).
    pub(super) token: String,
    /// Whether it sends Alice's session cookie.
    signed_in: bool,
}

impl Browser {
    /// A first visit to the home page, signed out: keeps the CSRF secret
    /// the page sets and the token it hands out.
    pub(super) async fn visit(client: &Client) -> Self {
        let home = assert_page("home", client.get("/").send().await, StatusCode::OK).await;
        let csrf_secret = home
            .set_cookies()
            .iter()
            .find_map(|cookie| cookie.strip_prefix("latch_csrf="))
            .and_then(|rest| rest.split(';').next())
            .expect("the home page sets the CSRF cookie")
            .to_owned();
        let token = home
            .body
            .split("<meta name=\"csrf-token\" content=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("the home page hands out a CSRF token")
            .to_owned();
        Self {
            csrf_secret,
            token,
            signed_in: false,
        }
    }

    /// The same browser, holding Alice's session cookie, with the token a
    /// page of her session would hand it (tokens are bound to the session;
    /// made here, so that no page request spends a store lookup).
    pub(super) fn signed_in(self) -> Self {
        let jar = CookieJar::default();
        jar.add(Cookie::new_with_str("latch_csrf", &self.csrf_secret));
        jar.add(Cookie::new_with_str("latch_session", token().encode()));
        let token = CsrfProtection::new(&settings().csrf_key, CookiePolicy::new(false, None))
            .token_for(&jar)
            .masked();
        Self {
            token,
            signed_in: true,
            ..self
        }
    }

    /// Its `Cookie` header.
    pub(super) fn cookie(&self) -> String {
        let csrf = format!("latch_csrf={}", self.csrf_secret);
        if self.signed_in {
            format!("{csrf}; latch_session={}", token().encode())
        } else {
            csrf
        }
    }

    /// A request from this browser: its cookies attached.
    pub(super) fn request<'a>(
        &self,
        client: &'a Client,
        method: http::Method,
        path: &str,
    ) -> Call<'a> {
        client
            .request(method, path)
            .header(header::COOKIE, self.cookie())
    }

    /// A form sent from this browser's page: `fields` and its CSRF token.
    pub(super) fn submit<'a>(
        &self,
        client: &'a Client,
        path: &str,
        fields: &[(&str, &str)],
    ) -> Call<'a> {
        let mut fields = fields.to_vec();
        fields.push(("csrf_token", &self.token));
        self.request(client, http::Method::POST, path)
            .content_type("application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(&fields).expect("a form"))
    }
}

/// The server's keyed digest, stood in for by one that ignores its input:
/// these tests present no device tokens.
pub(crate) struct FixedDigests;

impl latch_domain::KeyedDigest for FixedDigests {
    fn digest(&self, _purpose: &str, _message: &[u8]) -> [u8; 32] {
        [5; 32]
    }
}
