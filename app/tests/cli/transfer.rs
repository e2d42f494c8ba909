//! `latch export` and `latch import` as an operator runs them: the real
//! binary on SQLite files, its messages and exit codes, and the export's
//! file: private, never written through a symbolic link, never over an
//! existing file without `--force`.

use std::{
    path::Path,
    process::{Command, Output},
};

use crate::support::latch_under_umask_000;

/// `latch` on the SQLite file at `database`, under `umask 000` (so a private
/// file is private by the binary's own doing).
fn command(database: &Path) -> Command {
    let mut command = latch_under_umask_000();
    command
        .env("LATCH__STORAGE__BACKEND", "sqlite")
        .env("LATCH__STORAGE__SQLITE__PATH", database);
    command
}

fn latch(database: &Path, args: &[&str]) -> Output {
    command(database)
        .args(args)
        .output()
        .expect("the binary runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

const ALICE: &str = r#"{"id":"0b5e7c9a-3f1d-4e2b-8a6c-1d2e3f4a5b6c","username":"Alice","password_hash":"$argon2id$v=19$m=47104,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g","created_at":"2026-01-02T03:04:05.678Z","last_login_at":null}"#;
const BOB: &str = r#"{"id":"1c6f8dab-4a2e-4f3c-9b7d-2e3f4a5b6c7d","username":"bob","password_hash":"$argon2id$v=19$m=47104,t=1,p=1$c2FsdHNhbHQ$Ym9iYm9i","created_at":"2026-01-02T03:04:05Z","last_login_at":"2026-02-03T04:05:06.789Z"}"#;

#[test]
fn import_then_export_gives_the_same_lines_and_a_second_import_skips_them() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("users.jsonl");
    std::fs::write(&input, format!("{BOB}\n{ALICE}\n")).unwrap();
    let database = dir.path().join("latch.db");

    let imported = latch(&database, &["import", "--in", input.to_str().unwrap()]);
    assert!(imported.status.success(), "{}", stderr(&imported));
    assert!(
        stderr(&imported).contains("imported 2 accounts"),
        "{}",
        stderr(&imported)
    );

    let again = latch(&database, &["import", "--in", input.to_str().unwrap()]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        stderr(&again).contains("imported 0 accounts")
            && stderr(&again).contains("skipped 2 already present"),
        "{}",
        stderr(&again)
    );

    let output = dir.path().join("export.jsonl");
    let exported = latch(&database, &["export", "--out", output.to_str().unwrap()]);
    assert!(exported.status.success(), "{}", stderr(&exported));
    assert!(
        stderr(&exported).contains("exported 2 accounts"),
        "{}",
        stderr(&exported)
    );
    assert_eq!(
        std::fs::read_to_string(&output).unwrap(),
        format!("{ALICE}\n{BOB}\n"),
        "in username order, every field kept"
    );
}

#[test]
fn a_malformed_line_is_named_and_the_exit_code_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("users.jsonl");
    std::fs::write(&input, format!("{ALICE}\n\n{{\"id\": 42}}\n{BOB}\n")).unwrap();
    let database = dir.path().join("latch.db");

    let imported = latch(&database, &["import", "--in", input.to_str().unwrap()]);
    assert!(!imported.status.success());
    let message = stderr(&imported);
    assert!(message.contains("line 3:"), "{message}");

    let output = dir.path().join("export.jsonl");
    assert!(
        latch(&database, &["export", "--out", output.to_str().unwrap()])
            .status
            .success()
    );
    let kept = std::fs::read_to_string(&output).unwrap();
    assert_eq!(
        kept.lines().count(),
        1,
        "the line before the bad one is in: {kept}"
    );
}

#[test]
fn a_missing_file_fails_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nowhere.jsonl");
    let output = latch(
        &dir.path().join("latch.db"),
        &["import", "--in", missing.to_str().unwrap()],
    );
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("nowhere.jsonl"),
        "{}",
        stderr(&output)
    );
}

/// A store at `dir/latch.db` holding Alice and Bob, and the lines their
/// export holds.
fn store_of_two(dir: &Path) -> (std::path::PathBuf, String) {
    let input = dir.join("users.jsonl");
    std::fs::write(&input, format!("{BOB}\n{ALICE}\n")).expect("the input is written");
    let database = dir.join("latch.db");
    let imported = latch(
        &database,
        &["import", "--in", input.to_str().expect("a UTF-8 path")],
    );
    assert!(imported.status.success(), "{}", stderr(&imported));
    (database, format!("{ALICE}\n{BOB}\n"))
}

#[cfg(unix)]
#[test]
fn export_creates_its_file_readable_by_its_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let (database, lines) = store_of_two(dir.path());
    let output = dir.path().join("export.jsonl");
    let exported = latch(&database, &["export", "--out", output.to_str().unwrap()]);
    assert!(exported.status.success(), "{}", stderr(&exported));
    assert_eq!(std::fs::read_to_string(&output).unwrap(), lines);
    assert_eq!(crate::support::mode_of(&output), "0600", "under umask 000");
}

#[cfg(unix)]
#[test]
fn export_refuses_an_existing_file_and_any_symbolic_link_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let (database, _) = store_of_two(dir.path());
    let existing = dir.path().join("existing.jsonl");
    std::fs::write(&existing, "kept\n").unwrap();
    let target = dir.path().join("target.jsonl");
    std::fs::write(&target, "kept\n").unwrap();
    let link = dir.path().join("link.jsonl");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let nowhere = dir.path().join("nowhere.jsonl");
    let dangling = dir.path().join("dangling.jsonl");
    std::os::unix::fs::symlink(&nowhere, &dangling).unwrap();

    for (out, says) in [
        (&existing, "already exists"),
        (&link, "is a symbolic link"),
        (&dangling, "is a symbolic link"),
    ] {
        let refused = latch(&database, &["export", "--out", out.to_str().unwrap()]);
        assert!(!refused.status.success(), "{}", out.display());
        let message = stderr(&refused);
        assert!(
            message.starts_with("latch: ")
                && message.contains(&out.display().to_string())
                && message.contains(says)
                && message.contains("--force"),
            "{message}"
        );
    }
    assert_eq!(std::fs::read_to_string(&existing).unwrap(), "kept\n");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "kept\n");
    assert_eq!(std::fs::read_link(&link).unwrap(), target);
    assert!(!nowhere.exists(), "the dangling link's target is not made");
}

#[cfg(unix)]
#[test]
fn export_with_force_replaces_a_file_or_a_link_itself_never_the_link_target() {
    let dir = tempfile::tempdir().unwrap();
    let (database, lines) = store_of_two(dir.path());
    let existing = dir.path().join("existing.jsonl");
    std::fs::write(&existing, "old\n").unwrap();
    let target = dir.path().join("target.jsonl");
    std::fs::write(&target, "kept\n").unwrap();
    let link = dir.path().join("link.jsonl");
    std::os::unix::fs::symlink(&target, &link).unwrap();

    for out in [&existing, &link] {
        let forced = latch(
            &database,
            &["export", "--force", "--out", out.to_str().unwrap()],
        );
        assert!(forced.status.success(), "{}", stderr(&forced));
        assert!(
            std::fs::symlink_metadata(out).unwrap().is_file(),
            "{} is now a file of its own",
            out.display()
        );
        assert_eq!(std::fs::read_to_string(out).unwrap(), lines);
        assert_eq!(crate::support::mode_of(out), "0600", "{}", out.display());
    }
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "kept\n");
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.starts_with('.'))
        .collect();
    assert!(left.is_empty(), "no temporary file left: {left:?}");
}

#[test]
fn export_to_a_dash_writes_standard_output() {
    let dir = tempfile::tempdir().unwrap();
    let (database, lines) = store_of_two(dir.path());
    let exported = command(&database)
        .args(["export", "--out", "-"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(exported.status.success(), "{}", stderr(&exported));
    assert_eq!(String::from_utf8_lossy(&exported.stdout), lines);
    assert!(
        stderr(&exported).contains("exported 2 accounts to standard output"),
        "{}",
        stderr(&exported)
    );
    assert!(!dir.path().join("-").exists());
}
