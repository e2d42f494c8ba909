//! What anyone may do: register, sign in, find who a token belongs to,
//! ask whether a request forwarded by a proxy may go on, and sign out.

mod second_step;

use std::sync::Arc;

pub use self::second_step::{SecondStep, SecondStepMethod};
use super::{Admission, Core, RegisterError, SignInError, SignedIn};
use crate::{
    access::{Access, AccessRules, AccessTarget, Principal},
    device::DeviceToken,
    events::{AuthEvent, EventKind, Origin},
    password::Password,
    ports::StorageError,
    second_factor::PendingToken,
    session::{Proof, Session, SessionToken},
    user::User,
    username::Username,
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
    /// Where the sign-in comes from (the session keeps its client part;
    /// its device tokens decide whose failures count).
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

/// A finished sign-in: the new session, where to go, and the device token.
#[derive(Debug, Clone)]
pub struct SignedInFully {
    /// The new session.
    pub sign_in: SignIn,
    /// Where the person asked to go.
    pub return_to: Option<ReturnTarget>,
    /// This client's device token for the account, for it to keep: the one
    /// it presented, or a new one.
    pub device: DeviceToken,
}

/// How a sign-in with the right credentials ends: signed in, or halfway
/// when the account has a second factor.
#[derive(Debug, Clone)]
pub enum SignInOutcome {
    /// Signed in: a session was issued; go on to `return_to` if any.
    Complete(Box<SignedInFully>),
    /// The password was right, and the account has a second factor: no
    /// session yet. The client keeps `pending` for the second step
    /// ([`Visitors::complete_second_step`]), which carries the return
    /// target through.
    SecondFactorRequired {
        /// The sign-in halfway, for the client only.
        pending: PendingToken,
        /// The ways the account can make the second step.
        methods: Vec<SecondStepMethod>,
    },
}

/// What the access rules say about a request a reverse proxy asks about.
#[derive(Debug, Clone)]
pub enum Authorization {
    /// Let it through, with who is asking; `None` under a `bypass` rule,
    /// which does not look at the session at all.
    Granted(Option<SignedIn>),
    /// Nobody is signed in, and the rules need someone.
    SignInRequired,
    /// Refused, with who was refused when someone is signed in.
    Forbidden(Option<SignedIn>),
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
    /// sign-in.
    ///
    /// Something that cannot be a username is refused before any store
    /// write or hashing (it names no account). Otherwise the attempt is
    /// counted before its password is hashed, under the client's trusted
    /// device for this account or else the username; while that count
    /// says wait, or is closed, no attempt is accepted, not even a right
    /// one.
    pub async fn sign_in(
        &self,
        credentials: &Credentials,
        previous: Option<&SessionToken>,
    ) -> Result<SignInOutcome, SignInError> {
        let core = &self.core;
        let origin = &credentials.origin;
        let Ok(username) = Username::parse(&credentials.username) else {
            let mut event = AuthEvent::new(EventKind::SignInFailed, origin);
            event.username_digest = Some(core.log_digest(&credentials.username));
            core.emit(event);
            return Err(SignInError::InvalidCredentials);
        };
        let key = username.key();
        let (admitted, device) = match core.admit(key, origin, core.now()).await? {
            Admission::Counted { key, device } => (key, device),
            Admission::Throttled(retry_after) => {
                // A refused attempt costs the same hashing work as any other.
                core.verify(&credentials.password, &core.dummy_hash).await?;
                core.emit(
                    AuthEvent::new(EventKind::SignInThrottled { retry_after }, origin).user(key),
                );
                return Err(SignInError::Throttled { retry_after });
            }
            Admission::Locked => {
                core.verify(&credentials.password, &core.dummy_hash).await?;
                core.emit(AuthEvent::new(EventKind::SignInLocked, origin).user(key));
                return Err(SignInError::Locked);
            }
        };
        let Some(verified) = core.verify_credentials(key, &credentials.password).await? else {
            // Counted already, when it was admitted.
            core.emit(AuthEvent::new(EventKind::SignInFailed, origin).user(key));
            return Err(SignInError::InvalidCredentials);
        };
        let methods = core.second_step_methods(&verified.0).await?;
        if !methods.is_empty() {
            // The count stays until the second step succeeds: a right
            // password alone does not clear it.
            let pending = core
                .begin_second_step(
                    &verified.0,
                    credentials.remember,
                    credentials.return_to.as_ref(),
                    origin,
                )
                .await?;
            return Ok(SignInOutcome::SecondFactorRequired { pending, methods });
        }
        core.release(&admitted, device.is_some(), key).await?;
        if let Some(previous) = previous {
            core.ports.sessions.delete_session(&previous.id()).await?;
        }
        let sign_in = core
            .issue_session(
                verified,
                credentials.remember,
                &origin.client,
                Proof::PASSWORD,
            )
            .await?;
        core.emit(
            AuthEvent::new(EventKind::SignInSucceeded, origin)
                .user(sign_in.user.username.key())
                .session(&sign_in.session.id),
        );
        Ok(SignInOutcome::Complete(Box::new(SignedInFully {
            device: device.unwrap_or_else(|| core.issue_device(key)),
            sign_in,
            return_to: credentials.return_to.clone(),
        })))
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

    /// Whether a request for `target`, carrying `token` if any, may go on
    /// under `rules`. A `bypass` rule answers without reading the session;
    /// otherwise this is [`signed_in`](Self::signed_in)'s one read (and its
    /// occasional touch), and nothing is written.
    pub async fn authorize(
        &self,
        token: Option<&SessionToken>,
        target: &AccessTarget,
        rules: &AccessRules,
    ) -> Result<Authorization, StorageError> {
        if rules.bypasses(target) {
            return Ok(Authorization::Granted(None));
        }
        let signed_in = match token {
            Some(token) => self.signed_in(token).await?,
            None => None,
        };
        let access = {
            let principal = signed_in.as_ref().map(|signed_in| Principal {
                username: signed_in.user.username.key(),
                groups: &signed_in.user.groups,
            });
            rules.decide(target, principal.as_ref())
        };
        Ok(match access {
            Access::Granted { bypass: true } => Authorization::Granted(None),
            Access::Granted { bypass: false } => Authorization::Granted(signed_in),
            Access::SignInRequired => Authorization::SignInRequired,
            Access::Forbidden => Authorization::Forbidden(signed_in),
        })
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
