//! The real `latch` binary as operators meet it, in one test binary with a
//! module per topic: serving and stopping, its connection limits, its logs,
//! the account and transfer commands, the modes of its data files, and a
//! start-up that cannot reach MongoDB. Each test
//! runs the binary as a child process with its settings in the child's
//! environment, never in this process's, so the modules share one process
//! safely.

mod accounts;
mod binary;
#[cfg(unix)]
mod connections;
#[cfg(unix)]
mod data_files;
mod logs;
mod mongodb_startup;
mod support;
mod transfer;
