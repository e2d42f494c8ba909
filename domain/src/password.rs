//! Passwords as people type them, the policy new ones must meet, and the
//! opaque hashes stores keep.

mod guessable;

use std::fmt;

use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

use crate::username::Username;

/// The lowest minimum length any configuration may set (NIST SP 800-63B-4).
pub const MIN_LENGTH_FLOOR: usize = 8;
/// The highest minimum length a configuration may set, so that a 64-character
/// passphrase is always accepted.
pub const MIN_LENGTH_CEILING: usize = 64;
/// The default minimum length.
pub const DEFAULT_MIN_LENGTH: usize = 15;
/// The longest password accepted, in characters. Longer ones are refused,
/// never truncated.
pub const MAX_LENGTH: usize = 1024;

/// A password as typed. Its text is wiped from memory when dropped and never
/// appears in `Debug` output.
#[derive(Clone)]
pub struct Password(Zeroizing<String>);

impl Password {
    /// Wraps what a person typed, unchanged: no trimming, no normalisation,
    /// no truncation.
    pub fn new(raw: impl Into<String>) -> Self {
        Self(Zeroizing::new(raw.into()))
    }

    /// The password's text, for a hasher.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Its length in Unicode code points.
    pub fn char_count(&self) -> usize {
        self.0.chars().count()
    }

    /// The form that is checked, hashed and verified: Unicode NFKC, as NIST
    /// SP 800-63B-4 asks of verifiers, so one password typed in composed
    /// or decomposed form, or with compatibility characters, is one
    /// password.
    pub fn normalized(&self) -> Password {
        Self(Zeroizing::new(self.0.nfkc().collect()))
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password([redacted])")
    }
}

/// Why a new password is refused. The messages are shown to people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Shorter than the configured minimum.
    #[error(
        "Use at least {min} characters. A passphrase of a few unrelated words is long and easy to remember."
    )]
    TooShort {
        /// The configured minimum.
        min: usize,
    },
    /// Longer than [`MAX_LENGTH`].
    #[error("Use at most {MAX_LENGTH} characters.")]
    TooLong,
    /// Contains the username, or the name of this service.
    #[error("Don't use your username or the word \"latch\" in your password.")]
    ContainsContext,
    /// On the blocklist of common passwords.
    #[error(
        "This password is on lists of common passwords that attackers try first. Choose a passphrase of a few unrelated words."
    )]
    Common,
    /// Few guesses would find it: a word with small changes, a keyboard
    /// pattern, a repeat.
    #[error(
        "This password is too easy to guess: it is close to a common word, name or keyboard pattern. Add a few unrelated words."
    )]
    Guessable,
}

/// A configured minimum length outside what the policy allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("password.min_length must be between {MIN_LENGTH_FLOOR} and {MIN_LENGTH_CEILING}, not {0}")]
pub struct PolicyError(pub usize);

/// What a new password must be: long enough, not too long, not naming its
/// context, not common or easily guessed; nothing more (no composition
/// rules, as NIST SP 800-63B-4 advises).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordPolicy {
    min_length: usize,
}

impl PasswordPolicy {
    /// A policy with the given minimum length, refused below
    /// [`MIN_LENGTH_FLOOR`] or above [`MIN_LENGTH_CEILING`].
    pub fn new(min_length: usize) -> Result<Self, PolicyError> {
        if (MIN_LENGTH_FLOOR..=MIN_LENGTH_CEILING).contains(&min_length) {
            Ok(Self { min_length })
        } else {
            Err(PolicyError(min_length))
        }
    }

    /// The configured minimum length.
    pub fn min_length(&self) -> usize {
        self.min_length
    }

    /// Checks a password chosen by the owner of `username`.
    pub fn check(
        &self,
        password: &Password,
        username: Option<&Username>,
    ) -> Result<(), PasswordError> {
        let chars = password.char_count();
        if chars < self.min_length {
            return Err(PasswordError::TooShort {
                min: self.min_length,
            });
        }
        if chars > MAX_LENGTH {
            return Err(PasswordError::TooLong);
        }
        let folded = caseless::default_case_fold_str(password.expose());
        let names_context = folded.contains("latch")
            || username.is_some_and(|name| folded.contains(name.key().as_str()));
        if names_context {
            return Err(PasswordError::ContainsContext);
        }
        let password = password.expose();
        if guessable::is_common(password) {
            return Err(PasswordError::Common);
        }
        let mut context = vec!["latch"];
        context.extend(username.map(|name| name.key().as_str()));
        if guessable::is_guessable(password, &context) {
            return Err(PasswordError::Guessable);
        }
        Ok(())
    }
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_length: DEFAULT_MIN_LENGTH,
        }
    }
}

/// A password hash in PHC string format (`$argon2id$v=19$...`), opaque to
/// everything but the hasher.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Wraps a PHC string produced by a hasher or read from a store.
    pub fn new(phc: impl Into<String>) -> Self {
        Self(phc.into())
    }

    /// The PHC string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let algorithm = self.0.split('$').nth(1).unwrap_or("unknown");
        write!(f, "PasswordHash(${algorithm}$...)")
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn policy() -> PasswordPolicy {
        PasswordPolicy::default()
    }

    /// A hard-to-guess passphrase of exactly `chars` characters.
    fn passphrase(chars: usize) -> Password {
        let words = "tangerine voyage lantern orbit quarry ";
        Password::new(words.chars().cycle().take(chars).collect::<String>())
    }

    #[test]
    fn the_minimum_is_configurable_but_never_below_eight() {
        assert_eq!(PasswordPolicy::new(7), Err(PolicyError(7)));
        assert_eq!(PasswordPolicy::new(8).unwrap().min_length(), 8);
        assert_eq!(PasswordPolicy::new(65), Err(PolicyError(65)));
        assert_eq!(PasswordPolicy::default().min_length(), 15);
    }

    #[test]
    fn length_is_counted_in_code_points() {
        // 15 code points, 30 bytes.
        let accented = Password::new("éàüöçñøåßæœîêûô");
        assert_eq!(policy().check(&accented, None), Ok(()));
        let short = Password::new("éàüöçñøåßæœîêû");
        assert_eq!(
            policy().check(&short, None),
            Err(PasswordError::TooShort { min: 15 })
        );
    }

    #[test]
    fn long_passwords_are_accepted_up_to_the_limit_and_never_truncated() {
        assert_eq!(policy().check(&passphrase(64), None), Ok(()));
        assert_eq!(policy().check(&passphrase(MAX_LENGTH), None), Ok(()));
        assert_eq!(
            policy().check(&passphrase(MAX_LENGTH + 1), None),
            Err(PasswordError::TooLong)
        );
        let raw = format!("  {}  ", "q".repeat(40));
        assert_eq!(Password::new(raw.clone()).expose(), raw);
    }

    #[test]
    fn no_composition_rules() {
        assert_eq!(
            policy().check(&Password::new("all lower case words"), None),
            Ok(())
        );
    }

    #[test]
    fn the_username_and_service_name_are_refused() {
        let alice = Username::parse("Alice").unwrap();
        let with_name = Password::new("my name is ALICE and i like tea");
        assert_eq!(
            policy().check(&with_name, Some(&alice)),
            Err(PasswordError::ContainsContext)
        );
        let with_service = Password::new("correct horse Latch staple");
        assert_eq!(
            policy().check(&with_service, None),
            Err(PasswordError::ContainsContext)
        );
    }

    #[test]
    fn common_and_easily_guessed_passwords_are_refused() {
        let common = Password::new("1qaz2wsx3edc4rfv");
        assert_eq!(policy().check(&common, None), Err(PasswordError::Common));
        for guessable in [
            "aaaaaaaaaaaaaaaaaaaa",
            "Passw0rd!Passw0rd!",
            "qwertyuiopasdfgh",
        ] {
            assert_eq!(
                policy().check(&Password::new(guessable), None),
                Err(PasswordError::Guessable),
                "{guessable}"
            );
        }
        let bob = Username::parse("bob").unwrap();
        let from_name = Password::new("b0bb0bb0bb0bb0bb0b");
        assert!(policy().check(&from_name, Some(&bob)).is_err());
    }

    #[test]
    fn debug_output_never_shows_secrets() {
        let password = Password::new("hunter2 hunter2 hunter2");
        assert!(!format!("{password:?}").contains("hunter2"));
        let hash = PasswordHash::new("$argon2id$v=19$m=47104,t=1,p=1$c2FsdA$aGFzaA");
        let shown = format!("{hash:?}");
        assert!(
            shown.contains("argon2id") && !shown.contains("aGFzaA"),
            "{shown}"
        );
    }

    proptest! {
        // Each case runs the guessability estimate: fewer cases, same reach.
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn checking_never_panics_and_accepts_only_allowed_lengths(raw in "\\PC{0,80}") {
            let password = Password::new(raw.clone());
            if policy().check(&password, None).is_ok() {
                let chars = raw.chars().count();
                prop_assert!((15..=MAX_LENGTH).contains(&chars));
            }
        }
    }
}
