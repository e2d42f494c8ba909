//! What anyone may do: register, sign in, find who a token belongs to, and
//! sign out.

use std::sync::Arc;

use super::{Core, RegisterError, SignInError, SignedIn};
use crate::{
    events::{AuthEvent, EventKind, Origin},
    password::Password,
    ports::StorageError,
    session::{Session, SessionToken},
    user::User,
    username::UsernameKey,
};

/// What a person types to sign in.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The username as typed.
    pub username: String,
    /// The password as typed.
    pub password: Password,
    /// Whether to remember this sign-in for longer.
    pub remember: bool,
    /// Where the sign-in comes from (the session keeps its client part).
    pub origin: Origin,
    /// Where to go once signed in, as the delivery adapter vetted it.
    pub return_to: Option<ReturnTarget>,
}

/// A place to go after signing in that the delivery adapter checked (a
/// path on this site, or later an allowed site). The core carries it
/// through every step of a sign-in untouched and hands it back at the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnTarget(String);

impl ReturnTarget {
    /// Wraps a target the caller has checked.
    pub fn new(target: impl Into<String>) -> Self {
        Self(target.into())
    }

    /// The target.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new session: the token to hand to the client, and what it opens.
#[derive(Debug, Clone)]
pub struct SignIn {
    /// The new session's secret, for the client only.
    pub token: SessionToken,
    /// The session as stored.
    pub session: Session,
    /// The account, with this sign-in recorded.
    pub user: User,
}

/// How a sign-in with the right credentials ends. Today every sign-in is
/// complete after the password; a second step (a second factor) will be
/// another variant, carrying the pending state and the same return target.
#[derive(Debug, Clone)]
pub enum SignInOutcome {
    /// Signed in: a session was issued; go on to `return_to` if any.
    Complete {
        /// The new session.
        sign_in: SignIn,
        /// Where the person asked to go.
        return_to: Option<ReturnTarget>,
    },
}

/// What anyone may do, signed in or not.
#[derive(Clone)]
pub struct Visitors {
    core: Arc<Core>,
}

impl Visitors {
    pub(super) fn new(core: Arc<Core>) -> Self {
        Self { core }
    }

    /// The configured rules (forms show the password's minimum length).
    pub fn policies(&self) -> &super::Policies {
        &self.core.policies
    }

    /// Creates an account.
    pub async fn register(
        &self,
        username: &str,
        password: &Password,
        origin: &Origin,
    ) -> Result<User, RegisterError> {
        self.core.register(username, password, origin).await
    }

    /// Signs a person in with a brand-new session. The session the client
    /// held before, if any, is deleted: a token is never carried across a
    /// sign-in. While the username is throttled, no attempt is accepted.
    pub async fn sign_in(
        &self,
        credentials: &Credentials,
        previous: Option<&SessionToken>,
    ) -> Result<SignInOutcome, SignInError> {
        let core = &self.core;
        let key = UsernameKey::from_input(&credentials.username);
        let origin = &credentials.origin;
        let now = core.now();
        let attempts = core.ports.attempts.failed_attempts(&key).await?;
        let wait = attempts.and_then(|attempts| core.policies.throttle.wait_at(&attempts, now));
        if let Some(retry_after) = wait {
            // A throttled attempt costs the same hashing work as any other.
            core.ports
                .hasher
                .verify(&credentials.password, &core.dummy_hash)
                .await?;
            core.emit(
                AuthEvent::new(EventKind::SignInThrottled { retry_after }, origin).user(&key),
            );
            return Err(SignInError::Throttled { retry_after });
        }
        let Some(verified) = core.verify_credentials(&key, &credentials.password).await? else {
            core.ports.attempts.record_failed_attempt(&key, now).await?;
            core.emit(AuthEvent::new(EventKind::SignInFailed, origin).user(&key));
            return Err(SignInError::InvalidCredentials);
        };
        if attempts.is_some() {
            core.ports.attempts.clear_failed_attempts(&key).await?;
        }
        if let Some(previous) = previous {
            core.ports.sessions.delete_session(&previous.id()).await?;
        }
        let sign_in = core
            .issue_session(verified, credentials.remember, &origin.client)
            .await?;
        core.emit(
            AuthEvent::new(EventKind::SignInSucceeded, origin)
                .user(sign_in.user.username.key())
                .session(&sign_in.session.id),
        );
        Ok(SignInOutcome::Complete {
            sign_in,
            return_to: credentials.return_to.clone(),
        })
    }

    /// The account and session a token opens, if it is live (see
    /// [`Core::is_live`]). A dead session found is deleted. Use is recorded
    /// at most once per minute.
    pub async fn signed_in(&self, token: &SessionToken) -> Result<Option<SignedIn>, StorageError> {
        let core = &self.core;
        let id = token.id();
        let Some((mut session, user)) = core.ports.sessions.session_with_user(&id).await? else {
            return Ok(None);
        };
        let now = core.now();
        if !core.is_live(&session, &user, now) {
            core.ports.sessions.delete_session(&id).await?;
            return Ok(None);
        }
        if core.policies.session.needs_touch(&session, now) {
            core.ports.sessions.touch_session(&id, now).await?;
            session.last_seen_at = now;
        }
        Ok(Some(SignedIn { user, session }))
    }

    /// Ends the caller's own session.
    pub async fn sign_out(
        &self,
        signed_in: &SignedIn,
        origin: &Origin,
    ) -> Result<(), StorageError> {
        let core = &self.core;
        core.ports
            .sessions
            .delete_session(&signed_in.session.id)
            .await?;
        core.emit(
            AuthEvent::new(EventKind::SignedOut, origin)
                .user(signed_in.user.username.key())
                .session(&signed_in.session.id),
        );
        Ok(())
    }
}
