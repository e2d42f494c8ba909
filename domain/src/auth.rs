//! The rules for registering, signing in, finding who is signed in, and
//! signing out.

use std::sync::Arc;

use time::OffsetDateTime;

use crate::{
    password::{Password, PasswordError, PasswordHash, PasswordPolicy},
    ports::{
        Clock, HasherError, InsertUserError, PasswordHasher, SessionRepository, StorageError,
        TokenSource, UserRepository, Verification,
    },
    session::{Session, SessionPolicy, SessionToken},
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
/// [`Authenticator::verify_credentials`] makes one, and a session can only be
/// issued for one, so nothing signs a person in without checking them.
struct VerifiedUser(User);

/// The domain service: every rule about accounts and sessions.
pub struct Authenticator {
    ports: Ports,
    policies: Policies,
    /// Verified against when the username is unknown, so that an unknown
    /// username costs the same hashing work as a wrong password.
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
        };
        match self.ports.users.insert_user(&user).await {
            Ok(()) => Ok(user),
            Err(InsertUserError::UsernameTaken) => Err(RegisterError::UsernameTaken),
            Err(InsertUserError::Storage(error)) => Err(error.into()),
        }
    }

    /// Signs a person in with a brand-new session. The session the client
    /// held before, if any, is deleted: a token is never carried across a
    /// sign-in.
    pub async fn log_in(
        &self,
        credentials: &Credentials,
        previous: Option<&SessionToken>,
    ) -> Result<SignIn, LoginError> {
        let verified = self.verify_credentials(credentials).await?;
        if let Some(previous) = previous {
            self.ports.sessions.delete_session(&previous.id()).await?;
        }
        Ok(self.issue_session(verified).await?)
    }

    /// The account and session a token opens, if it is live. A session found
    /// expired is deleted.
    pub async fn signed_in(&self, token: &SessionToken) -> Result<Option<SignedIn>, StorageError> {
        let id = token.id();
        let Some((session, user)) = self.ports.sessions.session_with_user(&id).await? else {
            return Ok(None);
        };
        if !session.is_live_at(self.now()) {
            self.ports.sessions.delete_session(&id).await?;
            return Ok(None);
        }
        Ok(Some(SignedIn { user, session }))
    }

    /// Ends the session a token opens. Ending one that does not exist is not
    /// an error.
    pub async fn log_out(&self, token: &SessionToken) -> Result<(), StorageError> {
        self.ports.sessions.delete_session(&token.id()).await?;
        Ok(())
    }

    async fn verify_credentials(
        &self,
        credentials: &Credentials,
    ) -> Result<VerifiedUser, LoginError> {
        let key = UsernameKey::from_input(&credentials.username);
        let Some(user) = self.ports.users.user_by_key(&key).await? else {
            self.ports
                .hasher
                .verify(&credentials.password, &self.dummy_hash)
                .await?;
            return Err(LoginError::InvalidCredentials);
        };
        match self
            .ports
            .hasher
            .verify(&credentials.password, &user.password_hash)
            .await?
        {
            Verification::Mismatch => Err(LoginError::InvalidCredentials),
            Verification::Match => Ok(VerifiedUser(user)),
            Verification::MatchNeedsRehash => {
                let mut user = user;
                user.password_hash = self.ports.hasher.hash(&credentials.password).await?;
                self.ports
                    .users
                    .set_password_hash(user.id, &user.password_hash)
                    .await?;
                Ok(VerifiedUser(user))
            }
        }
    }

    async fn issue_session(&self, verified: VerifiedUser) -> Result<SignIn, StorageError> {
        let VerifiedUser(mut user) = verified;
        let now = self.now();
        let token = self.ports.tokens.session_token();
        let session = Session {
            id: token.id(),
            user_id: user.id,
            created_at: now,
            expires_at: now + self.policies.session.absolute_lifetime,
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

#[cfg(test)]
mod tests;
