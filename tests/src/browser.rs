//! An HTTP client that behaves like a browser for end-to-end tests: it keeps
//! cookies, reads CSRF tokens out of forms and posts them back, and does not
//! follow redirects, so tests see every `303`.

use std::sync::Arc;

use reqwest::{
    Client, StatusCode, Url,
    cookie::{CookieStore, Jar},
    header::{HeaderMap, LOCATION},
    redirect,
};

/// A page as the browser received it.
#[derive(Debug)]
pub struct Page {
    /// The status code.
    pub status: StatusCode,
    /// The response headers.
    pub headers: HeaderMap,
    /// The body, as text.
    pub body: String,
}

impl Page {
    /// Where a redirect points, if this is one.
    pub fn location(&self) -> Option<&str> {
        self.headers
            .get(LOCATION)
            .and_then(|value| value.to_str().ok())
    }

    /// Whether the body contains `text`.
    pub fn contains(&self, text: &str) -> bool {
        self.body.contains(text)
    }

    /// The value of the first `csrf_token` field on the page, unescaped as
    /// a browser would.
    pub fn csrf_token(&self) -> Option<String> {
        let marker = r#"name="csrf_token" value=""#;
        let start = self.body.find(marker)? + marker.len();
        let end = start + self.body[start..].find('"')?;
        Some(unescape_html(&self.body[start..end]))
    }

    /// Every `Set-Cookie` header, for checking attributes.
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok().map(str::to_owned))
            .collect()
    }

    /// The `Set-Cookie` header for the cookie `name`, if any.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.set_cookies()
            .into_iter()
            .find(|cookie| cookie.starts_with(&format!("{name}=")))
    }
}

fn unescape_html(text: &str) -> String {
    text.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// One browser: one cookie jar.
pub struct Browser {
    client: Client,
    jar: Arc<Jar>,
    base: Url,
}

impl Browser {
    /// A browser with no cookies, for the site at `base_url`.
    pub fn new(base_url: &str) -> Self {
        let jar = Arc::new(Jar::default());
        let client = Client::builder()
            .cookie_provider(Arc::clone(&jar))
            .redirect(redirect::Policy::none())
            .build()
            .expect("an HTTP client");
        let base = Url::parse(base_url).expect("a base URL");
        Self { client, jar, base }
    }

    fn url(&self, path: &str) -> Url {
        self.base.join(path).expect("a path on the site")
    }

    async fn read(response: reqwest::Response) -> Page {
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.text().await.expect("a readable body");
        Page {
            status,
            headers,
            body,
        }
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Page {
        let response = self.client.get(self.url(path)).send().await;
        Self::read(response.expect("the server answers")).await
    }

    /// `GET path` (or an absolute URL) with these extra headers (say, the
    /// `Accept` a browser's navigation sends).
    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Page {
        let mut request = self.client.get(self.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        Self::read(request.send().await.expect("the server answers")).await
    }

    /// `POST path` with exactly these form fields.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let response = self.client.post(self.url(path)).form(fields).send().await;
        Self::read(response.expect("the server answers")).await
    }

    /// `POST path` with exactly these form fields and these extra headers
    /// (say, the `Sec-Fetch-Site` a browser would add).
    pub async fn post_form_with(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Page {
        let mut request = self.client.post(self.url(path)).form(fields);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        Self::read(request.send().await.expect("the server answers")).await
    }

    /// `POST path` with a raw body and content type.
    pub async fn post_raw(&self, path: &str, content_type: &str, body: Vec<u8>) -> Page {
        let response = self
            .client
            .post(self.url(path))
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body)
            .send()
            .await;
        Self::read(response.expect("the server answers")).await
    }

    /// Opens the page at `form_path`, fills in `fields`, and submits the
    /// form (with its CSRF token) to `action`, as a person would.
    pub async fn submit(&self, form_path: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let form = self.get(form_path).await;
        let token = form
            .csrf_token()
            .unwrap_or_else(|| panic!("{form_path} has a form with a CSRF token: {}", form.body));
        let mut all = fields.to_vec();
        all.push(("csrf_token", &token));
        self.post_form(action, &all).await
    }

    /// Creates an account through the sign-up form.
    pub async fn register(&self, username: &str, password: &str) -> Page {
        self.submit(
            "/register",
            "/register",
            &[("username", username), ("password", password)],
        )
        .await
    }

    /// Signs in through the sign-in form.
    pub async fn log_in(&self, username: &str, password: &str) -> Page {
        self.submit(
            "/login",
            "/login",
            &[("username", username), ("password", password)],
        )
        .await
    }

    /// Signs out with the button on the home page.
    pub async fn log_out(&self) -> Page {
        self.submit("/", "/logout", &[]).await
    }

    /// The value of a cookie this browser holds for the site.
    pub fn cookie(&self, name: &str) -> Option<String> {
        let header = self.jar.cookies(&self.base)?;
        let header = header.to_str().ok()?.to_owned();
        header.split("; ").find_map(|pair| {
            pair.strip_prefix(name)
                .and_then(|rest| rest.strip_prefix('='))
                .map(str::to_owned)
        })
    }

    /// Puts a cookie in this browser's jar, as if the site had set it.
    pub fn set_cookie(&self, name: &str, value: &str) {
        self.jar
            .add_cookie_str(&format!("{name}={value}; Path=/"), &self.base);
    }
}
