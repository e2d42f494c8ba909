//! The real `latch` binary: starts on port 0, says where it listens, serves,
//! stops cleanly on SIGTERM, and refuses bad settings with a clear message.

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    process::{Child, Command, Stdio},
    time::Duration,
};

fn latch() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_latch"));
    command
        .env_remove("LATCH_ENV")
        .env_remove("RUST_LOG")
        .env("LATCH__SERVER__LISTEN", "127.0.0.1:0")
        .env("LATCH__STORAGE__BACKEND", "memory")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Reads stdout until the `listening on http://HOST:PORT` line.
fn listening_address(child: &mut Child) -> String {
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut lines = BufReader::new(stdout).lines();
    let line = lines
        .next()
        .expect("the binary prints a line")
        .expect("stdout is readable");
    line.split("listening on http://")
        .nth(1)
        .unwrap_or_else(|| panic!("unexpected first line: {line}"))
        .trim()
        .to_owned()
}

fn get(address: &str, path: &str) -> String {
    let mut stream = TcpStream::connect(address).expect("the server accepts connections");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("a read timeout can be set");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .expect("the request is sent");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("the response is read");
    response
}

#[test]
fn serves_on_a_free_port_and_stops_cleanly_on_sigterm() {
    let mut child = latch().spawn().unwrap();
    let address = listening_address(&mut child);
    assert!(
        !address.ends_with(":0"),
        "the real port is printed: {address}"
    );

    let live = get(&address, "/health/live");
    assert!(live.starts_with("HTTP/1.1 200"), "{live}");
    let home = get(&address, "/");
    assert!(home.contains("You are not logged in"), "{home}");

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "graceful shutdown exits with 0, got {exit}");
}

#[test]
fn bad_settings_stop_start_up_with_the_key_named() {
    let output = latch()
        .env("LATCH__PASSWORD__MIN_LENGTH", "6")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("password.min_length"), "{stderr}");
}

#[test]
fn production_refuses_to_start_without_a_secret() {
    let output = latch().env("LATCH_ENV", "production").output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("server.secret_key is required"), "{stderr}");
}
