//! Throttling and lockout: attempts are counted before they are hashed,
//! untrusted clients are locked out after 100 failures while trusted
//! devices get in, and every password check goes through the same counts.

use time::Duration;

use super::*;
use crate::{
    auth::{
        ChangePasswordError, DeleteAccountError,
        tests::{Fixture, NOW, STRONG, TestKey, alice, credentials, origin, signed_in_alice},
    },
    device::DeviceToken,
};

/// A fixture whose Alice exists, whose every password is wrong but
/// `STRONG`, and that lets sessions be issued.
fn alice_exists() -> Fixture {
    let mut fx = Fixture::new();
    fx.users
        .expect_user_by_key()
        .returning(|key| Ok((key.as_str() == "alice").then(alice)));
    fx.hasher.expect_verify().returning(|password, _| {
        Ok(if password.expose() == STRONG {
            Verification::Match
        } else {
            Verification::Mismatch
        })
    });
    fx.sessions.expect_insert_session().returning(|_| Ok(()));
    fx.users.expect_record_sign_in().returning(|_, _| Ok(()));
    fx
}

/// Alice's credentials from a client holding `devices`.
fn from_device(password: &str, devices: Vec<DeviceToken>) -> Credentials {
    Credentials {
        origin: origin().with_devices(devices),
        ..credentials("alice", password)
    }
}

fn alices_device(nonce: u8) -> DeviceToken {
    DeviceToken::issue(&UsernameKey::from_input("alice"), [nonce; 16], &TestKey)
}

#[tokio::test]
async fn what_cannot_be_a_username_is_refused_before_any_store_write_or_hashing() {
    // No expectations: a store or hasher call fails the test.
    let auth = Fixture::new().build().await;
    let long = "x".repeat(16 * 1024);
    for typed in [
        long.as_str(),
        "correct horse battery staple",
        "a",
        "bad/name",
    ] {
        let error = auth
            .sign_in(&credentials(typed, STRONG), None)
            .await
            .unwrap_err();
        assert!(
            matches!(error, SignInError::InvalidCredentials),
            "{error:?}"
        );
    }
    let events = auth.events();
    assert_eq!(events.len(), 4);
    for event in &events {
        assert_eq!(event.kind, EventKind::SignInFailed);
        assert_eq!(event.username_key, None, "never the typed text");
        let digest = event.username_digest.as_deref().unwrap();
        assert_eq!(digest.len(), 16);
    }
    assert_ne!(events[0].username_digest, events[1].username_digest);
    assert!(auth.attempts.get(&ThrottleKey::from_stored(long)).is_none());
}

#[tokio::test]
async fn thirty_simultaneous_wrong_passwords_are_evaluated_at_most_six_times() {
    let auth = alice_exists().build().await;
    let wrong = credentials("alice", "a wrong password, tried thirty times");
    let attempts = (0..30).map(|_| auth.sign_in(&wrong, None));
    let outcomes = futures_join_all(attempts).await;
    let evaluated = outcomes
        .iter()
        .filter(|outcome| matches!(outcome, Err(SignInError::InvalidCredentials)))
        .count();
    let throttled = outcomes
        .iter()
        .filter(|outcome| matches!(outcome, Err(SignInError::Throttled { .. })))
        .count();
    // Five free failures, and the sixth, whose failure starts the delay.
    assert!(evaluated <= 6, "{evaluated} evaluated");
    assert_eq!(evaluated + throttled, 30);
    assert_eq!(
        auth.attempts.of("alice").unwrap().count as usize,
        evaluated,
        "every evaluated attempt is counted, and no other"
    );
}

/// Runs the futures at once on this task, as concurrent requests would.
async fn futures_join_all<F: Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut set = Vec::new();
    for future in futures {
        set.push(Box::pin(future));
    }
    let mut outputs: Vec<Option<F::Output>> = set.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in set.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(value) => *output = Some(value),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

#[tokio::test]
async fn after_a_hundred_untrusted_failures_even_the_right_password_is_refused_without_a_wait() {
    let fx = alice_exists();
    fx.attempts.set_for("alice", 100, NOW - Duration::days(30));
    let auth = fx.build().await;
    let error = auth
        .sign_in(&credentials("alice", STRONG), None)
        .await
        .unwrap_err();
    assert!(matches!(error, SignInError::Locked), "{error:?}");
    assert_eq!(auth.event_names(), ["sign_in_locked"]);
    assert_eq!(auth.attempts.of("alice").unwrap().count, 100);
}

#[tokio::test]
async fn a_trusted_device_signs_in_through_the_lockout_and_reopens_the_username() {
    let fx = alice_exists();
    fx.attempts.set_for("alice", 100, NOW);
    let auth = fx.build().await;
    let device = alices_device(1);
    let outcome = auth
        .sign_in_outcome(&from_device(STRONG, vec![device.clone()]), None)
        .await
        .unwrap();
    let SignInOutcome::Complete(done) = outcome else {
        panic!("a second step was asked for");
    };
    let SignedInFully {
        device: kept,
        sign_in,
        ..
    } = *done;
    assert_eq!(kept, device, "the device keeps its token");
    assert_eq!(sign_in.user.username.as_str(), "Alice");
    assert_eq!(
        auth.attempts.of("alice"),
        None,
        "untrusted clients may try again"
    );
    assert_eq!(auth.attempts.get(&device.throttle_key()), None);
}

#[tokio::test]
async fn a_device_token_of_another_account_or_key_is_not_trusted() {
    let fx = alice_exists();
    fx.attempts.set_for("alice", 100, NOW);
    let auth = fx.build().await;
    let bobs = DeviceToken::issue(&UsernameKey::from_input("bob"), [2; 16], &TestKey);
    let error = auth
        .sign_in(&from_device(STRONG, vec![bobs]), None)
        .await
        .unwrap_err();
    assert!(matches!(error, SignInError::Locked), "{error:?}");
}

#[tokio::test]
async fn a_trusted_devices_failures_are_its_own_and_after_ten_it_is_trusted_no_more() {
    let fx = alice_exists();
    let device = alices_device(3);
    let auth = fx.build().await;
    let wrong = from_device("not her password at all", vec![device.clone()]);
    auth.sign_in(&wrong, None).await.unwrap_err();
    assert_eq!(auth.attempts.get(&device.throttle_key()).unwrap().count, 1);
    assert_eq!(auth.attempts.of("alice"), None, "not the username's");

    // Ten failures spend the device's allowance: it counts as untrusted.
    auth.attempts
        .set(device.throttle_key(), 10, NOW - Duration::days(1));
    auth.attempts.set_for("alice", 100, NOW);
    let error = auth
        .sign_in(&from_device(STRONG, vec![device]), None)
        .await
        .unwrap_err();
    assert!(matches!(error, SignInError::Locked), "{error:?}");
}

#[tokio::test]
async fn a_sign_in_without_a_device_token_is_given_one_for_this_account() {
    let auth = alice_exists().build().await;
    let outcome = auth
        .sign_in_outcome(&credentials("alice", STRONG), None)
        .await
        .unwrap();
    let SignInOutcome::Complete(done) = outcome else {
        panic!("a second step was asked for");
    };
    let device = done.device;
    assert!(device.is_for(&UsernameKey::from_input("alice"), &TestKey));
    assert!(!device.is_for(&UsernameKey::from_input("bob"), &TestKey));
}

#[tokio::test]
async fn re_entering_the_password_is_throttled_and_counted_like_a_sign_in() {
    let fx = alice_exists();
    let auth = fx.build().await;
    let owners = auth.auth.account_owners();
    let wrong = Password::new("a guess by whoever holds the session");
    owners
        .delete_account(&signed_in_alice(), &wrong, &origin())
        .await
        .unwrap_err();
    assert_eq!(auth.attempts.of("alice").unwrap().count, 1, "counted");

    auth.attempts.set_for("alice", 7, NOW - Duration::SECOND);
    let error = owners
        .change_password(
            &signed_in_alice(),
            &Password::new(STRONG),
            &Password::new("a brand new passphrase for her"),
            &origin(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(error, ChangePasswordError::Throttled { retry_after } if retry_after == Duration::SECOND),
        "{error:?}"
    );
    auth.attempts.set_for("alice", 100, NOW);
    let error = owners
        .delete_account(&signed_in_alice(), &Password::new(STRONG), &origin())
        .await
        .unwrap_err();
    assert!(matches!(error, DeleteAccountError::Locked), "{error:?}");
}

/// "café" with a composed é, and with e and a combining accent.
const COMPOSED: &str = "a caf\u{e9} on the corner of the street";
const DECOMPOSED: &str = "a cafe\u{301} on the corner of the street";

#[tokio::test]
async fn a_password_is_hashed_and_checked_in_its_normalised_form() {
    let mut fx = Fixture::new();
    fx.users.expect_user_by_key().returning(|_| Ok(None));
    fx.hasher
        .expect_hash()
        .withf(|password| password.expose() == COMPOSED)
        .times(1)
        .returning(|_| Ok(PasswordHash::new("$argon2id$nfc")));
    fx.users.expect_insert_user().returning(|_| Ok(()));
    let auth = fx.build().await;
    auth.register("zoe", &Password::new(DECOMPOSED))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_hash_made_before_normalisation_is_matched_once_in_the_typed_form_and_renewed() {
    let mut fx = Fixture::new();
    fx.users.expect_user_by_key().returning(|_| {
        let mut user = alice();
        user.password_hash = PasswordHash::new("$argon2id$of-the-decomposed-form");
        Ok(Some(user))
    });
    fx.hasher
        .expect_verify()
        .withf(|password, _| password.expose() == COMPOSED)
        .times(1)
        .returning(|_, _| Ok(Verification::Mismatch));
    fx.hasher
        .expect_verify()
        .withf(|password, _| password.expose() == DECOMPOSED)
        .times(1)
        .returning(|_, _| Ok(Verification::Match));
    fx.hasher
        .expect_hash()
        .withf(|password| password.expose() == COMPOSED)
        .times(1)
        .returning(|_| Ok(PasswordHash::new("$argon2id$nfc")));
    fx.users
        .expect_set_password_hash()
        .withf(|_, hash| hash.as_str() == "$argon2id$nfc")
        .times(1)
        .returning(|_, _| Ok(()));
    fx.sessions.expect_insert_session().returning(|_| Ok(()));
    fx.users.expect_record_sign_in().returning(|_, _| Ok(()));
    let auth = fx.build().await;
    let sign_in = auth
        .sign_in(&credentials("alice", DECOMPOSED), None)
        .await
        .unwrap();
    assert_eq!(sign_in.user.password_hash.as_str(), "$argon2id$nfc");
}
