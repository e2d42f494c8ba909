//! The signed-in caller's own account: who am I.

use poem_openapi::{ApiResponse, OpenApi, payload::Json};

use super::{caller::Caller, failures::request_errors, models::UserEnvelope, problem::Problem};

/// Responses of `GET /api/me`.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "MeResponse::from_request_error")]
pub enum MeResponse {
    /// The signed-in account.
    #[oai(status = 200)]
    Me(Json<UserEnvelope>),
    /// No valid token or session cookie (`unauthorized`).
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthorized(Json<Problem>),
    /// The store is unreachable (`storage_unavailable`); try again later.
    #[oai(status = 503, content_type = "application/problem+json")]
    Unavailable(Json<Problem>),
}

request_errors!(MeResponse {
    401 => Unauthorized, 503 => Unavailable;
    fallback => Unauthorized
});

/// The signed-in caller's own account over JSON.
pub(crate) struct MeApi;

#[OpenApi]
impl MeApi {
    /// The signed-in account.
    #[oai(path = "/me", method = "get", operation_id = "me")]
    async fn me(&self, caller: Caller) -> MeResponse {
        MeResponse::Me(Json((&caller.signed_in.user).into()))
    }
}
