//! `latch export` and `latch import` as an operator runs them: the real
//! binary on SQLite files, its messages and exit codes.

use std::{
    path::Path,
    process::{Command, Output},
};

fn latch(database: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_latch"))
        .args(args)
        .env_remove("LATCH_ENV")
        .env_remove("RUST_LOG")
        .env("LATCH__STORAGE__BACKEND", "sqlite")
        .env("LATCH__STORAGE__SQLITE__PATH", database)
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
