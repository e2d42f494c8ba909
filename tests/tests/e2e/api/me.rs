//! Managing one's own account over the API: changing the password, listing
//! and ending sessions, deleting the account; every documented status.

use latch_tests::{api::Api, browser::Browser, server::TestServer};
use reqwest::{Method, Response, StatusCode, header};
use serde_json::{Value, json};

use super::{PASSWORD, assert_problem};

const NEW_PASSWORD: &str = "quiet otter violin 47 saddle";

/// The `id` of the listed session that is (or is not) the current one.
fn session_id(sessions: &[Value], current: bool) -> String {
    sessions
        .iter()
        .find(|session| session["current"] == current)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn changing_the_password_ends_every_session_and_issues_a_new_one() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let old = api.token_for("alice").await;
    let second = api.another_token("alice", PASSWORD).await;

    let changed = api.change_password(&old, PASSWORD, NEW_PASSWORD).await;
    assert_eq!(changed.status(), StatusCode::OK);
    assert_eq!(changed.headers()[header::CACHE_CONTROL], "no-store");
    let changed: Value = changed.json().await.unwrap();
    assert_eq!(changed["token_type"], "Bearer");
    assert!(changed["expires_at"].is_string(), "{changed}");
    assert_eq!(changed["user"]["username"], "alice");
    assert!(
        !changed.to_string().contains(NEW_PASSWORD) && !changed.to_string().contains("argon2"),
        "{changed}"
    );
    let new = changed["token"].as_str().unwrap();
    assert_ne!(new, old);

    assert_problem(api.me(&old).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
    assert_problem(
        api.me(&second).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    assert!(api.works(new).await);
    assert_eq!(
        api.session_list(new).await.len(),
        1,
        "only the new session is left"
    );

    assert_problem(
        api.login("alice", PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    assert_eq!(
        api.login("alice", NEW_PASSWORD).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_refused_password_change_changes_nothing() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let token = api.token_for("alice").await;
    let second = api.another_token("alice", PASSWORD).await;

    let wrong = assert_problem(
        api.change_password(&token, "not the right password", NEW_PASSWORD)
            .await,
        StatusCode::FORBIDDEN,
        "wrong_password",
    )
    .await;
    assert_eq!(wrong["errors"][0]["field"], "current_password", "{wrong}");
    assert!(!wrong.to_string().contains("not the right"), "{wrong}");

    for (new, reason) in [
        ("short", "too short"),
        ("alice has a long password", "contains the username"),
    ] {
        let invalid = assert_problem(
            api.change_password(&token, PASSWORD, new).await,
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
        assert_eq!(fields, ["new_password"], "{reason}: {invalid}");
        assert!(
            !invalid.to_string().contains(&format!("{new}\"")),
            "the password is never echoed: {invalid}"
        );
    }

    assert!(api.works(&token).await && api.works(&second).await);
    assert_eq!(
        api.login("alice", PASSWORD).await.status(),
        StatusCode::OK,
        "the password is unchanged"
    );
}

#[tokio::test]
async fn account_management_without_a_session_is_401() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let token = api.token_for("alice").await;
    api.logout(&token).await;
    let unknown = "A".repeat(43);
    for token in [token.as_str(), unknown.as_str(), "not-a-token"] {
        assert_problem(
            api.change_password(token, PASSWORD, NEW_PASSWORD).await,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        )
        .await;
        assert_problem(
            api.sessions(token).await,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        )
        .await;
        assert_problem(
            api.end_session(token, &"0".repeat(32)).await,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        )
        .await;
        assert_problem(
            api.end_other_sessions(token).await,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        )
        .await;
        assert_problem(
            api.delete_account(token, PASSWORD).await,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        )
        .await;
    }
    let anonymous = api
        .client()
        .delete(api.url("/me/sessions"))
        .send()
        .await
        .unwrap();
    assert_problem(anonymous, StatusCode::UNAUTHORIZED, "unauthorized").await;
    assert_eq!(
        api.login("alice", PASSWORD).await.status(),
        StatusCode::OK,
        "the account is still there"
    );
}

#[tokio::test]
async fn malformed_account_management_bodies_get_4xx_problems() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let token = api.token_for("alice").await;
    for (method, path) in [(Method::POST, "/me/password"), (Method::DELETE, "/me")] {
        let send = |content_type: &'static str, body: Vec<u8>| {
            api.authorized(method.clone(), path, &token)
                .header(header::CONTENT_TYPE, content_type)
                .body(body)
                .send()
        };
        for body in [
            b"{\"password\": ".to_vec(),
            b"[]".to_vec(),
            br#"{"current_password": 5, "new_password": [], "password": null}"#.to_vec(),
            br#"{}"#.to_vec(),
        ] {
            let response = send("application/json", body).await.unwrap();
            assert_problem(response, StatusCode::BAD_REQUEST, "malformed_request").await;
        }
        let form = send("application/x-www-form-urlencoded", b"password=x".to_vec())
            .await
            .unwrap();
        assert_problem(
            form,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        )
        .await;
        let bodiless = api.authorized(method.clone(), path, &token).send();
        assert_problem(
            bodiless.await.unwrap(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        )
        .await;
        let huge = send("application/json", vec![b' '; 17 * 1024])
            .await
            .unwrap();
        assert_problem(huge, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    }
    let wrong_method = api
        .authorized(Method::PUT, "/me/sessions", &token)
        .send()
        .await
        .unwrap();
    assert_problem(
        wrong_method,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    )
    .await;
    assert!(api.works(&token).await, "nothing changed");
}

#[tokio::test]
async fn the_session_list_shows_each_live_session_and_marks_the_current_one() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let first = api.token_for("alice").await;
    let remembered = api
        .client()
        .post(api.url("/login"))
        .header(header::USER_AGENT, "latch-tests/1.0 (phone)")
        .json(&json!({ "username": "alice", "password": PASSWORD, "remember": true }))
        .send()
        .await
        .unwrap();
    let remembered: Value = remembered.json().await.unwrap();
    let remembered = remembered["token"].as_str().unwrap();

    let sessions = api.session_list(remembered).await;
    assert_eq!(sessions.len(), 2, "{sessions:?}");
    for session in &sessions {
        let id = session["id"].as_str().unwrap();
        assert!(
            id.len() == 32 && id.bytes().all(|byte| byte.is_ascii_hexdigit()),
            "{session}"
        );
        assert!(
            id != first && id != remembered,
            "the id is not the token: {session}"
        );
        for time in ["created_at", "last_seen_at", "expires_at"] {
            assert!(session[time].is_string(), "{time}: {session}");
        }
        assert_eq!(session["client_ip"], "127.0.0.1", "{session}");
        assert_eq!(session.as_object().unwrap().len(), 9, "{session}");
    }
    let (older, newer) = (&sessions[0], &sessions[1]);
    assert_eq!(older["current"], false);
    assert_eq!(older["remember"], false);
    assert_eq!(newer["current"], true);
    assert_eq!(newer["remember"], true);
    assert_eq!(newer["user_agent"], "latch-tests/1.0 (phone)");

    let from_first = api.session_list(&first).await;
    assert_eq!(from_first[0]["current"], true);
    assert_eq!(from_first[1]["current"], false);
    assert_eq!(from_first[0]["id"], older["id"]);
}

#[tokio::test]
async fn ending_the_other_sessions_keeps_only_the_current_one() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let kept = api.token_for("alice").await;
    let others = [
        api.another_token("alice", PASSWORD).await,
        api.another_token("alice", PASSWORD).await,
    ];
    let bob = api.token_for("bob").await;

    let ended = api.end_other_sessions(&kept).await;
    assert_eq!(ended.status(), StatusCode::OK);
    assert_eq!(ended.json::<Value>().await.unwrap(), json!({ "ended": 2 }));

    let sessions = api.session_list(&kept).await;
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    assert_eq!(sessions[0]["current"], true);
    for other in &others {
        assert!(!api.works(other).await);
    }
    assert!(api.works(&kept).await);
    assert!(api.works(&bob).await, "another account's sessions stay");

    let again: Value = api.end_other_sessions(&kept).await.json().await.unwrap();
    assert_eq!(again, json!({ "ended": 0 }));
}

#[tokio::test]
async fn ending_one_session_by_its_id() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let mine = api.token_for("alice").await;
    let other = api.another_token("alice", PASSWORD).await;
    let sessions = api.session_list(&mine).await;
    let other_id = session_id(&sessions, false);

    let ended = api.end_session(&mine, &other_id).await;
    assert_eq!(ended.status(), StatusCode::NO_CONTENT);
    assert!(!api.works(&other).await);
    assert!(api.works(&mine).await);
    assert_problem(
        api.end_session(&mine, &other_id).await,
        StatusCode::NOT_FOUND,
        "session_not_found",
    )
    .await;

    // Ending the calling session is logging out.
    let my_id = session_id(&sessions, true);
    assert_eq!(
        api.end_session(&mine, &my_id).await.status(),
        StatusCode::NO_CONTENT
    );
    assert!(!api.works(&mine).await);
}

#[tokio::test]
async fn nobody_can_see_or_end_another_accounts_sessions() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let alice = api.token_for("alice").await;
    let bob = api.token_for("bob").await;
    let alice_id = session_id(&api.session_list(&alice).await, true);

    let bobs = api.session_list(&bob).await;
    assert_eq!(bobs.len(), 1, "{bobs:?}");
    assert_ne!(bobs[0]["id"], alice_id.as_str());

    let refused = assert_problem(
        api.end_session(&bob, &alice_id).await,
        StatusCode::NOT_FOUND,
        "session_not_found",
    )
    .await;
    let made_up = assert_problem(
        api.end_session(&bob, &"0".repeat(32)).await,
        StatusCode::NOT_FOUND,
        "session_not_found",
    )
    .await;
    assert_eq!(
        refused, made_up,
        "another account's session is not told apart"
    );
    assert!(api.works(&alice).await, "alice's session is untouched");
    assert_eq!(api.session_list(&alice).await.len(), 1);

    // Neither is a token, or anything else, an id.
    let long = "f".repeat(5000);
    for id in [alice.as_str(), "x%2Fy", "%00", "caf%C3%A9", long.as_str()] {
        assert_problem(
            api.end_session(&bob, id).await,
            StatusCode::NOT_FOUND,
            "session_not_found",
        )
        .await;
    }
    assert!(api.works(&alice).await && api.works(&bob).await);
}

#[tokio::test]
async fn deleting_the_account_ends_its_sessions_and_frees_its_username() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let token = api.token_for("alice").await;
    let second = api.another_token("alice", PASSWORD).await;
    let bob = api.token_for("bob").await;

    let wrong = assert_problem(
        api.delete_account(&token, "not the right password").await,
        StatusCode::FORBIDDEN,
        "wrong_password",
    )
    .await;
    assert_eq!(wrong["errors"][0]["field"], "password", "{wrong}");
    assert!(api.works(&token).await, "nothing changed");

    let deleted = api.delete_account(&token, PASSWORD).await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_problem(
        api.me(&token).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    assert!(
        !api.works(&second).await,
        "every session of the account ended"
    );
    assert_problem(
        api.login("alice", PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    assert!(api.works(&bob).await, "other accounts stay");
    assert_eq!(
        api.register("alice", PASSWORD).await.status(),
        StatusCode::CREATED,
        "the username is free again"
    );
}

/// A browser signed in through the pages, and what a script on its pages
/// would send: its cookies and the CSRF token of its `<meta>` tag.
async fn cookie_caller(server: &TestServer, username: &str) -> (Browser, String, String) {
    let browser = Browser::new(server.base_url());
    browser.register(username, PASSWORD).await;
    browser.log_in(username, PASSWORD).await;
    let page = browser.get("/").await;
    let marker = r#"<meta name="csrf-token" content=""#;
    let start = page.body.find(marker).unwrap() + marker.len();
    let end = start + page.body[start..].find('"').unwrap();
    let csrf = page.body[start..end].replace("&#x2f;", "/");
    let cookies = format!(
        "latch_session={}; latch_csrf={}",
        browser.cookie("latch_session").unwrap(),
        browser.cookie("latch_csrf").unwrap()
    );
    (browser, cookies, csrf)
}

/// The response's `Set-Cookie` header for the session cookie.
fn session_cookie_set(response: &Response) -> String {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|value| value.to_str().unwrap().to_owned())
        .find(|cookie| cookie.starts_with("latch_session="))
        .unwrap()
}

#[tokio::test]
async fn cookie_callers_need_the_csrf_header_to_manage_their_account() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let (browser, cookies, csrf) = cookie_caller(&server, "alice").await;
    let other = api.another_token("alice", PASSWORD).await;
    let request = |method: Method, path: &str| {
        api.client()
            .request(method, api.url(path))
            .header(header::COOKIE, &cookies)
    };

    let listed = request(Method::GET, "/me/sessions").send().await.unwrap();
    assert_eq!(listed.status(), StatusCode::OK, "a safe method needs none");
    let sessions = listed.json::<Value>().await.unwrap()["sessions"]
        .as_array()
        .unwrap()
        .clone();
    let other_id = session_id(&sessions, false);

    let password_body = json!({ "current_password": PASSWORD, "new_password": NEW_PASSWORD });
    let unsafe_requests = [
        (
            Method::POST,
            "/me/password".to_owned(),
            Some(password_body.clone()),
        ),
        (Method::DELETE, format!("/me/sessions/{other_id}"), None),
        (Method::DELETE, "/me/sessions".to_owned(), None),
        (
            Method::DELETE,
            "/me".to_owned(),
            Some(json!({ "password": PASSWORD })),
        ),
    ];
    for csrf_header in [None, Some("forged")] {
        for (method, path, body) in &unsafe_requests {
            let mut builder = request(method.clone(), path);
            if let Some(body) = body {
                builder = builder.json(body);
            }
            if let Some(token) = csrf_header {
                builder = builder.header("X-CSRF-Token", token);
            }
            let refused = builder.send().await.unwrap();
            assert_problem(refused, StatusCode::FORBIDDEN, "csrf_failed").await;
        }
    }
    assert!(api.works(&other).await, "nothing changed");
    assert!(browser.get("/").await.contains("You are logged in"));

    // With the page's token, a script changes the password and its page
    // stays signed in on the new session the response sets; the response
    // also hands it a CSRF token for that session.
    let changed = request(Method::POST, "/me/password")
        .header("X-CSRF-Token", &csrf)
        .json(&password_body)
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
    let fresh = changed.headers()["x-csrf-token"]
        .to_str()
        .unwrap()
        .to_owned();
    let set_cookie = session_cookie_set(&changed);
    let body: Value = changed.json().await.unwrap();
    let new = body["token"].as_str().unwrap();
    assert!(
        set_cookie.starts_with(&format!("latch_session={new};")) && set_cookie.contains("HttpOnly"),
        "{set_cookie}"
    );
    assert!(!api.works(&other).await);
    assert!(
        browser.get("/").await.contains("You are not logged in"),
        "the old cookie is dead"
    );
    browser.set_cookie("latch_session", new);
    assert!(browser.get("/").await.contains("You are logged in"));

    // The old page's token was for the old session; the new one works.
    // Deleting the account through the cookie also forgets the cookie.
    let cookies = format!(
        "latch_session={new}; latch_csrf={}",
        browser.cookie("latch_csrf").unwrap()
    );
    let delete = |token: &str| {
        api.client()
            .delete(api.url("/me"))
            .header(header::COOKIE, &cookies)
            .header("X-CSRF-Token", token)
            .json(&json!({ "password": NEW_PASSWORD }))
    };
    let stale = delete(&csrf).send().await.unwrap();
    assert_problem(stale, StatusCode::FORBIDDEN, "csrf_failed").await;
    let deleted = delete(&fresh).send().await.unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let cleared = session_cookie_set(&deleted);
    assert!(
        cleared.starts_with("latch_session=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
    assert!(!api.works(new).await);
}

/// `DELETE /api/me/sessions` (end every other session) with this `Cookie`
/// header, this `X-CSRF-Token` and these extra headers.
async fn end_others_by_cookie(
    api: &Api,
    cookies: &str,
    csrf: &str,
    headers: &[(&str, &str)],
) -> Response {
    let mut request = api
        .client()
        .delete(api.url("/me/sessions"))
        .header(header::COOKIE, cookies)
        .header("X-CSRF-Token", csrf);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn a_cookie_callers_csrf_token_works_only_with_its_own_session() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let (alice, _, alice_csrf) = cookie_caller(&server, "alice").await;
    let (bob, bob_cookies, bob_csrf) = cookie_caller(&server, "bob").await;

    // Alice's CSRF secret and token, planted next to Bob's session cookie.
    let planted = format!(
        "latch_session={}; latch_csrf={}",
        bob.cookie("latch_session").unwrap(),
        alice.cookie("latch_csrf").unwrap()
    );
    let forged = end_others_by_cookie(&api, &planted, &alice_csrf, &[]).await;
    assert_problem(forged, StatusCode::FORBIDDEN, "csrf_failed").await;

    let own = end_others_by_cookie(&api, &bob_cookies, &bob_csrf, &[]).await;
    assert_eq!(own.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_cookie_call_another_site_sends_is_refused_even_with_a_valid_token() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let (_browser, cookies, csrf) = cookie_caller(&server, "alice").await;

    let cross_site = [("Sec-Fetch-Site", "cross-site")];
    let refused = end_others_by_cookie(&api, &cookies, &csrf, &cross_site).await;
    let problem = assert_problem(refused, StatusCode::FORBIDDEN, "csrf_failed").await;
    assert!(
        problem["detail"].as_str().unwrap().contains("another site"),
        "{problem}"
    );

    for site in ["same-origin", "same-site", "none"] {
        let sent = end_others_by_cookie(&api, &cookies, &csrf, &[("Sec-Fetch-Site", site)]).await;
        assert_eq!(sent.status(), StatusCode::OK, "{site}");
    }
    // A bearer token is no browser's doing: Fetch Metadata does not matter.
    let token = api.another_token("alice", PASSWORD).await;
    let bearer = api
        .authorized(Method::DELETE, "/me/sessions", &token)
        .header("Sec-Fetch-Site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status(), StatusCode::OK);
}

#[tokio::test]
async fn password_checks_spend_the_sign_in_allowance() {
    let server = TestServer::start_with(&[("LATCH__RATE_LIMIT__SIGN_IN_PER_MINUTE", "3")]).await;
    let api = Api::new(&server);
    // One sign-in and two wrong passwords use up the allowance of three.
    let token = api.token_for("alice").await;
    api.change_password(&token, "a wrong guess at it", NEW_PASSWORD)
        .await;
    api.delete_account(&token, "another wrong guess").await;

    for refused in [
        api.change_password(&token, PASSWORD, NEW_PASSWORD).await,
        api.delete_account(&token, PASSWORD).await,
    ] {
        let retry_after: u64 = refused.headers()[header::RETRY_AFTER]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=60).contains(&retry_after), "{retry_after}");
        assert_problem(refused, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    }
    assert!(
        api.works(&token).await,
        "the account and session are intact"
    );
    assert_eq!(
        api.sessions(&token).await.status(),
        StatusCode::OK,
        "listing sessions checks no password"
    );
}

/// Runs one SQL statement on a connection of the test's own.
fn execute(connection: &rusqlite::Connection, statement: &'static str) {
    connection.execute_batch(statement).unwrap();
}

#[tokio::test]
async fn account_management_on_a_failing_store_is_503() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let token = api.token_for("alice").await;
    let database = server.data_dir().join("latch.db");
    let connection = rusqlite::Connection::open(&database).unwrap();

    // A session row the store cannot read: the caller's own session still
    // opens, but listing the account's sessions fails.
    execute(
        &connection,
        "INSERT INTO sessions (id, user_id, created_at, expires_at) \
         SELECT randomblob(32), id, 9223372036854775807, 9223372036854775807 FROM users",
    );
    assert!(api.works(&token).await);
    assert_problem(
        api.sessions(&token).await,
        StatusCode::SERVICE_UNAVAILABLE,
        "storage_unavailable",
    )
    .await;
    assert_problem(
        api.end_session(&token, &"0".repeat(32)).await,
        StatusCode::SERVICE_UNAVAILABLE,
        "storage_unavailable",
    )
    .await;

    // Writes that the store refuses.
    execute(
        &connection,
        "CREATE TRIGGER no_session_deletes BEFORE DELETE ON sessions \
         BEGIN SELECT RAISE(ABORT, 'refused'); END",
    );
    execute(
        &connection,
        "CREATE TRIGGER no_user_writes BEFORE UPDATE ON users \
         BEGIN SELECT RAISE(ABORT, 'refused'); END",
    );
    execute(
        &connection,
        "CREATE TRIGGER no_user_deletes BEFORE DELETE ON users \
         BEGIN SELECT RAISE(ABORT, 'refused'); END",
    );
    assert_problem(
        api.end_other_sessions(&token).await,
        StatusCode::SERVICE_UNAVAILABLE,
        "storage_unavailable",
    )
    .await;
    assert_problem(
        api.change_password(&token, PASSWORD, NEW_PASSWORD).await,
        StatusCode::SERVICE_UNAVAILABLE,
        "storage_unavailable",
    )
    .await;
    assert_problem(
        api.delete_account(&token, PASSWORD).await,
        StatusCode::SERVICE_UNAVAILABLE,
        "storage_unavailable",
    )
    .await;
    assert!(api.works(&token).await, "nothing changed");

    // A store that cannot even say who the caller is.
    execute(&connection, "DROP TABLE sessions");
    for response in [
        api.change_password(&token, PASSWORD, NEW_PASSWORD).await,
        api.sessions(&token).await,
        api.end_session(&token, &"0".repeat(32)).await,
        api.end_other_sessions(&token).await,
        api.delete_account(&token, PASSWORD).await,
    ] {
        assert_problem(
            response,
            StatusCode::SERVICE_UNAVAILABLE,
            "storage_unavailable",
        )
        .await;
    }
}
