//! Groups: named sets of accounts that access rules (for forward auth)
//! will grant or refuse by. A group's name is short, lowercase ASCII, so it
//! reads the same in a rule, a log line and a header.

use std::fmt;

/// The most characters a group name may have, after trimming.
pub const MAX_CHARS: usize = 64;

/// Why a string is not a valid group name. The messages are shown to people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum GroupNameError {
    /// Nothing but spaces.
    #[error("Give a group name.")]
    Empty,
    /// More than [`MAX_CHARS`] characters.
    #[error("Choose a group name of at most {MAX_CHARS} characters.")]
    TooLong,
    /// A character other than an ASCII letter, a digit, `-`, `_` or `.`.
    #[error("Use only letters a to z, digits, '-', '_' and '.' in a group name.")]
    InvalidCharacter,
    /// Starts with `-`, `_` or `.`.
    #[error("Start a group name with a letter or a digit.")]
    BadStart,
}

/// A valid group name: trimmed, lowercased, 1 to [`MAX_CHARS`] characters
/// of `a`-`z`, `0`-`9`, `-`, `_` and `.`, starting with a letter or digit.
/// Names order by their bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupName(String);

impl GroupName {
    /// Checks and normalises a group name typed by a person.
    pub fn parse(raw: &str) -> Result<Self, GroupNameError> {
        let name = raw.trim().to_ascii_lowercase();
        let Some(first) = name.chars().next() else {
            return Err(GroupNameError::Empty);
        };
        if name.chars().count() > MAX_CHARS {
            return Err(GroupNameError::TooLong);
        }
        if !name.chars().all(is_allowed) {
            return Err(GroupNameError::InvalidCharacter);
        }
        if !first.is_ascii_alphanumeric() {
            return Err(GroupNameError::BadStart);
        }
        Ok(Self(name))
    }

    /// Rebuilds a name a store kept; it was checked when it was stored.
    pub fn from_stored(name: String) -> Self {
        Self(name)
    }

    /// The name as stored and shown.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for GroupName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A group and how many accounts belong to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupSummary {
    /// The group.
    pub name: GroupName,
    /// How many accounts belong to it.
    pub members: u64,
}

/// Sorts group names and drops repeats, as [`crate::User::groups`] holds them.
pub fn sorted_groups(mut groups: Vec<GroupName>) -> Vec<GroupName> {
    groups.sort_unstable();
    groups.dedup();
    groups
}

fn is_allowed(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.')
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn trims_and_lowercases() {
        let name = GroupName::parse("  Admins.EU-1_x ").unwrap();
        assert_eq!(name.as_str(), "admins.eu-1_x");
        assert_eq!(name.to_string(), "admins.eu-1_x");
    }

    #[test]
    fn lengths_are_one_to_sixty_four() {
        assert_eq!(GroupName::parse(""), Err(GroupNameError::Empty));
        assert_eq!(GroupName::parse("   "), Err(GroupNameError::Empty));
        assert!(GroupName::parse("a").is_ok());
        assert!(GroupName::parse("7").is_ok());
        assert!(GroupName::parse(&"a".repeat(MAX_CHARS)).is_ok());
        assert_eq!(
            GroupName::parse(&"a".repeat(MAX_CHARS + 1)),
            Err(GroupNameError::TooLong)
        );
    }

    #[test]
    fn only_ascii_letters_digits_and_three_marks_are_allowed() {
        for bad in [
            "a b",
            "ops!",
            "<script>",
            "a\u{0}b",
            "a/b",
            "a,b",
            "café",
            "ＡＢＣ",
            "dev\u{200B}s",
        ] {
            assert_eq!(
                GroupName::parse(bad),
                Err(GroupNameError::InvalidCharacter),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_name_starts_with_a_letter_or_digit() {
        for bad in ["-ops", "_ops", ".ops", "."] {
            assert_eq!(
                GroupName::parse(bad),
                Err(GroupNameError::BadStart),
                "{bad:?}"
            );
        }
        assert!(GroupName::parse("0ps-").is_ok());
    }

    #[test]
    fn groups_are_sorted_once_each() {
        let names = ["b", "a", "b", "c"].map(|name| GroupName::parse(name).unwrap());
        let sorted: Vec<String> = sorted_groups(names.to_vec())
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(sorted, ["a", "b", "c"]);
    }

    proptest! {
        #[test]
        fn parsing_never_panics_and_valid_names_keep_their_rules(raw in "\\PC{0,70}") {
            if let Ok(name) = GroupName::parse(&raw) {
                let text = name.as_str();
                prop_assert!((1..=MAX_CHARS).contains(&text.len()));
                prop_assert!(text.chars().all(is_allowed));
                prop_assert!(text.starts_with(|c: char| c.is_ascii_alphanumeric()));
                prop_assert_eq!(text, raw.trim().to_ascii_lowercase());
            }
        }

        #[test]
        fn valid_names_parse_to_themselves(raw in "[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}") {
            let name = GroupName::parse(&raw).unwrap();
            prop_assert_eq!(name.as_str(), raw.to_ascii_lowercase());
            prop_assert_eq!(GroupName::parse(name.as_str()).unwrap(), name);
        }
    }
}
