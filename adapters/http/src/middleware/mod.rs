//! What wraps every request before a handler sees it: the body limit, the
//! client's address, cookies, CSRF tokens and their guard, per-address rate
//! limits, and security headers.

pub(crate) mod body_limit;
pub(crate) mod client_ip;
pub(crate) mod cookies;
pub(crate) mod csrf;
pub(crate) mod csrf_guard;
pub(crate) mod rate_limit;
pub(crate) mod security_headers;
