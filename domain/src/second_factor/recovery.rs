//! Recovery codes: single-use codes a person keeps on paper, each able to
//! stand in for the second step once, for the day the phone is lost.
//!
//! A code is 80 random bits shown as sixteen characters of Crockford's
//! base32 in groups of four (`k3f9-x2qa-…`). Stores keep only each code's
//! SHA-256 digest: 80 bits are far beyond guessing, so a copy of the store
//! is no help, and no key is needed to check one.

use std::fmt;

use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::base32;

/// How many codes a set holds.
pub const RECOVERY_CODES_PER_SET: usize = 10;
/// The random bytes of one code.
pub const RECOVERY_CODE_LEN: usize = 10;

/// A code as shown to its owner once, or as typed back.
#[derive(Clone, PartialEq, Eq)]
pub struct RecoveryCode(Zeroizing<[u8; RECOVERY_CODE_LEN]>);

impl RecoveryCode {
    /// Wraps bytes from a cryptographically secure random source.
    pub fn from_random_bytes(bytes: [u8; RECOVERY_CODE_LEN]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// Reads what a person typed: the sixteen characters in either case,
    /// with or without the hyphens and spaces; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        let compact: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        if !compact.is_ascii() {
            return None;
        }
        base32::decode_crockford(&compact).map(|bytes| Self(Zeroizing::new(bytes)))
    }

    /// The text shown to its owner: four groups of four.
    pub fn display_text(&self) -> String {
        base32::in_groups_of_four(&base32::encode_crockford(self.0.as_slice()), "-")
    }

    /// What a store keeps.
    pub fn digest(&self) -> RecoveryCodeDigest {
        RecoveryCodeDigest(Sha256::digest(self.0.as_slice()).into())
    }
}

impl fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryCode([redacted])")
    }
}

/// The SHA-256 digest of a recovery code, as stores keep it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecoveryCodeDigest([u8; 32]);

impl RecoveryCodeDigest {
    /// Wraps a digest read from a store.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The digest's bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for RecoveryCodeDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecoveryCodeDigest({:02x}{:02x}…)", self.0[0], self.0[1])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_reads_back_from_its_text_however_it_is_typed() {
        let code = RecoveryCode::from_random_bytes([0x5a; RECOVERY_CODE_LEN]);
        let text = code.display_text();
        assert_eq!(text.len(), 19);
        assert_eq!(text.matches('-').count(), 3);
        for typed in [
            text.clone(),
            text.to_uppercase(),
            text.replace('-', ""),
            text.replace('-', " "),
            format!("  {text}  "),
        ] {
            assert_eq!(RecoveryCode::parse(&typed), Some(code.clone()), "{typed:?}");
        }
    }

    #[test]
    fn what_is_not_a_code_is_refused() {
        for bad in [
            "",
            "abcd-efgh",
            "zzzz-zzzz-zzzz-zzzz-z",
            "zzzz-zzzz-zzzz-zzzu",
            "ｚｚｚｚ",
        ] {
            assert!(RecoveryCode::parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn the_digest_is_sha_256_of_the_code_and_differs_between_codes() {
        let one = RecoveryCode::from_random_bytes([1; RECOVERY_CODE_LEN]);
        let two = RecoveryCode::from_random_bytes([2; RECOVERY_CODE_LEN]);
        assert_eq!(
            one.digest().as_bytes(),
            &<[u8; 32]>::from(Sha256::digest([1; 10]))
        );
        assert_ne!(one.digest(), two.digest());
        assert_eq!(format!("{one:?}"), "RecoveryCode([redacted])");
    }
}
