//! The indexes, made at start-up. Creating an index that exists with the
//! same keys and options does nothing, so every instance may run this at
//! every start.

use std::time::Duration;

use mongodb::{
    Collection, IndexModel,
    bson::{Document, doc},
    options::IndexOptions,
};

use crate::{documents::field, error::command_code};

/// Codes a server answers with when it lacks a feature (`NotImplemented`,
/// `CommandNotSupported`); FerretDB 1.x gives the first for TTL indexes.
/// Any other failure stops start-up.
const UNSUPPORTED: [i32; 2] = [238, 115];

/// Makes every index the store relies on. Returns whether the TTL index on
/// session expiry exists: when the server does not support TTL indexes, a
/// plain index on `expires_at` is made instead and a warning logged.
///
/// The session digest is each session's `_id`, and a group's name is its
/// `_id`, which MongoDB keeps unique without another index; the index on
/// the accounts' `groups` serves member lists, counts and the `$pull` of a
/// deleted group.
pub(crate) async fn ensure(
    users: &Collection<Document>,
    sessions: &Collection<Document>,
) -> Result<bool, mongodb::error::Error> {
    users
        .create_index(index(
            doc! { field::USERNAME_KEY: 1 },
            IndexOptions::builder()
                .name("username_key_unique".to_owned())
                .unique(true)
                .build(),
        ))
        .await?;
    ensure_skeleton_index(users).await?;
    users
        .create_index(index(
            doc! { field::GROUPS: 1 },
            IndexOptions::builder()
                .name("users_by_group".to_owned())
                .build(),
        ))
        .await?;
    sessions
        .create_index(index(
            doc! { field::USER_ID: 1 },
            IndexOptions::builder()
                .name("sessions_by_user".to_owned())
                .build(),
        ))
        .await?;
    let ttl = index(
        doc! { field::EXPIRES_AT: 1 },
        IndexOptions::builder()
            .name("sessions_expire".to_owned())
            .expire_after(Duration::ZERO)
            .build(),
    );
    match sessions.create_index(ttl).await {
        Ok(_) => Ok(true),
        Err(error) if command_code(&error).is_some_and(|code| UNSUPPORTED.contains(&code)) => {
            tracing::warn!(
                error = %error.kind,
                "this MongoDB server does not support TTL indexes: expired sessions are refused \
                 when read and deleted then, but not removed by the server on its own"
            );
            sessions
                .create_index(index(
                    doc! { field::EXPIRES_AT: 1 },
                    IndexOptions::builder()
                        .name("sessions_by_expiry".to_owned())
                        .build(),
                ))
                .await?;
            Ok(false)
        }
        Err(error) => Err(error),
    }
}

/// A unique index on the username skeleton, over the accounts that have
/// one: those stored before it was kept have none until filled in, and
/// must not clash with each other.
///
/// FerretDB 1.x has no partial indexes, but its unique indexes, like SQL's,
/// let any number of documents without the field coexist; there a plain
/// unique index does the same.
async fn ensure_skeleton_index(users: &Collection<Document>) -> Result<(), mongodb::error::Error> {
    let name = "username_skeleton_unique".to_owned();
    let partial = index(
        doc! { field::USERNAME_SKELETON: 1 },
        IndexOptions::builder()
            .name(name.clone())
            .unique(true)
            .partial_filter_expression(doc! { field::USERNAME_SKELETON: { "$type": "string" } })
            .build(),
    );
    match users.create_index(partial).await {
        Ok(_) => Ok(()),
        Err(error) if command_code(&error).is_some_and(|code| UNSUPPORTED.contains(&code)) => {
            tracing::warn!(
                error = %error.kind,
                "this MongoDB server does not support partial indexes: the username skeletons' \
                 unique index is a plain one, which lets accounts without a skeleton coexist on \
                 FerretDB but not on every server"
            );
            users
                .create_index(index(
                    doc! { field::USERNAME_SKELETON: 1 },
                    IndexOptions::builder().name(name).unique(true).build(),
                ))
                .await
                .map(|_| ())
        }
        Err(error) => Err(error),
    }
}

fn index(keys: Document, options: IndexOptions) -> IndexModel {
    IndexModel::builder().keys(keys).options(options).build()
}
