//! Readiness: whether the server answers.

use async_trait::async_trait;
use latch_domain::{StorageError, StoreHealth};
use mongodb::bson::doc;

use crate::{error::storage, store::MongoStore};

#[async_trait]
impl StoreHealth for MongoStore {
    /// Runs MongoDB's `ping` command; fails once no server can be selected
    /// within the configured timeout.
    async fn ping(&self) -> Result<(), StorageError> {
        self.database
            .run_command(doc! { "ping": 1 })
            .await
            .map(|_| ())
            .map_err(storage)
    }
}
