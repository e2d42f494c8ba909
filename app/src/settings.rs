//! Configuration: compiled-in defaults, then `config/default.toml`, then the
//! `$LATCH_ENV` layer, then the file `$LATCH_CONFIG` names, then
//! `LATCH__SECTION__KEY` environment variables.
//! Everything is checked here, at start-up, with messages that name the key.

use std::{collections::HashMap, fmt, net::SocketAddr, path::PathBuf, str::FromStr};

use config::{Config, Environment, File, FileFormat};
use latch_argon2::Argon2Settings;
use latch_domain::{
    AccessRule, AccessRules, Allow, DefaultAccess, HostPattern, PasswordPolicy, PathPrefix,
    SessionPolicy, session::MAX_REMEMBER_LIFETIME,
};
use latch_http::{IpNetwork, RateLimit, TrustedProxies};
use latch_mongodb::MongoSettings;
use latch_sqlite::Synchronous;
use serde::Deserialize;
use time::Duration;

/// The variable naming one more settings file (TOML), read after the
/// environment's layer and before the `LATCH__...` variables.
const CONFIG_FILE_VARIABLE: &str = "LATCH_CONFIG";

/// The defaults, compiled into the binary so it runs from any directory.
const DEFAULTS: &str = include_str!("../../config/default.toml");
/// Environment layers shipped with the binary, by `LATCH_ENV` name.
const ENVIRONMENTS: &[(&str, &str)] =
    &[("production", include_str!("../../config/production.toml"))];

/// A setting is missing, malformed or out of range.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The configuration sources could not be read or parsed.
    #[error("configuration error: {0}")]
    Source(#[from] config::ConfigError),
    /// A value is out of range; the message names the key.
    #[error("configuration error: {0}")]
    Invalid(String),
}

fn invalid(message: impl Into<String>) -> SettingsError {
    SettingsError::Invalid(message.into())
}

/// Which store holds accounts and sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// The embedded SQLite file (the default).
    Sqlite,
    /// Memory only: everything is lost at exit.
    Memory,
    /// A MongoDB deployment, shared by every instance pointed at it.
    Mongodb,
}

/// The settings as read, before checking. Not `Debug`: it holds the secret
/// key and the MongoDB URI as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    server: RawServer,
    storage: RawStorage,
    session: RawSession,
    password: RawPassword,
    log: LogSettings,
    metrics: RawMetrics,
    rate_limit: RawRateLimit,
    forward_auth: RawForwardAuth,
    access: RawAccess,
    second_factor: RawSecondFactor,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSecondFactor {
    totp_issuer: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawForwardAuth {
    portal_url: String,
    allowed_hosts: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAccess {
    default: String,
    rules: Vec<RawAccessRule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAccessRule {
    host: String,
    path: Option<String>,
    allow: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMetrics {
    listen: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRateLimit {
    sign_in_per_minute: u32,
    sign_up_per_hour: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServer {
    listen: SocketAddr,
    secret_key: String,
    secret_key_required: bool,
    max_body_bytes: usize,
    trusted_proxies: Vec<String>,
    header_timeout: String,
    keep_alive_timeout: String,
    max_connections: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStorage {
    backend: Backend,
    sqlite: RawSqlite,
    mongodb: RawMongodb,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSqlite {
    path: PathBuf,
    max_connections: u32,
    synchronous: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMongodb {
    uri: String,
    database: String,
    timeout: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSession {
    cookie_secure: bool,
    cookie_domain: String,
    idle_timeout: String,
    absolute_lifetime: String,
    remember_lifetime: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPassword {
    min_length: usize,
    max_concurrent_hashes: usize,
    argon2: RawArgon2,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawArgon2 {
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
}

/// The SQLite store's settings.
#[derive(Debug, Clone)]
pub struct SqliteSettings {
    /// The database file.
    pub path: PathBuf,
    /// Connections for reads (writes have one more).
    pub max_connections: u32,
    /// When a commit waits for the disk.
    pub synchronous: Synchronous,
}

/// Logging settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// The level used when `RUST_LOG` is not set.
    pub level: String,
    /// How log lines are written.
    pub format: LogFormat,
}

/// How log lines are written to stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Readable lines (the default).
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Metrics settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricsSettings {
    /// Where to serve Prometheus metrics at `GET /metrics`, apart from the
    /// application (`None`: no metrics).
    pub listen: Option<SocketAddr>,
}

/// What connections may take of the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionSettings {
    /// How long a request head may take to arrive.
    pub header_timeout: std::time::Duration,
    /// How long a connection may stay open answering nothing.
    pub keep_alive_timeout: std::time::Duration,
    /// How many connections may be open at once (`None`: as many as the
    /// file-descriptor limit allows, less a reserve).
    pub max_connections: Option<usize>,
}

/// The most connections `server.max_connections` may ask for.
const MAX_CONNECTIONS: usize = 1_000_000;

/// Checked settings, ready for the composition root. Its `Debug` output
/// never shows the secret key, nor the MongoDB URI's credentials.
#[derive(Clone)]
pub struct Settings {
    /// Where to listen.
    pub listen: SocketAddr,
    /// What connections may take.
    pub connections: ConnectionSettings,
    /// The reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: TrustedProxies,
    /// Sign-in attempts allowed per client IP (`None`: unlimited).
    pub sign_in_limit: Option<RateLimit>,
    /// Sign-ups allowed per client IP (`None`: unlimited).
    pub sign_up_limit: Option<RateLimit>,
    /// The CSRF key, if one is configured.
    pub secret_key: Option<[u8; 32]>,
    /// The largest request body accepted.
    pub max_body_bytes: usize,
    /// Which store to use.
    pub backend: Backend,
    /// The SQLite store's settings.
    pub sqlite: SqliteSettings,
    /// The MongoDB store's settings.
    pub mongodb: MongoSettings,
    /// Secure (`__Host-`) cookies and HSTS.
    pub cookie_secure: bool,
    /// The domain the session cookie is shared with; `None`: host-only.
    pub cookie_domain: Option<String>,
    /// Session lifetimes.
    pub session: SessionPolicy,
    /// Rules for new passwords.
    pub password: PasswordPolicy,
    /// Argon2id costs.
    pub argon2: Argon2Settings,
    /// Hashes computed at once.
    pub max_concurrent_hashes: usize,
    /// Logging.
    pub log: LogSettings,
    /// Metrics.
    pub metrics: MetricsSettings,
    /// Who may reach what behind a proxy using forward auth.
    pub access: AccessRules,
    /// Where browsers reach the sign-in page (`https://auth.example.com`),
    /// for forward auth's redirects; `None`: the apps' own host.
    pub portal_url: Option<String>,
    /// Hosts of the apps behind forward auth, where a sign-in may return.
    pub allowed_hosts: Vec<String>,
    /// The name authenticator apps show accounts under.
    pub totp_issuer: String,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Every field named, so that a new one cannot be forgotten here.
        let Self {
            listen,
            connections,
            trusted_proxies,
            sign_in_limit,
            sign_up_limit,
            secret_key,
            max_body_bytes,
            backend,
            sqlite,
            mongodb,
            cookie_secure,
            cookie_domain,
            session,
            password,
            argon2,
            max_concurrent_hashes,
            log,
            metrics,
            access,
            portal_url,
            allowed_hosts,
            totp_issuer,
        } = self;
        f.debug_struct("Settings")
            .field("listen", listen)
            .field("connections", connections)
            .field("trusted_proxies", trusted_proxies)
            .field("sign_in_limit", sign_in_limit)
            .field("sign_up_limit", sign_up_limit)
            .field("secret_key", &secret_key.as_ref().map(|_| Redacted))
            .field("max_body_bytes", max_body_bytes)
            .field("backend", backend)
            .field("sqlite", sqlite)
            .field("mongodb", mongodb)
            .field("cookie_secure", cookie_secure)
            .field("cookie_domain", cookie_domain)
            .field("session", session)
            .field("password", password)
            .field("argon2", argon2)
            .field("max_concurrent_hashes", max_concurrent_hashes)
            .field("log", log)
            .field("metrics", metrics)
            .field("access", access)
            .field("portal_url", portal_url)
            .field("totp_issuer", totp_issuer)
            .field("allowed_hosts", allowed_hosts)
            .finish()
    }
}

/// Stands for a secret in `Debug` output.
struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl Settings {
    /// Reads every layer, for the environment named by `LATCH_ENV`.
    pub fn load() -> Result<Self, SettingsError> {
        let environment = std::env::var("LATCH_ENV")
            .ok()
            .filter(|name| !name.is_empty());
        Self::load_from(environment.as_deref(), None)
    }

    /// Reads every layer for the named environment, taking `LATCH__...`
    /// variables (and `LATCH_CONFIG`) from `vars` instead of the process
    /// environment when given (so tests configure an instance without
    /// touching global state).
    pub fn load_from(
        environment: Option<&str>,
        vars: Option<HashMap<String, String>>,
    ) -> Result<Self, SettingsError> {
        let config_file = match &vars {
            Some(vars) => vars.get(CONFIG_FILE_VARIABLE).cloned(),
            None => std::env::var(CONFIG_FILE_VARIABLE).ok(),
        }
        .filter(|path| !path.is_empty());
        let mut builder = Config::builder()
            .add_source(File::from_str(DEFAULTS, FileFormat::Toml))
            .add_source(File::with_name("config/default").required(false));
        if let Some(name) = environment {
            let shipped = ENVIRONMENTS.iter().find(|(shipped, _)| *shipped == name);
            if let Some((_, layer)) = shipped {
                builder = builder.add_source(File::from_str(layer, FileFormat::Toml));
            }
            builder = builder
                .add_source(File::with_name(&format!("config/{name}")).required(shipped.is_none()));
        }
        if let Some(path) = &config_file {
            builder = builder.add_source(File::new(path, FileFormat::Toml).required(true));
        }
        let raw: RawSettings = builder
            .add_source(
                Environment::default()
                    .source(vars)
                    .prefix("LATCH")
                    .prefix_separator("__")
                    .separator("__")
                    .list_separator(",")
                    .with_list_parse_key("server.trusted_proxies")
                    .with_list_parse_key("forward_auth.allowed_hosts")
                    .try_parsing(true),
            )
            .build()?
            .try_deserialize()?;
        raw.check()
    }
}

impl RawSettings {
    fn check(self) -> Result<Settings, SettingsError> {
        let secret_key = parse_secret_key(&self.server.secret_key)?;
        if secret_key.is_none() && self.server.secret_key_required {
            return Err(invalid(
                "server.secret_key is required here: set LATCH__SERVER__SECRET_KEY to 64 hex digits (`openssl rand -hex 32`)",
            ));
        }
        let totp_issuer = self.second_factor.totp_issuer.trim().to_owned();
        if totp_issuer.is_empty() || totp_issuer.chars().count() > 64 || totp_issuer.contains(':') {
            return Err(invalid(
                "second_factor.totp_issuer must be 1 to 64 characters, without a colon",
            ));
        }
        if !(1024..=1024 * 1024).contains(&self.server.max_body_bytes) {
            return Err(invalid(
                "server.max_body_bytes must be between 1024 and 1048576",
            ));
        }
        let connections = check_connections(&self.server)?;
        let access = check_access(&self.access)?;
        let portal_url = check_portal_url(&self.forward_auth.portal_url)?;
        let allowed_hosts = check_allowed_hosts(&self.forward_auth.allowed_hosts)?;
        let cookie_domain = check_cookie_domain(&self.session.cookie_domain)?;
        let metrics = check_metrics(&self.metrics)?;
        let sqlite = check_sqlite(self.storage.sqlite)?;
        let mongodb = check_mongodb(self.storage.mongodb)?;
        let absolute_lifetime =
            parse_duration("session.absolute_lifetime", &self.session.absolute_lifetime)?;
        if absolute_lifetime < Duration::minutes(1) || absolute_lifetime > Duration::days(30) {
            return Err(invalid(
                "session.absolute_lifetime must be between 1m and 30d",
            ));
        }
        let idle_timeout = parse_duration("session.idle_timeout", &self.session.idle_timeout)?;
        if idle_timeout < Duration::minutes(1) || idle_timeout > absolute_lifetime {
            return Err(invalid(
                "session.idle_timeout must be at least 1m and at most session.absolute_lifetime",
            ));
        }
        let remember_lifetime =
            parse_duration("session.remember_lifetime", &self.session.remember_lifetime)?;
        if remember_lifetime < absolute_lifetime || remember_lifetime > MAX_REMEMBER_LIFETIME {
            return Err(invalid(
                "session.remember_lifetime must be at least session.absolute_lifetime and at most 30d",
            ));
        }
        let password = PasswordPolicy::new(self.password.min_length)
            .map_err(|error| invalid(error.to_string()))?;
        let argon2 = Argon2Settings {
            memory_kib: self.password.argon2.memory_kib,
            iterations: self.password.argon2.iterations,
            parallelism: self.password.argon2.parallelism,
        };
        if tracing_subscriber::EnvFilter::try_new(&self.log.level).is_err() {
            return Err(invalid(format!(
                "log.level {:?} is not a log level",
                self.log.level
            )));
        }
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let trusted_proxies = self
            .server
            .trusted_proxies
            .iter()
            .map(|text| IpNetwork::parse(text))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| invalid(format!("server.trusted_proxies: {error}")))?;
        let per = |requests: u32, period: std::time::Duration| {
            (requests > 0).then_some(RateLimit {
                requests,
                per: period,
            })
        };
        Ok(Settings {
            listen: self.server.listen,
            connections,
            trusted_proxies: TrustedProxies::new(trusted_proxies),
            sign_in_limit: per(
                self.rate_limit.sign_in_per_minute,
                std::time::Duration::from_secs(60),
            ),
            sign_up_limit: per(
                self.rate_limit.sign_up_per_hour,
                std::time::Duration::from_secs(3600),
            ),
            secret_key,
            max_body_bytes: self.server.max_body_bytes,
            backend: self.storage.backend,
            sqlite,
            mongodb,
            cookie_secure: self.session.cookie_secure,
            cookie_domain,
            session: SessionPolicy {
                idle_timeout,
                absolute_lifetime,
                remember_lifetime,
            },
            password,
            argon2,
            max_concurrent_hashes: match self.password.max_concurrent_hashes {
                0 => cores,
                n => n,
            },
            log: self.log,
            metrics,
            access,
            portal_url,
            allowed_hosts,
            totp_issuer,
        })
    }
}

fn check_connections(raw: &RawServer) -> Result<ConnectionSettings, SettingsError> {
    let timeout = |key: &str, text: &str, longest: Duration, longest_text: &str| {
        let duration = parse_duration(key, text)?;
        if duration < Duration::SECOND || duration > longest {
            return Err(invalid(format!(
                "{key} must be between 1s and {longest_text}"
            )));
        }
        Ok(duration.unsigned_abs())
    };
    let header_timeout = timeout(
        "server.header_timeout",
        &raw.header_timeout,
        Duration::minutes(5),
        "5m",
    )?;
    let keep_alive_timeout = timeout(
        "server.keep_alive_timeout",
        &raw.keep_alive_timeout,
        Duration::hours(1),
        "1h",
    )?;
    if raw.max_connections > MAX_CONNECTIONS {
        return Err(invalid(format!(
            "server.max_connections must be at most {MAX_CONNECTIONS} (0: from the file-descriptor limit)"
        )));
    }
    Ok(ConnectionSettings {
        header_timeout,
        keep_alive_timeout,
        max_connections: (raw.max_connections > 0).then_some(raw.max_connections),
    })
}

fn check_access(raw: &RawAccess) -> Result<AccessRules, SettingsError> {
    let default = match raw.default.as_str() {
        "signed_in" => DefaultAccess::SignedIn,
        "deny" => DefaultAccess::Deny,
        other => {
            return Err(invalid(format!(
                "access.default must be \"signed_in\" or \"deny\", not {other:?}"
            )));
        }
    };
    let rules = raw
        .rules
        .iter()
        .enumerate()
        .map(|(index, rule)| {
            let named = |error: latch_domain::AccessRuleError| {
                invalid(format!("access.rules[{index}]: {error}"))
            };
            Ok(AccessRule {
                host: HostPattern::parse(&rule.host).map_err(named)?,
                path: rule
                    .path
                    .as_deref()
                    .map(PathPrefix::parse)
                    .transpose()
                    .map_err(named)?,
                allow: Allow::parse(&rule.allow).map_err(named)?,
            })
        })
        .collect::<Result<Vec<_>, SettingsError>>()?;
    Ok(AccessRules::new(rules, default))
}

/// A domain like `example.com` (a leading dot is dropped), or none.
fn check_cookie_domain(raw: &str) -> Result<Option<String>, SettingsError> {
    let domain = raw.trim().trim_start_matches('.').to_ascii_lowercase();
    if domain.is_empty() {
        return Ok(None);
    }
    let label_ok = |label: &str| {
        !label.is_empty()
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    if !domain.split('.').all(label_ok) {
        return Err(invalid(format!(
            "session.cookie_domain must be a domain like \"example.com\", not {raw:?}"
        )));
    }
    Ok(Some(domain))
}

/// Host names (letters, digits, `-` and `.`), kept in lower case.
fn check_allowed_hosts(raw: &[String]) -> Result<Vec<String>, SettingsError> {
    raw.iter()
        .map(|host| {
            let host = host.trim().to_ascii_lowercase();
            let valid = !host.is_empty()
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
            if valid {
                Ok(host)
            } else {
                Err(invalid(format!(
                    "forward_auth.allowed_hosts: {host:?} is not a host name (like \"app.example.com\", no port)"
                )))
            }
        })
        .collect()
}

/// `https://auth.example.com`: a scheme and a host (and port), no path.
fn check_portal_url(raw: &str) -> Result<Option<String>, SettingsError> {
    let url = raw.trim().trim_end_matches('/');
    if url.is_empty() {
        return Ok(None);
    }
    let malformed = || {
        invalid(format!(
            "forward_auth.portal_url must be http:// or https:// and a host, like \"https://auth.example.com\", with no path; not {raw:?}"
        ))
    };
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(malformed)?;
    let host_ok = !rest.is_empty()
        && rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    if !host_ok {
        return Err(malformed());
    }
    Ok(Some(url.to_owned()))
}

fn check_metrics(raw: &RawMetrics) -> Result<MetricsSettings, SettingsError> {
    let listen = raw.listen.trim();
    if listen.is_empty() {
        return Ok(MetricsSettings { listen: None });
    }
    let listen = listen.parse().map_err(|_| {
        invalid(format!(
            "metrics.listen must be an address and a port, like \"127.0.0.1:9464\", or empty for no metrics; not {listen:?}"
        ))
    })?;
    Ok(MetricsSettings {
        listen: Some(listen),
    })
}

fn check_sqlite(raw: RawSqlite) -> Result<SqliteSettings, SettingsError> {
    if raw.max_connections == 0 {
        return Err(invalid("storage.sqlite.max_connections must be at least 1"));
    }
    let synchronous = match raw.synchronous.as_str() {
        "full" => Synchronous::Full,
        "normal" => Synchronous::Normal,
        other => {
            return Err(invalid(format!(
                "storage.sqlite.synchronous must be \"full\" or \"normal\", not {other:?}"
            )));
        }
    };
    Ok(SqliteSettings {
        path: raw.path,
        max_connections: raw.max_connections,
        synchronous,
    })
}

fn check_mongodb(raw: RawMongodb) -> Result<MongoSettings, SettingsError> {
    if raw.uri.starts_with("mongodb+srv://") {
        return Err(invalid(
            "storage.mongodb.uri: mongodb+srv:// is not supported by this build; list the hosts in a mongodb:// URI",
        ));
    }
    if !raw.uri.starts_with("mongodb://") {
        return Err(invalid(
            "storage.mongodb.uri must start with mongodb:// (for example mongodb://127.0.0.1:27017)",
        ));
    }
    let forbidden = |c: char| "/\\. \"$".contains(c) || c.is_control();
    if raw.database.is_empty() || raw.database.len() > 63 || raw.database.contains(forbidden) {
        return Err(invalid(
            "storage.mongodb.database must be 1 to 63 characters without / \\ . space \" or $",
        ));
    }
    let timeout = parse_duration("storage.mongodb.timeout", &raw.timeout)?;
    if timeout < Duration::SECOND || timeout > Duration::minutes(2) {
        return Err(invalid("storage.mongodb.timeout must be between 1s and 2m"));
    }
    Ok(MongoSettings {
        uri: raw.uri,
        database: raw.database,
        timeout: timeout.unsigned_abs(),
    })
}

fn parse_secret_key(hex: &str) -> Result<Option<[u8; 32]>, SettingsError> {
    if hex.is_empty() {
        return Ok(None);
    }
    let malformed = || invalid("server.secret_key must be 64 hex digits (32 random bytes)");
    if hex.len() != 64 || !hex.is_ascii() {
        return Err(malformed());
    }
    let mut key = [0; 32];
    for (byte, pair) in key.iter_mut().zip(hex.as_bytes().chunks(2)) {
        let pair = std::str::from_utf8(pair).map_err(|_| malformed())?;
        *byte = u8::from_str_radix(pair, 16).map_err(|_| malformed())?;
    }
    Ok(Some(key))
}

/// Parses `90s`, `30m`, `12h`, `30d`.
fn parse_duration(key: &str, text: &str) -> Result<Duration, SettingsError> {
    let malformed = || {
        invalid(format!(
            "{key} must be a number and a unit (s, m, h or d), like \"12h\"; not {text:?}"
        ))
    };
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(malformed)?;
    let (number, unit) = text.split_at(split);
    let number = i64::from_str(number).map_err(|_| malformed())?;
    match unit.trim() {
        "s" => Ok(Duration::seconds(number)),
        "m" => Ok(Duration::minutes(number)),
        "h" => Ok(Duration::hours(number)),
        "d" => Ok(Duration::days(number)),
        _ => Err(malformed()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(environment: Option<&str>, vars: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect();
        Settings::load_from(environment, Some(vars))
    }

    fn error_of(vars: &[(&str, &str)]) -> String {
        load(None, vars).unwrap_err().to_string()
    }

    /// Each `LATCH__...` value alone stops loading with an error naming
    /// its key (`section.key`).
    fn each_is_refused_naming_its_key(cases: &[(&str, &str)]) {
        for (key, value) in cases {
            let error = error_of(&[(key, value)]);
            let named = key
                .trim_start_matches("LATCH__")
                .replace("__", ".")
                .to_lowercase();
            assert!(error.contains(&named), "{key}={value}: {error}");
        }
    }

    #[test]
    fn the_defaults_are_the_documented_ones() {
        let settings = load(None, &[]).unwrap();
        assert_eq!(settings.listen.to_string(), "127.0.0.1:8000");
        assert_eq!(settings.backend, Backend::Sqlite);
        assert_eq!(settings.sqlite.path, PathBuf::from("data/latch.db"));
        assert_eq!(settings.sqlite.synchronous, Synchronous::Full);
        assert_eq!(settings.mongodb.uri, "mongodb://127.0.0.1:27017");
        assert_eq!(settings.mongodb.database, "latch");
        assert_eq!(settings.mongodb.timeout, std::time::Duration::from_secs(5));
        assert!(!settings.cookie_secure);
        assert_eq!(settings.password.min_length(), 15);
        assert_eq!(settings.argon2, Argon2Settings::default());
        assert_eq!(settings.session.absolute_lifetime, Duration::hours(12));
        assert_eq!(settings.session.idle_timeout, Duration::minutes(30));
        assert_eq!(settings.session.remember_lifetime, Duration::days(30));
        assert_eq!(settings.max_body_bytes, 16 * 1024);
        assert_eq!(settings.secret_key, None);
        assert_eq!(
            settings.connections,
            ConnectionSettings {
                header_timeout: std::time::Duration::from_secs(10),
                keep_alive_timeout: std::time::Duration::from_secs(60),
                max_connections: None,
            }
        );
        assert_eq!(
            settings.metrics.listen.map(|address| address.to_string()),
            Some("127.0.0.1:9464".to_owned())
        );
    }

    #[test]
    fn connection_limits_are_read_and_checked() {
        let settings = load(
            None,
            &[
                ("LATCH__SERVER__HEADER_TIMEOUT", "2s"),
                ("LATCH__SERVER__KEEP_ALIVE_TIMEOUT", "5m"),
                ("LATCH__SERVER__MAX_CONNECTIONS", "500"),
            ],
        )
        .unwrap();
        assert_eq!(
            settings.connections,
            ConnectionSettings {
                header_timeout: std::time::Duration::from_secs(2),
                keep_alive_timeout: std::time::Duration::from_secs(300),
                max_connections: Some(500),
            }
        );
        each_is_refused_naming_its_key(&[
            ("LATCH__SERVER__HEADER_TIMEOUT", "0s"),
            ("LATCH__SERVER__HEADER_TIMEOUT", "6m"),
            ("LATCH__SERVER__HEADER_TIMEOUT", "soon"),
            ("LATCH__SERVER__KEEP_ALIVE_TIMEOUT", "0s"),
            ("LATCH__SERVER__KEEP_ALIVE_TIMEOUT", "2h"),
            ("LATCH__SERVER__MAX_CONNECTIONS", "1000001"),
            ("LATCH__SERVER__MAX_CONNECTIONS", "-1"),
        ]);
    }

    #[test]
    fn environment_variables_override_files() {
        let settings = load(
            None,
            &[
                ("LATCH__SERVER__LISTEN", "127.0.0.1:0"),
                ("LATCH__STORAGE__BACKEND", "memory"),
                ("LATCH__PASSWORD__MIN_LENGTH", "12"),
                ("LATCH__SESSION__ABSOLUTE_LIFETIME", "90m"),
            ],
        )
        .unwrap();
        assert_eq!(settings.listen.port(), 0);
        assert_eq!(settings.backend, Backend::Memory);
        assert_eq!(settings.password.min_length(), 12);
        assert_eq!(settings.session.absolute_lifetime, Duration::minutes(90));
        let lowered = load(None, &[("LATCH__STORAGE__SQLITE__SYNCHRONOUS", "normal")]).unwrap();
        assert_eq!(lowered.sqlite.synchronous, Synchronous::Normal);
    }

    #[test]
    fn invalid_values_are_refused_with_the_key_named() {
        assert!(error_of(&[("LATCH__PASSWORD__MIN_LENGTH", "7")]).contains("password.min_length"));
        assert!(error_of(&[("LATCH__STORAGE__BACKEND", "oracle")]).contains("storage.backend"));
        assert!(error_of(&[("LATCH__SERVER__LISTEN", "nowhere")]).contains("server.listen"));
        assert!(
            error_of(&[("LATCH__SESSION__ABSOLUTE_LIFETIME", "forever")])
                .contains("session.absolute_lifetime")
        );
        assert!(error_of(&[("LATCH__SERVER__SECRET_KEY", "abc")]).contains("server.secret_key"));
        assert!(
            error_of(&[("LATCH__SESSION__REMEMBER_LIFETIME", "31d")])
                .contains("session.remember_lifetime")
        );
        assert!(
            error_of(&[("LATCH__SESSION__IDLE_TIMEOUT", "0m")]).contains("session.idle_timeout")
        );
        assert!(error_of(&[("LATCH__LOG__LEVEL", "loud=[")]).contains("log.level"));
        assert!(
            error_of(&[("LATCH__STORAGE__SQLITE__SYNCHRONOUS", "off")])
                .contains("storage.sqlite.synchronous")
        );
    }

    #[test]
    fn mongodb_settings_are_read_and_checked() {
        let settings = load(
            None,
            &[
                ("LATCH__STORAGE__BACKEND", "mongodb"),
                (
                    "LATCH__STORAGE__MONGODB__URI",
                    "mongodb://db1:27017,db2:27017/?replicaSet=rs0",
                ),
                ("LATCH__STORAGE__MONGODB__DATABASE", "auth"),
                ("LATCH__STORAGE__MONGODB__TIMEOUT", "2s"),
            ],
        )
        .unwrap();
        assert_eq!(settings.backend, Backend::Mongodb);
        assert_eq!(settings.mongodb.database, "auth");
        assert_eq!(settings.mongodb.timeout, std::time::Duration::from_secs(2));
        each_is_refused_naming_its_key(&[
            ("LATCH__STORAGE__MONGODB__URI", "postgres://db"),
            (
                "LATCH__STORAGE__MONGODB__URI",
                "mongodb+srv://cluster.example",
            ),
            ("LATCH__STORAGE__MONGODB__DATABASE", "a.b"),
            ("LATCH__STORAGE__MONGODB__DATABASE", ""),
            ("LATCH__STORAGE__MONGODB__TIMEOUT", "0s"),
            ("LATCH__STORAGE__MONGODB__TIMEOUT", "soon"),
        ]);
    }

    #[test]
    fn log_format_and_metrics_are_read_and_checked() {
        let defaults = load(None, &[]).unwrap();
        assert_eq!(defaults.log.format, LogFormat::Text);
        let settings = load(
            None,
            &[
                ("LATCH__LOG__FORMAT", "json"),
                ("LATCH__METRICS__LISTEN", "[::1]:9100"),
            ],
        )
        .unwrap();
        assert_eq!(settings.log.format, LogFormat::Json);
        assert_eq!(
            settings.metrics.listen.map(|address| address.to_string()),
            Some("[::1]:9100".to_owned())
        );
        let off = load(None, &[("LATCH__METRICS__LISTEN", "")]).unwrap();
        assert_eq!(off.metrics.listen, None);
        assert!(error_of(&[("LATCH__LOG__FORMAT", "xml")]).contains("log.format"));
        assert!(error_of(&[("LATCH__METRICS__LISTEN", "9464")]).contains("metrics.listen"));
        assert!(error_of(&[("LATCH__METRICS__ENABLED", "false")]).contains("enabled"));
    }

    #[test]
    fn trusted_proxies_and_rate_limits_are_read_and_checked() {
        let settings = load(
            None,
            &[
                ("LATCH__SERVER__TRUSTED_PROXIES", "10.0.0.0/8,::1"),
                ("LATCH__RATE_LIMIT__SIGN_IN_PER_MINUTE", "0"),
            ],
        )
        .unwrap();
        assert_eq!(settings.sign_in_limit, None, "0 turns the limit off");
        assert_eq!(settings.sign_up_limit.map(|limit| limit.requests), Some(20));
        assert!(
            error_of(&[("LATCH__SERVER__TRUSTED_PROXIES", "10.0.0.0/99")])
                .contains("server.trusted_proxies")
        );
    }

    #[test]
    fn access_rules_and_the_portal_come_from_a_settings_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("latch.toml");
        std::fs::write(
            &file,
            r#"
            [forward_auth]
            portal_url = "https://auth.example.com/"

            [access]
            default = "deny"

            [[access.rules]]
            host = "grafana.example.com"
            path = "/admin"
            allow = "group:admins"

            [[access.rules]]
            host = "*.example.com"
            allow = "signed_in"
            "#,
        )
        .unwrap();
        let path = file.display().to_string();
        let settings = load(None, &[("LATCH_CONFIG", &path)]).unwrap();
        assert_eq!(
            settings.portal_url.as_deref(),
            Some("https://auth.example.com")
        );
        let admins = latch_domain::Principal {
            username: &latch_domain::UsernameKey::from_input("root"),
            groups: &[latch_domain::GroupName::parse("admins").unwrap()],
        };
        let target = latch_domain::AccessTarget::new("grafana.example.com", "/admin/users");
        assert_eq!(
            settings.access.decide(&target, Some(&admins)),
            latch_domain::Access::Granted { bypass: false }
        );
        let elsewhere = latch_domain::AccessTarget::new("other.org", "/");
        assert_eq!(
            settings.access.decide(&elsewhere, Some(&admins)),
            latch_domain::Access::Forbidden
        );
        let defaults = load(None, &[]).unwrap();
        assert_eq!(defaults.access, AccessRules::default());
        assert_eq!(defaults.portal_url, None);
        assert!(defaults.allowed_hosts.is_empty());
        assert_eq!(defaults.cookie_domain, None);
        let shared = load(None, &[("LATCH__SESSION__COOKIE_DOMAIN", ".Example.com")]).unwrap();
        assert_eq!(shared.cookie_domain.as_deref(), Some("example.com"));
        assert!(
            error_of(&[("LATCH__SESSION__COOKIE_DOMAIN", "example.com:443")])
                .contains("session.cookie_domain")
        );
        let hosts = load(
            None,
            &[(
                "LATCH__FORWARD_AUTH__ALLOWED_HOSTS",
                "App.example.com,grafana.example.com",
            )],
        )
        .unwrap();
        assert_eq!(
            hosts.allowed_hosts,
            ["app.example.com", "grafana.example.com"]
        );
        assert!(
            error_of(&[("LATCH__FORWARD_AUTH__ALLOWED_HOSTS", "app.example.com:443")])
                .contains("forward_auth.allowed_hosts")
        );
    }

    #[test]
    fn a_bad_rule_is_refused_with_its_place_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("latch.toml");
        std::fs::write(
            &file,
            "[[access.rules]]\nhost = \"a.example.com\"\nallow = \"signed_in\"\n\n[[access.rules]]\nhost = \"b.example.com\"\nallow = \"everyone\"\n",
        )
        .unwrap();
        let path = file.display().to_string();
        let error = error_of(&[("LATCH_CONFIG", &path)]);
        assert!(error.contains("access.rules[1]"), "{error}");
        assert!(error.contains("everyone"), "{error}");
        assert!(error_of(&[("LATCH__ACCESS__DEFAULT", "maybe")]).contains("access.default"));
        for url in [
            "auth.example.com",
            "https://auth.example.com/login",
            "ftp://x",
        ] {
            let error = error_of(&[("LATCH__FORWARD_AUTH__PORTAL_URL", url)]);
            assert!(error.contains("forward_auth.portal_url"), "{url}: {error}");
        }
        let missing = error_of(&[("LATCH_CONFIG", "/nonexistent/latch.toml")]);
        assert!(missing.contains("latch.toml"), "{missing}");
    }

    #[test]
    fn unknown_keys_are_refused() {
        let error = error_of(&[("LATCH__SERVER__LISTN", "127.0.0.1:0")]);
        assert!(error.contains("listn"), "{error}");
    }

    #[test]
    fn production_needs_a_secret_key_and_secures_cookies() {
        let error = load(Some("production"), &[]).unwrap_err().to_string();
        assert!(error.contains("server.secret_key is required"), "{error}");
        let key = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        let settings = load(Some("production"), &[("LATCH__SERVER__SECRET_KEY", key)]).unwrap();
        assert!(settings.cookie_secure);
        assert_eq!(settings.secret_key.map(|key| key[1]), Some(0x11));
    }

    #[test]
    fn debug_output_shows_no_secret() {
        let key = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        let settings = load(
            None,
            &[
                ("LATCH__SERVER__SECRET_KEY", key),
                (
                    "LATCH__STORAGE__MONGODB__URI",
                    "mongodb://latch:s3cret-pw@db1.example:27017,db2.example:27017/?replicaSet=rs0&tlsCertificateKeyFilePassword=k3y-pw",
                ),
            ],
        )
        .unwrap();
        let printed = format!("{settings:?}");
        let key_bytes = settings.secret_key.unwrap();
        for secret in [
            key.to_owned(),
            format!("{key_bytes:?}"),
            format!("{:?}", &key_bytes[..4])
                .trim_end_matches(']')
                .to_owned(),
            "s3cret-pw".to_owned(),
            "k3y-pw".to_owned(),
        ] {
            assert!(!printed.contains(&secret), "{secret} in {printed}");
        }
        assert!(
            printed.contains("secret_key: Some([redacted])"),
            "{printed}"
        );
        assert!(
            printed.contains("db1.example:27017,db2.example:27017"),
            "the hosts are still shown: {printed}"
        );
        let pretty = format!("{settings:#?}");
        assert!(!pretty.contains("s3cret-pw") && !pretty.contains(&key[..16]));
    }

    #[test]
    fn an_unknown_environment_without_a_file_is_an_error() {
        assert!(load(Some("staging-typo"), &[]).is_err());
    }
}
