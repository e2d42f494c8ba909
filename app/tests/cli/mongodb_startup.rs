//! The `latch` binary on `storage.backend = "mongodb"` with no server there:
//! it gives up within the timeout, says which host it tried (never the
//! password) and exits non-zero. Needs no MongoDB server.

use std::{
    process::{Command, Stdio},
    time::Duration,
};

#[tokio::test]
async fn an_unreachable_mongodb_stops_start_up_naming_the_host_but_not_the_password() {
    let child = Command::new(env!("CARGO_BIN_EXE_latch"))
        .env_remove("LATCH_ENV")
        .env_remove("RUST_LOG")
        .env("LATCH__SERVER__LISTEN", "127.0.0.1:0")
        .env("LATCH__METRICS__LISTEN", "127.0.0.1:0")
        .env("LATCH__STORAGE__BACKEND", "mongodb")
        // Nothing listens on port 1 of the loopback address.
        .env(
            "LATCH__STORAGE__MONGODB__URI",
            "mongodb://latch:hunter2-secret@127.0.0.1:1/?authSource=admin",
        )
        .env("LATCH__STORAGE__MONGODB__TIMEOUT", "1s")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let pid = child.id().to_string();
    let exited = tokio::task::spawn_blocking(move || child.wait_with_output());
    // Not a speed goal: a guard that start-up gives up instead of hanging.
    let limit = Duration::from_secs(20);
    let Ok(output) = tokio::time::timeout(limit, exited).await else {
        // Stopped, so that the blocking wait ends with the test.
        let _ = Command::new("kill").args(["-KILL", &pid]).status();
        panic!("start-up against an unreachable MongoDB had not given up after {limit:?}");
    };
    let output = output
        .expect("the wait for the binary ends")
        .expect("the binary's output is read");

    assert!(!output.status.success(), "exit status {}", output.status);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!stdout.contains("listening"), "{stdout}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot reach MongoDB at 127.0.0.1:1 within 1s"),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
}
