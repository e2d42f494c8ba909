//! Prometheus metrics, counted in memory and written in Prometheus' text
//! format: requests by route, method and status, their latency as a
//! histogram, and sign-ins by outcome, counted from the domain's events.
//! Routes are labelled by the pattern their router matched
//! ([`super::route_label`]).
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

impl Latency {
    fn add(&mut self, seconds: f64) {
        self.count += 1;
        self.sum_seconds += seconds;
        for (bucket, bound) in self.buckets.iter_mut().zip(BUCKETS) {
            if seconds <= bound {
                *bucket += 1;
            }
        }
    }
}

/// What one route answered: requests by method and status, and their
/// latencies.
#[derive(Debug, Default)]
struct RouteCounts {
    requests: BTreeMap<(&'static str, u16), u64>,
    latency: Latency,
}

#[derive(Debug, Default)]
struct Counts {
    /// By route label: a few dozen, fixed by the routes (see
    /// [`super::route_label`]).
    routes: BTreeMap<String, RouteCounts>,
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
            EventKind::SignInThrottled { .. } | EventKind::SignInLocked => SignIn::Throttled,
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
        route: &str,
        method: &Method,
        status: StatusCode,
        elapsed: Duration,
    ) {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        if !counts.routes.contains_key(route) {
            counts
                .routes
                .insert(route.to_owned(), RouteCounts::default());
        }
        if let Some(counted) = counts.routes.get_mut(route) {
            *counted
                .requests
                .entry((method_label(method), status.as_u16()))
                .or_default() += 1;
            counted.latency.add(elapsed.as_secs_f64());
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
    for (route, counted) in &counts.routes {
        let route = LabelValue(route);
        for ((method, status), count) in &counted.requests {
            writeln!(
                out,
                "latch_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {count}"
            )?;
        }
    }
    writeln!(
        out,
        "# HELP latch_http_request_duration_seconds Time to answer HTTP requests, by route."
    )?;
    writeln!(out, "# TYPE latch_http_request_duration_seconds histogram")?;
    for (route, RouteCounts { latency, .. }) in &counts.routes {
        let route = LabelValue(route);
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

/// A label value as the text format writes it: `\\`, `"` and line feeds
/// escaped.
struct LabelValue<'a>(&'a str);

impl std::fmt::Display for LabelValue<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for c in self.0.chars() {
            match c {
                '\\' => f.write_str("\\\\")?,
                '"' => f.write_str("\\\"")?,
                '\n' => f.write_str("\\n")?,
                c => f.write_char(c)?,
            }
        }
        Ok(())
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
    fn label_values_are_escaped() {
        let metrics = Metrics::default();
        let fast = Duration::from_millis(1);
        metrics.observe("/a\"b\\c\nd", &Method::GET, StatusCode::OK, fast);
        let text = metrics.render();
        assert!(
            text.contains(
                r#"latch_http_requests_total{route="/a\"b\\c\nd",method="GET",status="200"} 1"#
            ),
            "{text}"
        );
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
