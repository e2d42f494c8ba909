//! The configured store, behind the domain's ports.

use std::sync::Arc;

use latch_domain::{SessionRepository, SignInAttemptRepository, StoreHealth, UserRepository};
use latch_memory::MemoryStore;
use latch_mongodb::MongoStore;
use latch_sqlite::SqliteStore;

use crate::{Backend, Settings, StartupError};

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
                let store = SqliteStore::open(path, settings.sqlite.max_connections)
                    .await
                    .map_err(|error| StartupError::Store(format!("{}: {error}", path.display())))?;
                tracing::info!(path = %path.display(), "using the SQLite store");
                Ok(Self::Sqlite(store))
            }
            Backend::Mongodb => {
                let store = MongoStore::connect(&settings.mongodb)
                    .await
                    .map_err(|error| StartupError::Store(error.to_string()))?;
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
    pub(crate) attempts: Arc<dyn SignInAttemptRepository>,
    pub(crate) health: Arc<dyn StoreHealth>,
}

impl StorePorts {
    fn of<S>(store: S) -> Self
    where
        S: UserRepository + SessionRepository + SignInAttemptRepository + StoreHealth + 'static,
    {
        let store = Arc::new(store);
        Self {
            users: store.clone(),
            sessions: store.clone(),
            attempts: store.clone(),
            health: store,
        }
    }
}
