//! How many connections the server may hold open: what
//! `server.max_connections` asks for, within the process's file-descriptor
//! limit less a reserve for everything else.

/// Descriptors kept for what is not a client connection: the store's files
/// or connections, the logs, the listeners and the metrics listener's
/// connections. At most half the limit, when the limit is very low.
const RESERVED_DESCRIPTORS: u64 = 64;

/// The cap when the process has no descriptor limit, or none is known.
const WITHOUT_A_LIMIT: usize = 16_384;

/// The connections the metrics listener may hold open (a scraper or two).
pub(crate) const METRICS_CONNECTIONS: usize = 16;

/// The connection cap: `asked` (`None`: as many as the limit allows),
/// lowered, with a warning, to what the file-descriptor limit allows.
pub(crate) fn connection_cap(asked: Option<usize>) -> usize {
    let limit = descriptor_limit();
    let cap = cap_within(asked, limit);
    if let Some(asked) = asked.filter(|&asked| cap < asked) {
        tracing::warn!(
            asked,
            descriptor_limit = limit,
            max_connections = cap,
            "server.max_connections is more than the file-descriptor limit allows (ulimit -n): lowered"
        );
    }
    cap
}

/// What [`connection_cap`] decides, given the descriptor limit.
fn cap_within(asked: Option<usize>, limit: Option<u64>) -> usize {
    let allowed = limit.map(|limit| {
        let usable = limit - RESERVED_DESCRIPTORS.min(limit / 2);
        usize::try_from(usable).unwrap_or(usize::MAX).max(1)
    });
    match (asked, allowed) {
        (Some(asked), Some(allowed)) => asked.min(allowed),
        (Some(asked), None) => asked,
        (None, Some(allowed)) => allowed,
        (None, None) => WITHOUT_A_LIMIT,
    }
}

/// The soft limit on open file descriptors (`ulimit -n`), if there is one.
#[cfg(unix)]
fn descriptor_limit() -> Option<u64> {
    rustix::process::getrlimit(rustix::process::Resource::Nofile).current
}

/// The soft limit on open file descriptors: none known here.
#[cfg(not(unix))]
fn descriptor_limit() -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_the_limit_less_the_reserve() {
        assert_eq!(cap_within(None, Some(1024)), 960);
        assert_eq!(cap_within(None, Some(256)), 192);
    }

    #[test]
    fn a_low_limit_keeps_half_for_the_rest() {
        assert_eq!(cap_within(None, Some(100)), 50);
        assert_eq!(cap_within(None, Some(1)), 1);
    }

    #[test]
    fn what_is_asked_is_kept_within_the_limit() {
        assert_eq!(cap_within(Some(100), Some(1024)), 100);
        assert_eq!(cap_within(Some(5000), Some(1024)), 960);
    }

    #[test]
    fn without_a_limit_what_is_asked_or_a_default() {
        assert_eq!(cap_within(Some(50_000), None), 50_000);
        assert_eq!(cap_within(None, None), WITHOUT_A_LIMIT);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_process_limit_is_read() {
        let limit = descriptor_limit().expect("Linux processes have a descriptor limit");
        let cap = u64::try_from(connection_cap(None)).unwrap();
        assert!(cap < limit, "{cap} connections of {limit} descriptors");
    }
}
