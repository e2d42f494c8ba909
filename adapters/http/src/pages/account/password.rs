//! `GET /account/password`, `POST /account/password`: a new password, given
//! the current one. Every other session ends; this browser gets a new one.

use latch_domain::{ChangePasswordError, Password};
use poem::{Response, Result, handler, http::StatusCode, web::Form};
use serde::Deserialize;

use crate::{
    middleware::cookies::Flash,
    pages::{
        Ui, hasher_unavailable,
        login::LOCKED,
        see_other, store_unavailable, throttled_message,
        views::{Page, PasswordChangeView},
    },
    session::Member,
};

/// The form's fields (`csrf_token` is checked by the guard).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct PasswordForm {
    current_password: String,
    new_password: String,
}

/// Shows the form.
#[handler]
pub(crate) fn page(ui: Ui<'_>, _member: Member) -> Result<Response> {
    render_form(&ui, StatusCode::OK, PasswordChangeView::default())
}

/// Changes the password, signs out every other session, re-issues this
/// one, and goes back to the account page; or re-shows the form with why not.
#[handler]
pub(crate) async fn submit(
    ui: Ui<'_>,
    member: Member,
    Form(form): Form<PasswordForm>,
) -> Result<Response> {
    // The current password is a guess an attacker holding the cookie could
    // repeat: it spends the same allowance as a sign-in.
    if let Some(refused) = ui.rate_limited(&ui.state.limits.sign_in) {
        return refused;
    }
    let current = Password::new(form.current_password);
    let new = Password::new(form.new_password);
    let changed = ui
        .owners()
        .change_password(member.signed_in(), &current, &new, &ui.origin())
        .await;
    match changed {
        Ok(sign_in) => {
            ui.state.cookies.set_session(ui.jar, &sign_in);
            ui.state.cookies.rotate_csrf(ui.jar);
            ui.state.cookies.set_flash(ui.jar, Flash::PasswordChanged);
            Ok(see_other("/account"))
        }
        Err(error) => refused(&ui, error),
    }
}

/// The form again, saying what was wrong; or where to go instead.
fn refused(ui: &Ui<'_>, error: ChangePasswordError) -> Result<Response> {
    let (status, form) = match error {
        ChangePasswordError::WrongPassword => (
            StatusCode::FORBIDDEN,
            PasswordChangeView {
                current_password_error: Some("Your current password is wrong.".to_owned()),
                ..PasswordChangeView::default()
            },
        ),
        ChangePasswordError::Throttled { retry_after } => {
            let form = PasswordChangeView {
                current_password_error: Some(throttled_message(retry_after)),
                ..PasswordChangeView::default()
            };
            let answer = render_form(ui, StatusCode::TOO_MANY_REQUESTS, form);
            return ui.throttled(answer, retry_after);
        }
        ChangePasswordError::Locked => (
            StatusCode::FORBIDDEN,
            PasswordChangeView {
                current_password_error: Some(LOCKED.to_owned()),
                ..PasswordChangeView::default()
            },
        ),
        ChangePasswordError::InvalidPassword(error) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            PasswordChangeView {
                new_password_error: Some(error.to_string()),
                ..PasswordChangeView::default()
            },
        ),
        ChangePasswordError::AccountGone => {
            ui.state.cookies.clear_session(ui.jar);
            return Ok(see_other("/"));
        }
        ChangePasswordError::Storage(error) => return Err(store_unavailable(error)),
        ChangePasswordError::Hasher(error) => return Err(hasher_unavailable(error)),
    };
    render_form(ui, status, form)
}

fn render_form(ui: &Ui<'_>, status: StatusCode, form: PasswordChangeView) -> Result<Response> {
    let form = PasswordChangeView {
        password_min_length: ui.password_min_length(),
        ..form
    };
    ui.render(status, Page::ChangePassword(&form))
}
