//! Who is calling: the session token a request presents (a bearer token or
//! the session cookie) and the live session it opens, resolved the same way
//! for pages and API.

mod visitor;

pub(crate) use visitor::{Member, Visitor, resolve_visitor};

use latch_domain::{SessionToken, SignedIn, StorageError};
use poem::Request;

use crate::{AppState, middleware::cookies::CookiePolicy};

/// How a request presented its session token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Credential {
    /// `Authorization: Bearer <token>`: sent on purpose by a program, never
    /// attached by a browser on its own, so it needs no CSRF token.
    Bearer(SessionToken),
    /// The session cookie, which browsers attach by themselves.
    Cookie(SessionToken),
}

impl Credential {
    /// The token, however it came.
    pub(crate) fn token(&self) -> &SessionToken {
        match self {
            Self::Bearer(token) | Self::Cookie(token) => token,
        }
    }
}

/// An `Authorization` header that is not `Bearer <one of our tokens>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MalformedBearer;

/// The credential a request presents: a bearer token first, else the
/// session cookie; `None` without either.
pub(crate) fn credential(
    req: &Request,
    cookies: &CookiePolicy,
) -> Result<Option<Credential>, MalformedBearer> {
    if let Some(header) = req.header("authorization") {
        let token = header
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .and_then(|(_, token)| SessionToken::parse(token.trim()));
        return token
            .map(|token| Some(Credential::Bearer(token)))
            .ok_or(MalformedBearer);
    }
    Ok(cookies.session_token(req.cookie()).map(Credential::Cookie))
}

/// The live session a token opens, if any: one store read (and at most one
/// write a minute to record use).
pub(crate) async fn resolve(
    state: &AppState,
    token: &SessionToken,
) -> Result<Option<SignedIn>, StorageError> {
    state.services.visitors.signed_in(token).await
}
