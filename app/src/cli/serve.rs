//! `latch serve`: serve until Ctrl-C or SIGTERM, then stop gracefully.

use std::{io::Write, process::ExitCode};

use crate::{RunningServer, Settings, cli::fail, start};

/// Starts the server, prints where it listens, and shuts it down cleanly on
/// a signal. The signal handlers are in place before the address is
/// printed, so a supervisor that stops the server as soon as it is up still
/// gets a graceful shutdown.
pub(super) async fn serve(settings: Settings) -> ExitCode {
    let stop = StopSignals::install();
    let server = match start(settings).await {
        Ok(server) => server,
        Err(error) => return fail(&error),
    };
    announce(&server);

    stop.received().await;
    tracing::info!("shutting down: finishing requests in flight");
    match server.shutdown().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(&error),
    }
}

/// Prints where the server listens, one address a line: the application's,
/// then the metrics'. A reader gone (a closed pipe) does not matter.
fn announce(server: &RunningServer) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "latch listening on http://{}", server.local_addr());
    if let Some(metrics) = server.metrics_addr() {
        let _ = writeln!(stdout, "metrics on http://{metrics}/metrics");
    }
    let _ = stdout.flush();
}

/// Ctrl-C and, on Unix, SIGTERM, listened for from the moment it is made.
struct StopSignals {
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    interrupt: Option<tokio::signal::unix::Signal>,
}

impl StopSignals {
    #[cfg(unix)]
    fn install() -> Self {
        use tokio::signal::unix::{SignalKind, signal};

        let listen = |kind: SignalKind, name: &str| match signal(kind) {
            Ok(signal) => Some(signal),
            Err(error) => {
                tracing::warn!(%error, "cannot listen for {name}");
                None
            }
        };
        Self {
            terminate: listen(SignalKind::terminate(), "SIGTERM"),
            interrupt: listen(SignalKind::interrupt(), "SIGINT"),
        }
    }

    #[cfg(not(unix))]
    fn install() -> Self {
        Self {}
    }

    /// Resolves on the first signal.
    #[cfg(unix)]
    async fn received(mut self) {
        tokio::select! {
            () = next(self.terminate.as_mut()) => {}
            () = next(self.interrupt.as_mut()) => {}
        }
    }

    /// Resolves on the first signal.
    #[cfg(not(unix))]
    async fn received(self) {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The next delivery of `signal`; never, without one.
#[cfg(unix)]
async fn next(signal: Option<&mut tokio::signal::unix::Signal>) {
    match signal {
        Some(signal) => {
            signal.recv().await;
        }
        None => std::future::pending::<()>().await,
    }
}
