//! Health checks for load balancers and orchestrators.

use std::sync::Arc;

use poem::{handler, http::StatusCode, web::Data};

use crate::AppState;

/// `GET /health/live`: the process is up.
#[handler]
pub(crate) fn live() -> &'static str {
    "ok"
}

/// `GET /health/ready`: the store answers; `503` while it does not.
#[handler]
pub(crate) async fn ready(state: Data<&Arc<AppState>>) -> (StatusCode, &'static str) {
    match state.services.health.ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "store unavailable")
        }
    }
}
