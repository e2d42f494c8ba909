//! What a backend hands the suite: its store behind the three ports, or why
//! it cannot.

use std::{any::Any, fmt, sync::Arc};

use latch_domain::{SessionRepository, StoreHealth, UserRepository};

/// A fresh, empty store for one contract case, seen through its ports.
pub struct StoreUnderTest {
    /// The store as a user repository.
    pub users: Arc<dyn UserRepository>,
    /// The same store as a session repository.
    pub sessions: Arc<dyn SessionRepository>,
    /// The same store's health check.
    pub health: Arc<dyn StoreHealth>,
    /// Whatever must live as long as the store (a temporary directory, a
    /// server handle); dropped after the ports, when the case ends.
    pub keep_alive: Vec<Box<dyn Any + Send>>,
}

impl StoreUnderTest {
    /// Wraps a store that implements all three ports.
    pub fn new<S>(store: S) -> Self
    where
        S: UserRepository + SessionRepository + StoreHealth + 'static,
    {
        let store = Arc::new(store);
        Self {
            users: store.clone(),
            sessions: store.clone(),
            health: store,
            keep_alive: Vec::new(),
        }
    }

    /// Keeps `resource` alive until the case ends.
    pub fn keeping(mut self, resource: impl Any + Send) -> Self {
        self.keep_alive.push(Box::new(resource));
        self
    }
}

/// Why a backend cannot be tested here, such as "MONGODB_URI is not set".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unavailable {
    reason: String,
}

impl Unavailable {
    /// Gives the reason, as the skipped cases will print it.
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }

    /// The reason.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}
