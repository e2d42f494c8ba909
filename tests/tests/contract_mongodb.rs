//! The repository contract, run against the MongoDB store on the server
//! named by `MONGODB_URI`, each case in a fresh database dropped afterwards.
//! Without `MONGODB_URI` every case prints `SKIPPED: ...` and returns.

use latch_tests::{
    contract::{StoreUnderTest, Unavailable},
    mongo::TestDatabase,
};

/// A fresh, empty MongoDB store in a database of its own.
async fn mongodb_store() -> Result<StoreUnderTest, Unavailable> {
    let database = TestDatabase::new()?;
    let store = database.store().await;
    Ok(StoreUnderTest::new(store).keeping(database))
}

latch_tests::contract_suite!(mongodb_store);
