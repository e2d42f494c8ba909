//! `GET /account/delete`, `POST /account/delete`: the account and all its
//! sessions go, once its password is given.

use latch_domain::{AccountError, Password};
use poem::{Response, Result, handler, http::StatusCode, web::Form};
use serde::Deserialize;

use super::sign_in_first;
use crate::{
    audit::{self, Channel},
    cookies::Flash,
    pages::{Ui, internal_error, see_other, store_unavailable},
    render::{DeleteAccountView, Page},
};

/// Where the form lives.
const PAGE: &str = "/account/delete";

/// The form's field (`csrf_token` is checked by the guard).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct DeleteForm {
    password: String,
}

/// Shows the confirmation form.
#[handler]
pub(crate) fn page(ui: Ui<'_>) -> Result<Response> {
    if ui.visitor.0.is_none() {
        return Ok(sign_in_first(PAGE));
    }
    let form = DeleteAccountView::default();
    ui.render(StatusCode::OK, Page::DeleteAccount(&form))
}

/// Deletes the account and goes home signed out; or re-shows the form.
#[handler]
pub(crate) async fn submit(ui: Ui<'_>, Form(form): Form<DeleteForm>) -> Result<Response> {
    let Some(signed_in) = &ui.visitor.0 else {
        return Ok(sign_in_first(PAGE));
    };
    if let Some(refused) = ui.rate_limited(&ui.state.limits.sign_in) {
        return refused;
    }
    let password = Password::new(form.password);
    match ui.auth().delete_account(signed_in, &password).await {
        Ok(()) => {
            audit::account_deleted(Channel::Pages, &signed_in.user);
            ui.state.cookies.clear_session(ui.jar);
            ui.state.cookies.rotate_csrf(ui.jar);
            ui.state.cookies.set_flash(ui.jar, Flash::AccountDeleted);
            Ok(see_other("/"))
        }
        Err(AccountError::WrongPassword) => {
            audit::password_check_failed(Channel::Pages, &signed_in.user, "delete_account");
            let form = DeleteAccountView {
                password_error: Some("Your password is wrong.".to_owned()),
            };
            ui.render(StatusCode::FORBIDDEN, Page::DeleteAccount(&form))
        }
        Err(AccountError::NoSuchAccount) => {
            ui.state.cookies.clear_session(ui.jar);
            Ok(see_other("/"))
        }
        Err(AccountError::Storage(error)) => Err(store_unavailable(error)),
        Err(AccountError::Hasher(error)) => Err(internal_error(error)),
    }
}
