//! Cross-site request forgery protection: signed, masked double-submit
//! tokens.
//!
//! Every browser keeps a random 32-byte secret in an HttpOnly cookie, set by
//! the first page that hands out a token and finds none, and left alone
//! after that (a JSON client with a bearer token never gets one). The token a
//! page hands out (in its forms and its `<meta name="csrf-token">`) is the
//! HMAC-SHA256 of that secret under the server's CSRF key, masked with 32
//! fresh random bytes on every page, so a page that a proxy compresses
//! leaks nothing about it (BREACH). An unsafe request passes only with a
//! token that, unmasked, is the HMAC of the secret in its own cookie: a site
//! that can plant a cookie still cannot make a matching token without the
//! key. The check takes constant time.

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
const PURPOSE: &[u8] = b"latch csrf token v1\0";

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

    /// The request's token, with the secret its browser sent, if that is
    /// one this server could have made.
    fn token_for(&self, req: &Request) -> CsrfToken {
        let jar = req.cookie();
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
        let token = self.protection.token_for(&req);
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
    /// Where a newly issued secret goes.
    jar: CookieJar,
    cookies: CookiePolicy,
}

impl CsrfToken {
    /// A token for one page: a fresh mask, then the mask XOR the HMAC of the
    /// secret, in unpadded URL-safe Base64. A browser without a secret gets
    /// one now, in a cookie.
    pub(crate) fn masked(&self) -> String {
        let secret = self.secret.get_or_init(|| {
            let secret = random_bytes();
            self.cookies
                .set_csrf_secret(&self.jar, &URL_SAFE_NO_PAD.encode(secret));
            secret
        });
        let mask = random_bytes();
        let signature = signature(&self.key, secret).finalize().into_bytes();
        let mut token = [0; 2 * LEN];
        token[..LEN].copy_from_slice(&mask);
        for (out, (mask, signature)) in token[LEN..].iter_mut().zip(mask.iter().zip(signature)) {
            *out = mask ^ signature;
        }
        URL_SAFE_NO_PAD.encode(token)
    }

    /// Whether `token`, as a request sent it, is one this secret's pages
    /// carry. Without a secret, or malformed, it is simply not valid.
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
        signature(&self.key, secret).verify_slice(&unmasked).is_ok()
    }
}

/// The one CSRF check, for pages and API alike: whether `presented` (a form
/// field or the `X-CSRF-Token` header) is a valid token for the browser
/// that sent `req`. No token, or no CSRF middleware around, is not valid.
pub(crate) fn is_valid_for(req: &Request, presented: Option<&str>) -> bool {
    match (presented, req.extensions().get::<CsrfToken>()) {
        (Some(token), Some(csrf)) => csrf.is_valid(token),
        _ => false,
    }
}

/// The HMAC of `secret` under `key`, ready to finish or to verify.
fn signature(key: &Hmac<Sha256>, secret: &[u8; LEN]) -> Hmac<Sha256> {
    let mut mac = key.clone();
    mac.update(PURPOSE);
    mac.update(secret);
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
    use super::*;

    fn token(key: u8, secret: u8) -> CsrfToken {
        let token = without_secret(key);
        token.secret.get_or_init(|| [secret; LEN]);
        token
    }

    fn without_secret(key: u8) -> CsrfToken {
        CsrfToken {
            key: CsrfProtection::new(&[key; 32], CookiePolicy::new(false)).key,
            secret: OnceLock::new(),
            jar: CookieJar::default(),
            cookies: CookiePolicy::new(false),
        }
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
}
