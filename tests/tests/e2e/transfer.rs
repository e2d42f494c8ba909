//! Moving a deployment between stores without anyone resetting a password:
//! accounts made through the pages on SQLite, with their groups, are
//! exported, imported into MongoDB, signed in to there, and moved back to a
//! new SQLite file. Needs
//! `MONGODB_URI`; without it, prints `SKIPPED: ...` and returns.

use latch::transfer::{ImportReport, export_users, import_users};
use latch_sqlite::SqliteStore;
use latch_tests::{browser::Browser, contract::skip, mongo::TestDatabase, server::TestServer};
use reqwest::StatusCode;

const PASSWORD: &str = "correct horse battery staple";

async fn can_sign_in(server: &TestServer, username: &str) -> bool {
    let browser = Browser::new(server.base_url());
    let signed_in = browser.log_in(username, PASSWORD).await;
    signed_in.status == StatusCode::SEE_OTHER
        && browser.get("/").await.contains("You are logged in")
}

#[tokio::test]
async fn accounts_move_from_sqlite_to_mongodb_and_back_with_their_passwords() {
    let Ok(database) = TestDatabase::new().inspect_err(|why| skip("transfer", why)) else {
        return;
    };

    // Accounts made the ordinary way, on SQLite.
    let mut on_sqlite = TestServer::start().await;
    let browser = Browser::new(on_sqlite.base_url());
    for name in ["Alice", "bob", "Zoë"] {
        assert_eq!(
            browser.register(name, PASSWORD).await.status,
            StatusCode::SEE_OTHER
        );
    }
    assert!(can_sign_in(&on_sqlite, "alice").await);
    let operators = on_sqlite.operators();
    for (group, members) in [("admins", &["alice"][..]), ("ops", &["alice", "bob"])] {
        operators.create_group(group).await.unwrap();
        for member in members {
            assert!(operators.add_to_group(group, member).await.unwrap());
        }
    }
    on_sqlite.stop().await;
    let sqlite = SqliteStore::open(&on_sqlite.data_dir().join("latch.db"), 1)
        .await
        .unwrap();
    let mut file = Vec::new();
    assert_eq!(export_users(&sqlite, &mut file).await.unwrap(), 3);
    sqlite.close().await;
    let text = String::from_utf8(file.clone()).unwrap();
    assert!(!text.contains(PASSWORD), "never a plain password");
    assert_eq!(text.matches(r#""password_hash":"$argon2id$"#).count(), 3);
    assert!(text.contains(r#""groups":["admins","ops"]"#), "{text}");

    // Into MongoDB; a second run skips what is there.
    let mongo = database.store().await;
    let report = import_users(&mongo, &mongo, &mut file.as_slice())
        .await
        .unwrap();
    assert_eq!((report.imported, report.memberships), (3, 3));
    let again = import_users(&mongo, &mongo, &mut file.as_slice())
        .await
        .unwrap();
    assert_eq!(
        again,
        ImportReport {
            imported: 0,
            already_present: 3,
            username_taken: 0,
            memberships: 0
        }
    );
    let on_mongo = TestServer::start_with(&database.overrides()).await;
    assert!(can_sign_in(&on_mongo, "ALICE").await, "same password works");
    let members = on_mongo.operators().group_members("ops").await.unwrap();
    let members: Vec<&str> = members.iter().map(|name| name.as_str()).collect();
    assert_eq!(members, ["Alice", "bob"]);
    assert!(can_sign_in(&on_mongo, "zoë").await);
    assert!(!can_sign_in(&on_mongo, "mallory").await);

    // And back, to a new SQLite file, last sign-ins included.
    let mut file = Vec::new();
    assert_eq!(export_users(&mongo, &mut file).await.unwrap(), 3);
    let back = tempfile::tempdir().unwrap();
    let path = back.path().join("latch.db");
    let sqlite = SqliteStore::open(&path, 1).await.unwrap();
    let report = import_users(&sqlite, &sqlite, &mut file.as_slice())
        .await
        .unwrap();
    assert_eq!(report.imported, 3);
    let mut round_trip = Vec::new();
    export_users(&sqlite, &mut round_trip).await.unwrap();
    assert_eq!(
        round_trip, file,
        "every field and membership survives the round trip"
    );
    sqlite.close().await;
    let path = path.display().to_string();
    let on_sqlite_again = TestServer::start_with(&[("LATCH__STORAGE__SQLITE__PATH", &path)]).await;
    assert!(can_sign_in(&on_sqlite_again, "bob").await);
}
