//! The real `latch` binary: starts on port 0, says where it listens, serves,
//! stops cleanly on SIGTERM, and refuses bad settings with a clear message.

use crate::support::{exchange, latch, listening_address, terminate};

fn get(address: &str, path: &str) -> String {
    exchange(
        address,
        &format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"),
    )
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

    terminate(&child);
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
