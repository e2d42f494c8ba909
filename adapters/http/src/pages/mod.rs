//! The HTML pages: the Flask tutorial's routes, done right, with their
//! views, templates and error pages.

mod account;
pub(crate) mod error_pages;
mod home;
pub(crate) mod login;
mod logout;
pub(crate) mod redirect;
pub(crate) mod register;
mod second_step;
mod templates;
mod views;

pub use self::{templates::Templates, views::RenderError};

use std::{net::IpAddr, sync::Arc, time::Instant};

use latch_domain::{AccountOwners, Channel, Origin, Visitors};
use poem::{
    Error, FromRequest, IntoResponse, Request, RequestBody, Response, Result, Route, get, handler,
    http::{StatusCode, header},
    post,
    web::{Path, Redirect, cookie::CookieJar},
};

use self::views::{Page, PageContext};
pub(crate) use crate::failures::{hasher_unavailable, internal_error, store_unavailable};
use crate::{
    AppState,
    middleware::{
        cookies::Flash,
        csrf::CsrfToken,
        rate_limit::{RateLimiter, retry_after_seconds},
    },
    session::Visitor,
};

/// The page routes; they expect the CSRF, CSRF-guard and visitor
/// middleware around them.
pub(crate) fn routes() -> Route {
    Route::new()
        .at("/", get(home::home))
        .at("/register", get(register::page).post(register::submit))
        .at("/login", get(login::page).post(login::submit))
        .at(
            login::SECOND_STEP_PATH,
            get(second_step::page).post(second_step::submit),
        )
        .at("/logout", get(logout::confirm).post(logout::submit))
        .at("/account", get(account::show))
        .at(
            "/account/password",
            get(account::password_page).post(account::password_submit),
        )
        .at("/account/security", get(account::security_page))
        .at("/account/security/totp", post(account::begin_totp))
        .at(
            "/account/security/totp/confirm",
            post(account::confirm_totp),
        )
        .at("/account/security/totp/remove", post(account::remove_totp))
        .at(
            "/account/security/recovery-codes",
            post(account::new_recovery_codes),
        )
        .at("/account/sessions", get(account::sessions_page))
        .at("/account/sessions/end", post(account::end_session))
        .at(
            "/account/sessions/end-others",
            post(account::end_other_sessions),
        )
        .at(
            "/account/delete",
            get(account::delete_page).post(account::delete_submit),
        )
}

/// What page handlers share: the application, who is asking, their CSRF
/// token and their cookies.
pub(crate) struct Ui<'a> {
    state: &'a AppState,
    visitor: &'a Visitor,
    csrf: &'a CsrfToken,
    jar: &'a CookieJar,
    client_ip: Option<IpAddr>,
    user_agent: Option<&'a str>,
}

impl<'a> FromRequest<'a> for Ui<'a> {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> Result<Self> {
        let missing = || Error::from_status(StatusCode::INTERNAL_SERVER_ERROR);
        let state = req.data::<Arc<AppState>>().ok_or_else(missing)?;
        Ok(Self {
            state,
            visitor: req.extensions().get::<Arc<Visitor>>().ok_or_else(missing)?,
            csrf: req.extensions().get::<CsrfToken>().ok_or_else(missing)?,
            jar: req.cookie(),
            client_ip: state.proxies.client_ip(req),
            user_agent: req
                .headers()
                .get(header::USER_AGENT)
                .and_then(|value| value.to_str().ok()),
        })
    }
}

impl Ui<'_> {
    /// What visitors may do.
    fn visitors(&self) -> &Visitors {
        &self.state.services.visitors
    }

    /// What a signed-in person may do to their own account.
    fn owners(&self) -> &AccountOwners {
        &self.state.services.owners
    }

    /// The configured minimum password length, for the forms' hints.
    fn password_min_length(&self) -> usize {
        self.visitors().policies().password.min_length()
    }

    /// Where this request comes from, as the domain records it.
    fn origin(&self) -> Origin {
        Origin::new(
            Channel::Pages,
            self.user_agent,
            self.client_ip.map(|ip| ip.to_string()),
        )
        .with_devices(self.state.cookies.device_tokens(self.jar))
    }

    /// The `429` form for a password check throttled for `retry_after`:
    /// the page, with the wait in `Retry-After`.
    fn throttled(&self, page: Result<Response>, retry_after: time::Duration) -> Result<Response> {
        page.map(|mut response| {
            let seconds = retry_after_seconds(retry_after.try_into().unwrap_or_default());
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, seconds.into());
            response
        })
    }

    /// Spends one request of this client's allowance under `limiter`; when
    /// none is left, the `429` page with `Retry-After` to answer instead.
    fn rate_limited(&self, limiter: &RateLimiter) -> Option<Result<Response>> {
        let client = self.client_ip?;
        let wait = limiter.check(client, Instant::now()).err()?;
        tracing::warn!(event = "rate_limited", client = %client, "too many requests from one client");
        let view = error_pages::view_of(StatusCode::TOO_MANY_REQUESTS);
        let page = self.render(StatusCode::TOO_MANY_REQUESTS, Page::Error(&view));
        Some(page.map(|mut response| {
            let seconds = retry_after_seconds(wait);
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, seconds.into());
            response
        }))
    }

    /// Renders a page in the layout, with any pending flash message.
    fn render(&self, status: StatusCode, page: Page<'_>) -> Result<Response> {
        let flash = self.state.cookies.take_flash(self.jar).map(Flash::message);
        let csrf_token = self.csrf.masked();
        let context = PageContext {
            user: self.visitor.username(),
            csrf_token: &csrf_token,
            flash,
        };
        let html = self
            .state
            .templates
            .render(&page, &context)
            .map_err(internal_error)?;
        Ok(html_response(status, html))
    }
}

/// What a form says when its password check is throttled.
pub(crate) fn throttled_message(retry_after: time::Duration) -> String {
    let seconds = retry_after_seconds(retry_after.try_into().unwrap_or_default());
    format!("Too many wrong passwords for this account. Try again in {seconds} seconds.")
}

/// An HTML response that no cache keeps (pages show who is signed in).
pub(crate) fn html_response(status: StatusCode, html: String) -> Response {
    Response::builder()
        .status(status)
        .content_type("text/html; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-store")
        .body(html)
}

/// `303 See Other`: after a form, the browser GETs the next page.
fn see_other(location: &str) -> Response {
    Redirect::see_other(location).into_response()
}

/// `GET /static/:name`: the stylesheet and icon, cached for a day.
#[handler]
pub(crate) fn asset(Path(name): Path<String>, req: &Request) -> Result<Response> {
    let state = req
        .data::<Arc<AppState>>()
        .ok_or_else(|| Error::from_status(StatusCode::INTERNAL_SERVER_ERROR))?;
    let asset = state
        .templates
        .asset(&name)
        .ok_or_else(|| Error::from_status(StatusCode::NOT_FOUND))?;
    Ok(Response::builder()
        .content_type(asset.content_type)
        .header(header::CACHE_CONTROL, "public, max-age=86400")
        .body(asset.body))
}
