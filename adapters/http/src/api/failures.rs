//! How the operations fail, shared by all of them: errors raised while
//! reading a request, an unavailable store or hasher, and per-client rate
//! limits, each as the problem document its response variant carries.

use std::time::Instant;

use poem_openapi::payload::Json;

use super::{
    caller::ClientIp,
    problem::{Code, Problem},
};
use crate::middleware::rate_limit::{RateLimiter, retry_after_seconds};

/// Implements `from_request_error` for a response enum: an error raised
/// while reading the request (bad JSON, no credentials...) becomes the
/// variant documented for its status, or `fallback` for any other.
macro_rules! request_errors {
    ($response:ident { $($status:literal => $variant:ident),+ ; fallback => $fallback:ident }) => {
        impl $response {
            fn from_request_error(error: poem::Error) -> Self {
                let problem = $crate::api::problem::Problem::from_error(&error);
                match problem.status {
                    $($status => Self::$variant(problem.json()),)+
                    _ => Self::$fallback(problem.json()),
                }
            }
        }
    };
}

pub(super) use request_errors;

/// The store failed: logged here, `storage_unavailable` for the client.
pub(super) fn storage_problem(error: impl std::fmt::Display) -> Json<Problem> {
    tracing::error!(%error, "store unavailable");
    Problem::new(
        Code::StorageUnavailable,
        "The store is temporarily unavailable; try again shortly.",
    )
    .json()
}

/// The password hasher failed: logged here, `temporarily_unavailable` for
/// the client.
pub(super) fn hasher_problem(error: impl std::fmt::Display) -> Json<Problem> {
    tracing::error!(%error, "password hashing unavailable");
    Problem::new(
        Code::TemporarilyUnavailable,
        "The service is temporarily unavailable; try again shortly.",
    )
    .json()
}

/// A username throttled for `wait` (`too_many_attempts`), and the
/// `Retry-After` seconds: the same rounding as every other `Retry-After`
/// (up, at least one).
pub(super) fn throttled_problem(wait: time::Duration) -> (Json<Problem>, u64) {
    let seconds = retry_after_seconds(wait.try_into().unwrap_or_default());
    let detail =
        format!("Too many failed password checks for this username; try again in {seconds} s.");
    (Problem::new(Code::TooManyAttempts, detail).json(), seconds)
}

/// A username locked for untrusted clients (`sign_in_locked`).
pub(super) fn locked_problem() -> Json<Problem> {
    Problem::new(
        Code::SignInLocked,
        "Too many failed sign-ins for this username from clients it was not used from: only a trusted device (with its X-Device-Token) may sign in, until the operator unlocks it.",
    )
    .json()
}

/// Spends one request of the caller's allowance under `limiter`; when none
/// is left, the problem and the `Retry-After` seconds to answer instead.
pub(super) fn rate_limited(
    limiter: &RateLimiter,
    client: &ClientIp,
) -> Option<(Json<Problem>, u64)> {
    let client = client.0?;
    let wait = limiter.check(client, Instant::now()).err()?;
    tracing::warn!(event = "rate_limited", client = %client, "too many requests from one client");
    let seconds = retry_after_seconds(wait);
    let detail = format!("Too many requests from this address; try again in {seconds} s.");
    Some((Problem::new(Code::RateLimited, detail).json(), seconds))
}
