//! What validating a session cookie costs the domain: parsing the token,
//! digesting it, and `Visitors::signed_in` on the in-memory store with
//! 10 and with 100,000 sessions stored. (The store's own cost is measured
//! end to end by `scripts/bench.sh`.)

use std::{hint::black_box, sync::Arc};

use async_trait::async_trait;
use criterion::{BenchmarkId, Criterion, criterion_main};
use latch_domain::{
    Authenticator, Clock, HasherError, KeyedDigest, NoEvents, Password, PasswordHash,
    PasswordHasher, Policies, Ports, SealedSecret, SecretSealer, Session, SessionRepository,
    SessionToken, TokenSource, User, UserId, UserRepository, Username, Verification, Visitors,
};
use latch_memory::MemoryStore;
use time::{Duration, OffsetDateTime, macros::datetime};
use tokio::runtime::Runtime;

/// The benchmark's "now". Sessions were issued ten seconds before, so no
/// lookup has to write `last_seen_at`.
const NOW: OffsetDateTime = datetime!(2026-01-02 03:04:05 UTC);

struct FixedClock;

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        NOW
    }
}

/// Only `Authenticator::new` asks for a token (for its dummy password).
struct FixedTokens;

impl TokenSource for FixedTokens {
    fn session_token(&self) -> SessionToken {
        SessionToken::from_random_bytes([0x5A; 32])
    }

    fn user_id(&self) -> UserId {
        UserId::from_random_bytes([7; 16])
    }

    fn device_nonce(&self) -> [u8; 16] {
        [7; 16]
    }

    fn totp_secret(&self) -> [u8; latch_domain::second_factor::TOTP_SECRET_LEN] {
        [8; 20]
    }

    fn recovery_code(&self) -> [u8; latch_domain::second_factor::RECOVERY_CODE_LEN] {
        [9; 10]
    }

    fn pending_token(&self) -> latch_domain::PendingToken {
        latch_domain::PendingToken::from_random_bytes([10; 32])
    }
}

/// Validation seals nothing: a sealer that keeps secrets as they are.
struct NoSealing;

impl SecretSealer for NoSealing {
    fn seal(&self, secret: &[u8]) -> SealedSecret {
        SealedSecret::from_bytes(secret.to_vec())
    }

    fn open(&self, sealed: &SealedSecret) -> Option<zeroize::Zeroizing<Vec<u8>>> {
        Some(zeroize::Zeroizing::new(sealed.as_bytes().to_vec()))
    }
}

/// Validation signs nothing.
struct NoDigests;

impl KeyedDigest for NoDigests {
    fn digest(&self, _purpose: &str, _message: &[u8]) -> [u8; 32] {
        [0; 32]
    }
}

/// Validation never hashes; the constructor's dummy hash is all it asks.
struct NoHashing;

#[async_trait]
impl PasswordHasher for NoHashing {
    async fn hash(&self, _password: &Password) -> Result<PasswordHash, HasherError> {
        Ok(PasswordHash::new("$argon2id$unused"))
    }

    async fn verify(
        &self,
        _password: &Password,
        _hash: &PasswordHash,
    ) -> Result<Verification, HasherError> {
        Ok(Verification::Mismatch)
    }
}

/// A distinct token for each number.
fn token(number: u64) -> SessionToken {
    let mut bytes = [0xA5; 32];
    bytes[..8].copy_from_slice(&number.to_le_bytes());
    SessionToken::from_random_bytes(bytes)
}

/// An authenticator over a memory store holding `sessions` live sessions of
/// one account, the tokens of the sessions being `token(0..sessions)`.
fn visitors(runtime: &Runtime, sessions: u64) -> Visitors {
    let store = MemoryStore::new();
    let issued = NOW - Duration::seconds(10);
    let user = User {
        id: UserId::from_random_bytes([1; 16]),
        username: Username::parse("alice").expect("a valid username"),
        password_hash: PasswordHash::new("$argon2id$unused"),
        created_at: issued,
        last_login_at: Some(issued),
        credential_version: 0,
        disabled: false,
        groups: Vec::new(),
    };
    let policies = Policies::default();
    runtime.block_on(async {
        store.insert_user(&user).await.expect("a new account");
        for number in 0..sessions {
            let session = Session {
                id: token(number).id(),
                user_id: user.id,
                created_at: issued,
                authenticated_at: issued,
                last_seen_at: issued,
                expires_at: policies.session.expiry(issued, false),
                remember: false,
                credential_version: 0,
                user_agent: Some("criterion".to_owned()),
                client_ip: Some("127.0.0.1".to_owned()),
                proof: latch_domain::Proof::PASSWORD,
            };
            store.insert_session(&session).await.expect("a new session");
        }
        let store = Arc::new(store);
        let ports = Ports {
            users: store.clone(),
            sessions: store.clone(),
            groups: store.clone(),
            second_factors: store.clone(),
            pending: store.clone(),
            attempts: store,
            sealer: Arc::new(NoSealing),
            hasher: Arc::new(NoHashing),
            clock: Arc::new(FixedClock),
            tokens: Arc::new(FixedTokens),
            events: Arc::new(NoEvents),
            digests: Arc::new(NoDigests),
        };
        Authenticator::new(ports, policies)
            .await
            .expect("the authenticator")
            .visitors()
    })
}

fn session_validation(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");

    let cookie = token(3).encode();
    c.bench_function("session_token/parse_and_digest", |b| {
        b.iter(|| SessionToken::parse(black_box(&cookie)).map(|token| token.id()));
    });

    let mut group = c.benchmark_group("signed_in");
    for sessions in [10, 100_000] {
        let auth = visitors(&runtime, sessions);
        let live = token(sessions / 2);
        group.bench_with_input(
            BenchmarkId::new("live_session", sessions),
            &live,
            |b, live| {
                b.iter(|| {
                    let signed_in = runtime.block_on(auth.signed_in(black_box(live)));
                    assert!(matches!(signed_in, Ok(Some(_))));
                });
            },
        );
        let unknown = token(sessions + 1);
        group.bench_with_input(
            BenchmarkId::new("unknown_token", sessions),
            &unknown,
            |b, unknown| {
                b.iter(|| {
                    let signed_in = runtime.block_on(auth.signed_in(black_box(unknown)));
                    assert!(matches!(signed_in, Ok(None)));
                });
            },
        );
    }
    group.finish();
}

/// Criterion's generated entry points, kept out of the crate's public items.
mod entry {
    criterion::criterion_group!(benches, super::session_validation);
}

criterion_main!(entry::benches);
