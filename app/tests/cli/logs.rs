//! The binary's logs: one line per request with its method, path, status,
//! latency and request id, as readable text by default and as JSON with
//! `log.format = "json"`.

use std::io::Read;

use crate::support::{exchange, latch, listening_address, terminate};

/// Starts `latch` with `env`, sends one request (`request` makes it from the
/// address), stops it with SIGTERM and returns the response and everything
/// it logged.
fn logs_of_one_request(env: &[(&str, &str)], request: impl Fn(&str) -> String) -> (String, String) {
    let mut command = latch();
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("latch starts");
    let address = listening_address(&mut child);
    let response = exchange(&address, &request(&address));
    terminate(&child);
    let mut logs = String::new();
    child
        .stderr
        .take()
        .expect("stderr is piped")
        .read_to_string(&mut logs)
        .expect("stderr is readable");
    assert!(child.wait().expect("latch exits").success());
    (response, logs)
}

/// `GET /login?next=%2Faccount` with `X-Request-Id: id`.
fn get_login(id: &'static str) -> impl Fn(&str) -> String {
    move |address| {
        format!(
            "GET /login?next=%2Faccount HTTP/1.1\r\nHost: {address}\r\nX-Request-Id: {id}\r\nConnection: close\r\n\r\n"
        )
    }
}

/// Reads every line of `logs` as JSON.
fn json_lines(logs: &str) -> Vec<serde_json::Value> {
    logs.lines()
        .map(|line| {
            serde_json::from_str::<serde_json::Value>(line)
                .unwrap_or_else(|error| panic!("not JSON ({error}): {line}"))
        })
        .collect()
}

#[test]
fn json_logs_have_one_object_per_request() {
    let (response, logs) =
        logs_of_one_request(&[("LATCH__LOG__FORMAT", "json")], get_login("json-test-42"));
    assert!(
        response
            .to_ascii_lowercase()
            .contains("x-request-id: json-test-42"),
        "{response}"
    );
    let request_line = json_lines(&logs)
        .into_iter()
        .find(|entry| entry["message"] == "request")
        .unwrap_or_else(|| panic!("no request line in:\n{logs}"));
    assert_eq!(request_line["request_id"], "json-test-42", "{request_line}");
    assert_eq!(request_line["method"], "GET");
    assert_eq!(request_line["path"], "/login", "the query is not logged");
    assert_eq!(request_line["status"], 200);
    assert!(
        request_line["latency_ms"].as_f64().is_some(),
        "{request_line}"
    );
    assert_eq!(request_line["level"], "INFO");
}

#[test]
fn text_logs_are_readable_lines_with_the_same_facts() {
    let (_, logs) = logs_of_one_request(&[], get_login("text-test-7"));
    let line = logs
        .lines()
        .find(|line| line.contains("request_id=text-test-7"))
        .unwrap_or_else(|| panic!("no request line in:\n{logs}"));
    for fact in ["method=GET", "path=\"/login\"", "status=200", "latency_ms="] {
        assert!(line.contains(fact), "{fact} in {line}");
    }
    assert!(!logs.trim_start().starts_with('{'), "{logs}");
}

#[test]
fn audit_events_carry_the_request_id_and_the_client_address() {
    let body = r#"{"username": "alice", "password": "correct horse battery staple"}"#;
    let register = move |address: &str| {
        format!(
            "POST /api/register HTTP/1.1\r\nHost: {address}\r\nX-Request-Id: audit-1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    };
    let (response, logs) = logs_of_one_request(&[("LATCH__LOG__FORMAT", "json")], register);
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");
    let lines = json_lines(&logs);
    let audit = lines
        .iter()
        .find(|entry| entry["event"] == "registered")
        .unwrap_or_else(|| panic!("no audit event in:\n{logs}"));
    assert_eq!(audit["span"]["request_id"], "audit-1", "{audit}");
    assert_eq!(audit["span"]["client_ip"], "127.0.0.1", "{audit}");
    assert!(
        !logs.contains("correct horse"),
        "the password is never logged"
    );
    let request = lines
        .iter()
        .find(|entry| entry["message"] == "request")
        .unwrap_or_else(|| panic!("no request line in:\n{logs}"));
    assert_eq!(request["status"], 201);
    assert_eq!(request["path"], "/api/register");
}

#[test]
fn a_password_typed_as_the_username_is_logged_as_a_short_digest_only() {
    let typed = "my secret passphrase";
    let body = format!(r#"{{"username": "{typed}", "password": "x"}}"#);
    let login = move |address: &str| {
        format!(
            "POST /api/login HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    };
    let (response, logs) = logs_of_one_request(&[("LATCH__LOG__FORMAT", "json")], login);
    assert!(response.starts_with("HTTP/1.1 401"), "{response}");
    let lines = json_lines(&logs);
    let audit = lines
        .iter()
        .find(|entry| entry["event"] == "sign_in_failed")
        .unwrap_or_else(|| panic!("no audit event in:\n{logs}"));
    assert!(audit.get("username_key").is_none(), "{audit}");
    let digest = audit["username_digest"].as_str().unwrap();
    assert_eq!(digest.len(), 16, "{audit}");
    assert!(digest.chars().all(|c| c.is_ascii_hexdigit()));
    assert!(!logs.contains("secret passphrase"), "{logs}");
}
