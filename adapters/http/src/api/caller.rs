//! Who is calling the API: a bearer token or the pages' session cookie.
//! Cookie-authenticated calls with unsafe methods must also carry the CSRF
//! token for that session in `X-CSRF-Token`, and must not be marked
//! `Sec-Fetch-Site: cross-site`; bearer calls need neither (no browser
//! attaches a bearer token by itself).

use std::{net::IpAddr, sync::Arc};

use latch_domain::{Channel, DeviceToken, Origin, SignedIn};
use poem::{FromRequest, Request, RequestBody, Result};
use poem_openapi::{
    ApiExtractor, ApiExtractorType, ExtractParamOptions,
    registry::{MetaSecurityScheme, Registry},
};

use super::problem::{Code, Problem, ProblemError};
use crate::{
    AppState,
    middleware::csrf,
    session::{self, Credential},
};

/// The name of the bearer scheme in the OpenAPI document.
const BEARER_SCHEME: &str = "bearer";
/// The name of the cookie scheme in the OpenAPI document.
const COOKIE_SCHEME: &str = "session_cookie";

/// The caller's IP address, as the trusted proxies report it (`None` when
/// the connection has no IP peer).
pub(crate) struct ClientIp(pub(crate) Option<IpAddr>);

impl<'a> FromRequest<'a> for ClientIp {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> Result<Self> {
        let state = req
            .data::<Arc<AppState>>()
            .ok_or_else(|| refuse(Code::InternalError, "The application state is missing."))?;
        Ok(Self(state.proxies.client_ip(req)))
    }
}

/// Who sends an API request, as the rate limits and the domain see it:
/// the client's address, user agent and device tokens (`X-Device-Token`,
/// one or several separated by commas, and for same-origin scripts the
/// browser's device cookie; malformed ones are skipped, the core checks the
/// rest).
pub(crate) struct Requester {
    /// The client's address.
    pub(crate) client: ClientIp,
    user_agent: Option<String>,
    devices: Vec<DeviceToken>,
}

impl Requester {
    /// Where the request comes from, as the domain records it.
    pub(crate) fn origin(&self) -> Origin {
        Origin::new(
            Channel::Api,
            self.user_agent.as_deref(),
            self.client.0.map(|ip| ip.to_string()),
        )
        .with_devices(self.devices.clone())
    }
}

impl<'a> FromRequest<'a> for Requester {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> Result<Self> {
        let state = req
            .data::<Arc<AppState>>()
            .ok_or_else(|| refuse(Code::InternalError, "The application state is missing."))?;
        let mut devices: Vec<DeviceToken> = req
            .headers()
            .get_all("x-device-token")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .take(MAX_DEVICE_TOKENS)
            .filter_map(DeviceToken::parse)
            .collect();
        devices.extend(state.cookies.device_tokens(req.cookie()));
        Ok(Self {
            client: ClientIp(state.proxies.client_ip(req)),
            user_agent: req.header("user-agent").map(str::to_owned),
            devices,
        })
    }
}

/// The most device tokens read from headers.
const MAX_DEVICE_TOKENS: usize = 5;

/// A signed-in caller: their account and session, and how they proved it.
pub(crate) struct Caller {
    pub(crate) signed_in: SignedIn,
    /// Whether the token came in the session cookie rather than as a bearer
    /// token: then a new session must be handed back as a cookie too.
    pub(crate) by_cookie: bool,
}

fn refuse(code: Code, detail: &str) -> poem::Error {
    ProblemError(Problem::new(code, detail)).into()
}

impl<'a> ApiExtractor<'a> for Caller {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];

    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        registry.create_security_scheme(
            BEARER_SCHEME,
            MetaSecurityScheme {
                ty: "http",
                description: Some(
                    "The token from `POST /api/login`, as `Authorization: Bearer <token>`.",
                ),
                name: None,
                key_in: None,
                scheme: Some("bearer"),
                bearer_format: Some("opaque"),
                flows: None,
                openid_connect_url: None,
            },
        );
        registry.create_security_scheme(
            COOKIE_SCHEME,
            MetaSecurityScheme {
                ty: "apiKey",
                description: Some(
                    "The pages' session cookie, for same-origin scripts (named `__Host-latch_session` when cookies are secure). Unsafe methods must also send the page's CSRF token (its `<meta name=\"csrf-token\">`, good only with the session it was made for) in `X-CSRF-Token`, and are refused when the browser marks them `Sec-Fetch-Site: cross-site`.",
                ),
                name: Some("latch_session"),
                key_in: Some("cookie"),
                scheme: None,
                bearer_format: None,
                flows: None,
                openid_connect_url: None,
            },
        );
    }

    fn security_schemes() -> Vec<&'static str> {
        vec![BEARER_SCHEME, COOKIE_SCHEME]
    }

    async fn from_request(
        req: &'a Request,
        _body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> Result<Self> {
        let state = req
            .data::<Arc<AppState>>()
            .ok_or_else(|| refuse(Code::InternalError, "The application state is missing."))?;
        let credential = session::credential(req, &state.cookies)
            .map_err(|_| {
                refuse(
                    Code::Unauthorized,
                    "The Authorization header must be `Bearer <token>` with a token from /api/login.",
                )
            })?
            .ok_or_else(|| {
                refuse(
                    Code::Unauthorized,
                    "Sign in first: send a bearer token or the session cookie.",
                )
            })?;
        let by_cookie = matches!(credential, Credential::Cookie(_));
        if by_cookie && !req.method().is_safe() {
            let detail = match csrf::check(req, req.header("x-csrf-token")) {
                Ok(()) => None,
                Err(csrf::Refusal::CrossSite) => Some(
                    "The browser says another site sent this cookie-authenticated request (Sec-Fetch-Site: cross-site).",
                ),
                Err(csrf::Refusal::InvalidToken) => Some(
                    "A cookie-authenticated request must carry a valid X-CSRF-Token header, from a page of this session.",
                ),
            };
            if let Some(detail) = detail {
                return Err(refuse(Code::CsrfFailed, detail));
            }
        }
        let signed_in = session::resolve(state, credential.token())
            .await
            .map_err(|error| {
                tracing::error!(%error, "store unavailable");
                refuse(
                    Code::StorageUnavailable,
                    "The store is temporarily unavailable.",
                )
            })?
            .ok_or_else(|| {
                refuse(
                    Code::Unauthorized,
                    "The session has ended or never existed: sign in again.",
                )
            })?;
        Ok(Self {
            signed_in,
            by_cookie,
        })
    }
}
