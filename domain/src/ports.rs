//! The ports: what the domain needs from the outside world, as traits that
//! adapters implement. Each has a mockall mock (with the `mocks` feature, or
//! in this crate's tests) so rules are tested without I/O.

use std::error::Error;

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::{
    group::{GroupName, GroupSummary},
    password::{Password, PasswordHash},
    second_factor::{
        PendingId, PendingSignIn, RecoveryCodeDigest, SealedSecret, StoredTotp, TimeStep,
    },
    session::{Session, SessionId, SessionToken},
    throttle::{FailedAttempts, ThrottleKey},
    user::{User, UserId},
    username::{Username, UsernameKey, UsernameSkeleton},
};

type BoxError = Box<dyn Error + Send + Sync + 'static>;

/// A store could not do what was asked (unreachable, full, corrupt...).
#[derive(Debug, thiserror::Error)]
#[error("storage failed: {source}")]
pub struct StorageError {
    #[source]
    source: BoxError,
}

impl StorageError {
    /// Wraps the adapter's own error.
    pub fn new(source: impl Into<BoxError>) -> Self {
        Self {
            source: source.into(),
        }
    }
}

/// A hasher could not hash or verify (bad parameters, no worker available...).
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {source}")]
pub struct HasherError {
    #[source]
    source: BoxError,
}

impl HasherError {
    /// Wraps the adapter's own error.
    pub fn new(source: impl Into<BoxError>) -> Self {
        Self {
            source: source.into(),
        }
    }
}

/// Why a new account could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum InsertUserError {
    /// Another account has the same username key, or the same username
    /// skeleton (a name that looks the same).
    #[error("username taken")]
    UsernameTaken,
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Where accounts live.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait UserRepository: Send + Sync {
    /// Stores a new account with its username's skeleton; refuses one whose
    /// username key or skeleton another account holds, even when two arrive
    /// at once.
    async fn insert_user(&self, user: &User) -> Result<(), InsertUserError>;

    /// The account with this username key, if any.
    async fn user_by_key(&self, key: &UsernameKey) -> Result<Option<User>, StorageError>;

    /// Whether an account holds this username skeleton. Accounts stored
    /// before skeletons were kept hold none until the store fills theirs in.
    async fn skeleton_taken(&self, skeleton: &UsernameSkeleton) -> Result<bool, StorageError>;

    /// The account with this identifier, if any.
    async fn user_by_id(&self, id: UserId) -> Result<Option<User>, StorageError>;

    /// Records a successful sign-in.
    async fn record_sign_in(&self, id: UserId, at: OffsetDateTime) -> Result<(), StorageError>;

    /// Replaces an account's password hash with one of the same password
    /// (a re-hash with new costs); sessions live on.
    async fn set_password_hash(&self, id: UserId, hash: &PasswordHash) -> Result<(), StorageError>;

    /// Sets a new password's hash and moves the account's credential
    /// version on by one, atomically, which ends every session issued before.
    /// Returns the new version, or `None` when there is no such account.
    async fn replace_password(
        &self,
        id: UserId,
        hash: &PasswordHash,
    ) -> Result<Option<u32>, StorageError>;

    /// Up to `limit` accounts whose username key sorts after `after` (from
    /// the first when `None`), in key order (by the key's bytes). Walking
    /// page by page, each starting after the last key of the one before,
    /// visits every account once in bounded memory (for export).
    async fn users_page<'a>(
        &self,
        after: Option<&'a UsernameKey>,
        limit: u32,
    ) -> Result<Vec<User>, StorageError>;

    /// Disables or re-enables an account; `false` when there is no such
    /// account. (Ending its sessions is the caller's business.)
    async fn set_disabled(&self, id: UserId, disabled: bool) -> Result<bool, StorageError>;

    /// Deletes an account, every session of it and its memberships of
    /// groups; `false` when there was no such account.
    async fn delete_user(&self, id: UserId) -> Result<bool, StorageError>;
}

/// Why a group could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateGroupError {
    /// A group has that name already.
    #[error("a group has that name already")]
    Exists,
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Why a membership could not be changed.
#[derive(Debug, thiserror::Error)]
pub enum MembershipError {
    /// There is no group of that name.
    #[error("no group has that name")]
    NoSuchGroup,
    /// There is no account with that id.
    #[error("no account has that id")]
    NoSuchUser,
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Where groups and their members live. Memberships are kept with the
/// account, so that every read of an account ([`User::groups`]) carries them.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait GroupRepository: Send + Sync {
    /// Creates an empty group; refuses a name a group has, even when two
    /// arrive at once.
    async fn create_group(&self, name: &GroupName) -> Result<(), CreateGroupError>;

    /// Deletes a group and every membership of it; `false` when there was
    /// no such group.
    async fn delete_group(&self, name: &GroupName) -> Result<bool, StorageError>;

    /// Every group with its number of members, sorted by name.
    async fn groups(&self) -> Result<Vec<GroupSummary>, StorageError>;

    /// Makes an account a member of a group; `true` when it was not one
    /// before, `false` when it already was.
    async fn add_member(&self, name: &GroupName, user: UserId) -> Result<bool, MembershipError>;

    /// Ends an account's membership of a group; `true` when it was a
    /// member, `false` when it was not.
    async fn remove_member(&self, name: &GroupName, user: UserId) -> Result<bool, MembershipError>;

    /// The usernames of a group's members, in username-key order; `None`
    /// when there is no such group.
    async fn members(&self, name: &GroupName) -> Result<Option<Vec<Username>>, StorageError>;
}

/// Where second factors live: an account's authenticator app and its
/// recovery codes. Deleting an account deletes them.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait SecondFactorRepository: Send + Sync {
    /// The account's authenticator app, confirmed or not.
    async fn totp(&self, user: UserId) -> Result<Option<StoredTotp>, StorageError>;

    /// Stores a new authenticator app awaiting confirmation, replacing one
    /// that was never confirmed; `false` (and nothing changed) when the
    /// account has a confirmed one, or there is no such account.
    async fn begin_totp(
        &self,
        user: UserId,
        secret: &SealedSecret,
        at: OffsetDateTime,
    ) -> Result<bool, StorageError>;

    /// Confirms the account's pending authenticator app with the step of
    /// the code that proved it, if its key is still `secret` (not replaced
    /// meanwhile); `false` when there is nothing of that key to confirm.
    async fn confirm_totp(
        &self,
        user: UserId,
        secret: &SealedSecret,
        step: TimeStep,
        at: OffsetDateTime,
    ) -> Result<bool, StorageError>;

    /// Records `step` as the last one accepted for the account's confirmed
    /// app, but only if it is later than the one recorded: one atomic
    /// compare-and-set, so that of two requests with the same code exactly
    /// one is accepted. Returns whether it was recorded.
    async fn accept_totp_step(&self, user: UserId, step: TimeStep) -> Result<bool, StorageError>;

    /// Removes the account's authenticator app, confirmed or not; `true`
    /// when it had one.
    async fn remove_totp(&self, user: UserId) -> Result<bool, StorageError>;

    /// Replaces the account's recovery codes with these (an empty list
    /// removes them all).
    async fn replace_recovery_codes(
        &self,
        user: UserId,
        codes: &[RecoveryCodeDigest],
    ) -> Result<(), StorageError>;

    /// Spends one of the account's recovery codes: `true` when it was one
    /// (and it is no longer), `false` otherwise; of two requests with the
    /// same code, exactly one spends it.
    async fn use_recovery_code(
        &self,
        user: UserId,
        code: &RecoveryCodeDigest,
    ) -> Result<bool, StorageError>;

    /// How many recovery codes the account has left.
    async fn recovery_codes_left(&self, user: UserId) -> Result<u32, StorageError>;
}

/// Where sign-ins halfway wait for their second step.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PendingSignInRepository: Send + Sync {
    /// Stores a new one.
    async fn insert_pending(&self, pending: &PendingSignIn) -> Result<(), StorageError>;

    /// The one with this id, if any. Expiry is the caller's business.
    async fn pending(&self, id: &PendingId) -> Result<Option<PendingSignIn>, StorageError>;

    /// Deletes one; `true` when it existed. Of two requests that would
    /// complete one sign-in, exactly one deletes it: that one goes on.
    async fn take_pending(&self, id: &PendingId) -> Result<bool, StorageError>;

    /// Deletes every one that ended by `now` (`expires_at <= now`);
    /// returns how many.
    async fn delete_expired_pending(&self, now: OffsetDateTime) -> Result<u64, StorageError>;
}

/// Where sessions live.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait SessionRepository: Send + Sync {
    /// Stores a new session.
    async fn insert_session(&self, session: &Session) -> Result<(), StorageError>;

    /// The session with this id and its account, in one read; `None` when
    /// either is missing. Expiry is the caller's business.
    async fn session_with_user(
        &self,
        id: &SessionId,
    ) -> Result<Option<(Session, User)>, StorageError>;

    /// Records that a session was used at `at` (its `last_seen_at`).
    async fn touch_session(&self, id: &SessionId, at: OffsetDateTime) -> Result<(), StorageError>;

    /// Deletes one session; `true` when it existed.
    async fn delete_session(&self, id: &SessionId) -> Result<bool, StorageError>;

    /// Deletes every session of one account; returns how many.
    async fn delete_user_sessions(&self, user_id: UserId) -> Result<u64, StorageError>;

    /// Every session of one account, live or not, oldest first (by
    /// `created_at`).
    async fn user_sessions(&self, user_id: UserId) -> Result<Vec<Session>, StorageError>;

    /// Deletes every session of one account but `keep`; returns how many.
    async fn delete_other_sessions(
        &self,
        user_id: UserId,
        keep: &SessionId,
    ) -> Result<u64, StorageError>;

    /// Deletes every session not live at `now` (`expires_at <= now`);
    /// returns how many.
    async fn delete_expired_sessions(&self, now: OffsetDateTime) -> Result<u64, StorageError>;
}

/// Where consecutive failed sign-ins are counted, per [`ThrottleKey`]: per
/// username key (whether or not such an account exists) and per trusted
/// device, so that throttling holds across instances and restarts.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait SignInAttemptRepository: Send + Sync {
    /// The failures counted for this key, if any.
    async fn failed_attempts(
        &self,
        key: &ThrottleKey,
    ) -> Result<Option<FailedAttempts>, StorageError>;

    /// Counts one more failure at `at`, but only if the count is still
    /// `seen` (`None`: no count yet): one atomic compare-and-set, so that of
    /// many attempts that saw the same count, exactly one is counted.
    /// Returns whether it was.
    async fn record_failed_attempt_if(
        &self,
        key: &ThrottleKey,
        seen: Option<FailedAttempts>,
        at: OffsetDateTime,
    ) -> Result<bool, StorageError>;

    /// Forgets the failures for this key (after a successful sign-in).
    async fn clear_failed_attempts(&self, key: &ThrottleKey) -> Result<(), StorageError>;

    /// Forgets every count whose latest failure is before `before`, except
    /// those of a username that names an account; returns how many.
    async fn delete_stale_attempts(&self, before: OffsetDateTime) -> Result<u64, StorageError>;
}

/// Whether a store can answer right now (for readiness checks).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait StoreHealth: Send + Sync {
    /// Succeeds when the store answers a trivial request.
    async fn ping(&self) -> Result<(), StorageError>;
}

/// The outcome of checking a password against a hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    /// The password is wrong.
    Mismatch,
    /// The password is right and the hash uses the configured parameters.
    Match,
    /// The password is right but the hash should be recomputed with the
    /// configured parameters.
    MatchNeedsRehash,
}

/// Slow, salted password hashing.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PasswordHasher: Send + Sync {
    /// Hashes a password with a fresh salt and the configured parameters.
    async fn hash(&self, password: &Password) -> Result<PasswordHash, HasherError>;

    /// Checks a password against a stored hash, in time that does not depend
    /// on where they differ.
    async fn verify(
        &self,
        password: &Password,
        hash: &PasswordHash,
    ) -> Result<Verification, HasherError>;
}

/// The current time.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Clock: Send + Sync {
    /// Now, in UTC.
    fn now(&self) -> OffsetDateTime;
}

/// Cryptographically secure randomness for tokens and identifiers.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait TokenSource: Send + Sync {
    /// A new session token.
    fn session_token(&self) -> SessionToken;

    /// A new account identifier.
    fn user_id(&self) -> UserId;

    /// A new device token's nonce.
    fn device_nonce(&self) -> [u8; 16];

    /// A new authenticator app key.
    fn totp_secret(&self) -> [u8; crate::second_factor::TOTP_SECRET_LEN];

    /// A new recovery code.
    fn recovery_code(&self) -> [u8; crate::second_factor::RECOVERY_CODE_LEN];

    /// A new token for a sign-in halfway.
    fn pending_token(&self) -> crate::second_factor::PendingToken;
}

/// Authenticated encryption under a key of the server's, for secrets a
/// store must keep but must not be able to read (an authenticator app's
/// key).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait SecretSealer: Send + Sync {
    /// Seals `secret` (with a fresh nonce each time).
    fn seal(&self, secret: &[u8]) -> SealedSecret;

    /// Opens what [`seal`](Self::seal) made; `None` when it was made under
    /// another key or altered.
    fn open(&self, sealed: &SealedSecret) -> Option<zeroize::Zeroizing<Vec<u8>>>;
}

/// Digests keyed with the server's secret (HMAC-SHA256): what makes device
/// tokens unforgeable, and names in logs unreadable yet comparable.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait KeyedDigest: Send + Sync {
    /// The digest of `message` for `purpose` (digests for one purpose are
    /// worthless for another).
    fn digest(&self, purpose: &str, message: &[u8]) -> [u8; 32];
}
