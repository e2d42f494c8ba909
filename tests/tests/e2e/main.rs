//! Latch end to end, as one test binary with a module per topic: the real
//! server on a free port driven over HTTP and in a real browser, the
//! repository contract run against every store, and the MongoDB store's own
//! checks. Topics are modules, not binaries of their own, so the whole
//! application is linked once.
//!
//! Run one topic with its module's name as the filter, for example
//! `cargo test -p latch-tests --test e2e browser::`.

mod api;
mod browser;
mod contract_memory;
mod contract_mongodb;
mod contract_sqlite;
mod error_pages;
mod forward_auth;
mod hardening;
mod mongodb_app;
mod mongodb_store;
mod operations;
mod pages;
mod proxies;
mod rate_limits;
mod session_writes;
mod sqlite_outage;
mod transfer;
