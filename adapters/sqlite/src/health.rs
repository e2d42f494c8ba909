//! Readiness: whether the database answers.

use async_trait::async_trait;
use latch_domain::{StorageError, StoreHealth};

use crate::{error::storage, store::SqliteStore};

#[async_trait]
impl StoreHealth for SqliteStore {
    async fn ping(&self) -> Result<(), StorageError> {
        sqlx::query_scalar::<_, i64>("SELECT 1")
            .fetch_one(&self.pool)
            .await
            .map(|_| ())
            .map_err(storage)
    }
}
