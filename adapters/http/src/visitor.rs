//! Who is making a request: resolved once per page request from the session
//! cookie, before any handler runs.

use std::sync::Arc;

use latch_domain::SignedIn;
use poem::{Endpoint, Error, IntoResponse, Request, Response, Result, http::StatusCode};

use crate::AppState;

/// The signed-in account and session behind a request, if any.
pub(crate) struct Visitor(pub(crate) Option<SignedIn>);

impl Visitor {
    /// The signed-in account's username, if any.
    pub(crate) fn username(&self) -> Option<&str> {
        self.0
            .as_ref()
            .map(|signed_in| signed_in.user.username.as_str())
    }
}

/// Looks up the session cookie's session and stores a [`Visitor`] in the
/// request. A cookie that opens nothing is cleared. A store failure answers
/// `503`.
pub(crate) async fn resolve_visitor<E: Endpoint>(
    inner: Arc<E>,
    mut req: Request,
) -> Result<Response> {
    let state = req
        .data::<Arc<AppState>>()
        .cloned()
        .ok_or_else(|| Error::from_status(StatusCode::INTERNAL_SERVER_ERROR))?;
    let jar = req.cookie().clone();
    let signed_in = match state.cookies.session_token(&jar) {
        Some(token) => {
            let signed_in = state
                .services
                .auth
                .signed_in(&token)
                .await
                .map_err(crate::pages::store_unavailable)?;
            if signed_in.is_none() {
                state.cookies.clear_session(&jar);
            }
            signed_in
        }
        None => None,
    };
    req.extensions_mut().insert(Arc::new(Visitor(signed_in)));
    Ok(inner.call(req).await?.into_response())
}
