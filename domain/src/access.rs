//! Who may reach what behind the reverse proxy: access rules for forward
//! auth. Each rule names a host (exact, or every subdomain of one), an
//! optional path prefix, and who it lets in; the first rule that matches a
//! request decides, and the default decides when none does.
//!
//! The rules see a request the way an application behind the proxy would:
//! the host without its port and in lower case; the path without its query,
//! percent-decoded, with `.` and `..` segments resolved, backslashes read
//! as slashes and repeated slashes as one, so that `/%61dmin`, `/x/../admin`
//! or `//admin` cannot slip past a rule on `/admin`.

use std::fmt;

use crate::{group::GroupName, username::UsernameKey};

/// A rule's host: one name, or every subdomain of one (`*.example.com`,
/// which does not match `example.com` itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostPattern {
    /// Exactly this host name.
    Exact(String),
    /// Any host name ending in `.` and this one.
    SubdomainsOf(String),
}

impl HostPattern {
    /// Parses `grafana.example.com` or `*.example.com` (any case).
    pub fn parse(text: &str) -> Result<Self, AccessRuleError> {
        let text = text.trim().to_ascii_lowercase();
        let (subdomains, name) = match text.strip_prefix("*.") {
            Some(name) => (true, name.to_owned()),
            None => (false, text.clone()),
        };
        let name = name.strip_suffix('.').unwrap_or(&name).to_owned();
        let label_ok = |label: &str| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        if name.is_empty() || name.len() > 253 || !name.split('.').all(label_ok) {
            return Err(AccessRuleError::Host(text));
        }
        Ok(if subdomains {
            Self::SubdomainsOf(name)
        } else {
            Self::Exact(name)
        })
    }

    /// Whether `host` (already normalised by [`AccessTarget`]) matches.
    fn matches(&self, host: &str) -> bool {
        match self {
            Self::Exact(name) => host == name,
            Self::SubdomainsOf(name) => host
                .strip_suffix(name.as_str())
                .is_some_and(|prefix| prefix.len() > 1 && prefix.ends_with('.')),
        }
    }
}

/// A rule's path: this path and everything under it (`/admin` matches
/// `/admin` and `/admin/users`, not `/administrator`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathPrefix(String);

impl PathPrefix {
    /// Parses a path starting with `/`, normalised like request paths.
    pub fn parse(text: &str) -> Result<Self, AccessRuleError> {
        let text = text.trim();
        if !text.starts_with('/') || text.contains(['?', '#']) || text.chars().any(char::is_control)
        {
            return Err(AccessRuleError::Path(text.to_owned()));
        }
        Ok(Self(normalise_path(text)))
    }

    fn matches(&self, path: &str) -> bool {
        let prefix = self.0.as_str();
        match path.strip_prefix(prefix) {
            Some(rest) => prefix.ends_with('/') || rest.is_empty() || rest.starts_with('/'),
            None => false,
        }
    }
}

/// Who a rule lets in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Allow {
    /// Anyone, signed in or not: the proxy lets the request through
    /// without asking Latch who it is.
    Bypass,
    /// Anyone signed in.
    SignedIn,
    /// Members of this group.
    Group(GroupName),
    /// This one account.
    User(UsernameKey),
}

impl Allow {
    /// Parses `bypass`, `signed_in`, `group:NAME` or `user:NAME`.
    pub fn parse(text: &str) -> Result<Self, AccessRuleError> {
        let text = text.trim();
        let invalid = || AccessRuleError::Allow(text.to_owned());
        match text.split_once(':') {
            None if text == "bypass" => Ok(Self::Bypass),
            None if text == "signed_in" => Ok(Self::SignedIn),
            Some(("group", name)) => GroupName::parse(name)
                .map(Self::Group)
                .map_err(|_| invalid()),
            Some(("user", name)) if !name.trim().is_empty() => {
                Ok(Self::User(UsernameKey::from_input(name)))
            }
            _ => Err(invalid()),
        }
    }

    fn admits(&self, who: &Principal<'_>) -> bool {
        match self {
            Self::Bypass | Self::SignedIn => true,
            Self::Group(name) => who.groups.iter().any(|group| group == name),
            Self::User(key) => who.username == key,
        }
    }
}

/// One access rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessRule {
    /// The hosts it is about.
    pub host: HostPattern,
    /// The paths it is about (`None`: all of them).
    pub path: Option<PathPrefix>,
    /// Who it lets in.
    pub allow: Allow,
}

impl AccessRule {
    fn matches(&self, target: &AccessTarget) -> bool {
        self.host.matches(&target.host)
            && self
                .path
                .as_ref()
                .is_none_or(|prefix| prefix.matches(&target.path))
    }
}

/// What happens to a request no rule matches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DefaultAccess {
    /// Anyone signed in may go on (the default).
    #[default]
    SignedIn,
    /// Nobody may.
    Deny,
}

/// The rules, in order, and the default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessRules {
    rules: Vec<AccessRule>,
    default: DefaultAccess,
}

/// Who is asking, as the rules see them.
#[derive(Debug, Clone, Copy)]
pub struct Principal<'a> {
    /// Their account's username key.
    pub username: &'a UsernameKey,
    /// The groups they belong to.
    pub groups: &'a [GroupName],
}

/// What the rules say about a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Let it through; `bypass` when a rule lets anyone in, so who is
    /// asking does not matter.
    Granted {
        /// Whether the request may go on without a sign-in at all.
        bypass: bool,
    },
    /// Whoever it is must sign in first.
    SignInRequired,
    /// Refused, whoever signs in (or this person may not).
    Forbidden,
}

impl AccessRules {
    /// The rules, first match wins, and what to do when none matches.
    pub fn new(rules: Vec<AccessRule>, default: DefaultAccess) -> Self {
        Self { rules, default }
    }

    /// Whether a request for `target` may need no sign-in: it falls under
    /// a `bypass` rule. Then there is no session to look up.
    pub fn bypasses(&self, target: &AccessTarget) -> bool {
        self.rule_for(target)
            .is_some_and(|rule| rule.allow == Allow::Bypass)
    }

    /// What the rules say about `who` (`None`: not signed in) asking for
    /// `target`.
    pub fn decide(&self, target: &AccessTarget, who: Option<&Principal<'_>>) -> Access {
        let allow = match self.rule_for(target) {
            Some(rule) => &rule.allow,
            None => match self.default {
                DefaultAccess::SignedIn => &Allow::SignedIn,
                DefaultAccess::Deny => return Access::Forbidden,
            },
        };
        if *allow == Allow::Bypass {
            return Access::Granted { bypass: true };
        }
        match who {
            None => Access::SignInRequired,
            Some(who) if allow.admits(who) => Access::Granted { bypass: false },
            Some(_) => Access::Forbidden,
        }
    }

    fn rule_for(&self, target: &AccessTarget) -> Option<&AccessRule> {
        self.rules.iter().find(|rule| rule.matches(target))
    }
}

/// The request a proxy asks about, normalised for the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessTarget {
    host: String,
    path: String,
}

impl AccessTarget {
    /// The request for `host` (a `Host` header's value, with or without a
    /// port) and `path` (with or without a query).
    pub fn new(host: &str, path: &str) -> Self {
        Self {
            host: normalise_host(host),
            path: normalise_path(path),
        }
    }

    /// The host, lower case, without port or trailing dot.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The path, normalised.
    pub fn path(&self) -> &str {
        &self.path
    }
}

fn normalise_host(host: &str) -> String {
    let host = host.trim();
    let without_port = if let Some(rest) = host.strip_prefix('[') {
        // An IPv6 literal: `[::1]:8080`.
        rest.split(']').next().unwrap_or(rest)
    } else {
        host.rsplit_once(':')
            .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
            .map_or(host, |(name, _)| name)
    };
    let name = without_port.strip_suffix('.').unwrap_or(without_port);
    name.to_ascii_lowercase()
}

/// The path part of `path` (no query or fragment), percent-decoded, with
/// backslashes as slashes, runs of slashes as one, and dot segments
/// resolved (RFC 3986 §5.2.4); always starting with `/`.
fn normalise_path(path: &str) -> String {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let decoded = percent_decode(path).replace('\\', "/");
    let mut segments: Vec<&str> = Vec::new();
    let mut ends_with_slash = false;
    for segment in decoded.split('/') {
        ends_with_slash = false;
        match segment {
            "" | "." => ends_with_slash = true,
            ".." => {
                segments.pop();
                ends_with_slash = true;
            }
            segment => segments.push(segment),
        }
    }
    let mut normalised = String::with_capacity(decoded.len() + 1);
    for segment in &segments {
        normalised.push('/');
        normalised.push_str(segment);
    }
    if ends_with_slash || segments.is_empty() {
        normalised.push('/');
    }
    normalised
}

/// `%XX` sequences decoded; malformed ones kept as they are, and bytes that
/// are not UTF-8 replaced.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&high), Some(&low)) if hex(high).is_some() && hex(low).is_some() => {
                let value = hex(high).unwrap_or(0) * 16 + hex(low).unwrap_or(0);
                decoded.push(u8::try_from(value).unwrap_or(b'?'));
                i += 3;
            }
            (byte, _, _) => {
                decoded.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

/// A rule that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessRuleError {
    /// The host is not a host name or `*.` and one.
    #[error("host {0:?} is not a host name (like \"app.example.com\") or \"*.\" and one")]
    Host(String),
    /// The path does not start with `/`, or has a query or control characters.
    #[error("path {0:?} must start with / and hold no ?, # or control characters")]
    Path(String),
    /// Who is let in is not one of the four forms.
    #[error("allow {0:?} must be \"signed_in\", \"bypass\", \"group:NAME\" or \"user:NAME\"")]
    Allow(String),
}

impl fmt::Display for Allow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bypass => f.write_str("bypass"),
            Self::SignedIn => f.write_str("signed_in"),
            Self::Group(name) => write!(f, "group:{name}"),
            Self::User(key) => write!(f, "user:{}", key.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(host: &str, path: Option<&str>, allow: &str) -> AccessRule {
        AccessRule {
            host: HostPattern::parse(host).unwrap(),
            path: path.map(|path| PathPrefix::parse(path).unwrap()),
            allow: Allow::parse(allow).unwrap(),
        }
    }

    fn grafana_rules(default: DefaultAccess) -> AccessRules {
        AccessRules::new(
            vec![
                rule("grafana.example.com", Some("/public"), "bypass"),
                rule("grafana.example.com", Some("/admin"), "group:admins"),
                rule("grafana.example.com", Some("/alice"), "user:Alice"),
                rule("*.example.com", None, "signed_in"),
            ],
            default,
        )
    }

    fn key(name: &str) -> UsernameKey {
        UsernameKey::from_input(name)
    }

    fn decide(rules: &AccessRules, url: (&str, &str), who: Option<(&str, &[&str])>) -> Access {
        let target = AccessTarget::new(url.0, url.1);
        let groups: Vec<GroupName> = who
            .map(|(_, groups)| {
                groups
                    .iter()
                    .map(|group| GroupName::parse(group).unwrap())
                    .collect()
            })
            .unwrap_or_default();
        let username = who.map(|(name, _)| key(name));
        let principal = username.as_ref().map(|username| Principal {
            username,
            groups: &groups,
        });
        rules.decide(&target, principal.as_ref())
    }

    const GRANTED: Access = Access::Granted { bypass: false };
    const BYPASS: Access = Access::Granted { bypass: true };

    #[test]
    fn the_first_matching_rule_decides() {
        let rules = grafana_rules(DefaultAccess::SignedIn);
        let admin = Some(("root", &["admins"][..]));
        let someone = Some(("bob", &["viewers"][..]));
        let host = "grafana.example.com";
        assert_eq!(decide(&rules, (host, "/admin/users"), admin), GRANTED);
        assert_eq!(
            decide(&rules, (host, "/admin/users"), someone),
            Access::Forbidden
        );
        assert_eq!(
            decide(&rules, (host, "/admin"), None),
            Access::SignInRequired
        );
        assert_eq!(decide(&rules, (host, "/public/logo.png"), None), BYPASS);
        assert_eq!(decide(&rules, (host, "/dashboards"), someone), GRANTED);
        assert_eq!(
            decide(&rules, (host, "/dashboards"), None),
            Access::SignInRequired
        );
    }

    #[test]
    fn a_user_rule_admits_that_account_whatever_the_case_typed() {
        let rules = grafana_rules(DefaultAccess::SignedIn);
        let host = "grafana.example.com";
        assert_eq!(
            decide(&rules, (host, "/alice"), Some(("alice", &[]))),
            GRANTED
        );
        assert_eq!(
            decide(&rules, (host, "/alice"), Some(("bob", &[]))),
            Access::Forbidden
        );
    }

    #[test]
    fn with_no_rule_matching_the_default_decides() {
        let open = grafana_rules(DefaultAccess::SignedIn);
        let closed = grafana_rules(DefaultAccess::Deny);
        let who = Some(("bob", &[][..]));
        assert_eq!(decide(&open, ("other.org", "/"), who), GRANTED);
        assert_eq!(
            decide(&open, ("other.org", "/"), None),
            Access::SignInRequired
        );
        assert_eq!(decide(&closed, ("other.org", "/"), who), Access::Forbidden);
        assert_eq!(decide(&closed, ("other.org", "/"), None), Access::Forbidden);
        assert_eq!(
            AccessRules::default().decide(&AccessTarget::new("a", "/"), None),
            Access::SignInRequired
        );
    }

    #[test]
    fn hosts_match_without_their_port_and_in_any_case() {
        let rules = grafana_rules(DefaultAccess::Deny);
        let admin = Some(("root", &["admins"][..]));
        for host in [
            "grafana.example.com",
            "Grafana.Example.COM",
            "grafana.example.com:8443",
            "grafana.example.com.",
        ] {
            assert_eq!(decide(&rules, (host, "/admin"), admin), GRANTED, "{host}");
        }
    }

    #[test]
    fn a_wildcard_matches_subdomains_only() {
        let pattern = HostPattern::parse("*.example.com").unwrap();
        assert!(pattern.matches("app.example.com"));
        assert!(pattern.matches("a.b.example.com"));
        assert!(!pattern.matches("example.com"));
        assert!(!pattern.matches("badexample.com"));
        assert!(!pattern.matches(".example.com"));
    }

    #[test]
    fn a_path_prefix_matches_whole_segments() {
        let prefix = PathPrefix::parse("/admin").unwrap();
        for path in ["/admin", "/admin/", "/admin/users"] {
            assert!(prefix.matches(&normalise_path(path)), "{path}");
        }
        for path in ["/administrator", "/", "/other/admin"] {
            assert!(!prefix.matches(&normalise_path(path)), "{path}");
        }
    }

    #[test]
    fn encoded_or_roundabout_paths_cannot_slip_past_a_rule() {
        let rules = grafana_rules(DefaultAccess::SignedIn);
        let someone = Some(("bob", &[][..]));
        let host = "grafana.example.com";
        for path in [
            "/%61dmin",
            "/x/../admin",
            "//admin",
            "/./admin",
            "/public/../admin",
            "/public/%2e%2e/admin",
            "/public%2F..%2Fadmin",
            "\\admin",
            "/admin?x=1",
        ] {
            assert_eq!(
                decide(&rules, (host, path), someone),
                Access::Forbidden,
                "{path}"
            );
        }
    }

    #[test]
    fn paths_are_normalised() {
        for (raw, normalised) in [
            ("", "/"),
            ("/", "/"),
            ("/a/b/", "/a/b/"),
            ("/a//b", "/a/b"),
            ("/a/./b/../c", "/a/c"),
            ("/../..", "/"),
            ("/a?b=/c", "/a"),
            ("/a#frag", "/a"),
            ("/%7Euser", "/~user"),
            ("/100%", "/100%"),
            ("/%zz", "/%zz"),
            ("/caf%C3%A9", "/caf\u{e9}"),
        ] {
            assert_eq!(normalise_path(raw), normalised, "{raw:?}");
        }
    }

    #[test]
    fn hosts_are_normalised() {
        for (raw, normalised) in [
            ("App.Example.com:443", "app.example.com"),
            ("[::1]:8080", "::1"),
            ("example.com.", "example.com"),
            (" example.com ", "example.com"),
        ] {
            assert_eq!(normalise_host(raw), normalised, "{raw:?}");
        }
    }

    #[test]
    fn bypass_is_known_before_any_session_is_read() {
        let rules = grafana_rules(DefaultAccess::SignedIn);
        assert!(rules.bypasses(&AccessTarget::new("grafana.example.com", "/public/x")));
        assert!(!rules.bypasses(&AccessTarget::new("grafana.example.com", "/admin")));
    }

    #[test]
    fn malformed_rules_are_refused_with_what_is_wrong() {
        for host in ["", "*.", "exa mple.com", "a..b", "*", "*.*.example.com"] {
            assert!(
                matches!(HostPattern::parse(host), Err(AccessRuleError::Host(_))),
                "{host:?}"
            );
        }
        for path in ["admin", "/a?b", "/a\nb", ""] {
            assert!(
                matches!(PathPrefix::parse(path), Err(AccessRuleError::Path(_))),
                "{path:?}"
            );
        }
        for allow in [
            "everyone",
            "group:",
            "group:a b",
            "user:",
            "role:x",
            "Signed_In",
        ] {
            assert!(
                matches!(Allow::parse(allow), Err(AccessRuleError::Allow(_))),
                "{allow:?}"
            );
        }
        assert_eq!(
            Allow::parse("group:Admins").unwrap().to_string(),
            "group:admins"
        );
    }
}
