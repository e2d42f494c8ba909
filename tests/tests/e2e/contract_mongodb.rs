//! The repository contract, run against the MongoDB store on the server
//! named by `MONGODB_URI`, each case in a fresh database dropped afterwards.
//! Without `MONGODB_URI` every case prints `SKIPPED: ...` and returns.

use latch_tests::{
    contract::{Gap, StoreUnderTest, Unavailable},
    mongo::TestDatabase,
};

/// A fresh, empty MongoDB store in a database of its own.
async fn mongodb_store() -> Result<StoreUnderTest, Unavailable> {
    let database = TestDatabase::new()?;
    let store = StoreUnderTest::new(database.store().await);
    let store = if database.is_ferretdb().await {
        // MongoDB applies `$inc` atomically; FerretDB 1.x reads and writes
        // separately, so concurrent increments of one document can be lost.
        store.lacking(
            Gap::ConcurrentIncrements,
            "FerretDB 1.x loses concurrent $inc updates of one document",
        )
    } else {
        store
    };
    Ok(store.keeping(database))
}

latch_tests::contract_suite!(mongodb_store);
