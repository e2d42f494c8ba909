//! Latch's domain: who a user is, what a valid password and session are, and
//! the rules for registering, signing in and signing out.
//!
//! This crate does no I/O. Storage, hashing, time and randomness are reached
//! through the traits in [`ports`], which adapters implement and the
//! composition root plugs in.

pub mod auth;
pub mod password;
pub mod ports;
pub mod redirect;
pub mod session;
pub mod throttle;
pub mod user;
pub mod username;

pub use auth::{
    AccountError, Authenticator, ChangePasswordError, Credentials, LoginError, Policies, Ports,
    RegisterError, RegistrationErrors, SessionInfo, SignIn, SignedIn,
};
pub use password::{Password, PasswordError, PasswordHash, PasswordPolicy, PolicyError};
pub use ports::{
    Clock, HasherError, InsertUserError, LoginAttemptRepository, PasswordHasher, SessionRepository,
    StorageError, StoreHealth, TokenSource, UserRepository, Verification,
};
pub use redirect::safe_redirect_target;
pub use session::{
    MAX_USER_AGENT_CHARS, Session, SessionId, SessionPolicy, SessionToken, SignInContext,
};
pub use throttle::{FailedAttempts, ThrottlePolicy};
pub use user::{User, UserId};
pub use username::{Username, UsernameError, UsernameKey};
