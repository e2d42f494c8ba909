//! What the operator may do to any account, from the `latch` command line:
//! create, list, show, disable, enable, delete, end its sessions, unlock
//! it, reset its second factors, and purge expired sessions; and manage
//! groups ([`groups`]). Each change is reported on the CLI channel.

mod groups;

use std::sync::Arc;

use super::{Core, OperatorError, RegisterError, SecondFactors, SessionInfo};
use crate::{
    events::{AuthEvent, EventKind, Origin},
    password::Password,
    ports::StorageError,
    throttle::ThrottleKey,
    user::User,
    username::UsernameKey,
};

/// What a purge deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Purged {
    /// Sessions past their expiry.
    pub sessions: u64,
    /// Stale failure counts.
    pub failure_counts: u64,
    /// Sign-ins left halfway past their five minutes.
    pub pending_sign_ins: u64,
}

/// An account as the operator inspects it: what it has of second factors
/// (kinds and dates, never secrets) and how many sessions are live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountReport {
    /// The account.
    pub user: User,
    /// Its second factors.
    pub factors: SecondFactors,
    /// How many of its sessions are live.
    pub live_sessions: usize,
}

/// What resetting an account's second factors took away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FactorsReset {
    /// Whether it had an authenticator app (confirmed or being set up).
    pub authenticator_app: bool,
    /// How many unspent recovery codes it had.
    pub recovery_codes: u32,
    /// How many sessions ended.
    pub sessions_ended: u64,
}

/// What the operator may do to any account.
#[derive(Clone)]
pub struct Operators {
    core: Arc<Core>,
}

impl Operators {
    pub(super) fn new(core: Arc<Core>) -> Self {
        Self { core }
    }

    /// Reports an operator's action on `user`.
    fn emit(&self, kind: EventKind, key: &UsernameKey) {
        self.core
            .emit(AuthEvent::new(kind, &Origin::cli()).user(key));
    }

    /// Creates an account, under the same rules as a visitor's registration.
    pub async fn create_account(
        &self,
        username: &str,
        password: &Password,
    ) -> Result<User, RegisterError> {
        self.core.register(username, password, &Origin::cli()).await
    }

    /// The account with this username (as typed).
    pub async fn find_user(&self, username: &str) -> Result<User, OperatorError> {
        self.core
            .ports
            .users
            .user_by_key(&UsernameKey::from_input(username))
            .await?
            .ok_or(OperatorError::NoSuchAccount)
    }

    /// The account with this username, its second factors and how many
    /// sessions it has live.
    pub async fn show(&self, username: &str) -> Result<AccountReport, OperatorError> {
        let user = self.find_user(username).await?;
        let factors = self.core.second_factors(user.id).await?;
        let live_sessions = self.core.live_sessions(&user).await?.len();
        Ok(AccountReport {
            user,
            factors,
            live_sessions,
        })
    }

    /// Takes every second factor away from an account (its authenticator
    /// app and its recovery codes) and ends all its sessions: for a person
    /// who lost their phone and their codes. They sign in again with their
    /// password alone, and may set up a new app.
    pub async fn reset_second_factors(
        &self,
        username: &str,
    ) -> Result<FactorsReset, OperatorError> {
        let user = self.find_user(username).await?;
        let before = self.core.second_factors(user.id).await?;
        let factors = &self.core.ports.second_factors;
        let authenticator_app = factors.remove_totp(user.id).await?;
        factors.replace_recovery_codes(user.id, &[]).await?;
        let sessions_ended = self
            .core
            .ports
            .sessions
            .delete_user_sessions(user.id)
            .await?;
        self.emit(
            EventKind::SecondFactorsReset { sessions_ended },
            user.username.key(),
        );
        Ok(FactorsReset {
            authenticator_app,
            recovery_codes: before.recovery_codes_left,
            sessions_ended,
        })
    }

    /// Disables an account: it cannot sign in, and all its sessions end at
    /// once.
    pub async fn disable(&self, username: &str) -> Result<User, OperatorError> {
        let user = self.set_disabled(username, true).await?;
        self.core
            .ports
            .sessions
            .delete_user_sessions(user.id)
            .await?;
        self.emit(EventKind::AccountDisabled, user.username.key());
        Ok(user)
    }

    /// Enables a disabled account again.
    pub async fn enable(&self, username: &str) -> Result<User, OperatorError> {
        let user = self.set_disabled(username, false).await?;
        self.emit(EventKind::AccountEnabled, user.username.key());
        Ok(user)
    }

    async fn set_disabled(&self, username: &str, disabled: bool) -> Result<User, OperatorError> {
        let mut user = self.find_user(username).await?;
        if !self
            .core
            .ports
            .users
            .set_disabled(user.id, disabled)
            .await?
        {
            return Err(OperatorError::NoSuchAccount);
        }
        user.disabled = disabled;
        Ok(user)
    }

    /// Deletes an account and all its sessions.
    pub async fn delete_account(&self, username: &str) -> Result<User, OperatorError> {
        let user = self.find_user(username).await?;
        if !self.core.ports.users.delete_user(user.id).await? {
            return Err(OperatorError::NoSuchAccount);
        }
        self.emit(EventKind::AccountDeleted, user.username.key());
        Ok(user)
    }

    /// Every live session of an account, oldest first.
    pub async fn sessions(&self, username: &str) -> Result<Vec<SessionInfo>, OperatorError> {
        let user = self.find_user(username).await?;
        let sessions = self.core.live_sessions(&user).await?;
        Ok(sessions
            .into_iter()
            .map(|session| SessionInfo::of(session, false))
            .collect())
    }

    /// Ends every session of an account; returns how many.
    pub async fn revoke_sessions(&self, username: &str) -> Result<u64, OperatorError> {
        let user = self.find_user(username).await?;
        let ended = self
            .core
            .ports
            .sessions
            .delete_user_sessions(user.id)
            .await?;
        self.emit(EventKind::SessionsRevoked { ended }, user.username.key());
        Ok(ended)
    }

    /// Up to `limit` accounts after the username key `after`, in key order
    /// (see [`crate::UserRepository::users_page`]).
    pub async fn users_page(
        &self,
        after: Option<&UsernameKey>,
        limit: u32,
    ) -> Result<Vec<User>, StorageError> {
        self.core.ports.users.users_page(after, limit).await
    }

    /// Forgets the failed sign-ins that untrusted clients made for a
    /// username (as typed), whether or not an account has it, so that it
    /// is neither throttled nor locked.
    pub async fn unlock(&self, username: &str) -> Result<(), StorageError> {
        let key = UsernameKey::from_input(username);
        self.core
            .ports
            .attempts
            .clear_failed_attempts(&ThrottleKey::username(&key))
            .await?;
        self.emit(EventKind::SignInFailuresCleared, &key);
        Ok(())
    }

    /// Deletes every session past its absolute expiry, and forgets the
    /// failure counts of usernames with no account (and of devices) that
    /// saw no failure for a while (`ThrottlePolicy::forget_unknown_after`).
    pub async fn purge_expired(&self) -> Result<Purged, StorageError> {
        let core = &self.core;
        let now = core.now();
        let sessions = core.ports.sessions.delete_expired_sessions(now).await?;
        let before = now - core.policies.throttle.forget_unknown_after;
        let failure_counts = core.ports.attempts.delete_stale_attempts(before).await?;
        let pending_sign_ins = core.ports.pending.delete_expired_pending(now).await?;
        Ok(Purged {
            sessions,
            failure_counts,
            pending_sign_ins,
        })
    }
}
