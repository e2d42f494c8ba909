//! What the tests of the real `latch` binary share: starting it on a free
//! port with the memory store, finding where it listens, raw HTTP, and the
//! modes of the files it leaves.

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    process::{Child, Command, Stdio},
    time::Duration,
};

/// `latch` on `127.0.0.1:0` with the memory store and no environment
/// overrides from the caller's shell, its output piped.
pub fn latch() -> Command {
    configured(Command::new(env!("CARGO_BIN_EXE_latch")))
}

/// As [`latch`], but started by `sh` under `umask 000`, which takes nothing
/// away: the modes of the files it creates are all its own doing.
pub fn latch_under_umask_000() -> Command {
    let mut command = Command::new("sh");
    command.args([
        "-c",
        "umask 000 && exec \"$0\" \"$@\"",
        env!("CARGO_BIN_EXE_latch"),
    ]);
    configured(command)
}

/// As [`latch`], but started by `sh` with at most `descriptors` open file
/// descriptors (`ulimit -n`).
#[cfg(unix)]
pub fn latch_with_descriptor_limit(descriptors: u32) -> Command {
    let mut command = Command::new("sh");
    command.args([
        "-c",
        &format!("ulimit -n {descriptors} && exec \"$0\" \"$@\""),
        env!("CARGO_BIN_EXE_latch"),
    ]);
    configured(command)
}

fn configured(mut command: Command) -> Command {
    command
        .env_remove("LATCH_ENV")
        .env_remove("RUST_LOG")
        .env("LATCH__SERVER__LISTEN", "127.0.0.1:0")
        .env("LATCH__METRICS__LISTEN", "127.0.0.1:0")
        .env("LATCH__STORAGE__BACKEND", "memory")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Reads stdout up to the `listening on http://HOST:PORT` line; returns
/// `HOST:PORT`.
pub fn listening_address(child: &mut Child) -> String {
    let stdout = child.stdout.take().expect("stdout is piped");
    let line = BufReader::new(stdout)
        .lines()
        .next()
        .expect("the binary prints a line")
        .expect("stdout is readable");
    line.split("listening on http://")
        .nth(1)
        .unwrap_or_else(|| panic!("unexpected first line: {line}"))
        .trim()
        .to_owned()
}

/// Sends `request` as is to `address` and returns the whole response.
pub fn exchange(address: &str, request: &str) -> String {
    let mut stream = TcpStream::connect(address).expect("the server accepts connections");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("a read timeout can be set");
    stream
        .write_all(request.as_bytes())
        .expect("the request is sent");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("the response is read");
    response
}

/// Sends SIGTERM to the child.
pub fn terminate(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

/// The permission bits of `path` (not following a symbolic link), in octal.
#[cfg(unix)]
pub fn mode_of(path: &std::path::Path) -> String {
    use std::os::unix::fs::PermissionsExt;
    let metadata = std::fs::symlink_metadata(path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    format!("{:04o}", metadata.permissions().mode() & 0o777)
}
