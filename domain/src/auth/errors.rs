//! Why each operation failed: one enum per operation, with only the
//! variants it can reach.

use time::Duration;

use crate::{
    group::GroupNameError,
    password::PasswordError,
    ports::{HasherError, StorageError},
    username::UsernameError,
};

/// What was wrong with each field of a registration.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RegistrationErrors {
    /// The username's problem, if any.
    pub username: Option<UsernameError>,
    /// The password's problem, if any.
    pub password: Option<PasswordError>,
}

/// Why a registration failed.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// One or more fields are invalid.
    #[error("invalid registration: {0:?}")]
    InvalidInput(RegistrationErrors),
    /// Another account has this username (after normalisation), or one
    /// that looks the same (the same skeleton).
    #[error("that username is taken")]
    UsernameTaken,
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The hasher failed.
    #[error(transparent)]
    Hasher(#[from] HasherError),
}

/// Why a sign-in failed. Unknown usernames and wrong passwords are one
/// variant, so no caller can tell them apart.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// Unknown username or wrong password.
    #[error("invalid username or password")]
    InvalidCredentials,
    /// Too many consecutive failures for this username: no attempt is
    /// accepted before `retry_after` has passed, not even a right one.
    #[error("too many failed sign-ins; retry in {retry_after}")]
    Throttled {
        /// How long to wait.
        retry_after: Duration,
    },
    /// So many failures from untrusted clients that untrusted sign-in to
    /// this username is closed: until a trusted device signs in, the
    /// password is changed, or an operator unlocks it. No wait reopens it.
    #[error("sign-in from untrusted clients is locked for this username")]
    Locked,
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The hasher failed.
    #[error(transparent)]
    Hasher(#[from] HasherError),
}

/// Why a sign-in's second step failed. A code that is wrong, spent, or
/// not a code at all is one variant.
#[derive(Debug, thiserror::Error)]
pub enum SecondStepError {
    /// The code is not one the account accepts now.
    #[error("that code is not valid")]
    InvalidCode,
    /// The sign-in halfway is unknown, used, more than five minutes old, or
    /// its account was disabled or its password changed since: start again.
    #[error("the sign-in expired; start again")]
    Expired,
    /// Too many failures for this username (as for a password).
    #[error("too many failed sign-ins; retry in {retry_after}")]
    Throttled {
        /// How long to wait.
        retry_after: Duration,
    },
    /// Sign-in from untrusted clients is locked for this username (as for
    /// a password).
    #[error("sign-in from untrusted clients is locked for this username")]
    Locked,
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Why a password change failed.
#[derive(Debug, thiserror::Error)]
pub enum ChangePasswordError {
    /// The current password given is wrong.
    #[error("the current password is wrong")]
    WrongPassword,
    /// Too many wrong passwords for this username (as for a sign-in).
    #[error("too many wrong passwords; retry in {retry_after}")]
    Throttled {
        /// How long to wait.
        retry_after: Duration,
    },
    /// Checking passwords for this username is locked (as for a sign-in).
    #[error("password checks are locked for this username")]
    Locked,
    /// The new password does not meet the policy.
    #[error("the new password is not accepted: {0}")]
    InvalidPassword(PasswordError),
    /// The account was deleted meanwhile.
    #[error("the account no longer exists")]
    AccountGone,
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The hasher failed.
    #[error(transparent)]
    Hasher(#[from] HasherError),
}

/// Why deleting one's own account failed.
#[derive(Debug, thiserror::Error)]
pub enum DeleteAccountError {
    /// The password given is wrong.
    #[error("the password is wrong")]
    WrongPassword,
    /// Too many wrong passwords for this username (as for a sign-in).
    #[error("too many wrong passwords; retry in {retry_after}")]
    Throttled {
        /// How long to wait.
        retry_after: Duration,
    },
    /// Checking passwords for this username is locked (as for a sign-in).
    #[error("password checks are locked for this username")]
    Locked,
    /// The account was deleted meanwhile.
    #[error("the account no longer exists")]
    AccountGone,
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The hasher failed.
    #[error(transparent)]
    Hasher(#[from] HasherError),
}

/// Why an operator's action on an account failed.
#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    /// No account has that username (or it was deleted meanwhile).
    #[error("no account has that username")]
    NoSuchAccount,
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Why an operator could not create a group.
#[derive(Debug, thiserror::Error)]
pub enum NewGroupError {
    /// The name is not a valid group name.
    #[error("{0}")]
    InvalidName(GroupNameError),
    /// A group has that name already.
    #[error("a group has that name already")]
    Exists,
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Why an operator's action on a group (deleting it, listing its members)
/// failed.
#[derive(Debug, thiserror::Error)]
pub enum GroupError {
    /// The name is not a valid group name (so no group has it).
    #[error("{0}")]
    InvalidName(GroupNameError),
    /// No group has that name (or it was deleted meanwhile).
    #[error("no group has that name")]
    NoSuchGroup,
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Why an operator could not add an account to a group or remove it.
#[derive(Debug, thiserror::Error)]
pub enum GroupMemberError {
    /// The name is not a valid group name (so no group has it).
    #[error("{0}")]
    InvalidName(GroupNameError),
    /// No group has that name (or it was deleted meanwhile).
    #[error("no group has that name")]
    NoSuchGroup,
    /// No account has that username (or it was deleted meanwhile).
    #[error("no account has that username")]
    NoSuchAccount,
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Why an authenticator app could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum BeginTotpError {
    /// The account has a confirmed one: remove it first.
    #[error("an authenticator app is set up already")]
    AlreadySetUp,
    /// The account was deleted meanwhile.
    #[error("the account no longer exists")]
    AccountGone,
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Why an authenticator app could not be confirmed.
#[derive(Debug, thiserror::Error)]
pub enum ConfirmTotpError {
    /// The code is not six digits, or not the app's current one.
    #[error("that is not the app's current code")]
    InvalidCode,
    /// No app is waiting for confirmation (none was set up, it was
    /// confirmed or replaced meanwhile, or the server's key changed since).
    #[error("no authenticator app is waiting for confirmation")]
    NothingPending,
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Why a change to an account's second factors (removing one, or new
/// recovery codes) was refused. The account's password is asked again
/// first, as before deleting it.
#[derive(Debug, thiserror::Error)]
pub enum SecondFactorChangeError {
    /// The password given is wrong.
    #[error("the password is wrong")]
    WrongPassword,
    /// Too many wrong passwords for this username (as for a sign-in).
    #[error("too many wrong passwords; retry in {retry_after}")]
    Throttled {
        /// How long to wait.
        retry_after: Duration,
    },
    /// Checking passwords for this username is locked (as for a sign-in).
    #[error("password checks are locked for this username")]
    Locked,
    /// The account has no second factor of that kind (for new recovery
    /// codes: none at all for them to stand in for).
    #[error("the account has no such second factor")]
    NoSecondFactor,
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The hasher failed.
    #[error(transparent)]
    Hasher(#[from] HasherError),
}

impl From<SignInError> for SecondFactorChangeError {
    fn from(error: SignInError) -> Self {
        match error {
            SignInError::InvalidCredentials => Self::WrongPassword,
            SignInError::Throttled { retry_after } => Self::Throttled { retry_after },
            SignInError::Locked => Self::Locked,
            SignInError::Storage(error) => Self::Storage(error),
            SignInError::Hasher(error) => Self::Hasher(error),
        }
    }
}
