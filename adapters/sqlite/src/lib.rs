//! Latch's embedded default store: accounts and sessions in one SQLite file
//! (WAL mode, schema migrations embedded in the binary).

mod columns;
mod error;
mod health;
mod migrations;
mod sessions;
mod store;
mod users;

pub use store::SqliteStore;

#[cfg(test)]
mod tests;
