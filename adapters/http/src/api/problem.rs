//! One error shape for the whole API: RFC 9457 problem documents
//! (`application/problem+json`) with a stable machine-readable `code`.

use poem::{Error, IntoResponse, Response, http::StatusCode};
use poem_openapi::{Object, payload::Json};

/// The media type of every API error.
pub(crate) const PROBLEM_JSON: &str = "application/problem+json";

/// An API error (RFC 9457).
#[derive(Debug, Clone, Object)]
pub struct Problem {
    /// A URI reference identifying the problem type; `about:blank` means the
    /// status says it all and `code` refines it.
    #[oai(rename = "type")]
    pub problem_type: String,
    /// A short summary of the problem type.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong in this case, for people.
    pub detail: String,
    /// What went wrong, for programs: stable across releases.
    pub code: String,
    /// The fields that failed validation, with a message each.
    #[oai(skip_serializing_if_is_none)]
    pub errors: Option<Vec<FieldProblem>>,
}

/// One invalid field.
#[derive(Debug, Clone, Object)]
pub struct FieldProblem {
    /// The field's name in the request body.
    pub field: String,
    /// Why it is invalid.
    pub message: String,
}

/// The stable codes, one per kind of failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Code {
    MalformedRequest,
    InvalidInput,
    UsernameTaken,
    InvalidCredentials,
    WrongPassword,
    Unauthorized,
    CsrfFailed,
    NotFound,
    SessionNotFound,
    MethodNotAllowed,
    PayloadTooLarge,
    UnsupportedMediaType,
    TooManyAttempts,
    SignInLocked,
    WrongOneTimePassword,
    SignInExpired,
    TotpAlreadySetUp,
    TotpNotPending,
    TotpUnavailable,
    NoSecondFactor,
    RateLimited,
    StorageUnavailable,
    TemporarilyUnavailable,
    InternalError,
}

impl Code {
    fn as_str(self) -> &'static str {
        match self {
            Self::MalformedRequest => "malformed_request",
            Self::InvalidInput => "invalid_input",
            Self::UsernameTaken => "username_taken",
            Self::InvalidCredentials => "invalid_credentials",
            Self::WrongPassword => "wrong_password",
            Self::Unauthorized => "unauthorized",
            Self::CsrfFailed => "csrf_failed",
            Self::NotFound => "not_found",
            Self::SessionNotFound => "session_not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::TooManyAttempts => "too_many_attempts",
            Self::SignInLocked => "sign_in_locked",
            Self::WrongOneTimePassword => "invalid_code",
            Self::SignInExpired => "sign_in_expired",
            Self::TotpAlreadySetUp => "totp_already_set_up",
            Self::TotpNotPending => "totp_not_pending",
            Self::TotpUnavailable => "totp_unavailable",
            Self::NoSecondFactor => "no_second_factor",
            Self::RateLimited => "rate_limited",
            Self::StorageUnavailable => "storage_unavailable",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::InternalError => "internal_error",
        }
    }

    fn status(self) -> StatusCode {
        match self {
            Self::MalformedRequest => StatusCode::BAD_REQUEST,
            Self::InvalidInput => StatusCode::UNPROCESSABLE_ENTITY,
            Self::UsernameTaken => StatusCode::CONFLICT,
            Self::InvalidCredentials | Self::Unauthorized | Self::SignInExpired => {
                StatusCode::UNAUTHORIZED
            }
            Self::WrongOneTimePassword => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TotpAlreadySetUp
            | Self::TotpNotPending
            | Self::TotpUnavailable
            | Self::NoSecondFactor => StatusCode::CONFLICT,
            Self::CsrfFailed | Self::WrongPassword => StatusCode::FORBIDDEN,
            Self::NotFound | Self::SessionNotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::TooManyAttempts | Self::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Self::StorageUnavailable | Self::TemporarilyUnavailable => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::SignInLocked => StatusCode::LOCKED,
            Self::InternalError => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The code a bare status stands for, when nothing more is known.
    fn of_status(status: StatusCode) -> Self {
        match status {
            StatusCode::UNPROCESSABLE_ENTITY => Self::InvalidInput,
            StatusCode::UNAUTHORIZED => Self::Unauthorized,
            StatusCode::FORBIDDEN => Self::CsrfFailed,
            StatusCode::NOT_FOUND => Self::NotFound,
            StatusCode::METHOD_NOT_ALLOWED => Self::MethodNotAllowed,
            StatusCode::PAYLOAD_TOO_LARGE => Self::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Self::UnsupportedMediaType,
            StatusCode::SERVICE_UNAVAILABLE => Self::TemporarilyUnavailable,
            status if status.is_client_error() => Self::MalformedRequest,
            _ => Self::InternalError,
        }
    }
}

impl Problem {
    /// A problem with this code and explanation.
    pub(crate) fn new(code: Code, detail: impl Into<String>) -> Self {
        let status = code.status();
        Self {
            problem_type: "about:blank".to_owned(),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            code: code.as_str().to_owned(),
            errors: None,
        }
    }

    /// `invalid_input`, naming each field at fault with why.
    pub(crate) fn invalid_input<'a>(fields: impl IntoIterator<Item = (&'a str, String)>) -> Self {
        Self::new(Code::InvalidInput, "Some fields are invalid; see `errors`.").with_fields(fields)
    }

    /// This problem, naming the fields at fault with a message each.
    pub(crate) fn with_fields<'a>(
        mut self,
        fields: impl IntoIterator<Item = (&'a str, String)>,
    ) -> Self {
        let fields = fields.into_iter().map(|(field, message)| FieldProblem {
            field: field.to_owned(),
            message,
        });
        self.errors = Some(fields.collect());
        self
    }

    /// The problem behind any error a request ended in: the one an API
    /// extractor raised, or one made from the status.
    pub(crate) fn from_error(error: &Error) -> Self {
        if let Some(problem) = error.downcast_ref::<ProblemError>() {
            return problem.0.clone();
        }
        let code = Code::of_status(error.status());
        let detail = match code {
            Code::MalformedRequest => format!("The request could not be read: {error}"),
            Code::UnsupportedMediaType => "Send the request body as application/json.".to_owned(),
            Code::PayloadTooLarge => {
                "The request body is larger than this service accepts.".to_owned()
            }
            Code::NotFound => "There is no such endpoint.".to_owned(),
            Code::MethodNotAllowed => "This endpoint does not accept that method.".to_owned(),
            Code::InternalError => {
                tracing::error!(%error, "API request failed");
                "Something went wrong on our side.".to_owned()
            }
            _ => error.to_string(),
        };
        Self::new(code, detail)
    }

    /// The status as a `StatusCode`.
    pub(crate) fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// As a payload for a response variant.
    pub(crate) fn json(self) -> Json<Problem> {
        Json(self)
    }

    /// As a complete response, for errors outside any operation.
    pub(crate) fn into_http_response(self) -> Response {
        let status = self.status_code();
        let body =
            serde_json::to_vec(&poem_openapi::types::ToJSON::to_json(&self)).unwrap_or_default();
        Response::builder()
            .status(status)
            .content_type(PROBLEM_JSON)
            .body(body)
    }
}

/// A [`Problem`] carried through Poem's error type, so extractors can say
/// exactly what went wrong.
#[derive(Debug, thiserror::Error)]
#[error("{}", .0.detail)]
pub(crate) struct ProblemError(pub(crate) Problem);

impl poem::error::ResponseError for ProblemError {
    fn status(&self) -> StatusCode {
        self.0.status_code()
    }

    fn as_response(&self) -> Response {
        self.0.clone().into_http_response()
    }
}

/// Turns every error an API request ends in into a problem document.
pub(crate) async fn problem_response(error: Error) -> Response {
    Problem::from_error(&error)
        .into_http_response()
        .into_response()
}
