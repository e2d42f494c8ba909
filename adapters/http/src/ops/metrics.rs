//! Prometheus metrics, counted in memory and written in Prometheus' text
//! format: requests by route, method and status, their latency as a
//! histogram, and sign-ins by outcome, counted from the domain's events.
//!
//! Hand-rolled rather than a metrics crate: three metric families with
//! small, fixed label sets are a few counters behind one mutex, and the text
//! format is a stable, line-based specification.

use std::{
    collections::BTreeMap,
    fmt::Write,
    sync::{Mutex, PoisonError},
    time::Duration,
};

use latch_domain::{AuthEvent, EventKind, Events};
use poem::http::{Method, StatusCode};

/// The upper bounds of the latency histogram's buckets, in seconds.
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// How a sign-in attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum SignIn {
    /// A session was issued.
    Succeeded,
    /// Unknown username or wrong password.
    Failed,
    /// Refused before checking: too many attempts.
    Throttled,
}

impl SignIn {
    fn label(self) -> &'static str {
        match self {
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Throttled => "throttled",
        }
    }
}

/// Latencies of one route: a cumulative histogram.
#[derive(Debug, Default)]
struct Latency {
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum_seconds: f64,
}

#[derive(Debug, Default)]
struct Counts {
    requests: BTreeMap<(&'static str, &'static str, u16), u64>,
    latency: BTreeMap<&'static str, Latency>,
    sign_ins: BTreeMap<SignIn, u64>,
}

/// The metrics of one running server. It hears the domain's events (for
/// sign-ins) and the telemetry layer's requests.
#[derive(Debug, Default)]
pub struct Metrics {
    counts: Mutex<Counts>,
}

impl Events for Metrics {
    fn emit(&self, event: &AuthEvent) {
        let outcome = match event.kind {
            EventKind::SignInSucceeded => SignIn::Succeeded,
            EventKind::SignInFailed => SignIn::Failed,
            EventKind::SignInThrottled { .. } => SignIn::Throttled,
            _ => return,
        };
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        *counts.sign_ins.entry(outcome).or_default() += 1;
    }
}

impl Metrics {
    /// No requests or sign-ins counted yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one finished request.
    pub(crate) fn observe(
        &self,
        route: &'static str,
        method: &Method,
        status: StatusCode,
        elapsed: Duration,
    ) {
        let seconds = elapsed.as_secs_f64();
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        *counts
            .requests
            .entry((route, method_label(method), status.as_u16()))
            .or_default() += 1;
        let latency = counts.latency.entry(route).or_default();
        latency.count += 1;
        latency.sum_seconds += seconds;
        for (bucket, bound) in latency.buckets.iter_mut().zip(BUCKETS) {
            if seconds <= bound {
                *bucket += 1;
            }
        }
    }

    /// Everything counted so far, in Prometheus' text format (0.0.4).
    pub(crate) fn render(&self) -> String {
        let counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = write_counts(&mut out, &counts);
        out
    }
}

fn write_counts(out: &mut String, counts: &Counts) -> std::fmt::Result {
    writeln!(
        out,
        "# HELP latch_http_requests_total HTTP requests answered, by route, method and status."
    )?;
    writeln!(out, "# TYPE latch_http_requests_total counter")?;
    for ((route, method, status), count) in &counts.requests {
        writeln!(
            out,
            "latch_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {count}"
        )?;
    }
    writeln!(
        out,
        "# HELP latch_http_request_duration_seconds Time to answer HTTP requests, by route."
    )?;
    writeln!(out, "# TYPE latch_http_request_duration_seconds histogram")?;
    for (route, latency) in &counts.latency {
        for (bound, count) in BUCKETS.iter().zip(latency.buckets) {
            writeln!(
                out,
                "latch_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {count}"
            )?;
        }
        writeln!(
            out,
            "latch_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
            latency.count
        )?;
        writeln!(
            out,
            "latch_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
            latency.sum_seconds
        )?;
        writeln!(
            out,
            "latch_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
            latency.count
        )?;
    }
    writeln!(
        out,
        "# HELP latch_sign_ins_total Sign-in attempts (pages and API), by outcome."
    )?;
    writeln!(out, "# TYPE latch_sign_ins_total counter")?;
    for outcome in [SignIn::Succeeded, SignIn::Failed, SignIn::Throttled] {
        let count = counts.sign_ins.get(&outcome).copied().unwrap_or(0);
        writeln!(
            out,
            "latch_sign_ins_total{{outcome=\"{}\"}} {count}",
            outcome.label()
        )?;
    }
    Ok(())
}

/// The routes metrics are kept for; any other path counts as `other`, so
/// scanners requesting random paths cannot grow the label set.
const ROUTES: &[&str] = &[
    "/",
    "/register",
    "/login",
    "/logout",
    "/account",
    "/account/password",
    "/account/sessions",
    "/account/sessions/end",
    "/account/sessions/end-others",
    "/account/delete",
    "/health/live",
    "/health/ready",
    "/metrics",
    "/api/register",
    "/api/login",
    "/api/logout",
    "/api/me",
    "/api/me/password",
    "/api/me/sessions",
    "/api/openapi.json",
    "/api/docs",
];

/// The route label of a request path.
pub(crate) fn route_of(path: &str) -> &'static str {
    if let Some(route) = ROUTES.iter().find(|route| **route == path) {
        return route;
    }
    if path.starts_with("/static/") {
        "/static/:name"
    } else if path
        .strip_prefix("/api/me/sessions/")
        .is_some_and(|id| !id.is_empty() && !id.contains('/'))
    {
        "/api/me/sessions/:id"
    } else if path.starts_with("/api/docs/") {
        "/api/docs"
    } else {
        "other"
    }
}

fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use latch_domain::{Channel, Origin};

    use super::*;

    #[test]
    fn routes_are_a_fixed_set() {
        assert_eq!(route_of("/login"), "/login");
        assert_eq!(route_of("/static/latch.css"), "/static/:name");
        assert_eq!(route_of("/api/docs/oauth-receiver.html"), "/api/docs");
        assert_eq!(route_of("/api/me/sessions"), "/api/me/sessions");
        assert_eq!(
            route_of("/api/me/sessions/0123456789abcdef0123456789abcdef"),
            "/api/me/sessions/:id"
        );
        assert_eq!(route_of("/api/me/sessions/"), "other");
        assert_eq!(route_of("/api/me/sessions/a/b"), "other");
        assert_eq!(route_of("/wp-admin.php"), "other");
        assert_eq!(route_of("/login/"), "other");
    }

    fn sign_in(kind: EventKind, channel: Channel) -> AuthEvent {
        let origin = Origin::new(channel, None, None);
        AuthEvent::new(kind, &origin)
    }

    #[test]
    fn requests_sign_ins_and_latencies_are_counted() {
        let metrics = Metrics::default();
        let fast = Duration::from_millis(3);
        metrics.observe("/login", &Method::POST, StatusCode::SEE_OTHER, fast);
        metrics.emit(&sign_in(EventKind::SignInSucceeded, Channel::Pages));
        metrics.observe("/login", &Method::POST, StatusCode::UNAUTHORIZED, fast);
        metrics.emit(&sign_in(EventKind::SignInFailed, Channel::Pages));
        metrics.observe("/api/login", &Method::POST, StatusCode::UNAUTHORIZED, fast);
        metrics.emit(&sign_in(EventKind::SignInFailed, Channel::Api));
        // Other events are not sign-ins.
        metrics.emit(&sign_in(EventKind::SignedOut, Channel::Pages));
        metrics.observe(
            "/login",
            &Method::GET,
            StatusCode::OK,
            Duration::from_secs(3),
        );
        metrics.observe("/login", &Method::POST, StatusCode::FORBIDDEN, fast);
        let text = metrics.render();
        for line in [
            r#"latch_http_requests_total{route="/login",method="POST",status="303"} 1"#,
            r#"latch_http_requests_total{route="/login",method="GET",status="200"} 1"#,
            r#"latch_http_requests_total{route="/api/login",method="POST",status="401"} 1"#,
            r#"latch_http_request_duration_seconds_bucket{route="/login",le="0.005"} 3"#,
            r#"latch_http_request_duration_seconds_bucket{route="/login",le="2.5"} 3"#,
            r#"latch_http_request_duration_seconds_bucket{route="/login",le="5"} 4"#,
            r#"latch_http_request_duration_seconds_bucket{route="/login",le="+Inf"} 4"#,
            r#"latch_http_request_duration_seconds_count{route="/login"} 4"#,
            r#"latch_sign_ins_total{outcome="succeeded"} 1"#,
            r#"latch_sign_ins_total{outcome="failed"} 2"#,
            r#"latch_sign_ins_total{outcome="throttled"} 0"#,
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in:\n{text}");
        }
    }

    #[test]
    fn every_sample_line_is_well_formed() {
        let metrics = Metrics::default();
        metrics.observe("/", &Method::GET, StatusCode::OK, Duration::from_millis(1));
        for line in metrics.render().lines() {
            if line.starts_with('#') {
                assert!(line.starts_with("# HELP latch_") || line.starts_with("# TYPE latch_"));
                continue;
            }
            let (name, value) = line.rsplit_once(' ').unwrap();
            assert!(name.starts_with("latch_"), "{line}");
            assert!(value.parse::<f64>().is_ok(), "{line}");
        }
    }
}
