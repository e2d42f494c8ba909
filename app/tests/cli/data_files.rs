//! The SQLite store's files as the binary leaves them: the data directory
//! `0700` and the database files `0600` whatever the umask, and a warning at
//! start-up for ones that group or others can read or write.

use std::{fs::Permissions, io::Read, os::unix::fs::PermissionsExt, path::Path};

use crate::support::{latch, latch_under_umask_000, listening_address, mode_of, terminate};

#[test]
fn a_first_run_under_umask_000_leaves_every_file_private() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut child = latch_under_umask_000()
        .env("LATCH__STORAGE__BACKEND", "sqlite")
        .env("LATCH__STORAGE__SQLITE__PATH", data.join("latch.db"))
        .spawn()
        .unwrap();
    listening_address(&mut child);
    // While it serves, SQLite keeps its -wal and -shm files beside the
    // database.
    let modes = [
        "data",
        "data/latch.db",
        "data/latch.db-wal",
        "data/latch.db-shm",
    ]
    .map(|part| (part, mode_of(&dir.path().join(part))));
    terminate(&child);
    assert!(child.wait().unwrap().success());
    assert_eq!(
        modes,
        [
            ("data", "0700".to_owned()),
            ("data/latch.db", "0600".to_owned()),
            ("data/latch.db-wal", "0600".to_owned()),
            ("data/latch.db-shm", "0600".to_owned()),
        ]
    );
}

/// Runs `latch user list` on the SQLite file at `database`; returns its
/// stderr, after checking that it succeeded.
fn list_users(database: &Path) -> String {
    let mut child = latch()
        .args(["user", "list"])
        .env("LATCH__STORAGE__BACKEND", "sqlite")
        .env("LATCH__STORAGE__SQLITE__PATH", database)
        .spawn()
        .expect("latch starts");
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr is piped")
        .read_to_string(&mut stderr)
        .expect("stderr is readable");
    assert!(child.wait().expect("latch exits").success(), "{stderr}");
    stderr
}

#[test]
fn a_directory_or_database_file_open_to_others_is_warned_about_at_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let database = data.join("latch.db");
    let first = list_users(&database);
    assert!(!first.contains("WARN"), "nothing to warn about: {first}");

    std::fs::set_permissions(&data, Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&database, Permissions::from_mode(0o644)).unwrap();
    let logs = list_users(&database);
    for (path, mode) in [(&data, "0755"), (&database, "0644")] {
        let path = path.display().to_string();
        let warned = logs.lines().any(|line| {
            line.contains("WARN")
                && line.contains("readable or writable by group or others")
                && line.contains(&format!("path={path} "))
                && line.contains(&format!("mode={mode}"))
        });
        assert!(warned, "a warning naming {path} and {mode} in:\n{logs}");
    }
}
