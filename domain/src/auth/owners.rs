//! What a signed-in person may do to their own account: see and end its
//! sessions, change its password, manage its second factors, delete it. Every operation takes the
//! [`SignedIn`] proof that the caller's session is live.

mod authenticator_app;

use std::sync::Arc;

use time::OffsetDateTime;

pub use self::authenticator_app::{SecondFactors, TotpEnrolment, TotpState};

use super::{
    ChangePasswordError, Core, DeleteAccountError, SignIn, SignInError, SignedIn, VerifiedUser,
};
use crate::{
    events::{AuthEvent, EventKind, Origin, PasswordCheck},
    password::Password,
    ports::StorageError,
    session::{Proof, Session, SignInContext},
    throttle::ThrottleKey,
};

/// A live session as its owner (or an operator) sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    /// The session's public identifier ([`crate::SessionId::public_id`]).
    pub id: String,
    /// When it began (the sign-in).
    pub created_at: OffsetDateTime,
    /// When it was last used, to within a minute.
    pub last_seen_at: OffsetDateTime,
    /// When it ends at the latest.
    pub expires_at: OffsetDateTime,
    /// Whether its owner asked to be remembered.
    pub remember: bool,
    /// The browser's user agent at sign-in, shortened.
    pub user_agent: Option<String>,
    /// The client's IP address at sign-in.
    pub client_ip: Option<String>,
    /// How its owner proved who they are at sign-in.
    pub proof: Proof,
    /// Whether this is the session asking.
    pub current: bool,
}

impl SessionInfo {
    pub(super) fn of(session: Session, current: bool) -> Self {
        Self {
            id: session.id.public_id(),
            created_at: session.created_at,
            last_seen_at: session.last_seen_at,
            expires_at: session.expires_at,
            remember: session.remember,
            user_agent: session.user_agent,
            client_ip: session.client_ip,
            proof: session.proof,
            current,
        }
    }
}

/// What a signed-in person may do to their own account.
#[derive(Clone)]
pub struct AccountOwners {
    core: Arc<Core>,
}

impl AccountOwners {
    pub(super) fn new(core: Arc<Core>) -> Self {
        Self { core }
    }

    /// The configured rules (forms show the password's minimum length).
    pub fn policies(&self) -> &super::Policies {
        &self.core.policies
    }

    /// Every live session of the signed-in account, oldest first, the
    /// current one marked.
    pub async fn sessions(&self, signed_in: &SignedIn) -> Result<Vec<SessionInfo>, StorageError> {
        let current = signed_in.session.id;
        let sessions = self.core.live_sessions(&signed_in.user).await?;
        Ok(sessions
            .into_iter()
            .map(|session| {
                let is_current = session.id == current;
                SessionInfo::of(session, is_current)
            })
            .collect())
    }

    /// Ends one session of the signed-in account, named by its public id;
    /// `false` when the account has no such session (another account's
    /// sessions are never found).
    pub async fn end_session(
        &self,
        signed_in: &SignedIn,
        public_id: &str,
        origin: &Origin,
    ) -> Result<bool, StorageError> {
        let core = &self.core;
        let user = &signed_in.user;
        let sessions = core.ports.sessions.user_sessions(user.id).await?;
        let Some(session) = sessions
            .into_iter()
            .find(|session| session.user_id == user.id && session.id.public_id() == public_id)
        else {
            return Ok(false);
        };
        if !core.ports.sessions.delete_session(&session.id).await? {
            return Ok(false);
        }
        core.emit(
            AuthEvent::new(EventKind::SessionEnded, origin)
                .user(user.username.key())
                .session(&session.id),
        );
        Ok(true)
    }

    /// Ends every session of the signed-in account but the current one;
    /// returns how many.
    pub async fn end_other_sessions(
        &self,
        signed_in: &SignedIn,
        origin: &Origin,
    ) -> Result<u64, StorageError> {
        let core = &self.core;
        let ended = core
            .ports
            .sessions
            .delete_other_sessions(signed_in.user.id, &signed_in.session.id)
            .await?;
        core.emit(
            AuthEvent::new(EventKind::OtherSessionsEnded { ended }, origin)
                .user(signed_in.user.username.key())
                .session(&signed_in.session.id),
        );
        Ok(ended)
    }

    /// Changes a signed-in account's password: the current one must be
    /// given, the new one must meet the policy. Every session of the account
    /// ends (its credential version moves on) and the caller gets a new one.
    pub async fn change_password(
        &self,
        signed_in: &SignedIn,
        current: &Password,
        new: &Password,
        origin: &Origin,
    ) -> Result<SignIn, ChangePasswordError> {
        let core = &self.core;
        let user = &signed_in.user;
        core.recheck_password(signed_in, current, PasswordCheck::ChangePassword, origin)
            .await
            .map_err(|error| match error {
                SignInError::InvalidCredentials => ChangePasswordError::WrongPassword,
                SignInError::Throttled { retry_after } => {
                    ChangePasswordError::Throttled { retry_after }
                }
                SignInError::Locked => ChangePasswordError::Locked,
                SignInError::Storage(error) => ChangePasswordError::Storage(error),
                SignInError::Hasher(error) => ChangePasswordError::Hasher(error),
            })?;
        let new = &new.normalized();
        core.policies
            .password
            .check(new, Some(&user.username))
            .map_err(ChangePasswordError::InvalidPassword)?;
        let hash = core.ports.hasher.hash(new).await?;
        let Some(version) = core.ports.users.replace_password(user.id, &hash).await? else {
            return Err(ChangePasswordError::AccountGone);
        };
        core.ports.sessions.delete_user_sessions(user.id).await?;
        // A new password reopens the username to untrusted clients.
        core.ports
            .attempts
            .clear_failed_attempts(&ThrottleKey::username(user.username.key()))
            .await?;
        let mut user = user.clone();
        user.password_hash = hash;
        user.credential_version = version;
        // The new session is the old one's successor: same client, same
        // lifetime choice.
        let session = &signed_in.session;
        let client = SignInContext {
            user_agent: session.user_agent.clone(),
            client_ip: session.client_ip.clone(),
        };
        let sign_in = core
            .issue_session(VerifiedUser(user), session.remember, &client, session.proof)
            .await?;
        core.emit(
            AuthEvent::new(EventKind::PasswordChanged, origin)
                .user(sign_in.user.username.key())
                .session(&sign_in.session.id),
        );
        Ok(sign_in)
    }

    /// Deletes the signed-in account and all its sessions; its password
    /// must be given.
    pub async fn delete_account(
        &self,
        signed_in: &SignedIn,
        password: &Password,
        origin: &Origin,
    ) -> Result<(), DeleteAccountError> {
        let core = &self.core;
        core.recheck_password(signed_in, password, PasswordCheck::DeleteAccount, origin)
            .await
            .map_err(|error| match error {
                SignInError::InvalidCredentials => DeleteAccountError::WrongPassword,
                SignInError::Throttled { retry_after } => {
                    DeleteAccountError::Throttled { retry_after }
                }
                SignInError::Locked => DeleteAccountError::Locked,
                SignInError::Storage(error) => DeleteAccountError::Storage(error),
                SignInError::Hasher(error) => DeleteAccountError::Hasher(error),
            })?;
        let user = &signed_in.user;
        if !core.ports.users.delete_user(user.id).await? {
            return Err(DeleteAccountError::AccountGone);
        }
        core.emit(
            AuthEvent::new(EventKind::AccountDeleted, origin)
                .user(user.username.key())
                .session(&signed_in.session.id),
        );
        Ok(())
    }
}
