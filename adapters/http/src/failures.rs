//! Failures that are nobody's input, as the pages answer them: logged here,
//! then rendered by the error pages. (The API answers the same failures
//! with problem documents, in `api::failures`.)

use std::fmt::Display;

use latch_domain::{HasherError, StorageError};
use poem::{Error, http::StatusCode};

/// A store failure: logged, answered with the `503` page.
pub(crate) fn store_unavailable(error: StorageError) -> Error {
    tracing::error!(%error, "store unavailable");
    Error::from_status(StatusCode::SERVICE_UNAVAILABLE)
}

/// A hasher failure: logged, answered with the `503` page, like the API's
/// `temporarily_unavailable` (the hasher's workers are busy or broken, not
/// the request).
pub(crate) fn hasher_unavailable(error: HasherError) -> Error {
    tracing::error!(%error, "password hashing unavailable");
    Error::from_status(StatusCode::SERVICE_UNAVAILABLE)
}

/// A failure of ours (a template, a missing piece of state): logged,
/// answered with the `500` page.
pub(crate) fn internal_error(error: impl Display) -> Error {
    tracing::error!(%error, "internal error");
    Error::from_status(StatusCode::INTERNAL_SERVER_ERROR)
}
