//! Entry points for fuzzing the request parsers of signing in and signing
//! up: the same deserialisers the handlers use (URL-encoded forms for the
//! pages, JSON for the API), then the domain's parsers, with no I/O. Used by
//! the `cargo fuzz` target in `fuzz/` and by property tests here.

use latch_domain::{Password, PasswordPolicy, Username, UsernameKey, username};
use poem_openapi::types::ParseFromJSON;

use crate::{
    api::models::{LoginRequest, RegisterRequest},
    pages::{login::LoginForm, redirect::ReturnTargets, register::RegisterForm},
};

/// Feeds `data` to every sign-in and sign-up parser, as a form body and as
/// a JSON body. Panics only if an invariant breaks.
pub fn sign_in_and_up(data: &[u8]) {
    exercise_login_form(data);
    exercise_register_form(data);
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    if let Ok(login) = LoginRequest::parse_from_json(Some(json.clone())) {
        let _ = UsernameKey::from_input(&login.username);
    }
    if let Ok(register) = RegisterRequest::parse_from_json(Some(json)) {
        let _ = Username::parse(&register.username);
    }
}

/// The one app host the fuzzed sign-ins may return to.
const APP_HOST: &str = "app.example.com";

/// What the sign-in handler does with a form body up to the domain, without
/// I/O: no input panics, and a kept `next` never leaves the site except for
/// the allowed app's host.
fn exercise_login_form(body: &[u8]) {
    let Ok(form) = serde_urlencoded::from_bytes::<LoginForm>(body) else {
        return;
    };
    let targets = ReturnTargets::new(&[APP_HOST.to_owned()], false);
    if let Some(target) = form.next.as_deref().and_then(|next| targets.vet(next)) {
        assert!(!target.contains('\\'), "{target}");
        match target.strip_prefix("https://") {
            Some(rest) => {
                let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
                let host = authority.split(':').next().unwrap_or_default();
                assert!(host.eq_ignore_ascii_case(APP_HOST), "{target}");
            }
            None => assert!(
                target.starts_with('/') && !target.starts_with("//"),
                "{target}"
            ),
        }
    }
    let key = UsernameKey::from_input(&form.username);
    assert_eq!(
        key,
        UsernameKey::from_input(key.as_str()),
        "keys are stable"
    );
    let _ = Password::new(form.password).char_count();
}

/// What the sign-up handler does with a form body up to the domain, without
/// I/O: no input panics, and an accepted username keeps its rules.
fn exercise_register_form(body: &[u8]) {
    let Ok(RegisterForm { username, password }) = serde_urlencoded::from_bytes(body) else {
        return;
    };
    let parsed = Username::parse(&username);
    if let Ok(name) = &parsed {
        let chars = name.as_str().chars().count();
        assert!(
            (username::MIN_CHARS..=username::MAX_CHARS).contains(&chars),
            "{chars} characters accepted"
        );
    }
    let _ = PasswordPolicy::default().check(&Password::new(password), parsed.as_ref().ok());
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn typical_and_hostile_bodies_pass() {
        for body in [
            &b"username=alice&password=correct+horse&csrf_token=x&next=%2Faccount"[..],
            b"username=%FF%FE&password=%%%&next=%2F%2Fevil.example",
            b"next=/%5Cevil&remember=on",
            br#"{"username": "alice", "password": "correct horse battery staple"}"#,
            br#"{"username": 5, "password": []}"#,
            b"",
            b"\0\0\0",
        ] {
            sign_in_and_up(body);
        }
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..256)) {
            sign_in_and_up(&data);
        }

        #[test]
        fn arbitrary_form_fields_never_panic(
            username in "\\PC{0,40}",
            next in "\\PC{0,40}",
        ) {
            let body = serde_urlencoded::to_string([("username", username), ("password", "pw".into()), ("next", next)])
                .unwrap_or_default();
            sign_in_and_up(body.as_bytes());
        }
    }
}
