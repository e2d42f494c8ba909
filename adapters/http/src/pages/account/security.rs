//! `/account/security`: the account's second factors. Set up an
//! authenticator app (a QR code drawn here as SVG, and its key in groups
//! of four), confirm it with a first code, remove it, and make new
//! recovery codes. Recovery codes are shown once, in the answer to the
//! request that made them.

use latch_domain::{
    BeginTotpError, ConfirmTotpError, Password, RecoveryCode, SecondFactorChangeError, SignedIn,
    TotpEnrolment,
};
use poem::{Response, Result, handler, http::StatusCode, web::Form};
use qrcode::{EcLevel, QrCode, render::svg};
use serde::Deserialize;

use super::time_view;
use crate::{
    middleware::cookies::Flash,
    pages::{
        Ui, hasher_unavailable, internal_error,
        login::LOCKED,
        see_other, store_unavailable, throttled_message,
        views::{NewAppView, Page, SecurityView},
    },
    session::Member,
};

/// Where the page lives.
pub(crate) const PAGE: &str = "/account/security";

/// A code from the app being set up (`csrf_token` is checked by the guard).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct CodeForm {
    code: String,
}

/// The account's password, asked again (`csrf_token` is checked by the
/// guard).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct PasswordForm {
    password: String,
}

/// What the page says beyond the account's state.
#[derive(Default)]
struct Notes {
    new_codes: Option<Vec<RecoveryCode>>,
    code_error: Option<String>,
    password_error: Option<String>,
}

/// Shows the account's second factors.
#[handler]
pub(crate) async fn page(ui: Ui<'_>, member: Member) -> Result<Response> {
    render(&ui, member.signed_in(), StatusCode::OK, Notes::default()).await
}

/// Starts setting up an authenticator app, then shows its key.
#[handler]
pub(crate) async fn begin_totp(ui: Ui<'_>, member: Member) -> Result<Response> {
    if !ui.state.totp.available {
        return Ok(see_other(PAGE));
    }
    let begun = ui
        .owners()
        .begin_totp(member.signed_in(), &ui.state.totp.issuer)
        .await;
    match begun {
        // Already set up: the page says so.
        Ok(_) | Err(BeginTotpError::AlreadySetUp) => Ok(see_other(PAGE)),
        Err(BeginTotpError::AccountGone) => {
            ui.state.cookies.clear_session(ui.jar);
            Ok(see_other("/"))
        }
        Err(BeginTotpError::Storage(error)) => Err(store_unavailable(error)),
    }
}

/// Confirms the app being set up with a first code; for the account's
/// first factor, shows its recovery codes.
#[handler]
pub(crate) async fn confirm_totp(
    ui: Ui<'_>,
    member: Member,
    Form(form): Form<CodeForm>,
) -> Result<Response> {
    let signed_in = member.signed_in();
    let confirmed = ui
        .owners()
        .confirm_totp(signed_in, &form.code, &ui.origin())
        .await;
    match confirmed {
        Ok(Some(codes)) => {
            let notes = Notes {
                new_codes: Some(codes),
                ..Notes::default()
            };
            render(&ui, signed_in, StatusCode::OK, notes).await
        }
        Ok(None) => {
            ui.state.cookies.set_flash(ui.jar, Flash::AppAdded);
            Ok(see_other(PAGE))
        }
        Err(ConfirmTotpError::InvalidCode) => {
            let notes = Notes {
                code_error: Some(
                    "That code is not the one your app shows now. Check the app and try again."
                        .to_owned(),
                ),
                ..Notes::default()
            };
            render(&ui, signed_in, StatusCode::UNPROCESSABLE_ENTITY, notes).await
        }
        Err(ConfirmTotpError::NothingPending) => Ok(see_other(PAGE)),
        Err(ConfirmTotpError::Storage(error)) => Err(store_unavailable(error)),
    }
}

/// Removes the authenticator app, once the password is given.
#[handler]
pub(crate) async fn remove_totp(
    ui: Ui<'_>,
    member: Member,
    Form(form): Form<PasswordForm>,
) -> Result<Response> {
    if let Some(refused) = ui.rate_limited(&ui.state.limits.sign_in) {
        return refused;
    }
    let signed_in = member.signed_in();
    let password = Password::new(form.password);
    match ui
        .owners()
        .remove_totp(signed_in, &password, &ui.origin())
        .await
    {
        Ok(()) => {
            ui.state.cookies.set_flash(ui.jar, Flash::AppRemoved);
            Ok(see_other(PAGE))
        }
        Err(error) => refused(&ui, signed_in, error).await,
    }
}

/// Replaces the recovery codes with a new set and shows it, once the
/// password is given.
#[handler]
pub(crate) async fn new_recovery_codes(
    ui: Ui<'_>,
    member: Member,
    Form(form): Form<PasswordForm>,
) -> Result<Response> {
    if let Some(refused) = ui.rate_limited(&ui.state.limits.sign_in) {
        return refused;
    }
    let signed_in = member.signed_in();
    let password = Password::new(form.password);
    match ui
        .owners()
        .new_recovery_codes(signed_in, &password, &ui.origin())
        .await
    {
        Ok(codes) => {
            let notes = Notes {
                new_codes: Some(codes),
                ..Notes::default()
            };
            render(&ui, signed_in, StatusCode::OK, notes).await
        }
        Err(error) => refused(&ui, signed_in, error).await,
    }
}

/// The page again, saying why a change was refused.
async fn refused(
    ui: &Ui<'_>,
    signed_in: &SignedIn,
    error: SecondFactorChangeError,
) -> Result<Response> {
    let (status, message) = match error {
        SecondFactorChangeError::WrongPassword => {
            (StatusCode::FORBIDDEN, "Your password is wrong.".to_owned())
        }
        SecondFactorChangeError::Throttled { retry_after } => {
            let notes = Notes {
                password_error: Some(throttled_message(retry_after)),
                ..Notes::default()
            };
            let answer = render(ui, signed_in, StatusCode::TOO_MANY_REQUESTS, notes).await;
            return ui.throttled(answer, retry_after);
        }
        SecondFactorChangeError::Locked => (StatusCode::FORBIDDEN, LOCKED.to_owned()),
        // Changed meanwhile, in another tab: the page shows what is.
        SecondFactorChangeError::NoSecondFactor => return Ok(see_other(PAGE)),
        SecondFactorChangeError::Storage(error) => return Err(store_unavailable(error)),
        SecondFactorChangeError::Hasher(error) => return Err(hasher_unavailable(error)),
    };
    let notes = Notes {
        password_error: Some(message),
        ..Notes::default()
    };
    render(ui, signed_in, status, notes).await
}

async fn render(
    ui: &Ui<'_>,
    signed_in: &SignedIn,
    status: StatusCode,
    notes: Notes,
) -> Result<Response> {
    let owners = ui.owners();
    let factors = owners
        .second_factors(signed_in)
        .await
        .map_err(store_unavailable)?;
    let issuer = &ui.state.totp.issuer;
    let new_app = match factors.totp {
        Some(totp) if totp.confirmed_at.is_none() => owners
            .pending_totp(signed_in, issuer)
            .await
            .map_err(store_unavailable)?
            .map(|enrolment| new_app_view(&enrolment))
            .transpose()?,
        _ => None,
    };
    let app_since = factors
        .totp
        .and_then(|totp| totp.confirmed_at)
        .map(time_view)
        .transpose()?;
    let new_codes: Option<Vec<String>> = notes
        .new_codes
        .map(|codes| codes.iter().map(RecoveryCode::display_text).collect());
    let view = SecurityView {
        available: ui.state.totp.available,
        app_since,
        new_app,
        recovery_codes_left: factors.recovery_codes_left,
        codes_download: new_codes.as_deref().map(codes_download),
        new_codes,
        code_error: notes.code_error,
        password_error: notes.password_error,
    };
    ui.render(status, Page::Security(&view))
}

/// The app being set up, as the page shows it.
fn new_app_view(enrolment: &TotpEnrolment) -> Result<NewAppView> {
    Ok(NewAppView {
        qr_svg: qr_svg(&enrolment.otpauth_uri)?,
        key: enrolment.secret.to_grouped_base32(),
    })
}

/// `text` as a QR code, drawn as inline SVG (black on white, with the
/// quiet zone scanners need), sized by the page's stylesheet.
fn qr_svg(text: &str) -> Result<String> {
    let code = QrCode::with_error_correction_level(text, EcLevel::M).map_err(internal_error)?;
    let drawn = code
        .render::<svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    // Inline in HTML, the XML declaration has no place.
    let start = drawn.find("<svg").unwrap_or(0);
    Ok(drawn[start..].to_owned())
}

/// The codes as a `data:` URL of a text file, for "Download".
fn codes_download(codes: &[String]) -> String {
    let mut text = String::from(
        "Recovery codes: each one works once, in place of your authenticator app.\r\n\r\n",
    );
    for code in codes {
        text.push_str(code);
        text.push_str("\r\n");
    }
    let encoded: String = text
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => {
                char::from(byte).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect();
    format!("data:text/plain;charset=utf-8,{encoded}")
}
