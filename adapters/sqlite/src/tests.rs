//! What the repository contract cannot see: the file, its settings, its
//! schema version, and rows this adapter never writes.

use latch_domain::{
    PasswordHash, Session, SessionId, SessionRepository, StoreHealth, User, UserId, UserRepository,
    Username, UsernameKey,
};
use sqlx::Row;
use tempfile::TempDir;
use time::{Duration, OffsetDateTime};

use crate::{SqliteStore, migrations};

async fn pragma(store: &SqliteStore, name: &'static str) -> String {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA {name}")))
        .fetch_one(&store.pool)
        .await
        .unwrap();
    row.try_get::<String, _>(0)
        .or_else(|_| row.try_get::<i64, _>(0).map(|value| value.to_string()))
        .unwrap()
}

fn alice() -> User {
    User {
        id: UserId::from_random_bytes([1; 16]),
        username: Username::parse("Alice").unwrap(),
        password_hash: PasswordHash::new("$argon2id$v=19$m=47104,t=1,p=1$c2FsdA$aGFzaA"),
        created_at: OffsetDateTime::UNIX_EPOCH,
        last_login_at: None,
        credential_version: 0,
        disabled: false,
    }
}

#[tokio::test]
async fn the_first_run_creates_directory_and_file_with_the_right_settings() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("nested/data/latch.db");
    let store = SqliteStore::open(&path, 2).await.unwrap();
    assert!(path.is_file());
    assert_eq!(pragma(&store, "journal_mode").await, "wal");
    assert_eq!(pragma(&store, "foreign_keys").await, "1");
    assert_eq!(pragma(&store, "synchronous").await, "1", "NORMAL");
    assert_eq!(pragma(&store, "busy_timeout").await, "5000");
    assert_eq!(
        pragma(&store, "user_version").await,
        migrations::latest().to_string()
    );
    store.close().await;
}

#[tokio::test]
async fn reopening_keeps_the_data_and_the_schema_version() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("latch.db");
    let store = SqliteStore::open(&path, 1).await.unwrap();
    store.insert_user(&alice()).await.unwrap();
    store.close().await;

    let store = SqliteStore::open(&path, 1).await.unwrap();
    assert_eq!(
        pragma(&store, "user_version").await,
        migrations::latest().to_string()
    );
    assert_eq!(store.user_by_id(alice().id).await.unwrap(), Some(alice()));
    store.close().await;
}

#[tokio::test]
async fn a_database_from_a_newer_build_is_refused() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("latch.db");
    let store = SqliteStore::open(&path, 1).await.unwrap();
    sqlx::raw_sql("PRAGMA user_version = 999")
        .execute(&store.pool)
        .await
        .unwrap();
    store.close().await;

    let error = SqliteStore::open(&path, 1).await.unwrap_err();
    assert!(error.to_string().contains("schema version 999"), "{error}");
}

#[tokio::test]
async fn an_unusable_path_is_a_storage_error() {
    let dir = TempDir::new().unwrap();
    let file = dir.path().join("not-a-directory");
    std::fs::write(&file, b"").unwrap();
    let error = SqliteStore::open(&file.join("latch.db"), 1)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("cannot create"), "{error}");
}

#[tokio::test]
async fn corrupt_rows_are_storage_errors_not_panics() {
    let dir = TempDir::new().unwrap();
    let store = SqliteStore::open(&dir.path().join("latch.db"), 1)
        .await
        .unwrap();
    sqlx::raw_sql(
        "INSERT INTO users VALUES ('not-a-uuid', 'bob', 'bob', 'hash', 0, NULL, 0, 0);
         INSERT INTO users VALUES ('00000000-0000-4000-8000-000000000001', 'eve', 'eve', 'hash', 9223372036854775807, NULL, 0, 0);",
    )
    .execute(&store.pool)
    .await
    .unwrap();

    let bad_id = store.user_by_key(&UsernameKey::from_input("bob")).await;
    assert!(bad_id.unwrap_err().to_string().contains("user_id"));
    let bad_time = store.user_by_key(&UsernameKey::from_input("eve")).await;
    assert!(
        bad_time
            .unwrap_err()
            .to_string()
            .contains("user_created_at")
    );
}

#[tokio::test]
async fn deleting_an_account_deletes_its_sessions() {
    let dir = TempDir::new().unwrap();
    let store = SqliteStore::open(&dir.path().join("latch.db"), 1)
        .await
        .unwrap();
    store.insert_user(&alice()).await.unwrap();
    let session = Session {
        id: SessionId::from_bytes([3; 32]),
        user_id: alice().id,
        created_at: OffsetDateTime::UNIX_EPOCH,
        authenticated_at: OffsetDateTime::UNIX_EPOCH,
        last_seen_at: OffsetDateTime::UNIX_EPOCH,
        expires_at: OffsetDateTime::UNIX_EPOCH + Duration::hours(1),
        remember: false,
        credential_version: 0,
        user_agent: None,
        client_ip: None,
    };
    store.insert_session(&session).await.unwrap();

    sqlx::raw_sql("DELETE FROM users")
        .execute(&store.pool)
        .await
        .unwrap();
    let left: (i64,) = sqlx::query_as("SELECT count(*) FROM sessions")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    assert_eq!(left.0, 0);
}

#[tokio::test]
async fn a_session_of_an_unknown_account_is_refused() {
    let dir = TempDir::new().unwrap();
    let store = SqliteStore::open(&dir.path().join("latch.db"), 1)
        .await
        .unwrap();
    let orphan = Session {
        id: SessionId::from_bytes([4; 32]),
        user_id: alice().id,
        created_at: OffsetDateTime::UNIX_EPOCH,
        authenticated_at: OffsetDateTime::UNIX_EPOCH,
        last_seen_at: OffsetDateTime::UNIX_EPOCH,
        expires_at: OffsetDateTime::UNIX_EPOCH + Duration::hours(1),
        remember: false,
        credential_version: 0,
        user_agent: None,
        client_ip: None,
    };
    assert!(store.insert_session(&orphan).await.is_err());
}

#[tokio::test]
async fn a_closed_store_fails_instead_of_hanging() {
    let dir = TempDir::new().unwrap();
    let store = SqliteStore::open(&dir.path().join("latch.db"), 1)
        .await
        .unwrap();
    store.ping().await.unwrap();
    store.close().await;
    assert!(store.ping().await.is_err());
}
