//! A client of the JSON API under `/api` for end-to-end tests: one method
//! per operation, each returning the raw response so that tests check every
//! status, plus a few steps that must succeed (signing up and in for a
//! bearer token, listing one's sessions).

use reqwest::{Client, Method, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};

use crate::server::TestServer;

/// The password [`Api::token_for`] signs up with.
pub const PASSWORD: &str = "correct horse battery staple";

/// A JSON client for one server's API.
pub struct Api {
    client: Client,
    base: String,
}

impl Api {
    /// A client for the API of `server`.
    pub fn new(server: &TestServer) -> Self {
        Self {
            client: Client::new(),
            base: format!("{}/api", server.base_url()),
        }
    }

    /// The HTTP client, for requests the methods below do not make.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The address of `path` under `/api` (`path` starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request to `path` under `/api`, with this bearer token.
    pub fn authorized(&self, method: Method, path: &str, token: &str) -> RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(token)
    }

    /// `POST`s `body` as JSON to `path` under `/api`, with no credentials.
    pub async fn post(&self, path: &str, body: Value) -> Response {
        self.client
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// `POST /api/register`.
    pub async fn register(&self, username: &str, password: &str) -> Response {
        self.post(
            "/register",
            json!({ "username": username, "password": password }),
        )
        .await
    }

    /// `POST /api/login`, not remembered.
    pub async fn login(&self, username: &str, password: &str) -> Response {
        self.post(
            "/login",
            json!({ "username": username, "password": password }),
        )
        .await
    }

    /// Registers `username` with [`PASSWORD`] and signs in; returns the
    /// bearer token.
    pub async fn token_for(&self, username: &str) -> String {
        assert_eq!(
            self.register(username, PASSWORD).await.status(),
            StatusCode::CREATED
        );
        let body: Value = self.login(username, PASSWORD).await.json().await.unwrap();
        body["token"].as_str().unwrap().to_owned()
    }

    /// Signs in an existing account again; returns the new bearer token.
    pub async fn another_token(&self, username: &str, password: &str) -> String {
        let login = self.login(username, password).await;
        assert_eq!(login.status(), StatusCode::OK);
        let body: Value = login.json().await.unwrap();
        body["token"].as_str().unwrap().to_owned()
    }

    /// `GET /api/me`.
    pub async fn me(&self, token: &str) -> Response {
        self.authorized(Method::GET, "/me", token)
            .send()
            .await
            .unwrap()
    }

    /// `POST /api/logout`.
    pub async fn logout(&self, token: &str) -> Response {
        self.authorized(Method::POST, "/logout", token)
            .send()
            .await
            .unwrap()
    }

    /// Whether this token opens a live session (`/api/me` answers `200`
    /// rather than `401`; anything else fails the test).
    pub async fn works(&self, token: &str) -> bool {
        let status = self.me(token).await.status();
        assert!(
            status == StatusCode::OK || status == StatusCode::UNAUTHORIZED,
            "{status}"
        );
        status == StatusCode::OK
    }

    /// `POST /api/me/password`.
    pub async fn change_password(&self, token: &str, current: &str, new: &str) -> Response {
        self.authorized(Method::POST, "/me/password", token)
            .json(&json!({ "current_password": current, "new_password": new }))
            .send()
            .await
            .unwrap()
    }

    /// `GET /api/me/sessions`.
    pub async fn sessions(&self, token: &str) -> Response {
        self.authorized(Method::GET, "/me/sessions", token)
            .send()
            .await
            .unwrap()
    }

    /// The caller's sessions, which must be listed.
    pub async fn session_list(&self, token: &str) -> Vec<Value> {
        let response = self.sessions(token).await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        body["sessions"].as_array().unwrap().clone()
    }

    /// `DELETE /api/me/sessions/{id}`.
    pub async fn end_session(&self, token: &str, id: &str) -> Response {
        self.authorized(Method::DELETE, &format!("/me/sessions/{id}"), token)
            .send()
            .await
            .unwrap()
    }

    /// `DELETE /api/me/sessions`: every session but this one.
    pub async fn end_other_sessions(&self, token: &str) -> Response {
        self.authorized(Method::DELETE, "/me/sessions", token)
            .send()
            .await
            .unwrap()
    }

    /// `DELETE /api/me`, confirmed with `password`.
    pub async fn delete_account(&self, token: &str, password: &str) -> Response {
        self.authorized(Method::DELETE, "/me", token)
            .json(&json!({ "password": password }))
            .send()
            .await
            .unwrap()
    }
}
