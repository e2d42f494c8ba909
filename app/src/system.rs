//! The operating system's clock and random source, and the server's keyed
//! digest and sealer, as domain ports.

use aes_gcm::{
    Aes256Gcm, KeyInit as _, Nonce,
    aead::{Aead, Payload},
};
use hmac::{Hmac, Mac};
use latch_domain::{
    Clock, KeyedDigest, SealedSecret, SecretSealer, SessionToken, TokenSource, UserId,
};
use sha2::Sha256;
use time::OffsetDateTime;
use zeroize::Zeroizing;

/// The system clock, in UTC.
pub(crate) struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// The operating system's cryptographically secure random source.
pub(crate) struct OsRandom;

impl TokenSource for OsRandom {
    fn session_token(&self) -> SessionToken {
        SessionToken::from_random_bytes(random_bytes())
    }

    fn user_id(&self) -> UserId {
        UserId::from_random_bytes(random_bytes())
    }

    fn device_nonce(&self) -> [u8; 16] {
        random_bytes()
    }

    fn totp_secret(&self) -> [u8; latch_domain::second_factor::TOTP_SECRET_LEN] {
        random_bytes()
    }

    fn recovery_code(&self) -> [u8; latch_domain::second_factor::RECOVERY_CODE_LEN] {
        random_bytes()
    }

    fn pending_token(&self) -> latch_domain::PendingToken {
        latch_domain::PendingToken::from_random_bytes(random_bytes())
    }
}

/// HMAC-SHA256 under a key derived from the server's secret: device tokens
/// and the digests of names in logs.
pub struct HmacDigests {
    key: Hmac<Sha256>,
}

impl HmacDigests {
    /// Digests under `secret` (`server.secret_key`, or a random key for
    /// this process when none is set). The key is bound to its use, so it
    /// signs nothing that the same secret signs elsewhere (CSRF tokens).
    pub fn new(secret: &[u8; 32]) -> Self {
        let mut derive = hmac_with(secret);
        derive.update(b"latch keyed digests v1");
        Self {
            key: hmac_with(&derive.finalize().into_bytes()),
        }
    }
}

/// HMAC-SHA256 under `key` (HMAC takes a key of any length).
fn hmac_with(key: &[u8]) -> Hmac<Sha256> {
    #[allow(clippy::expect_used)]
    <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes keys of any length")
}

impl KeyedDigest for HmacDigests {
    fn digest(&self, purpose: &str, message: &[u8]) -> [u8; 32] {
        let mut mac = self.key.clone();
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(message);
        mac.finalize().into_bytes().into()
    }
}

/// The bytes of an AES-GCM nonce.
const NONCE_LEN: usize = 12;
/// What every sealed secret is bound to (AES-GCM's associated data), so
/// nothing sealed for another use opens as one.
const SEALED_FOR: &[u8] = b"latch sealed secret v1";

/// AES-256-GCM under a key derived from the server's secret, with a random
/// nonce per secret: a sealed secret is its nonce, then the ciphertext and
/// its tag. Changing `server.secret_key` makes every sealed secret
/// unreadable.
pub struct AeadSealer {
    cipher: Aes256Gcm,
}

impl AeadSealer {
    /// A sealer under `secret` (`server.secret_key`), its key bound to this
    /// use like [`HmacDigests`]'.
    pub fn new(secret: &[u8; 32]) -> Self {
        let mut derive = hmac_with(secret);
        derive.update(b"latch sealed secrets v1");
        let key = Zeroizing::new(<[u8; 32]>::from(derive.finalize().into_bytes()));
        Self {
            cipher: Aes256Gcm::new(&(*key).into()),
        }
    }
}

impl SecretSealer for AeadSealer {
    fn seal(&self, secret: &[u8]) -> SealedSecret {
        let nonce: [u8; NONCE_LEN] = random_bytes();
        let payload = Payload {
            msg: secret,
            aad: SEALED_FOR,
        };
        #[allow(clippy::expect_used)]
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), payload)
            .expect("AES-GCM seals any secret shorter than 64 GiB");
        let mut bytes = Vec::with_capacity(NONCE_LEN + sealed.len());
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&sealed);
        SealedSecret::from_bytes(bytes)
    }

    fn open(&self, sealed: &SealedSecret) -> Option<Zeroizing<Vec<u8>>> {
        let bytes = sealed.as_bytes();
        if bytes.len() < NONCE_LEN {
            return None;
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let payload = Payload {
            msg: ciphertext,
            aad: SEALED_FOR,
        };
        self.cipher
            .decrypt(Nonce::from_slice(nonce), payload)
            .ok()
            .map(Zeroizing::new)
    }
}

/// Random bytes from the operating system. Its random source failing means
/// no secret can be made safely, so that (never seen on a booted Linux
/// system) stops the process rather than going on with weak tokens.
pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0; N];
    #[allow(clippy::expect_used)]
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_under_its_key_only_and_not_once_altered() {
        let sealer = AeadSealer::new(&[1; 32]);
        let secret = b"twenty bytes of key!";
        let sealed = sealer.seal(secret);
        assert!(!sealed.as_bytes().windows(secret.len()).any(|w| w == secret));
        assert_eq!(
            sealer.open(&sealed).as_deref().map(Vec::as_slice),
            Some(&secret[..])
        );
        assert_ne!(sealer.seal(secret), sealed, "a fresh nonce each time");

        assert_eq!(AeadSealer::new(&[2; 32]).open(&sealed), None, "another key");
        let mut altered = sealed.as_bytes().to_vec();
        let last = altered.len() - 1;
        altered[last] ^= 1;
        assert_eq!(sealer.open(&SealedSecret::from_bytes(altered)), None);
        assert_eq!(sealer.open(&SealedSecret::from_bytes(vec![0; 5])), None);
    }
}
