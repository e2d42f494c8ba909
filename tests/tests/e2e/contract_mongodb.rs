//! The repository contract, run against the MongoDB store on the server
//! named by `MONGODB_URI`, each case in a fresh database dropped afterwards.
//! Without `MONGODB_URI` every case prints `SKIPPED: ...` and returns.

use latch_domain::User;
use latch_tests::{
    contract::{Gap, StoreUnderTest, Unavailable},
    mongo::TestDatabase,
};
use mongodb::bson::{Document, doc};

/// A fresh, empty MongoDB store in a database of its own.
async fn mongodb_store() -> Result<StoreUnderTest, Unavailable> {
    let database = TestDatabase::new()?;
    let users = database.raw().await.collection::<Document>("users");
    let store =
        StoreUnderTest::new(database.store().await).forgetting_skeletons_with(move |user: User| {
            let users = users.clone();
            async move {
                // As the documents of a database from before skeletons are.
                let done = users
                    .update_one(
                        doc! { "username_key": user.username.key().as_str() },
                        doc! { "$unset": { "username_skeleton": "" } },
                    )
                    .await
                    .expect("the skeleton removed");
                assert_eq!(done.modified_count, 1, "one account changed");
            }
        });
    let store = if database.is_ferretdb().await {
        // MongoDB applies each update of one document atomically; FerretDB
        // 1.x reads and writes separately, so of concurrent conditional
        // updates of one document more than one can land.
        store.lacking(
            Gap::ConcurrentConditionalUpdates,
            "FerretDB 1.x applies concurrent conditional updates of one document without isolation",
        )
    } else {
        store
    };
    Ok(store.keeping(database))
}

latch_tests::contract_suite!(mongodb_store);
