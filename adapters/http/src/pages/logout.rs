//! `GET /logout` (a button; a GET changes nothing), `POST /logout`; both
//! carry where to go afterwards, when an app behind forward auth asked
//! (`?next=`, by the same rule as after signing in).

use poem::{
    Response, Result, handler,
    http::StatusCode,
    web::{Form, Query},
};
use serde::Deserialize;

use super::{Ui, login::NextQuery, see_other, store_unavailable, views::Page};
use crate::middleware::cookies::Flash;

/// The Log out button's form (`csrf_token` is checked by the guard).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct LogoutForm {
    next: Option<String>,
}

/// Offers a Log out button to signed-in visitors; others go on to `next`,
/// or home.
#[handler]
pub(super) fn confirm(ui: Ui<'_>, Query(query): Query<NextQuery>) -> Result<Response> {
    let next = ui.return_target(query.next.as_deref());
    if ui.visitor.0.is_none() {
        return Ok(see_other(next.as_deref().unwrap_or("/")));
    }
    ui.render(StatusCode::OK, Page::LogoutConfirm(next.as_deref()))
}

/// Ends the session in the store, deletes the cookie in the browser, and
/// goes on to `next` or home.
#[handler]
pub(super) async fn submit(ui: Ui<'_>, Form(form): Form<LogoutForm>) -> Result<Response> {
    if let Some(signed_in) = &ui.visitor.0 {
        ui.visitors()
            .sign_out(signed_in, &ui.origin())
            .await
            .map_err(store_unavailable)?;
    }
    ui.state.cookies.clear_session(ui.jar);
    ui.state.cookies.rotate_csrf(ui.jar);
    ui.state.cookies.set_flash(ui.jar, Flash::SignedOut);
    let next = ui.return_target(form.next.as_deref());
    Ok(see_other(next.as_deref().unwrap_or("/")))
}
