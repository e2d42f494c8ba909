//! What each page shows: the data the templates render, one view type per
//! page, and the layout's context.

use serde::Serialize;

/// A static file embedded in the binary.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Asset {
    /// Its media type.
    pub(crate) content_type: &'static str,
    /// Its bytes.
    pub(crate) body: &'static [u8],
}

/// A template could not be rendered (a bug in a template, not bad input).
#[derive(Debug, thiserror::Error)]
#[error("page could not be rendered: {0}")]
pub struct RenderError(pub String);

/// What every page's layout shows.
#[derive(Debug, Serialize)]
pub(crate) struct PageContext<'a> {
    /// The signed-in username, if anyone is signed in.
    pub(crate) user: Option<&'a str>,
    /// The CSRF token every form must carry.
    pub(crate) csrf_token: &'a str,
    /// A one-time message from the previous step.
    pub(crate) flash: Option<&'a str>,
}

/// The pages, each with its own data.
#[derive(Debug)]
pub(crate) enum Page<'a> {
    /// `/`: signed in or not.
    Home,
    /// `/register`.
    Register(&'a FormView),
    /// `/login`.
    Login(&'a FormView),
    /// `/login/second-factor`.
    SecondStep(&'a SecondStepView),
    /// `GET /logout`: a button, since a GET never signs anyone out; with
    /// where to go afterwards, when an app asked.
    LogoutConfirm(Option<&'a str>),
    /// `/account`.
    Account(&'a AccountView),
    /// `/account/password`.
    ChangePassword(&'a PasswordChangeView),
    /// `/account/sessions`.
    Sessions(&'a SessionsView),
    /// `/account/security`.
    Security(&'a SecurityView),
    /// `/account/delete`.
    DeleteAccount(&'a DeleteAccountView),
    /// Any error status.
    Error(&'a ErrorView),
}

/// A form re-shown with what was typed (never the password) and what was wrong.
#[derive(Debug, Default, Serialize)]
pub(crate) struct FormView {
    /// The username as typed.
    pub(crate) username: String,
    /// Where to go after signing in (already checked to be local).
    pub(crate) next: Option<String>,
    /// Whether "Remember me" was ticked.
    pub(crate) remember: bool,
    /// The configured minimum password length, for the hint.
    pub(crate) password_min_length: usize,
    /// Messages per field and for the whole form.
    pub(crate) errors: FieldErrors,
}

/// Messages shown next to fields, and one for the whole form.
#[derive(Debug, Default, Serialize)]
pub(crate) struct FieldErrors {
    /// About the whole form.
    pub(crate) form: Option<String>,
    /// About the username.
    pub(crate) username: Option<String>,
    /// About the password.
    pub(crate) password: Option<String>,
}

/// The second step of a sign-in.
#[derive(Debug, Default, Serialize)]
pub(crate) struct SecondStepView {
    /// Why the last code was refused, if it was.
    pub(crate) error: Option<String>,
}

/// The account page's facts.
#[derive(Debug, Serialize)]
pub(crate) struct AccountView {
    /// The username.
    pub(crate) username: String,
    /// When the account was created.
    pub(crate) created_at: TimeView,
    /// When its owner last signed in.
    pub(crate) last_login_at: Option<TimeView>,
    /// The groups it belongs to, sorted.
    pub(crate) groups: Vec<String>,
}

/// The password-change form: its messages and the policy's minimum.
#[derive(Debug, Default, Serialize)]
pub(crate) struct PasswordChangeView {
    /// The configured minimum password length, for the hint.
    pub(crate) password_min_length: usize,
    /// What was wrong with the current password, if anything.
    pub(crate) current_password_error: Option<String>,
    /// What was wrong with the new password, if anything.
    pub(crate) new_password_error: Option<String>,
}

/// The account's live sessions, oldest first.
#[derive(Debug, Serialize)]
pub(crate) struct SessionsView {
    /// One row per session.
    pub(crate) sessions: Vec<SessionView>,
    /// Why the last request could not be done, if it could not.
    pub(crate) error: Option<String>,
}

/// One live session, as its owner sees it.
#[derive(Debug, Serialize)]
pub(crate) struct SessionView {
    /// Its public identifier, for the End button.
    pub(crate) id: String,
    /// When it began.
    pub(crate) created_at: TimeView,
    /// When it was last used, to within a minute.
    pub(crate) last_seen_at: TimeView,
    /// The browser and system, readable ("Firefox on Linux").
    pub(crate) browser: String,
    /// The user agent as sent, shortened, for a tooltip.
    pub(crate) user_agent: Option<String>,
    /// The client's IP address at sign-in.
    pub(crate) client_ip: Option<String>,
    /// How it was proved at sign-in, in words.
    pub(crate) proof: &'static str,
    /// Whether this is the session looking at the page.
    pub(crate) current: bool,
}

/// The account's second factors.
#[derive(Debug, Default, Serialize)]
pub(crate) struct SecurityView {
    /// Whether authenticator apps may be set up on this server.
    pub(crate) available: bool,
    /// Since when the account's app is a second factor, if it has one.
    pub(crate) app_since: Option<TimeView>,
    /// The app being set up, waiting for a first code.
    pub(crate) new_app: Option<NewAppView>,
    /// How many unspent recovery codes the account has.
    pub(crate) recovery_codes_left: u32,
    /// Recovery codes just made, shown this once.
    pub(crate) new_codes: Option<Vec<String>>,
    /// The same codes as a `data:` URL of a text file.
    pub(crate) codes_download: Option<String>,
    /// Why the confirmation code was refused.
    pub(crate) code_error: Option<String>,
    /// Why the password given again was refused.
    pub(crate) password_error: Option<String>,
}

/// An authenticator app being set up.
#[derive(Debug, Serialize)]
pub(crate) struct NewAppView {
    /// Its key as a QR code: SVG made here, from the `otpauth://` URI.
    pub(crate) qr_svg: String,
    /// Its key in base32, in groups of four, for typing.
    pub(crate) key: String,
}

/// The account-deletion form.
#[derive(Debug, Default, Serialize)]
pub(crate) struct DeleteAccountView {
    /// What was wrong with the password, if anything.
    pub(crate) password_error: Option<String>,
}

/// A moment, for people and for machines.
#[derive(Debug, Serialize)]
pub(crate) struct TimeView {
    /// RFC 3339, for `<time datetime>`.
    pub(crate) iso: String,
    /// Readable text, in UTC.
    pub(crate) text: String,
}

/// An error page's text.
#[derive(Debug, Serialize)]
pub(crate) struct ErrorView {
    /// The HTTP status code.
    pub(crate) status: u16,
    /// A short heading.
    pub(crate) title: &'static str,
    /// What happened and what to do.
    pub(crate) detail: &'static str,
}
