//! No client can hold the server's connections: a request head must arrive
//! in time, an idle keep-alive connection closes, and the connections open
//! at once stay below the file-descriptor limit, so that idle sockets
//! cannot shut a real request out.

use std::{
    io::{ErrorKind, Read, Write},
    net::TcpStream,
    process::Child,
    thread,
    time::{Duration, Instant},
};

use crate::support::{latch, latch_with_descriptor_limit, listening_address, terminate};

/// How long any one step may take before the test gives up on it: far
/// more than the timeouts these tests set.
const PATIENCE: Duration = Duration::from_secs(20);

/// A request that keeps its connection open.
fn health_check(address: &str) -> String {
    format!("GET /health/live HTTP/1.1\r\nHost: {address}\r\n\r\n")
}

/// Reads one response, head and `Content-Length` body, leaving the
/// connection open.
fn read_response(stream: &mut TcpStream) -> String {
    let mut received = Vec::new();
    let mut byte = [0; 1];
    while !received.ends_with(b"\r\n\r\n") {
        let read = stream.read(&mut byte).expect("the response head arrives");
        assert_eq!(read, 1, "the connection closed mid-response");
        received.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&received).into_owned();
    let length = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0; length];
    stream.read_exact(&mut body).expect("the body arrives");
    head + &String::from_utf8_lossy(&body)
}

/// Whether the server closes `stream` within [`PATIENCE`], reading (and
/// dropping) anything it sends first.
fn closed_by_the_server(stream: &mut TcpStream) -> bool {
    stream
        .set_read_timeout(Some(PATIENCE))
        .expect("a read timeout can be set");
    let mut buffer = [0; 256];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(error) if error.kind() == ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
    }
}

fn connect(address: &str) -> TcpStream {
    let stream = TcpStream::connect(address).expect("the server accepts connections");
    stream
        .set_read_timeout(Some(PATIENCE))
        .expect("a read timeout can be set");
    stream
}

fn stop(mut child: Child) {
    terminate(&child);
    let exit = child.wait().expect("the server exits");
    assert!(exit.success(), "{exit}");
}

#[test]
fn idle_connections_beyond_the_descriptor_limit_do_not_shut_out_a_request() {
    let mut child = latch_with_descriptor_limit(128)
        .env("LATCH__SERVER__HEADER_TIMEOUT", "1s")
        .spawn()
        .expect("the binary starts");
    let address = listening_address(&mut child);

    // Twice as many silent connections as the process has descriptors.
    let mut idle: Vec<TcpStream> = (0..256).map(|_| connect(&address)).collect();

    let mut request = connect(&address);
    request
        .write_all(health_check(&address).as_bytes())
        .expect("the request is sent");
    let response = read_response(&mut request);
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");

    // The server closed the first silent ones, which sent no head in time.
    for stream in idle.iter_mut().take(8) {
        assert!(
            closed_by_the_server(stream),
            "an idle connection stayed open"
        );
    }
    stop(child);
}

#[test]
fn a_head_sent_slowly_is_cut_off_at_the_head_timeout() {
    let mut child = latch()
        .env("LATCH__SERVER__HEADER_TIMEOUT", "1s")
        .spawn()
        .expect("the binary starts");
    let address = listening_address(&mut child);

    let mut stream = connect(&address);
    stream
        .write_all(b"GET /health/live HTTP/1.1\r\n")
        .expect("the request line is sent");
    let mut dribble = stream.try_clone().expect("the socket can be shared");
    let started = Instant::now();
    let dribbler = thread::spawn(move || {
        // A header line every 200 ms, never the blank line that ends the
        // head, until the server hangs up or the test's patience ends.
        while started.elapsed() < PATIENCE {
            if dribble.write_all(b"X-Slow: yes\r\n").is_err() {
                return;
            }
            thread::sleep(Duration::from_millis(200));
        }
    });
    assert!(
        closed_by_the_server(&mut stream),
        "a head still arriving after the head timeout was waited for"
    );
    dribbler.join().expect("the dribbling thread ends");
    stop(child);
}

#[test]
fn an_idle_keep_alive_connection_closes_after_its_own_timeout() {
    let mut child = latch()
        .env("LATCH__SERVER__HEADER_TIMEOUT", "1s")
        .env("LATCH__SERVER__KEEP_ALIVE_TIMEOUT", "3s")
        .spawn()
        .expect("the binary starts");
    let address = listening_address(&mut child);

    let mut stream = connect(&address);
    stream
        .write_all(health_check(&address).as_bytes())
        .expect("the first request is sent");
    assert!(read_response(&mut stream).starts_with("HTTP/1.1 200"));

    // Idle for longer than the head timeout, shorter than keep-alive: the
    // connection is still there for the next request.
    thread::sleep(Duration::from_millis(1500));
    stream
        .write_all(health_check(&address).as_bytes())
        .expect("the second request is sent");
    assert!(read_response(&mut stream).starts_with("HTTP/1.1 200"));

    assert!(
        closed_by_the_server(&mut stream),
        "an idle keep-alive connection stayed open"
    );
    stop(child);
}
