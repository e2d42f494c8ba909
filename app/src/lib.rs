//! Latch's composition root: reads the settings, builds the chosen adapters,
//! hands them to the web adapter and serves it.

pub mod cli;
pub mod settings;
mod store;
mod system;
pub mod transfer;

use std::{io, net::SocketAddr, sync::Arc, time::Duration};

use latch_argon2::Argon2Hasher;
use latch_domain::{Authenticator, Broadcast, Clock, Events, Policies, Ports, ThrottlePolicy};
use latch_http::{AuditLog, Metrics, Services, TelemetrySettings, WebSettings};
use poem::{
    Server,
    listener::{Acceptor, Listener, TcpListener},
};
use tokio::{sync::oneshot, task::JoinHandle};

pub use crate::settings::{Backend, Settings, SettingsError};
pub use crate::system::HmacDigests;
use crate::{
    store::Store,
    system::{OsRandom, SystemClock},
};

/// How long in-flight requests may take to finish at shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Why Latch could not start. Each message says what to fix.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// A setting is wrong.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// The store could not be opened; the store adapter's error says why.
    #[error("could not open the store: {0}")]
    Store(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The templates could not be compiled.
    #[error("could not load the pages: {0}")]
    Templates(#[from] latch_http::RenderError),
    /// The password hasher could not be set up; its error says why.
    #[error("could not set up password hashing: {0}")]
    Hasher(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The listening socket could not be opened.
    #[error("could not listen on {address}: {source}")]
    Listen {
        /// The configured address.
        address: SocketAddr,
        /// Why.
        source: io::Error,
    },
}

/// A server running in the background.
pub struct RunningServer {
    local_addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<io::Result<()>>,
}

impl RunningServer {
    /// The address it listens on (with the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting connections, lets in-flight requests finish, closes
    /// the store, and returns once all is done.
    pub async fn shutdown(self) -> io::Result<()> {
        // The server may have stopped already; then there is nobody to tell.
        let _ = self.stop.send(());
        self.task.await.map_err(io::Error::other)?
    }
}

/// The domain service over the store, with the configured hasher and
/// policies, reporting to `events` (for the operator's commands).
pub(crate) async fn authenticator(
    settings: &Settings,
    store: &Store,
    events: Arc<dyn Events>,
) -> Result<Authenticator, StartupError> {
    let secret = server_secret(settings);
    authenticator_with_clock(settings, store, events, Arc::new(SystemClock), &secret).await
}

/// The server's secret: `server.secret_key`, or a random one for this
/// process when none is set (then CSRF tokens and device tokens do not
/// outlive a restart).
fn server_secret(settings: &Settings) -> [u8; 32] {
    settings.secret_key.unwrap_or_else(system::random_bytes)
}

/// [`authenticator`], telling the time by `clock`, with the keyed digests
/// made from `secret`.
async fn authenticator_with_clock(
    settings: &Settings,
    store: &Store,
    events: Arc<dyn Events>,
    clock: Arc<dyn Clock>,
    secret: &[u8; 32],
) -> Result<Authenticator, StartupError> {
    let hasher = Argon2Hasher::new(settings.argon2, settings.max_concurrent_hashes)
        .map_err(|error| StartupError::Hasher(error.into()))?;
    let store_ports = store.ports();
    let ports = Ports {
        users: store_ports.users,
        sessions: store_ports.sessions,
        attempts: store_ports.attempts,
        hasher: Arc::new(hasher),
        clock,
        tokens: Arc::new(OsRandom),
        events,
        digests: Arc::new(HmacDigests::new(secret)),
    };
    let policies = Policies {
        password: settings.password,
        session: settings.session,
        throttle: ThrottlePolicy::default(),
    };
    Authenticator::new(ports, policies)
        .await
        .map_err(|error| StartupError::Hasher(error.into()))
}

/// Builds everything from the settings and starts serving.
pub async fn start(settings: Settings) -> Result<RunningServer, StartupError> {
    start_with_clock(settings, Arc::new(SystemClock)).await
}

/// [`start`], telling the time by `clock` rather than the system's (so that
/// tests can let time pass without waiting).
pub async fn start_with_clock(
    settings: Settings,
    clock: Arc<dyn Clock>,
) -> Result<RunningServer, StartupError> {
    let store = Store::open(&settings).await?;
    let store_ports = store.ports();
    let metrics = settings.metrics.enabled.then(|| Arc::new(Metrics::new()));
    let mut events = Broadcast::new().with(Arc::new(AuditLog));
    if let Some(metrics) = &metrics {
        events = events.with(metrics.clone());
    }
    if settings.secret_key.is_none() {
        tracing::warn!(
            "server.secret_key is not set: using a random key, so forms open across a restart must be reloaded and browsers are trusted devices until then only"
        );
    }
    let csrf_key = server_secret(&settings);
    let auth =
        authenticator_with_clock(&settings, &store, Arc::new(events), clock, &csrf_key).await?;
    let endpoint = latch_http::endpoint(
        Services {
            visitors: auth.visitors(),
            owners: auth.account_owners(),
            health: store_ports.health,
        },
        WebSettings {
            cookie_secure: settings.cookie_secure,
            csrf_key,
            max_body_bytes: settings.max_body_bytes,
            trusted_proxies: settings.trusted_proxies.clone(),
            sign_in_limit: settings.sign_in_limit,
            sign_up_limit: settings.sign_up_limit,
        },
    )?;

    let endpoint = latch_http::with_telemetry(endpoint, TelemetrySettings { metrics });

    let acceptor = TcpListener::bind(settings.listen)
        .into_acceptor()
        .await
        .map_err(|source| StartupError::Listen {
            address: settings.listen,
            source,
        })?;
    let local_addr = acceptor
        .local_addr()
        .iter()
        .find_map(|addr| addr.as_socket_addr().copied())
        .unwrap_or(settings.listen);
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let served = Server::new_with_acceptor(acceptor)
            .run_with_graceful_shutdown(
                endpoint,
                async {
                    // A dropped sender also means stop.
                    let _ = stopped.await;
                },
                Some(SHUTDOWN_GRACE),
            )
            .await;
        store.close().await;
        served
    });
    Ok(RunningServer {
        local_addr,
        stop,
        task,
    })
}
