//! A TCP relay that a test can cut and restore, to make a server look
//! unreachable to the application while the test runs, then come back.

use std::{io, net::SocketAddr};

use tokio::{
    io::copy_bidirectional,
    net::{TcpListener, TcpStream},
    sync::watch,
    task::JoinHandle,
};

/// Relays connections from a loopback port to `target` while it is up; when
/// cut, it closes the connections it relays and every new one at once.
pub struct CuttableRelay {
    address: SocketAddr,
    up: watch::Sender<bool>,
    accepting: JoinHandle<()>,
}

impl CuttableRelay {
    /// Starts relaying from a free loopback port to `target`.
    pub async fn start(target: SocketAddr) -> io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let (up, watching) = watch::channel(true);
        let accepting = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if !*watching.borrow() {
                    drop(client);
                    continue;
                }
                tokio::spawn(relay(client, target, watching.clone()));
            }
        });
        Ok(Self {
            address,
            up,
            accepting,
        })
    }

    /// The address to connect to instead of the target.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Closes every relayed connection and refuses new ones.
    pub fn cut(&self) {
        self.up.send_replace(false);
    }

    /// Relays new connections again.
    pub fn restore(&self) {
        self.up.send_replace(true);
    }
}

impl Drop for CuttableRelay {
    fn drop(&mut self) {
        self.up.send_replace(false);
        self.accepting.abort();
    }
}

async fn relay(mut client: TcpStream, target: SocketAddr, mut up: watch::Receiver<bool>) {
    let Ok(mut server) = TcpStream::connect(target).await else {
        return;
    };
    tokio::select! {
        _ = copy_bidirectional(&mut client, &mut server) => {}
        _ = up.wait_for(|up| !*up) => {}
    }
}
