//! The JSON API under `/api`, built with poem-openapi on the same domain
//! service as the pages, with its OpenAPI document and docs UI.

mod accounts;
mod caller;
mod failures;
mod me;
pub(crate) mod models;
mod problem;
mod second_factors;

use poem::{Endpoint, Route, endpoint::make_sync, web::Html};
use poem_openapi::OpenApiService;

pub(crate) use problem::problem_response;

use self::{accounts::AccountsApi, me::MeApi, second_factors::SecondFactorsApi};

fn service() -> OpenApiService<(AccountsApi, MeApi, SecondFactorsApi), ()> {
    OpenApiService::new(
        (AccountsApi, MeApi, SecondFactorsApi),
        "Latch",
        env!("CARGO_PKG_VERSION"),
    )
        .description(
            "Register, sign in, sign out, who-am-I and managing your own account (password, second factors, sessions, deletion) over JSON. Every error is an RFC 9457 problem document (application/problem+json) with a stable `code`.",
        )
        .server("/api")
}

/// The OpenAPI 3 document of the API, as served at `/api/openapi.json`.
pub fn openapi_document() -> String {
    service().spec()
}

/// The operations and `/openapi.json`, relative to `/api`.
pub(crate) fn routes() -> impl Endpoint {
    let service = service();
    let document = service.spec_endpoint();
    Route::new()
        .at("/openapi.json", document)
        .nest("/", service)
}

/// The interactive documentation page (Swagger UI, bundled in the binary).
pub(crate) fn docs() -> impl Endpoint {
    let page = service().swagger_ui_html();
    make_sync(move |_| Html(page.clone()))
}
