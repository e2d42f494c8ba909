//! `GET /`.

use poem::{Response, Result, handler, http::StatusCode};

use super::Ui;
use super::views::Page;

/// Says whether the visitor is signed in.
#[handler]
pub(super) fn home(ui: Ui<'_>) -> Result<Response> {
    ui.render(StatusCode::OK, Page::Home)
}
