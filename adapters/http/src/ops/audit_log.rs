//! The audit log: one structured line per security-relevant action, written
//! as the domain reports it, the same for the pages, the API and the
//! command line. Lines name the username key and a short session
//! fingerprint, never a token or a password; within a request, its span
//! adds the request id and the client's address.

use latch_domain::{AuthEvent, Channel, EventKind, Events};

/// Writes each event as an `info` (or, for what an attacker's guessing
/// looks like, `warn`) line with `event`, `channel`, `username_key` and
/// `session` fields.
#[derive(Debug, Clone, Copy, Default)]
pub struct AuditLog;

impl Events for AuditLog {
    fn emit(&self, event: &AuthEvent) {
        let name = event.kind.name();
        let channel = event.channel.as_str();
        let username_key = event.username_key.as_ref().map(|key| key.as_str());
        let session = event.session.as_deref();
        let username_digest = event.username_digest.as_deref();
        let message = message(event.kind, event.channel);
        match event.kind {
            EventKind::SignInThrottled { retry_after } => tracing::warn!(
                event = name,
                channel,
                username_key,
                retry_after_seconds = retry_after.whole_seconds(),
                "{message}"
            ),
            EventKind::PasswordCheckFailed { action } => tracing::warn!(
                event = name,
                channel,
                username_key,
                session,
                action = action.as_str(),
                "{message}"
            ),
            EventKind::OtherSessionsEnded { ended }
            | EventKind::SessionsRevoked { ended }
            | EventKind::SecondFactorsReset {
                sessions_ended: ended,
            } => {
                tracing::info!(
                    event = name,
                    channel,
                    username_key,
                    session,
                    ended,
                    "{message}"
                );
            }
            EventKind::SignInLocked => {
                tracing::warn!(event = name, channel, username_key, "{message}");
            }
            EventKind::GroupCreated
            | EventKind::GroupDeleted
            | EventKind::AddedToGroup
            | EventKind::RemovedFromGroup => {
                let group = event.group.as_ref().map(|name| name.as_str());
                tracing::info!(event = name, channel, username_key, group, "{message}");
            }
            EventKind::SecondFactorAdded { factor } | EventKind::SecondFactorRemoved { factor } => {
                tracing::info!(
                    event = name,
                    channel,
                    username_key,
                    session,
                    factor = factor.as_str(),
                    "{message}"
                );
            }
            _ => tracing::info!(
                event = name,
                channel,
                username_key,
                username_digest,
                session,
                "{message}"
            ),
        }
    }
}

/// What the line says to a person reading the log.
fn message(kind: EventKind, channel: Channel) -> &'static str {
    let by_operator = channel == Channel::Cli;
    match kind {
        EventKind::Registered if by_operator => "account created by an operator",
        EventKind::Registered => "account created",
        EventKind::SignInSucceeded => "signed in",
        EventKind::SignInFailed => "invalid username or password",
        EventKind::SignInThrottled { .. } => "too many failed sign-ins",
        EventKind::SignInLocked => {
            "sign-in from an untrusted client refused: the username is locked for them"
        }
        EventKind::SignedOut => "signed out",
        EventKind::PasswordChanged => "password changed; every other session ended",
        EventKind::PasswordCheckFailed { .. } => "wrong password for a signed-in account",
        EventKind::SessionEnded => "session ended by its owner",
        EventKind::OtherSessionsEnded { .. } => "every other session ended by their owner",
        EventKind::AccountDeleted if by_operator => "account deleted by an operator",
        EventKind::AccountDeleted => "account deleted by its owner",
        EventKind::AccountDisabled => "account disabled by an operator; its sessions ended",
        EventKind::AccountEnabled => "account enabled by an operator",
        EventKind::SessionsRevoked { .. } => "every session ended by an operator",
        EventKind::SignInFailuresCleared => "failed sign-ins cleared by an operator",
        EventKind::GroupCreated => "group created by an operator",
        EventKind::GroupDeleted => "group deleted by an operator, with its memberships",
        EventKind::AddedToGroup => "account added to a group by an operator",
        EventKind::RemovedFromGroup => "account removed from a group by an operator",
        EventKind::SecondFactorAdded { .. } => "second factor added",
        EventKind::SecondFactorRemoved { .. } if by_operator => {
            "second factor removed by an operator"
        }
        EventKind::SecondFactorRemoved { .. } => "second factor removed by its owner",
        EventKind::RecoveryCodesReplaced => "recovery codes replaced; the old ones no longer work",
        EventKind::SecondFactorRequired => "right password; waiting for the second step",
        EventKind::SecondFactorFailed => "sign-in refused: wrong second-step code",
        EventKind::RecoveryCodeUsed => "recovery code spent on a sign-in",
        EventKind::SecondFactorsReset { .. } => {
            "every second factor removed by an operator; every session ended"
        }
    }
}
