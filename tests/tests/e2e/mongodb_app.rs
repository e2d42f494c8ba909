//! The whole application on `storage.backend = "mongodb"`, over real HTTP:
//! the tutorial's flow, two instances sharing sessions, expiry enforced on
//! read, and an outage of the store that the app rides out. Uses the server
//! named by `MONGODB_URI` (a database of its own per test); without it each
//! test prints `SKIPPED: ...` and returns.

use std::time::Duration;

use latch_tests::{
    browser::Browser, contract::skip, mongo::TestDatabase, proxy::CuttableRelay, server::TestServer,
};
use mongodb::bson::{DateTime, Document, doc};
use reqwest::StatusCode;
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery staple";
const SESSION_COOKIE: &str = "latch_session";
const SECRET_KEY: &str = "3f1c9a0b7d2e4f60a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718";

fn database(test: &str) -> Option<TestDatabase> {
    TestDatabase::new()
        .inspect_err(|unavailable| skip(test, unavailable))
        .ok()
}

async fn server_on(database: &TestDatabase, extra: &[(&str, &str)]) -> TestServer {
    let mut overrides = database.overrides().to_vec();
    overrides.extend_from_slice(extra);
    TestServer::start_with(&overrides).await
}

#[tokio::test]
async fn register_log_in_see_the_account_and_log_out_on_mongodb() {
    let Some(database) = database("mongodb_app::tutorial_flow") else {
        return;
    };
    let server = server_on(&database, &[]).await;
    let browser = Browser::new(server.base_url());

    assert!(browser.get("/").await.contains("You are not logged in"));
    let registered = browser.register("Alice", PASSWORD).await;
    assert_eq!(registered.status, StatusCode::SEE_OTHER);
    assert_eq!(registered.location(), Some("/login"));
    let again = browser.register("ALICE", PASSWORD).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    assert!(again.contains("That username is taken"));

    let wrong = browser
        .log_in("alice", "not the right password at all")
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let signed_in = browser.log_in("alice", PASSWORD).await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    let home = browser.get("/").await;
    assert!(home.contains("You are logged in"), "{}", home.body);
    assert!(home.contains("Alice"));
    let account = browser.get("/account").await;
    assert_eq!(account.status, StatusCode::OK);
    assert!(account.contains("Last sign-in") && !account.contains("never"));

    let raw = database.raw().await;
    let sessions = raw.collection::<Document>("sessions");
    assert_eq!(sessions.count_documents(doc! {}).await.unwrap(), 1);

    let signed_out = browser.log_out().await;
    assert_eq!(signed_out.status, StatusCode::SEE_OTHER);
    assert!(browser.get("/").await.contains("You are not logged in"));
    assert_eq!(browser.get("/account").await.status, StatusCode::SEE_OTHER);
    assert_eq!(sessions.count_documents(doc! {}).await.unwrap(), 0);
}

#[tokio::test]
async fn two_instances_on_one_database_share_accounts_and_sessions() {
    let Some(database) = database("mongodb_app::two_instances") else {
        return;
    };
    let key = [("LATCH__SERVER__SECRET_KEY", SECRET_KEY)];
    let first = server_on(&database, &key).await;
    let second = server_on(&database, &key).await;
    assert_ne!(first.base_url(), second.base_url());

    // Sign up and in through the first instance...
    let on_first = Browser::new(first.base_url());
    on_first.register("bob", PASSWORD).await;
    assert_eq!(
        on_first.log_in("bob", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    let session = on_first.cookie(SESSION_COOKIE).expect("a session cookie");

    // ...and the same cookie is signed in on the second, as behind a load
    // balancer that sends the next request elsewhere.
    let on_second = Browser::new(second.base_url());
    assert!(on_second.get("/").await.contains("You are not logged in"));
    on_second.set_cookie(SESSION_COOKIE, &session);
    let home = on_second.get("/").await;
    assert!(home.contains("You are logged in"), "{}", home.body);
    assert!(home.contains("bob"));

    // Signing out on the second ends the session on the first too.
    assert_eq!(on_second.log_out().await.status, StatusCode::SEE_OTHER);
    assert!(on_first.get("/").await.contains("You are not logged in"));
}

#[tokio::test]
async fn an_expired_session_is_refused_and_deleted_when_read_ttl_index_or_not() {
    let Some(database) = database("mongodb_app::expiry_on_read") else {
        return;
    };
    let server = server_on(&database, &[]).await;
    let browser = Browser::new(server.base_url());
    browser.register("carol", PASSWORD).await;
    browser.log_in("carol", PASSWORD).await;
    assert!(browser.get("/").await.contains("You are logged in"));

    // Age the session past its end, as time would; a TTL index (where there
    // is one) removes such documents only once a minute, so the app must not
    // rely on it.
    let sessions = database.raw().await.collection::<Document>("sessions");
    let past = DateTime::from_millis(DateTime::now().timestamp_millis() - 1_000);
    let aged = sessions
        .update_many(doc! {}, doc! { "$set": { "expires_at": past } })
        .await
        .unwrap();
    assert_eq!(aged.modified_count, 1);

    let home = browser.get("/").await;
    assert!(home.contains("You are not logged in"), "{}", home.body);
    assert_eq!(sessions.count_documents(doc! {}).await.unwrap(), 0);
}

#[tokio::test]
async fn while_the_store_is_unreachable_pages_and_api_answer_503_and_recover() {
    let Some(database) = database("mongodb_app::outage") else {
        return;
    };
    let relay = CuttableRelay::start(database.server_address().await)
        .await
        .unwrap();
    let overrides = database.overrides_through(relay.address());
    let overrides: Vec<(&str, &str)> = overrides
        .iter()
        .map(|(key, value)| (*key, value.as_str()))
        .collect();
    let server = TestServer::start_with(&overrides).await;
    let browser = Browser::new(server.base_url());
    browser.register("dave", PASSWORD).await;
    browser.log_in("dave", PASSWORD).await;
    assert!(browser.get("/").await.contains("You are logged in"));
    let api = reqwest::Client::new();
    let token: Value = api
        .post(format!("{}/api/login", server.base_url()))
        .json(&json!({ "username": "dave", "password": PASSWORD }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["token"].as_str().unwrap().to_owned();
    let me = || {
        api.get(format!("{}/api/me", server.base_url()))
            .bearer_auth(&token)
            .send()
    };
    assert_eq!(me().await.unwrap().status(), StatusCode::OK);

    relay.cut();
    let ready = browser.get("/health/ready").await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(browser.get("/health/live").await.status, StatusCode::OK);
    let home = browser.get("/").await;
    assert_eq!(home.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(home.contains("Temporarily unavailable"), "{}", home.body);
    let newcomer = Browser::new(server.base_url());
    let refused = newcomer.register("erin", PASSWORD).await;
    assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(refused.contains("Temporarily unavailable"));
    let problem = me().await.unwrap();
    assert_eq!(problem.status(), StatusCode::SERVICE_UNAVAILABLE);
    let problem: Value = problem.json().await.unwrap();
    assert_eq!(problem["code"], "storage_unavailable", "{problem}");

    relay.restore();
    // The driver finds the server again by itself; wait for it, boundedly.
    let mut ready = StatusCode::SERVICE_UNAVAILABLE;
    for _ in 0..60 {
        ready = browser.get("/health/ready").await.status;
        if ready == StatusCode::OK {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(ready, StatusCode::OK, "ready again once the store is back");
    let home = browser.get("/").await;
    assert!(home.contains("You are logged in"), "{}", home.body);
    assert_eq!(me().await.unwrap().status(), StatusCode::OK);
}
