//! Connecting to MongoDB, and the store's handles.

use std::{fmt, time::Duration};

use latch_domain::StorageError;
use mongodb::{
    Client, Collection, Database,
    bson::{Document, doc},
    options::ClientOptions,
};

use crate::{
    documents::{GROUPS, LOGIN_FAILURES, PENDING_SIGN_INS, SECOND_FACTORS, SESSIONS, USERS},
    error::{ConnectError, storage},
    indexes, skeletons,
    target::Target,
};

/// Where the store lives and how long to wait for it. Its `Debug` output
/// shows the URI's hosts only, never its credentials or options (which may
/// hold a password too, such as `tlsCertificateKeyFilePassword`).
#[derive(Clone, PartialEq, Eq)]
pub struct MongoSettings {
    /// A `mongodb://` URI: hosts, credentials, options such as `replicaSet`
    /// or `tls=true`.
    pub uri: String,
    /// The database holding the `users`, `sessions`, `groups`,
    /// `second_factors`, `pending_sign_ins` and `login_failures`
    /// collections.
    pub database: String,
    /// How long to wait to connect, and to find a server for each
    /// operation, before giving up.
    pub timeout: Duration,
}

impl fmt::Debug for MongoSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            uri,
            database,
            timeout,
        } = self;
        let hosts = Target::of_uri(uri);
        f.debug_struct("MongoSettings")
            .field("uri", &format_args!("mongodb://{hosts}/[redacted]"))
            .field("database", database)
            .field("timeout", timeout)
            .finish()
    }
}

/// Accounts, sessions and groups in one MongoDB database. Clones share one client
/// (and its connection pool).
#[derive(Debug, Clone)]
pub struct MongoStore {
    client: Client,
    pub(crate) database: Database,
    pub(crate) users: Collection<Document>,
    pub(crate) sessions: Collection<Document>,
    pub(crate) login_failures: Collection<Document>,
    pub(crate) groups: Collection<Document>,
    pub(crate) second_factors: Collection<Document>,
    pub(crate) pending_sign_ins: Collection<Document>,
    expires_sessions_itself: bool,
}

impl MongoStore {
    /// Connects, checks that the server answers (within `settings.timeout`),
    /// makes the indexes it lacks and fills in the username skeletons of
    /// accounts stored before they were kept.
    pub async fn connect(settings: &MongoSettings) -> Result<Self, ConnectError> {
        let target = Target::of_uri(&settings.uri);
        let scrub =
            |error: mongodb::error::Error| Target::scrub(&settings.uri, &error.kind.to_string());
        let mut options = ClientOptions::parse(&settings.uri).await.map_err(|error| {
            ConnectError::InvalidUri {
                target: target.clone(),
                detail: scrub(error),
            }
        })?;
        options.app_name.get_or_insert_with(|| "latch".to_owned());
        options.connect_timeout = Some(settings.timeout);
        options.server_selection_timeout = Some(settings.timeout);
        let client = Client::with_options(options).map_err(|error| ConnectError::InvalidUri {
            target: target.clone(),
            detail: scrub(error),
        })?;
        let database = client.database(&settings.database);
        let unreachable = |detail: String| ConnectError::Unreachable {
            target: target.clone(),
            timeout: settings.timeout,
            detail,
        };
        // Server selection gives up after the timeout; the outer limit only
        // guards against a server that accepts and then never answers.
        let ping = database.run_command(doc! { "ping": 1 });
        match tokio::time::timeout(settings.timeout + Duration::from_secs(1), ping).await {
            Ok(Ok(_)) => {}
            Ok(Err(error)) => return Err(unreachable(scrub(error))),
            Err(_) => return Err(unreachable("no answer to ping".to_owned())),
        }
        let users = database.collection(USERS);
        let sessions = database.collection(SESSIONS);
        let login_failures = database.collection(LOGIN_FAILURES);
        let groups = database.collection(GROUPS);
        let second_factors = database.collection(SECOND_FACTORS);
        let pending_sign_ins = database.collection(PENDING_SIGN_INS);
        let expires_sessions_itself =
            indexes::ensure(&users, &sessions)
                .await
                .map_err(|error| ConnectError::Indexes {
                    target: target.clone(),
                    detail: scrub(error),
                })?;
        let filled = skeletons::fill_in(&users)
            .await
            .map_err(|error| ConnectError::Skeletons {
                target: target.clone(),
                detail: Target::scrub(&settings.uri, &error.to_string()),
            })?;
        if filled.filled > 0 || filled.left > 0 {
            tracing::info!(
                filled = filled.filled,
                left = filled.left,
                "username skeletons filled in for accounts stored before they were kept; those \
                 left look like an older account, which holds the skeleton"
            );
        }
        if filled.unreadable > 0 {
            tracing::warn!(
                accounts = filled.unreadable,
                "account documents without a username string were left without a username \
                 skeleton"
            );
        }
        Ok(Self {
            client,
            database,
            users,
            sessions,
            login_failures,
            groups,
            second_factors,
            pending_sign_ins,
            expires_sessions_itself,
        })
    }

    /// Whether the server removes expired sessions by itself (a TTL index
    /// on `expires_at`). Either way an expired session is never honoured:
    /// the domain checks expiry on every read.
    pub fn expires_sessions_itself(&self) -> bool {
        self.expires_sessions_itself
    }

    /// Deletes the whole database: accounts, sessions and indexes. For
    /// tests that made a database of their own; never called by Latch.
    pub async fn drop_database(&self) -> Result<(), StorageError> {
        self.database.drop().await.map_err(storage)
    }

    /// Closes the connections, for graceful shutdown; calls made afterwards
    /// fail with a storage error.
    pub async fn close(&self) {
        self.client.clone().shutdown().immediate(true).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_shows_the_hosts_and_no_credentials() {
        let settings = MongoSettings {
            uri: "mongodb://latch:s3cret-pw@db1.example:27017,db2.example:27017/latch?tlsCertificateKeyFilePassword=k3y-pw".to_owned(),
            database: "latch".to_owned(),
            timeout: Duration::from_secs(5),
        };
        for printed in [format!("{settings:?}"), format!("{settings:#?}")] {
            assert!(!printed.contains("s3cret-pw"), "{printed}");
            assert!(!printed.contains("k3y-pw"), "{printed}");
            assert!(
                printed.contains("mongodb://db1.example:27017,db2.example:27017/[redacted]"),
                "{printed}"
            );
        }
    }
}
