//! What operators see: health checks, request ids and request logs,
//! Prometheus metrics (by route label), and the audit log of the domain's
//! events.

pub(crate) mod audit_log;
pub(crate) mod health;
pub(crate) mod metrics;
pub(crate) mod route_label;
pub(crate) mod telemetry;
