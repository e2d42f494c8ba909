//! Headless Chromium for end-to-end tests, driven through ChromeDriver: the
//! system's `chromium` and `chromedriver` (Debian's `chromium` and
//! `chromium-driver` packages), never a browser downloaded by a tool.
//!
//! [`Chrome::start`] starts ChromeDriver on a free loopback port and opens a
//! browser with a fresh profile. Where either program is missing, it says
//! `SKIPPED: ...` on stderr and gives `None`; in CI (`CI=true` or
//! `LATCH_TESTS_NO_SKIP=1`) a missing browser fails the test instead.
//!
//! Each step checks the browser's console: an error or a
//! Content-Security-Policy violation fails it. [`Chrome::finish`] ends the
//! test; when a step failed, it first saves a screenshot and the HTML of the
//! page the browser was on, and names the files in the failure.

use std::{
    env, fs,
    io::{Read, Write},
    net::{SocketAddr, TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::Mutex,
    time::{Duration, Instant},
};

use serde_json::{Value, json};
use tempfile::TempDir;

use crate::{
    contract::{Unavailable, skip},
    webdriver::{BrowserCookie, Element, Step, WebDriver},
};

/// Names a ChromeDriver binary to use instead of the one on `PATH`.
pub const CHROMEDRIVER_VARIABLE: &str = "CHROMEDRIVER";
/// Names a Chromium binary to use instead of the one on `PATH`.
pub const CHROMIUM_VARIABLE: &str = "CHROMIUM";

/// How long a page may take to show what a step expects.
const STEP_TIMEOUT: Duration = Duration::from_secs(15);

/// What Chromium needs to run headless as root, in a container, with no
/// network but loopback, and nothing in the background.
const CHROMIUM_ARGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--no-first-run",
    "--no-default-browser-check",
    "--password-store=basic",
    "--hide-scrollbars",
];

/// A phone-sized window (CSS pixels).
pub const PHONE: (u32, u32) = (390, 844);
/// A desktop-sized window (CSS pixels).
pub const DESKTOP: (u32, u32) = (1280, 800);

/// A running ChromeDriver, stopped when dropped.
struct Driver {
    process: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// A headless Chromium with a fresh profile, for one test.
pub struct Chrome {
    web: WebDriver,
    base_url: String,
    artifacts: PathBuf,
    test: String,
    /// Every page the browser has been on.
    pages: Mutex<Vec<String>>,
    // Dropped in this order: the driver (after the session is closed), then
    // the profile directory.
    _driver: Driver,
    _profile: TempDir,
}

impl Chrome {
    /// Starts ChromeDriver and a browser for the test named `test`, on the
    /// site at `base_url`; failure screenshots go under `artifacts/test/`.
    /// `None` (after saying `SKIPPED`) where Chromium or ChromeDriver is
    /// missing and skipping is allowed.
    pub async fn start(test: &str, base_url: &str, artifacts: &Path) -> Option<Self> {
        Self::start_with_args(test, base_url, artifacts, &[]).await
    }

    /// [`start`](Self::start), with more Chromium arguments (say,
    /// `--host-resolver-rules` to give loopback a few host names).
    pub async fn start_with_args(
        test: &str,
        base_url: &str,
        artifacts: &Path,
        extra_args: &[String],
    ) -> Option<Self> {
        let (driver_binary, chromium) = match find_programs() {
            Ok(found) => found,
            Err(unavailable) => {
                if env::var("CI").is_ok_and(|value| value == "true" || value == "1") {
                    panic!("SKIPPED: {unavailable} (browser test {test}), and CI forbids skipping");
                }
                skip(&format!("browser test {test}"), &unavailable);
                return None;
            }
        };
        let artifacts = artifacts.join(test);
        let _ = fs::remove_dir_all(&artifacts);
        fs::create_dir_all(&artifacts).expect("a directory for the test's screenshots");
        let driver = start_driver(&driver_binary, &artifacts);
        let profile = tempfile::tempdir().expect("a directory for the browser profile");
        let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|arg| (*arg).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        args.push(format!("--window-size={},{}", DESKTOP.0, DESKTOP.1));
        args.extend(extra_args.iter().cloned());
        let capabilities = json!({
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "goog:loggingPrefs": { "browser": "ALL" },
            "goog:chromeOptions": {
                "binary": chromium.display().to_string(),
                "args": args,
            },
        });
        let web = WebDriver::new_session(&driver.url, capabilities)
            .await
            .unwrap_or_else(|error| panic!("Chromium starts under ChromeDriver: {error}"));
        Some(Self {
            web,
            base_url: base_url.trim_end_matches('/').to_owned(),
            artifacts,
            test: test.to_owned(),
            pages: Mutex::new(Vec::new()),
            _driver: driver,
            _profile: profile,
        })
    }

    /// The WebDriver session, for commands the steps below do not cover.
    pub fn web(&self) -> &WebDriver {
        &self.web
    }

    /// Where this test's screenshots go.
    pub fn artifacts(&self) -> &Path {
        &self.artifacts
    }

    /// Opens `path` on the site and checks the console.
    pub async fn open(&self, path: &str) -> Step<()> {
        self.web.goto(&format!("{}{path}", self.base_url)).await?;
        self.console_is_clean().await
    }

    /// The element matching `css`, waiting for it to appear.
    pub async fn element(&self, css: &str) -> Step<Element> {
        let deadline = Instant::now() + STEP_TIMEOUT;
        loop {
            if let Some(element) = self.web.find(css).await? {
                return Ok(element);
            }
            if Instant::now() > deadline {
                return Err(format!("no element matches {css:?}"));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Types `text` into the field matching `css`.
    pub async fn fill(&self, css: &str, text: &str) -> Step<()> {
        let field = self.element(css).await?;
        self.web.type_into(&field, text).await
    }

    /// Clicks the element matching `css`, waits for any page it loads, and
    /// checks the console.
    pub async fn click(&self, css: &str) -> Step<()> {
        let target = self.element(css).await?;
        self.web.click(&target).await?;
        self.console_is_clean().await
    }

    /// The text of the page, as a person reads it.
    pub async fn text(&self) -> Step<String> {
        let value = self
            .web
            .execute(
                "return document.body ? document.body.innerText : '';",
                json!([]),
            )
            .await?;
        Ok(value.as_str().unwrap_or_default().to_owned())
    }

    /// Waits until the page shows `text`.
    pub async fn expect_text(&self, text: &str) -> Step<()> {
        let deadline = Instant::now() + STEP_TIMEOUT;
        loop {
            let page = self.text().await?;
            if page.contains(text) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("the page does not say {text:?}; it says:\n{page}"));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Fails if the page shows `text`.
    pub async fn expect_no_text(&self, text: &str) -> Step<()> {
        let page = self.text().await?;
        if page.contains(text) {
            return Err(format!(
                "the page should not say {text:?}; it says:\n{page}"
            ));
        }
        Ok(())
    }

    /// Waits until the browser is at `path_and_query` on the site.
    pub async fn expect_path(&self, path_and_query: &str) -> Step<()> {
        let wanted = format!("{}{path_and_query}", self.base_url);
        let deadline = Instant::now() + STEP_TIMEOUT;
        loop {
            let url = self.web.current_url().await?;
            if url == wanted {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("the browser is at {url}, not {wanted}"));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Runs a script in the page and returns its result.
    pub async fn run(&self, script: &str) -> Step<Value> {
        self.web.execute(script, json!([])).await
    }

    /// What page scripts see of the cookies (`document.cookie`).
    pub async fn script_visible_cookies(&self) -> Step<String> {
        let value = self.run("return document.cookie;").await?;
        Ok(value.as_str().unwrap_or_default().to_owned())
    }

    /// Every cookie the browser holds for the site, HttpOnly or not.
    pub async fn cookies(&self) -> Step<Vec<BrowserCookie>> {
        self.web.cookies().await
    }

    /// Fails if the console holds an error or a Content-Security-Policy
    /// violation logged since the last check.
    ///
    /// A page's own status is not a problem: Chromium logs a `4xx` page
    /// (say, a form shown again with `422`) as a failed load, sometimes after
    /// the next step began, and the tests check those statuses themselves.
    /// Anything a page loads (styles, scripts, icons) must succeed.
    pub async fn console_is_clean(&self) -> Step<()> {
        let current = self.web.current_url().await?;
        let pages = {
            let mut seen = self
                .pages
                .lock()
                .map_err(|_| "a step panicked".to_owned())?;
            if !seen.contains(&current) {
                seen.push(current);
            }
            seen.clone()
        };
        let own_status = |message: &str| {
            pages.iter().any(|page| {
                message.strip_prefix(page.as_str()).is_some_and(|rest| {
                    rest.starts_with(
                        " - Failed to load resource: the server responded with a status of ",
                    )
                })
            })
        };
        let problems: Vec<String> = self
            .web
            .browser_log()
            .await?
            .into_iter()
            .filter(|entry| entry.is_problem())
            .filter(|entry| !(entry.source == "network" && own_status(&entry.message)))
            .map(|entry| format!("[{} {}] {}", entry.level, entry.source, entry.message))
            .collect();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "the browser console reports problems:\n{}",
                problems.join("\n")
            ))
        }
    }

    /// Resizes the window to `(width, height)` CSS pixels.
    pub async fn resize(&self, (width, height): (u32, u32)) -> Step<()> {
        self.web.set_window_size(width, height).await
    }

    /// Saves a screenshot of the current page as `artifacts/test/name.png`
    /// and returns its path.
    pub async fn save_screenshot(&self, name: &str) -> Step<PathBuf> {
        let png = self.web.screenshot().await?;
        let path = self.artifacts.join(format!("{name}.png"));
        fs::write(&path, png)
            .map_err(|error| format!("cannot write {}: {error}", path.display()))?;
        Ok(path)
    }

    /// Ends the test: closes the browser, and when `outcome` is a failed
    /// step, saves a screenshot and the HTML of the page it failed on, then
    /// fails with the step's message and where the files are.
    pub async fn finish(self, outcome: Step<()>) {
        let failure = match outcome {
            Ok(()) => None,
            Err(message) => Some(self.record_failure(&message).await),
        };
        let closed = self.web.quit().await;
        // Stops ChromeDriver and removes the profile.
        drop(self);
        if let Some(report) = failure {
            panic!("{report}");
        }
        closed.unwrap_or_else(|error| panic!("the browser closes: {error}"));
    }

    async fn record_failure(&self, message: &str) -> String {
        let url = self.web.current_url().await.unwrap_or_default();
        let mut report = format!("browser test {} failed at {url}: {message}", self.test);
        match self.save_screenshot("failure").await {
            Ok(path) => report.push_str(&format!("\nscreenshot: {}", path.display())),
            Err(error) => report.push_str(&format!("\nno screenshot: {error}")),
        }
        let html = self
            .run("return document.documentElement.outerHTML;")
            .await
            .ok()
            .and_then(|value| value.as_str().map(str::to_owned));
        if let Some(html) = html {
            let path = self.artifacts.join("failure.html");
            if fs::write(&path, html).is_ok() {
                report.push_str(&format!("\npage source: {}", path.display()));
            }
        }
        report
    }
}

impl Drop for Chrome {
    /// A test that panicked before [`Chrome::finish`] still closes its
    /// browser, so no Chromium outlives the test.
    fn drop(&mut self) {
        let _ = close_session_blocking(self.web.session_url());
    }
}

/// `DELETE` the session with a plain blocking request (usable in `Drop`);
/// a session already closed answers an error, which is fine.
fn close_session_blocking(session_url: &str) -> std::io::Result<()> {
    let rest = session_url.trim_start_matches("http://");
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let mut stream = TcpStream::connect(host)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "DELETE /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
    )?;
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply)?;
    Ok(())
}

/// ChromeDriver and Chromium, from the environment variables or `PATH`.
fn find_programs() -> Result<(PathBuf, PathBuf), Unavailable> {
    let driver = find_program(CHROMEDRIVER_VARIABLE, &["chromedriver"]);
    let chromium = find_program(
        CHROMIUM_VARIABLE,
        &["chromium", "chromium-browser", "google-chrome"],
    );
    match (driver, chromium) {
        (Some(driver), Some(chromium)) => Ok((driver, chromium)),
        (driver, chromium) => {
            let missing: Vec<&str> = [
                driver.is_none().then_some("chromedriver"),
                chromium.is_none().then_some("chromium"),
            ]
            .into_iter()
            .flatten()
            .collect();
            Err(Unavailable::new(format!(
                "{} not found, so the browser tests cannot run; install them (Debian: \
                 apt-get install chromium chromium-driver) or name them with \
                 {CHROMEDRIVER_VARIABLE}= and {CHROMIUM_VARIABLE}=",
                missing.join(" and ")
            )))
        }
    }
}

fn find_program(variable: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(path) = env::var_os(variable).filter(|path| !path.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let path = env::var_os("PATH")?;
    env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// Starts ChromeDriver on a free loopback port (trying again if another
/// process takes the port first) and waits until it is ready.
fn start_driver(binary: &Path, artifacts: &Path) -> Driver {
    let mut last_error = String::new();
    for _ in 0..3 {
        let port = free_port();
        let process = Command::new(binary)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .arg(format!(
                "--log-path={}",
                artifacts.join("chromedriver.log").display()
            ))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| panic!("{} starts: {error}", binary.display()));
        let mut driver = Driver {
            process,
            url: format!("http://127.0.0.1:{port}"),
        };
        match wait_until_ready(&mut driver, port) {
            Ok(()) => return driver,
            Err(error) => last_error = error,
        }
    }
    panic!("ChromeDriver did not start: {last_error}");
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    listener.local_addr().expect("its address").port()
}

fn wait_until_ready(driver: &mut Driver, port: u16) -> Result<(), String> {
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = driver.process.try_wait() {
            return Err(format!("it exited with {status}"));
        }
        if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err("it did not listen within 20 seconds".to_owned())
}
