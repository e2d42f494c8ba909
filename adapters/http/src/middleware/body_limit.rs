//! Refuses request bodies over a size limit with `413`, whether or not they
//! announce their length.

use poem::{
    Endpoint, Middleware, Request, Result,
    error::ReadBodyError,
    http::{Method, header},
};

/// Middleware that buffers each request body up to a limit.
pub(crate) struct BodyLimit {
    max_bytes: usize,
}

impl BodyLimit {
    pub(crate) fn new(max_bytes: usize) -> Self {
        Self { max_bytes }
    }
}

impl<E: Endpoint> Middleware<E> for BodyLimit {
    type Output = BodyLimitEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        BodyLimitEndpoint {
            inner,
            max_bytes: self.max_bytes,
        }
    }
}

/// The endpoint [`BodyLimit`] wraps around another.
pub(crate) struct BodyLimitEndpoint<E> {
    inner: E,
    max_bytes: usize,
}

impl<E: Endpoint> Endpoint for BodyLimitEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
            return self.inner.call(req).await;
        }
        let announced = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse::<u64>().ok());
        if announced.is_some_and(|length| length > self.max_bytes as u64) {
            return Err(ReadBodyError::PayloadTooLarge.into());
        }
        // Chunked bodies have no length up front: read at most the limit.
        let body = req.take_body().into_bytes_limit(self.max_bytes).await?;
        req.set_body(body);
        self.inner.call(req).await
    }
}
