//! The repository contract, run against the SQLite store, each case on a new
//! file in its own temporary directory.

use std::time::Duration;

use latch_domain::User;
use latch_sqlite::SqliteStore;
use latch_tests::contract::{StoreUnderTest, Unavailable};
use tempfile::TempDir;

/// A fresh, empty SQLite store whose directory lives as long as the case.
async fn sqlite_store() -> Result<StoreUnderTest, Unavailable> {
    let directory = TempDir::new().expect("a temporary directory");
    let path = directory.path().join("latch.db");
    let store = SqliteStore::open(&path, 4)
        .await
        .expect("a new SQLite store");
    Ok(StoreUnderTest::new(store)
        .forgetting_skeletons_with(move |user: User| {
            let path = path.clone();
            async move {
                // As the rows of a file from before migration 0004 are.
                let changed = tokio::task::spawn_blocking(move || {
                    let connection = rusqlite::Connection::open(&path).expect("the store's file");
                    connection
                        .busy_timeout(Duration::from_secs(5))
                        .expect("a busy timeout");
                    connection
                        .execute(
                            "UPDATE users SET username_skeleton = NULL WHERE id = ?",
                            [user.id.to_string()],
                        )
                        .expect("the skeleton removed")
                })
                .await
                .expect("the removal ran");
                assert_eq!(changed, 1, "one account changed");
            }
        })
        .keeping(directory))
}

latch_tests::contract_suite!(sqlite_store);
