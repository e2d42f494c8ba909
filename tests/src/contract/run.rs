//! Running one case: a runtime, a fresh store, and an honest skip.

use std::{future::Future, io::Write};

use crate::contract::store::{StoreUnderTest, Unavailable};

/// Set to `1` to make an unavailable backend fail its cases instead of
/// skipping them (for CI, where every backend must be there).
pub const NO_SKIP_VARIABLE: &str = "LATCH_TESTS_NO_SKIP";

/// Runs the case named `name` against a store from `factory`, on a
/// multi-threaded runtime so that concurrent cases really overlap.
///
/// When the factory reports the backend [`Unavailable`], writes
/// `SKIPPED: <reason>` straight to stderr (so it shows even when the harness
/// captures output) and returns, or panics if [`NO_SKIP_VARIABLE`] is `1`.
pub fn run<F, Fut, C, CFut>(name: &str, factory: F, case: C)
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<StoreUnderTest, Unavailable>>,
    C: FnOnce(StoreUnderTest) -> CFut,
    CFut: Future<Output = ()>,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a Tokio runtime for the contract case");
    runtime.block_on(async move {
        match factory().await {
            Ok(store) => case(store).await,
            Err(unavailable) => skip(&format!("contract case {name}"), &unavailable),
        }
    });
}

/// Reports that the test named `what` could not run: writes
/// `SKIPPED: <reason> (<what>)` straight to stderr, or panics if
/// [`NO_SKIP_VARIABLE`] is `1`. For tests outside the contract too.
pub fn skip(what: &str, unavailable: &Unavailable) {
    let line = format!("SKIPPED: {unavailable} ({what})");
    if std::env::var(NO_SKIP_VARIABLE).is_ok_and(|value| value == "1") {
        panic!("{line}, and {NO_SKIP_VARIABLE}=1 forbids skipping");
    }
    // Not eprintln!: the harness would capture it and show it only on failure.
    let _ = writeln!(std::io::stderr(), "{line}");
}
