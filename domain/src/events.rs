//! What happened: one event for every security-relevant action, emitted by
//! the rules themselves through the [`Events`] port. Adapters subscribe to
//! write the audit log, count metrics, and (later) send notices; no handler
//! reports an action by hand.

use std::{fmt, sync::Arc};

use time::Duration;

use crate::{
    device::DeviceToken,
    group::GroupName,
    session::{SessionId, SignInContext},
    username::UsernameKey,
};

/// The door a request came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Channel {
    /// The HTML pages.
    Pages,
    /// The JSON API.
    Api,
    /// The operator's `latch` command line.
    Cli,
}

impl Channel {
    /// The channel's name in logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pages => "pages",
            Self::Api => "api",
            Self::Cli => "cli",
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a request comes from: the door it used, what it said about the
/// client (kept with a session it opens), and the device tokens it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The door.
    pub channel: Channel,
    /// The client's user agent and address, as the adapter saw them.
    pub client: SignInContext,
    /// The device tokens the client presented (a browser may hold one for
    /// each account it signed in to); checked by the core, not trusted.
    pub devices: Vec<DeviceToken>,
}

impl Origin {
    /// An origin from what a request carried (see [`SignInContext::new`]).
    pub fn new(channel: Channel, user_agent: Option<&str>, client_ip: Option<String>) -> Self {
        Self {
            channel,
            client: SignInContext::new(user_agent, client_ip),
            devices: Vec::new(),
        }
    }

    /// The same origin, holding these device tokens.
    pub fn with_devices(mut self, devices: Vec<DeviceToken>) -> Self {
        self.devices = devices;
        self
    }

    /// The operator's command line: no client to speak of.
    pub fn cli() -> Self {
        Self {
            channel: Channel::Cli,
            client: SignInContext::default(),
            devices: Vec::new(),
        }
    }
}

/// Why a signed-in person was asked for their password again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordCheck {
    /// To change it.
    ChangePassword,
    /// To delete the account.
    DeleteAccount,
    /// To remove a second factor or make new recovery codes.
    ChangeSecondFactors,
}

impl PasswordCheck {
    /// The action's name in logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ChangePassword => "change_password",
            Self::DeleteAccount => "delete_account",
            Self::ChangeSecondFactors => "change_second_factors",
        }
    }
}

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// An account was created.
    Registered,
    /// Someone signed in: a session was issued.
    SignInSucceeded,
    /// A sign-in was refused: unknown username, wrong password or disabled
    /// account (one outcome, as callers see it).
    SignInFailed,
    /// A sign-in was refused unchecked: too many failures in a row.
    SignInThrottled {
        /// How long the username must wait.
        retry_after: Duration,
    },
    /// A sign-in from an untrusted client was refused unchecked: the
    /// username's untrusted failures reached the lockout.
    SignInLocked,
    /// A session was ended by its holder.
    SignedOut,
    /// An account's password was changed; every other session ended.
    PasswordChanged,
    /// A signed-in person gave a wrong password where one was asked again.
    /// Worth watching: it is what a stolen session guessing looks like.
    PasswordCheckFailed {
        /// What it was meant to allow.
        action: PasswordCheck,
    },
    /// One session was ended by its owner from another.
    SessionEnded,
    /// Every session but the caller's was ended by their owner.
    OtherSessionsEnded {
        /// How many.
        ended: u64,
    },
    /// An account was deleted, with all its sessions.
    AccountDeleted,
    /// An operator disabled an account; its sessions ended.
    AccountDisabled,
    /// An operator enabled an account again.
    AccountEnabled,
    /// An operator ended every session of an account.
    SessionsRevoked {
        /// How many.
        ended: u64,
    },
    /// An operator cleared a username's failed sign-ins.
    SignInFailuresCleared,
    /// An operator created a group.
    GroupCreated,
    /// An operator deleted a group, and with it every membership of it.
    GroupDeleted,
    /// An operator made an account a member of a group.
    AddedToGroup,
    /// An operator ended an account's membership of a group.
    RemovedFromGroup,
    /// A second factor was added to an account.
    SecondFactorAdded {
        /// Which.
        factor: FactorKind,
    },
    /// A second factor was removed from an account.
    SecondFactorRemoved {
        /// Which.
        factor: FactorKind,
    },
    /// An account's recovery codes were replaced by a new set.
    RecoveryCodesReplaced,
    /// A right password for an account with a second factor: the sign-in
    /// waits for its second step.
    SecondFactorRequired,
    /// A sign-in's second step was refused: the code was wrong or spent.
    SecondFactorFailed,
    /// A recovery code was spent on a sign-in's second step.
    RecoveryCodeUsed,
    /// An operator took every second factor away from an account and ended
    /// its sessions.
    SecondFactorsReset {
        /// How many sessions ended.
        sessions_ended: u64,
    },
}

/// A kind of second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactorKind {
    /// An authenticator app's time-based codes.
    Totp,
}

impl FactorKind {
    /// The factor's name in logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Totp => "totp",
        }
    }
}

impl EventKind {
    /// The event's stable name in the audit log.
    pub fn name(self) -> &'static str {
        match self {
            Self::Registered => "registered",
            Self::SignInSucceeded => "sign_in_succeeded",
            Self::SignInFailed => "sign_in_failed",
            Self::SignInThrottled { .. } => "sign_in_throttled",
            Self::SignInLocked => "sign_in_locked",
            Self::SignedOut => "signed_out",
            Self::PasswordChanged => "password_changed",
            Self::PasswordCheckFailed { .. } => "password_check_failed",
            Self::SessionEnded => "session_ended",
            Self::OtherSessionsEnded { .. } => "other_sessions_ended",
            Self::AccountDeleted => "account_deleted",
            Self::AccountDisabled => "account_disabled",
            Self::AccountEnabled => "account_enabled",
            Self::SessionsRevoked { .. } => "sessions_revoked",
            Self::SignInFailuresCleared => "sign_in_failures_cleared",
            Self::GroupCreated => "group_created",
            Self::GroupDeleted => "group_deleted",
            Self::AddedToGroup => "added_to_group",
            Self::RemovedFromGroup => "removed_from_group",
            Self::SecondFactorAdded { .. } => "second_factor_added",
            Self::SecondFactorRemoved { .. } => "second_factor_removed",
            Self::RecoveryCodesReplaced => "recovery_codes_replaced",
            Self::SecondFactorRequired => "second_factor_required",
            Self::SecondFactorFailed => "second_factor_failed",
            Self::RecoveryCodeUsed => "recovery_code_used",
            Self::SecondFactorsReset { .. } => "second_factors_reset",
        }
    }
}

/// One security-relevant action: what happened, through which door, to
/// which username and session. Never a token or a password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthEvent {
    /// What happened.
    pub kind: EventKind,
    /// The door it came through.
    pub channel: Channel,
    /// The username key it concerns (for refusals, of a valid username as
    /// typed, normalised).
    pub username_key: Option<UsernameKey>,
    /// For a refusal of something that cannot be a username (a password
    /// typed into the wrong field, say): a short keyed digest of it, which
    /// tells equal inputs apart without showing them.
    pub username_digest: Option<String>,
    /// The session it concerns, by fingerprint
    /// ([`SessionId::fingerprint`]).
    pub session: Option<String>,
    /// The client's address, where one is known.
    pub client_ip: Option<String>,
    /// The group it concerns, for the group events.
    pub group: Option<GroupName>,
}

impl AuthEvent {
    /// An event of `kind` from `origin`, about nobody yet.
    pub fn new(kind: EventKind, origin: &Origin) -> Self {
        Self {
            kind,
            channel: origin.channel,
            username_key: None,
            username_digest: None,
            session: None,
            client_ip: origin.client.client_ip.clone(),
            group: None,
        }
    }

    /// The same event, about this username key.
    pub fn user(mut self, key: &UsernameKey) -> Self {
        self.username_key = Some(key.clone());
        self
    }

    /// The same event, about this group.
    pub fn group(mut self, name: &GroupName) -> Self {
        self.group = Some(name.clone());
        self
    }

    /// The same event, about this session.
    pub fn session(mut self, id: &SessionId) -> Self {
        self.session = Some(id.fingerprint());
        self
    }
}

/// Where the rules report what happened. Emitting is synchronous and cannot
/// fail: a subscriber that does I/O queues its work.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Events: Send + Sync {
    /// Hears one event.
    fn emit(&self, event: &AuthEvent);
}

/// Hands each event to every subscriber, in order.
#[derive(Clone, Default)]
pub struct Broadcast(Vec<Arc<dyn Events>>);

impl Broadcast {
    /// No subscribers yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a subscriber.
    pub fn with(mut self, subscriber: Arc<dyn Events>) -> Self {
        self.0.push(subscriber);
        self
    }
}

impl Events for Broadcast {
    fn emit(&self, event: &AuthEvent) {
        for subscriber in &self.0 {
            subscriber.emit(event);
        }
    }
}

/// Ignores every event (for tools and tests that have no use for them).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoEvents;

impl Events for NoEvents {
    fn emit(&self, _event: &AuthEvent) {}
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    #[derive(Default)]
    struct Recorder(Mutex<Vec<AuthEvent>>);

    impl Events for Recorder {
        fn emit(&self, event: &AuthEvent) {
            self.0.lock().unwrap().push(event.clone());
        }
    }

    #[test]
    fn a_broadcast_reaches_every_subscriber_once() {
        let first = Arc::new(Recorder::default());
        let second = Arc::new(Recorder::default());
        let broadcast = Broadcast::new().with(first.clone()).with(second.clone());
        let event = AuthEvent::new(EventKind::SignedOut, &Origin::cli());
        broadcast.emit(&event);
        assert_eq!(*first.0.lock().unwrap(), vec![event.clone()]);
        assert_eq!(*second.0.lock().unwrap(), vec![event]);
    }

    #[test]
    fn event_names_are_distinct() {
        let kinds = [
            EventKind::Registered,
            EventKind::SignInSucceeded,
            EventKind::SignInFailed,
            EventKind::SignInThrottled {
                retry_after: Duration::SECOND,
            },
            EventKind::SignInLocked,
            EventKind::SignedOut,
            EventKind::PasswordChanged,
            EventKind::PasswordCheckFailed {
                action: PasswordCheck::DeleteAccount,
            },
            EventKind::SessionEnded,
            EventKind::OtherSessionsEnded { ended: 1 },
            EventKind::AccountDeleted,
            EventKind::AccountDisabled,
            EventKind::AccountEnabled,
            EventKind::SessionsRevoked { ended: 1 },
            EventKind::SignInFailuresCleared,
            EventKind::GroupCreated,
            EventKind::GroupDeleted,
            EventKind::AddedToGroup,
            EventKind::RemovedFromGroup,
            EventKind::SecondFactorAdded {
                factor: FactorKind::Totp,
            },
            EventKind::SecondFactorRemoved {
                factor: FactorKind::Totp,
            },
            EventKind::RecoveryCodesReplaced,
            EventKind::SecondFactorRequired,
            EventKind::SecondFactorFailed,
            EventKind::RecoveryCodeUsed,
            EventKind::SecondFactorsReset { sessions_ended: 1 },
        ];
        let names: std::collections::BTreeSet<_> = kinds.iter().map(|kind| kind.name()).collect();
        assert_eq!(names.len(), kinds.len());
    }
}
