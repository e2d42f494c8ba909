//! Latch's web adapter: the HTML pages and the JSON API on Poem, plus the plumbing every
//! browser-facing service needs (session cookies, CSRF, body limits,
//! security headers, error pages, health checks), and what operators need:
//! request ids, request logs and Prometheus metrics ([`with_telemetry`]).
//!
//! It talks to the domain only through [`latch_domain::Authenticator`] and
//! the ports, and to templates only through [`render::PageRenderer`].

pub mod api;
mod audit;
mod body_limit;
mod client_ip;
mod cookies;
mod csrf;
mod csrf_guard;
mod error_pages;
#[doc(hidden)]
pub mod fuzzing;
mod health;
mod metrics;
mod pages;
mod rate_limit;
pub mod render;
mod security_headers;
mod telemetry;
mod visitor;

pub use telemetry::{REQUEST_ID_HEADER, TelemetrySettings, with_telemetry};

use std::sync::Arc;

use latch_domain::{Authenticator, StoreHealth};
use poem::{EndpointExt, Route, endpoint::BoxEndpoint, get};

use crate::{
    body_limit::BodyLimit,
    cookies::CookiePolicy,
    csrf::CsrfProtection,
    rate_limit::{RateLimiter, RateLimits},
    render::PageRenderer,
};
pub use crate::{
    client_ip::{InvalidNetwork, IpNetwork, TrustedProxies},
    rate_limit::RateLimit,
};

/// The largest request body accepted by default: 16 KiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 16 * 1024;

/// What the web adapter needs from the rest of the application.
#[derive(Clone)]
pub struct Services {
    /// The domain service.
    pub auth: Arc<Authenticator>,
    /// The template engine.
    pub pages: Arc<dyn PageRenderer>,
    /// The store, for readiness checks.
    pub health: Arc<dyn StoreHealth>,
}

/// How the web adapter behaves.
#[derive(Clone)]
pub struct WebSettings {
    /// Mark cookies `Secure` (and give them the `__Host-` prefix); send HSTS.
    pub cookie_secure: bool,
    /// The 32-byte key that signs CSRF tokens; every instance behind one
    /// load balancer needs the same.
    pub csrf_key: [u8; 32],
    /// The largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// The reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: TrustedProxies,
    /// Sign-in attempts allowed per client IP (`None`: unlimited).
    pub sign_in_limit: Option<RateLimit>,
    /// Sign-ups allowed per client IP (`None`: unlimited).
    pub sign_up_limit: Option<RateLimit>,
}

/// Everything a handler may need, shared by all requests.
pub(crate) struct AppState {
    pub(crate) services: Services,
    pub(crate) cookies: CookiePolicy,
    pub(crate) proxies: TrustedProxies,
    pub(crate) limits: RateLimits,
}

/// Builds the whole web application as one Poem endpoint: the pages, the
/// JSON API under `/api` and its documentation under `/api/docs`.
pub fn endpoint(services: Services, settings: WebSettings) -> BoxEndpoint<'static> {
    let cookies = CookiePolicy::new(settings.cookie_secure);
    let csrf = CsrfProtection::new(&settings.csrf_key, cookies.clone());
    let state = Arc::new(AppState {
        services: services.clone(),
        cookies: cookies.clone(),
        proxies: settings.trusted_proxies.clone(),
        limits: RateLimits {
            sign_in: RateLimiter::new(settings.sign_in_limit),
            sign_up: RateLimiter::new(settings.sign_up_limit),
        },
    });
    let secure = settings.cookie_secure;
    let max_body = settings.max_body_bytes;

    let pages = pages::routes()
        .around(visitor::resolve_visitor)
        .around(csrf_guard::require_csrf_token)
        .with(csrf.clone());
    let site = Route::new()
        .at("/health/live", get(health::live))
        .at("/health/ready", get(health::ready))
        .at("/static/:name", get(pages::asset))
        .nest("/", pages)
        .with(BodyLimit::new(max_body))
        .catch_all_error(error_pages::renderer(services.pages))
        .with(security_headers::strict(secure));
    let api = api::routes()
        .with(csrf)
        .with(BodyLimit::new(max_body))
        .catch_all_error(api::problem_response)
        .with(security_headers::strict(secure))
        .with(security_headers::never_cached());
    let docs = api::docs().with(security_headers::docs_page(secure));

    Route::new()
        .nest("/api/docs", docs)
        .nest("/api", api)
        .nest("/", site)
        .around(audit::record_client_ip)
        .data(state)
        .map_to_response()
        .boxed()
}
