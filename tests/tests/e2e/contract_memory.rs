//! The repository contract, run against the in-memory store.

use latch_memory::MemoryStore;
use latch_tests::contract::{StoreUnderTest, Unavailable};

/// A fresh, empty in-memory store.
async fn memory_store() -> Result<StoreUnderTest, Unavailable> {
    Ok(StoreUnderTest::new(MemoryStore::new()))
}

latch_tests::contract_suite!(memory_store);
