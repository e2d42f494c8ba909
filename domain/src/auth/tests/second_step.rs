//! A sign-in's second step: a right password for an account with an
//! authenticator app gives a pending sign-in, which only a fresh code or
//! an unspent recovery code turns into a session, once, within five
//! minutes, under the same throttle as passwords.

use super::*;
use crate::{
    auth::tests::{
        NOW, alice, credentials,
        second_factors::{TOTP_KEY, current_code, with_password},
        signed_in_alice,
    },
    ports::SecondFactorRepository,
    second_factor::{PendingToken, SealedSecret, TimeStep, TotpSecret},
    session::ProofMethod,
};

/// A fixture where Alice, with an authenticator app and recovery codes,
/// signs in with her password; `sessions` is how many sessions it issues.
fn fixture_for_alice(sessions: usize) -> Fixture {
    let mut fx = with_password();
    fx.users
        .expect_user_by_key()
        .withf(|key| key.as_str() == "alice")
        .returning(|_| Ok(Some(alice())));
    fx.users
        .expect_user_by_id()
        .with(eq(alice().id))
        .returning(|_| Ok(Some(alice())));
    fx.sessions
        .expect_insert_session()
        .times(sessions)
        .returning(|_| Ok(()));
    fx.users
        .expect_record_sign_in()
        .times(sessions)
        .returning(|_, _| Ok(()));
    fx.second_factors.confirmed(alice().id, TOTP_KEY);
    fx
}

/// Signs Alice in with her password: the pending token, after checking
/// that no session came of it.
async fn password_step(service: &Service) -> PendingToken {
    match service
        .sign_in_outcome(&credentials("alice", STRONG), None)
        .await
        .unwrap()
    {
        SignInOutcome::SecondFactorRequired { pending, methods } => {
            assert_eq!(methods, [SecondStepMethod::Totp]);
            pending
        }
        SignInOutcome::Complete(_) => panic!("signed in without a second step"),
    }
}

async fn second_step(
    service: &Service,
    pending: &PendingToken,
    code: &str,
) -> Result<SignedInFully, SecondStepError> {
    let step = SecondStep {
        pending: pending.clone(),
        code: code.to_owned(),
        origin: origin(),
    };
    service
        .auth
        .visitors()
        .complete_second_step(&step, None)
        .await
}

fn session_of(done: SignedInFully) -> SignIn {
    done.sign_in
}

#[tokio::test]
async fn a_right_password_asks_for_the_second_step_and_a_fresh_code_signs_in_once() {
    let service = fixture_for_alice(1).build().await;
    let pending = password_step(&service).await;
    assert_eq!(
        service.attempts.of("alice").map(|count| count.count),
        Some(1),
        "the password's count stays until the second step"
    );

    let sign_in = session_of(
        second_step(&service, &pending, &current_code())
            .await
            .unwrap(),
    );
    assert_eq!(sign_in.user.id, alice().id);
    assert!(sign_in.session.proof.contains(ProofMethod::OneTimeCode));
    assert_eq!(sign_in.session.proof.amr(), ["pwd", "otp", "mfa"]);
    assert_eq!(service.attempts.of("alice"), None, "cleared on success");
    assert_eq!(
        service.event_names(),
        ["second_factor_required", "sign_in_succeeded"]
    );

    // Single use, and the code is spent.
    assert!(matches!(
        second_step(&service, &pending, &current_code()).await,
        Err(SecondStepError::Expired)
    ));
    let again = password_step(&service).await;
    assert!(matches!(
        second_step(&service, &again, &current_code()).await,
        Err(SecondStepError::InvalidCode)
    ));
    assert_eq!(
        service.event_names().last(),
        Some(&"second_factor_failed"),
        "a replayed code is refused like a wrong one"
    );
}

#[tokio::test]
async fn a_recovery_code_replaces_the_app_once() {
    let service = fixture_for_alice(1).build().await;
    let owners = service.auth.account_owners();
    let codes = owners
        .new_recovery_codes(&signed_in_alice(), &Password::new(STRONG), &origin())
        .await
        .unwrap();
    let pending = match service
        .sign_in_outcome(&credentials("alice", STRONG), None)
        .await
        .unwrap()
    {
        SignInOutcome::SecondFactorRequired { pending, methods } => {
            assert_eq!(
                methods,
                [SecondStepMethod::Totp, SecondStepMethod::RecoveryCode]
            );
            pending
        }
        SignInOutcome::Complete(_) => panic!("signed in without a second step"),
    };
    // Typed in lower case, without its dashes.
    let typed = codes[3].display_text().replace('-', "").to_lowercase();
    session_of(second_step(&service, &pending, &typed).await.unwrap());
    assert!(service.event_names().contains(&"recovery_code_used"));
    assert_eq!(
        service
            .second_factors
            .recovery_codes_left(alice().id)
            .await
            .unwrap(),
        9
    );

    let pending = password_step_any(&service).await;
    assert!(matches!(
        second_step(&service, &pending, &codes[3].display_text()).await,
        Err(SecondStepError::InvalidCode)
    ));
}

async fn password_step_any(service: &Service) -> PendingToken {
    match service
        .sign_in_outcome(&credentials("alice", STRONG), None)
        .await
        .unwrap()
    {
        SignInOutcome::SecondFactorRequired { pending, .. } => pending,
        SignInOutcome::Complete(_) => panic!("signed in without a second step"),
    }
}

#[tokio::test]
async fn a_code_one_step_either_side_is_accepted_and_two_steps_off_is_not() {
    let secret = TotpSecret::from_bytes(TOTP_KEY);
    let step = TimeStep::at(NOW).index();
    for (offset, accepted) in [(-2i64, false), (-1, true), (1, true), (2, false)] {
        let service = fixture_for_alice(usize::from(accepted)).build().await;
        let pending = password_step(&service).await;
        let code = secret
            .code_at(TimeStep::from_index(step.wrapping_add_signed(offset)))
            .to_string();
        let outcome = second_step(&service, &pending, &code).await;
        assert_eq!(outcome.is_ok(), accepted, "step {offset:+}");
    }
}

#[tokio::test]
async fn a_pending_sign_in_ends_after_five_minutes() {
    let service = fixture_for_alice(0).build().await;
    let pending = password_step(&service).await;
    service.advance(Duration::minutes(5));
    let code = TotpSecret::from_bytes(TOTP_KEY)
        .code_at(TimeStep::at(service.now()))
        .to_string();
    assert!(matches!(
        second_step(&service, &pending, &code).await,
        Err(SecondStepError::Expired)
    ));
}

#[tokio::test]
async fn wrong_codes_spend_the_password_throttle_and_then_even_a_right_one_waits() {
    let service = fixture_for_alice(0).build().await;
    let pending = password_step(&service).await;
    let wrong = if current_code() == "000000" {
        "111111"
    } else {
        "000000"
    };
    // The password's count and four wrong codes spend the free failures.
    for _ in 0..4 {
        assert!(matches!(
            second_step(&service, &pending, wrong).await,
            Err(SecondStepError::InvalidCode)
        ));
    }
    assert!(matches!(
        second_step(&service, &pending, "not a code at all").await,
        Err(SecondStepError::InvalidCode)
    ));
    assert!(matches!(
        second_step(&service, &pending, &current_code()).await,
        Err(SecondStepError::Throttled { .. })
    ));
    assert_eq!(service.attempts.of("alice").unwrap().count, 6);
}

#[tokio::test]
async fn a_password_changed_meanwhile_voids_the_pending_sign_in() {
    let mut fx = fixture_for_alice(0);
    fx.users.checkpoint();
    fx.users
        .expect_user_by_key()
        .returning(|_| Ok(Some(alice())));
    fx.users.expect_user_by_id().returning(|_| {
        let mut moved_on = alice();
        moved_on.credential_version += 1;
        Ok(Some(moved_on))
    });
    let service = fx.build().await;
    let pending = password_step(&service).await;
    assert!(matches!(
        second_step(&service, &pending, &current_code()).await,
        Err(SecondStepError::Expired)
    ));
}

#[tokio::test]
async fn an_unknown_pending_sign_in_is_expired() {
    let service = fixture_for_alice(0).build().await;
    password_step(&service).await;
    let unknown = PendingToken::from_random_bytes([1; 32]);
    assert!(matches!(
        second_step(&service, &unknown, &current_code()).await,
        Err(SecondStepError::Expired)
    ));
}

#[tokio::test]
async fn an_account_without_a_confirmed_app_signs_in_with_its_password() {
    let mut fx = fixture_for_alice(1);
    let pending_app = SealedSecret::from_bytes(b"sealed:x".to_vec());
    let service = {
        fx.second_factors = Arc::default();
        fx.second_factors
            .begin_totp(alice().id, &pending_app, NOW)
            .await
            .unwrap();
        fx.build().await
    };
    let sign_in = service
        .sign_in(&credentials("alice", STRONG), None)
        .await
        .unwrap();
    assert_eq!(sign_in.session.proof.amr(), ["pwd"]);
}
