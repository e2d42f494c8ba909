//! A real Latch server for end-to-end tests: the whole application, started
//! through the same code as the binary, on a free loopback port, with its own
//! SQLite file in a temporary directory.

use std::{collections::HashMap, path::Path, sync::Arc};

use latch::{RunningServer, Settings};
use latch_domain::{Clock, Operators};
use tempfile::TempDir;

/// The `server.secret_key` test servers run under, unless overridden.
pub const TEST_SECRET_KEY: &str =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

/// A running server and the directory holding its data.
pub struct TestServer {
    base_url: String,
    metrics_url: Option<String>,
    server: Option<RunningServer>,
    data_dir: TempDir,
}

impl TestServer {
    /// Starts a server on SQLite with the default settings.
    pub async fn start() -> Self {
        Self::start_with(&[]).await
    }

    /// Starts a server with settings overridden as `LATCH__...` variables
    /// would (for example `("LATCH__STORAGE__BACKEND", "memory")`).
    pub async fn start_with(overrides: &[(&str, &str)]) -> Self {
        Self::launch(overrides, None).await
    }

    /// Starts a server like [`start_with`](Self::start_with) whose time is
    /// told by `clock` (say, a [`ManualClock`](crate::clock::ManualClock)
    /// the test moves forward) instead of the system's.
    pub async fn start_with_clock(overrides: &[(&str, &str)], clock: impl Clock + 'static) -> Self {
        Self::launch(overrides, Some(Arc::new(clock))).await
    }

    async fn launch(overrides: &[(&str, &str)], clock: Option<Arc<dyn Clock>>) -> Self {
        let data_dir = tempfile::tempdir().expect("a temporary directory");
        let database = data_dir.path().join("latch.db");
        let mut vars: HashMap<String, String> = HashMap::from([
            ("LATCH__SERVER__LISTEN".into(), "127.0.0.1:0".into()),
            ("LATCH__METRICS__LISTEN".into(), "127.0.0.1:0".into()),
            (
                "LATCH__STORAGE__SQLITE__PATH".into(),
                database.display().to_string(),
            ),
            // A fixed key, as production has one: authenticator apps need it.
            ("LATCH__SERVER__SECRET_KEY".into(), TEST_SECRET_KEY.into()),
        ]);
        for (key, value) in overrides {
            vars.insert((*key).to_owned(), (*value).to_owned());
        }
        let settings = Settings::load_from(None, Some(vars)).expect("valid test settings");
        let started = match clock {
            Some(clock) => latch::start_with_clock(settings, clock).await,
            None => latch::start(settings).await,
        };
        let server = started.expect("the server starts");
        Self {
            base_url: format!("http://{}", server.local_addr()),
            metrics_url: server
                .metrics_addr()
                .map(|address| format!("http://{address}/metrics")),
            server: Some(server),
            data_dir,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `http://127.0.0.1:PORT/metrics` on the metrics listener, unless
    /// metrics are off.
    pub fn metrics_url(&self) -> Option<&str> {
        self.metrics_url.as_deref()
    }

    /// The operator's actions on the server's store, as the `latch` CLI
    /// takes them (creating groups and adding members, say).
    pub fn operators(&self) -> &Operators {
        self.server
            .as_ref()
            .expect("the server is running")
            .operators()
    }

    /// The directory holding the server's data.
    pub fn data_dir(&self) -> &Path {
        self.data_dir.path()
    }

    /// Shuts the server down gracefully (closing the store), keeping its
    /// data directory for inspection.
    pub async fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await.expect("a clean shutdown");
        }
    }
}
