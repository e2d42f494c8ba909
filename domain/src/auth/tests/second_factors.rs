//! Second factors as their owner manages them: an authenticator app set up,
//! confirmed and removed, and recovery codes, with a store fake and a
//! sealer stand-in.

use std::{
    collections::{BTreeSet, HashMap},
    sync::Mutex,
};

use async_trait::async_trait;
use zeroize::Zeroizing;

use super::*;
use crate::{
    auth::tests::{Fixture, NOW, STRONG, alice, origin, session_of_alice, signed_in_alice},
    ports::{PendingSignInRepository, SecondFactorRepository},
    second_factor::{
        PendingId, PendingSignIn, RecoveryCodeDigest, SealedSecret, StoredTotp, TimeStep,
        TotpSecret,
    },
};

/// The key the tests' token source hands out for every new app.
pub(super) const TOTP_KEY: [u8; 20] = *b"a key of twenty byte";
/// What the stand-in sealer puts before a secret.
const SEALED_MARK: &[u8] = b"sealed:";

/// Seals by marking: enough to tell that the core seals before storing
/// and opens what it reads, and that an unmarked secret does not open.
pub(super) struct TestSealer;

impl SecretSealer for TestSealer {
    fn seal(&self, secret: &[u8]) -> SealedSecret {
        SealedSecret::from_bytes([SEALED_MARK, secret].concat())
    }

    fn open(&self, sealed: &SealedSecret) -> Option<Zeroizing<Vec<u8>>> {
        sealed
            .as_bytes()
            .strip_prefix(SEALED_MARK)
            .map(|secret| Zeroizing::new(secret.to_vec()))
    }
}

/// Second factors in memory, with the stores' rules (see the contract).
#[derive(Default)]
pub(crate) struct FakeSecondFactors(Mutex<FactorState>);

#[derive(Default)]
struct FactorState {
    totps: HashMap<UserId, StoredTotp>,
    codes: HashMap<UserId, BTreeSet<RecoveryCodeDigest>>,
}

impl FakeSecondFactors {
    /// Gives `user` a confirmed app with `key`, as an earlier set-up would.
    pub(super) fn confirmed(&self, user: UserId, key: [u8; 20]) {
        self.0.lock().unwrap().totps.insert(
            user,
            StoredTotp {
                secret: TestSealer.seal(&key),
                added_at: NOW - Duration::days(1),
                confirmed_at: Some(NOW - Duration::days(1)),
                last_accepted: None,
            },
        );
    }

    /// What is stored of `user`'s app.
    pub(super) fn stored(&self, user: UserId) -> Option<StoredTotp> {
        self.0.lock().unwrap().totps.get(&user).cloned()
    }
}

#[async_trait]
impl SecondFactorRepository for FakeSecondFactors {
    async fn totp(&self, user: UserId) -> Result<Option<StoredTotp>, StorageError> {
        Ok(self.stored(user))
    }

    async fn begin_totp(
        &self,
        user: UserId,
        secret: &SealedSecret,
        at: OffsetDateTime,
    ) -> Result<bool, StorageError> {
        let mut state = self.0.lock().unwrap();
        if state
            .totps
            .get(&user)
            .is_some_and(|totp| totp.confirmed_at.is_some())
        {
            return Ok(false);
        }
        state.totps.insert(
            user,
            StoredTotp {
                secret: secret.clone(),
                added_at: at,
                confirmed_at: None,
                last_accepted: None,
            },
        );
        Ok(true)
    }

    async fn confirm_totp(
        &self,
        user: UserId,
        secret: &SealedSecret,
        step: TimeStep,
        at: OffsetDateTime,
    ) -> Result<bool, StorageError> {
        let mut state = self.0.lock().unwrap();
        Ok(match state.totps.get_mut(&user) {
            Some(totp) if totp.confirmed_at.is_none() && totp.secret == *secret => {
                totp.confirmed_at = Some(at);
                totp.last_accepted = Some(step);
                true
            }
            _ => false,
        })
    }

    async fn accept_totp_step(&self, user: UserId, step: TimeStep) -> Result<bool, StorageError> {
        let mut state = self.0.lock().unwrap();
        Ok(match state.totps.get_mut(&user) {
            Some(totp)
                if totp.confirmed_at.is_some()
                    && totp.last_accepted.is_none_or(|last| last < step) =>
            {
                totp.last_accepted = Some(step);
                true
            }
            _ => false,
        })
    }

    async fn remove_totp(&self, user: UserId) -> Result<bool, StorageError> {
        Ok(self.0.lock().unwrap().totps.remove(&user).is_some())
    }

    async fn replace_recovery_codes(
        &self,
        user: UserId,
        codes: &[RecoveryCodeDigest],
    ) -> Result<(), StorageError> {
        let mut state = self.0.lock().unwrap();
        state.codes.insert(user, codes.iter().copied().collect());
        Ok(())
    }

    async fn use_recovery_code(
        &self,
        user: UserId,
        code: &RecoveryCodeDigest,
    ) -> Result<bool, StorageError> {
        let mut state = self.0.lock().unwrap();
        Ok(state
            .codes
            .get_mut(&user)
            .is_some_and(|codes| codes.remove(code)))
    }

    async fn recovery_codes_left(&self, user: UserId) -> Result<u32, StorageError> {
        let state = self.0.lock().unwrap();
        Ok(state.codes.get(&user).map_or(0, |codes| codes.len() as u32))
    }
}

/// Sign-ins halfway in memory.
#[derive(Default)]
pub(crate) struct FakePending(Mutex<HashMap<PendingId, PendingSignIn>>);

#[async_trait]
impl PendingSignInRepository for FakePending {
    async fn insert_pending(&self, pending: &PendingSignIn) -> Result<(), StorageError> {
        self.0.lock().unwrap().insert(pending.id, pending.clone());
        Ok(())
    }

    async fn pending(&self, id: &PendingId) -> Result<Option<PendingSignIn>, StorageError> {
        Ok(self.0.lock().unwrap().get(id).cloned())
    }

    async fn take_pending(&self, id: &PendingId) -> Result<bool, StorageError> {
        Ok(self.0.lock().unwrap().remove(id).is_some())
    }

    async fn delete_expired_pending(&self, now: OffsetDateTime) -> Result<u64, StorageError> {
        let mut pending = self.0.lock().unwrap();
        let before = pending.len();
        pending.retain(|_, pending| pending.is_live_at(now));
        Ok((before - pending.len()) as u64)
    }
}

/// A fixture whose hasher knows Alice's password, [`STRONG`].
pub(super) fn with_password() -> Fixture {
    let mut fx = Fixture::new();
    fx.hasher.expect_verify().returning(|password, _| {
        Ok(if password.expose() == STRONG {
            Verification::Match
        } else {
            Verification::Mismatch
        })
    });
    fx
}

/// The code an app with the tests' key shows at the tests' clock.
pub(super) fn current_code() -> String {
    TotpSecret::from_bytes(TOTP_KEY)
        .code_at(TimeStep::at(NOW))
        .to_string()
}

#[tokio::test]
async fn setting_up_an_app_stores_its_key_sealed_and_pending_and_shows_it() {
    let service = Fixture::new().build().await;
    let owners = service.auth.account_owners();
    let alice = signed_in_alice();
    let enrolment = owners.begin_totp(&alice, "Latch").await.unwrap();
    assert_eq!(enrolment.secret.as_bytes(), &TOTP_KEY);
    assert!(
        enrolment
            .otpauth_uri
            .starts_with("otpauth://totp/Latch:Alice?secret="),
        "{}",
        enrolment.otpauth_uri
    );
    let stored = service.second_factors.stored(alice.user().id).unwrap();
    assert_eq!(stored.secret, TestSealer.seal(&TOTP_KEY), "sealed");
    assert_eq!(stored.confirmed_at, None);
    let factors = owners.second_factors(&alice).await.unwrap();
    assert!(!factors.any(), "a pending app is no factor");
    let shown_again = owners.pending_totp(&alice, "Latch").await.unwrap().unwrap();
    assert_eq!(shown_again.otpauth_uri, enrolment.otpauth_uri);
    assert!(
        service.event_names().is_empty(),
        "{:?}",
        service.event_names()
    );
}

#[tokio::test]
async fn a_first_code_confirms_the_app_and_hands_out_ten_recovery_codes_once() {
    let service = Fixture::new().build().await;
    let owners = service.auth.account_owners();
    let alice = signed_in_alice();
    owners.begin_totp(&alice, "Latch").await.unwrap();

    let wrong = if current_code() == "000000" {
        "111111"
    } else {
        "000000"
    };
    assert!(matches!(
        owners.confirm_totp(&alice, wrong, &origin()).await,
        Err(ConfirmTotpError::InvalidCode)
    ));
    assert!(matches!(
        owners.confirm_totp(&alice, "12345", &origin()).await,
        Err(ConfirmTotpError::InvalidCode)
    ));
    let codes = owners
        .confirm_totp(&alice, &current_code(), &origin())
        .await
        .unwrap()
        .expect("the first factor brings recovery codes");
    assert_eq!(codes.len(), 10);
    let distinct: BTreeSet<String> = codes.iter().map(RecoveryCode::display_text).collect();
    assert_eq!(distinct.len(), 10);

    let factors = owners.second_factors(&alice).await.unwrap();
    assert!(factors.any());
    assert_eq!(factors.recovery_codes_left, 10);
    assert_eq!(
        factors.totp.unwrap().confirmed_at,
        Some(NOW),
        "confirmed now"
    );
    let stored = service.second_factors.stored(alice.user().id).unwrap();
    assert_eq!(
        stored.last_accepted,
        Some(TimeStep::at(NOW)),
        "the code is spent"
    );
    assert!(matches!(
        owners
            .confirm_totp(&alice, &current_code(), &origin())
            .await,
        Err(ConfirmTotpError::NothingPending)
    ));
    assert_eq!(
        service.event_names(),
        ["second_factor_added", "recovery_codes_replaced"]
    );
    let added = &service.events()[0];
    assert_eq!(added.username_key.as_ref().unwrap().as_str(), "alice");
    assert_eq!(added.session, Some(alice.session().id.fingerprint()));
}

#[tokio::test]
async fn a_confirmed_app_is_kept_until_removed_and_removing_it_takes_the_codes() {
    let service = with_password().build().await;
    let owners = service.auth.account_owners();
    let alice = signed_in_alice();
    owners.begin_totp(&alice, "Latch").await.unwrap();
    owners
        .confirm_totp(&alice, &current_code(), &origin())
        .await
        .unwrap();
    assert!(matches!(
        owners.begin_totp(&alice, "Latch").await,
        Err(BeginTotpError::AlreadySetUp)
    ));
    assert!(
        owners
            .pending_totp(&alice, "Latch")
            .await
            .unwrap()
            .is_none()
    );

    let password = Password::new(STRONG);
    assert!(matches!(
        owners
            .remove_totp(&alice, &Password::new("not her password"), &origin())
            .await,
        Err(SecondFactorChangeError::WrongPassword)
    ));
    assert!(service.second_factors.stored(alice.user().id).is_some());
    owners
        .remove_totp(&alice, &password, &origin())
        .await
        .unwrap();
    assert!(matches!(
        owners.remove_totp(&alice, &password, &origin()).await,
        Err(SecondFactorChangeError::NoSecondFactor)
    ));
    let factors = owners.second_factors(&alice).await.unwrap();
    assert_eq!(
        factors,
        SecondFactors {
            totp: None,
            recovery_codes_left: 0
        }
    );
    assert!(matches!(
        owners
            .new_recovery_codes(&alice, &password, &origin())
            .await,
        Err(SecondFactorChangeError::NoSecondFactor)
    ));
    assert_eq!(service.event_names().last(), Some(&"second_factor_removed"));
}

#[tokio::test]
async fn new_recovery_codes_replace_the_old_set() {
    let service = with_password().build().await;
    let owners = service.auth.account_owners();
    let alice = signed_in_alice();
    service.second_factors.confirmed(alice.user().id, TOTP_KEY);
    let password = Password::new(STRONG);
    let first = owners
        .new_recovery_codes(&alice, &password, &origin())
        .await
        .unwrap();
    let second = owners
        .new_recovery_codes(&alice, &password, &origin())
        .await
        .unwrap();
    assert_eq!(second.len(), 10);
    let factors = &service.second_factors;
    let user = alice.user().id;
    assert!(
        !factors
            .use_recovery_code(user, &first[0].digest())
            .await
            .unwrap()
    );
    assert!(
        factors
            .use_recovery_code(user, &second[0].digest())
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn a_key_sealed_under_another_server_key_is_not_shown_or_confirmed() {
    let service = Fixture::new().build().await;
    let owners = service.auth.account_owners();
    let alice = signed_in_alice();
    let user = alice.user().id;
    let factors = &service.second_factors;
    let foreign = SealedSecret::from_bytes(TOTP_KEY.to_vec());
    assert!(factors.begin_totp(user, &foreign, NOW).await.unwrap());
    assert!(
        owners
            .pending_totp(&alice, "Latch")
            .await
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        owners
            .confirm_totp(&alice, &current_code(), &origin())
            .await,
        Err(ConfirmTotpError::NothingPending)
    ));
}

#[tokio::test]
async fn an_operator_sees_the_factors_and_resetting_them_ends_every_session() {
    let mut fx = with_password();
    fx.users
        .expect_user_by_key()
        .withf(|key| key.as_str() == "alice")
        .returning(|_| Ok(Some(alice())));
    fx.users.expect_user_by_key().returning(|_| Ok(None));
    fx.sessions.expect_user_sessions().returning(|_| {
        let (session, _) = session_of_alice(NOW + Duration::hours(6));
        Ok(vec![session])
    });
    fx.sessions
        .expect_delete_user_sessions()
        .with(eq(alice().id))
        .times(1)
        .returning(|_| Ok(2));
    let service = fx.build().await;
    let owners = service.auth.account_owners();
    let alice = signed_in_alice();
    owners.begin_totp(&alice, "Latch").await.unwrap();
    owners
        .confirm_totp(&alice, &current_code(), &origin())
        .await
        .unwrap();

    let operators = service.auth.operators();
    let report = operators.show("Alice").await.unwrap();
    assert_eq!(report.user.id, alice.user().id);
    assert_eq!(report.live_sessions, 1);
    assert!(report.factors.any());
    assert_eq!(report.factors.recovery_codes_left, 10);

    let reset = operators.reset_second_factors("alice").await.unwrap();
    assert_eq!(
        reset,
        FactorsReset {
            authenticator_app: true,
            recovery_codes: 10,
            sessions_ended: 2,
        }
    );
    assert!(service.second_factors.stored(alice.user().id).is_none());
    let after = owners.second_factors(&alice).await.unwrap();
    assert!(!after.any());
    assert_eq!(after.recovery_codes_left, 0);
    let event = service.events().pop().unwrap();
    assert_eq!(event.kind.name(), "second_factors_reset");
    assert_eq!(event.channel, Channel::Cli);
    assert_eq!(event.username_key.unwrap().as_str(), "alice");
    assert!(matches!(
        operators.reset_second_factors("nobody").await,
        Err(OperatorError::NoSuchAccount)
    ));
}
