//! Which route answered a request, for the metrics and the request log: the
//! path pattern Poem's router matched (`/login`, `/static/:name`,
//! `/api/me/sessions/:id`), never the path itself, so the labels are the
//! application's own fixed set whatever paths clients ask for. A request no
//! route took is labelled `other`: an unknown path, and also one refused
//! before routing (a body over the limit, a form without its CSRF token).
//!
//! The telemetry layer wraps the whole application, outside the routers,
//! and what reaches it may no longer say which route matched (an error page
//! is a new response). So it gives each request an empty [`RouteSlot`], and
//! [`RecordRoute`], placed around each router, writes the pattern there.
//!
//! poem-openapi routes `/me/sessions/:id` as `/me/sessions/:param0`; the
//! API's label keeps the documented name, read from its OpenAPI document.

use std::{
    collections::HashMap,
    sync::{Arc, OnceLock},
};

use poem::{
    Endpoint, IntoResponse, Middleware, PathPattern, Request, Response, Result,
    error::NotFoundError,
};

/// The label of requests that no route matched.
pub(crate) const UNMATCHED: &str = "other";

/// Where one request's route is written, by the innermost [`RecordRoute`]
/// that saw it matched.
#[derive(Debug, Clone, Default)]
pub(crate) struct RouteSlot(Arc<OnceLock<Arc<str>>>);

impl RouteSlot {
    /// The matched route's pattern, or [`UNMATCHED`].
    pub(crate) fn label(&self) -> &str {
        self.0.get().map_or(UNMATCHED, |pattern| pattern)
    }
}

/// Records, in the request's [`RouteSlot`], the route that a router (or an
/// endpoint nested in one) matched.
#[derive(Debug, Clone, Default)]
pub(crate) struct RecordRoute {
    /// Labels for patterns that are not written as documented.
    renamed: Arc<HashMap<String, Arc<str>>>,
}

impl RecordRoute {
    /// For an OpenAPI service mounted at `mount` (such as `/api`), whose
    /// OpenAPI `document` lists its paths (`/me/sessions/{id}`): labels its
    /// routes with their documented parameter names.
    pub(crate) fn openapi(mount: &str, document: &str) -> Self {
        let paths = serde_json::from_str::<serde_json::Value>(document)
            .ok()
            .and_then(|document| document.get("paths")?.as_object().cloned())
            .unwrap_or_default();
        let renamed = paths
            .keys()
            .filter(|path| path.contains('{'))
            .map(|path| {
                let (mut routed, mut named) = (mount.to_owned(), mount.to_owned());
                let mut params = 0;
                for segment in path.split('/').filter(|segment| !segment.is_empty()) {
                    match segment
                        .strip_prefix('{')
                        .and_then(|rest| rest.strip_suffix('}'))
                    {
                        Some(name) => {
                            routed.push_str(&format!("/:param{params}"));
                            named.push_str(&format!("/:{name}"));
                            params += 1;
                        }
                        None => {
                            routed.push('/');
                            routed.push_str(segment);
                            named.push('/');
                            named.push_str(segment);
                        }
                    }
                }
                (routed, Arc::from(named))
            })
            .collect();
        Self {
            renamed: Arc::new(renamed),
        }
    }
}

impl<E: Endpoint> Middleware<E> for RecordRoute {
    type Output = RecordRouteEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        RecordRouteEndpoint {
            inner,
            renamed: self.renamed.clone(),
        }
    }
}

/// The endpoint [`RecordRoute`] wraps around another.
pub(crate) struct RecordRouteEndpoint<E> {
    inner: E,
    renamed: Arc<HashMap<String, Arc<str>>>,
}

impl<E: Endpoint> Endpoint for RecordRouteEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Response> {
        let Some(slot) = req.data::<RouteSlot>().cloned() else {
            return self.inner.call(req).await.map(IntoResponse::into_response);
        };
        // Set by the router this endpoint is nested in, if any.
        let arrived_with = req.data::<PathPattern>().cloned();
        let result = self.inner.call(req).await.map(IntoResponse::into_response);
        let answered_with = match &result {
            Ok(response) => response.data::<PathPattern>(),
            Err(error) if error.is::<NotFoundError>() => return result,
            Err(error) => error.data::<PathPattern>(),
        };
        if let Some(PathPattern(pattern)) = matched(arrived_with.as_ref(), answered_with) {
            let label = self.renamed.get(&**pattern).unwrap_or(pattern);
            // The innermost record is the most precise; later ones are ignored.
            let _ = slot.0.set(label.clone());
        }
        result
    }
}

/// The route that answered: a pattern longer than the one the request
/// arrived with names a route below; the same one means that only a nest
/// matched and nothing in it did; none means that the wrapped endpoint
/// is itself the route (then the nest's pattern is its own).
fn matched<'a>(
    arrived_with: Option<&'a PathPattern>,
    answered_with: Option<&'a PathPattern>,
) -> Option<&'a PathPattern> {
    match (arrived_with, answered_with) {
        (Some(nest), Some(answer)) if nest.0 == answer.0 => None,
        (_, Some(answer)) => Some(answer),
        (Some(nest), None) => Some(nest),
        (None, None) => None,
    }
    .filter(|pattern| !pattern.0.is_empty())
}

#[cfg(test)]
mod tests {
    use std::{
        collections::BTreeSet,
        sync::{
            Arc,
            atomic::{AtomicU8, Ordering},
        },
    };

    use latch_domain::{
        Authenticator, NoEvents, PasswordHash, Policies, Ports, SessionToken,
        ports::{
            MockClock, MockGroupRepository, MockPasswordHasher, MockPendingSignInRepository,
            MockSecondFactorRepository, MockSecretSealer, MockSessionRepository,
            MockSignInAttemptRepository, MockStoreHealth, MockTokenSource, MockUserRepository,
        },
    };
    use poem::{
        Endpoint,
        endpoint::BoxEndpoint,
        http::{Method, StatusCode},
    };

    use super::*;
    use crate::{
        Metrics, Services, TelemetrySettings, TrustedProxies, WebSettings, with_telemetry,
    };

    /// The whole application, as `latch` serves it, over ports that fail
    /// the test if a request reaches the store, and the metrics it counts
    /// into.
    async fn application() -> (BoxEndpoint<'static>, Arc<Metrics>) {
        let mut hasher = MockPasswordHasher::new();
        hasher
            .expect_hash()
            .returning(|_| Ok(PasswordHash::new("$argon2id$dummy")));
        let mut tokens = MockTokenSource::new();
        let next = Arc::new(AtomicU8::new(0));
        tokens.expect_session_token().returning(move || {
            SessionToken::from_random_bytes([next.fetch_add(1, Ordering::Relaxed); 32])
        });
        let mut clock = MockClock::new();
        clock
            .expect_now()
            .return_const(time::OffsetDateTime::UNIX_EPOCH);
        let ports = Ports {
            users: Arc::new(MockUserRepository::new()),
            sessions: Arc::new(MockSessionRepository::new()),
            groups: Arc::new(MockGroupRepository::new()),
            second_factors: Arc::new(MockSecondFactorRepository::new()),
            pending: Arc::new(MockPendingSignInRepository::new()),
            sealer: Arc::new(MockSecretSealer::new()),
            attempts: Arc::new(MockSignInAttemptRepository::new()),
            hasher: Arc::new(hasher),
            clock: Arc::new(clock),
            tokens: Arc::new(tokens),
            events: Arc::new(NoEvents),
            digests: Arc::new(crate::tests::fixture::FixedDigests),
        };
        let auth = Authenticator::new(ports, Policies::default())
            .await
            .unwrap();
        let services = Services {
            visitors: auth.visitors(),
            owners: auth.account_owners(),
            health: Arc::new(MockStoreHealth::new()),
        };
        let settings = WebSettings {
            cookie_secure: false,
            cookie_domain: None,
            csrf_key: [7; 32],
            max_body_bytes: crate::DEFAULT_MAX_BODY_BYTES,
            trusted_proxies: TrustedProxies::new(Vec::new()),
            sign_in_limit: None,
            sign_up_limit: None,
            access: latch_domain::AccessRules::default(),
            portal_url: None,
            allowed_hosts: Vec::new(),
            totp: crate::TotpSettings {
                issuer: "Latch".to_owned(),
                available: true,
            },
        };
        let metrics = Arc::new(Metrics::new());
        let app = with_telemetry(
            crate::endpoint(services, settings).unwrap(),
            TelemetrySettings {
                metrics: Some(metrics.clone()),
            },
        );
        (app, metrics)
    }

    async fn send(app: &BoxEndpoint<'static>, method: Method, path: &str) -> Response {
        let request = Request::builder().method(method).uri_str(path).finish();
        app.call(request).await.unwrap()
    }

    /// The route labels of every request counted so far.
    fn labels(metrics: &Metrics) -> BTreeSet<String> {
        metrics
            .render()
            .lines()
            .filter(|line| line.starts_with("latch_http_requests_total{"))
            .filter_map(|line| line.split('"').nth(1))
            .map(str::to_owned)
            .collect()
    }

    #[tokio::test]
    async fn routes_are_a_fixed_set() {
        let cases: [(Method, &str, &str); 12] = [
            (Method::GET, "/login", "/login"),
            (Method::GET, "/static/latch.css", "/static/:name"),
            (Method::GET, "/static/nothing-here.js", "/static/:name"),
            (Method::GET, "/health/live", "/health/live"),
            (Method::GET, "/api/docs", "/api/docs"),
            (Method::GET, "/api/docs/oauth-receiver.html", "/api/docs"),
            (Method::GET, "/api/openapi.json", "/api/openapi.json"),
            (Method::GET, "/api/me/sessions", "/api/me/sessions"),
            (
                Method::DELETE,
                "/api/me/sessions/0123456789abcdef0123456789abcdef",
                "/api/me/sessions/:id",
            ),
            (Method::GET, "/api/me/sessions/", UNMATCHED),
            (Method::GET, "/api/me/sessions/a/b", UNMATCHED),
            (Method::GET, "/wp-admin.php", UNMATCHED),
        ];
        let more_unmatched = ["/login/", "/api/nowhere", "/static/a/b", "/account/x"];
        let (app, metrics) = application().await;
        for (method, path, label) in &cases {
            // One request at a time, so that the new label is this one's.
            let before = labels(&metrics);
            send(&app, method.clone(), path).await;
            let after = labels(&metrics);
            let new: Vec<&String> = after.difference(&before).collect();
            assert!(
                after.contains(*label) && new.iter().all(|new| new == label),
                "{method} {path}: expected {label}, new labels {new:?}"
            );
        }
        for path in more_unmatched {
            let response = send(&app, Method::GET, path).await;
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        }
        let expected: BTreeSet<String> = cases
            .iter()
            .map(|(_, _, label)| (*label).to_owned())
            .collect();
        assert_eq!(labels(&metrics), expected);
    }

    #[test]
    fn openapi_parameters_keep_their_documented_names() {
        let document = r#"{"paths": {"/me": {}, "/me/sessions/{id}": {}, "/a/{x}/b/{y}": {}}}"#;
        let record = RecordRoute::openapi("/api", document);
        let renamed: BTreeSet<(&str, &str)> = record
            .renamed
            .iter()
            .map(|(routed, named)| (routed.as_str(), &**named))
            .collect();
        assert_eq!(
            renamed,
            BTreeSet::from([
                ("/api/me/sessions/:param0", "/api/me/sessions/:id"),
                ("/api/a/:param0/b/:param1", "/api/a/:x/b/:y"),
            ])
        );
        assert!(RecordRoute::openapi("/api", "not json").renamed.is_empty());
    }

    #[test]
    fn only_a_route_below_the_nest_counts() {
        let pattern = |text: &str| PathPattern(text.into());
        let (api, login) = (pattern("/api"), pattern("/api/login"));
        assert_eq!(
            matched(Some(&api), Some(&login)).map(|p| &*p.0),
            Some("/api/login")
        );
        assert!(matched(Some(&api), Some(&api)).is_none());
        assert_eq!(matched(Some(&api), None).map(|p| &*p.0), Some("/api"));
        assert_eq!(
            matched(None, Some(&login)).map(|p| &*p.0),
            Some("/api/login")
        );
        assert!(matched(None, Some(&pattern(""))).is_none());
        assert!(matched(None, None).is_none());
    }
}
