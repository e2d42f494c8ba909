//! `GET /account/sessions` (every live session of the account),
//! `POST /account/sessions/end` (one of them), and
//! `POST /account/sessions/end-others` ("Sign out everywhere else").

use latch_domain::{Proof, ProofMethod, SessionInfo, SignedIn};
use poem::{Response, Result, handler, http::StatusCode, web::Form};
use serde::Deserialize;

use super::time_view;
use crate::{
    browser_name,
    middleware::cookies::Flash,
    pages::{
        Ui, see_other, store_unavailable,
        views::{Page, SessionView, SessionsView},
    },
    session::Member,
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
pub(crate) async fn list(ui: Ui<'_>, member: Member) -> Result<Response> {
    render_list(&ui, member.signed_in(), StatusCode::OK, None).await
}

/// Ends one of the account's sessions. Ending this one is logging out.
/// A session that is not the account's (or is over) is not found.
#[handler]
pub(crate) async fn end(
    ui: Ui<'_>,
    member: Member,
    Form(form): Form<EndSessionForm>,
) -> Result<Response> {
    let signed_in = member.signed_in();
    let is_current = form.session == signed_in.session().id.public_id();
    let ended = ui
        .owners()
        .end_session(signed_in, &form.session, &ui.origin())
        .await
        .map_err(store_unavailable)?;
    if !ended {
        let error = "That session was not found: it has already ended.".to_owned();
        return render_list(&ui, signed_in, StatusCode::NOT_FOUND, Some(error)).await;
    }
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
pub(crate) async fn end_others(ui: Ui<'_>, member: Member) -> Result<Response> {
    ui.owners()
        .end_other_sessions(member.signed_in(), &ui.origin())
        .await
        .map_err(store_unavailable)?;
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
        .owners()
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
        browser: browser_name(session.user_agent.as_deref()),
        created_at: time_view(session.created_at)?,
        last_seen_at: time_view(session.last_seen_at)?,
        id: session.id,
        user_agent: session.user_agent,
        client_ip: session.client_ip,
        proof: proof_text(session.proof),
        current: session.current,
    })
}

/// How a session was proved, in words.
fn proof_text(proof: Proof) -> &'static str {
    if proof.contains(ProofMethod::OneTimeCode) {
        "password and code"
    } else {
        "password"
    }
}
