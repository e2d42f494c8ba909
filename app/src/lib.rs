//! Latch's composition root: reads the settings, builds the chosen adapters,
//! hands them to the web adapter and serves it.

pub mod cli;
mod connections;
pub mod settings;
mod store;
mod system;
pub mod transfer;

use std::{io, net::SocketAddr, sync::Arc, time::Duration};

use latch_argon2::Argon2Hasher;
use latch_domain::{
    Authenticator, Broadcast, Clock, Events, Operators, Policies, Ports, ThrottlePolicy,
};
use latch_http::{
    AuditLog, ConnectionLimits, Metrics, Services, TelemetrySettings, TotpSettings, WebSettings,
};
use poem::endpoint::BoxEndpoint;
use tokio::{net::TcpListener, sync::watch, task::JoinHandle};

pub use crate::settings::{Backend, Settings, SettingsError};
pub use crate::system::{AeadSealer, HmacDigests};
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
    operators: Operators,
    metrics_addr: Option<SocketAddr>,
    stop: watch::Sender<bool>,
    task: JoinHandle<io::Result<()>>,
}

impl RunningServer {
    /// The address it listens on (with the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The address the metrics are served on, if they are.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    /// The operator's actions on this server's store, as the `latch user`
    /// and `latch group` commands take them (reported on the CLI channel),
    /// for a program that embeds the server.
    pub fn operators(&self) -> &Operators {
        &self.operators
    }

    /// Stops accepting connections, lets in-flight requests finish, closes
    /// the store, and returns once all is done.
    pub async fn shutdown(self) -> io::Result<()> {
        // The server may have stopped already; then there is nobody to tell.
        let _ = self.stop.send(true);
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
        groups: store_ports.groups,
        attempts: store_ports.attempts,
        second_factors: store_ports.second_factors,
        pending: store_ports.pending,
        sealer: Arc::new(AeadSealer::new(secret)),
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
    let metrics = settings
        .metrics
        .listen
        .map(|address| (address, Arc::new(Metrics::new())));
    let mut events = Broadcast::new().with(Arc::new(AuditLog));
    if let Some((_, metrics)) = &metrics {
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
            cookie_domain: settings.cookie_domain.clone(),
            csrf_key,
            max_body_bytes: settings.max_body_bytes,
            trusted_proxies: settings.trusted_proxies.clone(),
            sign_in_limit: settings.sign_in_limit,
            sign_up_limit: settings.sign_up_limit,
            access: settings.access.clone(),
            portal_url: settings.portal_url.clone(),
            allowed_hosts: settings.allowed_hosts.clone(),
            totp: TotpSettings {
                issuer: settings.totp_issuer.clone(),
                available: settings.secret_key.is_some(),
            },
        },
    )?;

    let endpoint = latch_http::with_telemetry(
        endpoint,
        TelemetrySettings {
            metrics: metrics.as_ref().map(|(_, metrics)| metrics.clone()),
        },
    );

    let limits = ConnectionLimits {
        header_timeout: settings.connections.header_timeout,
        keep_alive_timeout: settings.connections.keep_alive_timeout,
        max_connections: connections::connection_cap(settings.connections.max_connections),
    };
    let (listener, local_addr) = bind(settings.listen).await?;
    let metrics_server = match metrics {
        Some((address, metrics)) => {
            let (listener, address) = bind(address).await?;
            let endpoint = latch_http::metrics_endpoint(metrics);
            Some((listener, address, endpoint))
        }
        None => None,
    };
    let metrics_addr = metrics_server.as_ref().map(|(_, address, _)| *address);
    let (stop, stopping) = watch::channel(false);
    let metrics_limits = ConnectionLimits {
        max_connections: connections::METRICS_CONNECTIONS,
        ..limits
    };
    let metrics_task = metrics_server.map(|(listener, _, endpoint)| {
        tokio::spawn(serve(listener, endpoint, metrics_limits, stopping.clone()))
    });
    let task = tokio::spawn(async move {
        let served = serve(listener, endpoint, limits, stopping).await;
        if let Some(metrics_task) = metrics_task {
            // Metrics are a side show: their failure is logged, not fatal.
            match metrics_task.await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => tracing::warn!(%error, "the metrics listener failed"),
                Err(error) => tracing::warn!(%error, "the metrics listener's task failed"),
            }
        }
        store.close().await;
        served
    });
    Ok(RunningServer {
        local_addr,
        operators: auth.operators(),
        metrics_addr,
        stop,
        task,
    })
}

/// Opens a listening socket on `address`; returns it with the address it
/// got (the real port when 0 was asked for).
async fn bind(address: SocketAddr) -> Result<(TcpListener, SocketAddr), StartupError> {
    let listen_error = |source| StartupError::Listen { address, source };
    let listener = TcpListener::bind(address).await.map_err(listen_error)?;
    let bound = listener.local_addr().map_err(listen_error)?;
    Ok((listener, bound))
}

/// Serves `endpoint` on `listener` until `stopping` turns true (or its
/// sender is dropped), then shuts down gracefully.
async fn serve(
    listener: TcpListener,
    endpoint: BoxEndpoint<'static>,
    limits: ConnectionLimits,
    mut stopping: watch::Receiver<bool>,
) -> io::Result<()> {
    let stop = async move {
        let _ = stopping.wait_for(|stop| *stop).await;
    };
    latch_http::serve(listener, endpoint, limits, stop, SHUTDOWN_GRACE).await
}
