//! What operators see of each request: a request id (taken from a proxy's
//! `X-Request-Id` when well formed, else made here, and always sent back),
//! one log line when it is answered, and its count in the Prometheus
//! metrics, which [`metrics_endpoint`] serves on a listener of their own.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Instant, SystemTime, UNIX_EPOCH},
};

use poem::{
    Endpoint, EndpointExt, IntoResponse, Request, Response, Result,
    endpoint::BoxEndpoint,
    http::{HeaderValue, Method, StatusCode, header},
};
use tracing::Instrument;

use super::{metrics::Metrics, route_label::RouteSlot};

/// The header carrying the request id, both ways.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Where the metrics are served, on the metrics listener.
const METRICS_PATH: &str = "/metrics";

/// The longest request id accepted from a client or proxy.
const MAX_REQUEST_ID_LEN: usize = 64;

/// What to observe.
#[derive(Debug, Clone, Default)]
pub struct TelemetrySettings {
    /// Count requests into these metrics (`None`: no metrics).
    pub metrics: Option<Arc<Metrics>>,
}

/// Wraps the whole application: request ids, request logs and, when
/// enabled, request counts and latencies.
pub fn with_telemetry(
    inner: BoxEndpoint<'static>,
    settings: TelemetrySettings,
) -> BoxEndpoint<'static> {
    Telemetry {
        inner,
        metrics: settings.metrics,
        ids: RequestIds::new(),
    }
    .boxed()
}

struct Telemetry {
    inner: BoxEndpoint<'static>,
    metrics: Option<Arc<Metrics>>,
    ids: RequestIds,
}

impl Endpoint for Telemetry {
    type Output = Response;

    async fn call(&self, mut req: Request) -> Result<Response> {
        let started = Instant::now();
        let id = self.ids.for_request(&req);
        let method = req.method().clone();
        let path = req.uri().path().to_owned();
        let slot = RouteSlot::default();
        req.set_data(slot.clone());

        // The client's address is filled in once the trusted proxies are
        // known (`middleware::client_ip::record_on_span`).
        let span = tracing::info_span!(
            "request",
            request_id = %id,
            client_ip = tracing::field::Empty
        );
        let mut response = match self.inner.call(req).instrument(span).await {
            Ok(response) => response,
            Err(error) => error.into_response(),
        };
        let route = slot.label();
        if let Ok(value) = HeaderValue::from_str(&id) {
            response.headers_mut().insert(REQUEST_ID_HEADER, value);
        }

        let status = response.status();
        let elapsed = started.elapsed();
        if let Some(metrics) = &self.metrics {
            metrics.observe(route, &method, status, elapsed);
        }
        log_request(&id, &method, &path, route, status, elapsed.as_secs_f64());
        Ok(response)
    }
}

/// One line per answered request. Health checks, which arrive every few
/// seconds, and forward-auth checks, one for every request to the apps
/// behind the proxy (which logs those requests itself), are logged at
/// `debug`.
fn log_request(id: &str, method: &Method, path: &str, route: &str, status: StatusCode, secs: f64) {
    let latency_ms = (secs * 1_000_000.0).round() / 1000.0;
    let path = truncate(path, 256);
    let status = status.as_u16();
    if route.starts_with("/health/") || route.starts_with("/auth/") {
        tracing::debug!(target: "latch::request", request_id = %id, %method, path, status, latency_ms, "request");
    } else {
        tracing::info!(target: "latch::request", request_id = %id, %method, path, status, latency_ms, "request");
    }
}

fn truncate(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

/// What the metrics listener serves: the metrics at `GET /metrics`, in
/// Prometheus' text format, and nothing else.
pub fn metrics_endpoint(metrics: Arc<Metrics>) -> BoxEndpoint<'static> {
    poem::endpoint::make_sync(move |req: Request| {
        if req.uri().path() != METRICS_PATH {
            return StatusCode::NOT_FOUND.into_response();
        }
        if req.method() != Method::GET && req.method() != Method::HEAD {
            return StatusCode::METHOD_NOT_ALLOWED.into_response();
        }
        Response::builder()
            .content_type("text/plain; version=0.0.4; charset=utf-8")
            .header(header::CACHE_CONTROL, "no-store")
            .body(metrics.render())
    })
    .boxed()
}

/// Makes request ids: a random prefix per process and a counter, so ids
/// are unique across instances and ordered within one.
struct RequestIds {
    prefix: u32,
    next: AtomicU64,
}

impl RequestIds {
    fn new() -> Self {
        let mut bytes = [0; 4];
        let prefix = match getrandom::fill(&mut bytes) {
            Ok(()) => u32::from_le_bytes(bytes),
            // Uniqueness, not secrecy, is what matters here.
            Err(_) => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |elapsed| elapsed.subsec_nanos()),
        };
        Self {
            prefix,
            next: AtomicU64::new(1),
        }
    }

    /// The id a proxy gave the request, if it is safe to log and echo;
    /// otherwise a new one.
    fn for_request(&self, req: &Request) -> String {
        req.headers()
            .get(REQUEST_ID_HEADER)
            .and_then(|value| value.to_str().ok())
            .filter(|id| is_acceptable(id))
            .map(str::to_owned)
            .unwrap_or_else(|| {
                let n = self.next.fetch_add(1, Ordering::Relaxed);
                format!("{:08x}-{n:06}", self.prefix)
            })
    }
}

/// 1 to 64 letters, digits, `-`, `_`, `.` or `:` (UUIDs, nginx's
/// `$request_id`, AWS trace ids): nothing that could forge a log line.
fn is_acceptable(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_REQUEST_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

#[cfg(test)]
mod tests {
    use poem::{Route, get, handler};

    use super::*;
    use crate::ops::route_label::RecordRoute;

    #[handler]
    fn ok() -> &'static str {
        "ok"
    }

    fn app_counting_into(metrics: Option<Arc<Metrics>>) -> BoxEndpoint<'static> {
        let inner = Route::new()
            .at("/", get(ok))
            .at("/login", get(ok))
            .with(RecordRoute::default())
            .map_to_response()
            .boxed();
        with_telemetry(inner, TelemetrySettings { metrics })
    }

    fn app(metrics_enabled: bool) -> BoxEndpoint<'static> {
        app_counting_into(metrics_enabled.then(|| Arc::new(Metrics::new())))
    }

    async fn send(
        app: &BoxEndpoint<'static>,
        method: Method,
        path: &str,
        id: Option<&str>,
    ) -> Response {
        let mut request = Request::builder().method(method).uri_str(path);
        if let Some(id) = id {
            request = request.header(REQUEST_ID_HEADER, id);
        }
        app.call(request.finish()).await.unwrap()
    }

    fn id_of(response: &Response) -> String {
        response
            .header(REQUEST_ID_HEADER)
            .map(str::to_owned)
            .unwrap()
    }

    #[tokio::test]
    async fn every_response_carries_a_request_id() {
        let app = app(true);
        let first = send(&app, Method::GET, "/", None).await;
        let second = send(&app, Method::GET, "/nowhere", None).await;
        assert_eq!(second.status(), StatusCode::NOT_FOUND);
        let (a, b) = (id_of(&first), id_of(&second));
        assert_ne!(a, b);
        assert!(is_acceptable(&a), "{a}");
    }

    #[tokio::test]
    async fn a_well_formed_request_id_is_kept_and_others_replaced() {
        let app = app(true);
        let uuid = "f81d4fae-7dec-11d0-a765-00a0c91e6bf6";
        let kept = send(&app, Method::GET, "/", Some(uuid)).await;
        assert_eq!(id_of(&kept), uuid);
        for bad in ["", "a b", "x\"}", &"a".repeat(65), "a\u{fc}"] {
            let response = send(&app, Method::GET, "/", Some(bad)).await;
            let id = id_of(&response);
            assert_ne!(id, bad, "{bad:?}");
            assert!(is_acceptable(&id), "{id}");
        }
    }

    #[tokio::test]
    async fn the_metrics_endpoint_serves_what_the_application_counted() {
        let metrics = Arc::new(Metrics::new());
        let app = app_counting_into(Some(metrics.clone()));
        let scrape = metrics_endpoint(metrics);
        send(&app, Method::GET, "/login", None).await;
        send(&app, Method::GET, "/nowhere/at/all", None).await;
        let response = send(&scrape, Method::GET, "/metrics", None).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.content_type(),
            Some("text/plain; version=0.0.4; charset=utf-8")
        );
        let text = response.into_body().into_string().await.unwrap();
        assert!(
            text.contains(
                r#"latch_http_requests_total{route="/login",method="GET",status="200"} 1"#
            ),
            "{text}"
        );
        assert!(
            text.contains(r#"route="other",method="GET",status="404"} 1"#),
            "{text}"
        );
        assert!(!text.contains("nowhere"), "{text}");
        let post = send(&scrape, Method::POST, "/metrics", None).await;
        assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
        let elsewhere = send(&scrape, Method::GET, "/login", None).await;
        assert_eq!(elsewhere.status(), StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn the_application_itself_has_no_metrics_path() {
        for metrics_enabled in [true, false] {
            let app = app(metrics_enabled);
            let response = send(&app, Method::GET, "/metrics", None).await;
            assert_eq!(response.status(), StatusCode::NOT_FOUND);
        }
    }
}
