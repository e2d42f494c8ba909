//! How forward auth answers a proxy.

use latch_domain::{GroupName, SignedIn};
use poem::{
    IntoResponse, Response,
    http::{HeaderValue, StatusCode, header},
};

use crate::{AppState, pages::error_pages::not_allowed_page};

/// The header naming the signed-in account's username.
pub(super) const REMOTE_USER: &str = "remote-user";
/// The header carrying the account's permanent id.
pub(super) const REMOTE_USER_ID: &str = "remote-user-id";
/// The header listing the account's groups, comma-separated.
pub(super) const REMOTE_GROUPS: &str = "remote-groups";

/// Why a request may not go on, and how the proxy should say so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Refusal {
    /// `401`, naming the sign-in page when the proxy turns it into a
    /// redirect itself.
    Unauthorized { location: Option<String> },
    /// `302` to the sign-in page (a navigation by `GET` or `HEAD`).
    Found { location: String },
    /// `303` to the sign-in page (after another method).
    SeeOther { location: String },
    /// `403`, with Latch's page for a browser when `page`.
    Forbidden { page: bool },
}

/// `200` with who is asking. With nobody (under a `bypass` rule) the
/// identity headers are sent empty rather than left out: some proxies
/// (Caddy 2.6's `copy_headers`) otherwise hand the app the unexpanded
/// placeholder text as if it were a username.
pub(super) fn granted(who: Option<&SignedIn>) -> Response {
    let mut response = StatusCode::OK.into_response();
    let empty = || HeaderValue::from_static("");
    let (user, id, groups) = match who {
        // A username outside ASCII goes as its UTF-8 bytes, which field
        // values may hold; usernames have no control characters. Group
        // names are ASCII without commas, so the list splits cleanly.
        Some(who) => (
            HeaderValue::from_bytes(who.user().username.as_str().as_bytes())
                .unwrap_or_else(|_| empty()),
            HeaderValue::from_str(&who.user().id.to_string()).unwrap_or_else(|_| empty()),
            HeaderValue::from_str(&group_list(&who.user().groups)).unwrap_or_else(|_| empty()),
        ),
        None => (empty(), empty(), empty()),
    };
    let headers = response.headers_mut();
    headers.insert(REMOTE_USER, user);
    headers.insert(REMOTE_USER_ID, id);
    headers.insert(REMOTE_GROUPS, groups);
    no_store(response)
}

/// Group names as `Remote-Groups` carries them: `admins,ops`.
fn group_list(groups: &[GroupName]) -> String {
    groups
        .iter()
        .map(GroupName::as_str)
        .collect::<Vec<_>>()
        .join(",")
}

/// The refusal as a response.
pub(super) fn refused(refusal: Refusal, state: &AppState) -> Response {
    let with_location = |status: StatusCode, location: Option<&str>| {
        let mut response = status.into_response();
        if let Some(value) = location.and_then(|location| HeaderValue::from_str(location).ok()) {
            response.headers_mut().insert(header::LOCATION, value);
        }
        response
    };
    let response = match refusal {
        Refusal::Unauthorized { location } => {
            with_location(StatusCode::UNAUTHORIZED, location.as_deref())
        }
        Refusal::Found { location } => with_location(StatusCode::FOUND, Some(&location)),
        Refusal::SeeOther { location } => with_location(StatusCode::SEE_OTHER, Some(&location)),
        Refusal::Forbidden { page: true } => not_allowed_page(&state.templates),
        Refusal::Forbidden { page: false } => StatusCode::FORBIDDEN.into_response(),
    };
    no_store(response)
}

/// `503`: the store did not answer, so nobody can be let in.
pub(super) fn unavailable() -> Response {
    no_store(StatusCode::SERVICE_UNAVAILABLE.into_response())
}

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
