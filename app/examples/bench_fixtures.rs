//! Fixtures and one measurement for `scripts/bench.sh`, working on the store
//! and hasher the settings name (the same `LATCH__...` variables as `latch`):
//!
//! - `hash-time SAMPLES`: hashes a password with the configured Argon2id
//!   costs, SAMPLES times on every core at once and then SAMPLES times one
//!   at a time, and prints the costs (`argon2=m=...,t=...,p=...`) and the
//!   median time of one hash in each case (`t_hash_ms=...`,
//!   `t_hash_alone_ms=...`);
//! - `seed-sessions COUNT`: adds COUNT live sessions to the SQLite store,
//!   100 per account on accounts of their own (`seeded-00000`, ...), through
//!   the store adapter rather than HTTP;
//! - `throttle USERNAME`: counts failed sign-ins for USERNAME up to one
//!   short of the lockout, so that every sign-in attempt for it waits the
//!   longest delay (15 minutes) and is refused unchecked;
//! - `commit-time COUNT`: writes COUNT sessions to the SQLite store one at
//!   a time, each its own commit, with `storage.sqlite.synchronous` as
//!   configured, and prints the median time of one (`commit_ms=...`).
//!
//! Run with `cargo run --release --example bench_fixtures -- COMMAND ...`.

use std::{process::ExitCode, sync::Arc, time::Instant};

use latch::{Backend, Settings};
use latch_argon2::Argon2Hasher;
use latch_domain::{
    FailedAttempts, Password, PasswordHasher, Session, SessionRepository, SessionToken,
    SignInAttemptRepository, ThrottleKey, ThrottlePolicy, User, UserId, UserRepository, Username,
    UsernameKey,
};
use latch_sqlite::{SqliteOptions, SqliteStore};
use time::OffsetDateTime;
use tokio::task::JoinSet;

/// Sessions given to each seeded account.
const SESSIONS_PER_ACCOUNT: usize = 100;

/// Seeded sessions written at once (SQLite serialises them; overlapping
/// hides the hand-offs to the blocking pool).
const CONCURRENT_INSERTS: usize = 8;

const USAGE: &str = "usage: bench_fixtures hash-time SAMPLES | seed-sessions COUNT | throttle USERNAME | commit-time COUNT";

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
        ["throttle", username] => throttle(&settings, username).await,
        ["commit-time", count] => match count.parse() {
            Ok(count) if count > 0 => commit_time(&settings, count).await,
            _ => Err(USAGE.to_owned()),
        },
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

/// The median time of one hash with the configured costs, in milliseconds:
/// with one hash at a time, then with one on every core at once (the
/// situation `cores / t_hash` describes, where the cores share the memory
/// that Argon2 fills).
async fn hash_time(settings: &Settings, samples: usize) -> Result<(), String> {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let alone = median(timed_hashes(&hasher(settings, 1)?, samples).await?);
    let hasher = Arc::new(hasher(settings, cores)?);
    let mut workers = JoinSet::new();
    for _ in 0..cores {
        let hasher = Arc::clone(&hasher);
        workers.spawn(async move { timed_hashes(&hasher, samples).await });
    }
    let mut every_core = Vec::with_capacity(cores * samples);
    while let Some(worker) = workers.join_next().await {
        every_core.extend(worker.map_err(|error| error.to_string())??);
    }
    let costs = settings.argon2;
    println!(
        "argon2=m={},t={},p={}",
        costs.memory_kib, costs.iterations, costs.parallelism
    );
    println!("t_hash_ms={:.2}", median(every_core));
    println!("t_hash_alone_ms={alone:.2}");
    Ok(())
}

/// How long each of `samples` hashes, one after the other, took in
/// milliseconds.
async fn timed_hashes(hasher: &Argon2Hasher, samples: usize) -> Result<Vec<f64>, String> {
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
    Ok(millis)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// The configured hasher, running up to `concurrent` hashes at once.
fn hasher(settings: &Settings, concurrent: usize) -> Result<Argon2Hasher, String> {
    Argon2Hasher::new(settings.argon2, concurrent).map_err(|error| error.to_string())
}

async fn open_sqlite(settings: &Settings) -> Result<SqliteStore, String> {
    if settings.backend != Backend::Sqlite {
        return Err("the benchmark fixtures work on the SQLite store only".to_owned());
    }
    let options = SqliteOptions {
        read_connections: settings.sqlite.max_connections,
        synchronous: settings.sqlite.synchronous,
    };
    SqliteStore::open_with(&settings.sqlite.path, options)
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
    let password_hash = hasher(settings, 1)?
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
            groups: Vec::new(),
        };
        store
            .insert_user(&user)
            .await
            .map_err(|error| format!("{}: {error}", user.username.as_str()))?;
        let sessions = SESSIONS_PER_ACCOUNT.min(count - account * SESSIONS_PER_ACCOUNT);
        let mut pending = JoinSet::new();
        for _ in 0..sessions {
            if pending.len() == CONCURRENT_INSERTS {
                joined(pending.join_next().await)?;
            }
            let session = live_session(settings, user.id, now);
            let store = store.clone();
            pending.spawn(async move { store.insert_session(&session).await });
        }
        while let Some(result) = pending.join_next().await {
            joined(Some(result))?;
        }
    }
    Ok(())
}

/// A new session of `user_id`, made `now`, as a sign-in from this machine
/// would make it.
fn live_session(settings: &Settings, user_id: UserId, now: OffsetDateTime) -> Session {
    Session {
        id: random_token().id(),
        user_id,
        created_at: now,
        authenticated_at: now,
        last_seen_at: now,
        expires_at: settings.session.expiry(now, false),
        remember: false,
        credential_version: 0,
        user_agent: Some("bench_fixtures".to_owned()),
        client_ip: Some("127.0.0.1".to_owned()),
        proof: latch_domain::Proof::PASSWORD,
    }
}

type Inserted = Result<Result<(), latch_domain::StorageError>, tokio::task::JoinError>;

fn joined(result: Option<Inserted>) -> Result<(), String> {
    match result {
        Some(Ok(Ok(()))) | None => Ok(()),
        Some(Ok(Err(error))) => Err(error.to_string()),
        Some(Err(error)) => Err(error.to_string()),
    }
}

/// Writes `count` sessions of one new account, one after the other, and
/// prints the median time of one write (its own transaction and commit).
async fn commit_time(settings: &Settings, count: usize) -> Result<(), String> {
    let store = open_sqlite(settings).await?;
    let timed = timed_commits(settings, &store, count).await;
    store.close().await;
    println!("commit_ms={:.3}", median(timed?));
    Ok(())
}

async fn timed_commits(
    settings: &Settings,
    store: &SqliteStore,
    count: usize,
) -> Result<Vec<f64>, String> {
    let now = OffsetDateTime::now_utc();
    let user = User {
        id: UserId::from_random_bytes(random_bytes()),
        username: Username::parse("commit-timer").map_err(|error| error.to_string())?,
        password_hash: latch_domain::PasswordHash::new("$argon2id$not-a-real-hash"),
        created_at: now,
        last_login_at: None,
        credential_version: 0,
        disabled: false,
        groups: Vec::new(),
    };
    store
        .insert_user(&user)
        .await
        .map_err(|error| error.to_string())?;
    let mut millis = Vec::with_capacity(count);
    for _ in 0..count {
        let session = live_session(settings, user.id, now);
        let started = Instant::now();
        store
            .insert_session(&session)
            .await
            .map_err(|error| error.to_string())?;
        millis.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(millis)
}

/// Counts failed sign-ins for `username` up to one short of the lockout.
async fn throttle(settings: &Settings, username: &str) -> Result<(), String> {
    let store = open_sqlite(settings).await?;
    let key = ThrottleKey::username(&UsernameKey::from_input(username));
    let mut seen = None;
    let mut recorded = Ok(());
    while seen
        .is_none_or(|seen: FailedAttempts| seen.count + 1 < ThrottlePolicy::default().lockout_after)
    {
        let at = OffsetDateTime::now_utc();
        let counted = store.record_failed_attempt_if(&key, seen, at).await;
        match counted.and(store.failed_attempts(&key).await) {
            Ok(now) => seen = now,
            Err(error) => {
                recorded = Err(error.to_string());
                break;
            }
        }
    }
    store.close().await;
    recorded?;
    println!("throttled={username}");
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
