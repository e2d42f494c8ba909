//! The JSON API end to end: the real server on a free port, real HTTP, and
//! every documented status of every operation.

// Test code: a failed step is a failed test.
#![allow(clippy::unwrap_used)]

use latch_tests::{
    api::{Api, PASSWORD},
    browser::Browser,
    clock::ManualClock,
    server::TestServer,
};
use reqwest::{Client, Response, StatusCode, header};
use serde_json::{Value, json};

mod me;
mod second_factors;

/// Checks a problem document: media type, shape, status and code.
async fn assert_problem(response: Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(response.status(), status);
    let content_type = response.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("application/problem+json"),
        "{content_type}"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status.as_u16(), "{body}");
    assert!(
        body["type"].is_string() && body["title"].is_string() && body["detail"].is_string(),
        "{body}"
    );
    body
}

fn assert_user(user: &Value, username: &str) {
    assert_eq!(user["username"], username, "{user}");
    assert!(
        user["id"].as_str().is_some_and(|id| id.len() == 36),
        "{user}"
    );
    assert!(user["created_at"].is_string(), "{user}");
    assert!(
        user.get("password_hash").is_none() && !user.to_string().contains("argon2"),
        "{user}"
    );
}

#[tokio::test]
async fn register_log_in_me_log_out_then_me_is_refused() {
    let server = TestServer::start().await;
    let api = Api::new(&server);

    let created = api.register("Alice", PASSWORD).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.unwrap();
    assert_user(&created["user"], "Alice");
    assert!(created["user"]["last_login_at"].is_null());

    let login = api.login("alice", PASSWORD).await;
    assert_eq!(login.status(), StatusCode::OK);
    assert_eq!(
        login.headers()[header::CACHE_CONTROL],
        "no-store",
        "tokens are never cached"
    );
    let login: Value = login.json().await.unwrap();
    assert_eq!(login["token_type"], "Bearer");
    assert!(login["expires_at"].is_string());
    assert_user(&login["user"], "Alice");
    let token = login["token"].as_str().unwrap();

    let me = api.me(token).await;
    assert_eq!(me.status(), StatusCode::OK);
    let me: Value = me.json().await.unwrap();
    assert_user(&me["user"], "Alice");
    assert!(me["user"]["last_login_at"].is_string());

    let logout = api.logout(token).await;
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    assert_problem(
        api.me(token).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    assert_problem(
        api.logout(token).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
}

#[tokio::test]
async fn bearer_clients_are_never_handed_a_csrf_cookie() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let registered = api.register("alice", PASSWORD).await;
    assert_eq!(set_cookies(&registered).count(), 0);
    let logged_in = api.login("alice", PASSWORD).await;
    assert_eq!(set_cookies(&logged_in).count(), 0);
    let token: Value = logged_in.json().await.unwrap();
    let me = api.me(token["token"].as_str().unwrap()).await;
    assert_eq!(me.status(), StatusCode::OK);
    assert_eq!(set_cookies(&me).count(), 0);
}

/// The `Set-Cookie` headers of a response.
fn set_cookies(response: &Response) -> impl Iterator<Item = &str> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
}

#[tokio::test]
async fn registration_errors_are_problem_documents() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    api.register("alice", PASSWORD).await;

    assert_problem(
        api.register("ALICE", PASSWORD).await,
        StatusCode::CONFLICT,
        "username_taken",
    )
    .await;

    let invalid = assert_problem(
        api.register("a", "short").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    )
    .await;
    let fields: Vec<&str> = invalid["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| error["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["username", "password"]);
    assert!(
        !invalid.to_string().contains("short\""),
        "the password is never echoed"
    );
}

#[tokio::test]
async fn a_look_alike_of_a_taken_name_is_taken() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let created = api.register("admin", PASSWORD).await;
    assert_eq!(created.status(), StatusCode::CREATED);

    // A Cyrillic а, a Greek α, `rn` for `m`, a zero-width space.
    for look_alike in ["\u{0430}dmin", "\u{03B1}dmin", "adrnin", "ad\u{200B}min"] {
        let refused = api.register(look_alike, PASSWORD).await;
        assert_problem(refused, StatusCode::CONFLICT, "username_taken").await;
    }
    // A mixed-script name that looks like no account says what is wrong.
    let mixed = assert_problem(
        api.register("\u{0430}lice", PASSWORD).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    )
    .await;
    assert_eq!(mixed["errors"][0]["field"], "username", "{mixed}");
    assert!(
        mixed["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("one script"),
        "{mixed}"
    );
    assert_eq!(api.login("ADMIN", PASSWORD).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn malformed_requests_get_4xx_problems_never_500() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let url = api.url("/register");
    let send = |content_type: &'static str, body: Vec<u8>| {
        api.client()
            .post(&url)
            .header(header::CONTENT_TYPE, content_type)
            .body(body)
            .send()
    };

    let broken = send("application/json", b"{\"username\": ".to_vec())
        .await
        .unwrap();
    assert_problem(broken, StatusCode::BAD_REQUEST, "malformed_request").await;
    let wrong_type = send(
        "application/json",
        br#"{"username": 5, "password": []}"#.to_vec(),
    )
    .await
    .unwrap();
    assert_problem(wrong_type, StatusCode::BAD_REQUEST, "malformed_request").await;
    let missing = send("application/json", br#"{"username": "bob"}"#.to_vec())
        .await
        .unwrap();
    assert_problem(missing, StatusCode::BAD_REQUEST, "malformed_request").await;
    let form = send(
        "application/x-www-form-urlencoded",
        b"username=bob".to_vec(),
    )
    .await
    .unwrap();
    assert_problem(
        form,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    let huge = send("application/json", vec![b' '; 17 * 1024])
        .await
        .unwrap();
    assert_problem(huge, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;

    let login_url = api.url("/login");
    let login_form = api
        .client()
        .post(&login_url)
        .header(header::CONTENT_TYPE, "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_problem(
        login_form,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    let login_broken = api
        .client()
        .post(&login_url)
        .header(header::CONTENT_TYPE, "application/json")
        .body("[]")
        .send()
        .await
        .unwrap();
    assert_problem(login_broken, StatusCode::BAD_REQUEST, "malformed_request").await;
    let login_huge = api
        .client()
        .post(&login_url)
        .header(header::CONTENT_TYPE, "application/json")
        .body(vec![b' '; 17 * 1024])
        .send()
        .await
        .unwrap();
    assert_problem(
        login_huge,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    )
    .await;

    let unknown = api.client().get(api.url("/nothing")).send().await.unwrap();
    assert_problem(unknown, StatusCode::NOT_FOUND, "not_found").await;
    let wrong_method = api.client().get(&login_url).send().await.unwrap();
    assert_problem(
        wrong_method,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    )
    .await;
}

#[tokio::test]
async fn unknown_users_and_wrong_passwords_get_the_same_401() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    api.register("alice", PASSWORD).await;
    let unknown = assert_problem(
        api.login("nobody", PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    let wrong = assert_problem(
        api.login("alice", "not the right password").await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    assert_eq!(unknown, wrong);
}

#[tokio::test]
async fn bad_bearer_tokens_are_refused() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    assert_problem(
        api.me("not-a-token").await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    let unknown = "A".repeat(43);
    assert_problem(
        api.me(&unknown).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    let anonymous = api.client().get(api.url("/me")).send().await.unwrap();
    assert_problem(anonymous, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

#[tokio::test]
async fn page_and_api_sessions_are_the_same_sessions() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let token = api.token_for("alice").await;

    // The API's token is a session like the pages': as a cookie it signs in.
    let browser = Browser::new(server.base_url());
    browser.set_cookie("latch_session", &token);
    assert!(browser.get("/").await.contains("You are logged in"));
    api.logout(&token).await;
    assert!(browser.get("/").await.contains("You are not logged in"));
}

#[tokio::test]
async fn cookie_callers_need_the_csrf_header_for_unsafe_methods() {
    let server = TestServer::start().await;
    let browser = Browser::new(server.base_url());
    browser.register("alice", PASSWORD).await;
    browser.log_in("alice", PASSWORD).await;
    // Signing in rotates the CSRF key; the next page brings a new one.
    browser.get("/").await;
    let cookies = format!(
        "latch_session={}; latch_csrf={}",
        browser.cookie("latch_session").unwrap(),
        browser.cookie("latch_csrf").unwrap()
    );
    let client = Client::new();
    let url = |path: &str| format!("{}/api{path}", server.base_url());

    let me = client
        .get(url("/me"))
        .header(header::COOKIE, &cookies)
        .send()
        .await
        .unwrap();
    assert_eq!(
        me.status(),
        StatusCode::OK,
        "a safe method needs no CSRF token"
    );

    let no_header = client
        .post(url("/logout"))
        .header(header::COOKIE, &cookies)
        .send()
        .await
        .unwrap();
    assert_problem(no_header, StatusCode::FORBIDDEN, "csrf_failed").await;
    let forged = client
        .post(url("/logout"))
        .header(header::COOKIE, &cookies)
        .header("X-CSRF-Token", "forged")
        .send()
        .await
        .unwrap();
    assert_problem(forged, StatusCode::FORBIDDEN, "csrf_failed").await;
    assert!(
        browser.get("/").await.contains("You are logged in"),
        "nothing changed"
    );

    // The token a page carries for scripts works.
    let page = browser.get("/").await;
    let marker = r#"<meta name="csrf-token" content=""#;
    let start = page.body.find(marker).unwrap() + marker.len();
    let end = start + page.body[start..].find('"').unwrap();
    let token = page.body[start..end].replace("&#x2f;", "/");
    let cookies = format!(
        "latch_session={}; latch_csrf={}",
        browser.cookie("latch_session").unwrap(),
        browser.cookie("latch_csrf").unwrap()
    );
    let logout = client
        .post(url("/logout"))
        .header(header::COOKIE, &cookies)
        .header("X-CSRF-Token", token)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    assert!(browser.get("/").await.contains("You are not logged in"));
}

#[tokio::test]
async fn a_broken_store_is_a_503_problem_and_the_process_stays_up() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let token = api.token_for("alice").await;

    // Break the store underneath the running server, through a connection
    // of its own: every query now fails.
    let database = server.data_dir().join("latch.db");
    rusqlite::Connection::open(&database)
        .unwrap()
        .execute_batch("PRAGMA foreign_keys = OFF; DROP TABLE sessions; DROP TABLE users;")
        .unwrap();

    assert_problem(
        api.register("bob", PASSWORD).await,
        StatusCode::SERVICE_UNAVAILABLE,
        "storage_unavailable",
    )
    .await;
    assert_problem(
        api.login("alice", PASSWORD).await,
        StatusCode::SERVICE_UNAVAILABLE,
        "storage_unavailable",
    )
    .await;
    assert_problem(
        api.me(&token).await,
        StatusCode::SERVICE_UNAVAILABLE,
        "storage_unavailable",
    )
    .await;
    assert_problem(
        api.logout(&token).await,
        StatusCode::SERVICE_UNAVAILABLE,
        "storage_unavailable",
    )
    .await;

    let browser = Browser::new(server.base_url());
    let page = browser.log_in("alice", PASSWORD).await;
    assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(page.contains("temporarily unavailable"));
    assert_eq!(
        browser.get("/health/ready").await.status,
        StatusCode::OK,
        "SELECT 1 still answers"
    );
    assert_eq!(browser.get("/health/live").await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_served_openapi_document_is_the_committed_one() {
    let server = TestServer::start().await;
    let served: Value = Client::new()
        .get(format!("{}/api/openapi.json", server.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.json");
    if std::env::var_os("LATCH_UPDATE_OPENAPI").is_some() {
        let text = serde_json::to_string_pretty(&served).unwrap();
        std::fs::write(path, text + "\n").unwrap();
    }
    let committed: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(
        served == committed,
        "the API changed: review it, then run `LATCH_UPDATE_OPENAPI=1 cargo test -p latch-tests --test e2e the_served_openapi_document` and commit docs/openapi.json"
    );

    // Every operation documents its security and its problem responses.
    for (path, method) in [("/register", "post"), ("/login", "post")] {
        let operation = &served["paths"][path][method];
        assert!(operation.is_object(), "{path} {method} is documented");
    }
    for (path, method) in [
        ("/logout", "post"),
        ("/me", "get"),
        ("/me", "delete"),
        ("/me/password", "post"),
        ("/me/sessions", "get"),
        ("/me/sessions", "delete"),
        ("/me/sessions/{id}", "delete"),
    ] {
        let operation = &served["paths"][path][method];
        assert_eq!(
            operation["security"],
            json!([{ "bearer": [] }, { "session_cookie": [] }]),
            "{path} {method}"
        );
        let responses = operation["responses"].as_object().unwrap();
        assert!(responses.contains_key("401"), "{path} {method}");
        assert!(responses.contains_key("503"), "{path} {method}");
    }
    let schemes = &served["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["session_cookie"]["in"], "cookie");
}

#[tokio::test]
async fn the_docs_ui_is_served_by_the_app_itself() {
    let server = TestServer::start().await;
    let docs = Client::new()
        .get(format!("{}/api/docs", server.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(docs.status(), StatusCode::OK);
    let policy = docs.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(policy.contains("default-src 'self'"), "{policy}");
    let html = docs.text().await.unwrap();
    assert!(html.contains("SwaggerUIBundle"));
    for external in ["src=\"http", "href=\"http", "src=\"//", "href=\"//"] {
        assert!(
            !html.contains(external),
            "no CDN: everything is inline ({external})"
        );
    }
}

#[tokio::test]
async fn throttled_sign_ins_get_429_with_retry_after_whether_or_not_the_account_exists() {
    let clock = ManualClock::new();
    let server = TestServer::start_with_clock(&[], clock.clone()).await;
    let api = Api::new(&server);
    api.register("alice", PASSWORD).await;
    for username in ["alice", "nobody"] {
        for _ in 0..6 {
            let refused = api.login(username, "not the right password").await;
            assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
        }
        let throttled = api.login(username, PASSWORD).await;
        let retry_after = throttled.headers()[header::RETRY_AFTER]
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(retry_after, "1", "{username}");
        assert_problem(
            throttled,
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts",
        )
        .await;
    }
    clock.advance(time::Duration::SECOND);
    assert_eq!(api.login("alice", PASSWORD).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn remembered_api_sessions_last_thirty_days() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    api.register("alice", PASSWORD).await;
    let plain: Value = api.login("alice", PASSWORD).await.json().await.unwrap();
    let remembered: Value = api
        .post(
            "/login",
            json!({ "username": "alice", "password": PASSWORD, "remember": true }),
        )
        .await
        .json()
        .await
        .unwrap();
    let expiry = |body: &Value| {
        time::OffsetDateTime::parse(
            body["expires_at"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap()
    };
    let longer = expiry(&remembered) - expiry(&plain);
    assert!(longer > time::Duration::days(29), "{longer}");
}
