//! Forward auth through real reverse proxies: nginx (`auth_request`) and
//! Caddy (`forward_auth`) in front of an app that echoes who the proxy said
//! was asking, with Latch as their auth server, over real HTTP.

use std::net::SocketAddr;

use latch_tests::{
    browser::{Browser, Page},
    echo_app::EchoApp,
    reverse_proxy::{ProxyKind, ReverseProxy},
    server::TestServer,
};
use reqwest::StatusCode;

const PASSWORD: &str = "correct horse battery staple";
/// What a browser's navigation accepts.
const PAGE: (&str, &str) = ("accept", "text/html,application/xhtml+xml,*/*;q=0.8");

const RULES: &str = r#"
[[access.rules]]
host = "127.0.0.1"
path = "/public"
allow = "bypass"

[[access.rules]]
host = "127.0.0.1"
path = "/admin"
allow = "group:admins"

[[access.rules]]
host = "127.0.0.1"
path = "/diary"
allow = "user:alice"
"#;

/// Latch, the app and one proxy, with the accounts alice (in the groups
/// admins and ops) and bob (in ops).
struct Stack {
    latch: TestServer,
    proxy: ReverseProxy,
    _app: EchoApp,
    _settings: tempfile::TempDir,
}

impl Stack {
    async fn start(kind: ProxyKind, test: &str) -> Option<Self> {
        let settings = tempfile::tempdir().expect("a temporary directory");
        let file = settings.path().join("latch.toml");
        std::fs::write(&file, RULES).expect("the settings file is written");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port");
        let listen = port.to_string();
        let portal = format!("http://{port}");
        let file = file.display().to_string();
        let latch = TestServer::start_with(&[
            ("LATCH__SERVER__LISTEN", &listen),
            ("LATCH__SERVER__TRUSTED_PROXIES", "127.0.0.1"),
            ("LATCH__FORWARD_AUTH__PORTAL_URL", &portal),
            ("LATCH__FORWARD_AUTH__ALLOWED_HOSTS", "127.0.0.1"),
            ("LATCH_CONFIG", &file),
        ])
        .await;
        let app = EchoApp::start().await.expect("the app starts");
        let latch_address: SocketAddr = listen.parse().expect("an address");
        let proxy = ReverseProxy::start(kind, latch_address, app.address(), test)?;
        let accounts = Browser::new(latch.base_url());
        for name in ["alice", "bob"] {
            let created = accounts.register(name, PASSWORD).await;
            assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
        }
        let operators = latch.operators();
        for (group, members) in [("admins", &["alice"][..]), ("ops", &["alice", "bob"])] {
            operators.create_group(group).await.expect("a new group");
            for member in members {
                let added = operators.add_to_group(group, member).await;
                assert!(added.expect("an account and a group"));
            }
        }
        Some(Self {
            latch,
            proxy,
            _app: app,
            _settings: settings,
        })
    }

    fn app_url(&self, path: &str) -> String {
        format!("{}{path}", self.proxy.base_url())
    }

    /// A browser with no cookies, pointed at Latch.
    fn browser(&self) -> Browser {
        Browser::new(self.latch.base_url())
    }

    /// Opens `path` on the app through the proxy, is sent to sign in,
    /// signs in as `username` and follows the way back; returns the app's
    /// page.
    async fn sign_in_through(&self, browser: &Browser, path: &str, username: &str) -> Page {
        let refused = browser.get_with(&self.app_url(path), &[PAGE]).await;
        assert_eq!(refused.status, StatusCode::FOUND, "{}", refused.body);
        let sign_in = refused.location().expect("a Location").to_owned();
        let expected = format!(
            "{}/login?next={}",
            self.latch.base_url(),
            encode(&self.app_url(path))
        );
        assert_eq!(sign_in, expected);
        let next = self.app_url(path);
        let signed_in = browser
            .submit(
                &sign_in,
                "/login",
                &[
                    ("username", username),
                    ("password", PASSWORD),
                    ("next", &next),
                ],
            )
            .await;
        assert_eq!(
            signed_in.status,
            StatusCode::SEE_OTHER,
            "{}",
            signed_in.body
        );
        assert_eq!(signed_in.location(), Some(next.as_str()));
        browser.get_with(&next, &[PAGE]).await
    }
}

/// The non-empty `Remote-*` headers the app received, as `name: value`
/// lines.
fn identity_seen(page: &Page) -> Vec<&str> {
    page.body
        .lines()
        .filter(|line| line.starts_with("remote-"))
        .filter(|line| {
            line.split_once(':')
                .is_some_and(|(_, value)| !value.trim().is_empty())
        })
        .collect()
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
                char::from(byte).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect()
}

/// The whole round through `kind`: refused, signed in and back, the app
/// told who it is and in which groups, a group rule and a user rule
/// refusing bob, spoofed headers dropped, and refused again after signing
/// out.
async fn a_person_signs_in_through(kind: ProxyKind, test: &str) {
    let Some(stack) = Stack::start(kind, test).await else {
        return;
    };
    let alice = stack.browser();
    let page = stack
        .sign_in_through(&alice, "/reports?month=5", "alice")
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.contains("path: /reports?month=5"), "{}", page.body);
    assert!(page.contains("remote-user: alice\n"), "{}", page.body);
    assert!(page.contains("remote-user-id: "), "{}", page.body);
    assert!(
        page.contains("remote-groups: admins,ops\n"),
        "{}",
        page.body
    );

    for path in ["/admin/users", "/diary"] {
        let allowed = alice.get_with(&stack.app_url(path), &[PAGE]).await;
        assert_eq!(allowed.status, StatusCode::OK, "{path}: {}", allowed.body);
    }

    let bob = stack.browser();
    let page = stack.sign_in_through(&bob, "/", "bob").await;
    assert!(page.contains("remote-user: bob\n"), "{}", page.body);
    assert!(page.contains("remote-groups: ops\n"), "{}", page.body);
    for path in ["/admin/users", "/diary"] {
        let refused = bob.get_with(&stack.app_url(path), &[PAGE]).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{path}");
        // Caddy shows Latch's page; nginx's auth_request keeps only the
        // status and shows its own.
        if kind == ProxyKind::Caddy {
            assert!(refused.contains("Not allowed"), "{}", refused.body);
        }
        assert!(identity_seen(&refused).is_empty(), "{}", refused.body);
    }

    // A client naming itself in the identity headers is not believed,
    // signed in or on a path that needs no sign-in.
    let spoofed = [PAGE, ("remote-user", "alice"), ("remote-groups", "admins")];
    let page = bob.get_with(&stack.app_url("/"), &spoofed).await;
    assert!(page.contains("remote-user: bob\n"), "{}", page.body);
    assert!(
        !page.contains("alice") && !page.contains("admins"),
        "{}",
        page.body
    );
    let stranger = stack.browser();
    let public = stranger
        .get_with(&stack.app_url("/public/a"), &spoofed)
        .await;
    assert_eq!(public.status, StatusCode::OK, "{}", public.body);
    assert!(public.contains("path: /public/a"), "{}", public.body);
    assert!(identity_seen(&public).is_empty(), "{}", public.body);

    let signed_out = alice.log_out().await;
    assert_eq!(signed_out.status, StatusCode::SEE_OTHER);
    let again = alice.get_with(&stack.app_url("/reports"), &[PAGE]).await;
    assert_eq!(again.status, StatusCode::FOUND);
}

#[tokio::test]
async fn a_person_signs_in_through_nginx() {
    a_person_signs_in_through(ProxyKind::Nginx, "a_person_signs_in_through_nginx").await;
}

#[tokio::test]
async fn a_person_signs_in_through_caddy() {
    a_person_signs_in_through(ProxyKind::Caddy, "a_person_signs_in_through_caddy").await;
}

#[tokio::test]
async fn caddy_passes_a_form_a_see_other_and_a_script_a_401() {
    let test = "caddy_passes_a_form_a_see_other_and_a_script_a_401";
    let Some(stack) = Stack::start(ProxyKind::Caddy, test).await else {
        return;
    };
    let browser = stack.browser();
    let form = browser
        .post_form_with(&stack.app_url("/comments"), &[("text", "hi")], &[PAGE])
        .await;
    assert_eq!(form.status, StatusCode::SEE_OTHER);
    assert!(
        form.location()
            .is_some_and(|location| location.contains("/login?next=")),
        "{:?}",
        form.headers
    );
    let script = browser
        .get_with(
            &stack.app_url("/api/data"),
            &[PAGE, ("x-requested-with", "XMLHttpRequest")],
        )
        .await;
    assert_eq!(script.status, StatusCode::UNAUTHORIZED);
    let fetch = browser
        .get_with(
            &stack.app_url("/api/data"),
            &[("accept", "application/json")],
        )
        .await;
    assert_eq!(fetch.status, StatusCode::UNAUTHORIZED);
}
