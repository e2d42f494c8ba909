//! The second step of a sign-in: after the right password, an account with
//! a second factor gets a pending sign-in instead of a session, and only a
//! code from its authenticator app, or one of its recovery codes, turns
//! that into a session.

use super::{ReturnTarget, SignedInFully, Visitors};
use crate::{
    auth::{Admission, Core, SecondStepError, VerifiedUser},
    events::{AuthEvent, EventKind, Origin},
    ports::StorageError,
    second_factor::{
        PENDING_SIGN_IN_LIFETIME, PendingSignIn, PendingToken, RecoveryCode, TotpCode,
    },
    session::{Proof, ProofMethod, SessionToken},
    user::User,
};

/// A way to make the second step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecondStepMethod {
    /// A code from the account's authenticator app.
    Totp,
    /// One of the account's unspent recovery codes.
    RecoveryCode,
}

impl SecondStepMethod {
    /// Its stable name, as the API lists it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Totp => "totp",
            Self::RecoveryCode => "recovery_code",
        }
    }
}

/// What a person sends for the second step.
#[derive(Debug, Clone)]
pub struct SecondStep {
    /// The token of the sign-in halfway, as the first step gave it.
    pub pending: PendingToken,
    /// A code from the authenticator app, or a recovery code, as typed.
    pub code: String,
    /// Where it comes from (its device tokens decide whose count a wrong
    /// code spends).
    pub origin: Origin,
}

impl Core {
    /// The ways `user` can make a second step; empty when the account has
    /// no second factor, and its password alone signs in.
    pub(in crate::auth) async fn second_step_methods(
        &self,
        user: &User,
    ) -> Result<Vec<SecondStepMethod>, StorageError> {
        let factors = &self.ports.second_factors;
        let confirmed = factors
            .totp(user.id)
            .await?
            .is_some_and(|totp| totp.confirmed_at.is_some());
        if !confirmed {
            return Ok(Vec::new());
        }
        let mut methods = vec![SecondStepMethod::Totp];
        if factors.recovery_codes_left(user.id).await? > 0 {
            methods.push(SecondStepMethod::RecoveryCode);
        }
        Ok(methods)
    }

    /// Records a sign-in halfway for `user`, whose password was right, and
    /// hands back its token.
    pub(in crate::auth) async fn begin_second_step(
        &self,
        user: &User,
        remember: bool,
        return_to: Option<&ReturnTarget>,
        origin: &Origin,
    ) -> Result<PendingToken, StorageError> {
        let token = self.ports.tokens.pending_token();
        let now = self.now();
        let pending = PendingSignIn {
            id: token.id(),
            user_id: user.id,
            credential_version: user.credential_version,
            remember,
            return_to: return_to.map(|target| target.as_str().to_owned()),
            created_at: now,
            expires_at: now + PENDING_SIGN_IN_LIFETIME,
        };
        self.ports.pending.insert_pending(&pending).await?;
        self.emit(
            AuthEvent::new(EventKind::SecondFactorRequired, origin).user(user.username.key()),
        );
        Ok(token)
    }

    /// Checks a second-step code for `user`: an authenticator app's code
    /// for a step later than the last one accepted (it is spent here), or
    /// an unspent recovery code (spent likewise). How it was proved, or
    /// `None`.
    async fn spend_code(
        &self,
        user: &User,
        code: &str,
    ) -> Result<Option<SecondStepMethod>, StorageError> {
        let factors = &self.ports.second_factors;
        if let Some(code) = TotpCode::parse(code) {
            let Some(totp) = factors.totp(user.id).await? else {
                return Ok(None);
            };
            let Some(secret) = totp.confirmed_at.and(self.open_totp(&totp.secret)) else {
                return Ok(None);
            };
            let Ok(step) = secret.verify(&code, self.now(), totp.last_accepted) else {
                return Ok(None);
            };
            // The store accepts each step once, so a code sent twice at
            // once is accepted once.
            let accepted = factors.accept_totp_step(user.id, step).await?;
            return Ok(accepted.then_some(SecondStepMethod::Totp));
        }
        let Some(code) = RecoveryCode::parse(code) else {
            return Ok(None);
        };
        let used = factors.use_recovery_code(user.id, &code.digest()).await?;
        Ok(used.then_some(SecondStepMethod::RecoveryCode))
    }
}

impl Visitors {
    /// Finishes a sign-in halfway with a code: a new session, as the
    /// password alone gives an account without a second factor. The
    /// previous session the client held, if any, is deleted.
    ///
    /// The sign-in must be live (at most five minutes old, not used, its
    /// account not disabled and its password unchanged since). Each code
    /// is counted like a password before it is checked, under the same
    /// count (the client's trusted device, else the username), so codes
    /// are guessed no faster than passwords; the count the password left
    /// is cleared only here, on success.
    pub async fn complete_second_step(
        &self,
        step: &SecondStep,
        previous: Option<&SessionToken>,
    ) -> Result<SignedInFully, SecondStepError> {
        let core = &self.core;
        let origin = &step.origin;
        let id = step.pending.id();
        let now = core.now();
        let Some(pending) = core.ports.pending.pending(&id).await? else {
            return Err(SecondStepError::Expired);
        };
        let user = core.ports.users.user_by_id(pending.user_id).await?;
        let Some(user) = user.filter(|user| {
            pending.is_live_at(now)
                && !user.disabled
                && user.credential_version == pending.credential_version
        }) else {
            core.ports.pending.take_pending(&id).await?;
            return Err(SecondStepError::Expired);
        };
        let key = user.username.key();
        let (admitted, device) = match core.admit(key, origin, now).await? {
            Admission::Counted { key, device } => (key, device),
            Admission::Throttled(retry_after) => {
                core.emit(
                    AuthEvent::new(EventKind::SignInThrottled { retry_after }, origin).user(key),
                );
                return Err(SecondStepError::Throttled { retry_after });
            }
            Admission::Locked => {
                core.emit(AuthEvent::new(EventKind::SignInLocked, origin).user(key));
                return Err(SecondStepError::Locked);
            }
        };
        let Some(method) = core.spend_code(&user, &step.code).await? else {
            // Counted already, when it was admitted.
            core.emit(AuthEvent::new(EventKind::SecondFactorFailed, origin).user(key));
            return Err(SecondStepError::InvalidCode);
        };
        if method == SecondStepMethod::RecoveryCode {
            core.emit(AuthEvent::new(EventKind::RecoveryCodeUsed, origin).user(key));
        }
        // Single use: of two completions at once, one takes it.
        if !core.ports.pending.take_pending(&id).await? {
            return Err(SecondStepError::Expired);
        }
        core.release(&admitted, device.is_some(), key).await?;
        if let Some(previous) = previous {
            core.ports.sessions.delete_session(&previous.id()).await?;
        }
        let proof = Proof::PASSWORD.with(ProofMethod::OneTimeCode);
        let sign_in = core
            .issue_session(VerifiedUser(user), pending.remember, &origin.client, proof)
            .await?;
        let key = sign_in.user.username.key();
        core.emit(
            AuthEvent::new(EventKind::SignInSucceeded, origin)
                .user(key)
                .session(&sign_in.session.id),
        );
        Ok(SignedInFully {
            device: device.unwrap_or_else(|| core.issue_device(key)),
            sign_in,
            return_to: pending.return_to.map(ReturnTarget::new),
        })
    }
}
