//! Second factors over the API: setting up an authenticator app (the test
//! computes its codes from the key, as a phone would), signing in with a
//! password and a code, replays refused, recovery codes once each, and
//! every documented status of the new operations.

use latch_domain::Clock;
use latch_tests::{api::Api, authenticator::Authenticator, clock::ManualClock, server::TestServer};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use time::Duration;

use super::{PASSWORD, assert_problem};

/// `POST`s `body` to `path` with a bearer token.
async fn post(api: &Api, token: &str, path: &str, body: Value) -> Response {
    api.authorized(Method::POST, path, token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// Sets up and confirms an authenticator app for the account of `token`:
/// the app, and the recovery codes the confirmation handed out.
async fn enrol(api: &Api, token: &str, clock: &ManualClock) -> (Authenticator, Vec<String>) {
    let begun = post(api, token, "/me/totp", json!({})).await;
    assert_eq!(begun.status(), StatusCode::CREATED);
    let begun: Value = begun.json().await.unwrap();
    let uri = begun["otpauth_uri"].as_str().unwrap();
    assert!(
        uri.starts_with("otpauth://totp/Latch:alice?secret="),
        "{uri}"
    );
    let app = Authenticator::from_base32(begun["secret"].as_str().unwrap());
    assert_eq!(
        app.code_at(clock.now()),
        Authenticator::from_uri(uri).code_at(clock.now()),
        "the key and the URI hold the same secret"
    );
    let confirmed = post(
        api,
        token,
        "/me/totp/confirm",
        json!({ "code": app.code_at(clock.now()) }),
    )
    .await;
    assert_eq!(confirmed.status(), StatusCode::OK);
    let confirmed: Value = confirmed.json().await.unwrap();
    let codes: Vec<String> = confirmed["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|code| code.as_str().unwrap().to_owned())
        .collect();
    (app, codes)
}

/// `POST /api/login` for an account with a second factor: the pending
/// sign-in, after checking that no session came of it.
async fn password_step(api: &Api, methods: &[&str]) -> String {
    let login = api.login("alice", PASSWORD).await;
    assert_eq!(login.status(), StatusCode::OK);
    let body: Value = login.json().await.unwrap();
    assert_eq!(body["second_factor_required"], true, "{body}");
    assert!(body.get("token").is_none(), "no session yet: {body}");
    assert_eq!(body["methods"], json!(methods), "{body}");
    body["pending"].as_str().unwrap().to_owned()
}

async fn second_step(api: &Api, pending: &str, code: &str) -> Response {
    api.post(
        "/login/second-factor",
        json!({ "pending": pending, "code": code }),
    )
    .await
}

#[tokio::test]
async fn a_password_and_a_fresh_code_sign_in_and_a_replayed_code_does_not() {
    let clock = ManualClock::new();
    let server = TestServer::start_with_clock(&[], clock.clone()).await;
    let api = Api::new(&server);
    let first = api.token_for("alice").await;
    let (app, codes) = enrol(&api, &first, &clock).await;
    assert_eq!(codes.len(), 10);
    assert!(
        codes
            .iter()
            .all(|code| code.len() == 19 && code.matches('-').count() == 3),
        "{codes:?}"
    );

    let me: Value = api.me(&first).await.json().await.unwrap();
    assert_eq!(me["amr"], json!(["pwd"]), "{me}");
    assert!(
        me["second_factors"]["totp"]["confirmed_at"].is_string(),
        "{me}"
    );
    assert_eq!(me["second_factors"]["recovery_codes_left"], 10, "{me}");

    let pending = password_step(&api, &["totp", "recovery_code"]).await;
    // Never a session: not as a bearer token either.
    assert_problem(
        api.me(&pending).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    // The confirmation spent this step's code.
    let replay = second_step(&api, &pending, &app.code_at(clock.now())).await;
    assert_problem(replay, StatusCode::UNPROCESSABLE_ENTITY, "invalid_code").await;

    clock.advance(Duration::seconds(30));
    let signed_in = second_step(&api, &pending, &app.code_at(clock.now())).await;
    assert_eq!(signed_in.status(), StatusCode::OK);
    let signed_in: Value = signed_in.json().await.unwrap();
    let token = signed_in["token"].as_str().unwrap();
    assert!(signed_in["device_token"].is_string(), "{signed_in}");
    let me: Value = api.me(token).await.json().await.unwrap();
    assert_eq!(me["amr"], json!(["pwd", "otp", "mfa"]), "{me}");
    let sessions = api.session_list(token).await;
    let current = sessions.iter().find(|s| s["current"] == true).unwrap();
    assert_eq!(current["amr"], json!(["pwd", "otp", "mfa"]), "{current}");

    // The pending sign-in was used up, and the code with it.
    let again = second_step(&api, &pending, &app.code_at(clock.now())).await;
    assert_problem(again, StatusCode::UNAUTHORIZED, "sign_in_expired").await;
    let pending = password_step(&api, &["totp", "recovery_code"]).await;
    let replay = second_step(&api, &pending, &app.code_at(clock.now())).await;
    assert_problem(replay, StatusCode::UNPROCESSABLE_ENTITY, "invalid_code").await;
}

#[tokio::test]
async fn a_recovery_code_signs_in_once_and_the_count_goes_down() {
    let clock = ManualClock::new();
    let server = TestServer::start_with_clock(&[], clock.clone()).await;
    let api = Api::new(&server);
    let token = api.token_for("alice").await;
    let (_, codes) = enrol(&api, &token, &clock).await;

    let pending = password_step(&api, &["totp", "recovery_code"]).await;
    let typed = codes[0].to_lowercase().replace('-', " ");
    let signed_in = second_step(&api, &pending, &typed).await;
    assert_eq!(signed_in.status(), StatusCode::OK);

    let pending = password_step(&api, &["totp", "recovery_code"]).await;
    let spent = second_step(&api, &pending, &codes[0]).await;
    assert_problem(spent, StatusCode::UNPROCESSABLE_ENTITY, "invalid_code").await;
    let me: Value = api.me(&token).await.json().await.unwrap();
    assert_eq!(me["second_factors"]["recovery_codes_left"], 9, "{me}");

    // New codes replace the old ones, after the password.
    let wrong = post(
        &api,
        &token,
        "/me/recovery-codes",
        json!({ "password": "not it" }),
    )
    .await;
    assert_problem(wrong, StatusCode::FORBIDDEN, "wrong_password").await;
    let fresh = post(
        &api,
        &token,
        "/me/recovery-codes",
        json!({ "password": PASSWORD }),
    )
    .await;
    assert_eq!(fresh.status(), StatusCode::OK);
    let fresh: Value = fresh.json().await.unwrap();
    let fresh = fresh["recovery_codes"][0].as_str().unwrap().to_owned();
    let old = second_step(&api, &pending, &codes[1]).await;
    assert_problem(old, StatusCode::UNPROCESSABLE_ENTITY, "invalid_code").await;
    assert_eq!(
        second_step(&api, &pending, &fresh).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_pending_sign_in_lasts_five_minutes() {
    let clock = ManualClock::new();
    let server = TestServer::start_with_clock(&[], clock.clone()).await;
    let api = Api::new(&server);
    let token = api.token_for("alice").await;
    let (app, _) = enrol(&api, &token, &clock).await;
    let pending = password_step(&api, &["totp", "recovery_code"]).await;
    clock.advance(Duration::minutes(5));
    let late = second_step(&api, &pending, &app.code_at(clock.now())).await;
    assert_problem(late, StatusCode::UNAUTHORIZED, "sign_in_expired").await;
    let made_up = second_step(&api, "not a pending sign-in", "123456").await;
    assert_problem(made_up, StatusCode::UNAUTHORIZED, "sign_in_expired").await;
}

#[tokio::test]
async fn wrong_codes_are_throttled_like_wrong_passwords() {
    let clock = ManualClock::new();
    let server = TestServer::start_with_clock(&[], clock.clone()).await;
    let api = Api::new(&server);
    let token = api.token_for("alice").await;
    let (app, _) = enrol(&api, &token, &clock).await;
    clock.advance(Duration::seconds(30));
    let right = app.code_at(clock.now());
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    let pending = password_step(&api, &["totp", "recovery_code"]).await;
    // The password's count and five wrong codes spend the free failures.
    for _ in 0..5 {
        let refused = second_step(&api, &pending, wrong).await;
        assert_problem(refused, StatusCode::UNPROCESSABLE_ENTITY, "invalid_code").await;
    }
    let throttled = second_step(&api, &pending, &right).await;
    assert_problem(
        throttled,
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_attempts",
    )
    .await;
}

#[tokio::test]
async fn removing_the_app_needs_the_password_and_then_the_password_alone_signs_in() {
    let clock = ManualClock::new();
    let server = TestServer::start_with_clock(&[], clock.clone()).await;
    let api = Api::new(&server);
    let token = api.token_for("alice").await;
    enrol(&api, &token, &clock).await;

    let again = post(&api, &token, "/me/totp", json!({})).await;
    assert_problem(again, StatusCode::CONFLICT, "totp_already_set_up").await;
    let nothing = post(
        &api,
        &token,
        "/me/totp/confirm",
        json!({ "code": "123456" }),
    )
    .await;
    assert_problem(nothing, StatusCode::CONFLICT, "totp_not_pending").await;

    let remove = |password: &'static str| {
        api.authorized(Method::DELETE, "/me/totp", &token)
            .json(&json!({ "password": password }))
            .send()
    };
    assert_problem(
        remove("not it").await.unwrap(),
        StatusCode::FORBIDDEN,
        "wrong_password",
    )
    .await;
    assert_eq!(
        remove(PASSWORD).await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    assert_problem(
        remove(PASSWORD).await.unwrap(),
        StatusCode::CONFLICT,
        "no_second_factor",
    )
    .await;
    let codes = post(
        &api,
        &token,
        "/me/recovery-codes",
        json!({ "password": PASSWORD }),
    )
    .await;
    assert_problem(codes, StatusCode::CONFLICT, "no_second_factor").await;

    let login: Value = api.login("alice", PASSWORD).await.json().await.unwrap();
    assert!(login["token"].is_string(), "{login}");
    let me: Value = api.me(&token).await.json().await.unwrap();
    assert_eq!(me["second_factors"]["totp"], Value::Null, "{me}");
    assert_eq!(me["second_factors"]["recovery_codes_left"], 0, "{me}");
}

#[tokio::test]
async fn an_operator_reset_takes_the_factors_and_every_session() {
    let clock = ManualClock::new();
    let server = TestServer::start_with_clock(&[], clock.clone()).await;
    let api = Api::new(&server);
    let token = api.token_for("alice").await;
    enrol(&api, &token, &clock).await;
    let report = server.operators().show("alice").await.unwrap();
    assert!(report.factors.any());
    assert_eq!(report.factors.recovery_codes_left, 10);

    let reset = server
        .operators()
        .reset_second_factors("alice")
        .await
        .unwrap();
    assert!(reset.authenticator_app);
    assert_eq!(reset.recovery_codes, 10);
    assert_eq!(reset.sessions_ended, 1);
    assert_problem(
        api.me(&token).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;

    let login: Value = api.login("alice", PASSWORD).await.json().await.unwrap();
    let token = login["token"].as_str().unwrap();
    let me: Value = api.me(token).await.json().await.unwrap();
    assert_eq!(me["second_factors"]["totp"], Value::Null, "{me}");
    assert_eq!(me["second_factors"]["recovery_codes_left"], 0, "{me}");
    enrol(&api, token, &clock).await;
}

#[tokio::test]
async fn a_wrong_first_code_leaves_the_app_pending() {
    let clock = ManualClock::new();
    let server = TestServer::start_with_clock(&[], clock.clone()).await;
    let api = Api::new(&server);
    let token = api.token_for("alice").await;
    let begun: Value = post(&api, &token, "/me/totp", json!({}))
        .await
        .json()
        .await
        .unwrap();
    let app = Authenticator::from_base32(begun["secret"].as_str().unwrap());
    let right = app.code_at(clock.now());
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    let refused = post(&api, &token, "/me/totp/confirm", json!({ "code": wrong })).await;
    assert_problem(refused, StatusCode::UNPROCESSABLE_ENTITY, "invalid_code").await;
    let factors: Value = api
        .authorized(Method::GET, "/me/second-factors", &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(factors["totp"]["added_at"].is_string(), "{factors}");
    assert_eq!(factors["totp"]["confirmed_at"], Value::Null, "{factors}");
    // Not a factor yet: the password alone still signs in.
    let login: Value = api.login("alice", PASSWORD).await.json().await.unwrap();
    assert!(login["token"].is_string(), "{login}");
}

#[tokio::test]
async fn without_a_secret_key_no_app_can_be_set_up() {
    let server = TestServer::start_with(&[("LATCH__SERVER__SECRET_KEY", "")]).await;
    let api = Api::new(&server);
    let token = api.token_for("alice").await;
    let refused = post(&api, &token, "/me/totp", json!({})).await;
    assert_problem(refused, StatusCode::CONFLICT, "totp_unavailable").await;
}

#[tokio::test]
async fn the_second_factor_operations_answer_their_documented_errors() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let token = api.token_for("alice").await;
    for (method, path) in [
        (Method::GET, "/me/second-factors"),
        (Method::POST, "/me/totp"),
        (Method::POST, "/me/totp/confirm"),
        (Method::DELETE, "/me/totp"),
        (Method::POST, "/me/recovery-codes"),
    ] {
        let anonymous = api
            .client()
            .request(method.clone(), api.url(path))
            .json(&json!({ "code": "123456", "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_problem(anonymous, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
    for (method, path) in [
        (Method::POST, "/me/totp/confirm"),
        (Method::DELETE, "/me/totp"),
        (Method::POST, "/me/recovery-codes"),
        (Method::POST, "/login/second-factor"),
    ] {
        let malformed = api
            .authorized(method.clone(), path, &token)
            .header("content-type", "application/json")
            .body("{")
            .send()
            .await
            .unwrap();
        assert_problem(malformed, StatusCode::BAD_REQUEST, "malformed_request").await;
        let not_json = api
            .authorized(method, path, &token)
            .header("content-type", "text/plain")
            .body("code=123456")
            .send()
            .await
            .unwrap();
        assert_problem(
            not_json,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        )
        .await;
    }
}
