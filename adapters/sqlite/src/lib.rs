//! Latch's embedded default store: accounts, sessions, groups and failed sign-ins in one SQLite file
//! (WAL mode, schema migrations embedded in the binary).

mod attempts;
mod columns;
mod error;
mod files;
mod groups;
mod health;
mod migrations;
mod pending;
mod second_factors;
mod sessions;
mod skeletons;
mod statements;
mod store;
mod users;

pub use store::{SqliteOptions, SqliteStore, Synchronous};

#[cfg(test)]
mod tests;
