//! `GET /account/password`, `POST /account/password`: a new password, given
//! the current one. Every other session ends; this browser gets a new one.

use latch_domain::{ChangePasswordError, Password};
use poem::{Response, Result, handler, http::StatusCode, web::Form};
use serde::Deserialize;

use super::sign_in_first;
use crate::{
    audit::{self, Channel},
    cookies::Flash,
    pages::{Ui, internal_error, see_other, store_unavailable},
    render::{Page, PasswordChangeView},
};

/// Where the form lives.
const PAGE: &str = "/account/password";

/// The form's fields (`csrf_token` is checked by the guard).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct PasswordForm {
    current_password: String,
    new_password: String,
}

/// Shows the form.
#[handler]
pub(crate) fn page(ui: Ui<'_>) -> Result<Response> {
    if ui.visitor.0.is_none() {
        return Ok(sign_in_first(PAGE));
    }
    render_form(&ui, StatusCode::OK, PasswordChangeView::default())
}

/// Changes the password, signs out every other session, re-issues this
/// one, and goes back to the account page; or re-shows the form with why not.
#[handler]
pub(crate) async fn submit(ui: Ui<'_>, Form(form): Form<PasswordForm>) -> Result<Response> {
    let Some(signed_in) = &ui.visitor.0 else {
        return Ok(sign_in_first(PAGE));
    };
    // The current password is a guess an attacker holding the cookie could
    // repeat: it spends the same allowance as a sign-in.
    if let Some(refused) = ui.rate_limited(&ui.state.limits.sign_in) {
        return refused;
    }
    let current = Password::new(form.current_password);
    let new = Password::new(form.new_password);
    match ui.auth().change_password(signed_in, &current, &new).await {
        Ok(sign_in) => {
            audit::password_changed(Channel::Pages, &sign_in);
            ui.state.cookies.set_session(ui.jar, &sign_in);
            ui.state.cookies.rotate_csrf(ui.jar);
            ui.state.cookies.set_flash(ui.jar, Flash::PasswordChanged);
            Ok(see_other("/account"))
        }
        Err(ChangePasswordError::WrongPassword) => {
            audit::password_check_failed(Channel::Pages, &signed_in.user, "change_password");
            let form = PasswordChangeView {
                current_password_error: Some("Your current password is wrong.".to_owned()),
                ..PasswordChangeView::default()
            };
            render_form(&ui, StatusCode::FORBIDDEN, form)
        }
        Err(ChangePasswordError::InvalidPassword(error)) => {
            let form = PasswordChangeView {
                new_password_error: Some(error.to_string()),
                ..PasswordChangeView::default()
            };
            render_form(&ui, StatusCode::UNPROCESSABLE_ENTITY, form)
        }
        Err(ChangePasswordError::AccountGone) => {
            ui.state.cookies.clear_session(ui.jar);
            Ok(see_other("/"))
        }
        Err(ChangePasswordError::Storage(error)) => Err(store_unavailable(error)),
        Err(ChangePasswordError::Hasher(error)) => Err(internal_error(error)),
    }
}

fn render_form(ui: &Ui<'_>, status: StatusCode, form: PasswordChangeView) -> Result<Response> {
    let form = PasswordChangeView {
        password_min_length: ui.auth().policies().password.min_length(),
        ..form
    };
    ui.render(status, Page::ChangePassword(&form))
}
