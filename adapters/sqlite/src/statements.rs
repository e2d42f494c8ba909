//! Running one statement on a connection, through its cache of prepared
//! statements, and reading its rows with the [`columns`](crate::columns)
//! functions.

use latch_domain::StorageError;
use rusqlite::{Connection, Params, Row};

use crate::error::storage;

/// Runs `sql` and reads its first row, if it returns any.
pub(crate) fn first_row<T>(
    connection: &Connection,
    sql: &str,
    params: impl Params,
    read: impl FnOnce(&Row<'_>) -> Result<T, StorageError>,
) -> Result<Option<T>, StorageError> {
    let mut statement = connection.prepare_cached(sql).map_err(storage)?;
    let mut rows = statement.query(params).map_err(storage)?;
    rows.next().map_err(storage)?.map(read).transpose()
}

/// Whether `sql`, a lookup of one `key`, finds a row.
pub(crate) fn exists(connection: &Connection, sql: &str, key: &str) -> Result<bool, StorageError> {
    first_row(connection, sql, [key], |_| Ok(())).map(|found| found.is_some())
}

/// Whether an account has the id `user` (hyphenated text).
pub(crate) fn account_exists(connection: &Connection, user: &str) -> Result<bool, StorageError> {
    exists(connection, "SELECT 1 FROM users WHERE id = ?", user)
}

/// Runs `sql` and reads every row it returns.
pub(crate) fn all_rows<T>(
    connection: &Connection,
    sql: &str,
    params: impl Params,
    mut read: impl FnMut(&Row<'_>) -> Result<T, StorageError>,
) -> Result<Vec<T>, StorageError> {
    let mut statement = connection.prepare_cached(sql).map_err(storage)?;
    let mut rows = statement.query(params).map_err(storage)?;
    let mut values = Vec::new();
    while let Some(row) = rows.next().map_err(storage)? {
        values.push(read(row)?);
    }
    Ok(values)
}

/// Runs `sql`, which returns no rows, and counts the rows it changed.
pub(crate) fn execute(
    connection: &Connection,
    sql: &str,
    params: impl Params,
) -> Result<usize, StorageError> {
    connection
        .prepare_cached(sql)
        .and_then(|mut statement| statement.execute(params))
        .map_err(storage)
}
