//! Headers every response carries, so browsers refuse what pages never do.

use poem::middleware::SetHeader;

/// What pages may load: only this origin's own files, no plugins, no
/// framing, and forms may post only here.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// The security headers; HSTS only when cookies are secure (served over HTTPS).
pub(crate) fn headers(cookie_secure: bool) -> SetHeader {
    let headers = SetHeader::new()
        .overriding("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        .overriding("X-Content-Type-Options", "nosniff")
        .overriding("Referrer-Policy", "same-origin")
        .overriding("Cross-Origin-Opener-Policy", "same-origin");
    if cookie_secure {
        headers.overriding(
            "Strict-Transport-Security",
            "max-age=63072000; includeSubDomains",
        )
    } else {
        headers
    }
}
