//! The signed-in caller's own account: who am I, changing the password,
//! listing and ending sessions, deleting the account.
//!
//! A wrong password where one is asked again is `403 wrong_password`, and
//! each such check spends the client's sign-in allowance: a stolen session
//! is no better than the login form for guessing its owner's password.

use std::sync::Arc;

use latch_domain::{ChangePasswordError, DeleteAccountError, Password};
use poem::{
    Request,
    web::{Data, cookie::CookieJar},
};
use poem_openapi::{ApiResponse, OpenApi, param::Path, payload::Json};

use super::{
    caller::{Caller, Requester},
    failures::{
        hasher_problem, locked_problem, rate_limited, request_errors, storage_problem,
        throttled_problem,
    },
    models::{
        ChangePasswordRequest, DeleteAccountRequest, EndedSessionsBody, LoginBody, MeBody,
        SessionsBody, amr_of,
    },
    problem::{Code, Problem},
};
use crate::{AppState, middleware::csrf::CsrfToken};

/// Responses of `GET /api/me`.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "MeResponse::from_request_error")]
pub enum MeResponse {
    /// The signed-in account, how this session was proved, and the
    /// account's second factors.
    #[oai(status = 200)]
    Me(Json<MeBody>),
    /// No valid token or session cookie (`unauthorized`).
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthorized(Json<Problem>),
    /// The store is unreachable (`storage_unavailable`); try again later.
    #[oai(status = 503, content_type = "application/problem+json")]
    Unavailable(Json<Problem>),
}

request_errors!(MeResponse {
    401 => Unauthorized, 503 => Unavailable;
    fallback => Unauthorized
});

/// Responses of `POST /api/me/password`.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "ChangePasswordResponse::from_request_error")]
pub enum ChangePasswordResponse {
    /// The password was changed. Every session of the account has ended,
    /// the calling one included: this is the new session, like a sign-in's
    /// (a cookie caller also gets it as its new session cookie).
    #[oai(status = 200)]
    Changed(
        Json<LoginBody>,
        /// For a cookie caller only: a CSRF token for its new session, to
        /// send in `X-CSRF-Token` from now on (the page's token was for
        /// the session that ended).
        #[oai(header = "X-CSRF-Token")]
        Option<String>,
    ),
    /// The body is not JSON of the documented shape (`malformed_request`).
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// No valid token or session cookie (`unauthorized`).
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthorized(Json<Problem>),
    /// `current_password` is wrong (`wrong_password`); or cookie
    /// authentication without a valid `X-CSRF-Token` (`csrf_failed`).
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// The body is larger than 16 KiB (`payload_too_large`).
    #[oai(status = 413, content_type = "application/problem+json")]
    PayloadTooLarge(Json<Problem>),
    /// The body is not `application/json` (`unsupported_media_type`).
    #[oai(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Json<Problem>),
    /// `new_password` does not meet the password rules; `errors` says why
    /// (`invalid_input`).
    #[oai(status = 422, content_type = "application/problem+json")]
    Invalid(Json<Problem>),
    /// Too many password checks or sign-ins from this client address
    /// (`rate_limited`), or too many wrong passwords for this username
    /// (`too_many_attempts`); wait `Retry-After` seconds.
    #[oai(status = 429, content_type = "application/problem+json")]
    RateLimited(
        Json<Problem>,
        /// Seconds to wait before the next attempt.
        #[oai(header = "Retry-After")]
        u64,
    ),
    /// Password checks for this username are locked for untrusted
    /// clients (`sign_in_locked`), as for a sign-in.
    #[oai(status = 423, content_type = "application/problem+json")]
    Locked(Json<Problem>),
    /// The store is unreachable (`storage_unavailable`); try again later.
    #[oai(status = 503, content_type = "application/problem+json")]
    Unavailable(Json<Problem>),
}

request_errors!(ChangePasswordResponse {
    400 => BadRequest, 401 => Unauthorized, 403 => Forbidden, 413 => PayloadTooLarge,
    415 => UnsupportedMediaType, 503 => Unavailable;
    fallback => BadRequest
});

/// Responses of `GET /api/me/sessions`.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "SessionsResponse::from_request_error")]
pub enum SessionsResponse {
    /// Every live session of the account, oldest first.
    #[oai(status = 200)]
    Sessions(Json<SessionsBody>),
    /// No valid token or session cookie (`unauthorized`).
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthorized(Json<Problem>),
    /// The store is unreachable (`storage_unavailable`); try again later.
    #[oai(status = 503, content_type = "application/problem+json")]
    Unavailable(Json<Problem>),
}

request_errors!(SessionsResponse {
    401 => Unauthorized, 503 => Unavailable;
    fallback => Unauthorized
});

/// Responses of `DELETE /api/me/sessions/{id}`.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "EndSessionResponse::from_request_error")]
pub enum EndSessionResponse {
    /// The session has ended; its token no longer works.
    #[oai(status = 204)]
    Ended,
    /// No valid token or session cookie (`unauthorized`).
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthorized(Json<Problem>),
    /// Cookie authentication without a valid `X-CSRF-Token` (`csrf_failed`).
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// The account has no live session with this id (`session_not_found`),
    /// whether it ended already, never existed or is another account's.
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// The store is unreachable (`storage_unavailable`); try again later.
    #[oai(status = 503, content_type = "application/problem+json")]
    Unavailable(Json<Problem>),
}

request_errors!(EndSessionResponse {
    401 => Unauthorized, 403 => Forbidden, 503 => Unavailable;
    fallback => Unauthorized
});

/// Responses of `DELETE /api/me/sessions`.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "EndOtherSessionsResponse::from_request_error")]
pub enum EndOtherSessionsResponse {
    /// Every other session of the account has ended; the calling one is
    /// kept.
    #[oai(status = 200)]
    Ended(Json<EndedSessionsBody>),
    /// No valid token or session cookie (`unauthorized`).
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthorized(Json<Problem>),
    /// Cookie authentication without a valid `X-CSRF-Token` (`csrf_failed`).
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// The store is unreachable (`storage_unavailable`); try again later.
    #[oai(status = 503, content_type = "application/problem+json")]
    Unavailable(Json<Problem>),
}

request_errors!(EndOtherSessionsResponse {
    401 => Unauthorized, 403 => Forbidden, 503 => Unavailable;
    fallback => Unauthorized
});

/// Responses of `DELETE /api/me`.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "DeleteAccountResponse::from_request_error")]
pub enum DeleteAccountResponse {
    /// The account and all its sessions are deleted; its username is free.
    #[oai(status = 204)]
    Deleted,
    /// The body is not JSON of the documented shape (`malformed_request`).
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// No valid token or session cookie (`unauthorized`).
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthorized(Json<Problem>),
    /// `password` is wrong (`wrong_password`); or cookie authentication
    /// without a valid `X-CSRF-Token` (`csrf_failed`).
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// The body is larger than 16 KiB (`payload_too_large`).
    #[oai(status = 413, content_type = "application/problem+json")]
    PayloadTooLarge(Json<Problem>),
    /// The body is not `application/json` (`unsupported_media_type`).
    #[oai(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Json<Problem>),
    /// Too many password checks or sign-ins from this client address
    /// (`rate_limited`), or too many wrong passwords for this username
    /// (`too_many_attempts`); wait `Retry-After` seconds.
    #[oai(status = 429, content_type = "application/problem+json")]
    RateLimited(
        Json<Problem>,
        /// Seconds to wait before the next attempt.
        #[oai(header = "Retry-After")]
        u64,
    ),
    /// Password checks for this username are locked for untrusted
    /// clients (`sign_in_locked`), as for a sign-in.
    #[oai(status = 423, content_type = "application/problem+json")]
    Locked(Json<Problem>),
    /// The store is unreachable (`storage_unavailable`); try again later.
    #[oai(status = 503, content_type = "application/problem+json")]
    Unavailable(Json<Problem>),
}

request_errors!(DeleteAccountResponse {
    400 => BadRequest, 401 => Unauthorized, 403 => Forbidden, 413 => PayloadTooLarge,
    415 => UnsupportedMediaType, 503 => Unavailable;
    fallback => BadRequest
});

/// The answer to a wrong password given again by a signed-in caller, with
/// the field that held it.
pub(super) fn wrong_password(field: &str) -> Json<Problem> {
    let message = "The password is wrong.";
    Problem::new(Code::WrongPassword, message)
        .with_fields([(field, message.to_owned())])
        .json()
}

/// The answer when the caller's account disappeared during the request.
pub(super) fn account_gone() -> Json<Problem> {
    Problem::new(
        Code::Unauthorized,
        "The account no longer exists: its sessions have ended.",
    )
    .json()
}

impl From<ChangePasswordError> for ChangePasswordResponse {
    fn from(error: ChangePasswordError) -> Self {
        match error {
            ChangePasswordError::WrongPassword => {
                Self::Forbidden(wrong_password("current_password"))
            }
            ChangePasswordError::InvalidPassword(error) => {
                let fields = [("new_password", error.to_string())];
                Self::Invalid(Problem::invalid_input(fields).json())
            }
            ChangePasswordError::Throttled { retry_after } => {
                let (problem, seconds) = throttled_problem(retry_after);
                Self::RateLimited(problem, seconds)
            }
            ChangePasswordError::Locked => Self::Locked(locked_problem()),
            ChangePasswordError::AccountGone => Self::Unauthorized(account_gone()),
            ChangePasswordError::Storage(error) => Self::Unavailable(storage_problem(error)),
            ChangePasswordError::Hasher(error) => Self::Unavailable(hasher_problem(error)),
        }
    }
}

impl From<DeleteAccountError> for DeleteAccountResponse {
    fn from(error: DeleteAccountError) -> Self {
        match error {
            DeleteAccountError::WrongPassword => Self::Forbidden(wrong_password("password")),
            DeleteAccountError::Throttled { retry_after } => {
                let (problem, seconds) = throttled_problem(retry_after);
                Self::RateLimited(problem, seconds)
            }
            DeleteAccountError::Locked => Self::Locked(locked_problem()),
            DeleteAccountError::AccountGone => Self::Unauthorized(account_gone()),
            DeleteAccountError::Storage(error) => Self::Unavailable(storage_problem(error)),
            DeleteAccountError::Hasher(error) => Self::Unavailable(hasher_problem(error)),
        }
    }
}

/// The signed-in caller's own account over JSON.
pub(crate) struct MeApi;

#[OpenApi]
impl MeApi {
    /// The signed-in account.
    #[oai(path = "/me", method = "get", operation_id = "me")]
    async fn me(&self, state: Data<&Arc<AppState>>, caller: Caller) -> MeResponse {
        let signed_in = &caller.signed_in;
        match state.services.owners.second_factors(signed_in).await {
            Ok(factors) => MeResponse::Me(Json(MeBody {
                user: signed_in.user().into(),
                amr: amr_of(signed_in.session().proof),
                second_factors: factors.into(),
            })),
            Err(error) => MeResponse::Unavailable(storage_problem(error)),
        }
    }

    /// Change the password.
    ///
    /// Every session of the account ends, the calling one included, and a
    /// new one is issued in its place. A wrong `current_password` is
    /// `403 wrong_password`.
    #[oai(
        path = "/me/password",
        method = "post",
        operation_id = "change_password"
    )]
    async fn change_password(
        &self,
        state: Data<&Arc<AppState>>,
        caller: Caller,
        requester: Requester,
        req: &Request,
        body: Json<ChangePasswordRequest>,
    ) -> ChangePasswordResponse {
        if let Some((problem, seconds)) = rate_limited(&state.limits.sign_in, &requester.client) {
            return ChangePasswordResponse::RateLimited(problem, seconds);
        }
        let ChangePasswordRequest {
            current_password,
            new_password,
        } = body.0;
        let changed = state
            .services
            .owners
            .change_password(
                &caller.signed_in,
                &Password::new(current_password),
                &Password::new(new_password),
                &requester.origin(),
            )
            .await;
        match changed {
            Ok(sign_in) => {
                // The token is made once the new cookie is in the jar: it is
                // for the new session.
                let csrf_token = caller
                    .by_cookie
                    .then(|| {
                        state.cookies.set_session(req.cookie(), &sign_in);
                        req.extensions().get::<CsrfToken>().map(CsrfToken::masked)
                    })
                    .flatten();
                ChangePasswordResponse::Changed(Json((&sign_in).into()), csrf_token)
            }
            Err(error) => error.into(),
        }
    }

    /// Every live session of the account, the calling one marked `current`.
    #[oai(path = "/me/sessions", method = "get", operation_id = "sessions")]
    async fn sessions(&self, state: Data<&Arc<AppState>>, caller: Caller) -> SessionsResponse {
        match state.services.owners.sessions(&caller.signed_in).await {
            Ok(sessions) => SessionsResponse::Sessions(Json(SessionsBody {
                sessions: sessions.into_iter().map(Into::into).collect(),
            })),
            Err(error) => SessionsResponse::Unavailable(storage_problem(error)),
        }
    }

    /// End one session of the account, by the `id` the session list gives.
    ///
    /// Ending the calling session is logging out. Another account's session
    /// is never found.
    #[oai(
        path = "/me/sessions/:id",
        method = "delete",
        operation_id = "end_session"
    )]
    async fn end_session(
        &self,
        state: Data<&Arc<AppState>>,
        caller: Caller,
        requester: Requester,
        jar: &CookieJar,
        /// The session's `id`, from `GET /api/me/sessions`.
        id: Path<String>,
    ) -> EndSessionResponse {
        let id = id.0;
        let ended = state
            .services
            .owners
            .end_session(&caller.signed_in, &id, &requester.origin())
            .await;
        match ended {
            Ok(true) => {
                let current = id == caller.signed_in.session().id.public_id();
                if current && caller.by_cookie {
                    state.cookies.clear_session(jar);
                }
                EndSessionResponse::Ended
            }
            Ok(false) => EndSessionResponse::NotFound(
                Problem::new(
                    Code::SessionNotFound,
                    "This account has no live session with that id.",
                )
                .json(),
            ),
            Err(error) => EndSessionResponse::Unavailable(storage_problem(error)),
        }
    }

    /// End every session of the account but the calling one.
    #[oai(
        path = "/me/sessions",
        method = "delete",
        operation_id = "end_other_sessions"
    )]
    async fn end_other_sessions(
        &self,
        state: Data<&Arc<AppState>>,
        caller: Caller,
        requester: Requester,
    ) -> EndOtherSessionsResponse {
        let ended = state
            .services
            .owners
            .end_other_sessions(&caller.signed_in, &requester.origin())
            .await;
        match ended {
            Ok(ended) => EndOtherSessionsResponse::Ended(Json(EndedSessionsBody { ended })),
            Err(error) => EndOtherSessionsResponse::Unavailable(storage_problem(error)),
        }
    }

    /// Delete the account and all its sessions.
    ///
    /// Its password must be given; a wrong one is `403 wrong_password`.
    #[oai(path = "/me", method = "delete", operation_id = "delete_account")]
    async fn delete_account(
        &self,
        state: Data<&Arc<AppState>>,
        caller: Caller,
        requester: Requester,
        jar: &CookieJar,
        body: Json<DeleteAccountRequest>,
    ) -> DeleteAccountResponse {
        if let Some((problem, seconds)) = rate_limited(&state.limits.sign_in, &requester.client) {
            return DeleteAccountResponse::RateLimited(problem, seconds);
        }
        let password = Password::new(body.0.password);
        let deleted = state
            .services
            .owners
            .delete_account(&caller.signed_in, &password, &requester.origin())
            .await;
        match deleted {
            Ok(()) => {
                if caller.by_cookie {
                    state.cookies.clear_session(jar);
                }
                DeleteAccountResponse::Deleted
            }
            Err(error) => error.into(),
        }
    }
}
