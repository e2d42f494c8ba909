//! Usernames: what people type, normalised, and the key that makes them unique.

use std::fmt;

use unicode_normalization::UnicodeNormalization;

/// The fewest characters a username may have, after trimming and NFKC.
pub const MIN_CHARS: usize = 3;
/// The most characters a username may have, after trimming and NFKC.
pub const MAX_CHARS: usize = 32;

/// Why a string is not a valid username. The messages are shown to people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UsernameError {
    /// Fewer than [`MIN_CHARS`] characters.
    #[error("Choose a username of at least {MIN_CHARS} characters.")]
    TooShort,
    /// More than [`MAX_CHARS`] characters.
    #[error("Choose a username of at most {MAX_CHARS} characters.")]
    TooLong,
    /// A character other than a letter, a digit, `.`, `_` or `-`.
    #[error("Use only letters, digits, '.', '_' and '-' in a username.")]
    InvalidCharacter,
}

/// A valid username as its owner chose to write it (trimmed, NFKC).
///
/// Two usernames that differ only by case or compatibility form share one
/// [`UsernameKey`], and so cannot both exist.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username {
    display: String,
    key: UsernameKey,
}

impl Username {
    /// Checks and normalises a username typed by a person.
    pub fn parse(raw: &str) -> Result<Self, UsernameError> {
        let display = normalize(raw);
        let chars = display.chars().count();
        if chars < MIN_CHARS {
            return Err(UsernameError::TooShort);
        }
        if chars > MAX_CHARS {
            return Err(UsernameError::TooLong);
        }
        if !display.chars().all(is_allowed) {
            return Err(UsernameError::InvalidCharacter);
        }
        let key = UsernameKey::of_normalized(&display);
        Ok(Self { display, key })
    }

    /// Rebuilds a username a store kept. It was valid when it was stored, so
    /// it is not checked again: a later, stricter rule must not lock people out.
    pub fn from_stored(display: String) -> Self {
        let key = UsernameKey::of_normalized(&display);
        Self { display, key }
    }

    /// The username as shown to people.
    pub fn as_str(&self) -> &str {
        &self.display
    }

    /// The key that decides uniqueness.
    pub fn key(&self) -> &UsernameKey {
        &self.key
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display)
    }
}

/// The case-folded, NFKC form of a username: equal keys mean the same account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UsernameKey(String);

impl UsernameKey {
    /// The key of whatever a person typed into a sign-in form, valid or not,
    /// so that a lookup treats `Alice`, ` alice ` and `ＡＬＩＣＥ` alike.
    pub fn from_input(raw: &str) -> Self {
        Self::of_normalized(&normalize(raw))
    }

    fn of_normalized(display: &str) -> Self {
        let folded = caseless::default_case_fold_str(display);
        Self(folded.nfkc().collect())
    }

    /// The key as stored and compared.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn normalize(raw: &str) -> String {
    let nfkc: String = raw.trim().nfkc().collect();
    // NFKC can turn a character such as U+00A0 into a plain space.
    match nfkc.trim() {
        trimmed if trimmed.len() == nfkc.len() => nfkc,
        trimmed => trimmed.to_owned(),
    }
}

fn is_allowed(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '_' | '-')
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn trims_and_keeps_the_chosen_case() {
        let name = Username::parse("  Alice_01 ").unwrap();
        assert_eq!(name.as_str(), "Alice_01");
        assert_eq!(name.key().as_str(), "alice_01");
    }

    #[test]
    fn case_and_compatibility_forms_share_a_key() {
        let plain = Username::parse("alice").unwrap();
        let upper = Username::parse("ALICE").unwrap();
        let fullwidth = Username::parse("ＡＬＩＣＥ").unwrap();
        assert_eq!(plain.key(), upper.key());
        assert_eq!(plain.key(), fullwidth.key());
        assert_eq!(fullwidth.as_str(), "ALICE");
    }

    #[test]
    fn case_folding_is_full_not_just_lowercase() {
        let sharp = Username::parse("straße").unwrap();
        let spelled = Username::parse("STRASSE").unwrap();
        assert_eq!(sharp.key(), spelled.key());
    }

    #[test]
    fn lengths_are_counted_in_characters() {
        assert_eq!(Username::parse("ab"), Err(UsernameError::TooShort));
        assert_eq!(Username::parse("   ab   "), Err(UsernameError::TooShort));
        assert!(Username::parse("äöü").is_ok());
        assert!(Username::parse(&"é".repeat(MAX_CHARS)).is_ok());
        assert_eq!(
            Username::parse(&"x".repeat(MAX_CHARS + 1)),
            Err(UsernameError::TooLong)
        );
    }

    #[test]
    fn only_letters_digits_and_three_marks_are_allowed() {
        assert!(Username::parse("a.b-c_d9").is_ok());
        assert!(Username::parse("名前です").is_ok());
        for bad in [
            "a b c",
            "alice!",
            "<script>",
            "al\u{0}ice",
            "ali/ce",
            "a@b.c",
        ] {
            assert_eq!(
                Username::parse(bad),
                Err(UsernameError::InvalidCharacter),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn input_keys_match_parsed_keys() {
        let name = Username::parse("Bob").unwrap();
        assert_eq!(&UsernameKey::from_input("  bOB "), name.key());
        assert_eq!(UsernameKey::from_input("x").as_str(), "x");
    }

    proptest! {
        #[test]
        fn parsing_never_panics_and_valid_names_keep_their_rules(raw in "\\PC{0,40}") {
            if let Ok(name) = Username::parse(&raw) {
                let chars = name.as_str().chars().count();
                prop_assert!((MIN_CHARS..=MAX_CHARS).contains(&chars));
                prop_assert!(name.as_str().chars().all(is_allowed));
                prop_assert_eq!(name.as_str().trim(), name.as_str());
                prop_assert_eq!(&UsernameKey::from_input(&raw), name.key());
            }
        }

        #[test]
        fn keys_are_stable_under_reparsing(raw in "[a-zA-Z0-9._ßİΣσς-]{3,20}") {
            if let Ok(name) = Username::parse(&raw) {
                let again = Username::from_stored(name.as_str().to_owned());
                prop_assert_eq!(again.key(), name.key());
            }
        }
    }
}
