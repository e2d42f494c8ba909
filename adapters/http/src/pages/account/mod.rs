//! `/account` and what its owner can do there: change the password, manage
//! second factors, see and end sessions, delete the account. Signed-in only; anyone else is sent to
//! sign in and brought back.

mod delete;
mod password;
mod security;
mod sessions;

pub(crate) use self::{
    delete::{page as delete_page, submit as delete_submit},
    password::{page as password_page, submit as password_submit},
    security::{begin_totp, confirm_totp, new_recovery_codes, page as security_page, remove_totp},
    sessions::{end as end_session, end_others as end_other_sessions, list as sessions_page},
};

use poem::{Response, Result, handler, http::StatusCode};
use time::{OffsetDateTime, format_description::well_known::Rfc3339, macros::format_description};

use super::{
    Ui, internal_error,
    views::{AccountView, Page, TimeView},
};
use crate::session::Member;

/// Shows the account's facts.
#[handler]
pub(super) fn show(ui: Ui<'_>, member: Member) -> Result<Response> {
    let user = member.signed_in().user();
    let account = AccountView {
        username: user.username.as_str().to_owned(),
        created_at: time_view(user.created_at)?,
        last_login_at: user.last_login_at.map(time_view).transpose()?,
        groups: user
            .groups
            .iter()
            .map(|group| group.as_str().to_owned())
            .collect(),
    };
    ui.render(StatusCode::OK, Page::Account(&account))
}

/// A moment as the pages show it: readable UTC text and RFC 3339.
fn time_view(at: OffsetDateTime) -> Result<TimeView> {
    let readable =
        format_description!("[day padding:none] [month repr:long] [year], [hour]:[minute] UTC");
    Ok(TimeView {
        iso: at.format(&Rfc3339).map_err(internal_error)?,
        text: at.format(readable).map_err(internal_error)?,
    })
}
