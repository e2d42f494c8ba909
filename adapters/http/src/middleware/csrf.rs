//! Cross-site request forgery protection: signed, masked double-submit
//! tokens bound to the session, behind a Fetch Metadata check.
//!
//! Every browser keeps a random 32-byte secret in an HttpOnly cookie, set by
//! the first page that hands out a token and finds none, and left alone
//! after that (a JSON client with a bearer token never gets one). The token a
//! page hands out (in its forms and its `<meta name="csrf-token">`) is the
//! HMAC-SHA256, under the server's CSRF key, of that secret and of the
//! session the page leaves the browser with (the SHA-256 digest of the
//! session cookie's token, or a fixed "no session" marker), masked with 32
//! fresh random bytes on every page, so a page that a proxy compresses
//! leaks nothing about it (BREACH). An unsafe request passes only with a
//! token that, unmasked, is the HMAC of the secret and the session in its
//! own cookies: a site that can plant cookies still cannot make a matching
//! token without the key, nor pair its own secret and token with a victim's
//! session. The check takes constant time.
//!
//! Before the token, an unsafe request that the browser marks
//! `Sec-Fetch-Site: cross-site` is refused outright: another site started
//! it. Browsers that send no Fetch Metadata still get the token check.

use std::sync::{Arc, OnceLock};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use poem::{
    Endpoint, Middleware, Request, Result,
    middleware::{CookieJarManager, CookieJarManagerEndpoint},
    web::cookie::CookieJar,
};
use rand::RngCore;
use sha2::Sha256;

use crate::middleware::cookies::CookiePolicy;

/// The bytes of a browser's secret, of a mask and of an HMAC.
const LEN: usize = 32;

/// Bound into every HMAC, so the CSRF key can sign nothing else.
const PURPOSE: &[u8] = b"latch csrf token v2\0";

/// The session a token is bound to, as the session cookie names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Binding {
    /// No session cookie, or one that cannot be a token of ours.
    NoSession,
    /// The SHA-256 digest of the session cookie's token (what the store
    /// keys the session by): the HMAC never takes the token itself.
    Session([u8; LEN]),
}

impl Binding {
    /// The session the session cookie in `jar` names.
    fn of(jar: &CookieJar, cookies: &CookiePolicy) -> Self {
        cookies.session_token(jar).map_or(Self::NoSession, |token| {
            Self::Session(*token.id().as_bytes())
        })
    }
}

/// Why an unsafe request failed the CSRF check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The browser says another site started the request
    /// (`Sec-Fetch-Site: cross-site`).
    CrossSite,
    /// No token, or not one this browser's pages carry for its session.
    InvalidToken,
}

/// The middleware: reads the browser's secret and gives the request its
/// [`CsrfToken`].
#[derive(Clone)]
pub(crate) struct CsrfProtection {
    key: Arc<Hmac<Sha256>>,
    cookies: CookiePolicy,
}

impl CsrfProtection {
    /// Tokens signed with `key`; the secret travels in the cookie `cookies`
    /// names.
    pub(crate) fn new(key: &[u8; 32], cookies: CookiePolicy) -> Self {
        // Any key length suits HMAC; this cannot fail.
        let key = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
        Self {
            key: Arc::new(key),
            cookies,
        }
    }

    /// The token of the browser whose cookies are in `jar`: the secret it
    /// sent, if that is one this server could have made, and the session
    /// it presents.
    pub(crate) fn token_for(&self, jar: &CookieJar) -> CsrfToken {
        let secret = OnceLock::new();
        if let Some(sent) = self
            .cookies
            .csrf_secret(jar)
            .and_then(|value| decode(&value))
        {
            secret.get_or_init(|| sent);
        }
        CsrfToken {
            key: Arc::clone(&self.key),
            secret,
            presented: Binding::of(jar, &self.cookies),
            jar: jar.clone(),
            cookies: self.cookies.clone(),
        }
    }
}

impl<E: Endpoint> Middleware<E> for CsrfProtection {
    /// Inside a cookie jar: the one the new secret's cookie is added to.
    type Output = CookieJarManagerEndpoint<CsrfEndpoint<E>>;

    fn transform(&self, inner: E) -> Self::Output {
        CookieJarManager::new().transform(CsrfEndpoint {
            inner,
            protection: self.clone(),
        })
    }
}

/// An endpoint behind [`CsrfProtection`].
pub(crate) struct CsrfEndpoint<E> {
    inner: E,
    protection: CsrfProtection,
}

impl<E: Endpoint> Endpoint for CsrfEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        let token = self.protection.token_for(req.cookie());
        req.extensions_mut().insert(token);
        self.inner.call(req).await
    }
}

/// One browser's CSRF secret: makes the tokens its pages carry and checks
/// those its requests send back.
#[derive(Clone)]
pub(crate) struct CsrfToken {
    key: Arc<Hmac<Sha256>>,
    /// The browser's secret; empty until a page issues one, if it sent none.
    secret: OnceLock<[u8; LEN]>,
    /// The session the request's cookie presents: what a token it sends
    /// must be bound to.
    presented: Binding,
    /// The request's cookies, with what the response changes in them: where
    /// a newly issued secret goes, and the session a page's token is for.
    jar: CookieJar,
    cookies: CookiePolicy,
}

impl CsrfToken {
    /// A token for one page: a fresh mask, then the mask XOR the HMAC of the
    /// secret and the session, in unpadded URL-safe Base64. The session is
    /// the one the response leaves the browser with: a handler that signed
    /// someone in or out, or cleared a dead session's cookie, has already
    /// changed it in the jar. A browser without a secret gets one now, in a
    /// cookie.
    pub(crate) fn masked(&self) -> String {
        let secret = self.secret.get_or_init(|| {
            let secret = random_bytes();
            self.cookies
                .set_csrf_secret(&self.jar, &URL_SAFE_NO_PAD.encode(secret));
            secret
        });
        let mask = random_bytes();
        let session = Binding::of(&self.jar, &self.cookies);
        let signature = signature(&self.key, secret, session)
            .finalize()
            .into_bytes();
        let mut token = [0; 2 * LEN];
        token[..LEN].copy_from_slice(&mask);
        for (out, (mask, signature)) in token[LEN..].iter_mut().zip(mask.iter().zip(signature)) {
            *out = mask ^ signature;
        }
        URL_SAFE_NO_PAD.encode(token)
    }

    /// Whether `token`, as a request sent it, is one this secret's pages
    /// carry for the session the request presents. Without a secret, or
    /// malformed, it is simply not valid.
    pub(crate) fn is_valid(&self, token: &str) -> bool {
        let Some(secret) = self.secret.get() else {
            return false;
        };
        let mut bytes = [0; 2 * LEN];
        match URL_SAFE_NO_PAD.decode_slice(token.trim(), &mut bytes) {
            Ok(len) if len == bytes.len() => {}
            _ => return false,
        }
        let (mask, masked) = bytes.split_at(LEN);
        let mut unmasked = [0; LEN];
        for (out, (mask, masked)) in unmasked.iter_mut().zip(mask.iter().zip(masked)) {
            *out = mask ^ masked;
        }
        signature(&self.key, secret, self.presented)
            .verify_slice(&unmasked)
            .is_ok()
    }
}

/// The one CSRF check of an unsafe request, for pages and API alike: the
/// browser must not say another site started it, and `presented` (a form
/// field or the `X-CSRF-Token` header) must be a valid token for the
/// browser and session that sent `req`. No token, or no CSRF middleware
/// around, is not valid.
pub(crate) fn check(req: &Request, presented: Option<&str>) -> Result<(), Refusal> {
    if is_cross_site(req) {
        return Err(Refusal::CrossSite);
    }
    match (presented, req.extensions().get::<CsrfToken>()) {
        (Some(token), Some(csrf)) if csrf.is_valid(token) => Ok(()),
        _ => Err(Refusal::InvalidToken),
    }
}

/// Whether the browser marks `req` as started by another site. Only
/// `cross-site` is: `same-origin`, `same-site` (a sibling subdomain, which
/// the token still stops), `none` (typed or bookmarked) and no header at
/// all (older browsers, other clients) are left to the token.
fn is_cross_site(req: &Request) -> bool {
    req.header("sec-fetch-site")
        .is_some_and(|site| site.trim().eq_ignore_ascii_case("cross-site"))
}

/// The HMAC of `secret` and `session` under `key`, ready to finish or to
/// verify. Every input has a fixed length or a tag, so no two pairs of
/// inputs sign the same bytes.
fn signature(key: &Hmac<Sha256>, secret: &[u8; LEN], session: Binding) -> Hmac<Sha256> {
    let mut mac = key.clone();
    mac.update(PURPOSE);
    mac.update(secret);
    match session {
        Binding::NoSession => mac.update(&[0]),
        Binding::Session(digest) => {
            mac.update(&[1]);
            mac.update(&digest);
        }
    }
    mac
}

/// A secret as its cookie carries it, if it is one.
fn decode(value: &str) -> Option<[u8; LEN]> {
    let mut secret = [0; LEN];
    match URL_SAFE_NO_PAD.decode_slice(value, &mut secret) {
        Ok(len) if len == LEN => Some(secret),
        _ => None,
    }
}

/// Random bytes from the thread's CSPRNG (ChaCha, seeded and reseeded from
/// the operating system): a system call per page would cost more than the
/// rest of the check.
fn random_bytes() -> [u8; LEN] {
    let mut bytes = [0; LEN];
    rand::rng().fill_bytes(&mut bytes);
    bytes
}

#[cfg(test)]
mod tests {
    use latch_domain::SessionToken;
    use poem::{http::Method, web::cookie::Cookie};

    use super::*;

    /// A browser whose secret is `[secret; LEN]` and that presents no
    /// session, on a server whose key is `[key; 32]`.
    fn token(key: u8, secret: u8) -> CsrfToken {
        signed_in(key, secret, None)
    }

    /// A browser as [`token`] makes it, presenting the session cookie of
    /// the token `[session; 32]`, if any.
    fn signed_in(key: u8, secret: u8, session: Option<u8>) -> CsrfToken {
        let jar = CookieJar::default();
        jar.add(Cookie::new_with_str(
            "latch_csrf",
            URL_SAFE_NO_PAD.encode([secret; LEN]),
        ));
        if let Some(session) = session {
            let token = SessionToken::from_random_bytes([session; 32]);
            jar.add(Cookie::new_with_str("latch_session", token.encode()));
        }
        protection(key).token_for(&jar)
    }

    fn without_secret(key: u8) -> CsrfToken {
        protection(key).token_for(&CookieJar::default())
    }

    fn protection(key: u8) -> CsrfProtection {
        CsrfProtection::new(&[key; 32], CookiePolicy::new(false, None))
    }

    /// An unsafe request with these headers, behind the CSRF middleware of
    /// a browser presenting `csrf`.
    fn request(csrf: &CsrfToken, headers: &[(&str, &str)]) -> Request {
        let mut builder = Request::builder().method(Method::POST);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let mut req = builder.finish();
        req.extensions_mut().insert(csrf.clone());
        req
    }

    #[test]
    fn a_page_token_is_valid_for_its_own_secret() {
        let browser = token(1, 7);
        assert!(browser.is_valid(&browser.masked()));
    }

    #[test]
    fn every_page_gets_a_different_token_and_all_of_them_are_valid() {
        let browser = token(1, 7);
        let first = browser.masked();
        let second = browser.masked();
        assert_ne!(first, second);
        assert!(browser.is_valid(&first) && browser.is_valid(&second));
    }

    #[test]
    fn a_token_of_another_secret_or_key_is_refused() {
        let browser = token(1, 7);
        assert!(!browser.is_valid(&token(1, 8).masked()), "another browser");
        assert!(
            !browser.is_valid(&token(2, 7).masked()),
            "another server key"
        );
    }

    #[test]
    fn tampered_and_malformed_tokens_are_refused() {
        let browser = token(1, 7);
        let good = browser.masked();
        let mut flipped = good.clone().into_bytes();
        let last = flipped.len() - 2;
        flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(flipped).unwrap_or_default();
        for bad in [
            flipped.as_str(),
            &good[..good.len() - 4],
            "",
            "not base64 at all!",
            &URL_SAFE_NO_PAD.encode([0u8; 2 * LEN]),
        ] {
            assert!(!browser.is_valid(bad), "{bad:?}");
        }
    }

    #[test]
    fn a_browser_without_a_secret_gets_one_with_its_first_token() {
        let browser = without_secret(1);
        assert!(
            !browser.is_valid(&token(1, 7).masked()),
            "no secret, no token"
        );
        assert!(browser.jar.get("latch_csrf").is_none());
        let first = browser.masked();
        let cookie = browser
            .jar
            .get("latch_csrf")
            .expect("the new secret's cookie");
        assert_eq!(decode(cookie.value_str()).as_ref(), browser.secret.get());
        assert!(browser.is_valid(&first));
    }

    #[test]
    fn only_a_well_formed_secret_cookie_is_read() {
        assert_eq!(decode(&URL_SAFE_NO_PAD.encode([9; LEN])), Some([9; LEN]));
        assert_eq!(decode(&URL_SAFE_NO_PAD.encode([9; LEN - 1])), None);
        assert_eq!(decode("%%%"), None);
    }

    #[test]
    fn a_token_is_valid_only_with_the_session_it_was_made_for() {
        let alice = signed_in(1, 7, Some(1));
        let token = alice.masked();
        assert!(alice.is_valid(&token), "the same secret and session");
        // The same secret (planted, or shared), another session.
        let bob = signed_in(1, 7, Some(2));
        assert!(!bob.is_valid(&token), "another session's cookie");
        assert!(!alice.is_valid(&bob.masked()));
        let signed_out = signed_in(1, 7, None);
        assert!(!signed_out.is_valid(&token), "no session cookie");
        assert!(!alice.is_valid(&signed_out.masked()), "a signed-out token");
    }

    #[test]
    fn a_page_token_is_for_the_session_the_response_leaves() {
        let browser = signed_in(1, 7, Some(1));
        let cookies = CookiePolicy::new(false, None);
        // A handler signs the browser out: the page's token is for no
        // session, the cookies the next request will send.
        cookies.clear_session(&browser.jar);
        let token = browser.masked();
        assert!(!browser.is_valid(&token), "not for the session it had");
        assert!(signed_in(1, 7, None).is_valid(&token));
        // Or a handler signs someone in: the token is for the new session.
        let browser = signed_in(1, 7, None);
        let session = SessionToken::from_random_bytes([3; 32]);
        browser
            .jar
            .add(Cookie::new_with_str("latch_session", session.encode()));
        let token = browser.masked();
        assert!(signed_in(1, 7, Some(3)).is_valid(&token));
    }

    #[test]
    fn a_malformed_session_cookie_counts_as_none() {
        let jar = CookieJar::default();
        jar.add(Cookie::new_with_str(
            "latch_csrf",
            URL_SAFE_NO_PAD.encode([7; LEN]),
        ));
        jar.add(Cookie::new_with_str("latch_session", "not a token"));
        let browser = protection(1).token_for(&jar);
        assert!(browser.is_valid(&signed_in(1, 7, None).masked()));
        assert!(signed_in(1, 7, None).is_valid(&browser.masked()));
    }

    #[test]
    fn a_cross_site_request_is_refused_even_with_a_valid_token() {
        let browser = signed_in(1, 7, Some(1));
        let token = browser.masked();
        for site in ["cross-site", "Cross-Site", " cross-site "] {
            let req = request(&browser, &[("sec-fetch-site", site)]);
            assert_eq!(
                check(&req, Some(&token)),
                Err(Refusal::CrossSite),
                "{site:?}"
            );
        }
        for site in ["same-origin", "same-site", "none"] {
            let req = request(&browser, &[("sec-fetch-site", site)]);
            assert_eq!(check(&req, Some(&token)), Ok(()), "{site:?}");
            assert_eq!(check(&req, Some("forged")), Err(Refusal::InvalidToken));
        }
        let req = request(&browser, &[]);
        assert_eq!(check(&req, Some(&token)), Ok(()), "no Fetch Metadata");
        assert_eq!(check(&req, None), Err(Refusal::InvalidToken));
    }
}
