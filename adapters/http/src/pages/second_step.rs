//! `GET /login/second-factor`, `POST /login/second-factor`: the second
//! step of a sign-in, for an account with an authenticator app. The
//! browser holds the sign-in halfway in a cookie of its own; a code from
//! the app, or a recovery code, finishes it.

use latch_domain::{SecondStep, SecondStepError};
use poem::{Response, Result, handler, http::StatusCode, web::Form};
use serde::Deserialize;

use super::{
    Ui,
    login::signed_in,
    see_other, store_unavailable,
    views::{Page, SecondStepView},
};

/// The second-step form (`csrf_token` is checked by the guard).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct SecondStepForm {
    /// A code from the authenticator app, or a recovery code.
    pub(crate) code: String,
}

/// Asks for the code; without a sign-in halfway, back to the sign-in page.
#[handler]
pub(super) fn page(ui: Ui<'_>) -> Result<Response> {
    if ui.state.cookies.pending(ui.jar).is_none() {
        return Ok(see_other("/login"));
    }
    ui.render(StatusCode::OK, Page::SecondStep(&SecondStepView::default()))
}

/// Finishes the sign-in with the code, or asks again.
#[handler]
pub(super) async fn submit(ui: Ui<'_>, Form(form): Form<SecondStepForm>) -> Result<Response> {
    if let Some(refused) = ui.rate_limited(&ui.state.limits.sign_in) {
        return refused;
    }
    let Some(pending) = ui.state.cookies.pending(ui.jar) else {
        return Ok(see_other("/login"));
    };
    let step = SecondStep {
        pending,
        code: form.code,
        origin: ui.origin(),
    };
    let previous = ui.state.cookies.session_token(ui.jar);
    let (status, message) = match ui
        .visitors()
        .complete_second_step(&step, previous.as_ref())
        .await
    {
        Ok(done) => return Ok(signed_in(&ui, &done)),
        // A throttled attempt gets the same answer as a wrong code, as on
        // the sign-in page.
        Err(SecondStepError::InvalidCode | SecondStepError::Throttled { .. }) => {
            (StatusCode::UNAUTHORIZED, "That code is not valid.")
        }
        Err(SecondStepError::Expired) => {
            ui.state.cookies.clear_pending(ui.jar);
            (
                StatusCode::UNAUTHORIZED,
                "This sign-in expired. Please log in again.",
            )
        }
        Err(SecondStepError::Locked) => (StatusCode::FORBIDDEN, super::login::LOCKED),
        Err(SecondStepError::Storage(error)) => return Err(store_unavailable(error)),
    };
    let view = SecondStepView {
        error: Some(message.to_owned()),
    };
    ui.render(status, Page::SecondStep(&view))
}
