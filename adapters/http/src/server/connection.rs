//! One connection: HTTP/1 or HTTP/2 by hyper, each request answered by the
//! Poem endpoint, closed when its [`Deadline`] passes or the server stops.

use std::{
    convert::Infallible,
    io,
    net::SocketAddr,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use hyper::{body::Incoming, service::service_fn};
use hyper_util::{
    rt::{TokioExecutor, TokioIo},
    server::conn::auto,
};
use poem::{
    Endpoint,
    endpoint::BoxEndpoint,
    http::uri::Scheme,
    web::{LocalAddr, RemoteAddr},
};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::TcpStream,
    sync::{OwnedSemaphorePermit, watch},
    time::Instant,
};

use super::{ConnectionLimits, deadline::Deadline};

/// Where a connection runs from and to.
#[derive(Debug, Clone, Copy)]
pub(super) struct Peers {
    /// The server's address.
    pub(super) local: SocketAddr,
    /// The client's address.
    pub(super) remote: SocketAddr,
}

/// Serves one accepted connection until the client is done, its deadline
/// passes (then it is dropped, which closes it), or `stopping` turns true
/// (then requests in flight finish first). Holding `_slot` keeps the place
/// it takes among the server's connections.
pub(super) async fn serve(
    stream: TcpStream,
    peers: Peers,
    endpoint: Arc<BoxEndpoint<'static>>,
    limits: ConnectionLimits,
    mut stopping: watch::Receiver<bool>,
    _slot: OwnedSemaphorePermit,
) {
    let deadline = Arc::new(Deadline::new(
        limits.header_timeout,
        limits.keep_alive_timeout,
        Instant::now(),
    ));
    let io = TokioIo::new(Watched {
        inner: stream,
        deadline: deadline.clone(),
    });
    let service = service_fn({
        let deadline = deadline.clone();
        move |request: hyper::Request<Incoming>| {
            // Called once the head has been read, before the answer starts.
            let answering = Answering::start(deadline.clone());
            let endpoint = endpoint.clone();
            async move {
                let request = poem::Request::from((
                    request,
                    LocalAddr(peers.local.into()),
                    RemoteAddr(peers.remote.into()),
                    Scheme::HTTP,
                ));
                let response = endpoint.get_response(request).await;
                drop(answering);
                Ok::<_, Infallible>(hyper::Response::<BoxBody<Bytes, io::Error>>::from(response))
            }
        }
    });
    let builder = auto::Builder::new(TokioExecutor::new());
    let connection = builder.serve_connection(io, service);
    tokio::pin!(connection);
    // A server gone (the sender dropped) also means stop.
    let stop = async {
        let _ = stopping.wait_for(|stop| *stop).await;
    };
    tokio::select! {
        served = connection.as_mut() => {
            if let Err(error) = served {
                tracing::debug!(remote = %peers.remote, %error, "connection ended with an error");
            }
        }
        () = deadline.passed() => {
            tracing::debug!(remote = %peers.remote, "closing a connection that sent no request in time");
        }
        () = stop => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}

/// A request being answered on a connection, for as long as it lives.
struct Answering(Arc<Deadline>);

impl Answering {
    fn start(deadline: Arc<Deadline>) -> Self {
        deadline.request_started();
        Self(deadline)
    }
}

impl Drop for Answering {
    fn drop(&mut self) {
        self.0.request_finished(Instant::now());
    }
}

/// The socket, telling the deadline when bytes arrive.
struct Watched {
    inner: TcpStream,
    deadline: Arc<Deadline>,
}

impl AsyncRead for Watched {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            this.deadline.bytes_arrived(Instant::now());
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
