//! Where a MongoDB URI points, said without its credentials.

use std::fmt;

/// The hosts a URI names, safe to print: never a user name or password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    hosts: String,
}

impl Target {
    /// The hosts of `uri` (`host:port`, comma-separated), with any
    /// `user:password@` and the path and options stripped. Reads the text
    /// itself, so even a URI the driver refuses is described safely.
    pub fn of_uri(uri: &str) -> Self {
        let rest = uri.split_once("://").map_or(uri, |(_, rest)| rest);
        let authority = rest.split(['/', '?']).next().unwrap_or_default();
        let hosts = authority
            .rsplit_once('@')
            .map_or(authority, |(_, hosts)| hosts);
        Self {
            hosts: hosts.to_owned(),
        }
    }

    /// Removes the URI's password (and user name) from `message`, for error
    /// text that might quote the URI.
    pub fn scrub(uri: &str, message: &str) -> String {
        let Some(userinfo) = uri
            .split_once("://")
            .and_then(|(_, rest)| rest.split(['/', '?']).next())
            .and_then(|authority| authority.rsplit_once('@'))
            .map(|(userinfo, _)| userinfo)
            .filter(|userinfo| !userinfo.is_empty())
        else {
            return message.to_owned();
        };
        let mut scrubbed = message.replace(userinfo, "[credentials]");
        for part in userinfo.split(':').filter(|part| part.len() >= 3) {
            scrubbed = scrubbed.replace(part, "[credentials]");
        }
        scrubbed
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hosts)
    }
}

#[cfg(test)]
mod tests {
    use super::Target;

    #[test]
    fn hosts_are_kept_and_credentials_dropped() {
        let cases = [
            ("mongodb://127.0.0.1:27017", "127.0.0.1:27017"),
            (
                "mongodb://latch:s3cret-pw@db1.example:27017,db2.example:27018/latch?replicaSet=rs0",
                "db1.example:27017,db2.example:27018",
            ),
            ("mongodb://user:p@ss@host/", "host"),
            ("mongodb://host?tls=true", "host"),
            ("not a uri", "not a uri"),
        ];
        for (uri, hosts) in cases {
            assert_eq!(Target::of_uri(uri).to_string(), hosts, "{uri}");
        }
    }

    #[test]
    fn scrubbing_removes_the_password_wherever_it_appears() {
        let uri = "mongodb://latch:s3cret-pw@db.example/";
        let message = "bad uri mongodb://latch:s3cret-pw@db.example/ (password s3cret-pw)";
        let scrubbed = Target::scrub(uri, message);
        assert!(!scrubbed.contains("s3cret-pw"), "{scrubbed}");
        assert!(scrubbed.contains("db.example"), "{scrubbed}");
        assert_eq!(Target::scrub("mongodb://db/", "as is"), "as is");
    }
}
