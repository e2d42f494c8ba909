//! The store itself: shared state behind one lock, and the ports over it.

use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use latch_domain::{
    CreateGroupError, FailedAttempts, GroupName, GroupRepository, GroupSummary, InsertUserError,
    MembershipError, PasswordHash, PendingId, PendingSignIn, PendingSignInRepository,
    RecoveryCodeDigest, SealedSecret, SecondFactorRepository, Session, SessionId,
    SessionRepository, SignInAttemptRepository, StorageError, StoreHealth, StoredTotp, ThrottleKey,
    TimeStep, User, UserId, UserRepository, Username, UsernameKey, UsernameSkeleton,
};
use time::OffsetDateTime;

use crate::state::State;

/// Accounts, sessions and groups in memory. Clones share one store.
///
/// One lock guards accounts and sessions together, so the username key and
/// skeleton checks and the insert that follows them cannot interleave with
/// another registration. The
/// lock is never held across an `await`.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    state: Arc<Mutex<State>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes the account `id` look as if it had been stored before stores
    /// kept username skeletons: it holds none, so it blocks no look-alike.
    /// For tests of what such accounts can still do; the persistent stores
    /// have them after an upgrade.
    pub fn forget_skeleton(&self, id: UserId) -> Result<(), StorageError> {
        self.state()?.forget_skeleton(id);
        Ok(())
    }

    fn state(&self) -> Result<MutexGuard<'_, State>, StorageError> {
        self.state
            .lock()
            .map_err(|_| StorageError::new("the in-memory store was poisoned by a panic"))
    }
}

#[async_trait]
impl UserRepository for MemoryStore {
    async fn insert_user(&self, user: &User) -> Result<(), InsertUserError> {
        self.state()?.insert_user(user)
    }

    async fn user_by_key(&self, key: &UsernameKey) -> Result<Option<User>, StorageError> {
        Ok(self.state()?.user_by_key(key))
    }

    async fn skeleton_taken(&self, skeleton: &UsernameSkeleton) -> Result<bool, StorageError> {
        Ok(self.state()?.skeleton_taken(skeleton))
    }

    async fn user_by_id(&self, id: UserId) -> Result<Option<User>, StorageError> {
        Ok(self.state()?.user_by_id(id))
    }

    async fn record_sign_in(&self, id: UserId, at: OffsetDateTime) -> Result<(), StorageError> {
        if let Some(user) = self.state()?.user_mut(id) {
            user.last_login_at = Some(at);
        }
        Ok(())
    }

    async fn set_password_hash(&self, id: UserId, hash: &PasswordHash) -> Result<(), StorageError> {
        if let Some(user) = self.state()?.user_mut(id) {
            user.password_hash = hash.clone();
        }
        Ok(())
    }

    async fn replace_password(
        &self,
        id: UserId,
        hash: &PasswordHash,
    ) -> Result<Option<u32>, StorageError> {
        let mut state = self.state()?;
        Ok(state.user_mut(id).map(|user| {
            user.password_hash = hash.clone();
            user.credential_version = user.credential_version.saturating_add(1);
            user.credential_version
        }))
    }

    async fn users_page<'a>(
        &self,
        after: Option<&'a UsernameKey>,
        limit: u32,
    ) -> Result<Vec<User>, StorageError> {
        Ok(self.state()?.users_page(after, limit))
    }

    async fn set_disabled(&self, id: UserId, disabled: bool) -> Result<bool, StorageError> {
        Ok(self
            .state()?
            .user_mut(id)
            .map(|user| user.disabled = disabled)
            .is_some())
    }

    async fn delete_user(&self, id: UserId) -> Result<bool, StorageError> {
        Ok(self.state()?.delete_user(id))
    }
}

#[async_trait]
impl SessionRepository for MemoryStore {
    async fn insert_session(&self, session: &Session) -> Result<(), StorageError> {
        self.state()?.insert_session(session);
        Ok(())
    }

    async fn session_with_user(
        &self,
        id: &SessionId,
    ) -> Result<Option<(Session, User)>, StorageError> {
        Ok(self.state()?.session_with_user(id))
    }

    async fn touch_session(&self, id: &SessionId, at: OffsetDateTime) -> Result<(), StorageError> {
        if let Some(session) = self.state()?.session_mut(id) {
            session.last_seen_at = at;
        }
        Ok(())
    }

    async fn delete_session(&self, id: &SessionId) -> Result<bool, StorageError> {
        Ok(self.state()?.delete_session(id))
    }

    async fn delete_user_sessions(&self, user_id: UserId) -> Result<u64, StorageError> {
        Ok(self
            .state()?
            .delete_sessions_where(|session| session.user_id == user_id))
    }

    async fn user_sessions(&self, user_id: UserId) -> Result<Vec<Session>, StorageError> {
        Ok(self.state()?.user_sessions(user_id))
    }

    async fn delete_other_sessions(
        &self,
        user_id: UserId,
        keep: &SessionId,
    ) -> Result<u64, StorageError> {
        Ok(self
            .state()?
            .delete_sessions_where(|session| session.user_id == user_id && session.id != *keep))
    }

    async fn delete_expired_sessions(&self, now: OffsetDateTime) -> Result<u64, StorageError> {
        Ok(self.state()?.delete_expired_sessions(now))
    }
}

#[async_trait]
impl SignInAttemptRepository for MemoryStore {
    async fn failed_attempts(
        &self,
        key: &ThrottleKey,
    ) -> Result<Option<FailedAttempts>, StorageError> {
        Ok(self.state()?.failed_attempts(key))
    }

    async fn record_failed_attempt_if(
        &self,
        key: &ThrottleKey,
        seen: Option<FailedAttempts>,
        at: OffsetDateTime,
    ) -> Result<bool, StorageError> {
        Ok(self.state()?.record_failed_attempt_if(key, seen, at))
    }

    async fn clear_failed_attempts(&self, key: &ThrottleKey) -> Result<(), StorageError> {
        self.state()?.clear_failed_attempts(key);
        Ok(())
    }

    async fn delete_stale_attempts(&self, before: OffsetDateTime) -> Result<u64, StorageError> {
        Ok(self.state()?.delete_stale_attempts(before))
    }
}

#[async_trait]
impl GroupRepository for MemoryStore {
    async fn create_group(&self, name: &GroupName) -> Result<(), CreateGroupError> {
        self.state()?.create_group(name)
    }

    async fn delete_group(&self, name: &GroupName) -> Result<bool, StorageError> {
        Ok(self.state()?.delete_group(name))
    }

    async fn groups(&self) -> Result<Vec<GroupSummary>, StorageError> {
        Ok(self.state()?.groups())
    }

    async fn add_member(&self, name: &GroupName, user: UserId) -> Result<bool, MembershipError> {
        self.state()?.set_member(name, user, true)
    }

    async fn remove_member(&self, name: &GroupName, user: UserId) -> Result<bool, MembershipError> {
        self.state()?.set_member(name, user, false)
    }

    async fn members(&self, name: &GroupName) -> Result<Option<Vec<Username>>, StorageError> {
        Ok(self.state()?.members(name))
    }
}

#[async_trait]
impl SecondFactorRepository for MemoryStore {
    async fn totp(&self, user: UserId) -> Result<Option<StoredTotp>, StorageError> {
        Ok(self.state()?.totp(user))
    }

    async fn begin_totp(
        &self,
        user: UserId,
        secret: &SealedSecret,
        at: OffsetDateTime,
    ) -> Result<bool, StorageError> {
        Ok(self.state()?.begin_totp(user, secret, at))
    }

    async fn confirm_totp(
        &self,
        user: UserId,
        secret: &SealedSecret,
        step: TimeStep,
        at: OffsetDateTime,
    ) -> Result<bool, StorageError> {
        Ok(self.state()?.confirm_totp(user, secret, step, at))
    }

    async fn accept_totp_step(&self, user: UserId, step: TimeStep) -> Result<bool, StorageError> {
        Ok(self.state()?.accept_totp_step(user, step))
    }

    async fn remove_totp(&self, user: UserId) -> Result<bool, StorageError> {
        Ok(self.state()?.remove_totp(user))
    }

    async fn replace_recovery_codes(
        &self,
        user: UserId,
        codes: &[RecoveryCodeDigest],
    ) -> Result<(), StorageError> {
        self.state()?.replace_recovery_codes(user, codes);
        Ok(())
    }

    async fn use_recovery_code(
        &self,
        user: UserId,
        code: &RecoveryCodeDigest,
    ) -> Result<bool, StorageError> {
        Ok(self.state()?.use_recovery_code(user, code))
    }

    async fn recovery_codes_left(&self, user: UserId) -> Result<u32, StorageError> {
        Ok(self.state()?.recovery_codes_left(user))
    }
}

#[async_trait]
impl PendingSignInRepository for MemoryStore {
    async fn insert_pending(&self, pending: &PendingSignIn) -> Result<(), StorageError> {
        self.state()?.insert_pending(pending);
        Ok(())
    }

    async fn pending(&self, id: &PendingId) -> Result<Option<PendingSignIn>, StorageError> {
        Ok(self.state()?.pending(id))
    }

    async fn take_pending(&self, id: &PendingId) -> Result<bool, StorageError> {
        Ok(self.state()?.take_pending(id))
    }

    async fn delete_expired_pending(&self, now: OffsetDateTime) -> Result<u64, StorageError> {
        Ok(self.state()?.delete_expired_pending(now))
    }
}

#[async_trait]
impl StoreHealth for MemoryStore {
    async fn ping(&self) -> Result<(), StorageError> {
        self.state().map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use latch_domain::Username;

    use super::*;

    #[tokio::test]
    async fn clones_share_one_store() {
        let store = MemoryStore::new();
        let user = User {
            id: UserId::from_random_bytes([1; 16]),
            username: Username::parse("alice").unwrap(),
            password_hash: PasswordHash::new("$argon2id$v=19$m=47104,t=1,p=1$c2FsdA$aGFzaA"),
            created_at: OffsetDateTime::UNIX_EPOCH,
            last_login_at: None,
            credential_version: 0,
            disabled: false,
            groups: Vec::new(),
        };
        store.clone().insert_user(&user).await.unwrap();
        assert_eq!(store.user_by_id(user.id).await.unwrap(), Some(user));
    }
}
