//! The pages in a real browser: headless Chromium, driven through
//! ChromeDriver, on the real server with its own SQLite file. Every step
//! also checks that the console shows no error and no Content-Security-Policy
//! violation; a failed step saves a screenshot of the page under
//! `target/tmp/browser/<test>/`.
//!
//! Without `chromium` and `chromedriver` each test says `SKIPPED: ...`; in
//! CI (`CI=true` or `LATCH_TESTS_NO_SKIP=1`) that is a failure.

use std::{path::PathBuf, time::Duration};

use latch_domain::Clock;
use latch_tests::{
    authenticator::Authenticator,
    chrome::{Chrome, DESKTOP, PHONE},
    clock::ManualClock,
    server::TestServer,
    webdriver::Step,
};

const PASSWORD: &str = "correct horse battery staple";
const NEW_PASSWORD: &str = "purple elephant dancing quietly";
const SESSION_COOKIE: &str = "latch_session";

/// Where failure screenshots (and the page gallery) are saved.
fn artifacts() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser")
}

/// Runs the browser test named `test`: `steps` in a fresh browser on a
/// fresh server, then closes the browser, failing with the first failed
/// step's message (after saving what the page showed). Where Chromium is
/// missing, says `SKIPPED` (or fails, in CI) instead.
async fn with_browser(test: &str, steps: impl AsyncFnOnce(&Chrome) -> Step<()>) {
    let server = TestServer::start().await;
    let Some(chrome) = Chrome::start(test, server.base_url(), &artifacts()).await else {
        return;
    };
    let outcome = steps(&chrome).await;
    chrome.finish(outcome).await;
}

/// Like [`with_browser`], on a server whose time is `clock`.
async fn with_browser_and_clock(
    test: &str,
    clock: &ManualClock,
    steps: impl AsyncFnOnce(&Chrome) -> Step<()>,
) {
    let server = TestServer::start_with_clock(&[], clock.clone()).await;
    let Some(chrome) = Chrome::start(test, server.base_url(), &artifacts()).await else {
        return;
    };
    let outcome = steps(&chrome).await;
    chrome.finish(outcome).await;
}

/// Fails the step with `message` unless `condition` holds.
fn check(condition: bool, message: impl FnOnce() -> String) -> Step<()> {
    if condition { Ok(()) } else { Err(message()) }
}

async fn register(chrome: &Chrome, username: &str, password: &str) -> Step<()> {
    chrome.open("/register").await?;
    chrome.fill("#username", username).await?;
    chrome.fill("#password", password).await?;
    chrome.click("main form button[type=submit]").await
}

async fn log_in(chrome: &Chrome, username: &str, password: &str) -> Step<()> {
    chrome.fill("#username", username).await?;
    chrome.fill("#password", password).await?;
    chrome.click("main form button[type=submit]").await
}

/// Creates the account with [`PASSWORD`] and signs in to it.
async fn register_and_log_in(chrome: &Chrome, username: &str) -> Step<()> {
    register(chrome, username, PASSWORD).await?;
    chrome.expect_path("/login").await?;
    log_in(chrome, username, PASSWORD).await?;
    chrome.expect_text("You are logged in").await
}

/// The value of the form field `id` as the browser holds it.
async fn field_value(chrome: &Chrome, id: &str) -> Step<String> {
    let value = chrome
        .run(&format!("return document.getElementById('{id}').value;"))
        .await?;
    Ok(value.as_str().unwrap_or_default().to_owned())
}

async fn has_session_cookie(chrome: &Chrome) -> Step<bool> {
    let cookies = chrome.cookies().await?;
    Ok(cookies.iter().any(|cookie| cookie.name == SESSION_COOKIE))
}

#[tokio::test]
async fn create_an_account_log_in_see_the_account_and_log_out() {
    with_browser("create_an_account_log_in_and_out", async |chrome| {
        chrome.open("/").await?;
        chrome.expect_text("You are not logged in").await?;
        chrome.click("main a[href='/register']").await?;
        chrome.expect_path("/register").await?;
        chrome.fill("#username", "alice").await?;
        chrome.fill("#password", PASSWORD).await?;
        chrome.click("main form button[type=submit]").await?;

        chrome.expect_path("/login").await?;
        chrome
            .expect_text("Account created. Please log in.")
            .await?;
        log_in(chrome, "alice", PASSWORD).await?;
        chrome.expect_path("/").await?;
        chrome.expect_text("You are logged in").await?;
        chrome.expect_text("You are now logged in.").await?;

        // The session cookie is there, and page scripts cannot read it.
        let cookies = chrome.cookies().await?;
        let session = cookies
            .iter()
            .find(|cookie| cookie.name == SESSION_COOKIE)
            .ok_or_else(|| format!("no {SESSION_COOKIE} cookie after signing in: {cookies:?}"))?;
        check(session.http_only, || {
            format!("{SESSION_COOKIE} is not HttpOnly")
        })?;
        let visible = chrome.script_visible_cookies().await?;
        check(!visible.contains(SESSION_COOKIE), || {
            format!("document.cookie shows the session: {visible:?}")
        })?;

        chrome.click("main a[href='/account']").await?;
        chrome.expect_path("/account").await?;
        chrome.expect_text("Your account").await?;
        chrome.expect_text("alice").await?;

        chrome.click("nav form[action='/logout'] button").await?;
        chrome.expect_path("/").await?;
        chrome.expect_text("You are not logged in").await?;
        chrome.expect_text("You have been logged out.").await?;
        check(!has_session_cookie(chrome).await?, || {
            "the session cookie outlives logging out".to_owned()
        })
    })
    .await;
}

#[tokio::test]
async fn a_wrong_password_is_refused_and_the_username_kept() {
    with_browser("a_wrong_password", async |chrome| {
        register(chrome, "alice", PASSWORD).await?;
        chrome.expect_path("/login").await?;
        log_in(chrome, "alice", "not the right password").await?;
        chrome.expect_text("Invalid username or password.").await?;
        chrome.expect_path("/login").await?;
        let kept = field_value(chrome, "username").await?;
        check(kept == "alice", || {
            format!("the username field holds {kept:?}")
        })?;
        let password = field_value(chrome, "password").await?;
        check(password.is_empty(), || {
            "the password is sent back to the page".to_owned()
        })?;
        check(!has_session_cookie(chrome).await?, || {
            "a wrong password gave a session".to_owned()
        })?;

        // The right one still works from the same page.
        log_in(chrome, "alice", PASSWORD).await?;
        chrome.expect_text("You are logged in").await
    })
    .await;
}

#[tokio::test]
async fn a_taken_username_is_refused_next_to_the_field() {
    with_browser("a_taken_username", async |chrome| {
        register(chrome, "alice", PASSWORD).await?;
        chrome.expect_path("/login").await?;
        register(chrome, "Alice", PASSWORD).await?;
        chrome.expect_path("/register").await?;
        chrome.expect_text("That username is taken.").await?;
        chrome
            .expect_text("That username is taken. Please choose another.")
            .await?;
        let described = chrome
            .run(
                "const f = document.getElementById('username');
                 const ids = f.getAttribute('aria-describedby').split(' ');
                 return [f.getAttribute('aria-invalid'), ids.map(id => document.getElementById(id).textContent).join(' ')];",
            )
            .await?;
        check(
            described[0] == "true" && described[1].as_str().is_some_and(|text| text.contains("taken")),
            || format!("the username field is not marked invalid with its message: {described}"),
        )
    })
    .await;
}

#[tokio::test]
async fn a_protected_page_sends_you_to_log_in_and_back() {
    with_browser("a_protected_page", async |chrome| {
        register(chrome, "alice", PASSWORD).await?;
        chrome.expect_path("/login").await?;
        chrome.open("/account").await?;
        chrome.expect_path("/login?next=%2Faccount").await?;
        chrome.expect_text("Login to your account").await?;
        log_in(chrome, "alice", PASSWORD).await?;
        chrome.expect_path("/account").await?;
        chrome.expect_text("Your account").await?;
        chrome.expect_text("You are now logged in.").await
    })
    .await;
}

#[tokio::test]
async fn show_password_reveals_and_hides_the_password() {
    with_browser("show_password", async |chrome| {
        for page in ["/register", "/login"] {
            chrome.open(page).await?;
            let hidden = chrome
                .run("return document.querySelector('.password-toggle').hidden;")
                .await?;
            check(hidden == false, || {
                format!("{page}: the toggle stays hidden, so latch.js did not run")
            })?;
            chrome.fill("#password", PASSWORD).await?;
            let kind = "return document.getElementById('password').type;";
            chrome.click("#show-password").await?;
            let shown = chrome.run(kind).await?;
            check(shown == "text", || {
                format!("{page}: after one click: {shown}")
            })?;
            chrome.click("label[for='show-password']").await?;
            let hidden_again = chrome.run(kind).await?;
            check(hidden_again == "password", || {
                format!("{page}: after two clicks: {hidden_again}")
            })?;
        }
        Ok(())
    })
    .await;
}

/// What each page should fit and offer, on a phone and on a desktop: no
/// sideways scrolling, a label for every field, a visible focus ring. Every
/// page is also saved as a screenshot (`<size>-<page>.png`), for people.
#[tokio::test]
async fn every_page_fits_a_phone_and_a_desktop() {
    with_browser("every_page", async |chrome| {
        for (size, window) in [("phone", PHONE), ("desktop", DESKTOP)] {
            chrome.resize(window).await?;
            let user = format!("{size}-user");
            let pages: [(&str, &str); 14] = [
                ("home", "/"),
                ("register", "/register"),
                ("register-errors", "submit:/register"),
                ("login", "/login"),
                ("login-failed", "submit:/login"),
                ("not-found", "/no-such-page"),
                ("home-signed-in", "sign-in:/"),
                ("account", "/account"),
                ("account-password", "/account/password"),
                ("account-sessions", "/account/sessions"),
                ("account-security", "/account/security"),
                ("account-security-new-app", "set-up:/account/security"),
                ("account-delete", "/account/delete"),
                ("logout", "/logout"),
            ];
            for (name, what) in pages {
                match what.split_once(':') {
                    Some(("submit", path)) => {
                        chrome.open(path).await?;
                        chrome.fill("#username", "x").await?;
                        chrome.fill("#password", "short").await?;
                        chrome.click("main form button[type=submit]").await?;
                        chrome.element(".error-summary").await?;
                    }
                    Some(("sign-in", path)) => {
                        register_and_log_in(chrome, &user).await?;
                        chrome.open(path).await?;
                    }
                    Some(("set-up", path)) => {
                        chrome.open(path).await?;
                        chrome
                            .click("form[action='/account/security/totp'] button")
                            .await?;
                        chrome.element("figure.qr svg").await?;
                    }
                    _ => chrome.open(what).await?,
                }
                fits_and_is_labelled(chrome, &format!("{size} {name}"), window.0).await?;
                chrome.save_screenshot(&format!("{size}-{name}")).await?;
            }
            chrome.click("nav form[action='/logout'] button").await?;
            chrome.expect_text("You have been logged out.").await?;
        }
        Ok(())
    })
    .await;
}

async fn fits_and_is_labelled(chrome: &Chrome, page: &str, width: u32) -> Step<()> {
    let facts = chrome
        .run(
            "const d = document.documentElement;
             const fields = [...document.querySelectorAll('input:not([type=hidden]):not([hidden])')];
             const unlabelled = fields.filter(f => f.labels.length === 0).map(f => f.id || f.name);
             const shownHidden = [...document.querySelectorAll('[hidden]')]
                 .filter(e => getComputedStyle(e).display !== 'none').map(e => e.outerHTML);
             let ring = null;
             const text = document.querySelector('input[type=text]:not([hidden])');
             if (text) { text.focus(); const s = getComputedStyle(text); ring = [s.outlineStyle, s.outlineWidth]; text.blur(); }
             return { scroll: d.scrollWidth, inner: window.innerWidth, unlabelled, shownHidden, ring };",
        )
        .await?;
    let inner = facts["inner"].as_u64().unwrap_or_default();
    let scroll = facts["scroll"].as_u64().unwrap_or(u64::MAX);
    check(
        inner + 20 >= u64::from(width) && inner <= u64::from(width),
        || format!("{page}: the window is {inner}px wide, not {width}px"),
    )?;
    check(scroll <= inner, || {
        format!("{page}: the page is {scroll}px wide in a {inner}px window")
    })?;
    check(
        facts["unlabelled"].as_array().is_some_and(Vec::is_empty),
        || format!("{page}: fields without a label: {}", facts["unlabelled"]),
    )?;
    check(
        facts["shownHidden"].as_array().is_some_and(Vec::is_empty),
        || format!("{page}: hidden elements on show: {}", facts["shownHidden"]),
    )?;
    if let Some(ring) = facts["ring"].as_array() {
        check(ring[0] != "none" && ring[1] != "0px", || {
            format!("{page}: a focused field shows no outline: {ring:?}")
        })?;
    }
    Ok(())
}

#[tokio::test]
async fn change_the_password_then_sign_in_with_the_new_one() {
    with_browser("change_the_password", async |chrome| {
        register_and_log_in(chrome, "alice").await?;
        chrome.open("/account").await?;
        chrome.click("main a[href='/account/password']").await?;
        chrome.expect_path("/account/password").await?;

        chrome
            .fill("#current_password", "not my password at all")
            .await?;
        chrome.fill("#new_password", NEW_PASSWORD).await?;
        chrome.click("main form button[type=submit]").await?;
        chrome
            .expect_text("Your current password is wrong.")
            .await?;
        check(
            field_value(chrome, "new_password").await?.is_empty(),
            || "the new password is echoed back".to_owned(),
        )?;

        chrome.fill("#current_password", PASSWORD).await?;
        chrome.fill("#new_password", NEW_PASSWORD).await?;
        chrome.click("main form button[type=submit]").await?;
        chrome.expect_path("/account").await?;
        chrome.expect_text("Your password was changed.").await?;
        chrome.click("main a[href='/account/sessions']").await?;
        chrome.expect_text("(this browser)").await?;

        chrome.click("nav form[action='/logout'] button").await?;
        chrome.expect_text("You have been logged out.").await?;
        chrome.open("/login").await?;
        log_in(chrome, "alice", NEW_PASSWORD).await?;
        chrome.expect_text("You are logged in").await
    })
    .await;
}

/// The console check is real: a CSP violation and a console error each fail
/// a step.
#[tokio::test]
async fn the_console_check_catches_csp_violations_and_errors() {
    with_browser("the_console_check", async |chrome| {
        chrome.open("/").await?;
        chrome
            .run("const img = document.createElement('img'); img.src = 'http://127.0.0.2:9/x.png'; document.body.append(img); return null;")
            .await?;
        // The browser reports the blocked image once it has tried to load it.
        let caught = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                let checked = chrome.console_is_clean().await;
                if checked.is_err() {
                    break checked;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
        .await
        .unwrap_or(Ok(()));
        check(
            caught
                .as_ref()
                .is_err_and(|message| message.contains("Content Security Policy")),
            || format!("a blocked image went unnoticed: {caught:?}"),
        )?;

        chrome.run("console.error('boom'); return null;").await?;
        let caught = chrome.console_is_clean().await;
        check(
            caught.as_ref().is_err_and(|message| message.contains("boom")),
            || format!("console.error went unnoticed: {caught:?}"),
        )?;
        chrome.console_is_clean().await
    })
    .await;
}

#[tokio::test]
async fn remember_me_keeps_the_session_past_the_browser_session() {
    with_browser("remember_me", async |chrome| {
        register(chrome, "alice", PASSWORD).await?;
        chrome.expect_path("/login").await?;

        // Not ticked: the cookie ends with the browser session.
        log_in(chrome, "alice", PASSWORD).await?;
        chrome.expect_text("You are logged in").await?;
        let cookies = chrome.cookies().await?;
        let session = cookies
            .iter()
            .find(|cookie| cookie.name == SESSION_COOKIE)
            .ok_or_else(|| format!("no session cookie: {cookies:?}"))?;
        check(session.expiry.is_none(), || {
            format!("without remember me the cookie persists: {session:?}")
        })?;
        chrome.click("nav form[action='/logout'] button").await?;
        chrome.expect_text("You have been logged out.").await?;

        // Ticked: the cookie outlives the browser session, still HttpOnly.
        chrome.open("/login").await?;
        chrome.fill("#username", "alice").await?;
        chrome.fill("#password", PASSWORD).await?;
        chrome.click("#remember").await?;
        chrome.click("main form button[type=submit]").await?;
        chrome.expect_text("You are logged in").await?;
        let cookies = chrome.cookies().await?;
        let session = cookies
            .iter()
            .find(|cookie| cookie.name == SESSION_COOKIE)
            .ok_or_else(|| format!("no session cookie: {cookies:?}"))?;
        let in_29_days = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_err(|error| error.to_string())?
            .as_secs()
            + 29 * 24 * 3600;
        check(session.expiry.is_some_and(|at| at > in_29_days), || {
            format!("a remembered session's cookie lasts 30 days: {session:?}")
        })?;
        check(session.http_only, || {
            "the cookie is not HttpOnly".to_owned()
        })?;
        let visible = chrome.script_visible_cookies().await?;
        check(!visible.contains(SESSION_COOKIE), || {
            format!("document.cookie shows the session: {visible:?}")
        })?;

        // Logging out still ends it.
        chrome.click("nav form[action='/logout'] button").await?;
        chrome.expect_text("You are not logged in").await?;
        check(!has_session_cookie(chrome).await?, || {
            "the remembered cookie outlives logging out".to_owned()
        })
    })
    .await;
}

/// One sign-in on the portal counts for an app on another host under the
/// same domain: `app.latch.test` behind nginx with forward auth, Latch at
/// `auth.latch.test`, the session cookie shared with `latch.test`, both
/// names mapped to loopback inside Chromium. The form posted on the portal
/// ends on the app (its `form-action` lets it), and signing out from the
/// app's link ends there too.
#[tokio::test]
async fn a_sign_in_on_the_portal_counts_for_an_app_on_a_sibling_host() {
    use latch_tests::{
        browser::Browser,
        echo_app::EchoApp,
        reverse_proxy::{ProxyKind, ReverseProxy},
    };

    let test = "a_sign_in_on_the_portal_counts_for_an_app_on_a_sibling_host";
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let listen = format!("127.0.0.1:{port}");
    let portal = format!("http://auth.latch.test:{port}");
    let latch = TestServer::start_with(&[
        ("LATCH__SERVER__LISTEN", &listen),
        ("LATCH__SERVER__TRUSTED_PROXIES", "127.0.0.1"),
        ("LATCH__SESSION__COOKIE_DOMAIN", "latch.test"),
        ("LATCH__FORWARD_AUTH__PORTAL_URL", &portal),
    ])
    .await;
    let created = Browser::new(latch.base_url())
        .register("alice", PASSWORD)
        .await;
    assert_eq!(created.status, reqwest::StatusCode::SEE_OTHER);
    let app = EchoApp::start().await.expect("the app starts");
    let latch_address = listen.parse().expect("an address");
    let Some(proxy) = ReverseProxy::start(ProxyKind::Nginx, latch_address, app.address(), test)
    else {
        return;
    };
    let app_url = proxy.base_url().replace("127.0.0.1", "app.latch.test");
    let resolve = "--host-resolver-rules=MAP *.latch.test 127.0.0.1".to_owned();
    let Some(chrome) = Chrome::start_with_args(test, &portal, &artifacts(), &[resolve]).await
    else {
        return;
    };
    let outcome = async {
        let reports = format!("{app_url}/reports");
        chrome.web().goto(&reports).await?;
        let sign_in = chrome.web().current_url().await?;
        check(
            sign_in.starts_with(&format!("{portal}/login?next=")),
            || format!("sent to sign in on the portal, not {sign_in}"),
        )?;
        log_in(&chrome, "alice", PASSWORD).await?;
        chrome.expect_text("remote-user: alice").await?;
        let back = chrome.web().current_url().await?;
        check(back == reports, || format!("back at {reports}, not {back}"))?;
        chrome.console_is_clean().await?;

        chrome
            .web()
            .goto(&format!("{portal}/logout?next={app_url}/"))
            .await?;
        chrome.click("main form button[type=submit]").await?;
        chrome.expect_text("You have been logged out.").await?;
        let after = chrome.web().current_url().await?;
        check(after.starts_with(&format!("{portal}/login?next=")), || {
            format!("signed out, the app sends to sign in again, not {after}")
        })?;
        chrome.console_is_clean().await
    }
    .await;
    chrome.finish(outcome).await;
}

#[tokio::test]
async fn an_authenticator_app_is_set_up_and_asked_for_at_sign_in() {
    let clock = ManualClock::new();
    with_browser_and_clock("authenticator_app", &clock, async |chrome| {
        register_and_log_in(chrome, "alice").await?;
        chrome.open("/account").await?;
        chrome.click("main a[href='/account/security']").await?;
        chrome
            .click("form[action='/account/security/totp'] button")
            .await?;
        chrome.element("figure.qr svg").await?;
        let key = chrome
            .run("return document.querySelector('.totp-key').textContent;")
            .await?;
        let app = Authenticator::from_base32(key.as_str().unwrap_or_default());
        chrome.fill("#code", &app.code_at(clock.now())).await?;
        chrome
            .click("form[action='/account/security/totp/confirm'] button")
            .await?;
        chrome.expect_text("Your recovery codes").await?;
        let codes = chrome
            .run("return document.querySelectorAll('.codes li').length;")
            .await?;
        check(codes == 10, || format!("{codes} recovery codes shown"))?;
        chrome.element("button[data-print]:not([hidden])").await?;

        chrome.click("nav form[action='/logout'] button").await?;
        // The logout's redirect lands first, or it would cut the next page
        // short.
        chrome.expect_text("You have been logged out.").await?;
        chrome.open("/login").await?;
        log_in(chrome, "alice", PASSWORD).await?;
        chrome.expect_path("/login/second-factor").await?;
        check(!has_session_cookie(chrome).await?, || {
            "a session before the second step".to_owned()
        })?;
        clock.advance(time::Duration::seconds(30));
        chrome.fill("#code", &app.code_at(clock.now())).await?;
        chrome.click("main form button[type=submit]").await?;
        chrome.expect_text("You are logged in").await?;
        chrome.open("/account/sessions").await?;
        chrome.expect_text("password and code").await
    })
    .await;
}
