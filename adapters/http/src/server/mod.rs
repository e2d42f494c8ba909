//! Serving an endpoint over TCP so that no client can hold the server's
//! connections: Latch's own accept loop over hyper. A connection must send
//! a request head within the head timeout of connecting (and of the first
//! byte of each later request), one answering nothing closes after the
//! keep-alive timeout, and at most `max_connections` are open at once: the
//! rest wait in the kernel's listen backlog, taking none of the process's
//! file descriptors, until one closes.

mod connection;
mod deadline;

use std::{
    future::Future,
    io,
    sync::Arc,
    time::{Duration, Instant},
};

use poem::endpoint::BoxEndpoint;
use tokio::{
    net::TcpListener,
    sync::{Semaphore, watch},
    task::{JoinError, JoinSet},
};

use self::connection::Peers;

/// What connections may take of the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// How long a request head may take to arrive, from the connection's
    /// start or from the first byte of a later request.
    pub header_timeout: Duration,
    /// How long a connection may stay open answering nothing.
    pub keep_alive_timeout: Duration,
    /// How many connections may be open at once.
    pub max_connections: usize,
}

/// The pause after a failed accept (out of file descriptors, say), so that
/// the loop does not spin.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

/// How often, at most, a full house is reported in the log.
const FULL_REPORT_INTERVAL: Duration = Duration::from_secs(60);

/// Serves `endpoint` on `listener` until `shutdown` resolves; then stops
/// accepting, lets requests in flight finish for up to `grace`, and closes
/// what is left.
pub async fn serve(
    listener: TcpListener,
    endpoint: BoxEndpoint<'static>,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
) -> io::Result<()> {
    let local = listener.local_addr()?;
    let endpoint = Arc::new(endpoint);
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let (stopping, stop_watch) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut reported_full: Option<Instant> = None;
    tokio::pin!(shutdown);
    loop {
        while let Some(ended) = connections.try_join_next() {
            report(ended);
        }
        let slot = match slots.clone().try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => {
                if reported_full.is_none_or(|at| at.elapsed() >= FULL_REPORT_INTERVAL) {
                    tracing::warn!(
                        max_connections = limits.max_connections,
                        "every connection is taken: new ones wait until one closes"
                    );
                    reported_full = Some(Instant::now());
                }
                tokio::select! {
                    () = &mut shutdown => break,
                    slot = slots.clone().acquire_owned() => match slot {
                        Ok(slot) => slot,
                        Err(_) => break,
                    },
                }
            }
        };
        let (stream, remote) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "could not accept a connection");
                    tokio::time::sleep(ACCEPT_RETRY).await;
                    continue;
                }
            },
        };
        connections.spawn(connection::serve(
            stream,
            Peers { local, remote },
            endpoint.clone(),
            limits,
            stop_watch.clone(),
            slot,
        ));
    }

    // New connections are refused from here on.
    drop(listener);
    let _ = stopping.send(true);
    let drained = tokio::time::timeout(grace, async {
        while let Some(ended) = connections.join_next().await {
            report(ended);
        }
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            connections = connections.len(),
            "closing connections still answering after the shutdown grace period"
        );
        connections.shutdown().await;
    }
    Ok(())
}

fn report(ended: Result<(), JoinError>) {
    if ended.as_ref().is_err_and(JoinError::is_panic) {
        tracing::error!("a connection's task panicked");
    }
}
