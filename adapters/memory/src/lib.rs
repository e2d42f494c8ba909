//! Latch's in-memory store: accounts and sessions in a process's memory, gone
//! when it exits. For tests and demos; it passes the same repository contract
//! as the persistent stores.

mod state;
mod store;

pub use store::MemoryStore;
