//! The audit log: one structured event per security-relevant action, the
//! same for the pages and the API. Events name the username key and a short
//! session fingerprint, never a token or a password; the request's span
//! adds its id and the client's address.

use std::sync::Arc;

use latch_domain::{LoginError, SessionToken, SignIn, User, UsernameKey};
use poem::{Endpoint, IntoResponse, Request, Response, Result};

use crate::AppState;

/// Names the client's address (as the trusted proxies report it) on the
/// request's span, so every audit event says where it came from.
pub(crate) async fn record_client_ip<E: Endpoint>(inner: Arc<E>, req: Request) -> Result<Response> {
    let client_ip = req
        .data::<Arc<AppState>>()
        .and_then(|state| state.proxies.client_ip(&req));
    if let Some(ip) = client_ip {
        tracing::Span::current().record("client_ip", tracing::field::display(ip));
    }
    Ok(inner.call(req).await?.into_response())
}

/// Where an action came from.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Channel {
    Pages,
    Api,
}

impl Channel {
    fn as_str(self) -> &'static str {
        match self {
            Self::Pages => "pages",
            Self::Api => "api",
        }
    }
}

/// An account was created.
pub(crate) fn registered(channel: Channel, user: &User) {
    tracing::info!(
        event = "registered",
        channel = channel.as_str(),
        username_key = user.username.key().as_str(),
        "account created"
    );
}

/// Someone signed in.
pub(crate) fn sign_in_succeeded(channel: Channel, sign_in: &SignIn) {
    tracing::info!(
        event = "sign_in_succeeded",
        channel = channel.as_str(),
        username_key = sign_in.user.username.key().as_str(),
        session = %sign_in.session.id.fingerprint(),
        "signed in"
    );
}

/// A sign-in was refused: unknown username, wrong password, or too many
/// failures in a row (a lockout once the count reaches its limit).
pub(crate) fn sign_in_refused(channel: Channel, typed_username: &str, error: &LoginError) {
    let key = UsernameKey::from_input(typed_username);
    match error {
        LoginError::Throttled { retry_after } => tracing::warn!(
            event = "sign_in_throttled",
            channel = channel.as_str(),
            username_key = key.as_str(),
            retry_after_seconds = retry_after.whole_seconds(),
            "too many failed sign-ins"
        ),
        _ => tracing::info!(
            event = "sign_in_failed",
            channel = channel.as_str(),
            username_key = key.as_str(),
            "invalid username or password"
        ),
    }
}

/// A session was ended by its owner.
pub(crate) fn signed_out(channel: Channel, user: Option<&User>, token: &SessionToken) {
    tracing::info!(
        event = "signed_out",
        channel = channel.as_str(),
        username_key = user.map(|user| user.username.key().as_str()),
        session = %token.id().fingerprint(),
        "signed out"
    );
}

/// An account's password was changed: every other session ended, and
/// `sign_in` is the one that replaces the caller's.
pub(crate) fn password_changed(channel: Channel, sign_in: &SignIn) {
    tracing::info!(
        event = "password_changed",
        channel = channel.as_str(),
        username_key = sign_in.user.username.key().as_str(),
        session = %sign_in.session.id.fingerprint(),
        "password changed; every other session ended"
    );
}

/// A signed-in person gave a wrong password where one was asked again
/// (`action`: what it was meant to allow). Worth watching: it is what a
/// stolen session guessing its owner's password looks like.
pub(crate) fn password_check_failed(channel: Channel, user: &User, action: &'static str) {
    tracing::warn!(
        event = "password_check_failed",
        channel = channel.as_str(),
        username_key = user.username.key().as_str(),
        action,
        "wrong password for a signed-in account"
    );
}

/// One session was ended by its owner, named by its public id.
pub(crate) fn session_ended(channel: Channel, user: &User, public_id: &str) {
    // A session's fingerprint is the start of its public id (both are hex
    // of its digest).
    let fingerprint = public_id.get(..8).unwrap_or(public_id);
    tracing::info!(
        event = "session_ended",
        channel = channel.as_str(),
        username_key = user.username.key().as_str(),
        session = fingerprint,
        "session ended by its owner"
    );
}

/// Every session of an account but the caller's was ended by its owner.
pub(crate) fn other_sessions_ended(channel: Channel, user: &User, ended: u64) {
    tracing::info!(
        event = "other_sessions_ended",
        channel = channel.as_str(),
        username_key = user.username.key().as_str(),
        ended,
        "every other session ended by their owner"
    );
}

/// An account was deleted by its owner, with all its sessions.
pub(crate) fn account_deleted(channel: Channel, user: &User) {
    tracing::info!(
        event = "account_deleted",
        channel = channel.as_str(),
        username_key = user.username.key().as_str(),
        "account deleted by its owner"
    );
}
