//! Latch's web adapter: the HTML pages and the JSON API on Poem, plus the
//! plumbing every browser-facing service needs, and what operators need.
//!
//! - `middleware`: CSRF, cookies, security headers, body limit, the
//!   client's address, rate limits: what wraps every request.
//! - `session`: who is calling (a session cookie or a bearer token), one
//!   way for pages and API alike.
//! - `pages`: the HTML pages, their views and templates; `api`: the JSON
//!   API with its OpenAPI document.
//! - `ops`: health checks, request ids and logs, Prometheus metrics, and
//!   the audit log, which listens to the domain's events.
//! - `server`: the accept loop and connections under it all, with the
//!   connection cap and the head and keep-alive timeouts.
//!
//! It reaches the domain only through the faces it is given: what visitors
//! and account owners may do, never what operators may do.

pub mod api;
mod failures;
mod forward_auth;
#[doc(hidden)]
pub mod fuzzing;
mod middleware;
mod ops;
mod pages;
mod server;
mod session;
#[cfg(test)]
mod tests;
mod user_agent;

pub use crate::{
    middleware::{
        client_ip::{InvalidNetwork, IpNetwork, TrustedProxies},
        rate_limit::RateLimit,
    },
    ops::{
        audit_log::AuditLog,
        metrics::Metrics,
        telemetry::{REQUEST_ID_HEADER, TelemetrySettings, metrics_endpoint, with_telemetry},
    },
    pages::{RenderError, Templates},
    server::{ConnectionLimits, serve},
    user_agent::browser_name,
};

use std::sync::Arc;

use latch_domain::{AccessRules, AccountOwners, StoreHealth, Visitors};
use poem::{EndpointExt, Route, endpoint::BoxEndpoint, get, middleware::CookieJarManager};

use crate::{
    forward_auth::Portal,
    middleware::{
        body_limit::BodyLimit,
        cookies::CookiePolicy,
        csrf::CsrfProtection,
        rate_limit::{RateLimiter, RateLimits},
        security_headers,
    },
    ops::{health, route_label::RecordRoute},
    pages::redirect::ReturnTargets,
};

/// The largest request body accepted by default: 16 KiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 16 * 1024;

/// What the web adapter needs from the rest of the application: the two
/// faces of the domain that requests may use, and the store's health.
#[derive(Clone)]
pub struct Services {
    /// What anyone may do: register, sign in, sign out.
    pub visitors: Visitors,
    /// What a signed-in person may do to their own account.
    pub owners: AccountOwners,
    /// The store, for readiness checks.
    pub health: Arc<dyn StoreHealth>,
}

/// How the web adapter behaves.
#[derive(Clone)]
pub struct WebSettings {
    /// Mark cookies `Secure` (and give them the `__Host-` prefix); send HSTS.
    pub cookie_secure: bool,
    /// Share the session cookie with this domain and its subdomains
    /// (`session.cookie_domain`); `None`: host-only.
    pub cookie_domain: Option<String>,
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
    /// Who may reach what behind a proxy using forward auth.
    pub access: AccessRules,
    /// Where the sign-in page is as browsers reach it
    /// (`https://auth.example.com`), for forward auth's redirects; `None`:
    /// on the same host as the apps.
    pub portal_url: Option<String>,
    /// Hosts of the apps behind forward auth, where a sign-in may return to.
    pub allowed_hosts: Vec<String>,
    /// Authenticator apps.
    pub totp: TotpSettings,
}

/// How authenticator apps are offered.
#[derive(Debug, Clone)]
pub struct TotpSettings {
    /// The name apps show the account under (`auth.totp_issuer`).
    pub issuer: String,
    /// Whether they may be set up: only under a configured
    /// `server.secret_key`, since keys sealed under a random one would not
    /// open after a restart.
    pub available: bool,
}

/// Everything a handler may need, shared by all requests.
pub(crate) struct AppState {
    pub(crate) services: Services,
    pub(crate) templates: Templates,
    pub(crate) cookies: CookiePolicy,
    pub(crate) proxies: TrustedProxies,
    pub(crate) limits: RateLimits,
    pub(crate) access: AccessRules,
    pub(crate) portal: Portal,
    pub(crate) return_targets: ReturnTargets,
    pub(crate) totp: TotpSettings,
}

/// Builds the whole web application as one Poem endpoint: the pages, the
/// JSON API under `/api` and its documentation under `/api/docs`. Fails
/// only if an embedded template does not compile.
pub fn endpoint(
    services: Services,
    settings: WebSettings,
) -> Result<BoxEndpoint<'static>, RenderError> {
    let cookies = CookiePolicy::new(settings.cookie_secure, settings.cookie_domain.clone());
    let return_targets = ReturnTargets::new(&settings.allowed_hosts, !settings.cookie_secure)
        .with_cookie_domain(settings.cookie_domain.clone());
    let form_targets = return_targets.csp_sources();
    let csrf = CsrfProtection::new(&settings.csrf_key, cookies.clone());
    let templates = Templates::new()?;
    let state = Arc::new(AppState {
        services,
        templates: templates.clone(),
        cookies,
        proxies: settings.trusted_proxies.clone(),
        limits: RateLimits {
            sign_in: RateLimiter::new(settings.sign_in_limit),
            sign_up: RateLimiter::new(settings.sign_up_limit),
        },
        access: settings.access,
        portal: Portal::new(settings.portal_url),
        return_targets,
        totp: settings.totp,
    });
    let secure = settings.cookie_secure;
    let max_body = settings.max_body_bytes;

    let pages = pages::routes()
        .around(session::resolve_visitor)
        .around(middleware::csrf_guard::require_csrf_token)
        .with(csrf.clone());
    let site = Route::new()
        .at("/health/live", get(health::live))
        .at("/health/ready", get(health::ready))
        .at("/static/:name", get(pages::asset))
        .nest("/", pages)
        .with(RecordRoute::default())
        .with(BodyLimit::new(max_body))
        .catch_all_error(pages::error_pages::renderer(templates))
        // Outside the error pages, so that what a request did to cookies
        // before it failed (clearing a dead session's) still reaches the
        // browser with the error page or the redirect to sign in.
        .with(CookieJarManager::new())
        .with(security_headers::pages(secure, &form_targets));
    let api = api::routes()
        .with(RecordRoute::openapi("/api", &api::openapi_document()))
        .with(csrf)
        .with(BodyLimit::new(max_body))
        .catch_all_error(api::problem_response)
        .with(security_headers::strict(secure))
        .with(security_headers::never_cached());
    // Asked by proxies before every request to an app: no CSRF, cookie
    // jar or error pages, only what the answer needs.
    let forward_auth = forward_auth::routes()
        .with(RecordRoute::default())
        .with(security_headers::strict(secure))
        .with(security_headers::never_cached());
    let docs = api::docs()
        .with(RecordRoute::default())
        .with(security_headers::docs_page(secure));

    Ok(Route::new()
        .nest("/auth", forward_auth)
        .nest("/api/docs", docs)
        .nest("/api", api)
        .nest("/", site)
        .around(middleware::client_ip::record_on_span)
        .data(state)
        .map_to_response()
        .boxed())
}
