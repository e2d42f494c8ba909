//! The `latch` binary on `storage.backend = "mongodb"` with no server there:
//! it gives up within the timeout, says which host it tried (never the
//! password) and exits non-zero. Needs no MongoDB server.

use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

#[test]
fn an_unreachable_mongodb_stops_start_up_naming_the_host_but_not_the_password() {
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_latch"))
        .env_remove("LATCH_ENV")
        .env_remove("RUST_LOG")
        .env("LATCH__SERVER__LISTEN", "127.0.0.1:0")
        .env("LATCH__STORAGE__BACKEND", "mongodb")
        // Nothing listens on port 1 of the loopback address.
        .env(
            "LATCH__STORAGE__MONGODB__URI",
            "mongodb://latch:hunter2-secret@127.0.0.1:1/?authSource=admin",
        )
        .env("LATCH__STORAGE__MONGODB__TIMEOUT", "1s")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("the binary runs");
    let elapsed = started.elapsed();

    assert!(!output.status.success(), "exit status {}", output.status);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!stdout.contains("listening"), "{stdout}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot reach MongoDB at 127.0.0.1:1 within 1s"),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
    // Not a speed goal: a guard that start-up gives up instead of hanging.
    assert!(elapsed < Duration::from_secs(20), "took {elapsed:?}");
}
