//! `GET /account/delete`, `POST /account/delete`: the account and all its
//! sessions go, once its password is given.

use latch_domain::{DeleteAccountError, Password};
use poem::{Response, Result, handler, http::StatusCode, web::Form};
use serde::Deserialize;

use crate::{
    middleware::cookies::Flash,
    pages::{
        Ui, hasher_unavailable,
        login::LOCKED,
        see_other, store_unavailable, throttled_message,
        views::{DeleteAccountView, Page},
    },
    session::Member,
};

/// The form's field (`csrf_token` is checked by the guard).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct DeleteForm {
    password: String,
}

/// Shows the confirmation form.
#[handler]
pub(crate) fn page(ui: Ui<'_>, _member: Member) -> Result<Response> {
    let form = DeleteAccountView::default();
    ui.render(StatusCode::OK, Page::DeleteAccount(&form))
}

/// Deletes the account and goes home signed out; or re-shows the form.
#[handler]
pub(crate) async fn submit(
    ui: Ui<'_>,
    member: Member,
    Form(form): Form<DeleteForm>,
) -> Result<Response> {
    if let Some(refused) = ui.rate_limited(&ui.state.limits.sign_in) {
        return refused;
    }
    let password = Password::new(form.password);
    let deleted = ui
        .owners()
        .delete_account(member.signed_in(), &password, &ui.origin())
        .await;
    match deleted {
        Ok(()) => {
            ui.state.cookies.clear_session(ui.jar);
            ui.state.cookies.rotate_csrf(ui.jar);
            ui.state.cookies.set_flash(ui.jar, Flash::AccountDeleted);
            Ok(see_other("/"))
        }
        Err(error) => refused(&ui, error),
    }
}

/// The form again for a wrong password; or where to go instead.
fn refused(ui: &Ui<'_>, error: DeleteAccountError) -> Result<Response> {
    match error {
        DeleteAccountError::WrongPassword => {
            let form = DeleteAccountView {
                password_error: Some("Your password is wrong.".to_owned()),
            };
            ui.render(StatusCode::FORBIDDEN, Page::DeleteAccount(&form))
        }
        DeleteAccountError::Throttled { retry_after } => {
            let form = DeleteAccountView {
                password_error: Some(throttled_message(retry_after)),
            };
            let answer = ui.render(StatusCode::TOO_MANY_REQUESTS, Page::DeleteAccount(&form));
            ui.throttled(answer, retry_after)
        }
        DeleteAccountError::Locked => {
            let form = DeleteAccountView {
                password_error: Some(LOCKED.to_owned()),
            };
            ui.render(StatusCode::FORBIDDEN, Page::DeleteAccount(&form))
        }
        DeleteAccountError::AccountGone => {
            ui.state.cookies.clear_session(ui.jar);
            Ok(see_other("/"))
        }
        DeleteAccountError::Storage(error) => Err(store_unavailable(error)),
        DeleteAccountError::Hasher(error) => Err(hasher_unavailable(error)),
    }
}
