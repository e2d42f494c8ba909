//! Passwords attackers try first: a blocklist of common passwords, and an
//! estimate of how many guesses any other password would take.
//!
//! The blocklist is the `passwords` crate's table of 99,838 common passwords
//! together with the dictionaries of `zxcvbn` (30,000 more passwords from
//! breaches, then English words, names and film and television words), which
//! also catches keyboard patterns, sequences, repeats, dates and
//! l33t-speak variants of every entry. Both are MIT-licensed.

use zxcvbn::Score;

/// The weakest score accepted: [`Score::Three`] means an attacker needs more
/// than 10^8 guesses, which an Argon2id hash turns into years.
const WEAKEST_ACCEPTED: Score = Score::Three;

/// Whether `password` (or its lowercase form) is on the table of common
/// passwords.
pub(super) fn is_common(password: &str) -> bool {
    passwords::analyzer::is_common_password(password)
        || passwords::analyzer::is_common_password(password.to_lowercase())
}

/// Whether `password` falls to few guesses: a dictionary word or common
/// password with small changes, a keyboard pattern, a repeat, or built from
/// the `context` words (the username, the service's name). Only the first
/// 100 characters are looked at, so the check is quick for any length.
pub(super) fn is_guessable(password: &str, context: &[&str]) -> bool {
    zxcvbn::zxcvbn(password, context).score() < WEAKEST_ACCEPTED
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_passwords_are_found_in_any_case() {
        for common in ["password", "PASSWORD", "qwerty123", "iloveyou"] {
            assert!(is_common(common), "{common}");
        }
        assert!(!is_common("correct horse battery staple"));
    }

    #[test]
    fn patterns_and_dressed_up_words_are_guessable() {
        for weak in [
            "qwertyuiopasdfgh",
            "aaaaaaaaaaaaaaaaaaaa",
            "P@ssw0rdP@ssw0rd",
            "passwordpassword1",
        ] {
            assert!(is_guessable(weak, &[]), "{weak}");
        }
        assert!(is_guessable("alice.wonderland2026", &["alice.wonderland"]));
    }

    #[test]
    fn passphrases_are_not_guessable() {
        for strong in [
            "correct horse battery staple",
            "purple elephant dancing quietly",
            "tangerine voyage lantern",
        ] {
            assert!(!is_guessable(strong, &[]), "{strong}");
        }
    }
}
