//! Error statuses as HTML pages in the common layout, never Poem's plain text.

use std::future::Ready;

use poem::{Error, IntoResponse, Response, http::StatusCode};

use super::{
    html_response,
    templates::Templates,
    views::{ErrorView, Page, PageContext},
};

/// The handler `catch_all_error` calls with every error a request ends in.
/// An error that carries its own response (a redirect to sign in) is
/// answered with it.
pub(crate) fn renderer(
    templates: Templates,
) -> impl Fn(Error) -> Ready<Response> + Send + Sync + 'static {
    move |error| {
        std::future::ready(if error.is_from_response() {
            error.into_response()
        } else {
            error_page(&templates, &error)
        })
    }
}

fn error_page(pages: &Templates, error: &Error) -> Response {
    let status = error.status();
    if status.is_server_error() && status != StatusCode::SERVICE_UNAVAILABLE {
        tracing::error!(%error, %status, "request failed");
    }
    let view = view_of(status);
    let context = PageContext {
        user: None,
        csrf_token: "",
        flash: None,
    };
    match pages.render(&Page::Error(&view), &context) {
        Ok(html) => html_response(status, html),
        Err(render_error) => {
            tracing::error!(%render_error, "error page could not be rendered");
            (status, view.title).into_response()
        }
    }
}

/// Forward auth's `403`: the person is signed in, but the access rules do
/// not let this account open the page asked for.
pub(crate) fn not_allowed_page(pages: &Templates) -> Response {
    let view = ErrorView {
        status: StatusCode::FORBIDDEN.as_u16(),
        title: "Not allowed",
        detail: "You are signed in, but this account may not open that page. Ask whoever runs it for access, or sign in as someone who has it.",
    };
    let context = PageContext {
        user: None,
        csrf_token: "",
        flash: None,
    };
    match pages.render(&Page::Error(&view), &context) {
        Ok(html) => html_response(StatusCode::FORBIDDEN, html),
        Err(render_error) => {
            tracing::error!(%render_error, "the not-allowed page could not be rendered");
            (StatusCode::FORBIDDEN, view.title).into_response()
        }
    }
}

/// What each status says to people.
pub(crate) fn view_of(status: StatusCode) -> ErrorView {
    let (title, detail) = match status {
        StatusCode::BAD_REQUEST => (
            "Bad request",
            "The request could not be understood. Go back and try again.",
        ),
        StatusCode::FORBIDDEN => (
            "This form has expired",
            "The form was not accepted because its security token was missing or out of date. Go back, reload the page, and submit it again.",
        ),
        StatusCode::NOT_FOUND => ("Page not found", "There is no page at this address."),
        StatusCode::METHOD_NOT_ALLOWED => {
            ("Method not allowed", "This page cannot be used that way.")
        }
        StatusCode::PAYLOAD_TOO_LARGE => (
            "Request too large",
            "What was sent is larger than this service accepts.",
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "Unsupported form",
            "The form was sent in a format this service does not accept.",
        ),
        StatusCode::TOO_MANY_REQUESTS => (
            "Too many attempts",
            "Please wait a little before trying again.",
        ),
        StatusCode::SERVICE_UNAVAILABLE => (
            "Temporarily unavailable",
            "The service is temporarily unavailable. Please try again in a moment.",
        ),
        status if status.is_client_error() => (
            "Request not accepted",
            "The request was not accepted. Go back and try again.",
        ),
        _ => (
            "Something went wrong",
            "Something went wrong on our side. Please try again in a moment.",
        ),
    };
    ErrorView {
        status: status.as_u16(),
        title,
        detail,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn each_error_people_meet_has_its_own_words() {
        let statuses = [
            StatusCode::BAD_REQUEST,
            StatusCode::FORBIDDEN,
            StatusCode::NOT_FOUND,
            StatusCode::METHOD_NOT_ALLOWED,
            StatusCode::PAYLOAD_TOO_LARGE,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::INTERNAL_SERVER_ERROR,
            StatusCode::SERVICE_UNAVAILABLE,
        ];
        let titles: Vec<&str> = statuses
            .iter()
            .map(|status| {
                let view = view_of(*status);
                assert_eq!(view.status, status.as_u16());
                assert!(!view.detail.is_empty());
                view.title
            })
            .collect();
        let distinct: BTreeSet<&str> = titles.iter().copied().collect();
        assert_eq!(distinct.len(), statuses.len(), "{titles:?}");
        assert_ne!(
            view_of(StatusCode::NOT_FOUND).title,
            view_of(StatusCode::IM_A_TEAPOT).title
        );
    }
}
