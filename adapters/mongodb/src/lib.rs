//! Latch's scale-out store: accounts, sessions, groups, second factors,
//! sign-ins halfway and failed sign-ins in MongoDB (collections `users`,
//! `sessions`, `groups`, `second_factors`, `pending_sign_ins` and
//! `login_failures`), shared by every Latch instance that points at the
//! same database. An account's groups are an array of names on its
//! document, so reading the account reads them.
//!
//! Documents are mapped here, field by field: ids are BSON binaries (UUIDs
//! with subtype 4, session digests with subtype 0), times BSON dates
//! (milliseconds). Nothing of BSON reaches the domain. Indexes are made at
//! start-up, idempotently: a unique index on the username key, another on
//! the username skeleton (over the accounts that have one), one on the
//! accounts' `groups`, the session digest as `_id`, an index on a session's
//! `user_id`, and a TTL index on its
//! `expires_at` where the server supports one. Then accounts stored before
//! skeletons were kept get theirs.

mod attempts;
mod documents;
mod error;
mod groups;
mod health;
mod indexes;
mod pending;
mod second_factors;
mod sessions;
mod skeletons;
mod store;
mod target;
mod users;

pub use error::ConnectError;
pub use store::{MongoSettings, MongoStore};
pub use target::Target;
