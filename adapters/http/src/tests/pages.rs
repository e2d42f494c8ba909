//! The pages' error matrix: every status each page can reach answers with
//! one of our HTML pages (never Poem's plain text), and signed-out visitors
//! are sent to sign in and brought back.

use latch_domain::{FailedAttempts, PasswordHash, Verification};
use poem::http::{Method, StatusCode};

use super::fixture::{
    Browser, Call, Client, Mocks, NEW_PASSWORD, NOW, PASSWORD, Setup, alice, assert_error_page,
    assert_page, assert_see_other, dummy_hash, hasher_down, one_attempt_a_minute, session,
    settings, small_bodies, store_down, token,
};

/// A form on one of the pages, with fields it accepts.
struct PageForm {
    /// Where it is sent.
    path: &'static str,
    /// Its fields, without the CSRF token.
    fields: Vec<(&'static str, String)>,
    /// Whether only a signed-in person may send it.
    member: bool,
}

impl PageForm {
    /// A form anyone may send.
    fn visitor(path: &'static str, fields: &[(&'static str, &str)]) -> Self {
        Self::new(path, fields, false)
    }

    /// A form only a signed-in person may send.
    fn member(path: &'static str, fields: &[(&'static str, &str)]) -> Self {
        Self::new(path, fields, true)
    }

    /// A form with these fields.
    fn new(path: &'static str, fields: &[(&'static str, &str)], member: bool) -> Self {
        let fields = fields
            .iter()
            .map(|(name, value)| (*name, (*value).to_owned()))
            .collect();
        Self {
            path,
            fields,
            member,
        }
    }

    /// Its fields, as [`Browser::submit`] takes them.
    fn fields(&self) -> Vec<(&str, &str)> {
        self.fields
            .iter()
            .map(|(name, value)| (*name, value.as_str()))
            .collect()
    }

    /// A browser that may send it: signed in if only members may.
    async fn browser(&self, client: &Client) -> Browser {
        let browser = Browser::visit(client).await;
        if self.member {
            browser.signed_in()
        } else {
            browser
        }
    }

    /// Sent from `browser`'s page, with its token.
    fn submit<'a>(&self, browser: &Browser, client: &'a Client) -> Call<'a> {
        browser.submit(client, self.path, &self.fields())
    }
}

/// `POST /register`.
fn register() -> PageForm {
    PageForm::visitor("/register", &[("username", "bob"), ("password", PASSWORD)])
}

/// `POST /login`, as Alice.
fn login() -> PageForm {
    PageForm::visitor("/login", &[("username", "alice"), ("password", PASSWORD)])
}

/// `POST /logout`.
fn logout() -> PageForm {
    PageForm::member("/logout", &[])
}

/// `POST /account/password`.
fn change_password() -> PageForm {
    PageForm::member(
        "/account/password",
        &[
            ("current_password", PASSWORD),
            ("new_password", NEW_PASSWORD),
        ],
    )
}

/// `POST /account/sessions/end` for the session with public id `id`.
fn end_session_with(id: &str) -> PageForm {
    PageForm::member("/account/sessions/end", &[("session", id)])
}

/// `POST /account/sessions/end` for this browser's session.
fn end_session() -> PageForm {
    end_session_with(&token().id().public_id())
}

/// `POST /account/sessions/end-others`.
fn end_other_sessions() -> PageForm {
    PageForm::member("/account/sessions/end-others", &[])
}

/// `POST /account/delete`.
fn delete_account() -> PageForm {
    PageForm::member("/account/delete", &[("password", PASSWORD)])
}

/// Every form of the pages.
fn forms() -> Vec<PageForm> {
    vec![
        register(),
        login(),
        logout(),
        change_password(),
        end_session(),
        end_other_sessions(),
        delete_account(),
    ]
}

/// The forms that have fields of their own to read.
fn forms_with_fields() -> Vec<PageForm> {
    forms()
        .into_iter()
        .filter(|form| !form.fields.is_empty())
        .collect()
}

/// The pages only signed-in people may see.
const ACCOUNT_PAGES: [&str; 4] = [
    "/account",
    "/account/password",
    "/account/sessions",
    "/account/delete",
];

/// Every page a browser may open.
const PAGES: [&str; 8] = [
    "/",
    "/register",
    "/login",
    "/logout",
    "/account",
    "/account/password",
    "/account/sessions",
    "/account/delete",
];

/// A form body with these fields and nothing else.
fn form_body(fields: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(fields).expect("a form")
}

/// Every password typed again is wrong.
fn wrong_passwords(mocks: &mut Mocks) {
    mocks
        .hasher
        .expect_verify()
        .returning(|_, _| Ok(Verification::Mismatch));
}

/// A sign-in for Alice with a wrong password fails, counted.
fn wrong_sign_ins(mocks: &mut Mocks) {
    mocks
        .attempts
        .expect_failed_attempts()
        .returning(|_| Ok(None));
    mocks
        .users
        .expect_user_by_key()
        .returning(|_| Ok(Some(alice())));
    wrong_passwords(mocks);
    mocks
        .attempts
        .expect_record_failed_attempt_if()
        .returning(|_, _, _| Ok(true));
}

/// Alice's username is throttled after many failures in a row: only the
/// dummy hash is checked, and the right password does not help.
fn throttled_sign_ins(mocks: &mut Mocks) {
    mocks.attempts.expect_failed_attempts().returning(|_| {
        Ok(Some(FailedAttempts {
            count: 20,
            last_failed_at: NOW,
        }))
    });
    mocks
        .hasher
        .expect_verify()
        .withf(|_, hash| *hash == dummy_hash())
        .times(1)
        .returning(|_, _| Ok(Verification::Match));
}

#[tokio::test]
async fn unknown_pages_are_the_404_page() {
    let client = Mocks::new().serve(settings()).await;
    for path in [
        "/nothing",
        "/account/nothing",
        "/account/sessions/",
        "/static/nothing.css",
    ] {
        let response = client.get(path).send().await;
        assert_error_page(path, response, StatusCode::NOT_FOUND).await;
    }
}

#[tokio::test]
async fn wrong_methods_are_the_405_page() {
    let client = Mocks::new().serve(settings()).await;
    let browser = Browser::visit(&client).await;
    let cases = [
        (Method::POST, "/"),
        (Method::POST, "/account"),
        (Method::GET, "/account/sessions/end"),
        (Method::GET, "/account/sessions/end-others"),
        (Method::PUT, "/login"),
        (Method::PATCH, "/register"),
        (Method::DELETE, "/account"),
    ];
    for (method, path) in cases {
        let case = format!("{method} {path}");
        let response = browser
            .request(&client, method, path)
            .header("x-csrf-token", browser.token.as_str())
            .send()
            .await;
        assert_error_page(&case, response, StatusCode::METHOD_NOT_ALLOWED).await;
    }
}

#[tokio::test]
async fn forms_without_a_valid_csrf_token_are_the_403_page() {
    let client = Mocks::new().signed_in().serve(settings()).await;
    let other_browser = Browser::visit(&client).await;
    for form in forms() {
        let browser = form.browser(&client).await;
        let mut fields = form.fields();
        let cases = [
            ("no token", None),
            (
                "another browser's token",
                Some(other_browser.token.as_str()),
            ),
            ("a forged token", Some("Zm9yZ2Vk")),
        ];
        for (presented, token) in cases {
            let case = format!("{} with {presented}", form.path);
            let mut sent = fields.clone();
            sent.extend(token.map(|token| ("csrf_token", token)));
            let response = browser
                .request(&client, Method::POST, form.path)
                .content_type("application/x-www-form-urlencoded")
                .body(form_body(&sent))
                .send()
                .await;
            let page = assert_error_page(&case, response, StatusCode::FORBIDDEN).await;
            assert!(page.body.contains("This form has expired"), "{case}");
        }
        // A token without the cookie it was made for.
        fields.push(("csrf_token", browser.token.as_str()));
        let response = client
            .post(form.path)
            .content_type("application/x-www-form-urlencoded")
            .body(form_body(&fields))
            .send()
            .await;
        let case = format!("{} without the CSRF cookie", form.path);
        assert_error_page(&case, response, StatusCode::FORBIDDEN).await;
    }
    let response = client.put("/register").send().await;
    assert_error_page("PUT without a token", response, StatusCode::FORBIDDEN).await;
}

#[tokio::test]
async fn signed_out_visitors_are_sent_to_sign_in_and_back() {
    let client = Mocks::new().serve(settings()).await;
    let browser = Browser::visit(&client).await;
    for path in ACCOUNT_PAGES {
        let next = path.replace('/', "%2F");
        let response = browser.request(&client, Method::GET, path).send().await;
        assert_see_other(path, response, &format!("/login?next={next}")).await;
    }
    let sent_from = [
        (change_password(), "%2Faccount%2Fpassword"),
        (end_session(), "%2Faccount%2Fsessions"),
        (end_other_sessions(), "%2Faccount%2Fsessions"),
        (delete_account(), "%2Faccount%2Fdelete"),
    ];
    for (form, next) in sent_from {
        let response = form.submit(&browser, &client).send().await;
        assert_see_other(form.path, response, &format!("/login?next={next}")).await;
    }
}

#[tokio::test]
async fn a_session_cookie_that_opens_nothing_is_cleared_whatever_the_page() {
    let cases = [
        ("/", StatusCode::OK, None),
        (
            "/account",
            StatusCode::SEE_OTHER,
            Some("/login?next=%2Faccount"),
        ),
        ("/nothing", StatusCode::NOT_FOUND, None),
    ];
    for (path, status, sign_in_first) in cases {
        let mut mocks = Mocks::new();
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
        let client = mocks.serve(settings()).await;
        let browser = Browser::visit(&client).await.signed_in();
        let response = browser.request(&client, Method::GET, path).send().await;
        let answer = match sign_in_first {
            Some(location) => assert_see_other(path, response, location).await,
            None => assert_page(path, response, status).await,
        };
        assert!(
            answer.clears_session(),
            "{path}: the dead session's cookie is cleared: {:?}",
            answer.set_cookies()
        );
    }
}

#[tokio::test]
async fn pages_for_the_other_side_send_visitors_home() {
    let client = Mocks::new().signed_in().serve(settings()).await;
    let signed_out = Browser::visit(&client).await;
    let response = signed_out
        .request(&client, Method::GET, "/logout")
        .send()
        .await;
    assert_see_other("GET /logout signed out", response, "/").await;
    let signed_in = Browser::visit(&client).await.signed_in();
    for path in ["/login", "/register"] {
        let response = signed_in.request(&client, Method::GET, path).send().await;
        assert_see_other(path, response, "/").await;
    }
}

#[tokio::test]
async fn bodies_over_the_limit_are_the_413_page() {
    let client = Mocks::new().signed_in().serve(small_bodies(256)).await;
    let browser = Browser::visit(&client).await;
    let small = [("username", "bob"), ("password", "short")];
    let response = browser.submit(&client, "/register", &small).send().await;
    response.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let filler = "x".repeat(256);
    for form in forms() {
        let browser = form.browser(&client).await;
        let mut fields = form.fields();
        fields.push(("filler", &filler));
        let response = browser.submit(&client, form.path, &fields).send().await;
        assert_error_page(form.path, response, StatusCode::PAYLOAD_TOO_LARGE).await;
    }
}

#[tokio::test]
async fn forms_in_another_format_are_the_415_page() {
    let client = Mocks::new().signed_in().serve(settings()).await;
    for form in forms_with_fields() {
        let browser = form.browser(&client).await;
        for content_type in [
            "application/json",
            "multipart/form-data; boundary=x",
            "text/plain",
        ] {
            // The guard also takes the token from `X-CSRF-Token` (for
            // scripts), so a body in another format reaches the form.
            let case = format!("{} as {content_type}", form.path);
            let response = browser
                .request(&client, Method::POST, form.path)
                .header("x-csrf-token", browser.token.as_str())
                .content_type(content_type)
                .body("{}")
                .send()
                .await;
            assert_error_page(&case, response, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
        }
    }
}

#[tokio::test]
async fn malformed_forms_and_queries_are_the_400_page() {
    let client = Mocks::new().signed_in().serve(settings()).await;
    for form in forms_with_fields() {
        let browser = form.browser(&client).await;
        let mut fields = form.fields();
        // Every field twice: which one counts?
        fields.extend(form.fields());
        let response = browser.submit(&client, form.path, &fields).send().await;
        assert_error_page(form.path, response, StatusCode::BAD_REQUEST).await;
    }
    let path = "/login?next=%2Fa&next=%2Fb";
    let response = client.get(path).send().await;
    assert_error_page(path, response, StatusCode::BAD_REQUEST).await;
}

#[tokio::test]
async fn a_refused_sign_in_is_the_form_again_with_401_whatever_the_reason() {
    let cases: [(&str, Setup); 2] = [
        ("wrong password", wrong_sign_ins),
        ("throttled", throttled_sign_ins),
    ];
    for (case, store) in cases {
        let mut mocks = Mocks::new();
        store(&mut mocks);
        let client = mocks.serve(settings()).await;
        let browser = Browser::visit(&client).await;
        let fields = [
            ("username", "alice"),
            ("password", PASSWORD),
            ("next", "/account"),
        ];
        let response = browser.submit(&client, "/login", &fields).send().await;
        let page = assert_page(case, response, StatusCode::UNAUTHORIZED).await;
        assert!(
            page.body.contains("Invalid username or password."),
            "{case}: {}",
            page.body
        );
        assert!(
            page.body.contains("value=\"alice\""),
            "{case}: the username is kept"
        );
        assert!(
            page.body.contains("name=\"next\""),
            "{case}: and where to go"
        );
        assert!(
            page.header("retry-after").is_none(),
            "{case}: the pages never say which"
        );
    }
}

#[tokio::test]
async fn refused_sign_ups_are_the_form_again() {
    let mut mocks = Mocks::new();
    mocks
        .users
        .expect_user_by_key()
        .returning(|_| Ok(Some(alice())));
    let client = mocks.serve(settings()).await;
    let browser = Browser::visit(&client).await;
    let cases = [
        ("invalid", "a!", "short", StatusCode::UNPROCESSABLE_ENTITY),
        ("taken", "Alice", NEW_PASSWORD, StatusCode::CONFLICT),
    ];
    for (case, username, password, status) in cases {
        let fields = [("username", username), ("password", password)];
        let response = browser.submit(&client, "/register", &fields).send().await;
        let page = assert_page(case, response, status).await;
        assert!(page.body.contains("name=\"username\""), "{case}: the form");
        let username = format!("value=\"{username}\"");
        assert!(page.body.contains(&username), "{case}: {}", page.body);
    }
}

#[tokio::test]
async fn a_wrong_password_on_an_account_form_is_the_form_again_with_403() {
    let mut mocks = Mocks::new().signed_in();
    wrong_passwords(&mut mocks);
    let client = mocks.serve(settings()).await;
    let browser = Browser::visit(&client).await.signed_in();
    for form in [change_password(), delete_account()] {
        let response = form.submit(&browser, &client).send().await;
        let page = assert_page(form.path, response, StatusCode::FORBIDDEN).await;
        assert!(
            page.body.contains("password is wrong."),
            "{}: {}",
            form.path,
            page.body
        );
    }
}

#[tokio::test]
async fn an_invalid_new_password_is_the_form_again_with_422() {
    let mut mocks = Mocks::new().signed_in();
    mocks
        .hasher
        .expect_verify()
        .returning(|_, _| Ok(Verification::Match));
    let client = mocks.serve(settings()).await;
    let browser = Browser::visit(&client).await.signed_in();
    let fields = [("current_password", PASSWORD), ("new_password", "short")];
    let response = browser
        .submit(&client, "/account/password", &fields)
        .send()
        .await;
    let page = assert_page("short", response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(page.body.contains("name=\"new_password\""), "{}", page.body);
}

#[tokio::test]
async fn an_account_gone_during_the_request_signs_the_browser_out() {
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
    let browser = Browser::visit(&client).await.signed_in();
    for form in [change_password(), delete_account()] {
        let response = form.submit(&browser, &client).send().await;
        let answer = assert_see_other(form.path, response, "/").await;
        assert!(answer.clears_session(), "{}: signed out", form.path);
    }
}

#[tokio::test]
async fn ending_a_session_the_account_does_not_have_is_the_list_again_with_404() {
    let mut mocks = Mocks::new().signed_in();
    mocks
        .sessions
        .expect_user_sessions()
        .returning(|_| Ok(vec![session()]));
    let client = mocks.serve(settings()).await;
    let browser = Browser::visit(&client).await.signed_in();
    for id in ["0123456789abcdef0123456789abcdef", ""] {
        let response = end_session_with(id).submit(&browser, &client).send().await;
        let page = assert_page(id, response, StatusCode::NOT_FOUND).await;
        assert!(page.body.contains("That session was not found"), "{id:?}");
        assert!(page.body.contains("Firefox on Linux"), "{id:?}: the list");
    }
}

/// A rate-limit case: a form that spends the client's allowance (with what
/// the store says to it) when sent once, and is refused when sent again.
type SpentAllowance = (PageForm, StatusCode, Setup);

#[tokio::test]
async fn rate_limits_are_the_429_page_with_retry_after() {
    let cases: [SpentAllowance; 4] = [
        (
            PageForm::visitor("/register", &[("username", "bob"), ("password", "short")]),
            StatusCode::UNPROCESSABLE_ENTITY,
            |_| {},
        ),
        (login(), StatusCode::UNAUTHORIZED, wrong_sign_ins),
        (change_password(), StatusCode::FORBIDDEN, wrong_passwords),
        (delete_account(), StatusCode::FORBIDDEN, wrong_passwords),
    ];
    for (form, first_status, store) in cases {
        let mut mocks = Mocks::new().signed_in();
        store(&mut mocks);
        let client = mocks.serve(one_attempt_a_minute()).await;
        let browser = form.browser(&client).await;
        let first = form.submit(&browser, &client).send().await;
        assert_page(form.path, first, first_status).await;
        let again = form.submit(&browser, &client).send().await;
        let page = assert_error_page(form.path, again, StatusCode::TOO_MANY_REQUESTS).await;
        assert!(page.retry_after(form.path) <= 60, "{}", form.path);
    }
}

/// A form, and the store failing under it.
type Outage = (PageForm, Setup);

#[tokio::test]
async fn a_store_outage_is_the_503_page() {
    let cases: [Outage; 8] = [
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
        (end_session(), |mocks| {
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
        (
            PageForm::member("/account/sessions/end", &[("session", "0123")]),
            |mocks| {
                mocks
                    .sessions
                    .expect_user_sessions()
                    .returning(|_| Ok(vec![session()]))
                    .times(1);
                mocks
                    .sessions
                    .expect_user_sessions()
                    .returning(|_| Err(store_down()));
            },
        ),
    ];
    for (form, store) in cases {
        let mut mocks = Mocks::new().signed_in();
        store(&mut mocks);
        let client = mocks.serve(settings()).await;
        let browser = form.browser(&client).await;
        let response = form.submit(&browser, &client).send().await;
        assert_error_page(form.path, response, StatusCode::SERVICE_UNAVAILABLE).await;
    }
    let mut mocks = Mocks::new().signed_in();
    mocks
        .sessions
        .expect_user_sessions()
        .returning(|_| Err(store_down()));
    let client = mocks.serve(settings()).await;
    let browser = Browser::visit(&client).await.signed_in();
    let response = browser
        .request(&client, Method::GET, "/account/sessions")
        .send()
        .await;
    assert_error_page(
        "the session list",
        response,
        StatusCode::SERVICE_UNAVAILABLE,
    )
    .await;
}

#[tokio::test]
async fn a_store_outage_while_finding_the_visitor_is_the_503_page() {
    let mut mocks = Mocks::new();
    mocks
        .sessions
        .expect_session_with_user()
        .returning(|_| Err(store_down()));
    let client = mocks.serve(settings()).await;
    let browser = Browser::visit(&client).await.signed_in();
    for path in PAGES {
        let response = browser.request(&client, Method::GET, path).send().await;
        assert_error_page(path, response, StatusCode::SERVICE_UNAVAILABLE).await;
    }
    for form in forms() {
        let response = form.submit(&browser, &client).send().await;
        assert_error_page(form.path, response, StatusCode::SERVICE_UNAVAILABLE).await;
    }
}

#[tokio::test]
async fn a_hasher_failure_is_the_503_page() {
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
    for (form, hasher) in cases {
        let mut mocks = Mocks::new().signed_in();
        hasher(&mut mocks);
        let client = mocks.serve(settings()).await;
        let browser = form.browser(&client).await;
        let response = form.submit(&browser, &client).send().await;
        assert_error_page(form.path, response, StatusCode::SERVICE_UNAVAILABLE).await;
    }
}
