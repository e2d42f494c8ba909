//! The request a proxy asks about, as its headers describe it: nginx's
//! `X-Original-URL`, or the `X-Forwarded-*` set Caddy and Traefik send.

use poem::{Request, http::Uri};

/// The longest original URL considered; a longer one is ignored.
const MAX_URL_LEN: usize = 8192;

/// An absolute URL split into what the rules need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct OriginalUrl {
    /// The URL as given.
    pub(super) full: String,
    /// Its host, with the port if any.
    pub(super) host: String,
    /// Its path and query.
    pub(super) path: String,
}

/// nginx's `X-Original-URL` (`$scheme://$http_host$request_uri`), if
/// present and an absolute `http` or `https` URL.
pub(super) fn original_url(req: &Request) -> Option<OriginalUrl> {
    let text = req.header("x-original-url")?.trim();
    parse_absolute(text)
}

fn parse_absolute(text: &str) -> Option<OriginalUrl> {
    if text.len() > MAX_URL_LEN {
        return None;
    }
    let uri: Uri = text.parse().ok()?;
    let scheme = uri.scheme_str()?;
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return None;
    }
    let host = uri.authority()?.as_str();
    // No user information: `https://user@host` names host, not user.
    if host.contains('@') {
        return None;
    }
    let path = uri
        .path_and_query()
        .map_or_else(|| "/".to_owned(), |path| path.as_str().to_owned());
    Some(OriginalUrl {
        full: text.to_owned(),
        host: host.to_owned(),
        path,
    })
}

/// The original request as `X-Forwarded-Method`, `-Proto`, `-Host` and
/// `-Uri` describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ForwardedRequest {
    /// The method (`GET` when not given).
    pub(super) method: String,
    /// `http` or `https`.
    pub(super) proto: String,
    /// The host, with the port if any.
    pub(super) host: String,
    /// The path and query.
    pub(super) uri: String,
}

impl ForwardedRequest {
    /// Reads the headers; `None` without a usable host.
    pub(super) fn from_headers(req: &Request) -> Option<Self> {
        let header = |name: &str| req.header(name).map(str::trim).filter(|v| !v.is_empty());
        let host = header("x-forwarded-host")?;
        let proto = match header("x-forwarded-proto") {
            Some(proto) if proto.eq_ignore_ascii_case("https") => "https",
            _ => "http",
        };
        let uri = header("x-forwarded-uri").unwrap_or("/");
        let method = header("x-forwarded-method").unwrap_or("GET");
        let usable = |text: &str| text.len() <= MAX_URL_LEN && !text.chars().any(char::is_control);
        let host_ok = !host.contains(['/', '@', '?', '#', ' ']);
        if !(usable(host) && usable(uri) && host_ok && uri.starts_with('/')) {
            return None;
        }
        Some(Self {
            method: method.to_owned(),
            proto: proto.to_owned(),
            host: host.to_owned(),
            uri: uri.to_owned(),
        })
    }

    /// The original URL, to come back to after signing in.
    pub(super) fn url(&self) -> String {
        format!("{}://{}{}", self.proto, self.host, self.uri)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_absolute_url_is_split_into_host_and_path() {
        let url = parse_absolute("https://App.example.com:8443/admin/x?y=1").unwrap();
        assert_eq!(url.host, "App.example.com:8443");
        assert_eq!(url.path, "/admin/x?y=1");
        assert_eq!(parse_absolute("http://app.example.com").unwrap().path, "/");
    }

    #[test]
    fn anything_else_is_no_url() {
        for text in [
            "/just/a/path",
            "ftp://app.example.com/",
            "https://user@app.example.com/",
            "https://",
            "not a url",
            &format!("https://a.example.com/{}", "x".repeat(MAX_URL_LEN)),
        ] {
            assert_eq!(parse_absolute(text), None, "{text}");
        }
    }
}
