//! Registering a name that only looks like another: the rules, tested
//! through mocks of every port.

use mockall::predicate::eq;

use super::*;
use crate::{
    auth::tests::{Fixture, STRONG},
    username::UsernameSkeleton,
};

#[tokio::test]
async fn a_refused_look_alike_of_a_taken_name_is_taken_without_hashing() {
    let mut fx = Fixture::new();
    fx.users
        .expect_skeleton_taken()
        .with(eq(UsernameSkeleton::from_input("admin")))
        .times(2)
        .returning(|_| Ok(true));
    let auth = fx.build().await;
    // A Cyrillic а among Latin letters; a zero-width space.
    for look_alike in ["\u{0430}dmin", "ad\u{200B}min"] {
        let error = auth
            .register(look_alike, &Password::new(STRONG))
            .await
            .unwrap_err();
        assert!(matches!(error, RegisterError::UsernameTaken), "{error:?}");
    }
}

#[tokio::test]
async fn a_refused_look_alike_of_no_account_says_why_it_is_refused() {
    let mut fx = Fixture::new();
    fx.users.expect_skeleton_taken().returning(|_| Ok(false));
    let auth = fx.build().await;
    for (look_alike, why) in [
        ("\u{03B1}dmin", UsernameError::MixedScripts),
        (
            "\u{3164}\u{3164}\u{3164}",
            UsernameError::InvisibleCharacter,
        ),
        ("\u{0251}dmin", UsernameError::UncommonCharacter),
    ] {
        let error = auth
            .register(look_alike, &Password::new(STRONG))
            .await
            .unwrap_err();
        let RegisterError::InvalidInput(errors) = error else {
            panic!("expected invalid input for {look_alike:?}, got {error:?}");
        };
        assert_eq!(errors.username, Some(why), "{look_alike:?}");
        assert_eq!(errors.password, None);
    }
}

#[tokio::test]
async fn other_refusals_do_not_look_for_a_skeleton() {
    // No expectation on `skeleton_taken`: a call would fail the test.
    let auth = Fixture::new().build().await;
    for (raw, password) in [("al!ce", STRONG), ("ab", STRONG), ("\u{0430}dmin", "short")] {
        let error = auth
            .register(raw, &Password::new(password))
            .await
            .unwrap_err();
        assert!(matches!(error, RegisterError::InvalidInput(_)), "{error:?}");
    }
}
