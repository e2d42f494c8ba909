//! The tutorial's flow, end to end: the real server on a free port with its
//! own SQLite file, driven over HTTP by a client that keeps cookies.

mod account;
mod second_factors;

use latch_tests::{browser::Browser, clock::ManualClock, server::TestServer};
use reqwest::StatusCode;

const PASSWORD: &str = "correct horse battery staple";
const SESSION_COOKIE: &str = "latch_session";

#[tokio::test]
async fn register_log_in_see_the_account_and_log_out() {
    let server = TestServer::start().await;
    let browser = Browser::new(server.base_url());

    let home = browser.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.contains("You are not logged in"));
    assert!(home.contains(r#"href="/login""#) && home.contains(r#"href="/register""#));

    let registered = browser.register("Alice", PASSWORD).await;
    assert_eq!(registered.status, StatusCode::SEE_OTHER);
    assert_eq!(registered.location(), Some("/login"));
    let login_page = browser.get("/login").await;
    assert!(login_page.contains("Account created. Please log in."));
    assert!(
        !browser.get("/login").await.contains("Account created"),
        "a flash shows once"
    );

    let signed_in = browser.log_in("alice", PASSWORD).await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    assert_eq!(signed_in.location(), Some("/"));

    let home = browser.get("/").await;
    assert!(home.contains("You are logged in"), "{}", home.body);
    assert!(
        home.contains("You are now logged in."),
        "a flash after sign-in"
    );
    assert!(home.contains("Alice"));
    assert!(home.contains(r#"href="/account""#));
    assert!(home.contains(r#"action="/logout" method="post""#));

    let account = browser.get("/account").await;
    assert_eq!(account.status, StatusCode::OK);
    assert!(account.contains("Alice"));
    assert!(account.contains("Account created"));
    assert!(account.contains("Last sign-in"));
    assert!(!account.contains("never"), "this sign-in is recorded");

    let signed_out = browser.log_out().await;
    assert_eq!(signed_out.status, StatusCode::SEE_OTHER);
    assert_eq!(signed_out.location(), Some("/"));
    let home = browser.get("/").await;
    assert!(home.contains("You are not logged in"));
    assert!(home.contains("You have been logged out."));
    assert_eq!(browser.get("/account").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_taken_username_is_refused_after_normalisation() {
    let server = TestServer::start().await;
    let browser = Browser::new(server.base_url());
    assert_eq!(
        browser.register("alice", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );

    for same in ["ALICE", "  Alice ", "ａｌｉｃｅ"] {
        let again = browser.register(same, PASSWORD).await;
        assert_eq!(again.status, StatusCode::CONFLICT, "{same:?}");
        assert!(again.contains("That username is taken"));
    }
}

#[tokio::test]
async fn a_look_alike_username_is_taken_or_told_why_it_is_refused() {
    let server = TestServer::start().await;
    let browser = Browser::new(server.base_url());
    assert_eq!(
        browser.register("admin", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );

    // A Cyrillic а; `rn` for `m`.
    for look_alike in ["\u{0430}dmin", "adrnin"] {
        let again = browser.register(look_alike, PASSWORD).await;
        assert_eq!(again.status, StatusCode::CONFLICT, "{look_alike:?}");
        assert!(again.contains("That username is taken"));
    }
    let blank = browser.register("\u{3164}\u{3164}\u{3164}", PASSWORD).await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(blank.contains("cannot contain invisible characters"));
}

#[tokio::test]
async fn invalid_input_is_shown_per_field_and_the_password_is_never_echoed() {
    let server = TestServer::start().await;
    let browser = Browser::new(server.base_url());
    let secret = "short secret";
    let page = browser.register("<b>x", secret).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Use only letters, digits"));
    assert!(page.contains("Use at least 15 characters"));
    assert!(
        page.contains(r#"value="&lt;b&gt;x""#),
        "the username is kept, escaped"
    );
    assert!(!page.contains(secret));

    let empty = browser.submit("/register", "/register", &[]).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn unknown_users_and_wrong_passwords_get_the_same_answer() {
    let server = TestServer::start().await;
    let browser = Browser::new(server.base_url());
    browser.register("alice", PASSWORD).await;

    let unknown = browser.log_in("nobody", PASSWORD).await;
    let wrong = browser.log_in("alice", "not the right password").await;
    for page in [&unknown, &wrong] {
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
        assert!(page.contains("Invalid username or password"));
    }
    assert!(wrong.contains(r#"value="alice""#), "the username is kept");
    assert!(browser.cookie(SESSION_COOKIE).is_none());
}

#[tokio::test]
async fn a_post_without_a_valid_csrf_token_is_refused_and_changes_nothing() {
    let server = TestServer::start().await;
    let browser = Browser::new(server.base_url());
    browser.get("/register").await;

    let no_token = browser
        .post_form(
            "/register",
            &[("username", "mallory"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(no_token.status, StatusCode::FORBIDDEN);
    assert!(no_token.contains("This form has expired"));
    let forged = browser
        .post_form(
            "/register",
            &[
                ("username", "mallory"),
                ("password", PASSWORD),
                ("csrf_token", "forged"),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    // Nothing was created: the name is still free.
    assert_eq!(
        browser.register("mallory", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );

    // Another browser's token is no good either.
    let other = Browser::new(server.base_url());
    let token = other.get("/login").await.csrf_token().unwrap();
    let crossed = browser
        .post_form(
            "/login",
            &[
                ("username", "mallory"),
                ("password", PASSWORD),
                ("csrf_token", &token),
            ],
        )
        .await;
    assert_eq!(crossed.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn logging_in_issues_a_new_session_and_logging_out_kills_the_old_one() {
    let server = TestServer::start().await;
    let browser = Browser::new(server.base_url());
    browser.register("alice", PASSWORD).await;

    browser.log_in("alice", PASSWORD).await;
    let first = browser.cookie(SESSION_COOKIE).expect("a session cookie");
    // Signed in, the sign-in page redirects home; sign in again from there.
    let credentials = [("username", "alice"), ("password", PASSWORD)];
    let again = browser.submit("/", "/login", &credentials).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    let second = browser.cookie(SESSION_COOKIE).expect("a session cookie");
    assert_ne!(first, second, "every sign-in issues a new session");

    let replay_first = Browser::new(server.base_url());
    replay_first.set_cookie(SESSION_COOKIE, &first);
    assert!(
        replay_first
            .get("/")
            .await
            .contains("You are not logged in"),
        "the session a sign-in replaced is gone"
    );

    browser.log_out().await;
    let replay_second = Browser::new(server.base_url());
    replay_second.set_cookie(SESSION_COOKIE, &second);
    let home = replay_second.get("/").await;
    assert!(
        home.contains("You are not logged in"),
        "a copied cookie dies with logout"
    );
    assert_eq!(
        replay_second.get("/account").await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn get_logout_changes_nothing() {
    let server = TestServer::start().await;
    let browser = Browser::new(server.base_url());
    browser.register("alice", PASSWORD).await;
    browser.log_in("alice", PASSWORD).await;

    let page = browser.get("/logout").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.contains(r#"action="/logout" method="post""#));
    assert!(browser.get("/").await.contains("You are logged in"));
}

#[tokio::test]
async fn protected_pages_send_you_to_log_in_and_back() {
    let server = TestServer::start().await;
    let browser = Browser::new(server.base_url());
    browser.register("alice", PASSWORD).await;

    let account = browser.get("/account").await;
    assert_eq!(account.status, StatusCode::SEE_OTHER);
    assert_eq!(account.location(), Some("/login?next=%2Faccount"));

    let login_page = browser.get("/login?next=%2Faccount").await;
    assert!(
        login_page.contains(r#"name="next" value="&#x2f;account""#),
        "{}",
        login_page.body
    );
    let signed_in = browser
        .submit(
            "/login?next=%2Faccount",
            "/login",
            &[
                ("username", "alice"),
                ("password", PASSWORD),
                ("next", "/account"),
            ],
        )
        .await;
    assert_eq!(signed_in.location(), Some("/account"));
}

#[tokio::test]
async fn sign_in_never_redirects_off_the_site() {
    let server = TestServer::start().await;
    Browser::new(server.base_url())
        .register("alice", PASSWORD)
        .await;
    for next in [
        "//evil.example",
        "/\\evil.example",
        "https://evil.example",
        "%2F%2Fevil.example",
        "javascript:alert(1)",
    ] {
        let browser = Browser::new(server.base_url());
        let page = browser
            .submit(
                "/login",
                "/login",
                &[
                    ("username", "alice"),
                    ("password", PASSWORD),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{next}");
        assert_eq!(page.location(), Some("/"), "{next}");
    }
}

#[tokio::test]
async fn signed_in_people_are_sent_home_from_the_sign_in_and_sign_up_forms() {
    let server = TestServer::start().await;
    let browser = Browser::new(server.base_url());
    browser.register("alice", PASSWORD).await;
    browser.log_in("alice", PASSWORD).await;
    for path in ["/login", "/register"] {
        let page = browser.get(path).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(page.location(), Some("/"), "{path}");
    }
}

#[tokio::test]
async fn cookies_and_headers_are_locked_down() {
    let server = TestServer::start().await;
    let browser = Browser::new(server.base_url());
    browser.register("alice", PASSWORD).await;
    let signed_in = browser.log_in("alice", PASSWORD).await;
    let cookie = signed_in
        .set_cookie(SESSION_COOKIE)
        .expect("a session cookie is set");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(
        !cookie.contains("Secure"),
        "not secure unless configured: {cookie}"
    );
    assert!(
        !cookie.contains("Max-Age"),
        "a browser-session cookie: {cookie}"
    );

    let home = browser.get("/").await;
    let header = |name: &str| {
        home.headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert!(header("content-security-policy").contains("default-src 'self'"));
    assert!(header("content-security-policy").contains("frame-ancestors 'none'"));
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert_eq!(header("referrer-policy"), "same-origin");
    assert_eq!(header("cache-control"), "no-store");
}

#[tokio::test]
async fn secure_cookies_use_the_host_prefix_and_hsts() {
    let server = TestServer::start_with(&[("LATCH__SESSION__COOKIE_SECURE", "true")]).await;
    let browser = Browser::new(server.base_url());
    let page = browser.get("/register").await;
    let csrf = page
        .set_cookie("__Host-latch_csrf")
        .expect("a __Host- CSRF cookie");
    assert!(csrf.contains("Secure"), "{csrf}");
    assert!(page.headers.contains_key("strict-transport-security"));
}

#[tokio::test]
async fn oversized_and_malformed_requests_get_4xx_pages_not_500() {
    let server = TestServer::start().await;
    let browser = Browser::new(server.base_url());
    let big = browser
        .post_raw(
            "/login",
            "application/x-www-form-urlencoded",
            vec![b'a'; 17 * 1024],
        )
        .await;
    assert_eq!(big.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(big.contains("Request too large"));

    let missing = browser.get("/no/such/page").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.contains("Page not found"));

    let token = browser.get("/login").await.csrf_token().unwrap();
    let garbage = browser
        .post_raw(
            "/login",
            "application/x-www-form-urlencoded",
            format!(
                "csrf_token={}&username=%FF%FE&password=%%%",
                urlencode(&token)
            )
            .into_bytes(),
        )
        .await;
    assert!(garbage.status.is_client_error(), "{}", garbage.status);

    let json = browser
        .post_raw("/login", "application/json", b"{}".to_vec())
        .await;
    assert!(json.status.is_client_error(), "{}", json.status);
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                (byte as char).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn the_sqlite_file_holds_argon2id_hashes_and_never_the_password() {
    let mut server = TestServer::start().await;
    let browser = Browser::new(server.base_url());
    browser.register("alice", PASSWORD).await;
    server.stop().await;

    let mut stored = Vec::new();
    for entry in std::fs::read_dir(server.data_dir()).unwrap() {
        stored.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    let contains = |needle: &[u8]| stored.windows(needle.len()).any(|window| window == needle);
    assert!(contains(b"$argon2id$v=19$m=47104,t=1,p=1$"));
    assert!(!contains(PASSWORD.as_bytes()));
}

#[tokio::test]
async fn remember_me_gives_a_persistent_cookie_and_logout_still_ends_it() {
    let server = TestServer::start().await;
    let browser = Browser::new(server.base_url());
    browser.register("alice", PASSWORD).await;
    let signed_in = browser
        .submit(
            "/login",
            "/login",
            &[
                ("username", "alice"),
                ("password", PASSWORD),
                ("remember", "on"),
            ],
        )
        .await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    let cookie = signed_in
        .set_cookie(SESSION_COOKIE)
        .expect("a session cookie");
    assert!(cookie.contains("Max-Age=2592000"), "30 days: {cookie}");
    let token = browser.cookie(SESSION_COOKIE).unwrap();

    browser.log_out().await;
    let replay = Browser::new(server.base_url());
    replay.set_cookie(SESSION_COOKIE, &token);
    assert!(replay.get("/").await.contains("You are not logged in"));
}

#[tokio::test]
async fn after_repeated_failures_even_the_right_password_waits() {
    let clock = ManualClock::new();
    let server = TestServer::start_with_clock(&[], clock.clone()).await;
    let browser = Browser::new(server.base_url());
    browser.register("alice", PASSWORD).await;
    for _ in 0..6 {
        let refused = browser.log_in("alice", "not the right password").await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    }
    // Six failures in a row: the next attempt must wait a second, and until
    // then the right password gets the same generic refusal.
    let throttled = browser.log_in("alice", PASSWORD).await;
    assert_eq!(throttled.status, StatusCode::UNAUTHORIZED);
    assert!(throttled.contains("Invalid username or password"));
    assert!(browser.cookie(SESSION_COOKIE).is_none());

    clock.advance(time::Duration::SECOND);
    let signed_in = browser.log_in("alice", PASSWORD).await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_csrf_token_changes_at_sign_in_and_logout() {
    let server = TestServer::start().await;
    let browser = Browser::new(server.base_url());
    browser.register("alice", PASSWORD).await;

    let before_sign_in = browser.get("/login").await.csrf_token().unwrap();
    browser.log_in("alice", PASSWORD).await;
    let stale = browser
        .post_form("/logout", &[("csrf_token", &before_sign_in)])
        .await;
    assert_eq!(
        stale.status,
        StatusCode::FORBIDDEN,
        "a token from before sign-in is dead"
    );
    assert!(browser.get("/").await.contains("You are logged in"));

    let before_logout = browser.get("/").await.csrf_token().unwrap();
    browser.log_out().await;
    let stale = browser
        .post_form(
            "/login",
            &[
                ("username", "alice"),
                ("password", PASSWORD),
                ("csrf_token", &before_logout),
            ],
        )
        .await;
    assert_eq!(
        stale.status,
        StatusCode::FORBIDDEN,
        "a token from before logout is dead"
    );
}

#[tokio::test]
async fn the_csrf_secret_is_set_once_and_every_page_masks_its_token_afresh() {
    let server = TestServer::start().await;
    let browser = Browser::new(server.base_url());
    let first = browser.get("/register").await;
    let cookie = first
        .set_cookie("latch_csrf")
        .expect("a CSRF cookie on the first page");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    let second = browser.get("/register").await;
    assert_eq!(
        second.set_cookie("latch_csrf"),
        None,
        "the secret is not sent again with every page"
    );

    let first = first.csrf_token().unwrap();
    let second = second.csrf_token().unwrap();
    assert_ne!(first, second, "each page masks the token afresh");
    for (username, token) in [("alice", &first), ("bob", &second)] {
        let created = browser
            .post_form(
                "/register",
                &[
                    ("username", username),
                    ("password", PASSWORD),
                    ("csrf_token", token),
                ],
            )
            .await;
        assert_eq!(created.status, StatusCode::SEE_OTHER, "{username}");
    }
}

#[tokio::test]
async fn a_csrf_token_works_only_with_the_session_it_was_made_for() {
    let server = TestServer::start().await;
    let signup = Browser::new(server.base_url());
    signup.register("alice", PASSWORD).await;
    signup.register("bob", PASSWORD).await;
    let alice = Browser::new(server.base_url());
    alice.log_in("alice", PASSWORD).await;
    let bob = Browser::new(server.base_url());
    bob.log_in("bob", PASSWORD).await;
    let visitor = Browser::new(server.base_url());

    // Someone who can plant cookies on the victim's browser (from a sibling
    // subdomain, say) pairs their own CSRF secret and a token made for it,
    // signed in (Alice) or signed out (a visitor), with Bob's session.
    let attackers = [
        (&alice, "/", "a signed-in attacker"),
        (&visitor, "/login", "a visitor"),
    ];
    for (attacker, page, whose) in attackers {
        let token = attacker.get(page).await.csrf_token().unwrap();
        let victim = Browser::new(server.base_url());
        victim.set_cookie(SESSION_COOKIE, &bob.cookie(SESSION_COOKIE).unwrap());
        victim.set_cookie("latch_csrf", &attacker.cookie("latch_csrf").unwrap());
        for action in ["/account/sessions/end-others", "/logout"] {
            let forged = victim.post_form(action, &[("csrf_token", &token)]).await;
            assert_eq!(forged.status, StatusCode::FORBIDDEN, "{whose}, {action}");
            assert!(
                forged.contains("This form has expired"),
                "{whose}, {action}"
            );
        }
    }
    assert!(
        bob.get("/").await.contains("You are logged in"),
        "Bob's session is intact"
    );

    // With its own session, the same kind of token works.
    let token = alice.get("/").await.csrf_token().unwrap();
    let own = alice.post_form("/logout", &[("csrf_token", &token)]).await;
    assert_eq!(own.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn forms_after_a_change_of_session_carry_a_token_for_the_new_one() {
    let server = TestServer::start().await;
    let browser = Browser::new(server.base_url());
    browser.register("alice", PASSWORD).await;

    // A dead session's cookie is cleared by the sign-in page itself: its
    // form is for a browser without a session.
    browser.set_cookie(SESSION_COOKIE, &"A".repeat(43));
    let signed_in = browser.log_in("alice", PASSWORD).await;
    assert_eq!(
        signed_in.status,
        StatusCode::SEE_OTHER,
        "{}",
        signed_in.body
    );
    // The page after the sign-in's redirect is for the new session.
    let ended = browser
        .submit("/account/sessions", "/account/sessions/end-others", &[])
        .await;
    assert_eq!(ended.status, StatusCode::SEE_OTHER, "{}", ended.body);
    // And the one after logout is for none.
    assert_eq!(browser.log_out().await.status, StatusCode::SEE_OTHER);
    let again = browser.log_in("alice", PASSWORD).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.body);
}

#[tokio::test]
async fn a_form_another_site_sends_is_refused_even_with_a_valid_token() {
    let server = TestServer::start().await;
    let browser = Browser::new(server.base_url());
    browser.register("alice", PASSWORD).await;
    browser.log_in("alice", PASSWORD).await;

    let token = browser.get("/account/sessions").await.csrf_token().unwrap();
    let fields = [("csrf_token", token.as_str())];
    let cross_site = browser
        .post_form_with(
            "/account/sessions/end-others",
            &fields,
            &[("Sec-Fetch-Site", "cross-site")],
        )
        .await;
    assert_eq!(cross_site.status, StatusCode::FORBIDDEN);
    assert!(cross_site.contains("This form has expired"));
    let logout = browser
        .post_form_with("/logout", &fields, &[("Sec-Fetch-Site", "cross-site")])
        .await;
    assert_eq!(logout.status, StatusCode::FORBIDDEN);
    assert!(browser.get("/").await.contains("You are logged in"));

    // From this site, from a sibling one, typed in, or from a browser that
    // sends no Fetch Metadata: the token decides.
    for site in ["same-origin", "same-site", "none"] {
        let sent = browser
            .post_form_with(
                "/account/sessions/end-others",
                &fields,
                &[("Sec-Fetch-Site", site)],
            )
            .await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER, "{site}: {}", sent.body);
    }
    let sent = browser
        .post_form("/account/sessions/end-others", &fields)
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
}
