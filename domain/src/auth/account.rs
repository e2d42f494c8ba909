//! Managing an account after sign-in: its owner's view of their sessions,
//! ending them, deleting the account; and what an operator may do to any
//! account (disable, enable, delete, end its sessions, unlock it).

use time::OffsetDateTime;

use super::{Authenticator, SignedIn};
use crate::{
    password::Password,
    ports::{HasherError, StorageError, Verification},
    session::Session,
    user::User,
    username::UsernameKey,
};

/// Why an account operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The password given is wrong.
    #[error("the password is wrong")]
    WrongPassword,
    /// No account has that username (or it was deleted meanwhile).
    #[error("no such account")]
    NoSuchAccount,
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The hasher failed.
    #[error(transparent)]
    Hasher(#[from] HasherError),
}

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
    /// Whether this is the session asking.
    pub current: bool,
}

impl Authenticator {
    /// Every live session of the signed-in account, oldest first, the
    /// current one marked.
    pub async fn sessions(&self, signed_in: &SignedIn) -> Result<Vec<SessionInfo>, StorageError> {
        let current = signed_in.session.id;
        let sessions = self.live_sessions(&signed_in.user).await?;
        Ok(sessions
            .into_iter()
            .map(|session| {
                let is_current = session.id == current;
                info(session, is_current)
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
    ) -> Result<bool, StorageError> {
        let sessions = self.ports.sessions.user_sessions(signed_in.user.id).await?;
        let Some(session) = sessions.into_iter().find(|session| {
            session.user_id == signed_in.user.id && session.id.public_id() == public_id
        }) else {
            return Ok(false);
        };
        self.ports.sessions.delete_session(&session.id).await
    }

    /// Ends every session of the signed-in account but the current one;
    /// returns how many.
    pub async fn end_other_sessions(&self, signed_in: &SignedIn) -> Result<u64, StorageError> {
        self.ports
            .sessions
            .delete_other_sessions(signed_in.user.id, &signed_in.session.id)
            .await
    }

    /// Deletes the signed-in account and all its sessions; its password
    /// must be given.
    pub async fn delete_account(
        &self,
        signed_in: &SignedIn,
        password: &Password,
    ) -> Result<(), AccountError> {
        let user = &signed_in.user;
        let verification = self
            .ports
            .hasher
            .verify(password, &user.password_hash)
            .await?;
        if verification == Verification::Mismatch {
            return Err(AccountError::WrongPassword);
        }
        if !self.ports.users.delete_user(user.id).await? {
            return Err(AccountError::NoSuchAccount);
        }
        Ok(())
    }

    /// The account with this username (as typed), for an operator.
    pub async fn find_user(&self, username: &str) -> Result<User, AccountError> {
        self.ports
            .users
            .user_by_key(&UsernameKey::from_input(username))
            .await?
            .ok_or(AccountError::NoSuchAccount)
    }

    /// Disables an account (it cannot sign in, and all its sessions end at
    /// once) or enables it again.
    pub async fn set_disabled(&self, username: &str, disabled: bool) -> Result<User, AccountError> {
        let mut user = self.find_user(username).await?;
        if !self.ports.users.set_disabled(user.id, disabled).await? {
            return Err(AccountError::NoSuchAccount);
        }
        if disabled {
            self.ports.sessions.delete_user_sessions(user.id).await?;
        }
        user.disabled = disabled;
        Ok(user)
    }

    /// Deletes an account and all its sessions, for an operator.
    pub async fn delete_user(&self, username: &str) -> Result<User, AccountError> {
        let user = self.find_user(username).await?;
        if !self.ports.users.delete_user(user.id).await? {
            return Err(AccountError::NoSuchAccount);
        }
        Ok(user)
    }

    /// Every live session of an account, oldest first, for an operator.
    pub async fn user_sessions(&self, username: &str) -> Result<Vec<SessionInfo>, AccountError> {
        let user = self.find_user(username).await?;
        let sessions = self.live_sessions(&user).await?;
        Ok(sessions
            .into_iter()
            .map(|session| info(session, false))
            .collect())
    }

    /// Ends every session of an account, for an operator; returns how many.
    pub async fn revoke_sessions(&self, username: &str) -> Result<u64, AccountError> {
        let user = self.find_user(username).await?;
        Ok(self.ports.sessions.delete_user_sessions(user.id).await?)
    }

    /// Up to `limit` accounts after the username key `after`, in key order,
    /// for an operator's list (see [`crate::UserRepository::users_page`]).
    pub async fn users_page(
        &self,
        after: Option<&UsernameKey>,
        limit: u32,
    ) -> Result<Vec<User>, StorageError> {
        self.ports.users.users_page(after, limit).await
    }

    /// Forgets the failed sign-ins counted for a username (as typed),
    /// whether or not an account has it, so that it is no longer throttled.
    pub async fn unlock(&self, username: &str) -> Result<(), StorageError> {
        self.ports
            .attempts
            .clear_failed_attempts(&UsernameKey::from_input(username))
            .await
    }

    /// Deletes every session past its absolute expiry; returns how many.
    pub async fn purge_expired_sessions(&self) -> Result<u64, StorageError> {
        let now = self.now();
        self.ports.sessions.delete_expired_sessions(now).await
    }

    /// The sessions of an account that [`Authenticator::signed_in`] would
    /// accept (dead ones are left for the purge), oldest first.
    async fn live_sessions(&self, user: &User) -> Result<Vec<Session>, StorageError> {
        let now = self.now();
        let policy = &self.policies.session;
        let mut sessions: Vec<Session> = self
            .ports
            .sessions
            .user_sessions(user.id)
            .await?
            .into_iter()
            .filter(|session| {
                !user.disabled
                    && session.user_id == user.id
                    && policy.is_live(session, now)
                    && session.credential_version == user.credential_version
            })
            .collect();
        sessions.sort_by_key(|session| session.created_at);
        Ok(sessions)
    }
}

fn info(session: Session, current: bool) -> SessionInfo {
    SessionInfo {
        id: session.id.public_id(),
        created_at: session.created_at,
        last_seen_at: session.last_seen_at,
        expires_at: session.expires_at,
        remember: session.remember,
        user_agent: session.user_agent,
        client_ip: session.client_ip,
        current,
    }
}

#[cfg(test)]
mod tests;
