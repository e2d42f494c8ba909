//! Latch's cross-adapter tests and their support code.
//!
//! [`contract`] holds the repository contract: what any store must do, as one
//! suite that [`contract_suite!`] instantiates for a backend. [`server`]
//! starts the real application on a free port, optionally on a
//! [`clock::ManualClock`] the test moves forward; [`browser`] drives it
//! over HTTP as a browser would, [`api`] as a JSON client would (with
//! [`authenticator`] as the phone's app for second factors), and
//! [`chrome`] drives it in a real headless Chromium through [`webdriver`].
//! [`mongo`] gives each MongoDB test a database of its own on the server
//! named by `MONGODB_URI`, and [`proxy`] makes that server unreachable and
//! back on demand. [`reverse_proxy`] runs nginx or Caddy in front of the
//! [`echo_app`], with Latch as their forward-auth server.

// Test support: a step that fails is a test that fails, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod api;
pub mod authenticator;
pub mod browser;
pub mod chrome;
pub mod clock;
pub mod contract;
pub mod echo_app;
pub mod mongo;
pub mod proxy;
pub mod reverse_proxy;
pub mod server;
pub mod webdriver;
