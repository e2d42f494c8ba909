//! The configured store, behind the domain's ports.

use std::{path::PathBuf, sync::Arc};

use latch_domain::{
    GroupRepository, PendingSignInRepository, SecondFactorRepository, SessionRepository,
    SignInAttemptRepository, StorageError, StoreHealth, UserRepository,
};
use latch_memory::MemoryStore;
use latch_mongodb::MongoStore;
use latch_sqlite::{SqliteOptions, SqliteStore};

use crate::{Backend, Settings, StartupError};

/// The SQLite file could not be opened or created: the file, and why.
#[derive(Debug, thiserror::Error)]
#[error("{}: {source}", path.display())]
struct SqliteFileError {
    path: PathBuf,
    source: StorageError,
}

/// One of the store adapters, chosen by `storage.backend`.
pub(crate) enum Store {
    Sqlite(SqliteStore),
    Mongo(MongoStore),
    Memory(MemoryStore),
}

impl Store {
    /// Opens the configured store (creating the SQLite file on first run).
    pub(crate) async fn open(settings: &Settings) -> Result<Self, StartupError> {
        match settings.backend {
            Backend::Sqlite => {
                let path = &settings.sqlite.path;
                let options = SqliteOptions {
                    read_connections: settings.sqlite.max_connections,
                    synchronous: settings.sqlite.synchronous,
                };
                let store = SqliteStore::open_with(path, options)
                    .await
                    .map_err(|source| {
                        StartupError::Store(Box::new(SqliteFileError {
                            path: path.clone(),
                            source,
                        }))
                    })?;
                tracing::info!(path = %path.display(), "using the SQLite store");
                Ok(Self::Sqlite(store))
            }
            Backend::Mongodb => {
                let store = MongoStore::connect(&settings.mongodb)
                    .await
                    .map_err(|error| StartupError::Store(error.into()))?;
                tracing::info!(
                    hosts = %latch_mongodb::Target::of_uri(&settings.mongodb.uri),
                    database = %settings.mongodb.database,
                    ttl_index = store.expires_sessions_itself(),
                    "using the MongoDB store"
                );
                Ok(Self::Mongo(store))
            }
            Backend::Memory => {
                tracing::warn!("using the memory store: everything is lost at exit");
                Ok(Self::Memory(MemoryStore::new()))
            }
        }
    }

    /// The store behind each port (clones of one store, sharing its pool).
    pub(crate) fn ports(&self) -> StorePorts {
        match self {
            Self::Sqlite(store) => StorePorts::of(store.clone()),
            Self::Mongo(store) => StorePorts::of(store.clone()),
            Self::Memory(store) => StorePorts::of(store.clone()),
        }
    }

    /// The store as a user repository.
    pub(crate) fn users(&self) -> Arc<dyn UserRepository> {
        self.ports().users
    }

    /// Closes connections, after the last request.
    pub(crate) async fn close(&self) {
        match self {
            Self::Sqlite(store) => store.close().await,
            Self::Mongo(store) => store.close().await,
            Self::Memory(_) => {}
        }
    }
}

/// One store seen through every port the application uses.
pub(crate) struct StorePorts {
    pub(crate) users: Arc<dyn UserRepository>,
    pub(crate) sessions: Arc<dyn SessionRepository>,
    pub(crate) groups: Arc<dyn GroupRepository>,
    pub(crate) attempts: Arc<dyn SignInAttemptRepository>,
    pub(crate) second_factors: Arc<dyn SecondFactorRepository>,
    pub(crate) pending: Arc<dyn PendingSignInRepository>,
    pub(crate) health: Arc<dyn StoreHealth>,
}

impl StorePorts {
    fn of<S>(store: S) -> Self
    where
        S: UserRepository
            + SessionRepository
            + GroupRepository
            + SignInAttemptRepository
            + SecondFactorRepository
            + PendingSignInRepository
            + StoreHealth
            + 'static,
    {
        let store = Arc::new(store);
        Self {
            users: store.clone(),
            sessions: store.clone(),
            groups: store.clone(),
            attempts: store.clone(),
            second_factors: store.clone(),
            pending: store.clone(),
            health: store,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::{collections::HashMap, error::Error as _};

    use super::*;

    #[tokio::test]
    async fn a_store_that_cannot_be_opened_keeps_its_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("not-a-directory");
        std::fs::write(&file, "").unwrap();
        let path = file.join("latch.db");
        let vars = HashMap::from([(
            "LATCH__STORAGE__SQLITE__PATH".to_owned(),
            path.display().to_string(),
        )]);
        let settings = Settings::load_from(None, Some(vars)).unwrap();
        let Err(error) = Store::open(&settings).await else {
            panic!("a file inside a file cannot be opened");
        };
        let message = error.to_string();
        assert!(
            message.starts_with(&format!("could not open the store: {}: ", path.display())),
            "{message}"
        );
        let source = error.source().expect("the adapter's error");
        assert!(
            source.source().is_some(),
            "the storage error's own cause is kept too"
        );
    }
}
