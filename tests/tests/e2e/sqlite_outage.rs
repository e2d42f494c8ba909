//! An SQLite store that fails (here: another process holds the database's
//! write lock) gets the same treatment as an unreachable MongoDB: `503`
//! pages and `storage_unavailable` problems while it lasts, the process
//! stays up, and everything works again once the lock is gone.

use latch_tests::{browser::Browser, server::TestServer};
use reqwest::StatusCode;
use rusqlite::Connection;
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery staple";

#[tokio::test]
async fn a_locked_sqlite_file_gives_503s_and_the_app_recovers_by_itself() {
    let server = TestServer::start().await;
    let browser = Browser::new(server.base_url());
    assert_eq!(
        browser.register("alice", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );

    // Another process takes the write lock and keeps it: every write of the
    // app waits out its 5 s busy timeout, then fails.
    let intruder = Connection::open(server.data_dir().join("latch.db")).unwrap();
    intruder
        .execute_batch("BEGIN IMMEDIATE; DELETE FROM sessions;")
        .unwrap();

    let newcomer = Browser::new(server.base_url());
    let refused = newcomer.register("bob", PASSWORD).await;
    assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        refused.contains("Temporarily unavailable"),
        "{}",
        refused.body
    );
    let api = reqwest::Client::new();
    let problem = api
        .post(format!("{}/api/login", server.base_url()))
        .json(&json!({ "username": "alice", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(problem.status(), StatusCode::SERVICE_UNAVAILABLE);
    let problem: Value = problem.json().await.unwrap();
    assert_eq!(problem["code"], "storage_unavailable", "{problem}");
    assert_eq!(browser.get("/health/live").await.status, StatusCode::OK);

    intruder.execute_batch("ROLLBACK").unwrap();
    intruder.close().unwrap();

    assert_eq!(
        newcomer.register("bob", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        browser.log_in("alice", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    assert!(browser.get("/").await.contains("You are logged in"));
    assert_eq!(browser.get("/health/ready").await.status, StatusCode::OK);
}
