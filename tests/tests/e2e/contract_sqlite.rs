//! The repository contract, run against the SQLite store, each case on a new
//! file in its own temporary directory.

use latch_sqlite::SqliteStore;
use latch_tests::contract::{StoreUnderTest, Unavailable};
use tempfile::TempDir;

/// A fresh, empty SQLite store whose directory lives as long as the case.
async fn sqlite_store() -> Result<StoreUnderTest, Unavailable> {
    let directory = TempDir::new().expect("a temporary directory");
    let store = SqliteStore::open(&directory.path().join("latch.db"), 4)
        .await
        .expect("a new SQLite store");
    Ok(StoreUnderTest::new(store).keeping(directory))
}

latch_tests::contract_suite!(sqlite_store);
