//! Opening and closing the database.

use std::{path::Path, time::Duration};

use latch_domain::StorageError;
use sqlx::{
    SqlitePool,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};

use crate::{
    error::{SqliteStoreError, storage},
    migrations,
};

/// How long a connection waits for another's write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Accounts and sessions in an SQLite file. Clones share one connection pool.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pub(crate) pool: SqlitePool,
}

impl SqliteStore {
    /// Opens the database at `path` with a pool of at most `max_connections`
    /// (at least one), creating its directory and the file on first run and
    /// bringing its schema up to date.
    ///
    /// The file is in WAL mode with `synchronous=NORMAL`, foreign keys on and
    /// a busy timeout of five seconds.
    pub async fn open(path: &Path, max_connections: u32) -> Result<Self, StorageError> {
        if let Some(directory) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            // Once, at start-up: blocking briefly here is harmless.
            std::fs::create_dir_all(directory).map_err(|source| {
                SqliteStoreError::CreateDirectory {
                    path: directory.to_owned(),
                    source,
                }
            })?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections.max(1))
            // The connections are threads of this process, not sockets that
            // can break: pinging one before each use would only add a round
            // trip to its thread per query.
            .test_before_acquire(false)
            .connect_with(options)
            .await
            .map_err(storage)?;
        if let Err(error) = migrations::apply(&pool).await {
            pool.close().await;
            return Err(error);
        }
        Ok(Self { pool })
    }

    /// Closes every connection, waiting for those in use to be returned; for
    /// graceful shutdown. Calls made afterwards fail with a storage error.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}
