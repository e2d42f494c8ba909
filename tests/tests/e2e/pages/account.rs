//! The account pages end to end: changing the password, seeing and ending
//! sessions, deleting the account.

use latch_tests::{
    browser::{Browser, Page},
    server::TestServer,
};
use reqwest::{Client, StatusCode};
use serde_json::json;

use super::{PASSWORD, SESSION_COOKIE};

const NEW_PASSWORD: &str = "purple elephant dancing quietly";

/// A server where "alice" has an account.
async fn server_with_alice() -> TestServer {
    let server = TestServer::start().await;
    let answer = Browser::new(server.base_url())
        .register("alice", PASSWORD)
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    server
}

/// Fills in and submits the password-change form.
async fn change_password(browser: &Browser, current: &str, new: &str) -> Page {
    let fields = [("current_password", current), ("new_password", new)];
    browser
        .submit("/account/password", "/account/password", &fields)
        .await
}

/// A new browser signed in as `username`.
async fn signed_in(server: &TestServer, username: &str, password: &str) -> Browser {
    let browser = Browser::new(server.base_url());
    let answer = browser.log_in(username, password).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    browser
}

/// Whether a browser holding only this session cookie is signed in.
async fn cookie_is_live(server: &TestServer, cookie: &str) -> bool {
    let replay = Browser::new(server.base_url());
    replay.set_cookie(SESSION_COOKIE, cookie);
    replay.get("/account").await.status == StatusCode::OK
}

/// A bearer token for `username`, from the API.
async fn bearer_token(server: &TestServer, username: &str, password: &str) -> String {
    let response = Client::new()
        .post(format!("{}/api/login", server.base_url()))
        .json(&json!({ "username": username, "password": password }))
        .send()
        .await
        .expect("the server answers");
    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = response.json().await.expect("a JSON body");
    body["token"].as_str().expect("a token").to_owned()
}

async fn bearer_status(server: &TestServer, token: &str) -> StatusCode {
    Client::new()
        .get(format!("{}/api/me", server.base_url()))
        .bearer_auth(token)
        .send()
        .await
        .expect("the server answers")
        .status()
}

/// The public ids of the sessions the sessions page offers to end.
fn endable_session_ids(page: &str) -> Vec<String> {
    let marker = r#"name="session" value=""#;
    page.match_indices(marker)
        .filter_map(|(at, _)| {
            let rest = &page[at + marker.len()..];
            rest.find('"').map(|end| rest[..end].to_owned())
        })
        .collect()
}

#[tokio::test]
async fn account_pages_need_a_sign_in_and_bring_you_back() {
    let server = TestServer::start().await;
    let browser = Browser::new(server.base_url());
    for (path, next) in [
        ("/account/password", "%2Faccount%2Fpassword"),
        ("/account/sessions", "%2Faccount%2Fsessions"),
        ("/account/delete", "%2Faccount%2Fdelete"),
    ] {
        let page = browser.get(path).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(
            page.location(),
            Some(format!("/login?next={next}").as_str())
        );
    }
    for action in [
        "/account/password",
        "/account/sessions/end",
        "/account/sessions/end-others",
        "/account/delete",
    ] {
        let answer = browser.submit("/login", action, &[]).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{action}");
        assert!(
            answer
                .location()
                .is_some_and(|to| to.starts_with("/login?next="))
        );
    }
}

#[tokio::test]
async fn changing_the_password_ends_every_other_session_and_token_and_keeps_this_browser() {
    let server = server_with_alice().await;
    let browser = signed_in(&server, "alice", PASSWORD).await;
    let other_browser = signed_in(&server, "alice", PASSWORD).await;
    let token = bearer_token(&server, "alice", PASSWORD).await;
    let old_cookie = browser.cookie(SESSION_COOKIE).expect("a session cookie");
    let account = browser.get("/account").await;
    assert!(account.contains(r#"href="/account/password""#));

    let changed = change_password(&browser, PASSWORD, NEW_PASSWORD).await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.body);
    assert_eq!(changed.location(), Some("/account"));
    let new_cookie = browser
        .cookie(SESSION_COOKIE)
        .expect("a new session cookie");
    assert_ne!(new_cookie, old_cookie, "this browser gets a new session");
    let account = browser.get("/account").await;
    assert_eq!(account.status, StatusCode::OK);
    assert!(
        account.contains("Your password was changed."),
        "{}",
        account.body
    );

    assert!(
        !cookie_is_live(&server, &old_cookie).await,
        "the old cookie is dead"
    );
    assert_eq!(
        other_browser.get("/account").await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        bearer_status(&server, &token).await,
        StatusCode::UNAUTHORIZED
    );

    let stranger = Browser::new(server.base_url());
    assert_eq!(
        stranger.log_in("alice", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED,
        "the old password no longer signs in"
    );
    signed_in(&server, "alice", NEW_PASSWORD).await;
}

#[tokio::test]
async fn a_wrong_current_password_or_a_weak_new_one_changes_nothing() {
    let server = server_with_alice().await;
    let browser = signed_in(&server, "alice", PASSWORD).await;
    let other_browser = signed_in(&server, "alice", PASSWORD).await;

    let wrong = change_password(&browser, "not the password at all", NEW_PASSWORD).await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert!(wrong.contains("Your current password is wrong."));
    assert!(!wrong.contains(NEW_PASSWORD), "passwords are never echoed");

    let weak = change_password(&browser, PASSWORD, "short").await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(weak.contains(r#"id="new_password-error""#), "{}", weak.body);
    assert!(!weak.contains(PASSWORD), "passwords are never echoed");

    assert_eq!(browser.get("/account").await.status, StatusCode::OK);
    assert_eq!(other_browser.get("/account").await.status, StatusCode::OK);
    signed_in(&server, "alice", PASSWORD).await;
}

#[tokio::test]
async fn the_sessions_page_ends_one_session_or_every_other_one() {
    let server = server_with_alice().await;
    let browser = signed_in(&server, "alice", PASSWORD).await;
    let second = signed_in(&server, "alice", PASSWORD).await;
    let third = signed_in(&server, "alice", PASSWORD).await;

    let list = browser.get("/account/sessions").await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(
        list.body.matches("(this browser)").count(),
        1,
        "{}",
        list.body
    );
    let others = endable_session_ids(&list.body);
    assert_eq!(others.len(), 2, "the two other sessions can be ended");

    let ended = browser
        .submit(
            "/account/sessions",
            "/account/sessions/end",
            &[("session", &others[0])],
        )
        .await;
    assert_eq!(ended.status, StatusCode::SEE_OTHER);
    assert_eq!(ended.location(), Some("/account/sessions"));
    let list = browser.get("/account/sessions").await;
    assert!(list.contains("That session was signed out."));
    assert_eq!(endable_session_ids(&list.body), vec![others[1].clone()]);
    let still_signed_in = [
        second.get("/account").await.status == StatusCode::OK,
        third.get("/account").await.status == StatusCode::OK,
    ];
    assert_eq!(
        still_signed_in.iter().filter(|live| **live).count(),
        1,
        "exactly the ended session is gone"
    );

    let again = browser
        .submit(
            "/account/sessions",
            "/account/sessions/end",
            &[("session", &others[0])],
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert!(again.contains("already ended"));

    let everywhere_else = browser
        .submit("/account/sessions", "/account/sessions/end-others", &[])
        .await;
    assert_eq!(everywhere_else.status, StatusCode::SEE_OTHER);
    let list = browser.get("/account/sessions").await;
    assert!(list.contains("You were signed out everywhere else."));
    assert!(endable_session_ids(&list.body).is_empty());
    assert_eq!(list.body.matches("(this browser)").count(), 1);
    assert_eq!(second.get("/account").await.status, StatusCode::SEE_OTHER);
    assert_eq!(third.get("/account").await.status, StatusCode::SEE_OTHER);
    assert_eq!(browser.get("/account").await.status, StatusCode::OK);
}

#[tokio::test]
async fn nobody_sees_or_ends_another_accounts_sessions() {
    let server = TestServer::start().await;
    let signup = Browser::new(server.base_url());
    signup.register("alice", PASSWORD).await;
    signup.register("bob", PASSWORD).await;
    let alice = signed_in(&server, "alice", PASSWORD).await;
    let bob = signed_in(&server, "bob", PASSWORD).await;
    let bob_elsewhere = signed_in(&server, "bob", PASSWORD).await;
    let bob_ids = endable_session_ids(&bob.get("/account/sessions").await.body);
    assert_eq!(bob_ids.len(), 1);

    let alice_list = alice.get("/account/sessions").await;
    assert!(!alice_list.contains(&bob_ids[0]));
    assert!(endable_session_ids(&alice_list.body).is_empty());

    let refused = alice
        .submit(
            "/account/sessions",
            "/account/sessions/end",
            &[("session", &bob_ids[0])],
        )
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    alice
        .submit("/account/sessions", "/account/sessions/end-others", &[])
        .await;
    assert_eq!(bob_elsewhere.get("/account").await.status, StatusCode::OK);
    assert_eq!(bob.get("/account").await.status, StatusCode::OK);
}

#[tokio::test]
async fn deleting_the_account_needs_its_password_and_ends_every_session() {
    let server = server_with_alice().await;
    let browser = signed_in(&server, "alice", PASSWORD).await;
    let other_browser = signed_in(&server, "alice", PASSWORD).await;
    let token = bearer_token(&server, "alice", PASSWORD).await;

    let wrong = browser
        .submit(
            "/account/delete",
            "/account/delete",
            &[("password", "not the password at all")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert!(wrong.contains("Your password is wrong."));
    assert_eq!(other_browser.get("/account").await.status, StatusCode::OK);

    let deleted = browser
        .submit(
            "/account/delete",
            "/account/delete",
            &[("password", PASSWORD)],
        )
        .await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert_eq!(deleted.location(), Some("/"));
    let home = browser.get("/").await;
    assert!(home.contains("Your account was deleted."));
    assert!(home.contains("You are not logged in"));
    assert_eq!(
        other_browser.get("/account").await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        bearer_status(&server, &token).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        Browser::new(server.base_url())
            .log_in("alice", PASSWORD)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let reuse = Browser::new(server.base_url())
        .register("alice", NEW_PASSWORD)
        .await;
    assert_eq!(
        reuse.status,
        StatusCode::SEE_OTHER,
        "the name is free again"
    );
}
