//! Argon2id password hashing for Latch.
//!
//! Hashes are PHC strings (`$argon2id$v=19$m=...,t=...,p=...$salt$hash`).
//! Hashing is CPU- and memory-heavy, so it runs on Tokio's blocking pool and
//! at most a fixed number of hashes run at once: a flood of sign-ins queues
//! here instead of starving the async workers or exhausting memory. Each
//! running hash has its working memory (`memory_kib`) kept for the next one,
//! so memory stays bounded by the number of hashes at once, and no hash pays
//! for fresh pages from the kernel.

use std::sync::{Arc, Mutex, PoisonError};

use argon2::{
    ARGON2ID_IDENT, Algorithm, Argon2, Block, Params, Version,
    password_hash::{
        self,
        phc::{self, Output, ParamsString, Salt},
    },
};
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
    memory: Arc<WorkingMemory>,
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
            memory: Arc::new(WorkingMemory::for_blocks(params.block_count())),
            params,
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
        })
    }

    /// Runs `job` on the blocking pool once a permit is free, with the
    /// configured costs and the shared working memory.
    async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce(&Params, &WorkingMemory) -> T + Send + 'static,
    ) -> Result<T, HasherError> {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(HasherError::new)?;
        let params = self.params.clone();
        let memory = Arc::clone(&self.memory);
        tokio::task::spawn_blocking(move || {
            let result = job(&params, &memory);
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
        self.run(move |params, memory| hash_with(params, password.expose().as_bytes(), memory))
            .await?
            .map(PasswordHash::new)
    }

    async fn verify(
        &self,
        password: &Password,
        hash: &PasswordHash,
    ) -> Result<Verification, HasherError> {
        let password = password.clone();
        let phc = hash.as_str().to_owned();
        self.run(move |configured, memory| {
            verify_with(configured, password.expose().as_bytes(), &phc, memory)
        })
        .await?
    }
}

/// Argon2's working memory (`memory_kib`, as 1 KiB blocks), kept between
/// hashes. A fresh allocation this large is mapped from the kernel, faulted
/// in page by page and zeroed on every hash, which costs about as much as the
/// hash itself. Each running hash holds one buffer, so there are never more
/// than the permits allow. A buffer needs no clearing between hashes:
/// Argon2 writes every block before it reads it.
struct WorkingMemory {
    /// The size of the buffers kept: the configured costs' block count.
    blocks: usize,
    spare: Mutex<Vec<Vec<Block>>>,
}

impl WorkingMemory {
    fn for_blocks(blocks: usize) -> Self {
        Self {
            blocks,
            spare: Mutex::new(Vec::new()),
        }
    }

    /// Runs `job` on a buffer of `blocks` blocks: a kept one for the
    /// configured costs, a fresh one (not kept) for other costs, such as a
    /// stored hash made before the costs changed.
    fn with<T>(&self, blocks: usize, job: impl FnOnce(&mut [Block]) -> T) -> T {
        if blocks != self.blocks {
            return job(&mut vec![Block::new(); blocks]);
        }
        let kept = self
            .spare
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let mut buffer = kept.unwrap_or_else(|| vec![Block::new(); blocks]);
        let result = job(&mut buffer);
        self.spare
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(buffer);
        result
    }

    /// How many buffers are kept right now.
    #[cfg(test)]
    fn kept(&self) -> usize {
        self.spare
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// Hashes `password` with a fresh random salt and the configured costs, as
/// a PHC string.
fn hash_with(
    params: &Params,
    password: &[u8],
    memory: &WorkingMemory,
) -> Result<String, HasherError> {
    let salt = password_hash::try_generate_salt().map_err(HasherError::new)?;
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut output = [0; Params::DEFAULT_OUTPUT_LEN];
    memory
        .with(params.block_count(), |blocks| {
            argon2.hash_password_into_with_memory(password, &salt, &mut output, blocks)
        })
        .map_err(HasherError::new)?;
    let hash = phc::PasswordHash {
        algorithm: ARGON2ID_IDENT,
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params).map_err(HasherError::new)?,
        salt: Some(Salt::new(&salt).map_err(HasherError::new)?),
        hash: Some(Output::new(&output).map_err(HasherError::new)?),
    };
    Ok(hash.to_string())
}

/// Checks `password` against a stored PHC string, with the algorithm,
/// version and costs the string names, comparing in constant time.
fn verify_with(
    configured: &Params,
    password: &[u8],
    phc: &str,
    memory: &WorkingMemory,
) -> Result<Verification, HasherError> {
    let parsed = phc::PasswordHash::new(phc).map_err(HasherError::new)?;
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        // A string with nothing to compare against matches no password.
        return Ok(Verification::Mismatch);
    };
    let algorithm = Algorithm::new(parsed.algorithm.as_str()).map_err(HasherError::new)?;
    let version = parsed
        .version
        .map(Version::try_from)
        .transpose()
        .map_err(HasherError::new)?
        .unwrap_or_default();
    let params = Params::try_from(&parsed).map_err(HasherError::new)?;
    let argon2 = Argon2::new(algorithm, version, params.clone());
    let mut buffer = [0; Output::MAX_LENGTH];
    let computed = buffer
        .get_mut(..expected.len())
        .ok_or_else(|| HasherError::new("the stored hash is longer than Argon2 makes"))?;
    memory
        .with(params.block_count(), |blocks| {
            argon2.hash_password_into_with_memory(password, salt, computed, blocks)
        })
        .map_err(HasherError::new)?;
    // `Output` compares in constant time.
    if Output::new(computed).map_err(HasherError::new)? != *expected {
        return Ok(Verification::Mismatch);
    }
    Ok(if is_current(&parsed, configured) {
        Verification::Match
    } else {
        Verification::MatchNeedsRehash
    })
}

/// Whether a hash was made with Argon2id, version 0x13 and these costs.
fn is_current(hash: &phc::PasswordHash, configured: &Params) -> bool {
    let same_costs = Params::try_from(hash).is_ok_and(|used| {
        used.m_cost() == configured.m_cost()
            && used.t_cost() == configured.t_cost()
            && used.p_cost() == configured.p_cost()
    });
    hash.algorithm == ARGON2ID_IDENT && hash.version == Some(Version::V0x13.into()) && same_costs
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
    async fn hashes_agree_with_the_reference_implementation_both_ways() {
        use argon2::{PasswordHasher as _, PasswordVerifier as _};

        let ours = hasher(CHEAPEST);
        let reference = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(CHEAPEST.memory_kib, CHEAPEST.iterations, 1, None).unwrap(),
        );
        let password = Password::new("correct horse battery staple");

        let made_here = ours.hash(&password).await.unwrap();
        let parsed = argon2::PasswordHash::new(made_here.as_str()).unwrap();
        assert!(
            reference
                .verify_password(b"correct horse battery staple", &parsed)
                .is_ok()
        );
        assert!(
            reference
                .verify_password(b"correct horse battery stapler", &parsed)
                .is_err()
        );

        let made_there = reference
            .hash_password(b"correct horse battery staple")
            .unwrap()
            .to_string();
        let made_there = PasswordHash::new(made_there);
        assert_eq!(
            ours.verify(&password, &made_there).await.unwrap(),
            Verification::Match
        );
        assert_eq!(
            ours.verify(&Password::new("correct horse battery stapler"), &made_there)
                .await
                .unwrap(),
            Verification::Mismatch
        );
    }

    #[tokio::test]
    async fn working_memory_is_kept_once_per_hash_running_at_once() {
        let hasher = hasher(CHEAPEST);
        let password = Password::new("correct horse battery staple");
        assert_eq!(hasher.memory.kept(), 0);
        let hash = hasher.hash(&password).await.unwrap();
        hasher.verify(&password, &hash).await.unwrap();
        assert_eq!(hasher.memory.kept(), 1, "one at a time: one buffer, reused");
        let (first, second, third) = tokio::join!(
            hasher.hash(&password),
            hasher.hash(&password),
            hasher.hash(&password)
        );
        for made in [first, second, third] {
            let made = made.unwrap();
            assert_eq!(
                hasher.verify(&password, &made).await.unwrap(),
                Verification::Match
            );
        }
        assert!(
            hasher.memory.kept() <= 2,
            "never more buffers than permits: {}",
            hasher.memory.kept()
        );
    }

    #[tokio::test]
    async fn a_hash_with_other_costs_does_not_change_the_kept_memory() {
        let old = hasher(Argon2Settings {
            memory_kib: MIN_MEMORY_KIB * 2,
            ..CHEAPEST
        });
        let password = Password::new("correct horse battery staple");
        let hash = old.hash(&password).await.unwrap();
        let current = hasher(CHEAPEST);
        assert_eq!(
            current.verify(&password, &hash).await.unwrap(),
            Verification::MatchNeedsRehash
        );
        assert_eq!(current.memory.kept(), 0, "a larger buffer is not kept");
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
