//! Headers every response carries, so browsers refuse what pages never do.

use poem::middleware::SetHeader;

/// What pages may load: only this origin's own files, no plugins, no
/// framing, and forms may post only here.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// The API docs page (Swagger UI) inlines its script and styles, so it alone
/// may run inline code; it shows no account data and takes no input.
const DOCS_CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// The security headers of pages and API responses; HSTS only when cookies
/// are secure (served over HTTPS).
pub(crate) fn strict(cookie_secure: bool) -> SetHeader {
    with_policy(CONTENT_SECURITY_POLICY.to_owned(), cookie_secure)
}

/// [`strict`], for the pages, whose forms may also end at `form_targets`
/// (the apps a sign-in or sign-out returns to: browsers hold the redirect
/// after a form to `form-action`), given as CSP sources.
pub(crate) fn pages(cookie_secure: bool, form_targets: &[String]) -> SetHeader {
    let mut policy = CONTENT_SECURITY_POLICY.to_owned();
    for source in form_targets {
        policy.push(' ');
        policy.push_str(source);
    }
    with_policy(policy, cookie_secure)
}

/// The security headers of the API docs page.
pub(crate) fn docs_page(cookie_secure: bool) -> SetHeader {
    with_policy(DOCS_CONTENT_SECURITY_POLICY.to_owned(), cookie_secure)
}

/// For API responses, which carry tokens and account data: no cache keeps
/// them (RFC 6749 §5.1 asks this of token responses).
pub(crate) fn never_cached() -> SetHeader {
    SetHeader::new().overriding("Cache-Control", "no-store")
}

/// HSTS and Cross-Origin-Opener-Policy go only with secure cookies, that
/// is over HTTPS: browsers ignore both over plain HTTP (bar `localhost`)
/// and say so in the console.
fn with_policy(policy: String, cookie_secure: bool) -> SetHeader {
    let headers = SetHeader::new()
        .overriding("Content-Security-Policy", policy)
        .overriding("X-Content-Type-Options", "nosniff")
        .overriding("Referrer-Policy", "same-origin");
    if cookie_secure {
        headers
            .overriding("Cross-Origin-Opener-Policy", "same-origin")
            .overriding(
                "Strict-Transport-Security",
                "max-age=63072000; includeSubDomains",
            )
    } else {
        headers
    }
}
