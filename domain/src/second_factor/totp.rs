//! Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP) with the
//! parameters every authenticator app supports: HMAC-SHA-1, six digits,
//! 30-second steps from the Unix epoch.
//!
//! A code is accepted for the current step and one step either side (a
//! phone's clock may be half a minute off, and a person takes a moment to
//! type), and never for a step at or before the last one accepted for the
//! account: a code that worked once is refused if sent again (RFC 6238
//! § 5.2), and so is any older one.

use std::fmt;

use hmac::{Hmac, Mac};
use sha1::Sha1;
use time::OffsetDateTime;
use zeroize::Zeroizing;

use super::base32;

/// The bytes of a secret: 160 bits, the length RFC 4226 § 4 recommends.
pub const TOTP_SECRET_LEN: usize = 20;
/// The seconds one code lives for.
pub const TOTP_STEP_SECONDS: i64 = 30;
/// The digits of a code.
pub const TOTP_DIGITS: usize = 6;
/// How many steps before or after the current one a code may come from.
const ALLOWED_DRIFT: u64 = 1;

/// The key an authenticator app and Latch share for one account. Its bytes
/// are wiped from memory when it is dropped and never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Zeroizing<[u8; TOTP_SECRET_LEN]>);

impl TotpSecret {
    /// Wraps bytes from a cryptographically secure random source, or read
    /// back from a store.
    pub fn from_bytes(bytes: [u8; TOTP_SECRET_LEN]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// The raw key, for a store to seal.
    pub fn as_bytes(&self) -> &[u8; TOTP_SECRET_LEN] {
        &self.0
    }

    /// The key as authenticator apps take it typed in: base32 (RFC 4648,
    /// no padding), 32 characters.
    pub fn to_base32(&self) -> String {
        base32::encode(self.0.as_slice())
    }

    /// The base32 key in groups of four, easier to type.
    pub fn to_grouped_base32(&self) -> String {
        base32::in_groups_of_four(&self.to_base32(), " ")
    }

    /// The `otpauth://` URI an app reads from a QR code (the Key Uri Format
    /// authenticator apps share): `issuer` names the site, `account` the
    /// person on it.
    pub fn otpauth_uri(&self, issuer: &str, account: &str) -> String {
        let issuer = percent_encode(issuer);
        format!(
            "otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}\
             &algorithm=SHA1&digits={TOTP_DIGITS}&period={TOTP_STEP_SECONDS}",
            account = percent_encode(account),
            secret = self.to_base32(),
        )
    }

    /// The code for `step`.
    pub fn code_at(&self, step: TimeStep) -> TotpCode {
        let mut mac = Hmac::<Sha1>::new_from_slice(self.0.as_slice())
            .expect("HMAC takes a key of any length");
        mac.update(&step.0.to_be_bytes());
        let digest = mac.finalize().into_bytes();
        // RFC 4226 § 5.3: dynamic truncation.
        let offset = usize::from(digest[digest.len() - 1] & 0x0f);
        let binary = u32::from_be_bytes([
            digest[offset] & 0x7f,
            digest[offset + 1],
            digest[offset + 2],
            digest[offset + 3],
        ]);
        TotpCode(binary % 10_u32.pow(TOTP_DIGITS as u32))
    }

    /// Checks `code` at `now`: the step it belongs to when it is one of the
    /// allowed steps and later than `last_accepted`, to be recorded as the
    /// new last accepted step. Every allowed step is computed and compared
    /// whatever matches, so the time taken tells nothing.
    pub fn verify(
        &self,
        code: &TotpCode,
        now: OffsetDateTime,
        last_accepted: Option<TimeStep>,
    ) -> Result<TimeStep, TotpRejection> {
        let current = TimeStep::at(now);
        let mut matched = None;
        for step in current.0.saturating_sub(ALLOWED_DRIFT)..=current.0 + ALLOWED_DRIFT {
            let step = TimeStep(step);
            if self.code_at(step).same_as(code) && matched.is_none() {
                matched = Some(step);
            }
        }
        let step = matched.ok_or(TotpRejection::Wrong)?;
        match last_accepted {
            Some(last) if step <= last => Err(TotpRejection::Replayed),
            _ => Ok(step),
        }
    }
}

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret([redacted])")
    }
}

/// One 30-second step since the Unix epoch: what a code is computed for,
/// and what a store records as the last one accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeStep(u64);

impl TimeStep {
    /// The step `now` falls in (steps before 1970 are clamped to the first).
    pub fn at(now: OffsetDateTime) -> Self {
        let seconds = now.unix_timestamp().max(0);
        Self((seconds / TOTP_STEP_SECONDS) as u64)
    }

    /// Wraps a step read from a store.
    pub fn from_index(index: u64) -> Self {
        Self(index)
    }

    /// The step's number, for a store.
    pub fn index(&self) -> u64 {
        self.0
    }
}

/// Six digits as a person typed them.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TotpCode(u32);

impl TotpCode {
    /// Reads what a person typed: six digits, with any spaces or hyphens
    /// between them (apps show "123 456"); `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        let digits: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        if digits.len() != TOTP_DIGITS || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok().map(Self)
    }

    /// Compares without stopping at the first differing bit.
    fn same_as(&self, other: &TotpCode) -> bool {
        (self.0 ^ other.0) == 0
    }
}

impl fmt::Display for TotpCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:0width$}", self.0, width = TOTP_DIGITS)
    }
}

impl fmt::Debug for TotpCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpCode([redacted])")
    }
}

/// Why a code was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TotpRejection {
    /// It is not the code of any allowed step.
    #[error("the code is not the current one")]
    Wrong,
    /// It is, but that step (or a later one) was accepted before.
    #[error("the code was used before")]
    Replayed,
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn percent_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    /// RFC 6238 Appendix B's SHA-1 secret: "12345678901234567890".
    fn rfc_secret() -> TotpSecret {
        TotpSecret::from_bytes(*b"12345678901234567890")
    }

    /// RFC 6238's eight-digit SHA-1 results, of which a six-digit code is
    /// the last six digits.
    #[test]
    fn codes_match_the_rfc_6238_test_vectors() {
        let vectors = [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
            (20_000_000_000, "353130"),
        ];
        for (seconds, expected) in vectors {
            let now = OffsetDateTime::from_unix_timestamp(seconds).unwrap();
            let code = rfc_secret().code_at(TimeStep::at(now));
            assert_eq!(code.to_string(), expected, "at {seconds}");
        }
    }

    #[test]
    fn a_code_is_accepted_one_step_either_side_and_no_further() {
        let secret = rfc_secret();
        let now = datetime!(2026-12-03 12:00:15 UTC);
        let current = TimeStep::at(now);
        for offset in [-1_i64, 0, 1] {
            let step = TimeStep((current.0 as i64 + offset) as u64);
            assert_eq!(
                secret.verify(&secret.code_at(step), now, None),
                Ok(step),
                "offset {offset}"
            );
        }
        for offset in [-3_i64, -2, 2, 3] {
            let step = TimeStep((current.0 as i64 + offset) as u64);
            assert_eq!(
                secret.verify(&secret.code_at(step), now, None),
                Err(TotpRejection::Wrong),
                "offset {offset}"
            );
        }
    }

    #[test]
    fn a_code_accepted_once_is_refused_again_and_so_are_older_ones() {
        let secret = rfc_secret();
        let now = datetime!(2026-12-03 12:00:15 UTC);
        let current = TimeStep::at(now);
        let accepted = secret.verify(&secret.code_at(current), now, None).unwrap();
        assert_eq!(
            secret.verify(&secret.code_at(current), now, Some(accepted)),
            Err(TotpRejection::Replayed)
        );
        let earlier = TimeStep(current.0 - 1);
        assert_eq!(
            secret.verify(&secret.code_at(earlier), now, Some(accepted)),
            Err(TotpRejection::Replayed)
        );
        let later = TimeStep(current.0 + 1);
        assert_eq!(
            secret.verify(&secret.code_at(later), now, Some(accepted)),
            Ok(later)
        );
    }

    #[test]
    fn a_code_from_another_secret_is_wrong() {
        let now = datetime!(2026-12-03 12:00:15 UTC);
        let other = TotpSecret::from_bytes([7; TOTP_SECRET_LEN]);
        let code = other.code_at(TimeStep::at(now));
        assert_ne!(code, rfc_secret().code_at(TimeStep::at(now)));
        assert_eq!(
            rfc_secret().verify(&code, now, None),
            Err(TotpRejection::Wrong)
        );
    }

    #[test]
    fn codes_are_read_with_spaces_and_hyphens_and_nothing_else() {
        assert_eq!(TotpCode::parse("123456").unwrap().to_string(), "123456");
        assert_eq!(TotpCode::parse(" 123 456 ").unwrap().to_string(), "123456");
        assert_eq!(TotpCode::parse("123-456").unwrap().to_string(), "123456");
        assert_eq!(TotpCode::parse("000042").unwrap().to_string(), "000042");
        for bad in ["", "12345", "1234567", "12345a", "１２３４５６", "+12345"] {
            assert!(TotpCode::parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn the_secret_is_shown_in_base32_groups_and_an_otpauth_uri() {
        let secret = rfc_secret();
        assert_eq!(secret.to_base32(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(
            secret.to_grouped_base32(),
            "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ"
        );
        assert_eq!(
            secret.otpauth_uri("Latch Demo", "zoë"),
            "otpauth://totp/Latch%20Demo:zo%C3%AB?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
             &issuer=Latch%20Demo&algorithm=SHA1&digits=6&period=30"
        );
    }

    #[test]
    fn secrets_and_codes_are_never_printed() {
        let secret = rfc_secret();
        assert_eq!(format!("{secret:?}"), "TotpSecret([redacted])");
        let code = TotpCode::parse("123456").unwrap();
        assert_eq!(format!("{code:?}"), "TotpCode([redacted])");
    }
}
