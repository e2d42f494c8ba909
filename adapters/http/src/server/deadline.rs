//! When an idle connection is due to close: the rule for one connection,
//! kept apart from the sockets so that it can be tested with made-up times.

use std::{
    sync::{Mutex, MutexGuard, PoisonError},
    time::Duration,
};

use tokio::time::Instant;

/// A connection's deadline, moved by what happens on it: a request head
/// must arrive within the head timeout of the connection's start (and of
/// the first byte of each later request), and a connection answering
/// nothing closes after the keep-alive timeout. While a request is being
/// answered there is no deadline.
#[derive(Debug)]
pub(super) struct Deadline {
    header_timeout: Duration,
    keep_alive_timeout: Duration,
    phase: Mutex<Phase>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// No request is being answered: the connection closes at `at` unless
    /// a request head arrives first. `head_started` once the next request's
    /// first byte has arrived (from the start, on a new connection).
    Waiting { at: Instant, head_started: bool },
    /// This many requests are being answered (more than one on HTTP/2).
    Answering { requests: usize },
}

impl Deadline {
    /// A new connection, made at `now`: its first request head is due
    /// within the head timeout.
    pub(super) fn new(
        header_timeout: Duration,
        keep_alive_timeout: Duration,
        now: Instant,
    ) -> Self {
        Self {
            header_timeout,
            keep_alive_timeout,
            phase: Mutex::new(Phase::Waiting {
                at: now + header_timeout,
                head_started: true,
            }),
        }
    }

    /// Bytes arrived at `now`. Between requests, they start the next
    /// request's head, which must then be complete within the head timeout
    /// (or by the keep-alive deadline, if that comes first).
    pub(super) fn bytes_arrived(&self, now: Instant) {
        let mut phase = self.phase();
        if let Phase::Waiting {
            at,
            head_started: false,
        } = *phase
        {
            *phase = Phase::Waiting {
                at: at.min(now + self.header_timeout),
                head_started: true,
            };
        }
    }

    /// A request head has arrived: no deadline until it is answered.
    pub(super) fn request_started(&self) {
        let mut phase = self.phase();
        *phase = match *phase {
            Phase::Waiting { .. } => Phase::Answering { requests: 1 },
            Phase::Answering { requests } => Phase::Answering {
                requests: requests + 1,
            },
        };
    }

    /// A request was answered at `now`; with none left, the connection may
    /// idle for the keep-alive timeout.
    pub(super) fn request_finished(&self, now: Instant) {
        let mut phase = self.phase();
        if let Phase::Answering { requests } = *phase {
            *phase = match requests.saturating_sub(1) {
                0 => Phase::Waiting {
                    at: now + self.keep_alive_timeout,
                    head_started: false,
                },
                requests => Phase::Answering { requests },
            };
        }
    }

    /// When the connection is due to close, if nothing happens before
    /// (`None` while a request is being answered).
    pub(super) fn due(&self) -> Option<Instant> {
        match *self.phase() {
            Phase::Waiting { at, .. } => Some(at),
            Phase::Answering { .. } => None,
        }
    }

    /// Resolves once the connection is past its deadline.
    pub(super) async fn passed(&self) {
        loop {
            match self.due() {
                Some(at) if Instant::now() >= at => return,
                Some(at) => tokio::time::sleep_until(at).await,
                // Busy: look again later; a request that finishes sets a
                // deadline at least a keep-alive timeout away.
                None => tokio::time::sleep(self.header_timeout).await,
            }
        }
    }

    fn phase(&self) -> MutexGuard<'_, Phase> {
        // The phase is a plain value, whole after any panic.
        self.phase.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: Duration = Duration::from_secs(10);
    const KEEP_ALIVE: Duration = Duration::from_secs(60);

    fn seconds(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn a_new_connection_must_send_its_head_within_the_head_timeout() {
        let start = Instant::now();
        let deadline = Deadline::new(HEAD, KEEP_ALIVE, start);
        assert_eq!(deadline.due(), Some(start + HEAD));
        // Bytes of the first head trickling in do not buy more time.
        deadline.bytes_arrived(start + seconds(9));
        assert_eq!(deadline.due(), Some(start + HEAD));
    }

    #[test]
    fn no_deadline_while_a_request_is_answered() {
        let start = Instant::now();
        let deadline = Deadline::new(HEAD, KEEP_ALIVE, start);
        deadline.request_started();
        assert_eq!(deadline.due(), None);
        deadline.bytes_arrived(start + seconds(1));
        assert_eq!(deadline.due(), None);
    }

    #[test]
    fn an_answered_connection_may_idle_for_the_keep_alive_timeout() {
        let start = Instant::now();
        let deadline = Deadline::new(HEAD, KEEP_ALIVE, start);
        deadline.request_started();
        deadline.request_finished(start + seconds(2));
        assert_eq!(deadline.due(), Some(start + seconds(2) + KEEP_ALIVE));
    }

    #[test]
    fn the_next_head_is_due_within_the_head_timeout_of_its_first_byte() {
        let start = Instant::now();
        let deadline = Deadline::new(HEAD, KEEP_ALIVE, start);
        deadline.request_started();
        deadline.request_finished(start);
        deadline.bytes_arrived(start + seconds(5));
        assert_eq!(deadline.due(), Some(start + seconds(5) + HEAD));
        // Later bytes of the same head do not move it.
        deadline.bytes_arrived(start + seconds(14));
        assert_eq!(deadline.due(), Some(start + seconds(5) + HEAD));
    }

    #[test]
    fn a_head_started_just_before_the_keep_alive_deadline_gets_no_extra_time() {
        let start = Instant::now();
        let deadline = Deadline::new(HEAD, KEEP_ALIVE, start);
        deadline.request_started();
        deadline.request_finished(start);
        deadline.bytes_arrived(start + seconds(59));
        assert_eq!(deadline.due(), Some(start + KEEP_ALIVE));
    }

    #[test]
    fn overlapping_requests_keep_the_connection_busy_until_the_last_ends() {
        let start = Instant::now();
        let deadline = Deadline::new(HEAD, KEEP_ALIVE, start);
        deadline.request_started();
        deadline.request_started();
        deadline.request_finished(start + seconds(1));
        assert_eq!(deadline.due(), None);
        deadline.request_finished(start + seconds(3));
        assert_eq!(deadline.due(), Some(start + seconds(3) + KEEP_ALIVE));
    }
}
