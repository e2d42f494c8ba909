//! This adapter's own failures, reported to the domain as [`StorageError`]s.

use std::{io, path::PathBuf};

use latch_domain::StorageError;

/// Something went wrong that SQLite itself did not report.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SqliteStoreError {
    /// The directory that should hold the database file could not be made.
    #[error("cannot create the directory {path}")]
    CreateDirectory {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The database file could not be created.
    #[error("cannot create the database file {path}")]
    CreateFile {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The file could not be put in WAL mode (it answered with this mode).
    #[error("the database cannot use WAL mode (it is in {0} mode)")]
    NoWal(String),
    /// The file was written by a newer version of Latch.
    #[error("the database has schema version {found}, but this build knows only up to {known}")]
    NewerSchema { found: i64, known: usize },
    /// A row holds a value this adapter never writes.
    #[error("corrupt value in column {column}: {detail}")]
    Corrupt {
        column: &'static str,
        detail: String,
    },
    /// The store was closed for shutdown.
    #[error("the database is closed")]
    Closed,
}

impl From<SqliteStoreError> for StorageError {
    fn from(error: SqliteStoreError) -> Self {
        StorageError::new(error)
    }
}

/// Wraps any error from SQLite.
pub(crate) fn storage(error: rusqlite::Error) -> StorageError {
    StorageError::new(error)
}
