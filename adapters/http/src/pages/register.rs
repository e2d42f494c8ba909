//! `GET /register`, `POST /register`.

use latch_domain::{Password, RegisterError};
use poem::{Response, Result, handler, http::StatusCode, web::Form};
use serde::Deserialize;

use super::{
    Ui, hasher_unavailable, see_other, store_unavailable,
    views::{FieldErrors, FormView, Page},
};
use crate::middleware::cookies::Flash;

/// The tutorial's sign-up form (`csrf_token` is checked by the guard).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct RegisterForm {
    pub(crate) username: String,
    pub(crate) password: String,
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
    let registered = ui
        .visitors()
        .register(&username, &Password::new(password), &ui.origin())
        .await;
    match registered {
        Ok(_) => {
            ui.state.cookies.set_flash(ui.jar, Flash::Registered);
            Ok(see_other("/login"))
        }
        Err(error) => refused(&ui, username, error),
    }
}

/// The form again, saying what was wrong; or the error page.
fn refused(ui: &Ui<'_>, username: String, error: RegisterError) -> Result<Response> {
    let (status, errors) = match error {
        RegisterError::InvalidInput(errors) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            FieldErrors {
                form: None,
                username: errors.username.map(|error| error.to_string()),
                password: errors.password.map(|error| error.to_string()),
            },
        ),
        RegisterError::UsernameTaken => (
            StatusCode::CONFLICT,
            FieldErrors {
                form: Some("That username is taken.".to_owned()),
                username: Some("That username is taken. Please choose another.".to_owned()),
                password: None,
            },
        ),
        RegisterError::Storage(error) => return Err(store_unavailable(error)),
        RegisterError::Hasher(error) => return Err(hasher_unavailable(error)),
    };
    render_form(ui, status, username, errors)
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
        password_min_length: ui.password_min_length(),
        errors,
    };
    ui.render(status, Page::Register(&form))
}
