//! `GET /login`, `POST /login`.

use latch_domain::{Credentials, LoginError, Password, safe_redirect_target};
use poem::{
    Response, Result, handler,
    http::StatusCode,
    web::{Form, Query},
};
use serde::Deserialize;

use super::{Ui, internal_error, see_other, store_unavailable};
use crate::{
    audit::{self, Channel},
    cookies::Flash,
    render::{FieldErrors, FormView, Page},
};

/// `?next=` on the sign-in page.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct NextQuery {
    next: Option<String>,
}

/// The tutorial's sign-in form, plus where to go next (`csrf_token` is
/// checked by the guard).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
    /// The "Remember me" checkbox: present when ticked.
    remember: Option<String>,
}

/// Keeps `next` only if it is a path on this site.
fn local_target(next: Option<&str>) -> Option<String> {
    next.and_then(safe_redirect_target).map(str::to_owned)
}

/// Shows the form; signed-in visitors go home.
#[handler]
pub(super) fn page(ui: Ui<'_>, Query(query): Query<NextQuery>) -> Result<Response> {
    if ui.visitor.0.is_some() {
        return Ok(see_other("/"));
    }
    let next = local_target(query.next.as_deref());
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
    let next = local_target(form.next.as_deref());
    let credentials = Credentials {
        username: form.username,
        password: Password::new(form.password),
        remember: form.remember.is_some(),
        context: ui.sign_in_context(),
    };
    let previous = ui.state.cookies.session_token(ui.jar);
    match ui.auth().log_in(&credentials, previous.as_ref()).await {
        Ok(sign_in) => {
            audit::sign_in_succeeded(Channel::Pages, &sign_in);
            ui.state.cookies.set_session(ui.jar, &sign_in);
            ui.state.cookies.rotate_csrf(ui.jar);
            ui.state.cookies.set_flash(ui.jar, Flash::SignedIn);
            Ok(see_other(next.as_deref().unwrap_or("/")))
        }
        // A throttled attempt gets the same page as a wrong password: the
        // pages never say which it was.
        Err(error @ (LoginError::InvalidCredentials | LoginError::Throttled { .. })) => {
            audit::sign_in_refused(Channel::Pages, &credentials.username, &error);
            let message = Some("Invalid username or password.".to_owned());
            let form = Filled {
                username: credentials.username,
                next,
                remember: credentials.remember,
            };
            render_form(&ui, StatusCode::UNAUTHORIZED, form, message)
        }
        Err(LoginError::Storage(error)) => Err(store_unavailable(error)),
        Err(LoginError::Hasher(error)) => Err(internal_error(error)),
    }
}

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
        password_min_length: ui.auth().policies().password.min_length(),
        errors: FieldErrors {
            form: message,
            ..FieldErrors::default()
        },
    };
    ui.render(status, Page::Login(&form))
}

/// Runs what the sign-in handler does with a form body up to the domain,
/// without I/O: for the fuzzer, which checks that no input panics and that
/// a kept `next` never leaves the site.
pub(crate) fn exercise_form(body: &[u8]) {
    let Ok(form) = serde_urlencoded::from_bytes::<LoginForm>(body) else {
        return;
    };
    if let Some(target) = local_target(form.next.as_deref()) {
        assert!(target.starts_with('/') && !target.starts_with("//") && !target.contains('\\'));
    }
    let key = latch_domain::UsernameKey::from_input(&form.username);
    assert_eq!(
        key,
        latch_domain::UsernameKey::from_input(key.as_str()),
        "keys are stable"
    );
    let _ = Password::new(form.password).char_count();
}
