//! This adapter's failures: why it could not start, and how driver errors
//! reach the domain as [`StorageError`]s.

use std::time::Duration;

use latch_domain::StorageError;
use mongodb::error::{ErrorKind, WriteFailure};

use crate::target::Target;

/// MongoDB's code for a write that breaks a unique index.
pub(crate) const DUPLICATE_KEY: i32 = 11000;

/// Why the store could not be opened. Messages name the server's hosts and
/// never its credentials.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// `storage.mongodb.uri` is not a MongoDB URI the driver accepts.
    #[error("storage.mongodb.uri for {target} is not a valid MongoDB URI: {detail}")]
    InvalidUri {
        /// The hosts it names, if any could be read.
        target: Target,
        /// What the driver said, with credentials removed.
        detail: String,
    },
    /// No server answered in time (or it refused us).
    #[error("cannot reach MongoDB at {target} within {}s: {detail}", timeout.as_secs_f32())]
    Unreachable {
        /// The hosts tried.
        target: Target,
        /// How long we waited.
        timeout: Duration,
        /// What the driver said, with credentials removed.
        detail: String,
    },
    /// The server answered but the indexes could not be made.
    #[error("cannot create the indexes in MongoDB at {target}: {detail}")]
    Indexes {
        /// The server's hosts.
        target: Target,
        /// What the server said, with credentials removed.
        detail: String,
    },
    /// The username skeletons of accounts stored before they were kept
    /// could not be filled in.
    #[error("cannot fill in the username skeletons in MongoDB at {target}: {detail}")]
    Skeletons {
        /// The server's hosts.
        target: Target,
        /// What the server said, with credentials removed.
        detail: String,
    },
}

/// A stored document holds a value this adapter never writes.
#[derive(Debug, thiserror::Error)]
#[error("corrupt {collection} document: field {field} {detail}")]
pub(crate) struct CorruptDocument {
    pub(crate) collection: &'static str,
    pub(crate) field: &'static str,
    pub(crate) detail: String,
}

impl From<CorruptDocument> for StorageError {
    fn from(error: CorruptDocument) -> Self {
        StorageError::new(error)
    }
}

/// Wraps any driver error, keeping only its kind: the full error also
/// carries the server's raw response, which is noise in a log.
pub(crate) fn storage(error: mongodb::error::Error) -> StorageError {
    StorageError::new(format!("MongoDB: {}", error.kind))
}

/// The message of a duplicate-key write error, or `None` for any other
/// error.
pub(crate) fn duplicate_key_message(error: &mongodb::error::Error) -> Option<&str> {
    match error.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(write)) if write.code == DUPLICATE_KEY => {
            Some(&write.message)
        }
        ErrorKind::Command(command) if command.code == DUPLICATE_KEY => Some(&command.message),
        _ => None,
    }
}

/// The server's error code for a failed command, if that is what `error` is.
pub(crate) fn command_code(error: &mongodb::error::Error) -> Option<i32> {
    match error.kind.as_ref() {
        ErrorKind::Command(command) => Some(command.code),
        _ => None,
    }
}
