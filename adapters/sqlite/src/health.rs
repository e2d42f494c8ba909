//! Readiness: whether the database answers.

use async_trait::async_trait;
use latch_domain::{StorageError, StoreHealth};

use crate::{error::storage, store::SqliteStore};

#[async_trait]
impl StoreHealth for SqliteStore {
    async fn ping(&self) -> Result<(), StorageError> {
        self.read(|connection| {
            connection
                .query_row("SELECT 1", [], |row| row.get::<_, i64>(0))
                .map(|_| ())
                .map_err(storage)
        })
    }
}
