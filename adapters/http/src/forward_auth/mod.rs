//! Forward auth: a reverse proxy asks Latch, before each request to an app
//! behind it, whether the request may go on, and passes on who is asking.
//!
//! - `GET /auth/verify` for nginx's `auth_request`: `200` with the identity
//!   headers, `401` with a `Location` naming the sign-in page (nginx turns
//!   it into a redirect), or `403`.
//! - `GET /auth/forward` for Caddy's `forward_auth` and Traefik's
//!   ForwardAuth, which pass Latch's refusal to the browser as it is: a
//!   redirect to sign in for a page, `401` for a script, or a `403` page.
//!
//! The original request's URL comes from headers only a trusted proxy may
//! set (`server.trusted_proxies`); from any other peer they are ignored and
//! the request is a plain session check. Each check reads the session once
//! (nothing at all under a `bypass` rule) and renders no template, checks
//! no CSRF token and sets no cookie, except the `403` page.

mod answer;
mod original;

use std::sync::Arc;

use latch_domain::{AccessTarget, Authorization, SessionToken};
use poem::{Request, Response, Route, handler, web::Data};

use self::{
    answer::{Refusal, granted, refused, unavailable},
    original::{ForwardedRequest, original_url},
};
use crate::AppState;

/// Where the sign-in page is, for the refusals' `Location`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Portal {
    /// `https://auth.example.com`, or `None` for a path on the same host.
    origin: Option<String>,
}

impl Portal {
    /// The sign-in page at `origin` (no trailing slash), or on the same
    /// host when `None`.
    pub(crate) fn new(origin: Option<String>) -> Self {
        Self { origin }
    }

    /// The sign-in page's URL, returning to `next` when given.
    fn sign_in_url(&self, next: Option<&str>) -> String {
        let origin = self.origin.as_deref().unwrap_or_default();
        match next {
            Some(next) => format!("{origin}/login?next={}", encode_query_value(next)),
            None => format!("{origin}/login"),
        }
    }
}

/// The routes, to be nested at `/auth`.
pub(crate) fn routes() -> Route {
    Route::new().at("/verify", verify).at("/forward", forward)
}

/// `GET /auth/verify`, for nginx `auth_request` (any method: nginx's
/// subrequest keeps the original one).
#[handler]
async fn verify(req: &Request, state: Data<&Arc<AppState>>) -> Response {
    let original = state
        .proxies
        .is_trusted_peer(req)
        .then(|| original_url(req))
        .flatten();
    let target = original
        .as_ref()
        .map(|url| AccessTarget::new(&url.host, &url.path));
    let answer = check(&state, req, target.as_ref()).await;
    let next = original.as_ref().map(|url| url.full.as_str());
    match answer {
        Ok(Authorization::Granted(who)) => granted(who.as_ref()),
        Ok(Authorization::SignInRequired) => refused(
            Refusal::Unauthorized {
                location: Some(state.portal.sign_in_url(next)),
            },
            &state,
        ),
        Ok(Authorization::Forbidden(_)) => refused(Refusal::Forbidden { page: false }, &state),
        Err(()) => unavailable(),
    }
}

/// `GET /auth/forward`, for Caddy `forward_auth` and Traefik ForwardAuth.
#[handler]
async fn forward(req: &Request, state: Data<&Arc<AppState>>) -> Response {
    let forwarded = state
        .proxies
        .is_trusted_peer(req)
        .then(|| ForwardedRequest::from_headers(req))
        .flatten();
    let target = forwarded
        .as_ref()
        .map(|forwarded| AccessTarget::new(&forwarded.host, &forwarded.uri));
    let answer = check(&state, req, target.as_ref()).await;
    match answer {
        Ok(Authorization::Granted(who)) => granted(who.as_ref()),
        Ok(Authorization::SignInRequired) => {
            let next = forwarded.as_ref().map(ForwardedRequest::url);
            let location = state.portal.sign_in_url(next.as_deref());
            let method = forwarded
                .as_ref()
                .map_or_else(|| req.method().as_str().to_owned(), |f| f.method.clone());
            let refusal = if !wants_a_page(req) {
                Refusal::Unauthorized { location: None }
            } else if method.eq_ignore_ascii_case("GET") || method.eq_ignore_ascii_case("HEAD") {
                Refusal::Found { location }
            } else {
                Refusal::SeeOther { location }
            };
            refused(refusal, &state)
        }
        Ok(Authorization::Forbidden(_)) => refused(Refusal::Forbidden { page: true }, &state),
        Err(()) => unavailable(),
    }
}

/// What the rules say about this request for `target` (`None`: no target
/// given, so only whether a live session is presented).
async fn check(
    state: &AppState,
    req: &Request,
    target: Option<&AccessTarget>,
) -> Result<Authorization, ()> {
    let token = presented_token(req, state);
    let visitors = &state.services.visitors;
    let answer = match target {
        Some(target) => {
            visitors
                .authorize(token.as_ref(), target, &state.access)
                .await
        }
        None => match &token {
            Some(token) => visitors
                .signed_in(token)
                .await
                .map(|signed_in| match signed_in {
                    Some(signed_in) => Authorization::Granted(Some(signed_in)),
                    None => Authorization::SignInRequired,
                }),
            None => Ok(Authorization::SignInRequired),
        },
    };
    answer.map_err(|error| tracing::warn!(%error, "forward auth: the store failed"))
}

/// The session token the request carries: the session cookie, else a
/// bearer token of ours. Any other `Authorization` header belongs to the
/// app behind the proxy and is left alone.
fn presented_token(req: &Request, state: &AppState) -> Option<SessionToken> {
    let name = state.cookies.session_cookie_name();
    let from_cookie = req
        .headers()
        .get_all("cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(cookie, _)| *cookie == name)
        .and_then(|(_, value)| SessionToken::parse(value.trim()));
    from_cookie.or_else(|| {
        req.header("authorization")?
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .and_then(|(_, token)| SessionToken::parse(token.trim()))
    })
}

/// Whether the request is a browser's navigation, which should see the
/// sign-in page, rather than a script's call, which should get `401`.
fn wants_a_page(req: &Request) -> bool {
    let xhr = req
        .header("x-requested-with")
        .is_some_and(|value| value.eq_ignore_ascii_case("xmlhttprequest"));
    let accepts_html = req
        .header("accept")
        .is_some_and(|accept| accept.contains("text/html"));
    accepts_html && !xhr
}

/// `text` percent-encoded for a query value: everything but unreserved
/// characters.
fn encode_query_value(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len() * 3 / 2);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sign_in_url_carries_the_original_url_encoded() {
        let portal = Portal::new(Some("https://auth.example.com".to_owned()));
        assert_eq!(
            portal.sign_in_url(Some("https://app.example.com/a b?x=1&y=2")),
            "https://auth.example.com/login?next=https%3A%2F%2Fapp.example.com%2Fa%20b%3Fx%3D1%26y%3D2"
        );
        assert_eq!(portal.sign_in_url(None), "https://auth.example.com/login");
        assert_eq!(Portal::default().sign_in_url(None), "/login");
    }
}
