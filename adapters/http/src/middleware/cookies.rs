//! The cookies Latch sets: the session, the CSRF secret (made and checked
//! by [`super::csrf`]), the browser's device tokens, a sign-in halfway
//! (waiting for its second step), and one-time flash messages.

use std::time::Duration;

use latch_domain::{
    DeviceToken, PendingToken, SessionToken, SignIn, second_factor::PENDING_SIGN_IN_LIFETIME,
};
use poem::web::cookie::{Cookie, CookieJar, SameSite};

/// Messages shown once, on the page after a redirect. The cookie carries
/// only a code, so it cannot inject text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flash {
    Registered,
    SignedIn,
    SignedOut,
    PasswordChanged,
    SessionEnded,
    OtherSessionsEnded,
    AccountDeleted,
    AppAdded,
    AppRemoved,
}

impl Flash {
    fn code(self) -> &'static str {
        match self {
            Self::Registered => "registered",
            Self::SignedIn => "signed-in",
            Self::SignedOut => "signed-out",
            Self::PasswordChanged => "password-changed",
            Self::SessionEnded => "session-ended",
            Self::OtherSessionsEnded => "other-sessions-ended",
            Self::AccountDeleted => "account-deleted",
            Self::AppAdded => "app-added",
            Self::AppRemoved => "app-removed",
        }
    }

    fn from_code(code: &str) -> Option<Self> {
        [
            Self::Registered,
            Self::SignedIn,
            Self::SignedOut,
            Self::PasswordChanged,
            Self::SessionEnded,
            Self::OtherSessionsEnded,
            Self::AccountDeleted,
            Self::AppAdded,
            Self::AppRemoved,
        ]
        .into_iter()
        .find(|flash| flash.code() == code)
    }

    /// The text shown to people.
    pub(crate) fn message(self) -> &'static str {
        match self {
            Self::Registered => "Account created. Please log in.",
            Self::SignedIn => "You are now logged in.",
            Self::SignedOut => "You have been logged out.",
            Self::PasswordChanged => {
                "Your password was changed. You were signed out everywhere else."
            }
            Self::SessionEnded => "That session was signed out.",
            Self::OtherSessionsEnded => "You were signed out everywhere else.",
            Self::AccountDeleted => "Your account was deleted.",
            Self::AppAdded => "Your authenticator app is set up.",
            Self::AppRemoved => "Your authenticator app was removed.",
        }
    }
}

/// How many accounts' device tokens one browser keeps.
const MAX_DEVICE_TOKENS: usize = 5;
/// Between device tokens in their cookie (never in URL-safe base64).
const DEVICE_SEPARATOR: &str = ".";
/// How long a browser keeps its device tokens.
const DEVICE_COOKIE_LIFETIME: Duration = Duration::from_secs(365 * 24 * 60 * 60);

/// Names and attributes of Latch's cookies.
#[derive(Debug, Clone)]
pub(crate) struct CookiePolicy {
    secure: bool,
    /// The domain the session cookie is shared with (`session.cookie_domain`),
    /// so one sign-in counts on every subdomain; `None`: host-only.
    session_domain: Option<String>,
}

impl CookiePolicy {
    /// Cookies marked `Secure` (with the `__Host-` prefix) when `secure`;
    /// the session cookie shared with `session_domain` and its subdomains
    /// when given.
    pub(crate) fn new(secure: bool, session_domain: Option<String>) -> Self {
        Self {
            secure,
            session_domain,
        }
    }

    /// `__Host-` cookies must be Secure, host-only and for path `/`, so a
    /// sibling subdomain or plain-HTTP page cannot plant one.
    fn name(&self, base: &'static str, host: &'static str) -> &'static str {
        if self.secure { host } else { base }
    }

    /// A session cookie shared with a domain cannot be `__Host-` (which is
    /// host-only by definition); when secure it is `__Secure-`, which still
    /// cannot be set over plain HTTP.
    pub(crate) fn session_cookie_name(&self) -> &'static str {
        match (&self.session_domain, self.secure) {
            (None, _) => self.name("latch_session", "__Host-latch_session"),
            (Some(_), true) => "__Secure-latch_session",
            (Some(_), false) => "latch_session",
        }
    }

    /// The session cookie named and scoped as configured.
    fn session_cookie(&self, value: &str) -> Cookie {
        let mut cookie = self.cookie(self.session_cookie_name(), value);
        if let Some(domain) = &self.session_domain {
            cookie.set_domain(domain.as_str());
        }
        cookie
    }

    pub(crate) fn csrf_cookie_name(&self) -> &'static str {
        self.name("latch_csrf", "__Host-latch_csrf")
    }

    fn flash_cookie_name(&self) -> &'static str {
        self.name("latch_flash", "__Host-latch_flash")
    }

    fn cookie(&self, name: &'static str, value: &str) -> Cookie {
        let mut cookie = Cookie::new_with_str(name, value);
        cookie.set_http_only(true);
        cookie.set_secure(self.secure);
        cookie.set_same_site(SameSite::Lax);
        cookie.set_path("/");
        cookie
    }

    fn expire(&self, jar: &CookieJar, name: &'static str) {
        let mut cookie = self.cookie(name, "");
        cookie.set_max_age(Duration::ZERO);
        jar.add(cookie);
    }

    /// The session token the client sent, if it is well formed.
    pub(crate) fn session_token(&self, jar: &CookieJar) -> Option<SessionToken> {
        jar.get(self.session_cookie_name())
            .and_then(|cookie| SessionToken::parse(cookie.value_str()))
    }

    /// Hands the client its new session's token: a browser-session cookie,
    /// or for a remembered session one that lasts as long as the session.
    pub(crate) fn set_session(&self, jar: &CookieJar, sign_in: &SignIn) {
        let mut cookie = self.session_cookie(&sign_in.token.encode());
        if sign_in.session.remember {
            let lifetime = sign_in.session.expires_at - sign_in.session.created_at;
            cookie.set_max_age(Duration::from_secs(
                lifetime.whole_seconds().max(0).unsigned_abs(),
            ));
        }
        jar.add(cookie);
    }

    fn device_cookie_name(&self) -> &'static str {
        self.name("latch_device", "__Host-latch_device")
    }

    /// The device tokens the browser holds (one per account it signed in
    /// to here, newest first); malformed ones are skipped.
    pub(crate) fn device_tokens(&self, jar: &CookieJar) -> Vec<DeviceToken> {
        jar.get(self.device_cookie_name())
            .map(|cookie| {
                cookie
                    .value_str()
                    .split(DEVICE_SEPARATOR)
                    .take(MAX_DEVICE_TOKENS)
                    .filter_map(DeviceToken::parse)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Keeps `device` first among the browser's device tokens, for a year;
    /// the oldest beyond [`MAX_DEVICE_TOKENS`] are dropped.
    pub(crate) fn set_device(&self, jar: &CookieJar, device: &DeviceToken) {
        let mut tokens = vec![device.clone()];
        tokens.extend(
            self.device_tokens(jar)
                .into_iter()
                .filter(|held| held != device)
                .take(MAX_DEVICE_TOKENS - 1),
        );
        let value: Vec<String> = tokens.iter().map(DeviceToken::encode).collect();
        let mut cookie = self.cookie(self.device_cookie_name(), &value.join(DEVICE_SEPARATOR));
        cookie.set_max_age(DEVICE_COOKIE_LIFETIME);
        jar.add(cookie);
    }

    /// Tells the client to forget its session token.
    pub(crate) fn clear_session(&self, jar: &CookieJar) {
        let mut cookie = self.session_cookie("");
        cookie.set_max_age(Duration::ZERO);
        jar.add(cookie);
    }

    /// The CSRF secret the client sent, as sent.
    pub(crate) fn csrf_secret(&self, jar: &CookieJar) -> Option<String> {
        jar.get(self.csrf_cookie_name())
            .map(|cookie| cookie.value_str().to_owned())
    }

    /// Hands the client a new CSRF secret, for as long as the browser runs.
    pub(crate) fn set_csrf_secret(&self, jar: &CookieJar, secret: &str) {
        jar.add(self.cookie(self.csrf_cookie_name(), secret));
    }

    /// Drops the CSRF secret so the next page gets a new one: tokens do not
    /// survive a change of who is signed in.
    pub(crate) fn rotate_csrf(&self, jar: &CookieJar) {
        self.expire(jar, self.csrf_cookie_name());
    }

    fn pending_cookie_name(&self) -> &'static str {
        self.name("latch_pending", "__Host-latch_pending")
    }

    /// Hands the browser a sign-in halfway, for the second-step page: it
    /// lives as long as the sign-in may wait.
    pub(crate) fn set_pending(&self, jar: &CookieJar, pending: &PendingToken) {
        let mut cookie = self.cookie(self.pending_cookie_name(), &pending.encode());
        let lifetime = PENDING_SIGN_IN_LIFETIME.whole_seconds().unsigned_abs();
        cookie.set_max_age(Duration::from_secs(lifetime));
        jar.add(cookie);
    }

    /// The sign-in halfway the browser holds, if well formed.
    pub(crate) fn pending(&self, jar: &CookieJar) -> Option<PendingToken> {
        jar.get(self.pending_cookie_name())
            .and_then(|cookie| PendingToken::parse(cookie.value_str()))
    }

    /// Tells the browser to forget its sign-in halfway.
    pub(crate) fn clear_pending(&self, jar: &CookieJar) {
        self.expire(jar, self.pending_cookie_name());
    }

    /// Leaves a message for the next page.
    pub(crate) fn set_flash(&self, jar: &CookieJar, flash: Flash) {
        let mut cookie = self.cookie(self.flash_cookie_name(), flash.code());
        cookie.set_max_age(Duration::from_secs(60));
        jar.add(cookie);
    }

    /// Takes the message left by the previous step, if any.
    pub(crate) fn take_flash(&self, jar: &CookieJar) -> Option<Flash> {
        let flash = jar
            .get(self.flash_cookie_name())
            .and_then(|cookie| Flash::from_code(cookie.value_str()));
        if flash.is_some() {
            self.expire(jar, self.flash_cookie_name());
        }
        flash
    }
}
