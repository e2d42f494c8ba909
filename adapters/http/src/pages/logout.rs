//! `GET /logout` (a button; a GET changes nothing), `POST /logout`.

use poem::{Response, Result, handler, http::StatusCode};

use super::{Ui, see_other, store_unavailable};
use crate::{
    audit::{self, Channel},
    cookies::Flash,
    render::Page,
};

/// Offers a Log out button to signed-in visitors; others go home.
#[handler]
pub(super) fn confirm(ui: Ui<'_>) -> Result<Response> {
    if ui.visitor.0.is_none() {
        return Ok(see_other("/"));
    }
    ui.render(StatusCode::OK, Page::LogoutConfirm)
}

/// Deletes the session in the store and the cookie in the browser.
#[handler]
pub(super) async fn submit(ui: Ui<'_>) -> Result<Response> {
    if let Some(token) = ui.state.cookies.session_token(ui.jar) {
        ui.auth().log_out(&token).await.map_err(store_unavailable)?;
        let user = ui.visitor.0.as_ref().map(|signed_in| &signed_in.user);
        audit::signed_out(Channel::Pages, user, &token);
    }
    ui.state.cookies.clear_session(ui.jar);
    ui.state.cookies.rotate_csrf(ui.jar);
    ui.state.cookies.set_flash(ui.jar, Flash::SignedOut);
    Ok(see_other("/"))
}
