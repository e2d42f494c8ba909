//! Per-client-IP rate limits on signing in and signing up, and which address
//! counts as the client's behind a reverse proxy, over real HTTP.

// Test code: a failed step is a failed test.
#![allow(clippy::unwrap_used)]

use latch_tests::{browser::Browser, server::TestServer};
use reqwest::{Client, StatusCode, header};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery staple";

#[tokio::test]
async fn too_many_sign_ins_from_one_address_get_the_429_page() {
    let server = TestServer::start_with(&[("LATCH__RATE_LIMIT__SIGN_IN_PER_MINUTE", "2")]).await;
    let browser = Browser::new(server.base_url());
    for _ in 0..2 {
        let refused = browser.log_in("nobody", PASSWORD).await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    }
    let limited = browser.log_in("nobody", PASSWORD).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.contains("Too many attempts"));
    let retry_after: u64 = limited.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=30).contains(&retry_after), "{retry_after}");
    // Other pages are not limited.
    assert_eq!(browser.get("/").await.status, StatusCode::OK);
}

async fn register(
    client: &Client,
    server: &TestServer,
    username: &str,
    forwarded_for: Option<&str>,
) -> reqwest::Response {
    let mut request = client
        .post(format!("{}/api/register", server.base_url()))
        .json(&json!({ "username": username, "password": PASSWORD }));
    if let Some(address) = forwarded_for {
        request = request.header("X-Forwarded-For", address);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn too_many_sign_ups_from_one_address_get_a_429_problem() {
    let server = TestServer::start_with(&[("LATCH__RATE_LIMIT__SIGN_UP_PER_HOUR", "1")]).await;
    let client = Client::new();
    assert_eq!(
        register(&client, &server, "alice", None).await.status(),
        StatusCode::CREATED
    );
    let limited = register(&client, &server, "bob", None).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = limited.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        retry_after > 3000,
        "an hourly allowance refills slowly: {retry_after}"
    );
    let body: Value = limited.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited");
    assert_eq!(body["status"], 429);
}

#[tokio::test]
async fn x_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy() {
    let server = TestServer::start_with(&[("LATCH__RATE_LIMIT__SIGN_UP_PER_HOUR", "1")]).await;
    let client = Client::new();
    let first = register(&client, &server, "alice", Some("198.51.100.1")).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    // A client cannot get a fresh allowance by claiming another address.
    let forged = register(&client, &server, "bob", Some("198.51.100.2")).await;
    assert_eq!(forged.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_has_its_own_allowance() {
    let server = TestServer::start_with(&[
        ("LATCH__RATE_LIMIT__SIGN_UP_PER_HOUR", "1"),
        ("LATCH__SERVER__TRUSTED_PROXIES", "127.0.0.1,::1"),
    ])
    .await;
    let client = Client::new();
    let first = register(&client, &server, "alice", Some("198.51.100.1")).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let other = register(&client, &server, "bob", Some("198.51.100.2")).await;
    assert_eq!(other.status(), StatusCode::CREATED);
    let again = register(&client, &server, "carol", Some("198.51.100.1")).await;
    assert_eq!(again.status(), StatusCode::TOO_MANY_REQUESTS);
    // The proxy appends what it saw; what the client claimed before it does
    // not count.
    let spoofed = register(&client, &server, "dave", Some("203.0.113.50, 198.51.100.1")).await;
    assert_eq!(spoofed.status(), StatusCode::TOO_MANY_REQUESTS);
}
