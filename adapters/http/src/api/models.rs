//! The API's request and response bodies.

use latch_domain::{SignIn, User};
use poem_openapi::Object;
use time::OffsetDateTime;

/// `POST /api/register`.
#[derive(Object)]
pub struct RegisterRequest {
    /// 3 to 32 letters, digits, `.`, `_` or `-`; compared after trimming,
    /// Unicode NFKC and case folding.
    pub username: String,
    /// At least the configured minimum (15 by default), at most 1024
    /// characters; not containing the username or "latch".
    pub password: String,
}

/// `POST /api/login`.
#[derive(Object)]
pub struct LoginRequest {
    /// The username, as registered (case and width do not matter).
    pub username: String,
    /// The password.
    pub password: String,
    /// Remember this sign-in: a longer session (30 days by default) that
    /// still ends at logout.
    #[oai(default)]
    pub remember: bool,
}

/// An account, as the API shows it (never its password hash).
#[derive(Debug, Object)]
pub struct UserBody {
    /// The account's permanent identifier (a UUID).
    pub id: String,
    /// The username as its owner wrote it.
    pub username: String,
    /// When the account was created.
    pub created_at: OffsetDateTime,
    /// When its owner last signed in, if ever.
    pub last_login_at: Option<OffsetDateTime>,
}

impl From<&User> for UserBody {
    fn from(user: &User) -> Self {
        Self {
            id: user.id.to_string(),
            username: user.username.as_str().to_owned(),
            created_at: user.created_at,
            last_login_at: user.last_login_at,
        }
    }
}

/// A response holding one account.
#[derive(Debug, Object)]
pub struct UserEnvelope {
    /// The account.
    pub user: UserBody,
}

impl From<&User> for UserEnvelope {
    fn from(user: &User) -> Self {
        Self { user: user.into() }
    }
}

/// A successful sign-in.
#[derive(Object)]
pub struct LoginBody {
    /// The session token: send it back as `Authorization: Bearer <token>`.
    pub token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// When the session ends, whatever happens.
    pub expires_at: OffsetDateTime,
    /// The account signed in.
    pub user: UserBody,
}

impl From<&SignIn> for LoginBody {
    fn from(sign_in: &SignIn) -> Self {
        Self {
            token: sign_in.token.encode(),
            token_type: "Bearer".to_owned(),
            expires_at: sign_in.session.expires_at,
            user: (&sign_in.user).into(),
        }
    }
}
