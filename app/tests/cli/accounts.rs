//! `latch user ...`, `latch group ...` and `latch sessions ...` as an
//! operator runs them: the real binary on a SQLite file, next to a real
//! server on the same file.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    path::{Path, PathBuf},
    process::{Child, Command, Output, Stdio},
    time::Duration,
};

const PASSWORD: &str = "correct horse battery staple";
/// The user agent every request here sends.
const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

/// The database file in a data directory the binary makes, private, on
/// its first run (a temporary directory itself is 0755, which start-up
/// warns about).
fn database_in(dir: &Path) -> PathBuf {
    dir.join("data").join("latch.db")
}

fn command(database: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_latch"));
    command
        .env_remove("LATCH_ENV")
        .env_remove("RUST_LOG")
        .env("LATCH__SERVER__LISTEN", "127.0.0.1:0")
        .env("LATCH__METRICS__LISTEN", "127.0.0.1:0")
        .env("LATCH__LOG__LEVEL", "warn")
        .env("LATCH__STORAGE__BACKEND", "sqlite")
        .env("LATCH__STORAGE__SQLITE__PATH", database);
    command
}

/// Runs `latch ARGS` with `stdin` as standard input.
fn latch_with_input(database: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = command(database)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn latch(database: &Path, args: &[&str]) -> Output {
    latch_with_input(database, args, "")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts success and returns stderr's message.
fn succeeds(output: &Output) -> String {
    assert!(output.status.success(), "{}", stderr(output));
    stderr(output)
}

/// Asserts failure with one line on stderr, and returns it.
fn fails(output: &Output) -> String {
    assert!(!output.status.success(), "{}", stdout(output));
    let message = stderr(output);
    assert_eq!(message.lines().count(), 1, "one line: {message}");
    assert!(message.starts_with("latch: "), "{message}");
    message
}

/// `latch serve` on the same file, stopped when dropped.
struct Server {
    child: Child,
    address: String,
}

impl Server {
    fn start(database: &Path) -> Self {
        let mut child = command(database)
            .arg("serve")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let line = BufReader::new(stdout).lines().next().unwrap().unwrap();
        let address = line.split("http://").nth(1).unwrap().trim().to_owned();
        Self { child, address }
    }

    /// One HTTP/1.1 request; the status code and the body.
    fn request(&self, method: &str, path: &str, token: Option<&str>, body: &str) -> (u16, String) {
        let mut stream = TcpStream::connect(&self.address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let auth = token.map_or_else(String::new, |token| {
            format!("Authorization: Bearer {token}\r\n")
        });
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n{auth}\
             User-Agent: {FIREFOX}\r\n\
             Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n{body}",
            address = self.address,
            length = body.len(),
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let status = response[9..12].parse().unwrap();
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, body)| body.to_owned())
            .unwrap_or_default();
        (status, body)
    }

    /// Signs in through the API; the bearer token.
    fn sign_in(&self, username: &str) -> Option<String> {
        let body = format!(r#"{{"username":"{username}","password":"{PASSWORD}"}}"#);
        let (status, body) = self.request("POST", "/api/login", None, &body);
        if status != 200 {
            return None;
        }
        // The body may be chunked; the token is 43 URL-safe characters.
        let start = body.find(r#""token":""#)? + 9;
        Some(body[start..start + 43].to_owned())
    }

    fn me(&self, token: &str) -> u16 {
        self.request("GET", "/api/me", Some(token), "").0
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn create_reads_the_password_from_stdin_and_list_shows_the_account() {
    let dir = tempfile::tempdir().unwrap();
    let database = database_in(dir.path());
    let created = latch_with_input(
        &database,
        &["user", "create", "Alice"],
        &format!("{PASSWORD}\n"),
    );
    assert!(succeeds(&created).contains("created Alice"));
    let again = latch_with_input(
        &database,
        &["user", "create", "alice"],
        &format!("{PASSWORD}\n"),
    );
    assert!(fails(&again).contains("taken"));
    let weak = latch_with_input(&database, &["user", "create", "bob"], "short\n");
    assert!(fails(&weak).contains("password"));
    let empty = latch(&database, &["user", "create", "carol"]);
    assert!(fails(&empty).contains("password"));

    let list = latch(&database, &["user", "list"]);
    assert!(succeeds(&list).contains("1 accounts"));
    let rows: Vec<String> = stdout(&list).lines().skip(1).map(str::to_owned).collect();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0].starts_with("Alice\t"), "{rows:?}");
    assert!(rows[0].ends_with("\tnever\tenabled"), "{rows:?}");

    let server = Server::start(&database);
    assert!(
        server.sign_in("alice").is_some(),
        "the created account signs in"
    );
}

#[test]
fn disabling_ends_live_sessions_and_refuses_sign_in_until_enabled() {
    let dir = tempfile::tempdir().unwrap();
    let database = database_in(dir.path());
    succeeds(&latch_with_input(
        &database,
        &["user", "create", "alice"],
        PASSWORD,
    ));
    let server = Server::start(&database);
    let token = server.sign_in("alice").unwrap();
    assert_eq!(server.me(&token), 200);

    assert!(succeeds(&latch(&database, &["user", "disable", "ALICE"])).contains("disabled alice"));
    assert_eq!(server.me(&token), 401, "the live session ended");
    assert_eq!(
        server.sign_in("alice"),
        None,
        "a disabled account cannot sign in"
    );
    let list = latch(&database, &["user", "list"]);
    assert!(stdout(&list).contains("\tdisabled"), "{}", stdout(&list));

    succeeds(&latch(&database, &["user", "enable", "alice"]));
    assert!(server.sign_in("alice").is_some());
}

#[test]
fn sessions_lists_live_sessions_and_revoke_sessions_ends_them() {
    let dir = tempfile::tempdir().unwrap();
    let database = database_in(dir.path());
    succeeds(&latch_with_input(
        &database,
        &["user", "create", "alice"],
        PASSWORD,
    ));
    succeeds(&latch_with_input(
        &database,
        &["user", "create", "bob"],
        PASSWORD,
    ));
    let server = Server::start(&database);
    let first = server.sign_in("alice").unwrap();
    let second = server.sign_in("alice").unwrap();
    let bobs = server.sign_in("bob").unwrap();

    let sessions = latch(&database, &["user", "sessions", "alice"]);
    assert!(succeeds(&sessions).contains("2 live sessions"));
    let rows: Vec<String> = stdout(&sessions)
        .lines()
        .skip(1)
        .map(str::to_owned)
        .collect();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows.iter().all(|row| row.contains("127.0.0.1")), "{rows:?}");
    assert!(
        rows.iter()
            .all(|row| row.ends_with("\tFirefox on Linux") && !row.contains("Gecko")),
        "the browser by name, not the raw user agent: {rows:?}"
    );

    let revoked = command(&database)
        .env("LATCH__LOG__LEVEL", "info")
        .args(["user", "revoke-sessions", "ALICE"])
        .output()
        .unwrap();
    let said = succeeds(&revoked);
    assert!(said.contains("ended 2 sessions"), "{said}");
    assert!(
        said.contains("sessions_revoked") && said.contains("alice"),
        "the audit log names the event and the account: {said}"
    );
    assert_eq!(server.me(&first), 401);
    assert_eq!(server.me(&second), 401);
    assert_eq!(server.me(&bobs), 200, "another account's session lives on");
}

#[test]
fn delete_removes_the_account_and_its_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let database = database_in(dir.path());
    succeeds(&latch_with_input(
        &database,
        &["user", "create", "alice"],
        PASSWORD,
    ));
    let server = Server::start(&database);
    let token = server.sign_in("alice").unwrap();
    assert!(succeeds(&latch(&database, &["user", "delete", "alice"])).contains("deleted alice"));
    assert_eq!(server.me(&token), 401);
    assert_eq!(server.sign_in("alice"), None);
    assert!(stdout(&latch(&database, &["user", "list"])).lines().count() == 1);
}

#[test]
fn unlock_clears_a_usernames_failed_sign_ins() {
    let dir = tempfile::tempdir().unwrap();
    let database = database_in(dir.path());
    succeeds(&latch_with_input(
        &database,
        &["user", "create", "alice"],
        PASSWORD,
    ));
    let server = Server::start(&database);
    let wrong = r#"{"username":"alice","password":"not the right password at all"}"#;
    // Five failures are free; the sixth makes the next attempt wait.
    for _ in 0..6 {
        assert_eq!(server.request("POST", "/api/login", None, wrong).0, 401);
    }
    assert!(succeeds(&latch(&database, &["user", "unlock", "Alice"])).contains("cleared"));
    // Counted from zero again, one more failure is free: without the
    // unlock it would be the seventh, and the right password would wait.
    assert_eq!(server.request("POST", "/api/login", None, wrong).0, 401);
    assert!(server.sign_in("alice").is_some(), "unlocked");
}

#[test]
fn groups_are_made_joined_and_left_and_a_live_session_sees_them() {
    let dir = tempfile::tempdir().unwrap();
    let database = database_in(dir.path());
    for name in ["alice", "bob"] {
        succeeds(&latch_with_input(
            &database,
            &["user", "create", name],
            PASSWORD,
        ));
    }
    assert!(succeeds(&latch(&database, &["group", "create", "Admins"])).contains("group admins"));
    succeeds(&latch(&database, &["group", "create", "ops"]));
    assert!(fails(&latch(&database, &["group", "create", "admins"])).contains("already"));
    assert!(fails(&latch(&database, &["group", "create", "_x"])).contains("Start a group name"));

    let server = Server::start(&database);
    let token = server.sign_in("alice").unwrap();
    assert!(
        succeeds(&latch(&database, &["group", "add", "admins", "ALICE"]))
            .contains("added ALICE to admins")
    );
    assert!(succeeds(&latch(&database, &["group", "add", "admins", "alice"])).contains("already"));
    succeeds(&latch(&database, &["group", "add", "ops", "alice"]));
    succeeds(&latch(&database, &["group", "add", "ops", "bob"]));
    assert!(fails(&latch(&database, &["group", "add", "nobody", "alice"])).contains("no group"));
    assert!(fails(&latch(&database, &["group", "add", "ops", "nobody"])).contains("no account"));

    let (status, me) = server.request("GET", "/api/me", Some(&token), "");
    assert_eq!(status, 200);
    assert!(me.contains(r#""groups":["admins","ops"]"#), "{me}");
    let groups = latch(&database, &["user", "groups", "alice"]);
    assert!(succeeds(&groups).contains("2 groups"));
    assert_eq!(stdout(&groups), "admins\nops\n");
    let list = latch(&database, &["group", "list"]);
    assert_eq!(stdout(&list), "group\tmembers\nadmins\t1\nops\t2\n");
    assert_eq!(
        stdout(&latch(&database, &["group", "members", "ops"])),
        "alice\nbob\n"
    );

    assert!(
        succeeds(&latch(&database, &["group", "remove", "ops", "alice"]))
            .contains("removed alice from ops")
    );
    assert!(
        succeeds(&latch(&database, &["group", "remove", "ops", "alice"])).contains("not a member")
    );
    succeeds(&latch(&database, &["group", "delete", "admins"]));
    assert!(fails(&latch(&database, &["group", "delete", "admins"])).contains("no group"));
    let (_, me) = server.request("GET", "/api/me", Some(&token), "");
    assert!(me.contains(r#""groups":[]"#), "{me}");
    assert_eq!(
        stdout(&latch(&database, &["user", "groups", "bob"])),
        "ops\n"
    );
}

#[test]
fn show_reports_the_account_and_reset_factors_ends_its_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let database = database_in(dir.path());
    succeeds(&latch_with_input(
        &database,
        &["user", "create", "alice"],
        PASSWORD,
    ));
    let server = Server::start(&database);
    let token = server.sign_in("alice").unwrap();

    let show = latch(&database, &["user", "show", "Alice"]);
    assert!(succeeds(&show).contains("shown alice"));
    let report = stdout(&show);
    for line in [
        "username\talice",
        "status\tenabled",
        "authenticator app\tnone",
        "recovery codes left\t0",
        "live sessions\t1",
    ] {
        assert!(report.lines().any(|row| row == line), "{line}: {report}");
    }
    assert!(!report.contains("never"), "signed in: {report}");

    let reset = latch(&database, &["user", "reset-factors", "alice"]);
    assert!(
        succeeds(&reset)
            .contains("removed no authenticator app and 0 recovery codes; ended 1 sessions"),
        "{}",
        stderr(&reset)
    );
    assert_eq!(server.me(&token), 401, "the session ended");
    assert!(
        server.sign_in("alice").is_some(),
        "the password still signs in"
    );
}

#[test]
fn purge_expired_deletes_only_expired_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let database = database_in(dir.path());
    let purged = latch(&database, &["sessions", "purge-expired"]);
    assert!(succeeds(&purged).contains("deleted 0 expired sessions and 0 stale failure counts"));
    succeeds(&latch_with_input(
        &database,
        &["user", "create", "alice"],
        PASSWORD,
    ));
    let server = Server::start(&database);
    let token = server.sign_in("alice").unwrap();
    let purged = latch(&database, &["sessions", "purge-expired"]);
    assert!(succeeds(&purged).contains("deleted 0 expired sessions and 0 stale failure counts"));
    assert_eq!(server.me(&token), 200, "a live session is kept");
}

#[test]
fn unknown_usernames_and_bad_arguments_fail_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let database = database_in(dir.path());
    for command in [
        "show",
        "reset-factors",
        "disable",
        "enable",
        "delete",
        "sessions",
        "revoke-sessions",
    ] {
        let output = latch(&database, &["user", command, "nobody"]);
        assert!(
            fails(&output).contains("no account has that username"),
            "{command}"
        );
    }
    let missing = latch(&database, &["user", "disable"]);
    assert!(!missing.status.success());
    assert!(stderr(&missing).contains("<NAME>"), "{}", stderr(&missing));
}

#[test]
fn help_names_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let database = database_in(dir.path());
    let help = stdout(&latch(&database, &["--help"]));
    for command in ["serve", "user", "group", "sessions", "export", "import"] {
        assert!(help.contains(command), "{help}");
    }
    let help = stdout(&latch(&database, &["user", "--help"]));
    for command in [
        "create",
        "list",
        "show",
        "reset-factors",
        "disable",
        "enable",
        "delete",
        "sessions",
        "revoke-sessions",
        "unlock",
        "groups",
    ] {
        assert!(help.contains(command), "{help}");
    }
    let help = stdout(&latch(&database, &["group", "--help"]));
    for command in ["create", "delete", "add", "remove", "list", "members"] {
        assert!(help.contains(command), "{help}");
    }
    let create = stdout(&latch(&database, &["user", "create", "--help"]));
    assert!(create.contains("never from the command line"), "{create}");
}
