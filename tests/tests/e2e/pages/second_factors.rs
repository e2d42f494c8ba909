//! Second factors on the pages: setting up an authenticator app from the
//! security page (its key read off the page, as a person types it), the
//! recovery codes shown once, the second step of signing in, and removing
//! the app.

use latch_domain::Clock;
use latch_tests::{
    authenticator::Authenticator,
    browser::{Browser, Page},
    clock::ManualClock,
    server::TestServer,
};
use reqwest::StatusCode;
use time::Duration;

use super::{PASSWORD, SESSION_COOKIE};

/// The text between `start` and the next `end` in `page`.
fn between<'a>(page: &'a Page, start: &str, end: &str) -> &'a str {
    let from = page
        .body
        .find(start)
        .unwrap_or_else(|| panic!("no {start:?} in {}", page.body))
        + start.len();
    let to = page.body[from..]
        .find(end)
        .unwrap_or_else(|| panic!("no {end:?} after {start:?}"))
        + from;
    &page.body[from..to]
}

/// Sets up an authenticator app for the signed-in `browser`: the app, and
/// the page that showed the recovery codes.
async fn set_up_app(browser: &Browser, clock: &ManualClock) -> (Authenticator, Page) {
    let offer = browser.get("/account/security").await;
    assert!(
        offer.contains("Set up an authenticator app"),
        "{}",
        offer.body
    );
    let begun = browser
        .submit("/account/security", "/account/security/totp", &[])
        .await;
    assert_eq!(begun.status, StatusCode::SEE_OTHER);
    let shown = browser.get("/account/security").await;
    assert!(shown.contains("<svg"), "a QR code is drawn: {}", shown.body);
    let key = between(&shown, r#"<code class="totp-key">"#, "</code>");
    assert!(
        key.split(' ').all(|group| group.len() <= 4),
        "the key is in groups of four: {key}"
    );
    let app = Authenticator::from_base32(key);
    let code = app.code_at(clock.now());
    let confirmed = browser
        .submit(
            "/account/security",
            "/account/security/totp/confirm",
            &[("code", &code)],
        )
        .await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.body);
    (app, confirmed)
}

#[tokio::test]
async fn an_app_set_up_on_the_security_page_is_asked_for_at_the_next_sign_in() {
    let clock = ManualClock::new();
    let server = TestServer::start_with_clock(&[], clock.clone()).await;
    let browser = Browser::new(server.base_url());
    browser.register("alice", PASSWORD).await;
    browser.log_in("alice", PASSWORD).await;
    let (app, confirmed) = set_up_app(&browser, &clock).await;
    assert_eq!(
        confirmed.body.matches("<li><code>").count(),
        10,
        "{}",
        confirmed.body
    );
    assert!(confirmed.contains(r#"download="recovery-codes.txt""#));
    let recovery = between(&confirmed, "<li><code>", "</code>").to_owned();
    let again = browser.get("/account/security").await;
    assert!(!again.contains(&recovery), "shown once only");
    assert!(
        again.contains("Recovery codes left: <strong>10</strong>"),
        "{}",
        again.body
    );

    browser.log_out().await;
    let password_step = browser.log_in("alice", PASSWORD).await;
    assert_eq!(password_step.location(), Some("/login/second-factor"));
    assert_eq!(browser.cookie(SESSION_COOKIE), None, "no session yet");
    let wrong = browser
        .submit(
            "/login/second-factor",
            "/login/second-factor",
            &[("code", "000000x")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.contains("That code is not valid."), "{}", wrong.body);

    clock.advance(Duration::seconds(30));
    let code = app.code_at(clock.now());
    let signed_in = browser
        .submit(
            "/login/second-factor",
            "/login/second-factor",
            &[("code", &code)],
        )
        .await;
    assert_eq!(
        signed_in.status,
        StatusCode::SEE_OTHER,
        "{}",
        signed_in.body
    );
    assert_eq!(signed_in.location(), Some("/"));
    let sessions = browser.get("/account/sessions").await;
    assert!(sessions.contains("password and code"), "{}", sessions.body);

    // A recovery code does the same once.
    browser.log_out().await;
    browser.log_in("alice", PASSWORD).await;
    let with_code = browser
        .submit(
            "/login/second-factor",
            "/login/second-factor",
            &[("code", &recovery)],
        )
        .await;
    assert_eq!(
        with_code.status,
        StatusCode::SEE_OTHER,
        "{}",
        with_code.body
    );
    let left = browser.get("/account/security").await;
    assert!(
        left.contains("Recovery codes left: <strong>9</strong>"),
        "{}",
        left.body
    );

    // Removing the app needs the password; then the password alone signs in.
    let refused = browser
        .submit(
            "/account/security",
            "/account/security/totp/remove",
            &[("password", "not the password")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(
        refused.contains("Your password is wrong."),
        "{}",
        refused.body
    );
    let removed = browser
        .submit(
            "/account/security",
            "/account/security/totp/remove",
            &[("password", PASSWORD)],
        )
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    browser.log_out().await;
    let plain = browser.log_in("alice", PASSWORD).await;
    assert_eq!(plain.location(), Some("/"));
}

#[tokio::test]
async fn the_second_step_page_without_a_sign_in_halfway_goes_back_to_sign_in() {
    let server = TestServer::start().await;
    let browser = Browser::new(server.base_url());
    let page = browser.get("/login/second-factor").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), Some("/login"));
}

#[tokio::test]
async fn a_wrong_first_code_shows_the_key_again_with_the_reason() {
    let clock = ManualClock::new();
    let server = TestServer::start_with_clock(&[], clock.clone()).await;
    let browser = Browser::new(server.base_url());
    browser.register("alice", PASSWORD).await;
    browser.log_in("alice", PASSWORD).await;
    browser
        .submit("/account/security", "/account/security/totp", &[])
        .await;
    let refused = browser
        .submit(
            "/account/security",
            "/account/security/totp/confirm",
            &[("code", "12")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.contains("That code is not the one your app shows now"));
    assert!(refused.contains("<svg"), "{}", refused.body);
}
