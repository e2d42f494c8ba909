//! The JSON API's error matrix: every status each operation documents or
//! can reach, as a problem document with its stable `code`.

use latch_domain::{FailedAttempts, PasswordHash, SessionToken, Verification};
use poem::http::{Method, StatusCode, header};
use serde_json::{Value, json};
use time::Duration;

use super::fixture::{
    Browser, Call, Client, Mocks, NEW_PASSWORD, NOW, PASSWORD, Setup, alice, assert_problem,
    bearer, dummy_hash, hasher_down, one_attempt_a_minute, session, settings, small_bodies,
    store_down, token,
};
use crate::{IpNetwork, TrustedProxies, WebSettings};

/// One API operation, with a body it accepts.
#[derive(Clone)]
struct Op {
    /// Its name, for failure messages.
    name: &'static str,
    /// Its method.
    method: Method,
    /// Its path.
    path: String,
    /// A valid body, if it takes one.
    body: Option<Value>,
    /// Whether it needs a signed-in caller.
    caller: bool,
}

impl Op {
    /// An operation of a visitor.
    fn visitor(name: &'static str, method: Method, path: &str, body: Value) -> Self {
        Self {
            name,
            method,
            path: path.to_owned(),
            body: Some(body),
            caller: false,
        }
    }

    /// An operation of a signed-in caller.
    fn caller(name: &'static str, method: Method, path: &str, body: Option<Value>) -> Self {
        Self {
            name,
            method,
            path: path.to_owned(),
            body,
            caller: true,
        }
    }

    /// The same operation with another body.
    fn with_body(&self, body: Value) -> Self {
        Self {
            body: Some(body),
            ..self.clone()
        }
    }

    /// The request, without credentials.
    fn call<'a>(&self, client: &'a Client) -> Call<'a> {
        let call = client.request(self.method.clone(), &self.path);
        match &self.body {
            Some(body) => call.body_json(body),
            None => call,
        }
    }

    /// The request, with Alice's bearer token if the operation needs a
    /// caller.
    fn as_alice<'a>(&self, client: &'a Client) -> Call<'a> {
        let call = self.call(client);
        if self.caller {
            call.header(header::AUTHORIZATION, bearer())
        } else {
            call
        }
    }
}

/// `POST /api/register`.
fn register() -> Op {
    let body = json!({ "username": "bob", "password": PASSWORD });
    Op::visitor("register", Method::POST, "/api/register", body)
}

/// `POST /api/login`, as Alice.
fn login() -> Op {
    let body = json!({ "username": "alice", "password": PASSWORD });
    Op::visitor("login", Method::POST, "/api/login", body)
}

/// `POST /api/logout`.
fn logout() -> Op {
    Op::caller("logout", Method::POST, "/api/logout", None)
}

/// `GET /api/me`.
fn me() -> Op {
    Op::caller("me", Method::GET, "/api/me", None)
}

/// `DELETE /api/me`.
fn delete_account() -> Op {
    let body = json!({ "password": PASSWORD });
    Op::caller("delete account", Method::DELETE, "/api/me", Some(body))
}

/// `POST /api/me/password`.
fn change_password() -> Op {
    let body = json!({ "current_password": PASSWORD, "new_password": NEW_PASSWORD });
    Op::caller(
        "change password",
        Method::POST,
        "/api/me/password",
        Some(body),
    )
}

/// `GET /api/me/sessions`.
fn sessions() -> Op {
    Op::caller("sessions", Method::GET, "/api/me/sessions", None)
}

/// `DELETE /api/me/sessions`.
fn end_other_sessions() -> Op {
    Op::caller(
        "end other sessions",
        Method::DELETE,
        "/api/me/sessions",
        None,
    )
}

/// `DELETE /api/me/sessions/{id}` for a session with public id `id`.
fn end_session_with(id: &str) -> Op {
    let path = format!("/api/me/sessions/{id}");
    Op::caller("end session", Method::DELETE, &path, None)
}

/// `DELETE /api/me/sessions/{id}` for the calling session.
fn end_session() -> Op {
    end_session_with(&token().id().public_id())
}

/// Every operation that needs a signed-in caller.
fn caller_ops() -> Vec<Op> {
    vec![
        logout(),
        me(),
        delete_account(),
        change_password(),
        sessions(),
        end_other_sessions(),
        end_session(),
    ]
}

/// The operations that change something (so need CSRF proof with a cookie).
fn unsafe_caller_ops() -> Vec<Op> {
    caller_ops()
        .into_iter()
        .filter(|op| !op.method.is_safe())
        .collect()
}

/// The operations that read a JSON body.
fn body_ops() -> Vec<Op> {
    vec![register(), login(), delete_account(), change_password()]
}

/// A sign-in attempt for an unknown username fails, counted.
fn unknown_usernames(mocks: &mut Mocks) {
    mocks
        .attempts
        .expect_failed_attempts()
        .returning(|_| Ok(None));
    mocks.users.expect_user_by_key().returning(|_| Ok(None));
    mocks
        .hasher
        .expect_verify()
        .returning(|_, _| Ok(Verification::Mismatch));
    mocks
        .attempts
        .expect_record_failed_attempt_if()
        .returning(|_, _, _| Ok(true));
}

/// Every password Alice gives again is wrong.
fn wrong_passwords(mocks: &mut Mocks) {
    mocks
        .hasher
        .expect_verify()
        .returning(|_, _| Ok(Verification::Mismatch));
}

#[tokio::test]
async fn unknown_paths_are_404_not_found() {
    let client = Mocks::new().serve(settings()).await;
    for path in [
        "/api",
        "/api/",
        "/api/nothing",
        "/api/me/nothing",
        "/api/me/sessions/",
        "/api/me/sessions/a/b",
    ] {
        let response = client.get(path).send().await;
        assert_problem(path, response, StatusCode::NOT_FOUND, "not_found").await;
    }
}

#[tokio::test]
async fn wrong_methods_are_405_method_not_allowed() {
    let client = Mocks::new().serve(settings()).await;
    let cases = [
        (Method::GET, "/api/register"),
        (Method::GET, "/api/login"),
        (Method::GET, "/api/logout"),
        (Method::PUT, "/api/me"),
        (Method::GET, "/api/me/password"),
        (Method::POST, "/api/me/sessions"),
        (Method::GET, "/api/me/sessions/0123"),
        (Method::PATCH, "/api/me/sessions/0123"),
    ];
    for (method, path) in cases {
        let case = format!("{method} {path}");
        let response = client.request(method, path).send().await;
        assert_problem(
            &case,
            response,
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        )
        .await;
    }
}

#[tokio::test]
async fn malformed_json_is_400_malformed_request() {
    let client = Mocks::new().signed_in().serve(settings()).await;
    for op in body_ops() {
        for body in ["{\"password\": ", "[]", "{}", "{\"password\": [\"x\"]}"] {
            let case = format!("{} with {body}", op.name);
            let response = op
                .as_alice(&client)
                .content_type("application/json")
                .body(body)
                .send()
                .await;
            assert_problem(
                &case,
                response,
                StatusCode::BAD_REQUEST,
                "malformed_request",
            )
            .await;
        }
    }
}

#[tokio::test]
async fn bodies_over_the_limit_are_413_payload_too_large() {
    let client = Mocks::new().serve(small_bodies(64)).await;
    let small = json!({ "username": "bob", "password": "short" });
    let response = register().with_body(small).call(&client).send().await;
    response.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let big = json!({ "username": "bob", "password": "p".repeat(64) });
    let length = big.to_string().len().to_string();
    let unsafe_ops = [register(), login()].into_iter().chain(unsafe_caller_ops());
    for op in unsafe_ops {
        for announced in [false, true] {
            let case = format!("{} (length announced: {announced})", op.name);
            let call = op.with_body(big.clone()).call(&client);
            let call = if announced {
                call.header(header::CONTENT_LENGTH, length.as_str())
            } else {
                call
            };
            let response = call.send().await;
            assert_problem(
                &case,
                response,
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
            )
            .await;
        }
    }
}

#[tokio::test]
async fn bodies_that_are_not_json_are_415_unsupported_media_type() {
    let client = Mocks::new().signed_in().serve(settings()).await;
    for op in body_ops() {
        let body = op.body.as_ref().map(Value::to_string).unwrap_or_default();
        for content_type in [
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
            None,
        ] {
            let case = format!("{} as {content_type:?}", op.name);
            let mut request = client
                .request(op.method.clone(), &op.path)
                .header(header::AUTHORIZATION, bearer())
                .body(body.clone());
            if let Some(content_type) = content_type {
                request = request.content_type(content_type);
            }
            let response = request.send().await;
            assert_problem(
                &case,
                response,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
            )
            .await;
        }
    }
}

#[tokio::test]
async fn invalid_fields_are_422_invalid_input_naming_each() {
    let mut mocks = Mocks::new().signed_in();
    mocks
        .hasher
        .expect_verify()
        .returning(|_, _| Ok(Verification::Match));
    let client = mocks.serve(settings()).await;
    let cases = [
        (
            register().with_body(json!({ "username": "a!", "password": "short" })),
            vec!["username", "password"],
        ),
        (
            change_password()
                .with_body(json!({ "current_password": PASSWORD, "new_password": "short" })),
            vec!["new_password"],
        ),
    ];
    for (op, fields) in cases {
        let response = op.as_alice(&client).send().await;
        let (_, problem) = assert_problem(
            op.name,
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        )
        .await;
        let named: Vec<&str> = problem["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .filter_map(|error| error["field"].as_str())
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(named, fields, "{}: {problem}", op.name);
    }
}

#[tokio::test]
async fn a_taken_username_is_409_username_taken() {
    let mut mocks = Mocks::new();
    mocks
        .users
        .expect_user_by_key()
        .returning(|_| Ok(Some(alice())));
    let client = mocks.serve(settings()).await;
    let op = register().with_body(json!({ "username": "Alice", "password": NEW_PASSWORD }));
    let response = op.call(&client).send().await;
    assert_problem(op.name, response, StatusCode::CONFLICT, "username_taken").await;
}

#[tokio::test]
async fn wrong_credentials_are_401_invalid_credentials_whichever_was_wrong() {
    let mut details = Vec::new();
    for (case, known) in [("unknown username", false), ("wrong password", true)] {
        let mut mocks = Mocks::new();
        mocks
            .attempts
            .expect_failed_attempts()
            .returning(|_| Ok(None));
        mocks
            .users
            .expect_user_by_key()
            .returning(move |_| Ok(known.then(alice)));
        mocks
            .hasher
            .expect_verify()
            .times(1)
            .returning(|_, _| Ok(Verification::Mismatch));
        mocks
            .attempts
            .expect_record_failed_attempt_if()
            .times(1)
            .returning(|_, _, _| Ok(true));
        let client = mocks.serve(settings()).await;
        let response = login().call(&client).send().await;
        let (_, problem) = assert_problem(
            case,
            response,
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
        )
        .await;
        details.push(problem["detail"].clone());
    }
    assert_eq!(details[0], details[1], "one answer for both");
}

#[tokio::test]
async fn a_throttled_username_is_429_too_many_attempts_with_retry_after() {
    let mut mocks = Mocks::new();
    mocks.attempts.expect_failed_attempts().returning(|_| {
        Ok(Some(FailedAttempts {
            count: 20,
            last_failed_at: NOW,
        }))
    });
    // Only the dummy hash is checked: not even the right password helps.
    mocks
        .hasher
        .expect_verify()
        .withf(|_, hash| *hash == dummy_hash())
        .times(1)
        .returning(|_, _| Ok(Verification::Match));
    let client = mocks.serve(settings()).await;
    let response = login().call(&client).send().await;
    let (answer, _) = assert_problem(
        "throttled",
        response,
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_attempts",
    )
    .await;
    assert_eq!(
        answer.retry_after("throttled"),
        15 * 60,
        "the longest delay"
    );
}

/// A credential that opens no live session, and what the store says of it.
type Refusal = (&'static str, Option<String>, Setup);

/// Every way a caller can fail to be signed in.
fn not_signed_in() -> Vec<Refusal> {
    let unknown = format!(
        "Bearer {}",
        SessionToken::from_random_bytes([8; 32]).encode()
    );
    vec![
        ("no credentials", None, |_| {}),
        (
            "a malformed bearer token",
            Some("Bearer not-a-token".to_owned()),
            |_| {},
        ),
        (
            "another scheme",
            Some("Basic YWxpY2U6cGFzc3dvcmQ=".to_owned()),
            |_| {},
        ),
        ("an unknown token", Some(unknown), |mocks| {
            mocks
                .sessions
                .expect_session_with_user()
                .returning(|_| Ok(None));
        }),
        ("an expired session", Some(bearer()), |mocks| {
            let mut expired = session();
            expired.expires_at = NOW;
            mocks
                .sessions
                .expect_session_with_user()
                .returning(move |_| Ok(Some((expired.clone(), alice()))));
            mocks
                .sessions
                .expect_delete_session()
                .times(1)
                .returning(|_| Ok(true));
        }),
        (
            "a session from before a password change",
            Some(bearer()),
            |mocks| {
                let mut stale = session();
                stale.credential_version -= 1;
                mocks
                    .sessions
                    .expect_session_with_user()
                    .returning(move |_| Ok(Some((stale.clone(), alice()))));
                mocks
                    .sessions
                    .expect_delete_session()
                    .times(1)
                    .returning(|_| Ok(true));
            },
        ),
        ("an idle session", Some(bearer()), |mocks| {
            let mut idle = session();
            idle.last_seen_at = NOW - Duration::minutes(30);
            mocks
                .sessions
                .expect_session_with_user()
                .returning(move |_| Ok(Some((idle.clone(), alice()))));
            mocks
                .sessions
                .expect_delete_session()
                .times(1)
                .returning(|_| Ok(true));
        }),
    ]
}

#[tokio::test]
async fn every_caller_operation_without_a_live_session_is_401_unauthorized() {
    for op in caller_ops() {
        for (refusal, authorization, store) in not_signed_in() {
            let case = format!("{} with {refusal}", op.name);
            let mut mocks = Mocks::new();
            store(&mut mocks);
            let client = mocks.serve(settings()).await;
            let mut call = op.call(&client);
            if let Some(authorization) = authorization {
                call = call.header(header::AUTHORIZATION, authorization);
            }
            let response = call.send().await;
            assert_problem(&case, response, StatusCode::UNAUTHORIZED, "unauthorized").await;
        }
    }
}

#[tokio::test]
async fn an_account_gone_during_the_request_is_401_unauthorized() {
    let mut mocks = Mocks::new().signed_in();
    mocks
        .hasher
        .expect_verify()
        .returning(|_, _| Ok(Verification::Match));
    mocks
        .hasher
        .expect_hash()
        .returning(|_| Ok(PasswordHash::new("$argon2id$new")));
    mocks
        .users
        .expect_replace_password()
        .times(1)
        .returning(|_, _| Ok(None));
    mocks
        .users
        .expect_delete_user()
        .times(1)
        .returning(|_| Ok(false));
    let client = mocks.serve(settings()).await;
    for op in [change_password(), delete_account()] {
        let response = op.as_alice(&client).send().await;
        assert_problem(op.name, response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
}

#[tokio::test]
async fn cookie_calls_that_change_something_without_x_csrf_token_are_403_csrf_failed() {
    let client = Mocks::new().signed_in().serve(settings()).await;
    let browser = Browser::visit(&client).await.signed_in();
    let other_browser = Browser::visit(&client).await;
    for op in unsafe_caller_ops() {
        for (presented, token) in [
            ("no token", None),
            (
                "another browser's token",
                Some(other_browser.token.as_str()),
            ),
            ("a forged token", Some("Zm9yZ2Vk")),
        ] {
            let case = format!("{} with {presented}", op.name);
            let mut call = browser.request(&client, op.method.clone(), &op.path);
            if let Some(body) = &op.body {
                call = call.body_json(body);
            }
            if let Some(token) = token {
                call = call.header("x-csrf-token", token);
            }
            let response = call.send().await;
            assert_problem(&case, response, StatusCode::FORBIDDEN, "csrf_failed").await;
        }
    }
}

#[tokio::test]
async fn a_cookie_call_with_its_csrf_token_or_a_safe_method_is_let_through() {
    let mut mocks = Mocks::new().signed_in();
    mocks
        .sessions
        .expect_delete_session()
        .times(1)
        .returning(|_| Ok(true));
    let client = mocks.serve(settings()).await;
    let browser = Browser::visit(&client).await.signed_in();
    let me = browser
        .request(&client, Method::GET, "/api/me")
        .send()
        .await;
    me.assert_status_is_ok();
    let logout = browser
        .request(&client, Method::POST, "/api/logout")
        .header("x-csrf-token", browser.token.as_str())
        .send()
        .await;
    logout.assert_status(StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn a_wrong_password_is_403_wrong_password_naming_its_field() {
    let mut mocks = Mocks::new().signed_in();
    wrong_passwords(&mut mocks);
    let client = mocks.serve(settings()).await;
    for (op, field) in [
        (change_password(), "current_password"),
        (delete_account(), "password"),
    ] {
        let response = op.as_alice(&client).send().await;
        let (_, problem) =
            assert_problem(op.name, response, StatusCode::FORBIDDEN, "wrong_password").await;
        assert_eq!(
            problem["errors"][0]["field"], field,
            "{}: {problem}",
            op.name
        );
    }
}

#[tokio::test]
async fn ending_a_session_the_account_does_not_have_is_404_session_not_found() {
    let mut mocks = Mocks::new().signed_in();
    mocks
        .sessions
        .expect_user_sessions()
        .returning(|_| Ok(vec![session()]));
    let client = mocks.serve(settings()).await;
    for id in ["0123456789abcdef0123456789abcdef", "not-an-id"] {
        let response = end_session_with(id).as_alice(&client).send().await;
        assert_problem(id, response, StatusCode::NOT_FOUND, "session_not_found").await;
    }
}

/// A rate-limit case: a first call that spends the client's allowance
/// (with what the store says to it), then a second that finds none left.
type SpentAllowance = (&'static str, Op, StatusCode, Op, Setup);

#[tokio::test]
async fn rate_limits_are_429_rate_limited_with_retry_after() {
    let short = json!({ "username": "bob", "password": "short" });
    let cases: [SpentAllowance; 5] = [
        (
            "sign-ups",
            register().with_body(short.clone()),
            StatusCode::UNPROCESSABLE_ENTITY,
            register(),
            |_| {},
        ),
        (
            "sign-ins",
            login(),
            StatusCode::UNAUTHORIZED,
            login(),
            unknown_usernames,
        ),
        (
            "password changes",
            change_password(),
            StatusCode::FORBIDDEN,
            change_password(),
            wrong_passwords,
        ),
        (
            "account deletions",
            delete_account(),
            StatusCode::FORBIDDEN,
            delete_account(),
            wrong_passwords,
        ),
        (
            "a password check after a sign-in",
            login(),
            StatusCode::UNAUTHORIZED,
            change_password(),
            unknown_usernames,
        ),
    ];
    for (case, first, first_status, second, store) in cases {
        let mut mocks = Mocks::new().signed_in();
        store(&mut mocks);
        let client = mocks.serve(one_attempt_a_minute()).await;
        first
            .as_alice(&client)
            .send()
            .await
            .assert_status(first_status);
        let response = second.as_alice(&client).send().await;
        let (answer, _) = assert_problem(
            case,
            response,
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
        )
        .await;
        assert!(answer.retry_after(case) <= 60, "{case}: within the minute");
    }
}

#[tokio::test]
async fn the_rate_limit_counts_the_client_a_trusted_proxy_names() {
    let proxies = TrustedProxies::new(vec![IpNetwork::parse("10.0.0.0/8").expect("a network")]);
    let settings = WebSettings {
        trusted_proxies: proxies,
        ..one_attempt_a_minute()
    };
    let client = Mocks::new().serve_from("10.0.0.2:4000", settings).await;
    let short = register().with_body(json!({ "username": "bob", "password": "short" }));
    let from = |client_ip: &'static str| {
        short
            .call(&client)
            .header("x-forwarded-for", client_ip)
            .send()
    };
    from("198.51.100.1")
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let response = from("198.51.100.1").await;
    assert_problem(
        "the same client again",
        response,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
    )
    .await;
    from("198.51.100.2")
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_client_cannot_escape_the_rate_limit_by_naming_another_address() {
    let proxies = TrustedProxies::new(vec![IpNetwork::parse("10.0.0.0/8").expect("a network")]);
    let settings = WebSettings {
        trusted_proxies: proxies,
        ..one_attempt_a_minute()
    };
    let client = Mocks::new().serve(settings).await;
    let short = register().with_body(json!({ "username": "bob", "password": "short" }));
    short
        .call(&client)
        .header("x-forwarded-for", "198.51.100.1")
        .send()
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let response = short
        .call(&client)
        .header("x-forwarded-for", "198.51.100.2")
        .send()
        .await;
    assert_problem(
        "a direct client naming another address",
        response,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
    )
    .await;
}

/// An operation, and the store failing under it.
type Outage = (Op, Setup);

#[tokio::test]
async fn a_store_outage_is_503_storage_unavailable() {
    let cases: [Outage; 9] = [
        (register(), |mocks| {
            mocks
                .users
                .expect_user_by_key()
                .returning(|_| Err(store_down()));
        }),
        (login(), |mocks| {
            mocks
                .attempts
                .expect_failed_attempts()
                .returning(|_| Err(store_down()));
        }),
        (logout(), |mocks| {
            mocks
                .sessions
                .expect_delete_session()
                .returning(|_| Err(store_down()));
        }),
        (sessions(), |mocks| {
            mocks
                .sessions
                .expect_user_sessions()
                .returning(|_| Err(store_down()));
        }),
        (end_other_sessions(), |mocks| {
            mocks
                .sessions
                .expect_delete_other_sessions()
                .returning(|_, _| Err(store_down()));
        }),
        (end_session(), |mocks| {
            mocks
                .sessions
                .expect_user_sessions()
                .returning(|_| Err(store_down()));
        }),
        (end_session(), |mocks| {
            mocks
                .sessions
                .expect_user_sessions()
                .returning(|_| Ok(vec![session()]));
            mocks
                .sessions
                .expect_delete_session()
                .returning(|_| Err(store_down()));
        }),
        (change_password(), |mocks| {
            mocks
                .hasher
                .expect_verify()
                .returning(|_, _| Ok(Verification::Match));
            mocks
                .hasher
                .expect_hash()
                .returning(|_| Ok(PasswordHash::new("$argon2id$new")));
            mocks
                .users
                .expect_replace_password()
                .returning(|_, _| Err(store_down()));
        }),
        (delete_account(), |mocks| {
            mocks
                .hasher
                .expect_verify()
                .returning(|_, _| Ok(Verification::Match));
            mocks
                .users
                .expect_delete_user()
                .returning(|_| Err(store_down()));
        }),
    ];
    for (op, store) in cases {
        let mut mocks = Mocks::new().signed_in();
        store(&mut mocks);
        let client = mocks.serve(settings()).await;
        let response = op.as_alice(&client).send().await;
        assert_problem(
            op.name,
            response,
            StatusCode::SERVICE_UNAVAILABLE,
            "storage_unavailable",
        )
        .await;
    }
}

#[tokio::test]
async fn a_store_outage_while_finding_the_caller_is_503_storage_unavailable() {
    for op in caller_ops() {
        let mut mocks = Mocks::new();
        mocks
            .sessions
            .expect_session_with_user()
            .returning(|_| Err(store_down()));
        let client = mocks.serve(settings()).await;
        let response = op.as_alice(&client).send().await;
        assert_problem(
            op.name,
            response,
            StatusCode::SERVICE_UNAVAILABLE,
            "storage_unavailable",
        )
        .await;
    }
}

#[tokio::test]
async fn a_hasher_failure_is_503_temporarily_unavailable() {
    let cases: [Outage; 4] = [
        (register(), |mocks| {
            mocks.users.expect_user_by_key().returning(|_| Ok(None));
            mocks.hasher.expect_hash().returning(|_| Err(hasher_down()));
        }),
        (login(), |mocks| {
            mocks
                .attempts
                .expect_failed_attempts()
                .returning(|_| Ok(None));
            mocks
                .users
                .expect_user_by_key()
                .returning(|_| Ok(Some(alice())));
            mocks
                .hasher
                .expect_verify()
                .returning(|_, _| Err(hasher_down()));
        }),
        (change_password(), |mocks| {
            mocks
                .hasher
                .expect_verify()
                .returning(|_, _| Err(hasher_down()));
        }),
        (delete_account(), |mocks| {
            mocks
                .hasher
                .expect_verify()
                .returning(|_, _| Err(hasher_down()));
        }),
    ];
    for (op, hasher) in cases {
        let mut mocks = Mocks::new().signed_in();
        hasher(&mut mocks);
        let client = mocks.serve(settings()).await;
        let response = op.as_alice(&client).send().await;
        assert_problem(
            op.name,
            response,
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
        )
        .await;
    }
}
