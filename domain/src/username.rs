//! Usernames: what people type, normalised, the key that makes them unique,
//! and the skeleton that tells names which look alike.
//!
//! Beyond letters, digits, `.`, `_` and `-`, a new name follows Unicode's
//! security rules for identifiers (UTS #39): no invisible characters, only
//! characters of its identifier profile, and letters of one script (or of
//! the scripts Japanese, Chinese and Korean write together, with Latin: the
//! "highly restrictive" level). Its confusable skeleton lets a store treat
//! `admin` and a look-alike such as `adrnin` as one name.

use std::fmt;

use unicode_normalization::UnicodeNormalization;
use unicode_security::{GeneralSecurityProfile, RestrictionLevel, RestrictionLevelDetection};

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
    /// A character that shows as nothing (Unicode's default-ignorable code
    /// points: zero-width spaces and joiners, Hangul fillers, variation
    /// selectors...).
    #[error(
        "A username cannot contain invisible characters, such as zero-width spaces or Hangul fillers."
    )]
    InvisibleCharacter,
    /// A character other than a letter, a digit, `.`, `_` or `-`.
    #[error("Use only letters, digits, '.', '_' and '-' in a username.")]
    InvalidCharacter,
    /// A letter outside the identifier profile of UTS #39: historic,
    /// technical or of limited use, such as `ɑ` or Cherokee letters.
    #[error("Use only letters in common use today in a username.")]
    UncommonCharacter,
    /// Letters of scripts not written together, such as a Cyrillic `а`
    /// among Latin letters (below UTS #39's "highly restrictive" level).
    #[error(
        "Write a username in one script: do not mix Latin letters with Cyrillic or Greek ones, for example."
    )]
    MixedScripts,
}

impl UsernameError {
    /// Whether the name was refused because it could pass for another one
    /// (invisible, uncommon or mixed-script characters), so that a name it
    /// looks like, if taken, is the better answer.
    pub fn is_look_alike(&self) -> bool {
        matches!(
            self,
            Self::InvisibleCharacter | Self::UncommonCharacter | Self::MixedScripts
        )
    }
}

/// A valid username as its owner chose to write it (trimmed, NFKC).
///
/// Two usernames that differ only by case or compatibility form share one
/// [`UsernameKey`], and so cannot both exist; two that only look alike share
/// one [`UsernameSkeleton`], and new accounts cannot have both either.
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
        if display.chars().any(is_invisible) {
            return Err(UsernameError::InvisibleCharacter);
        }
        if !display.chars().all(is_allowed) {
            return Err(UsernameError::InvalidCharacter);
        }
        if !display
            .chars()
            .all(GeneralSecurityProfile::identifier_allowed)
        {
            return Err(UsernameError::UncommonCharacter);
        }
        if !display
            .as_str()
            .check_restriction_level(RestrictionLevel::HighlyRestrictive)
        {
            return Err(UsernameError::MixedScripts);
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

    /// The skeleton that tells look-alikes, computed from the key (so each
    /// call does the work again; stores keep it).
    pub fn skeleton(&self) -> UsernameSkeleton {
        UsernameSkeleton::of_key(&self.key)
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

/// The UTS #39 confusable skeleton of a [`UsernameKey`], case-folded: names
/// whose skeletons are equal look alike (`admin`, `аdmin` with a Cyrillic
/// `а`, `adrnin`, `"ad\u{200B}min"` with a zero-width space; `g00gle` and
/// `google`), and a store refuses a new account whose skeleton another
/// account holds.
///
/// It is only ever compared, never shown: `admin`'s is `adrnin`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UsernameSkeleton(String);

impl UsernameSkeleton {
    /// The skeleton of whatever a person typed, valid or not, so that a
    /// refused look-alike can be matched with the name it imitates.
    pub fn from_input(raw: &str) -> Self {
        Self::of_key(&UsernameKey::from_input(raw))
    }

    fn of_key(key: &UsernameKey) -> Self {
        let skeleton: String = unicode_security::skeleton(key.as_str()).collect();
        // The confusables data maps some characters to capitals (`0` to
        // `O`), which a folded key never holds: folding once more lets
        // `g00gle` meet `google`.
        Self(caseless::default_case_fold_str(&skeleton))
    }

    /// The skeleton as stored and compared.
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

/// Whether `c` is a default-ignorable code point, which shows as nothing.
/// The skeleton drops exactly those (Unicode's Default_Ignorable_Code_Point
/// property), so one that leaves nothing of `c` says so.
fn is_invisible(c: char) -> bool {
    let mut buffer = [0; 4];
    unicode_security::skeleton(c.encode_utf8(&mut buffer))
        .next()
        .is_none()
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

    #[test]
    fn case_variants_share_a_key_as_before() {
        let keys: Vec<UsernameKey> = ["admin", "Admin", "ADMIN"]
            .into_iter()
            .map(|raw| Username::parse(raw).unwrap().key().clone())
            .collect();
        assert!(keys.iter().all(|key| key.as_str() == "admin"), "{keys:?}");
    }

    #[test]
    fn latin_look_alikes_from_other_scripts_are_mixed_scripts() {
        for bad in [
            "\u{0430}dmin", // Cyrillic а
            "\u{03B1}dmin", // Greek α
            "p\u{0430}yp\u{0430}l",
            "\u{0455}\u{0441}\u{0430}m", // Cyrillic ѕса, Latin m
            "Ωmega",
        ] {
            assert_eq!(
                Username::parse(bad),
                Err(UsernameError::MixedScripts),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn invisible_characters_are_refused_as_such() {
        for bad in [
            "ad\u{200B}min",            // zero-width space
            "al\u{200D}ice",            // zero-width joiner
            "bob\u{2060}by",            // word joiner
            "bob\u{FE0F}",              // variation selector
            "\u{3164}\u{3164}\u{3164}", // Hangul filler
            "\u{FFA0}\u{FFA0}\u{FFA0}", // halfwidth Hangul filler
            "\u{115F}\u{1160}\u{115F}", // Hangul choseong and jungseong fillers
            "admin\u{3164}",
            "\u{115F}\u{115F}\u{115F}\u{115F}",
        ] {
            assert_eq!(
                Username::parse(bad),
                Err(UsernameError::InvisibleCharacter),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn letters_outside_the_identifier_profile_are_uncommon() {
        // Latin small alpha (technical), Cherokee (limited use), Gothic.
        for bad in [
            "\u{0251}dmin",
            "\u{13A0}\u{13CD}\u{13A6}",
            "\u{10330}\u{10331}\u{10332}",
        ] {
            assert_eq!(
                Username::parse(bad),
                Err(UsernameError::UncommonCharacter),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn accented_latin_and_single_scripts_are_still_allowed() {
        for good in [
            "José",
            "Zoë.Ørsted-01",
            "straße",
            "Дмитрий",
            "Ελένη",
            "山田太郎",
            "名前です",
            "김민준",
            "محمد",
            // Scripts written together, with Latin and digits.
            "日本語とEnglish",
            "한국어abc",
            "山田_2024",
        ] {
            assert!(Username::parse(good).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn look_alike_errors_say_so() {
        assert!(UsernameError::MixedScripts.is_look_alike());
        assert!(UsernameError::InvisibleCharacter.is_look_alike());
        assert!(UsernameError::UncommonCharacter.is_look_alike());
        assert!(!UsernameError::InvalidCharacter.is_look_alike());
        assert!(!UsernameError::TooShort.is_look_alike());
    }

    #[test]
    fn look_alikes_share_a_skeleton() {
        let admin = Username::parse("admin").unwrap().skeleton();
        for look_alike in [
            "Admin",
            "ＡＤＭＩＮ",
            "adrnin",
            "\u{0430}dmin",
            "\u{03B1}dmin",
            "ad\u{200B}min",
            "\u{0251}dmin",
        ] {
            assert_eq!(
                UsernameSkeleton::from_input(look_alike),
                admin,
                "{look_alike:?}"
            );
        }
        for (one, other) in [("bob1", "bobl"), ("g00gle", "google"), ("paypa1", "PAYPAL")] {
            assert_eq!(
                Username::parse(one).unwrap().skeleton(),
                Username::parse(other).unwrap().skeleton(),
                "{one:?} and {other:?}"
            );
        }
        assert_ne!(Username::parse("alice").unwrap().skeleton(), admin);
        assert_ne!(
            Username::parse("José").unwrap().skeleton(),
            Username::parse("Jose").unwrap().skeleton()
        );
    }

    #[test]
    fn stored_names_are_not_checked_again() {
        let legacy = Username::from_stored("\u{0430}dmin".to_owned());
        assert_eq!(legacy.as_str(), "\u{0430}dmin");
        assert_eq!(legacy.key(), &UsernameKey::from_input("\u{0430}DMIN"));
        assert_eq!(
            legacy.skeleton(),
            Username::parse("admin").unwrap().skeleton()
        );
    }

    proptest! {
        #[test]
        fn parsing_never_panics_and_valid_names_keep_their_rules(raw in "\\PC{0,40}") {
            if let Ok(name) = Username::parse(&raw) {
                let chars = name.as_str().chars().count();
                prop_assert!((MIN_CHARS..=MAX_CHARS).contains(&chars));
                prop_assert!(name.as_str().chars().all(is_allowed));
                prop_assert!(!name.as_str().chars().any(is_invisible));
                prop_assert!(name
                    .as_str()
                    .check_restriction_level(RestrictionLevel::HighlyRestrictive));
                prop_assert_eq!(name.as_str().trim(), name.as_str());
                prop_assert_eq!(&UsernameKey::from_input(&raw), name.key());
                prop_assert_eq!(UsernameSkeleton::from_input(&raw), name.skeleton());
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
