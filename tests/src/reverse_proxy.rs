//! Real reverse proxies in front of an app, asking Latch before each
//! request: nginx with `auth_request` to `/auth/verify`, and Caddy with
//! `forward_auth` to `/auth/forward`. Each runs as a child process on a free
//! loopback port with the configuration the README shows, generated into a
//! temporary directory, and is stopped when dropped. A proxy that is not
//! installed is reported `SKIPPED` (a failure with `CI=true`).

use std::{
    env, fs,
    net::{SocketAddr, TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    thread,
    time::{Duration, Instant},
};

use tempfile::TempDir;

use crate::contract::{Unavailable, skip};

/// How long a proxy may take to start listening.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// Which proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyKind {
    /// nginx, with `auth_request` (Debian's `nginx`).
    Nginx,
    /// Caddy, with `forward_auth` (Debian's `caddy`).
    Caddy,
}

impl ProxyKind {
    fn program(self) -> &'static str {
        match self {
            Self::Nginx => "nginx",
            Self::Caddy => "caddy",
        }
    }
}

/// nginx protecting `{APP}` with Latch at `{LATCH}`, as in the README; the
/// lines before `server` only make it run unprivileged in `{DIR}`.
const NGINX_CONF: &str = r#"
daemon off;
master_process off;
worker_processes 1;
pid {DIR}/nginx.pid;
error_log {DIR}/error.log warn;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path {DIR}/client_body;
    proxy_temp_path {DIR}/proxy;
    fastcgi_temp_path {DIR}/fastcgi;
    uwsgi_temp_path {DIR}/uwsgi;
    scgi_temp_path {DIR}/scgi;

    server {
        listen {LISTEN};

        location / {
            auth_request /latch-verify;
            auth_request_set $latch_user $upstream_http_remote_user;
            auth_request_set $latch_user_id $upstream_http_remote_user_id;
            auth_request_set $latch_groups $upstream_http_remote_groups;
            auth_request_set $latch_sign_in $upstream_http_location;
            error_page 401 =302 $latch_sign_in;
            # These replace whatever the client sent under the same names.
            proxy_set_header Remote-User $latch_user;
            proxy_set_header Remote-User-Id $latch_user_id;
            proxy_set_header Remote-Groups $latch_groups;
            proxy_pass http://{APP};
        }

        location = /latch-verify {
            internal;
            proxy_pass http://{LATCH}/auth/verify;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Original-URL $scheme://$http_host$request_uri;
            proxy_set_header X-Original-Method $request_method;
        }
    }
}
"#;

/// Caddy protecting `{APP}` with Latch at `{LATCH}`, as in the README; the
/// global options only keep it to loopback and `{DIR}`.
const CADDYFILE: &str = r#"
{
    admin off
    auto_https off
}

http://{LISTEN} {
    bind 127.0.0.1
    route {
        # Whatever the client sent under these names is dropped first.
        request_header -Remote-User
        request_header -Remote-User-Id
        request_header -Remote-Groups
        forward_auth {LATCH} {
            uri /auth/forward
            copy_headers Remote-User Remote-User-Id Remote-Groups
        }
        reverse_proxy {APP}
    }
}
"#;

/// A running proxy.
pub struct ReverseProxy {
    child: Child,
    address: SocketAddr,
    dir: TempDir,
}

impl ReverseProxy {
    /// Starts `kind` on a free loopback port in front of `app`, asking
    /// Latch at `latch`; `None` (after saying `SKIPPED`) when the proxy is
    /// not installed and skipping is allowed.
    pub fn start(kind: ProxyKind, latch: SocketAddr, app: SocketAddr, test: &str) -> Option<Self> {
        let Some(program) = find_program(kind.program()) else {
            let unavailable = Unavailable::new(format!(
                "{} is not installed (.ci/run installs Debian's nginx and caddy)",
                kind.program()
            ));
            if env::var("CI").is_ok_and(|value| value == "true" || value == "1") {
                panic!("SKIPPED: {unavailable} (proxy test {test}), and CI forbids skipping");
            }
            skip(&format!("proxy test {test}"), &unavailable);
            return None;
        };
        let dir = tempfile::tempdir().expect("a directory for the proxy");
        let listen = free_port();
        let fill = |template: &str| {
            template
                .replace("{DIR}", &dir.path().display().to_string())
                .replace("{LISTEN}", &listen.to_string())
                .replace("{LATCH}", &latch.to_string())
                .replace("{APP}", &app.to_string())
        };
        let mut command = match kind {
            ProxyKind::Nginx => {
                let conf = dir.path().join("nginx.conf");
                fs::write(&conf, fill(NGINX_CONF)).expect("the nginx configuration is written");
                let mut command = Command::new(&program);
                command
                    .arg("-p")
                    .arg(dir.path())
                    .arg("-e")
                    .arg(dir.path().join("error.log"))
                    .arg("-c")
                    .arg(&conf);
                command
            }
            ProxyKind::Caddy => {
                let conf = dir.path().join("Caddyfile");
                fs::write(&conf, fill(CADDYFILE)).expect("the Caddyfile is written");
                let mut command = Command::new(&program);
                command
                    .args(["run", "--adapter", "caddyfile", "--config"])
                    .arg(&conf)
                    .env("HOME", dir.path())
                    .env("XDG_DATA_HOME", dir.path().join("data"))
                    .env("XDG_CONFIG_HOME", dir.path().join("config"));
                command
            }
        };
        let log = fs::File::create(dir.path().join("output.log")).expect("a log file");
        let child = command
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("a log file"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|error| panic!("{} does not start: {error}", kind.program()));
        let mut proxy = Self {
            child,
            address: listen,
            dir,
        };
        proxy.wait_until_listening(kind);
        Some(proxy)
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    fn wait_until_listening(&mut self, kind: ProxyKind) {
        let started = Instant::now();
        while TcpStream::connect(self.address).is_err() {
            if let Ok(Some(exit)) = self.child.try_wait() {
                panic!("{} stopped ({exit}): {}", kind.program(), self.output(kind));
            }
            assert!(
                started.elapsed() < START_TIMEOUT,
                "{} did not listen on {}: {}",
                kind.program(),
                self.address,
                self.output(kind)
            );
            thread::sleep(Duration::from_millis(50));
        }
    }

    fn output(&self, kind: ProxyKind) -> String {
        let read = |path: &Path| fs::read_to_string(path).unwrap_or_default();
        let mut output = read(&self.dir.path().join("output.log"));
        if kind == ProxyKind::Nginx {
            output.push_str(&read(&self.dir.path().join("error.log")));
        }
        output
    }
}

impl Drop for ReverseProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port nobody listens on now.
fn free_port() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free loopback port")
}

fn find_program(name: &str) -> Option<PathBuf> {
    let path = env::var_os("PATH")?;
    env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}
