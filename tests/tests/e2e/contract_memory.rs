//! The repository contract, run against the in-memory store.

use latch_domain::User;
use latch_memory::MemoryStore;
use latch_tests::contract::{StoreUnderTest, Unavailable};

/// A fresh, empty in-memory store.
async fn memory_store() -> Result<StoreUnderTest, Unavailable> {
    let store = MemoryStore::new();
    let old_rows = store.clone();
    Ok(
        StoreUnderTest::new(store).forgetting_skeletons_with(move |user: User| {
            let old_rows = old_rows.clone();
            async move {
                old_rows
                    .forget_skeleton(user.id)
                    .expect("the in-memory store answers");
            }
        }),
    )
}

latch_tests::contract_suite!(memory_store);
