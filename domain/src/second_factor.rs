//! Second factors: what a person proves beyond the password, for NIST
//! AAL2. An authenticator app's time-based codes ([`totp`]), and recovery
//! codes ([`recovery`]) for when the app is out of reach.

mod base32;
pub mod pending;
pub mod recovery;
pub mod totp;

pub use pending::{PENDING_SIGN_IN_LIFETIME, PendingId, PendingSignIn, PendingToken};
pub use recovery::{RECOVERY_CODE_LEN, RECOVERY_CODES_PER_SET, RecoveryCode, RecoveryCodeDigest};
pub use totp::{TOTP_SECRET_LEN, TimeStep, TotpCode, TotpRejection, TotpSecret};

use time::OffsetDateTime;

/// A secret sealed by the [`SecretSealer`](crate::ports::SecretSealer)
/// port (authenticated encryption under a key of the server's): what a
/// store keeps of an authenticator app's key.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedSecret(Vec<u8>);

impl SealedSecret {
    /// Wraps sealed bytes, from the sealer or read back from a store.
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// The sealed bytes, for a store.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for SealedSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SealedSecret({} bytes)", self.0.len())
    }
}

/// An account's authenticator app as a store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTotp {
    /// The shared key, sealed.
    pub secret: SealedSecret,
    /// When it was set up (confirmation pending until `confirmed_at`).
    pub added_at: OffsetDateTime,
    /// When its owner proved the app works by sending a code; until then it
    /// is not a second factor.
    pub confirmed_at: Option<OffsetDateTime>,
    /// The last step whose code was accepted: no code of it or of an earlier
    /// step is accepted again.
    pub last_accepted: Option<TimeStep>,
}
