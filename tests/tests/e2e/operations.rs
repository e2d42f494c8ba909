//! What operators rely on, end to end on the real server: request ids on
//! every response, Prometheus metrics on a listener of their own (and
//! turning them off), and a graceful shutdown that lets requests in flight
//! finish.

use std::time::Duration;

use latch_tests::{browser::Browser, server::TestServer};
use reqwest::StatusCode;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

const PASSWORD: &str = "correct horse battery staple";

/// How long a step may take before the test gives up on it.
const STEP_TIMEOUT: Duration = Duration::from_secs(10);

fn request_id(page: &latch_tests::browser::Page) -> Option<String> {
    page.headers
        .get("x-request-id")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

#[tokio::test]
async fn every_response_has_a_request_id() {
    let server = TestServer::start().await;
    let browser = Browser::new(server.base_url());
    let mut ids = Vec::new();
    for path in [
        "/",
        "/no-such-page",
        "/api/me",
        "/static/latch.css",
        "/health/live",
    ] {
        let page = browser.get(path).await;
        let id = request_id(&page).unwrap_or_else(|| panic!("{path}: no X-Request-Id"));
        assert!(!ids.contains(&id), "{path}: {id} was used before");
        ids.push(id);
    }
}

#[tokio::test]
async fn metrics_count_requests_and_sign_ins() {
    let server = TestServer::start().await;
    let browser = Browser::new(server.base_url());
    browser.register("alice", PASSWORD).await;
    let wrong = browser.log_in("alice", "not the right password").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let right = browser.log_in("alice", PASSWORD).await;
    assert_eq!(right.status, StatusCode::SEE_OTHER);

    let on_the_application = browser.get("/metrics").await;
    assert_eq!(on_the_application.status, StatusCode::NOT_FOUND);
    assert!(!on_the_application.contains("latch_http_requests_total"));

    let metrics_url = server.metrics_url().expect("metrics are on by default");
    let metrics = Browser::new(metrics_url.trim_end_matches("/metrics"))
        .get("/metrics")
        .await;
    assert_eq!(metrics.status, StatusCode::OK);
    assert!(
        metrics.headers["content-type"]
            .to_str()
            .is_ok_and(|value| value.starts_with("text/plain; version=0.0.4")),
        "{:?}",
        metrics.headers
    );
    for line in [
        r#"latch_sign_ins_total{outcome="succeeded"} 1"#,
        r#"latch_sign_ins_total{outcome="failed"} 1"#,
        r#"latch_http_requests_total{route="/register",method="POST",status="303"} 1"#,
        r#"latch_http_requests_total{route="/login",method="POST",status="401"} 1"#,
        r#"latch_http_request_duration_seconds_count{route="/register"} 2"#,
    ] {
        assert!(
            metrics.body.lines().any(|l| l == line),
            "{line} in:\n{}",
            metrics.body
        );
    }
}

#[tokio::test]
async fn metrics_can_be_turned_off() {
    let server = TestServer::start_with(&[("LATCH__METRICS__LISTEN", "")]).await;
    assert_eq!(server.metrics_url(), None);
    let browser = Browser::new(server.base_url());
    let metrics = browser.get("/metrics").await;
    assert_eq!(metrics.status, StatusCode::NOT_FOUND);
    assert!(!metrics.contains("latch_http_requests_total"));
}

/// A request whose body is still arriving when shutdown begins is answered
/// in full; only then does the server stop.
#[tokio::test]
async fn a_request_in_flight_finishes_during_a_graceful_shutdown() {
    let mut server = TestServer::start_with(&[("LATCH__STORAGE__BACKEND", "memory")]).await;
    let address = server.base_url().trim_start_matches("http://").to_owned();
    let body = format!(r#"{{"username": "slow", "password": "{PASSWORD}"}}"#);
    let (first_half, second_half) = body.split_at(body.len() / 2);

    let mut stream = TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /api/register HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    // The server answers `100 Continue` once it has read the head and starts
    // reading the body: the request is in flight before shutdown begins.
    let interim = tokio::time::timeout(STEP_TIMEOUT, interim_response(&mut stream))
        .await
        .expect("no 100 Continue: the server did not start on the request");
    assert!(interim.starts_with("HTTP/1.1 100"), "{interim}");
    stream.write_all(first_half.as_bytes()).await.unwrap();

    let client = async {
        // Wait for shutdown to begin, which closes the listener.
        let refused = tokio::time::timeout(STEP_TIMEOUT, async {
            while TcpStream::connect(&address).await.is_ok() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await
        .is_ok();
        stream.write_all(second_half.as_bytes()).await.unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await.unwrap();
        (refused, String::from_utf8_lossy(&response).into_owned())
    };
    let ((refused, response), ()) = tokio::join!(client, server.stop());

    assert!(refused, "new connections are refused once shutdown begins");
    assert!(
        response.starts_with("HTTP/1.1 201"),
        "the request in flight is answered: {response}"
    );
    assert!(response.contains(r#""username":"slow""#), "{response}");
}

/// Reads an interim (`1xx`) response's head, up to its blank line, and no
/// further.
async fn interim_response(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let byte = stream
            .read_u8()
            .await
            .expect("the interim response is read");
        head.push(byte);
    }
    String::from_utf8_lossy(&head).into_owned()
}
