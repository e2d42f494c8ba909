//! Errors people can run into are pages in the site's layout (its
//! stylesheet, navigation and favicon), with their status, never plain text.

use latch_tests::{browser::Browser, server::TestServer};
use reqwest::StatusCode;

fn assert_in_layout(page: &latch_tests::browser::Page, status: StatusCode, title: &str) {
    assert_eq!(page.status, status, "{}", page.body);
    let content_type = page.headers["content-type"].to_str().unwrap_or_default();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    for part in [
        "<!DOCTYPE html>",
        r#"href="/static/latch.css""#,
        r#"href="/static/favicon.svg""#,
        "<nav>",
        &format!("Error {}", status.as_u16()),
        title,
    ] {
        assert!(page.contains(part), "{part} in {}", page.body);
    }
}

#[tokio::test]
async fn error_pages_share_the_layout() {
    let server = TestServer::start().await;
    let browser = Browser::new(server.base_url());

    let missing = browser.get("/no/such/page").await;
    assert_in_layout(&missing, StatusCode::NOT_FOUND, "Page not found");

    let forged = browser
        .post_form("/login", &[("username", "a"), ("password", "b")])
        .await;
    assert_in_layout(&forged, StatusCode::FORBIDDEN, "This form has expired");

    let big = browser
        .post_raw(
            "/register",
            "application/x-www-form-urlencoded",
            vec![b'a'; 64 * 1024],
        )
        .await;
    assert_in_layout(&big, StatusCode::PAYLOAD_TOO_LARGE, "Request too large");

    // Unsafe methods without a CSRF token stop at the guard (403); a safe
    // method the route lacks reaches the router.
    let response = reqwest::Client::new()
        .request(reqwest::Method::OPTIONS, format!("{}/", server.base_url()))
        .send()
        .await
        .unwrap();
    let not_allowed = latch_tests::browser::Page {
        status: response.status(),
        headers: response.headers().clone(),
        body: response.text().await.unwrap(),
    };
    assert_in_layout(
        &not_allowed,
        StatusCode::METHOD_NOT_ALLOWED,
        "Method not allowed",
    );
}
