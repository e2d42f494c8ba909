//! An account's second factors as its owner manages them: an authenticator
//! app set up, confirmed with a first code (which, for a first factor,
//! hands out recovery codes) and removed, and new recovery codes.

use time::OffsetDateTime;

use super::AccountOwners;
use crate::{
    auth::{BeginTotpError, ConfirmTotpError, SecondFactorChangeError, SignedIn},
    events::{AuthEvent, EventKind, FactorKind, Origin, PasswordCheck},
    password::Password,
    ports::StorageError,
    second_factor::{RecoveryCode, TotpCode, TotpSecret},
    user::User,
};

/// An authenticator app being set up: its key, to show its owner (as a QR
/// code of `otpauth_uri`, and typed out) until a first code confirms it.
#[derive(Debug, Clone)]
pub struct TotpEnrolment {
    /// The shared key.
    pub secret: TotpSecret,
    /// The `otpauth://` URI an app reads from a QR code.
    pub otpauth_uri: String,
}

impl TotpEnrolment {
    fn of(secret: TotpSecret, issuer: &str, user: &User) -> Self {
        let otpauth_uri = secret.otpauth_uri(issuer, user.username.as_str());
        Self {
            secret,
            otpauth_uri,
        }
    }
}

/// An account's authenticator app, as its owner sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TotpState {
    /// When it was set up.
    pub added_at: OffsetDateTime,
    /// When a first code confirmed it; until then it is not a factor.
    pub confirmed_at: Option<OffsetDateTime>,
}

/// What an account has of second factors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecondFactors {
    /// Its authenticator app, confirmed or not.
    pub totp: Option<TotpState>,
    /// How many unspent recovery codes it has.
    pub recovery_codes_left: u32,
}

impl SecondFactors {
    /// Whether a sign-in needs a second step: the account has a confirmed
    /// factor.
    pub fn any(&self) -> bool {
        self.totp.is_some_and(|totp| totp.confirmed_at.is_some())
    }
}

impl AccountOwners {
    /// The signed-in account's second factors.
    pub async fn second_factors(
        &self,
        signed_in: &SignedIn,
    ) -> Result<SecondFactors, StorageError> {
        self.core.second_factors(signed_in.user.id).await
    }

    /// Starts setting up an authenticator app: a new key, stored sealed and
    /// pending (replacing one that was never confirmed). `issuer` names the
    /// site in the app.
    pub async fn begin_totp(
        &self,
        signed_in: &SignedIn,
        issuer: &str,
    ) -> Result<TotpEnrolment, BeginTotpError> {
        let core = &self.core;
        let user = &signed_in.user;
        let secret = TotpSecret::from_bytes(core.ports.tokens.totp_secret());
        let sealed = core.ports.sealer.seal(secret.as_bytes());
        let factors = &core.ports.second_factors;
        if !factors.begin_totp(user.id, &sealed, core.now()).await? {
            return Err(match factors.totp(user.id).await? {
                Some(_) => BeginTotpError::AlreadySetUp,
                None => BeginTotpError::AccountGone,
            });
        }
        Ok(TotpEnrolment::of(secret, issuer, user))
    }

    /// The key of the app waiting for confirmation, to show again; `None`
    /// when none waits (or its key was sealed under another server key).
    pub async fn pending_totp(
        &self,
        signed_in: &SignedIn,
        issuer: &str,
    ) -> Result<Option<TotpEnrolment>, StorageError> {
        let core = &self.core;
        let user = &signed_in.user;
        let pending = core
            .ports
            .second_factors
            .totp(user.id)
            .await?
            .filter(|totp| totp.confirmed_at.is_none());
        Ok(pending
            .and_then(|totp| core.open_totp(&totp.secret))
            .map(|secret| TotpEnrolment::of(secret, issuer, user)))
    }

    /// Confirms the pending app with a code from it: from then on it is a
    /// second factor. When it is the account's first (it has no recovery
    /// codes), a set of recovery codes is made and returned, to be shown
    /// once.
    pub async fn confirm_totp(
        &self,
        signed_in: &SignedIn,
        code: &str,
        origin: &Origin,
    ) -> Result<Option<Vec<RecoveryCode>>, ConfirmTotpError> {
        let core = &self.core;
        let user = &signed_in.user;
        let code = TotpCode::parse(code).ok_or(ConfirmTotpError::InvalidCode)?;
        let factors = &core.ports.second_factors;
        let pending = factors
            .totp(user.id)
            .await?
            .filter(|totp| totp.confirmed_at.is_none())
            .ok_or(ConfirmTotpError::NothingPending)?;
        let secret = core
            .open_totp(&pending.secret)
            .ok_or(ConfirmTotpError::NothingPending)?;
        let now = core.now();
        let step = secret
            .verify(&code, now, None)
            .map_err(|_| ConfirmTotpError::InvalidCode)?;
        if !factors
            .confirm_totp(user.id, &pending.secret, step, now)
            .await?
        {
            return Err(ConfirmTotpError::NothingPending);
        }
        core.emit(
            AuthEvent::new(
                EventKind::SecondFactorAdded {
                    factor: FactorKind::Totp,
                },
                origin,
            )
            .user(user.username.key())
            .session(&signed_in.session.id),
        );
        if factors.recovery_codes_left(user.id).await? > 0 {
            return Ok(None);
        }
        let codes = core
            .replace_recovery_codes(user, origin, &signed_in.session.id)
            .await?;
        Ok(Some(codes))
    }

    /// Removes the account's authenticator app, confirmed or not, once
    /// `password` is checked. Without a second factor left, its recovery
    /// codes go too.
    pub async fn remove_totp(
        &self,
        signed_in: &SignedIn,
        password: &Password,
        origin: &Origin,
    ) -> Result<(), SecondFactorChangeError> {
        let core = &self.core;
        core.recheck_password(
            signed_in,
            password,
            PasswordCheck::ChangeSecondFactors,
            origin,
        )
        .await?;
        let user = &signed_in.user;
        let factors = &core.ports.second_factors;
        let was_factor = factors
            .totp(user.id)
            .await?
            .is_some_and(|totp| totp.confirmed_at.is_some());
        if !factors.remove_totp(user.id).await? {
            return Err(SecondFactorChangeError::NoSecondFactor);
        }
        factors.replace_recovery_codes(user.id, &[]).await?;
        if was_factor {
            core.emit(
                AuthEvent::new(
                    EventKind::SecondFactorRemoved {
                        factor: FactorKind::Totp,
                    },
                    origin,
                )
                .user(user.username.key())
                .session(&signed_in.session.id),
            );
        }
        Ok(())
    }

    /// Replaces the account's recovery codes with a new set, once
    /// `password` is checked, returned to be shown once; the old ones stop
    /// working.
    pub async fn new_recovery_codes(
        &self,
        signed_in: &SignedIn,
        password: &Password,
        origin: &Origin,
    ) -> Result<Vec<RecoveryCode>, SecondFactorChangeError> {
        self.core
            .recheck_password(
                signed_in,
                password,
                PasswordCheck::ChangeSecondFactors,
                origin,
            )
            .await?;
        if !self.second_factors(signed_in).await?.any() {
            return Err(SecondFactorChangeError::NoSecondFactor);
        }
        Ok(self
            .core
            .replace_recovery_codes(&signed_in.user, origin, &signed_in.session.id)
            .await?)
    }
}
