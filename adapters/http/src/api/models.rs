//! The API's request and response bodies.

use latch_domain::{
    PendingToken, Proof, RecoveryCode, SecondFactors, SecondStepMethod, SessionInfo, SignIn,
    TotpEnrolment, User,
};
use poem_openapi::Object;
use poem_openapi::Union;
use time::OffsetDateTime;

/// `POST /api/register`.
#[derive(Object)]
pub struct RegisterRequest {
    /// 3 to 32 letters, digits, `.`, `_` or `-`; compared after trimming,
    /// Unicode NFKC and case folding. No invisible characters, no mixed
    /// scripts (Unicode UTS #39); a name that looks like a taken one is taken.
    pub username: String,
    /// At least the configured minimum (15 by default), at most 1024
    /// characters; not containing the username or "latch".
    pub password: String,
}

/// `POST /api/login`.
#[derive(Object)]
pub struct LoginRequest {
    /// The username, as registered (case and width do not matter).
    pub username: String,
    /// The password.
    pub password: String,
    /// Remember this sign-in: a longer session (30 days by default) that
    /// still ends at logout.
    #[oai(default)]
    pub remember: bool,
}

/// An account, as the API shows it (never its password hash).
#[derive(Debug, Object)]
pub struct UserBody {
    /// The account's permanent identifier (a UUID).
    pub id: String,
    /// The username as its owner wrote it.
    pub username: String,
    /// When the account was created.
    pub created_at: OffsetDateTime,
    /// When its owner last signed in, if ever.
    pub last_login_at: Option<OffsetDateTime>,
    /// The groups it belongs to, sorted (access rules grant by them).
    pub groups: Vec<String>,
}

impl From<&User> for UserBody {
    fn from(user: &User) -> Self {
        Self {
            id: user.id.to_string(),
            username: user.username.as_str().to_owned(),
            created_at: user.created_at,
            last_login_at: user.last_login_at,
            groups: user
                .groups
                .iter()
                .map(|group| group.as_str().to_owned())
                .collect(),
        }
    }
}

/// A response holding one account.
#[derive(Debug, Object)]
pub struct UserEnvelope {
    /// The account.
    pub user: UserBody,
}

impl From<&User> for UserEnvelope {
    fn from(user: &User) -> Self {
        Self { user: user.into() }
    }
}

/// A successful sign-in.
#[derive(Object)]
pub struct LoginBody {
    /// The session token: send it back as `Authorization: Bearer <token>`.
    pub token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// When the session ends, whatever happens.
    pub expires_at: OffsetDateTime,
    /// The account signed in.
    pub user: UserBody,
    /// After a sign-in: this client's device token for the account. Keep
    /// it, and send it as `X-Device-Token` when signing in or re-entering
    /// the password: a trusted device is not locked out by other people's
    /// wrong guesses.
    #[oai(skip_serializing_if_is_none)]
    pub device_token: Option<String>,
}

impl From<&SignIn> for LoginBody {
    fn from(sign_in: &SignIn) -> Self {
        Self {
            token: sign_in.token.encode(),
            token_type: "Bearer".to_owned(),
            expires_at: sign_in.session.expires_at,
            user: (&sign_in.user).into(),
            device_token: None,
        }
    }
}

/// What `POST /api/login` answers with the right password.
#[derive(Union)]
#[oai(one_of)]
pub enum LoginOutcome {
    /// Signed in.
    SignedIn(LoginBody),
    /// The account has a second factor: no session yet.
    SecondFactorRequired(SecondFactorRequiredBody),
}

/// A right password for an account with a second factor: send `pending`
/// with a code to `POST /api/login/second-factor` within five minutes.
#[derive(Object)]
pub struct SecondFactorRequiredBody {
    /// Always `true`.
    pub second_factor_required: bool,
    /// The sign-in halfway (not a session token, and no use as one).
    pub pending: String,
    /// The ways the account can make the second step: `totp` (a code from
    /// its authenticator app) and, while it has some, `recovery_code`.
    pub methods: Vec<String>,
}

impl SecondFactorRequiredBody {
    /// The body for a pending sign-in.
    pub fn new(pending: &PendingToken, methods: &[SecondStepMethod]) -> Self {
        Self {
            second_factor_required: true,
            pending: pending.encode(),
            methods: methods
                .iter()
                .map(|method| method.as_str().to_owned())
                .collect(),
        }
    }
}

/// `POST /api/login/second-factor`.
#[derive(Object)]
pub struct SecondStepRequest {
    /// The `pending` of `POST /api/login`'s answer.
    pub pending: String,
    /// A 6-digit code from the authenticator app, or a recovery code
    /// (dashes and case do not matter).
    pub code: String,
}

/// An authenticator app being set up.
#[derive(Object)]
pub struct TotpEnrolmentBody {
    /// The shared key in base32 (RFC 4648, no padding), to type into the
    /// app.
    pub secret: String,
    /// The `otpauth://totp/...` URI, to show as a QR code.
    pub otpauth_uri: String,
}

impl From<&TotpEnrolment> for TotpEnrolmentBody {
    fn from(enrolment: &TotpEnrolment) -> Self {
        Self {
            secret: enrolment.secret.to_base32(),
            otpauth_uri: enrolment.otpauth_uri.clone(),
        }
    }
}

/// `POST /api/me/totp/confirm`.
#[derive(Object)]
pub struct TotpCodeRequest {
    /// The 6-digit code the app shows now.
    pub code: String,
}

/// Recovery codes, shown this once: keep them somewhere safe.
#[derive(Object)]
pub struct RecoveryCodesBody {
    /// Each replaces the second step once. Empty when confirming an app
    /// for an account that had codes already.
    pub recovery_codes: Vec<String>,
}

impl RecoveryCodesBody {
    /// The body for `codes`.
    pub fn new(codes: &[RecoveryCode]) -> Self {
        Self {
            recovery_codes: codes.iter().map(RecoveryCode::display_text).collect(),
        }
    }
}

/// A request that needs the account's password again.
#[derive(Object)]
pub struct PasswordRequest {
    /// The account's password.
    pub password: String,
}

/// The signed-in account's authenticator app.
#[derive(Debug, Object)]
pub struct TotpBody {
    /// When it was set up.
    pub added_at: OffsetDateTime,
    /// When a first code confirmed it; until then it is not a second
    /// factor.
    pub confirmed_at: Option<OffsetDateTime>,
}

/// The signed-in account's second factors.
#[derive(Debug, Object)]
pub struct SecondFactorsBody {
    /// Its authenticator app, if it has one (confirmed or not).
    pub totp: Option<TotpBody>,
    /// How many unspent recovery codes it has.
    pub recovery_codes_left: u32,
}

impl From<SecondFactors> for SecondFactorsBody {
    fn from(factors: SecondFactors) -> Self {
        Self {
            totp: factors.totp.map(|totp| TotpBody {
                added_at: totp.added_at,
                confirmed_at: totp.confirmed_at,
            }),
            recovery_codes_left: factors.recovery_codes_left,
        }
    }
}

/// `GET /api/me`.
#[derive(Debug, Object)]
pub struct MeBody {
    /// The account.
    pub user: UserBody,
    /// How the calling session was proved, as RFC 8176 names the methods:
    /// `pwd` (a password), `otp` (a one-time code), `mfa` (more than one).
    pub amr: Vec<String>,
    /// The account's second factors.
    pub second_factors: SecondFactorsBody,
}

/// `POST /api/me/password`.
#[derive(Object)]
pub struct ChangePasswordRequest {
    /// The password the account has now.
    pub current_password: String,
    /// The password it should have: the same rules as at registration.
    pub new_password: String,
}

/// `DELETE /api/me`.
#[derive(Object)]
pub struct DeleteAccountRequest {
    /// The account's password, asked again before it is deleted.
    pub password: String,
}

/// A live session of the signed-in account.
#[derive(Debug, Object)]
pub struct SessionBody {
    /// The session's public identifier, for `DELETE /api/me/sessions/{id}`
    /// (not its token, and no use as one).
    pub id: String,
    /// When it began (the sign-in).
    pub created_at: OffsetDateTime,
    /// When it was last used, to within a minute.
    pub last_seen_at: OffsetDateTime,
    /// When it ends at the latest.
    pub expires_at: OffsetDateTime,
    /// Whether its owner asked to be remembered.
    pub remember: bool,
    /// The client's `User-Agent` at sign-in, shortened.
    pub user_agent: Option<String>,
    /// The client's IP address at sign-in.
    pub client_ip: Option<String>,
    /// How it was proved at sign-in, as RFC 8176 names the methods: `pwd`
    /// (a password), `otp` (a one-time code), `mfa` (more than one).
    pub amr: Vec<String>,
    /// Whether this is the session making the request.
    pub current: bool,
}

impl From<SessionInfo> for SessionBody {
    fn from(session: SessionInfo) -> Self {
        Self {
            id: session.id,
            created_at: session.created_at,
            last_seen_at: session.last_seen_at,
            expires_at: session.expires_at,
            remember: session.remember,
            user_agent: session.user_agent,
            client_ip: session.client_ip,
            amr: amr_of(session.proof),
            current: session.current,
        }
    }
}

/// The live sessions of the signed-in account, oldest first.
#[derive(Debug, Object)]
pub struct SessionsBody {
    /// The sessions; exactly one has `current` set.
    pub sessions: Vec<SessionBody>,
}

/// How many sessions were ended.
#[derive(Debug, Object)]
pub struct EndedSessionsBody {
    /// The number of sessions ended.
    pub ended: u64,
}

/// A proof's RFC 8176 names.
pub(crate) fn amr_of(proof: Proof) -> Vec<String> {
    proof.amr().into_iter().map(str::to_owned).collect()
}
