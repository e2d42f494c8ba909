//! The signed-in caller's second factors: setting up an authenticator app,
//! confirming it, removing it, and new recovery codes. Removing a factor
//! and making new codes ask for the password again, as deleting the
//! account does.

use std::sync::Arc;

use latch_domain::{BeginTotpError, ConfirmTotpError, Password, SecondFactorChangeError};
use poem::web::Data;
use poem_openapi::{ApiResponse, OpenApi, payload::Json};

use super::{
    caller::{Caller, Requester},
    failures::{
        hasher_problem, locked_problem, request_errors, storage_problem, throttled_problem,
    },
    me::wrong_password,
    models::{
        PasswordRequest, RecoveryCodesBody, SecondFactorsBody, TotpCodeRequest, TotpEnrolmentBody,
    },
    problem::{Code, Problem},
};
use crate::AppState;

/// Responses of `GET /api/me/second-factors`.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "FactorsResponse::from_request_error")]
pub enum FactorsResponse {
    /// The account's second factors.
    #[oai(status = 200)]
    Factors(Json<SecondFactorsBody>),
    /// No valid token or session cookie (`unauthorized`).
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthorized(Json<Problem>),
    /// The store is unreachable (`storage_unavailable`); try again later.
    #[oai(status = 503, content_type = "application/problem+json")]
    Unavailable(Json<Problem>),
}

request_errors!(FactorsResponse {
    401 => Unauthorized, 503 => Unavailable;
    fallback => Unauthorized
});

/// Responses of `POST /api/me/totp`.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "BeginTotpResponse::from_request_error")]
pub enum BeginTotpResponse {
    /// A new key, waiting for a first code (`POST /api/me/totp/confirm`);
    /// it replaces a key that was never confirmed.
    #[oai(status = 201)]
    Started(Json<TotpEnrolmentBody>),
    /// No valid token or session cookie (`unauthorized`).
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthorized(Json<Problem>),
    /// Cookie authentication without a valid `X-CSRF-Token` (`csrf_failed`).
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// The account has a confirmed app already (`totp_already_set_up`):
    /// remove it first. Or this server has no `server.secret_key` to seal
    /// keys under (`totp_unavailable`).
    #[oai(status = 409, content_type = "application/problem+json")]
    Conflict(Json<Problem>),
    /// The store is unreachable (`storage_unavailable`); try again later.
    #[oai(status = 503, content_type = "application/problem+json")]
    Unavailable(Json<Problem>),
}

request_errors!(BeginTotpResponse {
    401 => Unauthorized, 403 => Forbidden, 503 => Unavailable;
    fallback => Unauthorized
});

/// Responses of `POST /api/me/totp/confirm`.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "ConfirmTotpResponse::from_request_error")]
pub enum ConfirmTotpResponse {
    /// The app is a second factor from now on. For the account's first,
    /// ten recovery codes, shown this once.
    #[oai(status = 200)]
    Confirmed(Json<RecoveryCodesBody>),
    /// The body is not JSON of the documented shape (`malformed_request`).
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// No valid token or session cookie (`unauthorized`).
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthorized(Json<Problem>),
    /// Cookie authentication without a valid `X-CSRF-Token` (`csrf_failed`).
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// No app waits for confirmation (`totp_not_pending`).
    #[oai(status = 409, content_type = "application/problem+json")]
    Conflict(Json<Problem>),
    /// The body is larger than 16 KiB (`payload_too_large`).
    #[oai(status = 413, content_type = "application/problem+json")]
    PayloadTooLarge(Json<Problem>),
    /// The body is not `application/json` (`unsupported_media_type`).
    #[oai(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Json<Problem>),
    /// The code is not the app's now (`invalid_code`).
    #[oai(status = 422, content_type = "application/problem+json")]
    InvalidCode(Json<Problem>),
    /// The store is unreachable (`storage_unavailable`); try again later.
    #[oai(status = 503, content_type = "application/problem+json")]
    Unavailable(Json<Problem>),
}

request_errors!(ConfirmTotpResponse {
    400 => BadRequest, 401 => Unauthorized, 403 => Forbidden, 413 => PayloadTooLarge,
    415 => UnsupportedMediaType, 503 => Unavailable;
    fallback => BadRequest
});

/// Responses of `DELETE /api/me/totp` and `POST /api/me/recovery-codes`.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "ChangeFactorsResponse::from_request_error")]
pub enum ChangeFactorsResponse {
    /// The authenticator app was removed (with the recovery codes, when no
    /// second factor is left).
    #[oai(status = 204)]
    Removed,
    /// A new set of recovery codes, shown this once; the old ones no
    /// longer work.
    #[oai(status = 200)]
    NewCodes(Json<RecoveryCodesBody>),
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
    /// The account has no such second factor (`no_second_factor`).
    #[oai(status = 409, content_type = "application/problem+json")]
    Conflict(Json<Problem>),
    /// The body is larger than 16 KiB (`payload_too_large`).
    #[oai(status = 413, content_type = "application/problem+json")]
    PayloadTooLarge(Json<Problem>),
    /// The body is not `application/json` (`unsupported_media_type`).
    #[oai(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Json<Problem>),
    /// Password checks for this account are locked (`sign_in_locked`), as
    /// for a sign-in from an untrusted client.
    #[oai(status = 423, content_type = "application/problem+json")]
    Locked(Json<Problem>),
    /// Too many wrong passwords in a row (`too_many_attempts`): wait
    /// `Retry-After` seconds.
    #[oai(status = 429, content_type = "application/problem+json")]
    RateLimited(
        Json<Problem>,
        /// Seconds to wait before the next attempt.
        #[oai(header = "Retry-After")]
        u64,
    ),
    /// The store is unreachable (`storage_unavailable`); try again later.
    #[oai(status = 503, content_type = "application/problem+json")]
    Unavailable(Json<Problem>),
}

request_errors!(ChangeFactorsResponse {
    400 => BadRequest, 401 => Unauthorized, 403 => Forbidden, 413 => PayloadTooLarge,
    415 => UnsupportedMediaType, 503 => Unavailable;
    fallback => BadRequest
});

impl From<SecondFactorChangeError> for ChangeFactorsResponse {
    fn from(error: SecondFactorChangeError) -> Self {
        match error {
            SecondFactorChangeError::WrongPassword => Self::Forbidden(wrong_password("password")),
            SecondFactorChangeError::Throttled { retry_after } => {
                let (problem, seconds) = throttled_problem(retry_after);
                Self::RateLimited(problem, seconds)
            }
            SecondFactorChangeError::Locked => Self::Locked(locked_problem()),
            SecondFactorChangeError::NoSecondFactor => Self::Conflict(
                Problem::new(
                    Code::NoSecondFactor,
                    "The account has no such second factor.",
                )
                .json(),
            ),
            SecondFactorChangeError::Storage(error) => Self::Unavailable(storage_problem(error)),
            SecondFactorChangeError::Hasher(error) => Self::Unavailable(hasher_problem(error)),
        }
    }
}

/// The signed-in caller's second factors over JSON.
pub(crate) struct SecondFactorsApi;

#[OpenApi]
impl SecondFactorsApi {
    /// The account's second factors.
    #[oai(
        path = "/me/second-factors",
        method = "get",
        operation_id = "second_factors"
    )]
    async fn second_factors(&self, state: Data<&Arc<AppState>>, caller: Caller) -> FactorsResponse {
        match state
            .services
            .owners
            .second_factors(&caller.signed_in)
            .await
        {
            Ok(factors) => FactorsResponse::Factors(Json(factors.into())),
            Err(error) => FactorsResponse::Unavailable(storage_problem(error)),
        }
    }

    /// Start setting up an authenticator app: its key, to show as a QR
    /// code of `otpauth_uri` or to type in.
    #[oai(path = "/me/totp", method = "post", operation_id = "begin_totp")]
    async fn begin_totp(&self, state: Data<&Arc<AppState>>, caller: Caller) -> BeginTotpResponse {
        if !state.totp.available {
            return BeginTotpResponse::Conflict(
                Problem::new(
                    Code::TotpUnavailable,
                    "Authenticator apps need a configured server.secret_key on this server.",
                )
                .json(),
            );
        }
        let begun = state
            .services
            .owners
            .begin_totp(&caller.signed_in, &state.totp.issuer)
            .await;
        match begun {
            Ok(enrolment) => BeginTotpResponse::Started(Json((&enrolment).into())),
            Err(BeginTotpError::AlreadySetUp) => BeginTotpResponse::Conflict(
                Problem::new(
                    Code::TotpAlreadySetUp,
                    "An authenticator app is set up already; remove it first.",
                )
                .json(),
            ),
            Err(BeginTotpError::AccountGone) => {
                BeginTotpResponse::Unauthorized(super::me::account_gone())
            }
            Err(BeginTotpError::Storage(error)) => {
                BeginTotpResponse::Unavailable(storage_problem(error))
            }
        }
    }

    /// Confirm the app being set up with the code it shows now.
    #[oai(
        path = "/me/totp/confirm",
        method = "post",
        operation_id = "confirm_totp"
    )]
    async fn confirm_totp(
        &self,
        state: Data<&Arc<AppState>>,
        requester: Requester,
        caller: Caller,
        body: Json<TotpCodeRequest>,
    ) -> ConfirmTotpResponse {
        let confirmed = state
            .services
            .owners
            .confirm_totp(&caller.signed_in, &body.0.code, &requester.origin())
            .await;
        match confirmed {
            Ok(codes) => ConfirmTotpResponse::Confirmed(Json(RecoveryCodesBody::new(
                codes.as_deref().unwrap_or_default(),
            ))),
            Err(ConfirmTotpError::InvalidCode) => ConfirmTotpResponse::InvalidCode(
                Problem::new(
                    Code::WrongOneTimePassword,
                    "That code is not the app's now.",
                )
                .json(),
            ),
            Err(ConfirmTotpError::NothingPending) => ConfirmTotpResponse::Conflict(
                Problem::new(
                    Code::TotpNotPending,
                    "No authenticator app waits for confirmation; start again.",
                )
                .json(),
            ),
            Err(ConfirmTotpError::Storage(error)) => {
                ConfirmTotpResponse::Unavailable(storage_problem(error))
            }
        }
    }

    /// Remove the authenticator app (the password is asked again).
    #[oai(path = "/me/totp", method = "delete", operation_id = "remove_totp")]
    async fn remove_totp(
        &self,
        state: Data<&Arc<AppState>>,
        requester: Requester,
        caller: Caller,
        body: Json<PasswordRequest>,
    ) -> ChangeFactorsResponse {
        let password = Password::new(body.0.password);
        let removed = state
            .services
            .owners
            .remove_totp(&caller.signed_in, &password, &requester.origin())
            .await;
        match removed {
            Ok(()) => ChangeFactorsResponse::Removed,
            Err(error) => error.into(),
        }
    }

    /// Replace the recovery codes with a new set (the password is asked
    /// again).
    #[oai(
        path = "/me/recovery-codes",
        method = "post",
        operation_id = "new_recovery_codes"
    )]
    async fn new_recovery_codes(
        &self,
        state: Data<&Arc<AppState>>,
        requester: Requester,
        caller: Caller,
        body: Json<PasswordRequest>,
    ) -> ChangeFactorsResponse {
        let password = Password::new(body.0.password);
        let made = state
            .services
            .owners
            .new_recovery_codes(&caller.signed_in, &password, &requester.origin())
            .await;
        match made {
            Ok(codes) => ChangeFactorsResponse::NewCodes(Json(RecoveryCodesBody::new(&codes))),
            Err(error) => error.into(),
        }
    }
}
