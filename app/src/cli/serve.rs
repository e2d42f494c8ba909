//! `latch serve`: serve until Ctrl-C or SIGTERM, then stop gracefully.

use std::process::ExitCode;

use crate::{Settings, cli::fail, start};

/// Starts the server, prints where it listens, and shuts it down cleanly on
/// a signal.
pub(super) async fn serve(settings: Settings) -> ExitCode {
    let server = match start(settings).await {
        Ok(server) => server,
        Err(error) => return fail(&error),
    };
    println!("latch listening on http://{}", server.local_addr());

    shutdown_signal().await;
    tracing::info!("shutting down: finishing requests in flight");
    match server.shutdown().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(&error),
    }
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(
            tokio::signal::unix::SignalKind::terminate(),
        ) {
            Ok(signal) => signal,
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM; Ctrl-C still stops the server");
                let _ = interrupt.await;
                return;
            }
        };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
