//! Sessions: the token a client holds, the digest a store keeps, and how long
//! a session lives.

use std::fmt;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use crate::user::UserId;

/// The secret a client presents (in a cookie or a bearer header): 256 random
/// bits. Stores never see it, only its [`SessionId`].
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken([u8; 32]);

impl SessionToken {
    /// Wraps 32 bytes from a cryptographically secure random source.
    pub fn from_random_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Reads the text form a client sent back; `None` for anything that a
    /// token of ours could not be.
    pub fn parse(text: &str) -> Option<Self> {
        if text.len() != 43 {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
        bytes.try_into().ok().map(Self)
    }

    /// The text form given to the client (43 characters of URL-safe base64).
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0)
    }

    /// The identifier a store keeps for this token: its SHA-256 digest.
    pub fn id(&self) -> SessionId {
        SessionId(Sha256::digest(self.0).into())
    }
}

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionToken([redacted])")
    }
}

/// What a store keys a session by: the SHA-256 digest of its token, so that a
/// copy of the store does not hold working tokens.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId([u8; 32]);

impl SessionId {
    /// Wraps a digest read from a store.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The digest's bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The identifier shown to the session's owner (to list and end their
    /// sessions): the hex of the digest's first 16 bytes. The digest is not
    /// a credential, so showing part of it grants nothing.
    pub fn public_id(&self) -> String {
        hex(&self.0[..16])
    }

    /// The first 8 hex digits of the digest: enough to tell sessions apart
    /// in a log, useless to an attacker.
    pub fn fingerprint(&self) -> String {
        hex(&self.0[..4])
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The longest user agent a session keeps, in characters.
pub const MAX_USER_AGENT_CHARS: usize = 200;

/// Where a sign-in came from, as the adapter that received it saw it: kept
/// with the session so its owner can tell their sessions apart.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignInContext {
    /// The browser's user agent, at most [`MAX_USER_AGENT_CHARS`] characters.
    pub user_agent: Option<String>,
    /// The client's IP address, as text.
    pub client_ip: Option<String>,
}

impl SignInContext {
    /// A context from what a request carried: the user agent is trimmed, cut
    /// to [`MAX_USER_AGENT_CHARS`] characters and stripped of control
    /// characters; empty values are dropped.
    pub fn new(user_agent: Option<&str>, client_ip: Option<String>) -> Self {
        let user_agent = user_agent
            .map(|agent| {
                agent
                    .chars()
                    .filter(|c| !c.is_control())
                    .take(MAX_USER_AGENT_CHARS)
                    .collect::<String>()
                    .trim()
                    .to_owned()
            })
            .filter(|agent| !agent.is_empty());
        Self {
            user_agent,
            client_ip: client_ip.filter(|ip| !ip.is_empty()),
        }
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionId({}...)", self.fingerprint())
    }
}

/// A signed-in session as stores keep it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Digest of the token.
    pub id: SessionId,
    /// Whose session it is.
    pub user_id: UserId,
    /// When it was issued.
    pub created_at: OffsetDateTime,
    /// When its owner last proved their password (at sign-in).
    pub authenticated_at: OffsetDateTime,
    /// When it was last used, to within [`SessionPolicy::touch_interval`].
    pub last_seen_at: OffsetDateTime,
    /// When it ends, whatever happens.
    pub expires_at: OffsetDateTime,
    /// Whether its owner asked to be remembered: a longer lifetime, no idle
    /// timeout, and a cookie that outlives the browser session.
    pub remember: bool,
    /// The account's credential version when it was issued; a password
    /// change moves the account on and so ends it.
    pub credential_version: u32,
    /// The browser's user agent at sign-in, shortened (see [`SignInContext`]).
    pub user_agent: Option<String>,
    /// The client's IP address at sign-in, as text.
    pub client_ip: Option<String>,
    /// How its owner proved who they are at sign-in.
    pub proof: Proof,
}

impl Session {
    /// Whether the session is before its absolute expiry at `now`. (Stores
    /// use this alone; [`SessionPolicy::is_live`] also applies the idle
    /// timeout.)
    pub fn is_live_at(&self, now: OffsetDateTime) -> bool {
        now < self.expires_at
    }
}

/// A way of proving who one is, by its name in RFC 8176 (Authentication
/// Method Reference values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProofMethod {
    /// A password (`pwd`).
    Password,
    /// A one-time code: an authenticator app's, or a recovery code (`otp`).
    OneTimeCode,
}

impl ProofMethod {
    /// Every method, in the order they are listed.
    const ALL: [Self; 2] = [Self::Password, Self::OneTimeCode];

    /// Its RFC 8176 name.
    pub fn amr(self) -> &'static str {
        match self {
            Self::Password => "pwd",
            Self::OneTimeCode => "otp",
        }
    }

    fn bit(self) -> u8 {
        match self {
            Self::Password => 1,
            Self::OneTimeCode => 2,
        }
    }
}

/// How a session's owner proved who they are when it was issued: a set of
/// [`ProofMethod`]s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Proof(u8);

impl Proof {
    /// A password alone.
    pub const PASSWORD: Self = Self(1);

    /// This proof and `method`.
    pub fn with(self, method: ProofMethod) -> Self {
        Self(self.0 | method.bit())
    }

    /// Whether `method` was part of it.
    pub fn contains(self, method: ProofMethod) -> bool {
        self.0 & method.bit() != 0
    }

    /// Its methods, in a fixed order.
    pub fn methods(self) -> impl Iterator<Item = ProofMethod> {
        ProofMethod::ALL
            .into_iter()
            .filter(move |method| self.contains(*method))
    }

    /// Whether it took more than one method.
    pub fn is_multi_factor(self) -> bool {
        self.methods().count() > 1
    }

    /// Its RFC 8176 names, with `mfa` after them when it took more than one
    /// method: what `amr` claims say.
    pub fn amr(self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = self.methods().map(ProofMethod::amr).collect();
        if self.is_multi_factor() {
            names.push("mfa");
        }
        names
    }

    /// The proof named by method names as a store keeps them ([`amr`]'s
    /// names; `mfa`, and names this version does not know, add nothing).
    ///
    /// [`amr`]: Self::amr
    pub fn from_amr<'a>(names: impl IntoIterator<Item = &'a str>) -> Self {
        names.into_iter().fold(Self::default(), |proof, name| {
            match ProofMethod::ALL
                .into_iter()
                .find(|method| method.amr() == name)
            {
                Some(method) => proof.with(method),
                None => proof,
            }
        })
    }
}

/// The longest time between two writes of a session's `last_seen_at`:
/// activity slides the idle timer without a store write on every request.
pub const MAX_TOUCH_INTERVAL: Duration = Duration::minutes(1);

/// The longest "remember me" lifetime any configuration may set.
pub const MAX_REMEMBER_LIFETIME: Duration = Duration::days(30);

/// How long sessions live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// A session unused for this long ends (not for remembered sessions).
    pub idle_timeout: Duration,
    /// The lifetime of a session from sign-in.
    pub absolute_lifetime: Duration,
    /// The lifetime of a remembered session from sign-in.
    pub remember_lifetime: Duration,
}

impl SessionPolicy {
    /// When a session issued at `now` ends at the latest.
    pub fn expiry(&self, now: OffsetDateTime, remember: bool) -> OffsetDateTime {
        now + if remember {
            self.remember_lifetime
        } else {
            self.absolute_lifetime
        }
    }

    /// Whether a session is live at `now`: before its absolute expiry and,
    /// unless remembered, used within the idle timeout.
    pub fn is_live(&self, session: &Session, now: OffsetDateTime) -> bool {
        session.is_live_at(now)
            && (session.remember || now < session.last_seen_at + self.idle_timeout)
    }

    /// How often a session's use is written at most: a tenth of the idle
    /// timeout, and at most [`MAX_TOUCH_INTERVAL`], so a session used more
    /// often than the idle timeout never ends for want of a write.
    pub fn touch_interval(&self) -> Duration {
        (self.idle_timeout / 10_i32).min(MAX_TOUCH_INTERVAL)
    }

    /// Whether a request at `now` should record the session as seen: only
    /// once per [`Self::touch_interval`].
    pub fn needs_touch(&self, session: &Session, now: OffsetDateTime) -> bool {
        now - session.last_seen_at >= self.touch_interval()
    }
}

impl Default for SessionPolicy {
    /// 30 minutes idle, 12 hours absolute, 30 days when remembered.
    fn default() -> Self {
        Self {
            idle_timeout: Duration::minutes(30),
            absolute_lifetime: Duration::hours(12),
            remember_lifetime: MAX_REMEMBER_LIFETIME,
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn a_proof_is_named_as_rfc_8176_names_it_and_reads_back() {
        assert_eq!(Proof::PASSWORD.amr(), ["pwd"]);
        let two = Proof::PASSWORD.with(ProofMethod::OneTimeCode);
        assert!(two.is_multi_factor());
        assert_eq!(two.amr(), ["pwd", "otp", "mfa"]);
        assert_eq!(Proof::from_amr(two.amr()), two);
        assert_eq!(Proof::from_amr(["otp", "pwd"]), two);
        assert_eq!(
            Proof::from_amr(["pwd", "something-newer"]),
            Proof::PASSWORD,
            "an unknown name adds nothing"
        );
        assert!(!Proof::PASSWORD.is_multi_factor());
    }

    #[test]
    fn tokens_round_trip_through_their_text_form() {
        let token = SessionToken::from_random_bytes([7; 32]);
        let text = token.encode();
        assert_eq!(text.len(), 43);
        assert_eq!(SessionToken::parse(&text), Some(token));
    }

    #[test]
    fn the_stored_id_is_the_sha256_of_the_token() {
        let token = SessionToken::from_random_bytes([0; 32]);
        // SHA-256 of 32 zero bytes.
        assert_eq!(
            token.id().fingerprint(),
            "66687aad",
            "digest of the token, not the token"
        );
        assert_ne!(token.id().as_bytes(), &[0; 32]);
    }

    #[test]
    fn debug_output_never_shows_the_token() {
        let token = SessionToken::from_random_bytes([9; 32]);
        assert!(!format!("{token:?}").contains(&token.encode()));
    }

    #[test]
    fn a_session_is_dead_from_its_expiry_on() {
        let start = OffsetDateTime::UNIX_EPOCH;
        let session = session_at(start, false);
        assert!(session.is_live_at(start + Duration::hours(12) - Duration::SECOND));
        assert!(!session.is_live_at(start + Duration::hours(12)));
    }

    fn session_at(start: OffsetDateTime, remember: bool) -> Session {
        let policy = SessionPolicy::default();
        Session {
            id: SessionId::from_bytes([1; 32]),
            user_id: UserId::from_random_bytes([2; 16]),
            created_at: start,
            authenticated_at: start,
            last_seen_at: start,
            expires_at: policy.expiry(start, remember),
            remember,
            credential_version: 0,
            user_agent: None,
            client_ip: None,
            proof: Proof::PASSWORD,
        }
    }

    #[test]
    fn an_unused_session_ends_after_the_idle_timeout() {
        let policy = SessionPolicy::default();
        let start = OffsetDateTime::UNIX_EPOCH;
        let mut session = session_at(start, false);
        assert!(policy.is_live(&session, start + Duration::minutes(29)));
        assert!(!policy.is_live(&session, start + Duration::minutes(30)));
        session.last_seen_at = start + Duration::minutes(20);
        assert!(
            policy.is_live(&session, start + Duration::minutes(49)),
            "activity slides the idle timer"
        );
        assert!(
            !policy.is_live(&session, start + Duration::hours(12)),
            "but not past the absolute lifetime"
        );
    }

    #[test]
    fn remembered_sessions_last_longer_and_have_no_idle_timeout() {
        let policy = SessionPolicy::default();
        let start = OffsetDateTime::UNIX_EPOCH;
        let session = session_at(start, true);
        assert_eq!(session.expires_at, start + Duration::days(30));
        assert!(policy.is_live(&session, start + Duration::days(29)));
        assert!(!policy.is_live(&session, start + Duration::days(30)));
    }

    #[test]
    fn last_seen_is_written_at_most_once_a_minute() {
        let policy = SessionPolicy::default();
        let start = OffsetDateTime::UNIX_EPOCH;
        let session = session_at(start, false);
        assert!(!policy.needs_touch(&session, start + Duration::seconds(59)));
        assert!(policy.needs_touch(&session, start + Duration::seconds(60)));
    }

    #[test]
    fn with_a_short_idle_timeout_use_is_written_often_enough_to_keep_the_session() {
        let policy = SessionPolicy {
            idle_timeout: Duration::minutes(1),
            ..SessionPolicy::default()
        };
        assert_eq!(policy.touch_interval(), Duration::seconds(6));
        let start = OffsetDateTime::UNIX_EPOCH;
        let mut session = session_at(start, false);
        // Used every 20 s for ten minutes: each use is written, and the
        // session lives on.
        for step in 1..=30 {
            let now = start + Duration::seconds(20 * step);
            assert!(policy.is_live(&session, now), "at {now}");
            assert!(policy.needs_touch(&session, now));
            session.last_seen_at = now;
        }
        assert!(!policy.needs_touch(&session, session.last_seen_at + Duration::seconds(5)));
    }

    #[test]
    fn the_public_id_is_the_hex_of_half_the_digest() {
        let id = SessionId::from_bytes([0xab; 32]);
        assert_eq!(id.public_id(), "ab".repeat(16));
    }

    #[test]
    fn a_sign_in_context_shortens_and_cleans_the_user_agent() {
        let long = "x".repeat(500);
        let context = SignInContext::new(Some(&long), Some("192.0.2.1".to_owned()));
        assert_eq!(context.user_agent.map(|agent| agent.len()), Some(200));
        assert_eq!(context.client_ip.as_deref(), Some("192.0.2.1"));
        let context = SignInContext::new(Some(" a\nb\u{7} "), Some(String::new()));
        assert_eq!(context.user_agent.as_deref(), Some("ab"));
        assert_eq!(context.client_ip, None);
        assert_eq!(SignInContext::new(Some("  "), None).user_agent, None);
    }

    proptest! {
        #[test]
        fn parsing_any_text_never_panics(text in "\\PC{0,64}") {
            if let Some(token) = SessionToken::parse(&text) {
                prop_assert_eq!(token.encode(), text);
            }
        }
    }
}
