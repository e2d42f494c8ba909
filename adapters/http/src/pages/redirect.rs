//! Where a sign-in may send people afterwards: a path on this site, or an
//! app on a host that forward auth protects.

/// The longest `next` target accepted.
const MAX_TARGET_LEN: usize = 2048;

/// The places a sign-in may return to besides this site's own paths:
/// absolute URLs on the listed hosts (`forward_auth.allowed_hosts`) or on
/// the session cookie's domain and its subdomains, by `https`, or also
/// `http` while cookies are not secure (development).
#[derive(Debug, Clone, Default)]
pub(crate) struct ReturnTargets {
    allowed_hosts: Vec<String>,
    cookie_domain: Option<String>,
    allow_http: bool,
}

impl ReturnTargets {
    /// Absolute URLs on `allowed_hosts` (host names, any case) are
    /// allowed; `http` ones too when `allow_http`.
    pub(crate) fn new(allowed_hosts: &[String], allow_http: bool) -> Self {
        Self {
            allowed_hosts: allowed_hosts
                .iter()
                .map(|host| host.trim().to_ascii_lowercase())
                .collect(),
            cookie_domain: None,
            allow_http,
        }
    }

    /// Also allows `domain` and every host under it.
    pub(crate) fn with_cookie_domain(mut self, domain: Option<String>) -> Self {
        self.cookie_domain = domain.map(|domain| domain.to_ascii_lowercase());
        self
    }

    /// The `form-action` sources the pages need so that a form may end at
    /// an allowed app.
    pub(crate) fn csp_sources(&self) -> Vec<String> {
        let schemes: &[&str] = if self.allow_http {
            &["https", "http"]
        } else {
            &["https"]
        };
        let mut sources = Vec::new();
        for scheme in schemes {
            for host in &self.allowed_hosts {
                sources.push(format!("{scheme}://{host}:*"));
            }
            if let Some(domain) = &self.cookie_domain {
                sources.push(format!("{scheme}://{domain}:*"));
                sources.push(format!("{scheme}://*.{domain}:*"));
            }
        }
        sources
    }

    fn host_allowed(&self, host: &str) -> bool {
        self.allowed_hosts.iter().any(|allowed| allowed == host)
            || self.cookie_domain.as_deref().is_some_and(|domain| {
                host == domain
                    || host
                        .strip_suffix(domain)
                        .is_some_and(|prefix| prefix.len() > 1 && prefix.ends_with('.'))
            })
    }

    /// `next` if a sign-in may send people there.
    pub(crate) fn vet<'a>(&self, next: &'a str) -> Option<&'a str> {
        safe_redirect_target(next).or_else(|| self.is_allowed_app(next).then_some(next))
    }

    /// Whether `next` is an absolute URL on an allowed host. Only plain
    /// host names and ports are read, so that no browser can see a
    /// different host in the same text: no user information, no
    /// backslash, no percent-encoding or other characters in the host.
    fn is_allowed_app(&self, next: &str) -> bool {
        if next.len() > MAX_TARGET_LEN
            || next
                .chars()
                .any(|c| c == '\\' || c.is_control() || c.is_whitespace())
        {
            return false;
        }
        let Some((scheme, rest)) = next.split_once("://") else {
            return false;
        };
        let scheme_ok = scheme.eq_ignore_ascii_case("https")
            || (self.allow_http && scheme.eq_ignore_ascii_case("http"));
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let (host, port) = authority.split_once(':').unwrap_or((authority, ""));
        let host_ok = !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
        let port_ok = port.bytes().all(|b| b.is_ascii_digit()) && port.len() <= 5;
        let host = host.to_ascii_lowercase();
        scheme_ok && host_ok && port_ok && self.host_allowed(&host)
    }
}

/// Returns `next` when it is a path on this site (`/...`), else `None`.
///
/// Refused: anything not starting with one `/` (absolute URLs, `//host`,
/// `javascript:`), backslashes (browsers read `/\host` as `//host`), and
/// control or space characters (browsers drop tabs and newlines, which could
/// turn `/\t/host` into `//host`).
pub fn safe_redirect_target(next: &str) -> Option<&str> {
    let mut chars = next.chars();
    let starts_with_one_slash = chars.next() == Some('/') && chars.next() != Some('/');
    let clean = next
        .chars()
        .all(|c| c != '\\' && !c.is_control() && !c.is_whitespace());
    (starts_with_one_slash && clean && next.len() <= MAX_TARGET_LEN).then_some(next)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn local_paths_are_kept() {
        for good in [
            "/",
            "/account",
            "/account?tab=1#top",
            "/a/b/c",
            "/%2F%2Fevil.example",
        ] {
            assert_eq!(safe_redirect_target(good), Some(good), "{good}");
        }
    }

    #[test]
    fn anything_that_could_leave_the_site_is_refused() {
        for bad in [
            "",
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "https://evil.example",
            "%2F%2Fevil.example",
            "javascript:alert(1)",
            "/\t/evil.example",
            "/\n/evil.example",
            "account",
            " /account",
        ] {
            assert_eq!(safe_redirect_target(bad), None, "{bad:?}");
        }
        assert_eq!(
            safe_redirect_target(&format!("/{}", "a".repeat(3000))),
            None
        );
    }

    fn apps() -> ReturnTargets {
        ReturnTargets::new(
            &["app.example.com".to_owned(), "127.0.0.1".to_owned()],
            false,
        )
    }

    #[test]
    fn apps_on_allowed_hosts_are_kept() {
        for good in [
            "https://app.example.com/",
            "https://APP.example.com:8443/reports?x=1#top",
            "https://app.example.com",
            "https://127.0.0.1:9000/x",
            "/account",
        ] {
            assert_eq!(apps().vet(good), Some(good), "{good}");
        }
    }

    #[test]
    fn other_hosts_and_tricks_are_refused() {
        for bad in [
            "https://evil.example/",
            "https://app.example.com.evil.example/",
            "https://evil.example/https://app.example.com/",
            "https://evil.example#@app.example.com",
            "https://app.example.com@evil.example/",
            "https://app.example.com\\@evil.example/",
            "https://%61pp.example.com/",
            "https://app.example.com:99999999/",
            "https://app.example.com:x/",
            "http://app.example.com/",
            "javascript://app.example.com/%0aalert(1)",
            "//app.example.com/",
            "https://app.example.com/\tx",
        ] {
            assert_eq!(apps().vet(bad), None, "{bad:?}");
        }
        let development = ReturnTargets::new(&["app.example.com".to_owned()], true);
        assert_eq!(
            development.vet("http://app.example.com/"),
            Some("http://app.example.com/")
        );
        assert_eq!(
            ReturnTargets::default().vet("https://app.example.com/"),
            None
        );
    }

    #[test]
    fn the_cookie_domain_and_its_subdomains_are_allowed() {
        let shared = ReturnTargets::new(&[], false).with_cookie_domain(Some("Example.com".into()));
        for good in [
            "https://example.com/",
            "https://app.example.com/x",
            "https://a.b.example.com",
        ] {
            assert_eq!(shared.vet(good), Some(good), "{good}");
        }
        for bad in [
            "https://badexample.com/",
            "https://example.com.evil.example/",
            "http://app.example.com/",
        ] {
            assert_eq!(shared.vet(bad), None, "{bad}");
        }
        assert_eq!(
            shared.csp_sources(),
            ["https://example.com:*", "https://*.example.com:*"]
        );
    }

    proptest! {
        #[test]
        fn accepted_targets_are_always_local(next in "\\PC{0,30}|/[\\PC\\s\\\\]{0,30}") {
            if let Some(target) = safe_redirect_target(&next) {
                prop_assert!(target.starts_with('/'));
                prop_assert!(!target.starts_with("//"));
                prop_assert!(!target.contains('\\'));
                prop_assert!(!target.chars().any(char::is_whitespace));
            }
        }
    }
}
