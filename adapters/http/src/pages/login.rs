//! `GET /login`, `POST /login`: the password step of a sign-in.

use latch_domain::{
    Credentials, Password, ReturnTarget, SignInError, SignInOutcome, SignedInFully,
};
use poem::{
    Response, Result, handler,
    http::StatusCode,
    web::{Form, Query},
};
use serde::Deserialize;

use super::{
    Ui, hasher_unavailable, see_other, store_unavailable,
    views::{FieldErrors, FormView, Page},
};
use crate::middleware::cookies::Flash;

/// `?next=` on the sign-in page.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct NextQuery {
    pub(super) next: Option<String>,
}

/// The tutorial's sign-in form, plus where to go next (`csrf_token` is
/// checked by the guard).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct LoginForm {
    pub(crate) username: String,
    pub(crate) password: String,
    pub(crate) next: Option<String>,
    /// The "Remember me" checkbox: present when ticked.
    pub(crate) remember: Option<String>,
}

impl Ui<'_> {
    /// `next` if a sign-in may go there: a path on this site, or an app
    /// on an allowed host.
    pub(super) fn return_target(&self, next: Option<&str>) -> Option<String> {
        next.and_then(|next| self.state.return_targets.vet(next))
            .map(str::to_owned)
    }
}

/// Shows the form; signed-in visitors go on to `next`, or home.
#[handler]
pub(super) fn page(ui: Ui<'_>, Query(query): Query<NextQuery>) -> Result<Response> {
    let next = ui.return_target(query.next.as_deref());
    if ui.visitor.0.is_some() {
        return Ok(see_other(next.as_deref().unwrap_or("/")));
    }
    let form = Filled {
        username: String::new(),
        next,
        remember: false,
    };
    render_form(&ui, StatusCode::OK, form, None)
}

/// Signs in with a brand-new session and goes to `next` (if local) or home.
#[handler]
pub(super) async fn submit(ui: Ui<'_>, Form(form): Form<LoginForm>) -> Result<Response> {
    if let Some(refused) = ui.rate_limited(&ui.state.limits.sign_in) {
        return refused;
    }
    let credentials = Credentials {
        return_to: ui
            .return_target(form.next.as_deref())
            .map(ReturnTarget::new),
        username: form.username,
        password: Password::new(form.password),
        remember: form.remember.is_some(),
        origin: ui.origin(),
    };
    let previous = ui.state.cookies.session_token(ui.jar);
    match ui.visitors().sign_in(&credentials, previous.as_ref()).await {
        Ok(SignInOutcome::Complete(done)) => Ok(signed_in(&ui, &done)),
        Ok(SignInOutcome::SecondFactorRequired { pending, .. }) => {
            ui.state.cookies.set_pending(ui.jar, &pending);
            Ok(see_other(SECOND_STEP_PATH))
        }
        Err(error) => refused(&ui, credentials, error),
    }
}

/// Where a sign-in waiting for its second step goes on.
pub(super) const SECOND_STEP_PATH: &str = "/login/second-factor";

/// A finished sign-in: the browser keeps the new session and its device
/// token, gets a new CSRF secret, and goes on to the return target.
pub(super) fn signed_in(ui: &Ui<'_>, done: &SignedInFully) -> Response {
    let cookies = &ui.state.cookies;
    cookies.set_session(ui.jar, &done.sign_in);
    cookies.set_device(ui.jar, &done.device);
    cookies.clear_pending(ui.jar);
    cookies.rotate_csrf(ui.jar);
    cookies.set_flash(ui.jar, Flash::SignedIn);
    see_other(done.return_to.as_ref().map_or("/", ReturnTarget::as_str))
}

/// The form again for a refused sign-in; or the error page.
fn refused(ui: &Ui<'_>, credentials: Credentials, error: SignInError) -> Result<Response> {
    let (status, message) = match error {
        // A throttled attempt gets the same page as a wrong password: the
        // pages never say which it was.
        SignInError::InvalidCredentials | SignInError::Throttled { .. } => {
            (StatusCode::UNAUTHORIZED, "Invalid username or password.")
        }
        // Waiting will not help: the page says what will.
        SignInError::Locked => (StatusCode::FORBIDDEN, LOCKED),
        SignInError::Storage(error) => return Err(store_unavailable(error)),
        SignInError::Hasher(error) => return Err(hasher_unavailable(error)),
    };
    let form = Filled {
        username: credentials.username,
        next: credentials
            .return_to
            .map(|target| target.as_str().to_owned()),
        remember: credentials.remember,
    };
    render_form(ui, status, form, Some(message.to_owned()))
}

/// What a person locked out from an untrusted browser is told.
pub(crate) const LOCKED: &str = "There were too many failed sign-ins to this account from browsers it has not been used in, so it can only be signed in to from a browser you have signed in with before. An operator can unlock it (latch user unlock).";

/// What the form is re-shown with.
struct Filled {
    username: String,
    next: Option<String>,
    remember: bool,
}

fn render_form(
    ui: &Ui<'_>,
    status: StatusCode,
    filled: Filled,
    message: Option<String>,
) -> Result<Response> {
    let Filled {
        username,
        next,
        remember,
    } = filled;
    let form = FormView {
        username,
        next,
        remember,
        password_min_length: ui.password_min_length(),
        errors: FieldErrors {
            form: message,
            ..FieldErrors::default()
        },
    };
    ui.render(status, Page::Login(&form))
}
