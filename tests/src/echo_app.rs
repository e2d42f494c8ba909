//! The app behind a reverse proxy in the forward-auth tests: it answers
//! every request with what it received that matters to them, one
//! `name: value` line each: the method, the path, and every `Remote-*`
//! header, so a test sees exactly who the proxy said was asking.

use std::{io, net::SocketAddr};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    task::JoinHandle,
};

/// The largest request head read.
const MAX_HEAD: usize = 64 * 1024;

/// The app, on a free loopback port, until dropped.
pub struct EchoApp {
    address: SocketAddr,
    accepting: JoinHandle<()>,
}

impl EchoApp {
    /// Starts the app.
    pub async fn start() -> io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let accepting = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(answer(stream));
            }
        });
        Ok(Self { address, accepting })
    }

    /// Where it listens.
    pub fn address(&self) -> SocketAddr {
        self.address
    }
}

impl Drop for EchoApp {
    fn drop(&mut self) {
        self.accepting.abort();
    }
}

/// Answers one request (bodies are not read: the tests send none that the
/// app needs) and closes the connection.
async fn answer(mut stream: TcpStream) {
    let mut head = Vec::new();
    let mut buffer = [0; 4096];
    while !head.windows(4).any(|window| window == b"\r\n\r\n") && head.len() < MAX_HEAD {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(read) => head.extend_from_slice(&buffer[..read]),
        }
    }
    let head = String::from_utf8_lossy(&head);
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split(' ');
    let method = request_line.next().unwrap_or_default();
    let path = request_line.next().unwrap_or_default();
    let mut body = format!("method: {method}\npath: {path}\n");
    for line in lines.take_while(|line| !line.is_empty()) {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = name.to_ascii_lowercase();
        if name.starts_with("remote-") {
            body.push_str(&format!("{name}: {}\n", value.trim()));
        }
    }
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}
