//! Argon2id password hashing for Latch.
//!
//! Hashes are PHC strings (`$argon2id$v=19$m=...,t=...,p=...$salt$hash`).
//! Hashing is CPU- and memory-heavy, so it runs on Tokio's blocking pool and
//! at most a fixed number of hashes run at once: a flood of sign-ins queues
//! here instead of starving the async workers or exhausting memory.

use std::sync::Arc;

use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier as _, Version};
use async_trait::async_trait;
use latch_domain::{HasherError, Password, PasswordHash, PasswordHasher, Verification};
use tokio::sync::Semaphore;

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argon2Settings {
    /// Memory per hash, in KiB.
    pub memory_kib: u32,
    /// Passes over the memory.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for Argon2Settings {
    /// OWASP's first recommendation (ASVS 5.0 Appendix C): 46 MiB, 1 pass, 1 lane.
    fn default() -> Self {
        Self {
            memory_kib: 47_104,
            iterations: 1,
            parallelism: 1,
        }
    }
}

/// The least memory per hash any configuration may set (OWASP's 7 MiB row).
pub const MIN_MEMORY_KIB: u32 = 7_168;
/// The least memory times passes any configuration may set: OWASP's
/// equivalent rows (46 MiB × 1 ... 7 MiB × 5) all cost at least this.
pub const MIN_MEMORY_TIMES_ITERATIONS_KIB: u64 = 35_840;

/// Settings weaker than the floor, or that Argon2 refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Argon2SettingsError {
    /// Below the floor.
    #[error(
        "password.argon2 is too weak: memory_kib must be at least {MIN_MEMORY_KIB} and memory_kib × iterations at least {MIN_MEMORY_TIMES_ITERATIONS_KIB} (OWASP)"
    )]
    TooWeak,
    /// Argon2 refuses the combination.
    #[error("password.argon2 is invalid: {0}")]
    Invalid(String),
}

/// The [`PasswordHasher`] port, implemented with Argon2id.
#[derive(Clone)]
pub struct Argon2Hasher {
    params: Params,
    permits: Arc<Semaphore>,
}

impl Argon2Hasher {
    /// A hasher with these costs, running at most `max_concurrent` hashes at
    /// once (at least one).
    pub fn new(
        settings: Argon2Settings,
        max_concurrent: usize,
    ) -> Result<Self, Argon2SettingsError> {
        let Argon2Settings {
            memory_kib,
            iterations,
            parallelism,
        } = settings;
        if memory_kib < MIN_MEMORY_KIB
            || u64::from(memory_kib) * u64::from(iterations) < MIN_MEMORY_TIMES_ITERATIONS_KIB
        {
            return Err(Argon2SettingsError::TooWeak);
        }
        let params = Params::new(memory_kib, iterations, parallelism, None)
            .map_err(|error| Argon2SettingsError::Invalid(error.to_string()))?;
        Ok(Self {
            params,
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
        })
    }

    /// Runs `job` with a configured Argon2id instance on the blocking pool,
    /// once a permit is free.
    async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce(Argon2<'static>) -> T + Send + 'static,
    ) -> Result<T, HasherError> {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(HasherError::new)?;
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone());
        tokio::task::spawn_blocking(move || {
            let result = job(argon2);
            drop(permit);
            result
        })
        .await
        .map_err(HasherError::new)
    }
}

#[async_trait]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: &Password) -> Result<PasswordHash, HasherError> {
        let password = password.clone();
        self.run(move |argon2| argon2.hash_password(password.expose().as_bytes()))
            .await?
            .map(|hash| PasswordHash::new(hash.to_string()))
            .map_err(HasherError::new)
    }

    async fn verify(
        &self,
        password: &Password,
        hash: &PasswordHash,
    ) -> Result<Verification, HasherError> {
        let password = password.clone();
        let phc = hash.as_str().to_owned();
        let configured = self.params.clone();
        self.run(move |argon2| {
            let parsed = argon2::PasswordHash::new(&phc).map_err(HasherError::new)?;
            match argon2.verify_password(password.expose().as_bytes(), &parsed) {
                Ok(()) if is_current(&parsed, &configured) => Ok(Verification::Match),
                Ok(()) => Ok(Verification::MatchNeedsRehash),
                Err(argon2::password_hash::Error::PasswordInvalid) => Ok(Verification::Mismatch),
                Err(error) => Err(HasherError::new(error)),
            }
        })
        .await?
    }
}

/// Whether a hash was made with Argon2id, version 0x13 and these costs.
fn is_current(hash: &argon2::PasswordHash, configured: &Params) -> bool {
    let same_costs = Params::try_from(hash).is_ok_and(|used| {
        used.m_cost() == configured.m_cost()
            && used.t_cost() == configured.t_cost()
            && used.p_cost() == configured.p_cost()
    });
    hash.algorithm.as_str() == argon2::ARGON2ID_IDENT.as_str()
        && hash.version == Some(Version::V0x13.into())
        && same_costs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hasher(settings: Argon2Settings) -> Argon2Hasher {
        Argon2Hasher::new(settings, 2).unwrap()
    }

    const CHEAPEST: Argon2Settings = Argon2Settings {
        memory_kib: MIN_MEMORY_KIB,
        iterations: 5,
        parallelism: 1,
    };

    #[tokio::test]
    async fn hashes_are_salted_argon2id_phc_strings_with_the_configured_costs() {
        let hasher = hasher(Argon2Settings::default());
        let password = Password::new("correct horse battery staple");
        let first = hasher.hash(&password).await.unwrap();
        let second = hasher.hash(&password).await.unwrap();
        assert!(
            first
                .as_str()
                .starts_with("$argon2id$v=19$m=47104,t=1,p=1$"),
            "{}",
            first.as_str()
        );
        assert_ne!(first, second, "each hash has its own salt");
        assert!(!first.as_str().contains("correct horse"));
    }

    #[tokio::test]
    async fn the_right_password_matches_and_a_wrong_one_does_not() {
        let hasher = hasher(CHEAPEST);
        let hash = hasher
            .hash(&Password::new("correct horse battery staple"))
            .await
            .unwrap();
        let right = Password::new("correct horse battery staple");
        assert_eq!(
            hasher.verify(&right, &hash).await.unwrap(),
            Verification::Match
        );
        let wrong = Password::new("correct horse battery stapler");
        assert_eq!(
            hasher.verify(&wrong, &hash).await.unwrap(),
            Verification::Mismatch
        );
    }

    #[tokio::test]
    async fn a_hash_with_other_costs_asks_to_be_rehashed() {
        let old = hasher(CHEAPEST);
        let password = Password::new("correct horse battery staple");
        let hash = old.hash(&password).await.unwrap();
        let current = hasher(Argon2Settings {
            iterations: 6,
            ..CHEAPEST
        });
        assert_eq!(
            current.verify(&password, &hash).await.unwrap(),
            Verification::MatchNeedsRehash
        );
    }

    #[tokio::test]
    async fn a_corrupt_hash_is_an_error_not_a_match() {
        let hasher = hasher(CHEAPEST);
        let result = hasher
            .verify(
                &Password::new("anything at all"),
                &PasswordHash::new("not a phc string"),
            )
            .await;
        assert!(result.is_err());
    }

    #[test]
    fn settings_below_the_floor_are_refused() {
        let too_little_memory = Argon2Settings {
            memory_kib: 4_096,
            iterations: 10,
            parallelism: 1,
        };
        assert_eq!(
            Argon2Hasher::new(too_little_memory, 1).err(),
            Some(Argon2SettingsError::TooWeak)
        );
        let too_few_passes = Argon2Settings {
            memory_kib: 19_456,
            iterations: 1,
            parallelism: 1,
        };
        assert_eq!(
            Argon2Hasher::new(too_few_passes, 1).err(),
            Some(Argon2SettingsError::TooWeak)
        );
        assert!(
            Argon2Hasher::new(
                Argon2Settings {
                    iterations: 2,
                    ..too_few_passes
                },
                1
            )
            .is_ok()
        );
        let no_lanes = Argon2Settings {
            parallelism: 0,
            ..Argon2Settings::default()
        };
        assert!(matches!(
            Argon2Hasher::new(no_lanes, 1),
            Err(Argon2SettingsError::Invalid(_))
        ));
    }
}
