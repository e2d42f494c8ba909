//! `GET /register`, `POST /register`.

use latch_domain::{Password, RegisterError};
use poem::{Response, Result, handler, http::StatusCode, web::Form};
use serde::Deserialize;

use super::{Ui, internal_error, see_other, store_unavailable};
use crate::{
    audit::{self, Channel},
    cookies::Flash,
    render::{FieldErrors, FormView, Page},
};

/// The tutorial's sign-up form (`csrf_token` is checked by the guard).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct RegisterForm {
    username: String,
    password: String,
}

/// Shows the form; signed-in visitors go home.
#[handler]
pub(super) fn page(ui: Ui<'_>) -> Result<Response> {
    if ui.visitor.0.is_some() {
        return Ok(see_other("/"));
    }
    render_form(&ui, StatusCode::OK, String::new(), FieldErrors::default())
}

/// Creates the account, then sends the visitor to sign in.
#[handler]
pub(super) async fn submit(ui: Ui<'_>, Form(form): Form<RegisterForm>) -> Result<Response> {
    if let Some(refused) = ui.rate_limited(&ui.state.limits.sign_up) {
        return refused;
    }
    let RegisterForm { username, password } = form;
    match ui
        .auth()
        .register(&username, &Password::new(password))
        .await
    {
        Ok(user) => {
            audit::registered(Channel::Pages, &user);
            ui.state.cookies.set_flash(ui.jar, Flash::Registered);
            Ok(see_other("/login"))
        }
        Err(RegisterError::InvalidInput(errors)) => {
            let errors = FieldErrors {
                form: None,
                username: errors.username.map(|error| error.to_string()),
                password: errors.password.map(|error| error.to_string()),
            };
            render_form(&ui, StatusCode::UNPROCESSABLE_ENTITY, username, errors)
        }
        Err(RegisterError::UsernameTaken) => {
            let errors = FieldErrors {
                form: Some("That username is taken.".to_owned()),
                username: Some("That username is taken. Please choose another.".to_owned()),
                password: None,
            };
            render_form(&ui, StatusCode::CONFLICT, username, errors)
        }
        Err(RegisterError::Storage(error)) => Err(store_unavailable(error)),
        Err(RegisterError::Hasher(error)) => Err(internal_error(error)),
    }
}

fn render_form(
    ui: &Ui<'_>,
    status: StatusCode,
    username: String,
    errors: FieldErrors,
) -> Result<Response> {
    let form = FormView {
        username,
        next: None,
        remember: false,
        password_min_length: ui.auth().policies().password.min_length(),
        errors,
    };
    ui.render(status, Page::Register(&form))
}

/// Runs what the sign-up handler does with a form body up to the domain,
/// without I/O: for the fuzzer, which checks that no input panics and that
/// an accepted username keeps its rules.
pub(crate) fn exercise_form(body: &[u8]) {
    let Ok(RegisterForm { username, password }) = serde_urlencoded::from_bytes(body) else {
        return;
    };
    let parsed = latch_domain::Username::parse(&username);
    if let Ok(name) = &parsed {
        let chars = name.as_str().chars().count();
        assert!((3..=32).contains(&chars), "{chars} characters accepted");
    }
    let _ = latch_domain::PasswordPolicy::default()
        .check(&Password::new(password), parsed.as_ref().ok());
}
