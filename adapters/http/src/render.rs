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
