//! `GET /account`: signed-in only.

use poem::{Response, Result, handler, http::StatusCode};
use time::{OffsetDateTime, format_description::well_known::Rfc3339, macros::format_description};

use super::{Ui, internal_error, see_other};
use crate::render::{AccountView, Page, TimeView};

/// Shows the account's facts, or sends the visitor to sign in and back.
#[handler]
pub(super) fn show(ui: Ui<'_>) -> Result<Response> {
    let Some(signed_in) = &ui.visitor.0 else {
        return Ok(see_other("/login?next=%2Faccount"));
    };
    let user = &signed_in.user;
    let account = AccountView {
        username: user.username.as_str().to_owned(),
        created_at: time_view(user.created_at)?,
        last_login_at: user.last_login_at.map(time_view).transpose()?,
    };
    ui.render(StatusCode::OK, Page::Account(&account))
}

fn time_view(at: OffsetDateTime) -> Result<TimeView> {
    let readable =
        format_description!("[day padding:none] [month repr:long] [year], [hour]:[minute] UTC");
    Ok(TimeView {
        iso: at.format(&Rfc3339).map_err(internal_error)?,
        text: at.format(readable).map_err(internal_error)?,
    })
}
