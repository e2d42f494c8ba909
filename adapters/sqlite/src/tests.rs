//! What the repository contract cannot see: the file, its settings, its
//! schema version, and rows this adapter never writes.

use latch_domain::{
    InsertUserError, PasswordHash, Session, SessionId, SessionRepository, StoreHealth, User,
    UserId, UserRepository, Username, UsernameKey, UsernameSkeleton,
};
use rusqlite::{Connection, types::ValueRef};
use tempfile::TempDir;
use time::{Duration, OffsetDateTime};

use crate::{SqliteOptions, SqliteStore, Synchronous, migrations, skeletons};

/// A setting of one of the store's connections, as text.
fn pragma(connection: &Connection, name: &str) -> String {
    connection
        .pragma_query_value(None, name, |row| {
            Ok(match row.get_ref(0)? {
                ValueRef::Text(text) => String::from_utf8_lossy(text).into_owned(),
                other => other.as_i64()?.to_string(),
            })
        })
        .unwrap()
}

/// Runs SQL on the store's write connection.
async fn write_sql(store: &SqliteStore, sql: &'static str) {
    store
        .write(move |connection| connection.execute_batch(sql).map_err(crate::error::storage))
        .await
        .unwrap();
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
        groups: Vec::new(),
    }
}

#[tokio::test]
async fn the_first_run_creates_directory_and_file_with_the_right_settings() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("nested/data/latch.db");
    let store = SqliteStore::open(&path, 2).await.unwrap();
    assert!(path.is_file());
    let writer = store
        .write(|connection| {
            Ok([
                "journal_mode",
                "foreign_keys",
                "synchronous",
                "busy_timeout",
                "user_version",
            ]
            .map(|name| pragma(connection, name)))
        })
        .await
        .unwrap();
    assert_eq!(writer[0], "wal");
    assert_eq!(writer[1], "1");
    assert_eq!(writer[2], "2", "FULL");
    assert_eq!(writer[3], "5000");
    assert_eq!(writer[4], migrations::latest().to_string());
    let readers = store.on_every_reader(|connection| {
        ["journal_mode", "query_only", "busy_timeout", "synchronous"]
            .map(|name| pragma(connection, name))
    });
    assert_eq!(readers.len(), 2);
    for reader in readers {
        assert_eq!(reader, ["wal", "1", "250", "2"]);
    }
    store.close().await;
}

#[tokio::test]
async fn synchronous_normal_is_set_on_every_connection() {
    let dir = TempDir::new().unwrap();
    let options = SqliteOptions {
        read_connections: 3,
        synchronous: Synchronous::Normal,
    };
    let store = SqliteStore::open_with(&dir.path().join("latch.db"), options)
        .await
        .unwrap();
    let writer = store
        .write(|connection| Ok(pragma(connection, "synchronous")))
        .await
        .unwrap();
    assert_eq!(writer, "1", "NORMAL");
    let readers = store.on_every_reader(|connection| pragma(connection, "synchronous"));
    assert_eq!(readers, ["1", "1", "1"]);
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
    let version = store
        .read(|connection| Ok(pragma(connection, "user_version")))
        .unwrap();
    assert_eq!(version, migrations::latest().to_string());
    assert_eq!(store.user_by_id(alice().id).await.unwrap(), Some(alice()));
    store.close().await;
}

#[tokio::test]
async fn a_database_from_a_newer_build_is_refused() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("latch.db");
    let store = SqliteStore::open(&path, 1).await.unwrap();
    write_sql(&store, "PRAGMA user_version = 999").await;
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
    write_sql(
        &store,
        "INSERT INTO users VALUES ('not-a-uuid', 'bob', 'bob', 'hash', 0, NULL, 0, 0, NULL);
         INSERT INTO users VALUES ('00000000-0000-4000-8000-000000000001', 'eve', 'eve', 'hash', 9223372036854775807, NULL, 0, 0, NULL);",
    )
    .await;

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
        proof: latch_domain::Proof::PASSWORD,
    };
    store.insert_session(&session).await.unwrap();

    write_sql(&store, "DELETE FROM users").await;
    let left: i64 = store
        .read(|connection| {
            connection
                .query_row("SELECT count(*) FROM sessions", [], |row| row.get(0))
                .map_err(crate::error::storage)
        })
        .unwrap();
    assert_eq!(left, 0);
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
        proof: latch_domain::Proof::PASSWORD,
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
    assert!(store.user_by_id(alice().id).await.is_err(), "a read");
    assert!(store.insert_user(&alice()).await.is_err(), "a write");
}

#[tokio::test]
async fn reads_go_on_while_another_process_holds_the_write_lock() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("latch.db");
    let store = SqliteStore::open(&path, 1).await.unwrap();
    store.insert_user(&alice()).await.unwrap();
    let intruder = Connection::open(&path).unwrap();
    intruder
        .execute_batch("BEGIN IMMEDIATE; DELETE FROM users;")
        .unwrap();

    let alice = alice();
    let key = alice.username.key();
    assert_eq!(store.user_by_key(key).await.unwrap(), Some(alice.clone()));
    intruder.execute_batch("COMMIT").unwrap();
    assert_eq!(store.user_by_key(key).await.unwrap(), None);
}

/// The permission bits of `path`, in octal.
#[cfg(unix)]
fn mode_of(path: &std::path::Path) -> String {
    use std::os::unix::fs::PermissionsExt;
    format!(
        "{:04o}",
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    )
}

#[cfg(unix)]
#[tokio::test]
async fn the_directories_it_creates_are_0700_and_the_database_files_0600() {
    let dir = TempDir::new().unwrap();
    let data = dir.path().join("nested/data");
    let path = data.join("latch.db");
    let store = SqliteStore::open(&path, 2).await.unwrap();
    store.insert_user(&alice()).await.unwrap();
    // Under the usual umask (0022) SQLite alone makes them 0755 and 0644.
    assert_eq!(mode_of(&dir.path().join("nested")), "0700", "nested");
    assert_eq!(mode_of(&data), "0700", "the data directory");
    for file in ["latch.db", "latch.db-wal", "latch.db-shm"] {
        assert_eq!(mode_of(&data.join(file)), "0600", "{file}");
    }
    store.close().await;
}

/// The username skeletons as stored, by username, in the order stored.
async fn stored_skeletons(store: &SqliteStore) -> Vec<(String, Option<String>)> {
    store
        .read(|connection| {
            let mut statement = connection
                .prepare("SELECT username, username_skeleton FROM users ORDER BY rowid")
                .map_err(crate::error::storage)?;
            let rows = statement
                .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
                .map_err(crate::error::storage)?;
            rows.collect::<Result<_, _>>()
                .map_err(crate::error::storage)
        })
        .unwrap()
}

#[tokio::test]
async fn a_database_from_before_skeletons_gets_them_when_opened() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("latch.db");
    // Schema version 3, with accounts as that version stored them: a
    // Cyrillic look-alike of alice stored before her, and bob.
    {
        let connection = Connection::open(&path).unwrap();
        for migration in &migrations::history()[..3] {
            connection.execute_batch(migration).unwrap();
        }
        connection
            .execute_batch(
                "PRAGMA user_version = 3;
                 INSERT INTO users (id, username, username_key, password_hash, created_at)
                 VALUES ('00000000-0000-4000-8000-00000000000a', '\u{0430}lice', '\u{0430}lice', '$h', 1),
                        ('00000000-0000-4000-8000-00000000000b', 'Alice', 'alice', '$h', 2),
                        ('00000000-0000-4000-8000-00000000000c', 'bob', 'bob', '$h', 3);",
            )
            .unwrap();
    }

    let store = SqliteStore::open(&path, 1).await.unwrap();
    let alike = UsernameSkeleton::from_input("alice");
    let bob = UsernameSkeleton::from_input("bob");
    assert_eq!(
        stored_skeletons(&store).await,
        [
            ("\u{0430}lice".to_owned(), Some(alike.as_str().to_owned())),
            ("Alice".to_owned(), None),
            ("bob".to_owned(), Some(bob.as_str().to_owned())),
        ],
        "the account stored first holds the skeleton; its look-alike keeps none"
    );
    for name in ["\u{0430}lice", "ALICE", "bob"] {
        let found = store.user_by_key(&UsernameKey::from_input(name)).await;
        assert!(found.unwrap().is_some(), "{name:?} still signs in");
    }
    let look_alike = User {
        id: UserId::from_random_bytes([9; 16]),
        username: Username::parse("a1ice").unwrap(),
        ..alice()
    };
    let refused = store.insert_user(&look_alike).await;
    assert!(
        matches!(refused, Err(InsertUserError::UsernameTaken)),
        "{refused:?}"
    );

    // Every later opening tries the one left again, and finds it still held.
    let again = store.write(skeletons::fill_in).await.unwrap();
    assert_eq!(again, skeletons::Filled { filled: 0, left: 1 });
    store.close().await;
}

#[tokio::test]
async fn a_skeleton_freed_by_a_deletion_goes_to_the_look_alike_at_the_next_opening() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("latch.db");
    let store = SqliteStore::open(&path, 1).await.unwrap();
    let first = User {
        id: UserId::from_random_bytes([5; 16]),
        username: Username::from_stored("\u{0430}lice".to_owned()),
        ..alice()
    };
    store.insert_user(&first).await.unwrap();
    write_sql(&store, "UPDATE users SET username_skeleton = NULL").await;
    store.insert_user(&alice()).await.unwrap();
    write_sql(&store, "UPDATE users SET username_skeleton = NULL").await;
    let filled = store.write(skeletons::fill_in).await.unwrap();
    assert_eq!(filled, skeletons::Filled { filled: 1, left: 1 });
    assert!(store.delete_user(first.id).await.unwrap());
    store.close().await;

    let store = SqliteStore::open(&path, 1).await.unwrap();
    let alike = UsernameSkeleton::from_input("alice");
    assert_eq!(
        stored_skeletons(&store).await,
        [("Alice".to_owned(), Some(alike.as_str().to_owned()))]
    );
    store.close().await;
}
