//! Fixtures and one measurement for `scripts/bench.sh`, working on the store
//! and hasher the settings name (the same `LATCH__...` variables as `latch`):
//!
//! - `hash-time SAMPLES`: hashes a password SAMPLES times with the
//!   configured Argon2id costs, one at a time, and prints the costs
//!   (`argon2=m=...,t=...,p=...`) and the median time (`t_hash_ms=...`);
//! - `seed-sessions COUNT`: adds COUNT live sessions to the SQLite store,
//!   100 per account on accounts of their own (`seeded-00000`, ...), through
//!   the store adapter rather than HTTP;
//! - `lock-out USERNAME`: counts failed sign-ins for USERNAME until it is
//!   locked out, so that every sign-in attempt for it is throttled.
//!
//! Run with `cargo run --release --example bench_fixtures -- COMMAND ...`.

use std::{process::ExitCode, time::Instant};

use latch::{Backend, Settings};
use latch_argon2::Argon2Hasher;
use latch_domain::{
    LoginAttemptRepository, Password, PasswordHasher, Session, SessionRepository, SessionToken,
    ThrottlePolicy, User, UserId, UserRepository, Username, UsernameKey,
};
use latch_sqlite::SqliteStore;
use time::OffsetDateTime;

/// Sessions given to each seeded account.
const SESSIONS_PER_ACCOUNT: usize = 100;

/// Seeded sessions written at once (SQLite serialises them; overlapping
/// hides the round trips to its worker threads).
const CONCURRENT_INSERTS: usize = 8;

const USAGE: &str =
    "usage: bench_fixtures hash-time SAMPLES | seed-sessions COUNT | lock-out USERNAME";

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let settings = match Settings::load() {
        Ok(settings) => settings,
        Err(error) => return fail(&error),
    };
    let done = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["hash-time", samples] => match samples.parse() {
            Ok(samples) if samples > 0 => hash_time(&settings, samples).await,
            _ => Err(USAGE.to_owned()),
        },
        ["seed-sessions", count] => match count.parse() {
            Ok(count) => seed_sessions(&settings, count).await,
            Err(_) => Err(USAGE.to_owned()),
        },
        ["lock-out", username] => lock_out(&settings, username).await,
        _ => Err(USAGE.to_owned()),
    };
    match done {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(&error),
    }
}

fn fail(error: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("bench_fixtures: {error}");
    ExitCode::FAILURE
}

/// The median time of one hash with the configured costs, in milliseconds.
async fn hash_time(settings: &Settings, samples: usize) -> Result<(), String> {
    let hasher = hasher(settings)?;
    let password = Password::new("a benchmark password of some length");
    let mut millis = Vec::with_capacity(samples);
    for _ in 0..samples {
        let started = Instant::now();
        hasher
            .hash(&password)
            .await
            .map_err(|error| error.to_string())?;
        millis.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    millis.sort_by(f64::total_cmp);
    let costs = settings.argon2;
    println!(
        "argon2=m={},t={},p={}",
        costs.memory_kib, costs.iterations, costs.parallelism
    );
    println!("t_hash_ms={:.2}", millis[millis.len() / 2]);
    Ok(())
}

fn hasher(settings: &Settings) -> Result<Argon2Hasher, String> {
    Argon2Hasher::new(settings.argon2, 1).map_err(|error| error.to_string())
}

async fn open_sqlite(settings: &Settings) -> Result<SqliteStore, String> {
    if settings.backend != Backend::Sqlite {
        return Err("the benchmark fixtures work on the SQLite store only".to_owned());
    }
    SqliteStore::open(&settings.sqlite.path, settings.sqlite.max_connections)
        .await
        .map_err(|error| format!("{}: {error}", settings.sqlite.path.display()))
}

/// Adds `count` live sessions, 100 per new account.
async fn seed_sessions(settings: &Settings, count: usize) -> Result<(), String> {
    let store = open_sqlite(settings).await?;
    let seeded = seed_into(settings, &store, count).await;
    store.close().await;
    seeded?;
    println!("seeded_sessions={count}");
    Ok(())
}

async fn seed_into(settings: &Settings, store: &SqliteStore, count: usize) -> Result<(), String> {
    // Nobody signs in to these accounts: one real hash serves them all.
    let password_hash = hasher(settings)?
        .hash(&Password::new(random_token().encode()))
        .await
        .map_err(|error| error.to_string())?;
    let now = OffsetDateTime::now_utc();
    let now = now.replace_millisecond(now.millisecond()).unwrap_or(now);
    let accounts = count.div_ceil(SESSIONS_PER_ACCOUNT);
    for account in 0..accounts {
        let user = User {
            id: UserId::from_random_bytes(random_bytes()),
            username: Username::parse(&format!("seeded-{account:05}"))
                .map_err(|error| error.to_string())?,
            password_hash: password_hash.clone(),
            created_at: now,
            last_login_at: None,
            credential_version: 0,
            disabled: false,
        };
        store
            .insert_user(&user)
            .await
            .map_err(|error| format!("{}: {error}", user.username.as_str()))?;
        let sessions = SESSIONS_PER_ACCOUNT.min(count - account * SESSIONS_PER_ACCOUNT);
        let mut pending = tokio::task::JoinSet::new();
        for _ in 0..sessions {
            if pending.len() == CONCURRENT_INSERTS {
                joined(pending.join_next().await)?;
            }
            let session = Session {
                id: random_token().id(),
                user_id: user.id,
                created_at: now,
                authenticated_at: now,
                last_seen_at: now,
                expires_at: settings.session.expiry(now, false),
                remember: false,
                credential_version: 0,
                user_agent: Some("bench_fixtures".to_owned()),
                client_ip: Some("127.0.0.1".to_owned()),
            };
            let store = store.clone();
            pending.spawn(async move { store.insert_session(&session).await });
        }
        while let Some(result) = pending.join_next().await {
            joined(Some(result))?;
        }
    }
    Ok(())
}

type Inserted = Result<Result<(), latch_domain::StorageError>, tokio::task::JoinError>;

fn joined(result: Option<Inserted>) -> Result<(), String> {
    match result {
        Some(Ok(Ok(()))) | None => Ok(()),
        Some(Ok(Err(error))) => Err(error.to_string()),
        Some(Err(error)) => Err(error.to_string()),
    }
}

/// Counts failed sign-ins for `username` up to the lockout.
async fn lock_out(settings: &Settings, username: &str) -> Result<(), String> {
    let store = open_sqlite(settings).await?;
    let key = UsernameKey::from_input(username);
    let mut failures = 0;
    let mut recorded = Ok(());
    while failures < ThrottlePolicy::default().lockout_after {
        match store
            .record_failed_attempt(&key, OffsetDateTime::now_utc())
            .await
        {
            Ok(attempts) => failures = attempts.count,
            Err(error) => {
                recorded = Err(error.to_string());
                break;
            }
        }
    }
    store.close().await;
    recorded?;
    println!("locked_out={username}");
    Ok(())
}

fn random_token() -> SessionToken {
    SessionToken::from_random_bytes(random_bytes())
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0; N];
    #[allow(clippy::expect_used)]
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    bytes
}
