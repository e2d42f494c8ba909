//! The rules for accounts and sessions: one core, shared by three faces,
//! one per audience.
//!
//! - [`Visitors`]: register, sign in, find who is signed in, sign out.
//! - [`AccountOwners`]: a signed-in person's own sessions, password and
//!   account.
//! - [`Operators`]: what the operator's command line may do to any account.
//!
//! The web adapter is given the first two, the command line the third, so a
//! page handler cannot reach an operator action. Every action reports what
//! happened through the [`Events`] port.

mod errors;
mod operators;
mod owners;
mod visitors;

use std::sync::Arc;

use time::{Duration, OffsetDateTime};

pub use self::{
    errors::{
        BeginTotpError, ChangePasswordError, ConfirmTotpError, DeleteAccountError, GroupError,
        GroupMemberError, NewGroupError, OperatorError, RegisterError, RegistrationErrors,
        SecondFactorChangeError, SecondStepError, SignInError,
    },
    operators::{AccountReport, FactorsReset, Operators, Purged},
    owners::{AccountOwners, SecondFactors, SessionInfo, TotpEnrolment, TotpState},
    visitors::{
        Authorization, Credentials, ReturnTarget, SecondStep, SecondStepMethod, SignIn,
        SignInOutcome, SignedInFully, Visitors,
    },
};
use crate::{
    device::DeviceToken,
    events::{AuthEvent, EventKind, Events, Origin, PasswordCheck},
    password::{Password, PasswordHash, PasswordPolicy},
    ports::{
        Clock, GroupRepository, HasherError, InsertUserError, KeyedDigest, PasswordHasher,
        PendingSignInRepository, SecondFactorRepository, SecretSealer, SessionRepository,
        SignInAttemptRepository, StorageError, TokenSource, UserRepository, Verification,
    },
    second_factor::{
        RECOVERY_CODES_PER_SET, RecoveryCode, SealedSecret, TOTP_SECRET_LEN, TotpSecret,
    },
    session::{Proof, Session, SessionPolicy, SignInContext},
    throttle::{Gate, ThrottleKey, ThrottlePolicy},
    user::{User, UserId},
    username::{Username, UsernameError, UsernameKey, UsernameSkeleton},
};

/// The adapters the domain works through.
#[derive(Clone)]
pub struct Ports {
    /// Account storage.
    pub users: Arc<dyn UserRepository>,
    /// Session storage.
    pub sessions: Arc<dyn SessionRepository>,
    /// Groups and their members.
    pub groups: Arc<dyn GroupRepository>,
    /// Failed sign-in counters.
    pub attempts: Arc<dyn SignInAttemptRepository>,
    /// Second factors: authenticator apps and recovery codes.
    pub second_factors: Arc<dyn SecondFactorRepository>,
    /// Sign-ins halfway, waiting for their second step.
    pub pending: Arc<dyn PendingSignInRepository>,
    /// Seals the secrets a store keeps but must not read.
    pub sealer: Arc<dyn SecretSealer>,
    /// Password hashing.
    pub hasher: Arc<dyn PasswordHasher>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// Randomness for tokens and ids.
    pub tokens: Arc<dyn TokenSource>,
    /// Digests keyed with the server's secret (device tokens, log names).
    pub digests: Arc<dyn KeyedDigest>,
    /// Where what happened is reported.
    pub events: Arc<dyn Events>,
}

/// The configurable rules.
#[derive(Debug, Clone, Copy, Default)]
pub struct Policies {
    /// What new passwords must be.
    pub password: PasswordPolicy,
    /// How long sessions live.
    pub session: SessionPolicy,
    /// How failed sign-ins slow down the next attempt.
    pub throttle: ThrottlePolicy,
}

/// Who a live session belongs to. Only the core makes one, after finding
/// the session live ([`Visitors::signed_in`]) or issuing it; holding one is
/// proof that the request has a live session.
#[derive(Debug, Clone)]
pub struct SignedIn {
    user: User,
    session: Session,
}

impl SignedIn {
    /// The account.
    pub fn user(&self) -> &User {
        &self.user
    }

    /// The session.
    pub fn session(&self) -> &Session {
        &self.session
    }
}

/// An account whose password was just checked. Only the core's credential
/// checks make one, and a session can only be issued for one, so nothing
/// signs a person in without checking them.
struct VerifiedUser(User);

/// The domain service: builds the three faces over one shared core.
#[derive(Clone)]
pub struct Authenticator {
    core: Arc<Core>,
}

impl Authenticator {
    /// Builds the service; computes the hash used for unknown usernames.
    pub async fn new(ports: Ports, policies: Policies) -> Result<Self, HasherError> {
        let dummy_password = Password::new(ports.tokens.session_token().encode());
        let dummy_hash = ports.hasher.hash(&dummy_password).await?;
        Ok(Self {
            core: Arc::new(Core {
                ports,
                policies,
                dummy_hash,
            }),
        })
    }

    /// The configured rules.
    pub fn policies(&self) -> &Policies {
        &self.core.policies
    }

    /// What visitors may do: register, sign in, sign out.
    pub fn visitors(&self) -> Visitors {
        Visitors::new(self.core.clone())
    }

    /// What a signed-in person may do to their own account.
    pub fn account_owners(&self) -> AccountOwners {
        AccountOwners::new(self.core.clone())
    }

    /// What the operator may do to any account.
    pub fn operators(&self) -> Operators {
        Operators::new(self.core.clone())
    }
}

/// How often an attempt tries to reserve its place in a count that others
/// keep changing, before it is told to wait.
const RESERVE_TRIES: usize = 8;

/// What a keyed digest of a name in a log is for.
const LOG_DIGEST_PURPOSE: &str = "latch log name v1";

/// Which count a password check was admitted under, or why it was not.
enum Admission {
    /// Counted as a failure in advance (under `key`); a right password
    /// clears it.
    Counted {
        /// The count it was reserved in.
        key: ThrottleKey,
        /// The trusted device it came from, if any.
        device: Option<DeviceToken>,
    },
    /// Not before this long.
    Throttled(Duration),
    /// Not from an untrusted client at all.
    Locked,
}

/// The outcome of reserving one attempt in one count.
enum Reservation {
    Counted,
    Wait(Duration),
    Closed,
}

/// What the faces share: the ports, the policies and the rules that more
/// than one face applies.
struct Core {
    ports: Ports,
    policies: Policies,
    /// Verified against when the username is unknown or throttled, so that
    /// every refused attempt costs the same hashing work as a wrong password.
    dummy_hash: PasswordHash,
}

impl Core {
    /// Reports an event.
    fn emit(&self, event: AuthEvent) {
        self.ports.events.emit(&event);
    }

    /// Creates an account (for a visitor or an operator). A name that looks
    /// like a taken one is taken: refused by the store when the name itself
    /// is valid, and before the store when it is refused for its look-alike
    /// characters but an account holds its skeleton.
    async fn register(
        &self,
        username: &str,
        password: &Password,
        origin: &Origin,
    ) -> Result<User, RegisterError> {
        let raw = username;
        let username = Username::parse(raw);
        let password = &password.normalized();
        let password_problem = self
            .policies
            .password
            .check(password, username.as_ref().ok())
            .err();
        let username = match (username, password_problem) {
            (Ok(username), None) => username,
            (username, password) => {
                // A refused look-alike of an existing name is that name, taken.
                if password.is_none()
                    && username.as_ref().is_err_and(UsernameError::is_look_alike)
                    && self
                        .ports
                        .users
                        .skeleton_taken(&UsernameSkeleton::from_input(raw))
                        .await?
                {
                    return Err(RegisterError::UsernameTaken);
                }
                return Err(RegisterError::InvalidInput(RegistrationErrors {
                    username: username.err(),
                    password,
                }));
            }
        };
        // A cheap look first spares the hashing work for a name that is taken;
        // the store's unique key still decides when two arrive at once.
        if self
            .ports
            .users
            .user_by_key(username.key())
            .await?
            .is_some()
        {
            return Err(RegisterError::UsernameTaken);
        }
        let user = User {
            id: self.ports.tokens.user_id(),
            username,
            password_hash: self.ports.hasher.hash(password).await?,
            created_at: self.now(),
            last_login_at: None,
            credential_version: 0,
            disabled: false,
            groups: Vec::new(),
        };
        match self.ports.users.insert_user(&user).await {
            Ok(()) => {
                self.emit(AuthEvent::new(EventKind::Registered, origin).user(user.username.key()));
                Ok(user)
            }
            Err(InsertUserError::UsernameTaken) => Err(RegisterError::UsernameTaken),
            Err(InsertUserError::Storage(error)) => Err(error.into()),
        }
    }

    /// Whether `session` is live at `now` for `user`: before its expiry,
    /// within the idle timeout unless remembered, issued under the account's
    /// current credentials, of an account not disabled. The one statement
    /// of that rule.
    fn is_live(&self, session: &Session, user: &User, now: OffsetDateTime) -> bool {
        !user.disabled
            && session.user_id == user.id
            && session.credential_version == user.credential_version
            && self.policies.session.is_live(session, now)
    }

    /// The sessions of an account that are live now (dead ones are left for
    /// the purge), oldest first.
    async fn live_sessions(&self, user: &User) -> Result<Vec<Session>, StorageError> {
        let now = self.now();
        let mut sessions: Vec<Session> = self
            .ports
            .sessions
            .user_sessions(user.id)
            .await?
            .into_iter()
            .filter(|session| self.is_live(session, user, now))
            .collect();
        sessions.sort_by_key(|session| session.created_at);
        Ok(sessions)
    }

    /// Checks a password against a stored hash in its normalised form
    /// ([`Password::normalized`]). A hash made before passwords were
    /// normalised matches the form as typed: that is tried once, when the
    /// two forms differ and the first did not match, and a match then asks
    /// for a re-hash (of the normalised form).
    async fn verify(
        &self,
        password: &Password,
        hash: &PasswordHash,
    ) -> Result<Verification, HasherError> {
        let normalized = password.normalized();
        let verification = self.ports.hasher.verify(&normalized, hash).await?;
        if verification != Verification::Mismatch || normalized.expose() == password.expose() {
            return Ok(verification);
        }
        Ok(match self.ports.hasher.verify(password, hash).await? {
            Verification::Mismatch => Verification::Mismatch,
            Verification::Match | Verification::MatchNeedsRehash => Verification::MatchNeedsRehash,
        })
    }

    /// Checks a password for a username key: one verify (two for a
    /// password typed in an unnormalised form), against the account's hash
    /// or, for an unknown key, the dummy hash. A disabled account fails
    /// like a wrong password, after the same work. A hash due for renewal
    /// is replaced by one of the normalised password.
    async fn verify_credentials(
        &self,
        key: &UsernameKey,
        password: &Password,
    ) -> Result<Option<VerifiedUser>, SignInError> {
        let Some(user) = self.ports.users.user_by_key(key).await? else {
            self.verify(password, &self.dummy_hash).await?;
            return Ok(None);
        };
        match self.verify(password, &user.password_hash).await? {
            Verification::Mismatch => Ok(None),
            _ if user.disabled => Ok(None),
            Verification::Match => Ok(Some(VerifiedUser(user))),
            Verification::MatchNeedsRehash => {
                let mut user = user;
                user.password_hash = self.ports.hasher.hash(&password.normalized()).await?;
                self.ports
                    .users
                    .set_password_hash(user.id, &user.password_hash)
                    .await?;
                Ok(Some(VerifiedUser(user)))
            }
        }
    }

    /// Decides under which count a password check for `key` from `origin`
    /// is made, and reserves its place there before any hashing: the count
    /// of a device of the origin's that is trusted for `key` while its
    /// allowance lasts, else the username's. Checking and counting are one
    /// atomic step in the store, so parallel attempts cannot all slip
    /// through while the first ones are being hashed.
    async fn admit(
        &self,
        key: &UsernameKey,
        origin: &Origin,
        now: OffsetDateTime,
    ) -> Result<Admission, StorageError> {
        let policy = &self.policies.throttle;
        let digests = self.ports.digests.as_ref();
        if let Some(device) = origin
            .devices
            .iter()
            .find(|device| device.is_for(key, digests))
        {
            let device_key = device.throttle_key();
            match self
                .reserve(&device_key, now, policy.device_allowance)
                .await?
            {
                Reservation::Counted => {
                    return Ok(Admission::Counted {
                        key: device_key,
                        device: Some(device.clone()),
                    });
                }
                Reservation::Wait(wait) => return Ok(Admission::Throttled(wait)),
                // Its allowance is spent: it is trusted no more.
                Reservation::Closed => {}
            }
        }
        let username_key = ThrottleKey::username(key);
        Ok(
            match self
                .reserve(&username_key, now, policy.lockout_after)
                .await?
            {
                Reservation::Counted => Admission::Counted {
                    key: username_key,
                    device: None,
                },
                Reservation::Wait(wait) => Admission::Throttled(wait),
                Reservation::Closed => Admission::Locked,
            },
        )
    }

    /// Counts one attempt under `key` if the gate is open, atomically.
    async fn reserve(
        &self,
        key: &ThrottleKey,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<Reservation, StorageError> {
        let policy = &self.policies.throttle;
        let attempts = &self.ports.attempts;
        for _ in 0..RESERVE_TRIES {
            let seen = attempts.failed_attempts(key).await?;
            match policy.gate(seen.as_ref(), now, limit) {
                Gate::Open => {}
                Gate::Wait(wait) => return Ok(Reservation::Wait(wait)),
                Gate::Closed => return Ok(Reservation::Closed),
            }
            if attempts.record_failed_attempt_if(key, seen, now).await? {
                return Ok(Reservation::Counted);
            }
        }
        // Others keep winning the race for this count: they are the ones
        // guessing, and this attempt waits like a throttled one.
        Ok(Reservation::Wait(policy.first_delay))
    }

    /// After a right password: forgets the count the attempt was admitted
    /// under; a trusted device's success also reopens its username to
    /// untrusted clients.
    async fn release(
        &self,
        admitted: &ThrottleKey,
        from_device: bool,
        key: &UsernameKey,
    ) -> Result<(), StorageError> {
        self.ports.attempts.clear_failed_attempts(admitted).await?;
        if from_device {
            self.ports
                .attempts
                .clear_failed_attempts(&ThrottleKey::username(key))
                .await?;
        }
        Ok(())
    }

    /// Checks the password of an account already signed in to (asked again
    /// before a sensitive action), under the same throttle and counts as a
    /// sign-in; a wrong one is reported as an event.
    async fn recheck_password(
        &self,
        signed_in: &SignedIn,
        password: &Password,
        action: PasswordCheck,
        origin: &Origin,
    ) -> Result<(), SignInError> {
        let user = &signed_in.user;
        let key = user.username.key();
        let (admitted, device) = match self.admit(key, origin, self.now()).await? {
            Admission::Counted { key, device } => (key, device),
            Admission::Throttled(retry_after) => {
                self.verify(password, &self.dummy_hash).await?;
                return Err(SignInError::Throttled { retry_after });
            }
            Admission::Locked => {
                self.verify(password, &self.dummy_hash).await?;
                return Err(SignInError::Locked);
            }
        };
        let verification = self.verify(password, &user.password_hash).await?;
        if verification == Verification::Mismatch {
            self.emit(
                AuthEvent::new(EventKind::PasswordCheckFailed { action }, origin)
                    .user(key)
                    .session(&signed_in.session.id),
            );
            return Err(SignInError::InvalidCredentials);
        }
        self.release(&admitted, device.is_some(), key).await?;
        Ok(())
    }

    /// Opens an authenticator app's sealed key; `None` when it was sealed
    /// under another server key (or altered).
    /// What the account has of second factors (never their secrets).
    async fn second_factors(&self, user: UserId) -> Result<SecondFactors, StorageError> {
        let factors = &self.ports.second_factors;
        Ok(SecondFactors {
            totp: factors.totp(user).await?.map(|totp| TotpState {
                added_at: totp.added_at,
                confirmed_at: totp.confirmed_at,
            }),
            recovery_codes_left: factors.recovery_codes_left(user).await?,
        })
    }

    fn open_totp(&self, sealed: &SealedSecret) -> Option<TotpSecret> {
        let opened = self.ports.sealer.open(sealed)?;
        let bytes: [u8; TOTP_SECRET_LEN] = opened.as_slice().try_into().ok()?;
        Some(TotpSecret::from_bytes(bytes))
    }

    /// A new set of recovery codes for an account, replacing any it had;
    /// the codes themselves, to show once (the store keeps their digests).
    async fn replace_recovery_codes(
        &self,
        user: &User,
        origin: &Origin,
        session: &crate::session::SessionId,
    ) -> Result<Vec<RecoveryCode>, StorageError> {
        let codes: Vec<RecoveryCode> = (0..RECOVERY_CODES_PER_SET)
            .map(|_| RecoveryCode::from_random_bytes(self.ports.tokens.recovery_code()))
            .collect();
        let digests: Vec<_> = codes.iter().map(RecoveryCode::digest).collect();
        self.ports
            .second_factors
            .replace_recovery_codes(user.id, &digests)
            .await?;
        self.emit(
            AuthEvent::new(EventKind::RecoveryCodesReplaced, origin)
                .user(user.username.key())
                .session(session),
        );
        Ok(codes)
    }

    /// A device token for `key` from a fresh nonce.
    fn issue_device(&self, key: &UsernameKey) -> DeviceToken {
        DeviceToken::issue(
            key,
            self.ports.tokens.device_nonce(),
            self.ports.digests.as_ref(),
        )
    }

    /// A short keyed digest of something typed where a username belongs,
    /// for logs: equal inputs give equal digests, and nothing shows them.
    fn log_digest(&self, typed: &str) -> String {
        let digest = self
            .ports
            .digests
            .digest(LOG_DIGEST_PURPOSE, typed.as_bytes());
        digest[..8]
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }

    /// Issues a new session for an account whose password was just checked
    /// (and whatever else `proof` says was).
    async fn issue_session(
        &self,
        verified: VerifiedUser,
        remember: bool,
        client: &SignInContext,
        proof: Proof,
    ) -> Result<SignIn, StorageError> {
        let VerifiedUser(mut user) = verified;
        let now = self.now();
        let token = self.ports.tokens.session_token();
        let session = Session {
            id: token.id(),
            user_id: user.id,
            created_at: now,
            authenticated_at: now,
            last_seen_at: now,
            expires_at: self.policies.session.expiry(now, remember),
            remember,
            credential_version: user.credential_version,
            user_agent: client.user_agent.clone(),
            client_ip: client.client_ip.clone(),
            proof,
        };
        self.ports.sessions.insert_session(&session).await?;
        self.ports.users.record_sign_in(user.id, now).await?;
        user.last_login_at = Some(now);
        Ok(SignIn {
            token,
            session,
            user,
        })
    }

    /// Now, to the millisecond: the precision every store keeps, so what is
    /// stored reads back equal.
    fn now(&self) -> OffsetDateTime {
        let now = self.ports.clock.now();
        now.replace_millisecond(now.millisecond()).unwrap_or(now)
    }
}

#[cfg(test)]
mod tests;
