//! An authenticator app, as a phone runs one: it reads the key a server
//! shows (base32, RFC 4648) and computes RFC 6238 codes from it (HMAC-SHA-1,
//! 30-second steps, 6 digits). Written here from the RFCs, apart from the
//! server's own code, so that the two check each other.

use hmac::{Hmac, Mac};
use sha1::Sha1;
use time::OffsetDateTime;

/// An app holding one account's key.
#[derive(Debug, Clone)]
pub struct Authenticator {
    key: Vec<u8>,
}

impl Authenticator {
    /// Reads a key as a server shows it (base32, any case, with or without
    /// spaces or padding).
    pub fn from_base32(text: &str) -> Self {
        const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        let mut key = Vec::new();
        let (mut buffer, mut bits) = (0u32, 0u32);
        for symbol in text.bytes().filter(|byte| !matches!(byte, b' ' | b'=')) {
            let value = ALPHABET
                .iter()
                .position(|letter| *letter == symbol.to_ascii_uppercase())
                .unwrap_or_else(|| panic!("{text:?} is not base32"));
            buffer = (buffer << 5) | u32::try_from(value).unwrap();
            bits += 5;
            if bits >= 8 {
                bits -= 8;
                key.push(u8::try_from((buffer >> bits) & 0xff).unwrap());
            }
        }
        Self { key }
    }

    /// Reads the key from an `otpauth://totp/...?secret=...` URI.
    pub fn from_uri(uri: &str) -> Self {
        let secret = uri
            .split(['?', '&'])
            .find_map(|part| part.strip_prefix("secret="))
            .unwrap_or_else(|| panic!("no secret in {uri}"));
        Self::from_base32(secret)
    }

    /// The code the app shows at `at`.
    pub fn code_at(&self, at: OffsetDateTime) -> String {
        let step = u64::try_from(at.unix_timestamp() / 30).unwrap();
        let mut mac = Hmac::<Sha1>::new_from_slice(&self.key).unwrap();
        mac.update(&step.to_be_bytes());
        let digest = mac.finalize().into_bytes();
        let offset = usize::from(digest[19] & 0x0f);
        let number =
            u32::from_be_bytes(digest[offset..offset + 4].try_into().unwrap()) & 0x7fff_ffff;
        format!("{:06}", number % 1_000_000)
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn the_rfc_6238_sha1_vectors_hold() {
        // RFC 6238 appendix B: the key "12345678901234567890", 8 digits
        // there; the last 6 of them here.
        let app = Authenticator::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(app.code_at(datetime!(1970-01-01 00:00:59 UTC)), "287082");
        assert_eq!(app.code_at(datetime!(2005-03-18 01:58:29 UTC)), "081804");
        assert_eq!(app.code_at(datetime!(2033-05-18 03:33:20 UTC)), "279037");
    }
}
