//! Trusted devices: a browser or API client that once signed in to an
//! account holds a device token for it, so that a flood of wrong passwords
//! from elsewhere cannot lock its owner out (OWASP's "device cookie"
//! defence against online guessing).
//!
//! A token is a random nonce and a keyed digest of the nonce and the
//! username key it was issued for, made through the [`KeyedDigest`] port:
//! nobody without the server's key can make one, and one made for one
//! account is worth nothing for another. Stores keep nothing per device
//! but its failure count, under [`ThrottleKey::device`].

use std::fmt;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use crate::{ports::KeyedDigest, throttle::ThrottleKey, username::UsernameKey};

/// The bytes of a token's nonce.
const NONCE_LEN: usize = 16;
/// The bytes of a token's digest.
const DIGEST_LEN: usize = 32;
/// What the keyed digest of a device token is for.
const PURPOSE: &str = "latch device token v1";

/// A device's token for one account, as the client keeps it.
#[derive(Clone, PartialEq, Eq)]
pub struct DeviceToken {
    nonce: [u8; NONCE_LEN],
    digest: [u8; DIGEST_LEN],
}

impl DeviceToken {
    /// A new token for `key`, from a random nonce.
    pub fn issue(key: &UsernameKey, nonce: [u8; NONCE_LEN], digests: &dyn KeyedDigest) -> Self {
        Self {
            nonce,
            digest: digest_of(key, &nonce, digests),
        }
    }

    /// Reads the text form a client sent back; `None` for anything that a
    /// token of ours could not be.
    pub fn parse(text: &str) -> Option<Self> {
        let mut bytes = [0; NONCE_LEN + DIGEST_LEN];
        match URL_SAFE_NO_PAD.decode_slice(text.trim(), &mut bytes) {
            Ok(len) if len == bytes.len() => {}
            _ => return None,
        }
        let (nonce, digest) = bytes.split_at(NONCE_LEN);
        Some(Self {
            nonce: nonce.try_into().ok()?,
            digest: digest.try_into().ok()?,
        })
    }

    /// The text form given to the client (64 characters of URL-safe base64).
    pub fn encode(&self) -> String {
        let mut bytes = [0; NONCE_LEN + DIGEST_LEN];
        bytes[..NONCE_LEN].copy_from_slice(&self.nonce);
        bytes[NONCE_LEN..].copy_from_slice(&self.digest);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Whether this token was issued for `key` by a holder of the server's
    /// key. The comparison takes the same time wherever they differ.
    pub fn is_for(&self, key: &UsernameKey, digests: &dyn KeyedDigest) -> bool {
        let expected = digest_of(key, &self.nonce, digests);
        let difference = expected
            .iter()
            .zip(self.digest)
            .fold(0_u8, |difference, (a, b)| difference | (a ^ b));
        difference == 0
    }

    /// Where this device's failures are counted.
    pub fn throttle_key(&self) -> ThrottleKey {
        ThrottleKey::device(&self.nonce)
    }
}

impl fmt::Debug for DeviceToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DeviceToken([redacted])")
    }
}

fn digest_of(
    key: &UsernameKey,
    nonce: &[u8; NONCE_LEN],
    digests: &dyn KeyedDigest,
) -> [u8; DIGEST_LEN] {
    let mut message = Vec::with_capacity(key.as_str().len() + 1 + NONCE_LEN);
    message.extend_from_slice(key.as_str().as_bytes());
    // Keys hold no NUL, so key and nonce cannot be shifted into each other.
    message.push(0);
    message.extend_from_slice(nonce);
    digests.digest(PURPOSE, &message)
}

#[cfg(test)]
mod tests {
    use sha2::{Digest, Sha256};

    use super::*;

    /// A stand-in for the server's keyed digest: SHA-256 of key, purpose
    /// and message (the real one is HMAC-SHA256).
    struct Keyed(u8);

    impl KeyedDigest for Keyed {
        fn digest(&self, purpose: &str, message: &[u8]) -> [u8; 32] {
            let mut hash = Sha256::new();
            hash.update([self.0]);
            hash.update(purpose.as_bytes());
            hash.update(message);
            hash.finalize().into()
        }
    }

    fn alice() -> UsernameKey {
        UsernameKey::from_input("Alice")
    }

    #[test]
    fn a_token_round_trips_and_is_for_its_own_account_only() {
        let token = DeviceToken::issue(&alice(), [7; 16], &Keyed(1));
        let text = token.encode();
        assert_eq!(text.len(), 64);
        let parsed = DeviceToken::parse(&text).unwrap();
        assert_eq!(parsed, token);
        assert!(parsed.is_for(&alice(), &Keyed(1)));
        assert!(!parsed.is_for(&UsernameKey::from_input("bob"), &Keyed(1)));
        assert!(!parsed.is_for(&alice(), &Keyed(2)), "another server's key");
    }

    #[test]
    fn a_forged_or_malformed_token_is_refused() {
        let token = DeviceToken::issue(&alice(), [7; 16], &Keyed(1));
        let mut text = token.encode().into_bytes();
        text[40] = if text[40] == b'A' { b'B' } else { b'A' };
        let forged = DeviceToken::parse(std::str::from_utf8(&text).unwrap()).unwrap();
        assert!(!forged.is_for(&alice(), &Keyed(1)));
        for bad in ["", "short", &"A".repeat(65), "!!!!"] {
            assert_eq!(DeviceToken::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn each_device_has_its_own_throttle_key_and_debug_shows_nothing() {
        let one = DeviceToken::issue(&alice(), [1; 16], &Keyed(1));
        let two = DeviceToken::issue(&alice(), [2; 16], &Keyed(1));
        assert_ne!(one.throttle_key(), two.throttle_key());
        assert!(!format!("{one:?}").contains(&one.encode()));
    }
}
