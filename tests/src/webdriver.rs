//! A small W3C WebDriver client: the dozen commands the browser tests use,
//! over the HTTP client the other end-to-end tests already use, plus
//! ChromeDriver's browser-log command (console messages and
//! Content-Security-Policy violations).
//!
//! Every command returns a [`Step`], so a test that fails says which command
//! failed and why instead of panicking halfway through.

use std::time::Duration;

use base64::{Engine, engine::general_purpose::STANDARD};
use reqwest::{Client, Method};
use serde_json::{Value, json};

/// What a browser step gives back: its result, or what went wrong.
pub type Step<T> = Result<T, String>;

/// The key under which WebDriver returns an element's id.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// One WebDriver session: one browser window with a fresh profile.
pub struct WebDriver {
    client: Client,
    session_url: String,
}

/// An element of the current page.
#[derive(Debug, Clone)]
pub struct Element(String);

/// A cookie as the browser holds it.
#[derive(Debug, Clone)]
pub struct BrowserCookie {
    /// Its name.
    pub name: String,
    /// Whether page scripts are kept from reading it.
    pub http_only: bool,
    /// When it expires (seconds since 1970), or `None` for a cookie that
    /// ends with the browser session.
    pub expiry: Option<u64>,
}

/// One message of the browser's console log.
#[derive(Debug, Clone)]
pub struct LogEntry {
    /// `SEVERE`, `WARNING`, `INFO`...
    pub level: String,
    /// `console-api`, `security` (CSP violations), `network`...
    pub source: String,
    /// The message.
    pub message: String,
}

impl LogEntry {
    /// Whether this is an error or a Content-Security-Policy violation.
    pub fn is_problem(&self) -> bool {
        self.level == "SEVERE"
            || self.source == "security"
            || self.message.contains("Content Security Policy")
    }
}

impl WebDriver {
    /// Opens a session on the WebDriver server at `driver_url` with these
    /// capabilities.
    pub async fn new_session(driver_url: &str, capabilities: Value) -> Step<Self> {
        let client = Client::builder()
            .timeout(Duration::from_secs(90))
            .build()
            .map_err(|error| format!("an HTTP client for WebDriver: {error}"))?;
        let body = json!({ "capabilities": { "alwaysMatch": capabilities } });
        let value = send(
            &client,
            Method::POST,
            &format!("{driver_url}/session"),
            Some(body),
        )
        .await?;
        let id = value["sessionId"]
            .as_str()
            .ok_or_else(|| format!("WebDriver gave no session id: {value}"))?;
        Ok(Self {
            client,
            session_url: format!("{driver_url}/session/{id}"),
        })
    }

    /// This session's URL on the WebDriver server.
    pub fn session_url(&self) -> &str {
        &self.session_url
    }

    async fn command(&self, method: Method, path: &str, body: Option<Value>) -> Step<Value> {
        let url = format!("{}{path}", self.session_url);
        send(&self.client, method, &url, body).await
    }

    /// Loads `url` and waits for the page to load.
    pub async fn goto(&self, url: &str) -> Step<()> {
        self.command(Method::POST, "/url", Some(json!({ "url": url })))
            .await
            .map(drop)
    }

    /// The address of the current page.
    pub async fn current_url(&self) -> Step<String> {
        let value = self.command(Method::GET, "/url", None).await?;
        value
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("the current URL is not text: {value}"))
    }

    /// The first element matching a CSS selector, if any.
    pub async fn find(&self, css: &str) -> Step<Option<Element>> {
        let body = json!({ "using": "css selector", "value": css });
        match self.command(Method::POST, "/element", Some(body)).await {
            Ok(value) => value[ELEMENT_KEY]
                .as_str()
                .map(|id| Some(Element(id.to_owned())))
                .ok_or_else(|| format!("WebDriver gave no element id: {value}")),
            Err(error) if error.starts_with("no such element") => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Clicks an element (waiting for any page load it starts).
    pub async fn click(&self, element: &Element) -> Step<()> {
        let path = format!("/element/{}/click", element.0);
        self.command(Method::POST, &path, Some(json!({})))
            .await
            .map(drop)
    }

    /// Types `text` into an element, after clearing it.
    pub async fn type_into(&self, element: &Element, text: &str) -> Step<()> {
        let clear = format!("/element/{}/clear", element.0);
        self.command(Method::POST, &clear, Some(json!({}))).await?;
        let path = format!("/element/{}/value", element.0);
        self.command(Method::POST, &path, Some(json!({ "text": text })))
            .await
            .map(drop)
    }

    /// Runs `script` (a function body; `arguments` holds `args`) in the page
    /// and returns what it returns.
    pub async fn execute(&self, script: &str, args: Value) -> Step<Value> {
        let body = json!({ "script": script, "args": args });
        self.command(Method::POST, "/execute/sync", Some(body))
            .await
    }

    /// Every cookie the browser holds for the current page, HttpOnly or not.
    pub async fn cookies(&self) -> Step<Vec<BrowserCookie>> {
        let value = self.command(Method::GET, "/cookie", None).await?;
        let cookies = value
            .as_array()
            .ok_or_else(|| format!("the cookies are not a list: {value}"))?;
        Ok(cookies
            .iter()
            .map(|cookie| BrowserCookie {
                name: cookie["name"].as_str().unwrap_or_default().to_owned(),
                http_only: cookie["httpOnly"].as_bool().unwrap_or(false),
                expiry: cookie["expiry"].as_u64(),
            })
            .collect())
    }

    /// A PNG of the visible part of the page.
    pub async fn screenshot(&self) -> Step<Vec<u8>> {
        let value = self.command(Method::GET, "/screenshot", None).await?;
        let encoded = value
            .as_str()
            .ok_or_else(|| format!("the screenshot is not text: {value}"))?;
        STANDARD
            .decode(encoded)
            .map_err(|error| format!("the screenshot is not base64: {error}"))
    }

    /// The console messages logged since the last call (ChromeDriver's
    /// extension; needs the `goog:loggingPrefs` capability).
    pub async fn browser_log(&self) -> Step<Vec<LogEntry>> {
        let body = json!({ "type": "browser" });
        let value = self.command(Method::POST, "/se/log", Some(body)).await?;
        let entries = value
            .as_array()
            .ok_or_else(|| format!("the browser log is not a list: {value}"))?;
        let text = |entry: &Value, key: &str| entry[key].as_str().unwrap_or_default().to_owned();
        Ok(entries
            .iter()
            .map(|entry| LogEntry {
                level: text(entry, "level"),
                source: text(entry, "source"),
                message: text(entry, "message"),
            })
            .collect())
    }

    /// Resizes the window (the page's viewport, in headless mode).
    pub async fn set_window_size(&self, width: u32, height: u32) -> Step<()> {
        let body = json!({ "width": width, "height": height });
        self.command(Method::POST, "/window/rect", Some(body))
            .await
            .map(drop)
    }

    /// Ends the session, which closes the browser.
    pub async fn quit(&self) -> Step<()> {
        self.command(Method::DELETE, "", None).await.map(drop)
    }
}

/// Sends one WebDriver command and unwraps its `value`, or its error.
async fn send(client: &Client, method: Method, url: &str, body: Option<Value>) -> Step<Value> {
    let mut request = client.request(method.clone(), url);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request
        .send()
        .await
        .map_err(|error| format!("{method} {url}: {error}"))?;
    let status = response.status();
    let reply: Value = response
        .json()
        .await
        .map_err(|error| format!("{method} {url}: unreadable reply: {error}"))?;
    let value = reply.get("value").cloned().unwrap_or(Value::Null);
    if status.is_success() {
        return Ok(value);
    }
    let error = value["error"].as_str().unwrap_or("unknown error");
    let message = value["message"].as_str().unwrap_or_default();
    Err(format!("{error}: {message}"))
}
