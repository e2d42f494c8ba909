//! Asking whether a proxied request may go on: the session is read once (or
//! not at all under a `bypass` rule) and the access rules decide.

use super::*;
use crate::access::{AccessRule, AccessRules, AccessTarget, Allow, DefaultAccess, HostPattern};

fn rules() -> AccessRules {
    let rule = |host: &str, allow: &str| AccessRule {
        host: HostPattern::parse(host).unwrap(),
        path: None,
        allow: Allow::parse(allow).unwrap(),
    };
    AccessRules::new(
        vec![
            rule("public.example.com", "bypass"),
            rule("alice.example.com", "user:alice"),
        ],
        DefaultAccess::SignedIn,
    )
}

fn target(host: &str) -> AccessTarget {
    AccessTarget::new(host, "/")
}

#[tokio::test]
async fn a_bypass_rule_answers_without_reading_the_session() {
    // No expectation on the session store: a read would fail the test.
    let auth = Fixture::new().build().await;
    let token = SessionToken::from_random_bytes([5; 32]);
    let answer = auth
        .auth
        .visitors()
        .authorize(Some(&token), &target("public.example.com"), &rules())
        .await
        .unwrap();
    assert!(matches!(answer, Authorization::Granted(None)), "{answer:?}");
}

#[tokio::test]
async fn without_a_session_the_rules_ask_for_a_sign_in() {
    let auth = Fixture::new().build().await;
    let answer = auth
        .auth
        .visitors()
        .authorize(None, &target("app.example.com"), &rules())
        .await
        .unwrap();
    assert!(
        matches!(answer, Authorization::SignInRequired),
        "{answer:?}"
    );
}

#[tokio::test]
async fn a_live_session_is_granted_or_refused_by_the_rules_with_one_read() {
    let mut fx = Fixture::new();
    fx.sessions
        .expect_session_with_user()
        .times(2)
        .returning(|_| Ok(Some(session_of_alice(NOW + Duration::SECOND))));
    let auth = fx.build().await;
    let token = SessionToken::from_random_bytes([5; 32]);
    let visitors = auth.auth.visitors();
    let granted = visitors
        .authorize(Some(&token), &target("alice.example.com"), &rules())
        .await
        .unwrap();
    match granted {
        Authorization::Granted(Some(signed_in)) => {
            assert_eq!(signed_in.user().username.as_str(), "Alice");
        }
        other => panic!("{other:?}"),
    }
    let only_alice = AccessRules::new(
        vec![AccessRule {
            host: HostPattern::parse("alice.example.com").unwrap(),
            path: None,
            allow: Allow::parse("user:bob").unwrap(),
        }],
        DefaultAccess::SignedIn,
    );
    let refused = visitors
        .authorize(Some(&token), &target("alice.example.com"), &only_alice)
        .await
        .unwrap();
    assert!(
        matches!(refused, Authorization::Forbidden(Some(_))),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_dead_session_counts_as_none() {
    let mut fx = Fixture::new();
    fx.sessions
        .expect_session_with_user()
        .returning(|_| Ok(Some(session_of_alice(NOW))));
    fx.sessions
        .expect_delete_session()
        .times(1)
        .returning(|_| Ok(true));
    let auth = fx.build().await;
    let token = SessionToken::from_random_bytes([5; 32]);
    let answer = auth
        .auth
        .visitors()
        .authorize(Some(&token), &target("app.example.com"), &rules())
        .await
        .unwrap();
    assert!(
        matches!(answer, Authorization::SignInRequired),
        "{answer:?}"
    );
}
