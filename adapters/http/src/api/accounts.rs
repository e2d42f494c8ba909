//! Getting in and out: register, log in, log out.

use std::sync::Arc;

use latch_domain::{
    Credentials, Password, PendingToken, RegisterError, RegistrationErrors, SecondStep,
    SecondStepError, SignInError, SignInOutcome, SignedInFully,
};
use poem::web::Data;
use poem_openapi::{ApiResponse, OpenApi, payload::Json};

use super::{
    caller::{Caller, Requester},
    failures::{
        hasher_problem, locked_problem, rate_limited, request_errors, storage_problem,
        throttled_problem,
    },
    models::{
        LoginBody, LoginOutcome, LoginRequest, RegisterRequest, SecondFactorRequiredBody,
        SecondStepRequest, UserEnvelope,
    },
    problem::{Code, Problem},
};
use crate::AppState;

/// Responses of `POST /api/register`.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "RegisterResponse::from_request_error")]
pub enum RegisterResponse {
    /// The account was created.
    #[oai(status = 201)]
    Created(Json<UserEnvelope>),
    /// The body is not JSON of the documented shape (`malformed_request`).
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// That username is taken (`username_taken`).
    #[oai(status = 409, content_type = "application/problem+json")]
    Conflict(Json<Problem>),
    /// The body is larger than 16 KiB (`payload_too_large`).
    #[oai(status = 413, content_type = "application/problem+json")]
    PayloadTooLarge(Json<Problem>),
    /// The body is not `application/json` (`unsupported_media_type`).
    #[oai(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Json<Problem>),
    /// A field is invalid; `errors` says which and why (`invalid_input`).
    #[oai(status = 422, content_type = "application/problem+json")]
    Invalid(Json<Problem>),
    /// Too many sign-ups from this client address (`rate_limited`); wait
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

request_errors!(RegisterResponse {
    400 => BadRequest, 413 => PayloadTooLarge, 415 => UnsupportedMediaType, 503 => Unavailable;
    fallback => BadRequest
});

/// Responses of `POST /api/login`.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "LoginResponse::from_request_error")]
pub enum LoginResponse {
    /// The right password. Signed in: a new session and its bearer token.
    /// Or, for an account with a second factor, no session yet:
    /// `second_factor_required` with a `pending` sign-in to finish at
    /// `POST /api/login/second-factor`.
    #[oai(status = 200)]
    SignedIn(Json<LoginOutcome>),
    /// The body is not JSON of the documented shape (`malformed_request`).
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// Unknown username or wrong password: one answer for both
    /// (`invalid_credentials`).
    #[oai(status = 401, content_type = "application/problem+json")]
    InvalidCredentials(Json<Problem>),
    /// The body is larger than 16 KiB (`payload_too_large`).
    #[oai(status = 413, content_type = "application/problem+json")]
    PayloadTooLarge(Json<Problem>),
    /// The body is not `application/json` (`unsupported_media_type`).
    #[oai(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Json<Problem>),
    /// Too many failed sign-ins in a row for this username
    /// (`too_many_attempts`): not even the right password is accepted
    /// before `Retry-After` seconds have passed. Or too many sign-in
    /// attempts from this client address (`rate_limited`).
    #[oai(status = 429, content_type = "application/problem+json")]
    TooManyAttempts(
        Json<Problem>,
        /// Seconds to wait before the next attempt.
        #[oai(header = "Retry-After")]
        u64,
    ),
    /// So many failed sign-ins for this username from clients it was
    /// not used from that only a trusted device may sign in
    /// (`sign_in_locked`): send the `device_token` of an earlier sign-in as
    /// `X-Device-Token`, or ask the operator to unlock it. No wait helps.
    #[oai(status = 423, content_type = "application/problem+json")]
    Locked(Json<Problem>),
    /// The store is unreachable (`storage_unavailable`); try again later.
    #[oai(status = 503, content_type = "application/problem+json")]
    Unavailable(Json<Problem>),
}

request_errors!(LoginResponse {
    400 => BadRequest, 413 => PayloadTooLarge, 415 => UnsupportedMediaType, 503 => Unavailable;
    fallback => BadRequest
});

/// Responses of `POST /api/login/second-factor`.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "SecondStepResponse::from_request_error")]
pub enum SecondStepResponse {
    /// Signed in: a new session and its bearer token.
    #[oai(status = 200)]
    SignedIn(Json<LoginBody>),
    /// The body is not JSON of the documented shape (`malformed_request`).
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// `pending` is unknown, used, more than five minutes old, or its
    /// account changed since (`sign_in_expired`): sign in again.
    #[oai(status = 401, content_type = "application/problem+json")]
    Expired(Json<Problem>),
    /// The body is larger than 16 KiB (`payload_too_large`).
    #[oai(status = 413, content_type = "application/problem+json")]
    PayloadTooLarge(Json<Problem>),
    /// The body is not `application/json` (`unsupported_media_type`).
    #[oai(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Json<Problem>),
    /// The code is wrong, already used, or not a code (`invalid_code`).
    /// Each counts as a failed sign-in.
    #[oai(status = 422, content_type = "application/problem+json")]
    InvalidCode(Json<Problem>),
    /// Too many failed sign-ins in a row for this username
    /// (`too_many_attempts`), or too many attempts from this client address
    /// (`rate_limited`): wait `Retry-After` seconds.
    #[oai(status = 429, content_type = "application/problem+json")]
    TooManyAttempts(
        Json<Problem>,
        /// Seconds to wait before the next attempt.
        #[oai(header = "Retry-After")]
        u64,
    ),
    /// Sign-in to this username from untrusted clients is locked
    /// (`sign_in_locked`), as for `POST /api/login`.
    #[oai(status = 423, content_type = "application/problem+json")]
    Locked(Json<Problem>),
    /// The store is unreachable (`storage_unavailable`); try again later.
    #[oai(status = 503, content_type = "application/problem+json")]
    Unavailable(Json<Problem>),
}

request_errors!(SecondStepResponse {
    400 => BadRequest, 413 => PayloadTooLarge, 415 => UnsupportedMediaType, 503 => Unavailable;
    fallback => BadRequest
});

impl From<SecondStepError> for SecondStepResponse {
    fn from(error: SecondStepError) -> Self {
        match error {
            SecondStepError::InvalidCode => Self::InvalidCode(
                Problem::new(Code::WrongOneTimePassword, "That code is not valid.").json(),
            ),
            SecondStepError::Expired => Self::Expired(expired_problem()),
            SecondStepError::Throttled { retry_after } => {
                let (problem, seconds) = throttled_problem(retry_after);
                Self::TooManyAttempts(problem, seconds)
            }
            SecondStepError::Locked => Self::Locked(locked_problem()),
            SecondStepError::Storage(error) => Self::Unavailable(storage_problem(error)),
        }
    }
}

fn expired_problem() -> Json<Problem> {
    Problem::new(
        Code::SignInExpired,
        "That sign-in expired or was finished already; sign in again.",
    )
    .json()
}

/// Responses of `POST /api/logout`.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "LogoutResponse::from_request_error")]
pub enum LogoutResponse {
    /// The session was deleted; its token no longer works.
    #[oai(status = 204)]
    LoggedOut,
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

request_errors!(LogoutResponse {
    401 => Unauthorized, 403 => Forbidden, 503 => Unavailable;
    fallback => Unauthorized
});

impl From<RegisterError> for RegisterResponse {
    fn from(error: RegisterError) -> Self {
        match error {
            RegisterError::InvalidInput(errors) => Self::Invalid(invalid_input(errors)),
            RegisterError::UsernameTaken => {
                Self::Conflict(Problem::new(Code::UsernameTaken, "That username is taken.").json())
            }
            RegisterError::Storage(error) => Self::Unavailable(storage_problem(error)),
            RegisterError::Hasher(error) => Self::Unavailable(hasher_problem(error)),
        }
    }
}

impl From<SignInError> for LoginResponse {
    fn from(error: SignInError) -> Self {
        match error {
            SignInError::InvalidCredentials => Self::InvalidCredentials(
                Problem::new(Code::InvalidCredentials, "Invalid username or password.").json(),
            ),
            SignInError::Throttled { retry_after } => {
                let (problem, seconds) = throttled_problem(retry_after);
                Self::TooManyAttempts(problem, seconds)
            }
            SignInError::Locked => Self::Locked(locked_problem()),
            SignInError::Storage(error) => Self::Unavailable(storage_problem(error)),
            SignInError::Hasher(error) => Self::Unavailable(hasher_problem(error)),
        }
    }
}

fn invalid_input(errors: RegistrationErrors) -> Json<Problem> {
    let fields = [
        ("username", errors.username.map(|error| error.to_string())),
        ("password", errors.password.map(|error| error.to_string())),
    ];
    let faults = fields
        .into_iter()
        .filter_map(|(field, message)| message.map(|message| (field, message)));
    Problem::invalid_input(faults).json()
}

/// Creating an account, signing in and out over JSON.
pub(crate) struct AccountsApi;

#[OpenApi]
impl AccountsApi {
    /// Create an account.
    #[oai(path = "/register", method = "post", operation_id = "register")]
    async fn register(
        &self,
        state: Data<&Arc<AppState>>,
        requester: Requester,
        body: Json<RegisterRequest>,
    ) -> RegisterResponse {
        if let Some((problem, seconds)) = rate_limited(&state.limits.sign_up, &requester.client) {
            return RegisterResponse::RateLimited(problem, seconds);
        }
        let RegisterRequest { username, password } = body.0;
        let registered = state
            .services
            .visitors
            .register(&username, &Password::new(password), &requester.origin())
            .await;
        match registered {
            Ok(user) => RegisterResponse::Created(Json((&user).into())),
            Err(error) => error.into(),
        }
    }

    /// Sign in: a new session, whose token is sent back as a bearer token.
    #[oai(path = "/login", method = "post", operation_id = "login")]
    async fn login(
        &self,
        state: Data<&Arc<AppState>>,
        requester: Requester,
        body: Json<LoginRequest>,
    ) -> LoginResponse {
        if let Some((problem, seconds)) = rate_limited(&state.limits.sign_in, &requester.client) {
            return LoginResponse::TooManyAttempts(problem, seconds);
        }
        let LoginRequest {
            username,
            password,
            remember,
        } = body.0;
        let credentials = Credentials {
            username,
            password: Password::new(password),
            remember,
            origin: requester.origin(),
            return_to: None,
        };
        match state.services.visitors.sign_in(&credentials, None).await {
            Ok(SignInOutcome::Complete(done)) => {
                let mut body = LoginBody::from(&done.sign_in);
                body.device_token = Some(done.device.encode());
                LoginResponse::SignedIn(Json(LoginOutcome::SignedIn(body)))
            }
            Ok(SignInOutcome::SecondFactorRequired { pending, methods }) => {
                LoginResponse::SignedIn(Json(LoginOutcome::SecondFactorRequired(
                    SecondFactorRequiredBody::new(&pending, &methods),
                )))
            }
            Err(error) => error.into(),
        }
    }

    /// Finish a sign-in that asked for a second factor: the `pending` of
    /// `POST /api/login`'s answer and a code from the authenticator app or
    /// a recovery code.
    #[oai(
        path = "/login/second-factor",
        method = "post",
        operation_id = "login_second_factor"
    )]
    async fn second_step(
        &self,
        state: Data<&Arc<AppState>>,
        requester: Requester,
        body: Json<SecondStepRequest>,
    ) -> SecondStepResponse {
        if let Some((problem, seconds)) = rate_limited(&state.limits.sign_in, &requester.client) {
            return SecondStepResponse::TooManyAttempts(problem, seconds);
        }
        let SecondStepRequest { pending, code } = body.0;
        let Some(pending) = PendingToken::parse(&pending) else {
            return SecondStepResponse::Expired(expired_problem());
        };
        let step = SecondStep {
            pending,
            code,
            origin: requester.origin(),
        };
        match state
            .services
            .visitors
            .complete_second_step(&step, None)
            .await
        {
            Ok(SignedInFully {
                sign_in, device, ..
            }) => {
                let mut body = LoginBody::from(&sign_in);
                body.device_token = Some(device.encode());
                SecondStepResponse::SignedIn(Json(body))
            }
            Err(error) => error.into(),
        }
    }

    /// End the calling session.
    #[oai(path = "/logout", method = "post", operation_id = "logout")]
    async fn logout(
        &self,
        state: Data<&Arc<AppState>>,
        requester: Requester,
        caller: Caller,
    ) -> LogoutResponse {
        let signed_out = state
            .services
            .visitors
            .sign_out(&caller.signed_in, &requester.origin())
            .await;
        match signed_out {
            Ok(()) => LogoutResponse::LoggedOut,
            Err(error) => LogoutResponse::Unavailable(storage_problem(error)),
        }
    }
}
