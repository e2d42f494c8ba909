//! The rules for registering, signing in, finding who is signed in, signing
//! out, and changing a password.

use std::sync::Arc;

use time::{Duration, OffsetDateTime};

use crate::{
    password::{Password, PasswordError, PasswordHash, PasswordPolicy},
    ports::{
        Clock, HasherError, InsertUserError, LoginAttemptRepository, PasswordHasher,
        SessionRepository, StorageError, TokenSource, UserRepository, Verification,
    },
    session::{Session, SessionPolicy, SessionToken, SignInContext},
    throttle::ThrottlePolicy,
    user::User,
    username::{Username, UsernameError, UsernameKey},
};

/// The adapters the domain works through.
#[derive(Clone)]
pub struct Ports {
    /// Account storage.
    pub users: Arc<dyn UserRepository>,
    /// Session storage.
    pub sessions: Arc<dyn SessionRepository>,
    /// Failed sign-in counters.
    pub attempts: Arc<dyn LoginAttemptRepository>,
    /// Password hashing.
    pub hasher: Arc<dyn PasswordHasher>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// Randomness for tokens and ids.
    pub tokens: Arc<dyn TokenSource>,
}

/// The configurable rules.
#[derive(Debug, Clone, Copy, Default)]
pub struct Policies {
    /// What new passwords must be.
    pub password: PasswordPolicy,
    /// How long sessions live.
    pub session: SessionPolicy,
    /// How failed sign-ins slow down the next attempt.
    pub throttle: ThrottlePolicy,
}

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
    /// Another account has this username (after normalisation).
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
pub enum LoginError {
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
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The hasher failed.
    #[error(transparent)]
    Hasher(#[from] HasherError),
}

/// Why a password change failed.
#[derive(Debug, thiserror::Error)]
pub enum ChangePasswordError {
    /// The current password given is wrong.
    #[error("the current password is wrong")]
    WrongPassword,
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

/// What a person types to sign in.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The username as typed.
    pub username: String,
    /// The password as typed.
    pub password: Password,
    /// Whether to remember this sign-in for longer.
    pub remember: bool,
    /// Where the sign-in comes from, kept with the session.
    pub context: SignInContext,
}

/// A successful sign-in: the token to hand to the client, and what it opens.
#[derive(Debug, Clone)]
pub struct SignIn {
    /// The new session's secret, for the client only.
    pub token: SessionToken,
    /// The session as stored.
    pub session: Session,
    /// The account, with this sign-in recorded.
    pub user: User,
}

/// Who a live session belongs to.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The account.
    pub user: User,
    /// The session.
    pub session: Session,
}

/// An account whose password was just checked. Only
/// [`Authenticator::verify_credentials`] and [`Authenticator::change_password`]
/// make one, and a session can only be issued for one, so nothing signs a
/// person in without checking them.
struct VerifiedUser(User);

/// The domain service: every rule about accounts and sessions.
pub struct Authenticator {
    ports: Ports,
    policies: Policies,
    /// Verified against when the username is unknown or throttled, so that
    /// every refused attempt costs the same hashing work as a wrong password.
    dummy_hash: PasswordHash,
}

impl Authenticator {
    /// Builds the service; computes the hash used for unknown usernames.
    pub async fn new(ports: Ports, policies: Policies) -> Result<Self, HasherError> {
        let dummy_password = Password::new(ports.tokens.session_token().encode());
        let dummy_hash = ports.hasher.hash(&dummy_password).await?;
        Ok(Self {
            ports,
            policies,
            dummy_hash,
        })
    }

    /// The configured rules.
    pub fn policies(&self) -> &Policies {
        &self.policies
    }

    /// Creates an account.
    pub async fn register(
        &self,
        username: &str,
        password: &Password,
    ) -> Result<User, RegisterError> {
        let username = Username::parse(username);
        let password_problem = self
            .policies
            .password
            .check(password, username.as_ref().ok())
            .err();
        let username = match (username, password_problem) {
            (Ok(username), None) => username,
            (username, password) => {
                return Err(RegisterError::InvalidInput(RegistrationErrors {
                    username: username.err(),
                    password,
                }));
            }
        };
        // A cheap look first spares the hashing work for a name that is taken;
        // the store's unique key still decides when two arrive at once.
        if self
            .ports
            .users
            .user_by_key(username.key())
            .await?
            .is_some()
        {
            return Err(RegisterError::UsernameTaken);
        }
        let user = User {
            id: self.ports.tokens.user_id(),
            username,
            password_hash: self.ports.hasher.hash(password).await?,
            created_at: self.now(),
            last_login_at: None,
            credential_version: 0,
            disabled: false,
        };
        match self.ports.users.insert_user(&user).await {
            Ok(()) => Ok(user),
            Err(InsertUserError::UsernameTaken) => Err(RegisterError::UsernameTaken),
            Err(InsertUserError::Storage(error)) => Err(error.into()),
        }
    }

    /// Signs a person in with a brand-new session. The session the client
    /// held before, if any, is deleted: a token is never carried across a
    /// sign-in. While the username is throttled, no attempt is accepted.
    pub async fn log_in(
        &self,
        credentials: &Credentials,
        previous: Option<&SessionToken>,
    ) -> Result<SignIn, LoginError> {
        let key = UsernameKey::from_input(&credentials.username);
        let now = self.now();
        let attempts = self.ports.attempts.failed_attempts(&key).await?;
        let wait = attempts.and_then(|attempts| self.policies.throttle.wait_at(&attempts, now));
        if let Some(retry_after) = wait {
            // A throttled attempt costs the same hashing work as any other.
            self.ports
                .hasher
                .verify(&credentials.password, &self.dummy_hash)
                .await?;
            return Err(LoginError::Throttled { retry_after });
        }
        let verified = match self.verify_credentials(&key, &credentials.password).await {
            Ok(verified) => verified,
            Err(LoginError::InvalidCredentials) => {
                self.ports.attempts.record_failed_attempt(&key, now).await?;
                return Err(LoginError::InvalidCredentials);
            }
            Err(error) => return Err(error),
        };
        if attempts.is_some() {
            self.ports.attempts.clear_failed_attempts(&key).await?;
        }
        if let Some(previous) = previous {
            self.ports.sessions.delete_session(&previous.id()).await?;
        }
        Ok(self
            .issue_session(verified, credentials.remember, &credentials.context)
            .await?)
    }

    /// The account and session a token opens, if it is live: before its
    /// expiry, within the idle timeout unless remembered, and issued under
    /// the account's current credentials, of an account not disabled. A dead
    /// session found is deleted.
    /// Use is recorded at most once per minute.
    pub async fn signed_in(&self, token: &SessionToken) -> Result<Option<SignedIn>, StorageError> {
        let id = token.id();
        let Some((mut session, user)) = self.ports.sessions.session_with_user(&id).await? else {
            return Ok(None);
        };
        let now = self.now();
        let policy = &self.policies.session;
        if !policy.is_live(&session, now)
            || session.credential_version != user.credential_version
            || user.disabled
        {
            self.ports.sessions.delete_session(&id).await?;
            return Ok(None);
        }
        if policy.needs_touch(&session, now) {
            self.ports.sessions.touch_session(&id, now).await?;
            session.last_seen_at = now;
        }
        Ok(Some(SignedIn { user, session }))
    }

    /// Ends the session a token opens. Ending one that does not exist is not
    /// an error.
    pub async fn log_out(&self, token: &SessionToken) -> Result<(), StorageError> {
        self.ports.sessions.delete_session(&token.id()).await?;
        Ok(())
    }

    /// Changes a signed-in account's password: the current one must be
    /// given, the new one must meet the policy. Every session of the account
    /// ends (its credential version moves on) and the caller gets a new one.
    pub async fn change_password(
        &self,
        signed_in: &SignedIn,
        current: &Password,
        new: &Password,
    ) -> Result<SignIn, ChangePasswordError> {
        let user = &signed_in.user;
        let verification = self
            .ports
            .hasher
            .verify(current, &user.password_hash)
            .await?;
        if verification == Verification::Mismatch {
            return Err(ChangePasswordError::WrongPassword);
        }
        self.policies
            .password
            .check(new, Some(&user.username))
            .map_err(ChangePasswordError::InvalidPassword)?;
        let hash = self.ports.hasher.hash(new).await?;
        let Some(version) = self.ports.users.replace_password(user.id, &hash).await? else {
            return Err(ChangePasswordError::AccountGone);
        };
        self.ports.sessions.delete_user_sessions(user.id).await?;
        let mut user = user.clone();
        user.password_hash = hash;
        user.credential_version = version;
        let session = &signed_in.session;
        let context = SignInContext {
            user_agent: session.user_agent.clone(),
            client_ip: session.client_ip.clone(),
        };
        Ok(self
            .issue_session(VerifiedUser(user), session.remember, &context)
            .await?)
    }

    /// Checks a password for a username key: exactly one verify, against
    /// the account's hash or, for an unknown key, the dummy hash. A disabled
    /// account fails like a wrong password, after the same work.
    async fn verify_credentials(
        &self,
        key: &UsernameKey,
        password: &Password,
    ) -> Result<VerifiedUser, LoginError> {
        let Some(user) = self.ports.users.user_by_key(key).await? else {
            self.ports.hasher.verify(password, &self.dummy_hash).await?;
            return Err(LoginError::InvalidCredentials);
        };
        match self
            .ports
            .hasher
            .verify(password, &user.password_hash)
            .await?
        {
            Verification::Mismatch => Err(LoginError::InvalidCredentials),
            _ if user.disabled => Err(LoginError::InvalidCredentials),
            Verification::Match => Ok(VerifiedUser(user)),
            Verification::MatchNeedsRehash => {
                let mut user = user;
                user.password_hash = self.ports.hasher.hash(password).await?;
                self.ports
                    .users
                    .set_password_hash(user.id, &user.password_hash)
                    .await?;
                Ok(VerifiedUser(user))
            }
        }
    }

    async fn issue_session(
        &self,
        verified: VerifiedUser,
        remember: bool,
        context: &SignInContext,
    ) -> Result<SignIn, StorageError> {
        let VerifiedUser(mut user) = verified;
        let now = self.now();
        let token = self.ports.tokens.session_token();
        let session = Session {
            id: token.id(),
            user_id: user.id,
            created_at: now,
            authenticated_at: now,
            last_seen_at: now,
            expires_at: self.policies.session.expiry(now, remember),
            remember,
            credential_version: user.credential_version,
            user_agent: context.user_agent.clone(),
            client_ip: context.client_ip.clone(),
        };
        self.ports.sessions.insert_session(&session).await?;
        self.ports.users.record_sign_in(user.id, now).await?;
        user.last_login_at = Some(now);
        Ok(SignIn {
            token,
            session,
            user,
        })
    }

    /// Now, to the millisecond: the precision every store keeps, so what is
    /// stored reads back equal.
    fn now(&self) -> OffsetDateTime {
        let now = self.ports.clock.now();
        now.replace_millisecond(now.millisecond()).unwrap_or(now)
    }
}

mod account;

pub use account::{AccountError, SessionInfo};

#[cfg(test)]
mod tests;
