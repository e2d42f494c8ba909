//! What the store holds, and the rules for changing it, without any locking.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use latch_domain::{
    CreateGroupError, FailedAttempts, GroupName, GroupSummary, InsertUserError, MembershipError,
    PendingId, PendingSignIn, RecoveryCodeDigest, SealedSecret, Session, SessionId, StorageError,
    StoredTotp, ThrottleKey, TimeStep, User, UserId, Username, UsernameKey, UsernameSkeleton,
};
use time::OffsetDateTime;

/// Accounts, the indexes that keep their username keys and skeletons
/// unique, sessions, and groups with their members.
#[derive(Debug, Default)]
pub(crate) struct State {
    users: HashMap<UserId, User>,
    ids_by_key: HashMap<UsernameKey, UserId>,
    /// Every account's skeleton but those made to look stored before
    /// skeletons were kept.
    ids_by_skeleton: HashMap<UsernameSkeleton, UserId>,
    sessions: HashMap<SessionId, Session>,
    failures: HashMap<ThrottleKey, FailedAttempts>,
    /// Each group's members. Accounts are kept without their groups, which
    /// every read fills in from here.
    groups: BTreeMap<GroupName, BTreeSet<UserId>>,
    /// Each account's authenticator app, confirmed or not.
    totps: HashMap<UserId, StoredTotp>,
    /// Each account's unspent recovery codes.
    recovery_codes: HashMap<UserId, BTreeSet<RecoveryCodeDigest>>,
    /// Sign-ins halfway.
    pending: HashMap<PendingId, PendingSignIn>,
}

impl State {
    pub(crate) fn insert_user(&mut self, user: &User) -> Result<(), InsertUserError> {
        let skeleton = user.username.skeleton();
        if self.ids_by_key.contains_key(user.username.key())
            || self.ids_by_skeleton.contains_key(&skeleton)
        {
            return Err(InsertUserError::UsernameTaken);
        }
        if self.users.contains_key(&user.id) {
            return Err(StorageError::new(format!(
                "an account with id {} already exists",
                user.id
            ))
            .into());
        }
        self.ids_by_key.insert(user.username.key().clone(), user.id);
        self.ids_by_skeleton.insert(skeleton, user.id);
        self.users.insert(
            user.id,
            User {
                groups: Vec::new(),
                ..user.clone()
            },
        );
        Ok(())
    }

    pub(crate) fn skeleton_taken(&self, skeleton: &UsernameSkeleton) -> bool {
        self.ids_by_skeleton.contains_key(skeleton)
    }

    /// Drops the account's hold on its skeleton, if it has one.
    pub(crate) fn forget_skeleton(&mut self, id: UserId) {
        if let Some(user) = self.users.get(&id) {
            release_skeleton(&mut self.ids_by_skeleton, user);
        }
    }

    pub(crate) fn user_by_key(&self, key: &UsernameKey) -> Option<User> {
        self.ids_by_key.get(key).and_then(|id| self.user_by_id(*id))
    }

    pub(crate) fn user_by_id(&self, id: UserId) -> Option<User> {
        self.users.get(&id).map(|user| self.with_groups(user))
    }

    /// A copy of `user` with the groups it belongs to, in name order.
    fn with_groups(&self, user: &User) -> User {
        let groups = self
            .groups
            .iter()
            .filter(|(_, members)| members.contains(&user.id))
            .map(|(name, _)| name.clone())
            .collect();
        User {
            groups,
            ..user.clone()
        }
    }

    /// Up to `limit` accounts whose key sorts after `after`, in key order.
    pub(crate) fn users_page(&self, after: Option<&UsernameKey>, limit: u32) -> Vec<User> {
        let mut keys: Vec<&UsernameKey> = self
            .ids_by_key
            .keys()
            .filter(|key| after.is_none_or(|after| key.as_str() > after.as_str()))
            .collect();
        keys.sort_unstable_by(|a, b| a.as_str().cmp(b.as_str()));
        keys.into_iter()
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .filter_map(|key| self.user_by_key(key))
            .collect()
    }

    /// The account with this id, to change in place; `None` leaves nothing to change.
    pub(crate) fn user_mut(&mut self, id: UserId) -> Option<&mut User> {
        self.users.get_mut(&id)
    }

    /// Deletes an account and its sessions; `false` when there was none.
    pub(crate) fn delete_user(&mut self, id: UserId) -> bool {
        let Some(user) = self.users.remove(&id) else {
            return false;
        };
        self.ids_by_key.remove(user.username.key());
        release_skeleton(&mut self.ids_by_skeleton, &user);
        self.delete_sessions_where(|session| session.user_id == id);
        for members in self.groups.values_mut() {
            members.remove(&id);
        }
        self.totps.remove(&id);
        self.recovery_codes.remove(&id);
        self.pending.retain(|_, pending| pending.user_id != id);
        true
    }

    pub(crate) fn insert_pending(&mut self, pending: &PendingSignIn) {
        self.pending.insert(pending.id, pending.clone());
    }

    pub(crate) fn pending(&self, id: &PendingId) -> Option<PendingSignIn> {
        self.pending.get(id).cloned()
    }

    pub(crate) fn take_pending(&mut self, id: &PendingId) -> bool {
        self.pending.remove(id).is_some()
    }

    pub(crate) fn delete_expired_pending(&mut self, now: OffsetDateTime) -> u64 {
        let before = self.pending.len();
        self.pending.retain(|_, pending| pending.is_live_at(now));
        count(before - self.pending.len())
    }

    pub(crate) fn totp(&self, user: UserId) -> Option<StoredTotp> {
        self.totps.get(&user).cloned()
    }

    /// Stores a pending authenticator app unless a confirmed one is there.
    pub(crate) fn begin_totp(
        &mut self,
        user: UserId,
        secret: &SealedSecret,
        at: OffsetDateTime,
    ) -> bool {
        if !self.users.contains_key(&user)
            || self
                .totps
                .get(&user)
                .is_some_and(|totp| totp.confirmed_at.is_some())
        {
            return false;
        }
        self.totps.insert(
            user,
            StoredTotp {
                secret: secret.clone(),
                added_at: at,
                confirmed_at: None,
                last_accepted: None,
            },
        );
        true
    }

    /// Confirms the pending app if its key is still `secret`.
    pub(crate) fn confirm_totp(
        &mut self,
        user: UserId,
        secret: &SealedSecret,
        step: TimeStep,
        at: OffsetDateTime,
    ) -> bool {
        match self.totps.get_mut(&user) {
            Some(totp) if totp.confirmed_at.is_none() && totp.secret == *secret => {
                totp.confirmed_at = Some(at);
                totp.last_accepted = Some(step);
                true
            }
            _ => false,
        }
    }

    /// Records `step` if the app is confirmed and `step` is later than the
    /// last accepted.
    pub(crate) fn accept_totp_step(&mut self, user: UserId, step: TimeStep) -> bool {
        match self.totps.get_mut(&user) {
            Some(totp)
                if totp.confirmed_at.is_some()
                    && totp.last_accepted.is_none_or(|last| last < step) =>
            {
                totp.last_accepted = Some(step);
                true
            }
            _ => false,
        }
    }

    pub(crate) fn remove_totp(&mut self, user: UserId) -> bool {
        self.totps.remove(&user).is_some()
    }

    pub(crate) fn replace_recovery_codes(&mut self, user: UserId, codes: &[RecoveryCodeDigest]) {
        if codes.is_empty() || !self.users.contains_key(&user) {
            self.recovery_codes.remove(&user);
        } else {
            self.recovery_codes
                .insert(user, codes.iter().copied().collect());
        }
    }

    pub(crate) fn use_recovery_code(&mut self, user: UserId, code: &RecoveryCodeDigest) -> bool {
        self.recovery_codes
            .get_mut(&user)
            .is_some_and(|codes| codes.remove(code))
    }

    pub(crate) fn recovery_codes_left(&self, user: UserId) -> u32 {
        self.recovery_codes
            .get(&user)
            .map_or(0, |codes| u32::try_from(codes.len()).unwrap_or(u32::MAX))
    }

    pub(crate) fn create_group(&mut self, name: &GroupName) -> Result<(), CreateGroupError> {
        if self.groups.contains_key(name) {
            return Err(CreateGroupError::Exists);
        }
        self.groups.insert(name.clone(), BTreeSet::new());
        Ok(())
    }

    pub(crate) fn delete_group(&mut self, name: &GroupName) -> bool {
        self.groups.remove(name).is_some()
    }

    pub(crate) fn groups(&self) -> Vec<GroupSummary> {
        self.groups
            .iter()
            .map(|(name, members)| GroupSummary {
                name: name.clone(),
                members: count(members.len()),
            })
            .collect()
    }

    /// Adds (`member`) or removes an account from a group; whether that
    /// changed anything.
    pub(crate) fn set_member(
        &mut self,
        name: &GroupName,
        user: UserId,
        member: bool,
    ) -> Result<bool, MembershipError> {
        if !self.users.contains_key(&user) {
            return Err(MembershipError::NoSuchUser);
        }
        let members = self
            .groups
            .get_mut(name)
            .ok_or(MembershipError::NoSuchGroup)?;
        Ok(if member {
            members.insert(user)
        } else {
            members.remove(&user)
        })
    }

    /// The usernames of a group's members, in key order.
    pub(crate) fn members(&self, name: &GroupName) -> Option<Vec<Username>> {
        let mut names: Vec<Username> = self
            .groups
            .get(name)?
            .iter()
            .filter_map(|id| self.users.get(id))
            .map(|user| user.username.clone())
            .collect();
        names.sort_by(|a, b| a.key().as_str().cmp(b.key().as_str()));
        Some(names)
    }

    /// Every session of an account, oldest first.
    pub(crate) fn user_sessions(&self, user_id: UserId) -> Vec<Session> {
        let mut sessions: Vec<Session> = self
            .sessions
            .values()
            .filter(|session| session.user_id == user_id)
            .cloned()
            .collect();
        sessions.sort_by_key(|session| session.created_at);
        sessions
    }

    /// The session with this id, to change in place.
    pub(crate) fn session_mut(&mut self, id: &SessionId) -> Option<&mut Session> {
        self.sessions.get_mut(id)
    }

    pub(crate) fn failed_attempts(&self, key: &ThrottleKey) -> Option<FailedAttempts> {
        self.failures.get(key).copied()
    }

    /// Counts one more failure for `key` if its count is still `seen`.
    pub(crate) fn record_failed_attempt_if(
        &mut self,
        key: &ThrottleKey,
        seen: Option<FailedAttempts>,
        at: OffsetDateTime,
    ) -> bool {
        if self.failures.get(key).copied() != seen {
            return false;
        }
        let count = seen.map_or(0, |seen| seen.count).saturating_add(1);
        self.failures.insert(
            key.clone(),
            FailedAttempts {
                count,
                last_failed_at: at,
            },
        );
        true
    }

    pub(crate) fn clear_failed_attempts(&mut self, key: &ThrottleKey) {
        self.failures.remove(key);
    }

    /// Forgets the counts last changed before `before`, but those of
    /// usernames that name an account.
    pub(crate) fn delete_stale_attempts(&mut self, before: OffsetDateTime) -> u64 {
        // Keys are normalised already; normalising again only retypes them.
        let names_an_account = |key: &ThrottleKey| {
            self.ids_by_key
                .contains_key(&UsernameKey::from_input(key.as_str()))
        };
        let stale: Vec<ThrottleKey> = self
            .failures
            .iter()
            .filter(|(key, attempts)| attempts.last_failed_at < before && !names_an_account(key))
            .map(|(key, _)| key.clone())
            .collect();
        for key in &stale {
            self.failures.remove(key);
        }
        stale.len() as u64
    }

    pub(crate) fn insert_session(&mut self, session: &Session) {
        self.sessions.insert(session.id, session.clone());
    }

    pub(crate) fn session_with_user(&self, id: &SessionId) -> Option<(Session, User)> {
        let session = self.sessions.get(id)?;
        let user = self.users.get(&session.user_id)?;
        Some((session.clone(), self.with_groups(user)))
    }

    pub(crate) fn delete_session(&mut self, id: &SessionId) -> bool {
        self.sessions.remove(id).is_some()
    }

    pub(crate) fn delete_sessions_where(&mut self, doomed: impl Fn(&Session) -> bool) -> u64 {
        let before = self.sessions.len();
        self.sessions.retain(|_, session| !doomed(session));
        count(before - self.sessions.len())
    }

    /// Deletes the sessions that are no longer live at `now`.
    pub(crate) fn delete_expired_sessions(&mut self, now: OffsetDateTime) -> u64 {
        self.delete_sessions_where(|session| !session.is_live_at(now))
    }
}

/// Removes `user`'s skeleton from `ids_by_skeleton` if `user` holds it (a
/// look-alike stored before skeletons may hold it instead).
fn release_skeleton(ids_by_skeleton: &mut HashMap<UsernameSkeleton, UserId>, user: &User) {
    let skeleton = user.username.skeleton();
    if ids_by_skeleton.get(&skeleton) == Some(&user.id) {
        ids_by_skeleton.remove(&skeleton);
    }
}

fn count(removed: usize) -> u64 {
    u64::try_from(removed).unwrap_or(u64::MAX)
}
