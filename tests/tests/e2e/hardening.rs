//! What an attacker's test found, end to end: nobody can lock a person out,
//! parallel guesses do not get past the back-off, impossible usernames
//! write nothing, and re-entering the password is throttled like a sign-in.

// Test code: a failed step is a failed test.
#![allow(clippy::unwrap_used)]

use latch_tests::{
    api::{Api, PASSWORD},
    browser::Browser,
    clock::ManualClock,
    server::TestServer,
};
use reqwest::{StatusCode, header};
use serde_json::{Value, json};
use time::Duration;

/// No per-address limits: these tests are about the per-username counts,
/// and every request comes from 127.0.0.1.
const NO_ADDRESS_LIMITS: [(&str, &str); 2] = [
    ("LATCH__RATE_LIMIT__SIGN_IN_PER_MINUTE", "0"),
    ("LATCH__RATE_LIMIT__SIGN_UP_PER_HOUR", "0"),
];

/// The longest wait between two failures, and then some: every attempt
/// after it is evaluated.
const PAST_ANY_WAIT: Duration = Duration::minutes(16);

/// `attempts` wrong passwords for `username` over the API, each after the
/// back-off of the one before has passed.
async fn guess_wrong(api: &Api, clock: &ManualClock, username: &str, attempts: usize) {
    for attempt in 0..attempts {
        clock.advance(PAST_ANY_WAIT);
        let refused = api.login(username, "a wrong guess of a password").await;
        assert_eq!(
            refused.status(),
            StatusCode::UNAUTHORIZED,
            "attempt {attempt}"
        );
    }
}

async fn problem(response: reqwest::Response) -> (StatusCode, Option<String>, Value) {
    let status = response.status();
    let retry_after = response
        .headers()
        .get(header::RETRY_AFTER)
        .map(|value| value.to_str().unwrap().to_owned());
    (status, retry_after, response.json().await.unwrap())
}

#[tokio::test]
async fn a_hundred_wrong_guesses_lock_out_strangers_but_not_the_owners_browser() {
    let clock = ManualClock::new();
    let server = TestServer::start_with_clock(&NO_ADDRESS_LIMITS, clock.clone()).await;
    let api = Api::new(&server);
    assert_eq!(
        api.register("alice", PASSWORD).await.status(),
        StatusCode::CREATED
    );
    // Alice's browser has signed in here before: it holds a device cookie.
    let owners = Browser::new(server.base_url());
    assert_eq!(
        owners.log_in("alice", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    assert!(owners.cookie("latch_device").is_some(), "a device cookie");
    assert_eq!(owners.log_out().await.status, StatusCode::SEE_OTHER);

    guess_wrong(&api, &clock, "alice", 100).await;

    // Now no stranger gets in, not even with the right password, and
    // nobody is promised a wait that would not help.
    clock.advance(Duration::days(1));
    let (status, retry_after, body) = problem(api.login("alice", PASSWORD).await).await;
    assert_eq!(status, StatusCode::LOCKED);
    assert_eq!(body["code"], "sign_in_locked");
    assert_eq!(retry_after, None, "no Retry-After that would not be kept");
    let stranger = Browser::new(server.base_url());
    let page = stranger.log_in("alice", PASSWORD).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(
        page.contains("a browser you have signed in with before"),
        "{}",
        page.body
    );

    // Alice's own browser signs in, and that reopens the door for others.
    let signed_in = owners.log_in("alice", PASSWORD).await;
    assert_eq!(
        signed_in.status,
        StatusCode::SEE_OTHER,
        "{}",
        signed_in.body
    );
    assert_eq!(api.login("alice", PASSWORD).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_api_client_keeps_its_device_token_and_gets_past_the_lockout_with_it() {
    let clock = ManualClock::new();
    let server = TestServer::start_with_clock(&NO_ADDRESS_LIMITS, clock.clone()).await;
    let api = Api::new(&server);
    api.register("bob", PASSWORD).await;
    let first: Value = api.login("bob", PASSWORD).await.json().await.unwrap();
    let device = first["device_token"].as_str().unwrap().to_owned();
    assert_eq!(device.len(), 64);

    guess_wrong(&api, &clock, "bob", 100).await;
    assert_eq!(
        api.login("bob", PASSWORD).await.status(),
        StatusCode::LOCKED
    );

    let with_device = api
        .client()
        .post(api.url("/login"))
        .header("X-Device-Token", &device)
        .json(&json!({ "username": "bob", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(with_device.status(), StatusCode::OK);
    let body: Value = with_device.json().await.unwrap();
    assert_eq!(body["device_token"], device.as_str(), "the same device");

    // A token for another account is worth nothing for this one.
    api.register("carol", PASSWORD).await;
    guess_wrong(&api, &clock, "carol", 100).await;
    let borrowed = api
        .client()
        .post(api.url("/login"))
        .header("X-Device-Token", &device)
        .json(&json!({ "username": "carol", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(borrowed.status(), StatusCode::LOCKED);
}

#[tokio::test]
async fn thirty_wrong_sign_ins_sent_at_once_are_evaluated_at_most_six_times() {
    let server = TestServer::start_with(&NO_ADDRESS_LIMITS).await;
    let api = Api::new(&server);
    let attempts = (0..30).map(|_| {
        let request = api
            .client()
            .post(api.url("/login"))
            .json(&json!({ "username": "fresh-name", "password": "thirty guesses at once" }));
        async move { request.send().await.unwrap() }
    });
    let answers = futures_all(attempts).await;
    let mut evaluated = 0;
    let mut throttled = 0;
    for answer in answers {
        match answer.status() {
            StatusCode::UNAUTHORIZED => evaluated += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                assert!(answer.headers().contains_key(header::RETRY_AFTER));
                let body: Value = answer.json().await.unwrap();
                assert_eq!(body["code"], "too_many_attempts");
                throttled += 1;
            }
            other => panic!("unexpected {other}"),
        }
    }
    // Five free failures, and the sixth, whose failure starts the delay.
    assert!(evaluated <= 6, "{evaluated} of 30 evaluated");
    assert_eq!(evaluated + throttled, 30);
}

/// Sends every request at once and waits for all the answers.
async fn futures_all<F>(requests: impl Iterator<Item = F>) -> Vec<reqwest::Response>
where
    F: Future<Output = reqwest::Response> + Send + 'static,
{
    let mut tasks = tokio::task::JoinSet::new();
    for request in requests {
        tasks.spawn(request);
    }
    let mut answers = Vec::new();
    while let Some(answer) = tasks.join_next().await {
        answers.push(answer.unwrap());
    }
    answers
}

#[tokio::test]
async fn an_impossible_username_is_refused_without_a_store_write() {
    let server = TestServer::start_with(&NO_ADDRESS_LIMITS).await;
    let api = Api::new(&server);
    // As long as the 16 KiB body limit lets through.
    let huge = "u".repeat(15 * 1024);
    for _ in 0..25 {
        let (status, _, body) = problem(api.login(&huge, PASSWORD).await).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            body["code"], "invalid_credentials",
            "the same answer as a wrong password"
        );
    }
    let database = rusqlite::Connection::open(server.data_dir().join("latch.db")).unwrap();
    let counts: i64 = database
        .query_row("SELECT COUNT(*) FROM login_failures", [], |row| row.get(0))
        .unwrap();
    assert_eq!(counts, 0, "nothing counted for a name no account can have");
}

#[tokio::test]
async fn re_entering_the_password_is_throttled_like_a_sign_in() {
    let server = TestServer::start_with(&NO_ADDRESS_LIMITS).await;
    let api = Api::new(&server);
    let token = api.token_for("dave").await;
    let mut statuses = Vec::new();
    for _ in 0..8 {
        let answer = api
            .change_password(
                &token,
                "a guess by whoever holds the token",
                "a brand new passphrase",
            )
            .await;
        statuses.push(answer.status());
    }
    // Six wrong passwords are checked; the seventh waits.
    assert_eq!(statuses[..6], [StatusCode::FORBIDDEN; 6], "{statuses:?}");
    let (status, retry_after, body) = problem(api.delete_account(&token, PASSWORD).await).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["code"], "too_many_attempts");
    assert!(retry_after.is_some());
    assert!(api.works(&token).await, "the account is still there");
}

#[tokio::test]
async fn a_password_typed_composed_or_decomposed_is_one_password() {
    let server = TestServer::start_with(&NO_ADDRESS_LIMITS).await;
    let api = Api::new(&server);
    let composed = "cr\u{e8}me br\u{fb}l\u{e9}e for the whole table";
    let decomposed = "cre\u{300}me bru\u{302}le\u{301}e for the whole table";
    assert_eq!(
        api.register("erin", composed).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(api.login("erin", decomposed).await.status(), StatusCode::OK);
    assert_eq!(api.login("erin", composed).await.status(), StatusCode::OK);
}
