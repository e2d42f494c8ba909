//! `GET /logout` (a button; a GET changes nothing), `POST /logout`.

use poem::{Response, Result, handler, http::StatusCode};

use super::{Ui, see_other, store_unavailable, views::Page};
use crate::middleware::cookies::Flash;

/// Offers a Log out button to signed-in visitors; others go home.
#[handler]
pub(super) fn confirm(ui: Ui<'_>) -> Result<Response> {
    if ui.visitor.0.is_none() {
        return Ok(see_other("/"));
    }
    ui.render(StatusCode::OK, Page::LogoutConfirm)
}

/// Ends the session in the store and deletes the cookie in the browser.
#[handler]
pub(super) async fn submit(ui: Ui<'_>) -> Result<Response> {
    if let Some(signed_in) = &ui.visitor.0 {
        ui.visitors()
            .sign_out(signed_in, &ui.origin())
            .await
            .map_err(store_unavailable)?;
    }
    ui.state.cookies.clear_session(ui.jar);
    ui.state.cookies.rotate_csrf(ui.jar);
    ui.state.cookies.set_flash(ui.jar, Flash::SignedOut);
    Ok(see_other("/"))
}
