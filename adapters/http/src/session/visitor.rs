//! Who is looking at a page: resolved once per page request, before any
//! handler runs, and the extractor that lets only signed-in people through.

use std::sync::Arc;

use latch_domain::SignedIn;
use poem::{
    Endpoint, Error, FromRequest, IntoResponse, Request, RequestBody, Response, Result,
    http::StatusCode, web::Redirect,
};

use super::{Credential, credential, resolve};
use crate::{AppState, failures::store_unavailable};

/// The signed-in account and session behind a page request, if any.
pub(crate) struct Visitor(pub(crate) Option<Arc<SignedIn>>);

impl Visitor {
    /// The signed-in account's username, if any.
    pub(crate) fn username(&self) -> Option<&str> {
        self.0
            .as_ref()
            .map(|signed_in| signed_in.user().username.as_str())
    }
}

/// Looks up the request's session (a bearer token, else the session cookie)
/// and stores a [`Visitor`] in the request. A cookie that opens nothing is
/// cleared. A store failure answers `503`.
pub(crate) async fn resolve_visitor<E: Endpoint>(
    inner: Arc<E>,
    mut req: Request,
) -> Result<Response> {
    let state = req
        .data::<Arc<AppState>>()
        .cloned()
        .ok_or_else(|| Error::from_status(StatusCode::INTERNAL_SERVER_ERROR))?;
    // Pages are for browsers: a malformed Authorization header is not ours
    // to refuse here, and the cookie still counts.
    let presented = credential(&req, &state.cookies).unwrap_or_else(|_| {
        state
            .cookies
            .session_token(req.cookie())
            .map(Credential::Cookie)
    });
    let signed_in = match &presented {
        Some(credential) => {
            let signed_in = resolve(&state, credential.token())
                .await
                .map_err(store_unavailable)?;
            if signed_in.is_none() && matches!(credential, Credential::Cookie(_)) {
                state.cookies.clear_session(req.cookie());
            }
            signed_in
        }
        None => None,
    };
    req.extensions_mut()
        .insert(Arc::new(Visitor(signed_in.map(Arc::new))));
    Ok(inner.call(req).await?.into_response())
}

/// A page only signed-in people may see: the extractor answers anyone else
/// with a redirect to sign in and come back.
pub(crate) struct Member(pub(crate) Arc<SignedIn>);

impl Member {
    /// The signed-in account and session.
    pub(crate) fn signed_in(&self) -> &SignedIn {
        &self.0
    }
}

impl<'a> FromRequest<'a> for Member {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> Result<Self> {
        let visitor = req
            .extensions()
            .get::<Arc<Visitor>>()
            .ok_or_else(|| Error::from_status(StatusCode::INTERNAL_SERVER_ERROR))?;
        match &visitor.0 {
            Some(signed_in) => Ok(Self(signed_in.clone())),
            None => Err(Error::from_response(sign_in_first(req))),
        }
    }
}

/// The redirect that sends a signed-out visitor to sign in and then back:
/// to the page asked for, or, after a form sent from a page, to that page.
fn sign_in_first(req: &Request) -> Response {
    let path = req.uri().path();
    let page = if req.method().is_safe() {
        path
    } else {
        // The forms under /account/sessions/ are on the sessions page.
        path.strip_prefix("/account/sessions/")
            .map_or(path, |_| "/account/sessions")
    };
    let next: String = url_encode(page);
    Redirect::see_other(format!("/login?next={next}")).into_response()
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(byte).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_targets_are_percent_encoded() {
        assert_eq!(url_encode("/account/sessions"), "%2Faccount%2Fsessions");
        assert_eq!(url_encode("/a b?c=d&e"), "%2Fa%20b%3Fc%3Dd%26e");
    }
}
