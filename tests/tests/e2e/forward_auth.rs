//! Forward auth over real HTTP, as a reverse proxy calls it: `/auth/verify`
//! (nginx `auth_request`) and `/auth/forward` (Caddy, Traefik), with access
//! rules from a settings file, identity headers for the app, and headers
//! describing the original request believed only from a trusted proxy.

use latch_tests::{api::Api, server::TestServer};
use reqwest::{Client, RequestBuilder, StatusCode, redirect::Policy};

const RULES: &str = r#"
[forward_auth]
portal_url = "https://auth.example.com"

[[access.rules]]
host = "public.example.com"
allow = "bypass"

[[access.rules]]
host = "alice.example.com"
allow = "user:alice"

[[access.rules]]
host = "ops.example.com"
allow = "group:ops"
"#;

/// A server whose forward auth follows [`RULES`], trusting this process
/// as its proxy when `trusted`, and the accounts "alice" (in the groups
/// "ops" and "admins") and "bob" (in none) signed in.
struct Setup {
    server: TestServer,
    client: Client,
    alice: String,
    bob: String,
    _settings: tempfile::TempDir,
}

impl Setup {
    async fn start(trusted: bool) -> Self {
        let settings = tempfile::tempdir().expect("a temporary directory");
        let file = settings.path().join("latch.toml");
        std::fs::write(&file, RULES).expect("the settings file is written");
        let file = file.display().to_string();
        let mut overrides = vec![("LATCH_CONFIG", file.as_str())];
        if trusted {
            overrides.push(("LATCH__SERVER__TRUSTED_PROXIES", "127.0.0.1"));
        }
        let server = TestServer::start_with(&overrides).await;
        let api = Api::new(&server);
        let alice = api.token_for("alice").await;
        let bob = api.token_for("bob").await;
        let operators = server.operators();
        for group in ["ops", "admins"] {
            operators.create_group(group).await.expect("a new group");
            let added = operators.add_to_group(group, "alice").await;
            assert!(added.expect("an account and a group"));
        }
        Self {
            server,
            client: Client::builder()
                .redirect(Policy::none())
                .build()
                .expect("an HTTP client"),
            alice,
            bob,
            _settings: settings,
        }
    }

    fn get(&self, path: &str) -> RequestBuilder {
        self.client.get(format!("{}{path}", self.server.base_url()))
    }

    /// `/auth/verify` about `url`, with the session cookie of `token`.
    async fn verify(&self, url: &str, token: Option<&str>) -> reqwest::Response {
        let mut request = self.get("/auth/verify").header("x-original-url", url);
        if let Some(token) = token {
            request = request.header("cookie", format!("latch_session={token}"));
        }
        request.send().await.expect("the server answers")
    }

    /// `/auth/forward` about `uri` on `host`, sent by `method`, with the
    /// session cookie of `token` and the browser's `accept` header.
    async fn forward(
        &self,
        (method, host, uri): (&str, &str, &str),
        token: Option<&str>,
        accept: &str,
    ) -> reqwest::Response {
        let mut request = self
            .get("/auth/forward")
            .header("x-forwarded-method", method)
            .header("x-forwarded-proto", "https")
            .header("x-forwarded-host", host)
            .header("x-forwarded-uri", uri)
            .header("accept", accept);
        if let Some(token) = token {
            request = request.header("cookie", format!("latch_session={token}"));
        }
        request.send().await.expect("the server answers")
    }
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    response
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
}

const PAGE: &str = "text/html,application/xhtml+xml,*/*;q=0.8";

#[tokio::test]
async fn verify_sends_a_stranger_to_sign_in_and_back() {
    let setup = Setup::start(true).await;
    let answer = setup
        .verify("https://app.example.com/reports?month=5", None)
        .await;
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        header(&answer, "location"),
        Some(
            "https://auth.example.com/login?next=https%3A%2F%2Fapp.example.com%2Freports%3Fmonth%3D5"
        )
    );
    assert_eq!(header(&answer, "remote-user"), None);
}

#[tokio::test]
async fn verify_lets_a_signed_in_person_through_with_who_they_are() {
    let setup = Setup::start(true).await;
    let answer = setup
        .verify("https://app.example.com/", Some(&setup.alice))
        .await;
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(header(&answer, "remote-user"), Some("alice"));
    let id = header(&answer, "remote-user-id").unwrap();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    assert_eq!(header(&answer, "remote-groups"), Some("admins,ops"));
    assert!(answer.headers().get("set-cookie").is_none());
}

#[tokio::test]
async fn verify_applies_the_rules_first_match_wins() {
    let setup = Setup::start(true).await;
    let alices = "https://alice.example.com/diary";
    assert_eq!(
        setup.verify(alices, Some(&setup.alice)).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        setup.verify(alices, Some(&setup.bob)).await.status(),
        StatusCode::FORBIDDEN
    );
    let ops = "https://ops.example.com/deploys";
    assert_eq!(
        setup.verify(ops, Some(&setup.alice)).await.status(),
        StatusCode::OK
    );
    let bob = setup.verify(ops, Some(&setup.bob)).await;
    assert_eq!(bob.status(), StatusCode::FORBIDDEN);
    assert_eq!(header(&bob, "remote-user"), None);
    // Leaving the group counts at the next check: groups are read with the
    // session, not kept in it.
    let operators = setup.server.operators();
    assert!(operators.remove_from_group("ops", "alice").await.unwrap());
    assert_eq!(
        setup.verify(ops, Some(&setup.alice)).await.status(),
        StatusCode::FORBIDDEN
    );
    // A bypass rule names nobody: the identity headers are there, empty.
    let public = setup.verify("https://public.example.com/", None).await;
    assert_eq!(public.status(), StatusCode::OK);
    assert_eq!(header(&public, "remote-user"), Some(""));
    assert_eq!(header(&public, "remote-user-id"), Some(""));
}

#[tokio::test]
async fn without_an_original_url_verify_checks_the_session_alone() {
    let setup = Setup::start(true).await;
    let signed_in = setup
        .get("/auth/verify")
        .bearer_auth(&setup.bob)
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), StatusCode::OK);
    assert_eq!(header(&signed_in, "remote-user"), Some("bob"));
    assert_eq!(header(&signed_in, "remote-groups"), Some(""), "in no group");
    let stranger = setup.get("/auth/verify").send().await.unwrap();
    assert_eq!(stranger.status(), StatusCode::UNAUTHORIZED);
    let forged = setup
        .get("/auth/verify")
        .header("cookie", "latch_session=not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_apps_own_authorization_header_does_not_hide_the_cookie() {
    let setup = Setup::start(true).await;
    let answer = setup
        .get("/auth/verify")
        .header("x-original-url", "https://app.example.com/")
        .header(
            "cookie",
            format!("theme=dark; latch_session={}", setup.alice),
        )
        .header("authorization", "Basic YWxpY2U6c2VjcmV0")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(header(&answer, "remote-user"), Some("alice"));
}

#[tokio::test]
async fn an_untrusted_peer_cannot_describe_the_request() {
    let setup = Setup::start(false).await;
    // A bypass rule's host, named by a client rather than a proxy: ignored,
    // so the request is a session check, and nobody is signed in.
    let stranger = setup.verify("https://public.example.com/", None).await;
    assert_eq!(stranger.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        header(&stranger, "location"),
        Some("https://auth.example.com/login")
    );
    // Nor can it make alice's rule refuse bob: it is not applied.
    let bob = setup
        .verify("https://alice.example.com/", Some(&setup.bob))
        .await;
    assert_eq!(bob.status(), StatusCode::OK);
}

#[tokio::test]
async fn forward_redirects_a_page_and_refuses_a_script() {
    let setup = Setup::start(true).await;
    let next = "https://auth.example.com/login?next=https%3A%2F%2Fapp.example.com%2Fa%3Fb%3D1";
    let page = setup
        .forward(("GET", "app.example.com", "/a?b=1"), None, PAGE)
        .await;
    assert_eq!(page.status(), StatusCode::FOUND);
    assert_eq!(header(&page, "location"), Some(next));
    let form = setup
        .forward(("POST", "app.example.com", "/a?b=1"), None, PAGE)
        .await;
    assert_eq!(form.status(), StatusCode::SEE_OTHER);
    assert_eq!(header(&form, "location"), Some(next));
    let fetch = setup
        .forward(
            ("GET", "app.example.com", "/api/data"),
            None,
            "application/json",
        )
        .await;
    assert_eq!(fetch.status(), StatusCode::UNAUTHORIZED);
    let xhr = setup
        .get("/auth/forward")
        .header("x-forwarded-host", "app.example.com")
        .header("x-forwarded-uri", "/api/data")
        .header("accept", PAGE)
        .header("x-requested-with", "XMLHttpRequest")
        .send()
        .await
        .unwrap();
    assert_eq!(xhr.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn forward_passes_who_is_signed_in_or_shows_the_refusal() {
    let setup = Setup::start(true).await;
    let alice = setup
        .forward(("GET", "alice.example.com", "/"), Some(&setup.alice), PAGE)
        .await;
    assert_eq!(alice.status(), StatusCode::OK);
    assert_eq!(header(&alice, "remote-user"), Some("alice"));
    let bob = setup
        .forward(("GET", "alice.example.com", "/"), Some(&setup.bob), PAGE)
        .await;
    assert_eq!(bob.status(), StatusCode::FORBIDDEN);
    assert!(
        header(&bob, "content-type").is_some_and(|value| value.starts_with("text/html")),
        "a page for the browser"
    );
    let text = bob.text().await.unwrap();
    assert!(text.contains("Not allowed"), "{text}");
}

#[tokio::test]
async fn a_signed_out_session_is_refused_again() {
    let setup = Setup::start(true).await;
    let api = Api::new(&setup.server);
    let url = "https://app.example.com/";
    assert_eq!(
        setup.verify(url, Some(&setup.alice)).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        api.logout(&setup.alice).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        setup.verify(url, Some(&setup.alice)).await.status(),
        StatusCode::UNAUTHORIZED
    );
}
