//! Latch's cross-adapter tests and their support code.
//!
//! [`contract`] holds the repository contract: what any store must do, as one
//! suite that [`contract_suite!`] instantiates for a backend.

// Test support: a step that fails is a test that fails, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod contract;
