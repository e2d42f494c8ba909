//! Every state-changing request must carry a valid CSRF token (the
//! `csrf_token` form field or the `X-CSRF-Token` header) and must not be
//! marked `Sec-Fetch-Site: cross-site`. [`super::csrf`] issues and checks
//! the tokens; this guard makes the check mandatory for every unsafe method,
//! so no handler can forget it.

use std::sync::Arc;

use poem::{
    Endpoint, Error, IntoResponse, Request, Response, Result,
    http::{StatusCode, header},
};
use serde::Deserialize;

use super::csrf;

/// The form field that carries the token.
#[derive(Deserialize)]
struct TokenField {
    csrf_token: Option<String>,
}

/// Answers `403` to an unsafe request from another site or without a valid
/// token; lets it through otherwise.
pub(crate) async fn require_csrf_token<E: Endpoint>(
    inner: Arc<E>,
    mut req: Request,
) -> Result<Response> {
    if req.method().is_safe() {
        return Ok(inner.call(req).await?.into_response());
    }
    let from_header = req.header("x-csrf-token").map(str::to_owned);
    let token = match from_header {
        Some(token) => Some(token),
        None if is_form(&req) => {
            // The body was buffered (and size-limited) by `BodyLimit`.
            let body = req.take_body().into_bytes().await?;
            let field = serde_urlencoded::from_bytes::<TokenField>(&body)
                .ok()
                .and_then(|field| field.csrf_token);
            req.set_body(body);
            field
        }
        None => None,
    };
    if let Err(refusal) = csrf::check(&req, token.as_deref()) {
        let path = req.uri().path();
        match refusal {
            csrf::Refusal::CrossSite => {
                tracing::info!(%path, "request refused: sent from another site");
            }
            csrf::Refusal::InvalidToken => {
                tracing::info!(%path, "request refused: missing or invalid CSRF token");
            }
        }
        return Err(Error::from_status(StatusCode::FORBIDDEN));
    }
    Ok(inner.call(req).await?.into_response())
}

fn is_form(req: &Request) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"))
}
