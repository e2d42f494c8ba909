//! `GET /account/sessions` (every live session of the account),
//! `POST /account/sessions/end` (one of them), and
//! `POST /account/sessions/end-others` ("Sign out everywhere else").

use latch_domain::{SessionInfo, SignedIn};
use poem::{Response, Result, handler, http::StatusCode, web::Form};
use serde::Deserialize;

use super::{browser::describe_browser, sign_in_first, time_view};
use crate::{
    audit::{self, Channel},
    cookies::Flash,
    pages::{Ui, see_other, store_unavailable},
    render::{Page, SessionView, SessionsView},
};

/// Where the list lives.
const PAGE: &str = "/account/sessions";

/// Which session to end, by its public id (`csrf_token` is checked by the
/// guard).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct EndSessionForm {
    session: String,
}

/// Lists the account's live sessions, this one marked.
#[handler]
pub(crate) async fn list(ui: Ui<'_>) -> Result<Response> {
    let Some(signed_in) = &ui.visitor.0 else {
        return Ok(sign_in_first(PAGE));
    };
    render_list(&ui, signed_in, StatusCode::OK, None).await
}

/// Ends one of the account's sessions. Ending this one is logging out.
/// A session that is not the account's (or is over) is not found.
#[handler]
pub(crate) async fn end(ui: Ui<'_>, Form(form): Form<EndSessionForm>) -> Result<Response> {
    let Some(signed_in) = &ui.visitor.0 else {
        return Ok(sign_in_first(PAGE));
    };
    let is_current = form.session == signed_in.session.id.public_id();
    let ended = ui
        .auth()
        .end_session(signed_in, &form.session)
        .await
        .map_err(store_unavailable)?;
    if !ended {
        let error = "That session was not found: it has already ended.".to_owned();
        return render_list(&ui, signed_in, StatusCode::NOT_FOUND, Some(error)).await;
    }
    audit::session_ended(Channel::Pages, &signed_in.user, &form.session);
    if is_current {
        ui.state.cookies.clear_session(ui.jar);
        ui.state.cookies.rotate_csrf(ui.jar);
        ui.state.cookies.set_flash(ui.jar, Flash::SignedOut);
        return Ok(see_other("/"));
    }
    ui.state.cookies.set_flash(ui.jar, Flash::SessionEnded);
    Ok(see_other(PAGE))
}

/// Ends every session of the account but this one.
#[handler]
pub(crate) async fn end_others(ui: Ui<'_>) -> Result<Response> {
    let Some(signed_in) = &ui.visitor.0 else {
        return Ok(sign_in_first(PAGE));
    };
    let ended = ui
        .auth()
        .end_other_sessions(signed_in)
        .await
        .map_err(store_unavailable)?;
    audit::other_sessions_ended(Channel::Pages, &signed_in.user, ended);
    ui.state
        .cookies
        .set_flash(ui.jar, Flash::OtherSessionsEnded);
    Ok(see_other(PAGE))
}

async fn render_list(
    ui: &Ui<'_>,
    signed_in: &SignedIn,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response> {
    let sessions = ui
        .auth()
        .sessions(signed_in)
        .await
        .map_err(store_unavailable)?;
    let sessions = sessions
        .into_iter()
        .map(session_view)
        .collect::<Result<Vec<_>>>()?;
    ui.render(status, Page::Sessions(&SessionsView { sessions, error }))
}

fn session_view(session: SessionInfo) -> Result<SessionView> {
    Ok(SessionView {
        browser: describe_browser(session.user_agent.as_deref()),
        created_at: time_view(session.created_at)?,
        last_seen_at: time_view(session.last_seen_at)?,
        id: session.id,
        user_agent: session.user_agent,
        client_ip: session.client_ip,
        current: session.current,
    })
}
