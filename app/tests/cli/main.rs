//! The real `latch` binary as operators meet it, in one test binary with a
//! module per topic: serving and stopping, its logs, the account and
//! transfer commands, and a start-up that cannot reach MongoDB. Each test
//! runs the binary as a child process with its settings in the child's
//! environment, never in this process's, so the modules share one process
//! safely.

mod accounts;
mod binary;
mod logs;
mod mongodb_startup;
mod support;
mod transfer;
