//! The page-rendering port: what the HTTP adapter asks of a template engine.
//! Declared here, implemented by `latch-templates`.

use serde::Serialize;

/// Turns a page's data into HTML and serves the static assets pages link to.
pub trait PageRenderer: Send + Sync {
    /// Renders one page within the common layout.
    fn render(&self, page: &Page<'_>, context: &PageContext<'_>) -> Result<String, RenderError>;

    /// A static asset (`latch.css`, `favicon.svg`...) by file name.
    fn asset(&self, name: &str) -> Option<Asset>;
}

/// A static file embedded in the binary.
#[derive(Debug, Clone, Copy)]
pub struct Asset {
    /// Its media type.
    pub content_type: &'static str,
    /// Its bytes.
    pub body: &'static [u8],
}

/// A template could not be rendered (a bug in a template, not bad input).
#[derive(Debug, thiserror::Error)]
#[error("page could not be rendered: {0}")]
pub struct RenderError(pub String);

/// What every page's layout shows.
#[derive(Debug, Serialize)]
pub struct PageContext<'a> {
    /// The signed-in username, if anyone is signed in.
    pub user: Option<&'a str>,
    /// The CSRF token every form must carry.
    pub csrf_token: &'a str,
    /// A one-time message from the previous step.
    pub flash: Option<&'a str>,
}

/// The pages, each with its own data.
#[derive(Debug)]
pub enum Page<'a> {
    /// `/`: signed in or not.
    Home,
    /// `/register`.
    Register(&'a FormView),
    /// `/login`.
    Login(&'a FormView),
    /// `GET /logout`: a button, since a GET never signs anyone out.
    LogoutConfirm,
    /// `/account`.
    Account(&'a AccountView),
    /// `/account/password`.
    ChangePassword(&'a PasswordChangeView),
    /// `/account/sessions`.
    Sessions(&'a SessionsView),
    /// `/account/delete`.
    DeleteAccount(&'a DeleteAccountView),
    /// Any error status.
    Error(&'a ErrorView),
}

/// A form re-shown with what was typed (never the password) and what was wrong.
#[derive(Debug, Default, Serialize)]
pub struct FormView {
    /// The username as typed.
    pub username: String,
    /// Where to go after signing in (already checked to be local).
    pub next: Option<String>,
    /// Whether "Remember me" was ticked.
    pub remember: bool,
    /// The configured minimum password length, for the hint.
    pub password_min_length: usize,
    /// Messages per field and for the whole form.
    pub errors: FieldErrors,
}

/// Messages shown next to fields, and one for the whole form.
#[derive(Debug, Default, Serialize)]
pub struct FieldErrors {
    /// About the whole form.
    pub form: Option<String>,
    /// About the username.
    pub username: Option<String>,
    /// About the password.
    pub password: Option<String>,
}

/// The account page's facts.
#[derive(Debug, Serialize)]
pub struct AccountView {
    /// The username.
    pub username: String,
    /// When the account was created.
    pub created_at: TimeView,
    /// When its owner last signed in.
    pub last_login_at: Option<TimeView>,
}

/// The password-change form: its messages and the policy's minimum.
#[derive(Debug, Default, Serialize)]
pub struct PasswordChangeView {
    /// The configured minimum password length, for the hint.
    pub password_min_length: usize,
    /// What was wrong with the current password, if anything.
    pub current_password_error: Option<String>,
    /// What was wrong with the new password, if anything.
    pub new_password_error: Option<String>,
}

/// The account's live sessions, oldest first.
#[derive(Debug, Serialize)]
pub struct SessionsView {
    /// One row per session.
    pub sessions: Vec<SessionView>,
    /// Why the last request could not be done, if it could not.
    pub error: Option<String>,
}

/// One live session, as its owner sees it.
#[derive(Debug, Serialize)]
pub struct SessionView {
    /// Its public identifier, for the End button.
    pub id: String,
    /// When it began.
    pub created_at: TimeView,
    /// When it was last used, to within a minute.
    pub last_seen_at: TimeView,
    /// The browser and system, readable ("Firefox on Linux").
    pub browser: String,
    /// The user agent as sent, shortened, for a tooltip.
    pub user_agent: Option<String>,
    /// The client's IP address at sign-in.
    pub client_ip: Option<String>,
    /// Whether this is the session looking at the page.
    pub current: bool,
}

/// The account-deletion form.
#[derive(Debug, Default, Serialize)]
pub struct DeleteAccountView {
    /// What was wrong with the password, if anything.
    pub password_error: Option<String>,
}

/// A moment, for people and for machines.
#[derive(Debug, Serialize)]
pub struct TimeView {
    /// RFC 3339, for `<time datetime>`.
    pub iso: String,
    /// Readable text, in UTC.
    pub text: String,
}

/// An error page's text.
#[derive(Debug, Serialize)]
pub struct ErrorView {
    /// The HTTP status code.
    pub status: u16,
    /// A short heading.
    pub title: &'static str,
    /// What happened and what to do.
    pub detail: &'static str,
}
