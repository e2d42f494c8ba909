//! Filling in the username skeletons of accounts stored before they were
//! kept, at start-up.

use latch_domain::{StorageError, Username};
use mongodb::{
    Collection,
    bson::{Document, doc},
    options::FindOptions,
};

use crate::{
    documents::field,
    error::{duplicate_key_message, storage},
};

/// What a fill-in did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Filled {
    /// Accounts that now hold their skeleton.
    pub(crate) filled: u64,
    /// Accounts left without one, because an older account holds it (two
    /// names that look alike, both stored before the rule).
    pub(crate) left: u64,
    /// Accounts left without one because their document has no username
    /// string to compute it from (reading them fails anyway).
    pub(crate) unreadable: u64,
}

/// Gives every account without a skeleton its own, oldest account first,
/// skipping those whose skeleton another account holds; finds nothing to do
/// once every account has one. Each account is one `$set` guarded by the
/// field's absence, and the unique index settles a race with another
/// instance doing the same.
pub(crate) async fn fill_in(users: &Collection<Document>) -> Result<Filled, StorageError> {
    let missing = doc! { field::USERNAME_SKELETON: { "$exists": false } };
    let options = FindOptions::builder()
        .projection(doc! { field::ID: 1, field::USERNAME: 1 })
        .sort(doc! { field::CREATED_AT: 1, field::ID: 1 })
        .allow_disk_use(true)
        .build();
    let mut cursor = users
        .find(missing.clone())
        .with_options(options)
        .await
        .map_err(storage)?;
    let mut done = Filled::default();
    while cursor.advance().await.map_err(storage)? {
        let document: Document = cursor.deserialize_current().map_err(storage)?;
        let (Some(id), Ok(username)) = (document.get(field::ID), document.get_str(field::USERNAME))
        else {
            // One corrupt account must not keep every other from starting.
            done.unreadable += 1;
            continue;
        };
        let skeleton = Username::from_stored(username.to_owned()).skeleton();
        let held = doc! { field::USERNAME_SKELETON: skeleton.as_str() };
        if held_by_another(users, &held).await? {
            done.left += 1;
            continue;
        }
        let mut filter = missing.clone();
        filter.insert(field::ID, id.clone());
        match users
            .update_one(filter, doc! { "$set": held.clone() })
            .await
        {
            // Nothing modified: another instance filled it in meanwhile.
            Ok(result) => done.filled += result.modified_count,
            // Another instance gave it to a look-alike meanwhile. (FerretDB
            // 1.x reports that clash on an update as an internal error, not
            // as a duplicate key, hence the second look.)
            Err(error)
                if duplicate_key_message(&error).is_some()
                    || held_by_another(users, &held).await? =>
            {
                done.left += 1;
            }
            Err(error) => return Err(storage(error)),
        }
    }
    Ok(done)
}

/// Whether an account matching `held` (a skeleton) exists.
async fn held_by_another(
    users: &Collection<Document>,
    held: &Document,
) -> Result<bool, StorageError> {
    users
        .find_one(held.clone())
        .projection(doc! { field::ID: 1 })
        .await
        .map(|found| found.is_some())
        .map_err(storage)
}
