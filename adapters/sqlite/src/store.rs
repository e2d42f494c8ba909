//! Opening and closing the database, and how a query reaches a connection.
//!
//! Reads run inline, on the caller's thread, on one of a fixed set of read
//! connections: in WAL mode a reader never waits for a writer, and the hot
//! reads (a session with its account, an account by name) are point lookups
//! on an index that take microseconds, far less than handing them to another
//! thread and back. Writes can wait for another process's write lock (up to
//! the busy timeout), so they run on Tokio's blocking pool, one at a time, on
//! the one write connection.

use std::{
    path::Path,
    sync::{
        Arc, Mutex, MutexGuard, PoisonError, TryLockError,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use latch_domain::StorageError;
use rusqlite::{Connection, OpenFlags};

use crate::{
    error::{SqliteStoreError, storage},
    files, migrations, skeletons,
};

/// How long a write waits for another connection's write lock before giving up.
const WRITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a read waits when the file is briefly locked (only a WAL recovery
/// or a checkpoint restart can do that): short, since it waits on the
/// caller's thread.
const READ_BUSY_TIMEOUT: Duration = Duration::from_millis(250);

/// Prepared statements kept per connection: more than this adapter has.
const STATEMENT_CACHE: usize = 32;

/// When a commit waits for the disk: SQLite's `synchronous` setting, the same
/// on every connection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Synchronous {
    /// The write-ahead log reaches the disk at every commit, so a commit
    /// (a sign-up, a password change, an ended session) survives a power
    /// cut. The default.
    #[default]
    Full,
    /// The log reaches the disk only at checkpoints: cheaper commits and
    /// never a corrupt file, but a power cut can undo the last commits.
    Normal,
}

impl Synchronous {
    /// The value of `PRAGMA synchronous`.
    fn pragma(self) -> &'static str {
        match self {
            Self::Full => "FULL",
            Self::Normal => "NORMAL",
        }
    }
}

/// How [`SqliteStore::open_with`] opens the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SqliteOptions {
    /// Connections for reads (at least one); writes have one more.
    pub read_connections: u32,
    /// When a commit waits for the disk.
    pub synchronous: Synchronous,
}

/// Accounts and sessions in an SQLite file. Clones share the connections.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    connections: Arc<Connections>,
}

/// A connection is `None` once the store is closed.
type Slot = Mutex<Option<Connection>>;

#[derive(Debug)]
struct Connections {
    writer: Slot,
    readers: Box<[Slot]>,
    /// Which reader to queue behind when all are busy, round robin.
    next_busy: AtomicUsize,
}

impl SqliteStore {
    /// Opens the database at `path` with `read_connections` connections for
    /// reads (at least one) and one for writes, and `synchronous=FULL`; as
    /// [`open_with`](Self::open_with) does.
    pub async fn open(path: &Path, read_connections: u32) -> Result<Self, StorageError> {
        let options = SqliteOptions {
            read_connections,
            synchronous: Synchronous::Full,
        };
        Self::open_with(path, options).await
    }

    /// Opens the database at `path` as `options` say, creating its directory
    /// and the file on first run and bringing its schema up to date (with
    /// the username skeletons of accounts stored before they were kept). What it
    /// creates is private to this account (on Unix: directories `0700`, the
    /// files `0600`); an existing directory or file open to group or others
    /// gets a warning in the log.
    ///
    /// The file is in WAL mode with foreign keys on; writes wait up to five
    /// seconds for another process's write lock.
    pub async fn open_with(path: &Path, options: SqliteOptions) -> Result<Self, StorageError> {
        let path = path.to_owned();
        tokio::task::spawn_blocking(move || Self::open_blocking(&path, options))
            .await
            .map_err(StorageError::new)?
    }

    fn open_blocking(path: &Path, options: SqliteOptions) -> Result<Self, StorageError> {
        files::create_private(path)?;
        files::warn_if_open_to_others(path);
        let mut writer = connect(path, WRITE_BUSY_TIMEOUT, options.synchronous)?;
        let journal_mode: String = writer
            .pragma_update_and_check(None, "journal_mode", "wal", |row| row.get(0))
            .map_err(storage)?;
        if !journal_mode.eq_ignore_ascii_case("wal") {
            return Err(SqliteStoreError::NoWal(journal_mode).into());
        }
        writer
            .pragma_update(None, "foreign_keys", true)
            .map_err(storage)?;
        migrations::apply(&mut writer)?;
        skeletons::fill_in(&mut writer)?;
        let readers = (0..options.read_connections.max(1))
            .map(|_| {
                let reader = connect(path, READ_BUSY_TIMEOUT, options.synchronous)?;
                reader
                    .pragma_update(None, "query_only", true)
                    .map_err(storage)?;
                Ok(Mutex::new(Some(reader)))
            })
            .collect::<Result<_, StorageError>>()?;
        Ok(Self {
            connections: Arc::new(Connections {
                writer: Mutex::new(Some(writer)),
                readers,
                next_busy: AtomicUsize::new(0),
            }),
        })
    }

    /// Runs `query` on the first free read connection, on this thread.
    /// Taking the first keeps the few connections in use (about one per
    /// worker thread) warm in the CPU's caches.
    pub(crate) fn read<T>(
        &self,
        query: impl FnOnce(&Connection) -> Result<T, StorageError>,
    ) -> Result<T, StorageError> {
        let readers = &self.connections.readers;
        let free = readers.iter().find_map(|reader| match reader.try_lock() {
            Ok(guard) => Some(guard),
            Err(TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
            Err(TryLockError::WouldBlock) => None,
        });
        // Every reader busy: queue behind one; reads hold it for microseconds.
        let guard = free.unwrap_or_else(|| {
            let next = self.connections.next_busy.fetch_add(1, Ordering::Relaxed);
            lock(&readers[next % readers.len()])
        });
        query(guard.as_ref().ok_or_else(closed)?)
    }

    /// Runs `query` on every read connection, one after the other.
    #[cfg(test)]
    pub(crate) fn on_every_reader<T>(&self, query: impl Fn(&Connection) -> T) -> Vec<T> {
        self.connections
            .readers
            .iter()
            .filter_map(|reader| lock(reader).as_ref().map(&query))
            .collect()
    }

    /// Runs `statement` on the write connection, on the blocking pool.
    pub(crate) async fn write<T: Send + 'static>(
        &self,
        statement: impl FnOnce(&mut Connection) -> Result<T, StorageError> + Send + 'static,
    ) -> Result<T, StorageError> {
        let connections = Arc::clone(&self.connections);
        tokio::task::spawn_blocking(move || {
            let mut guard = lock(&connections.writer);
            statement(guard.as_mut().ok_or_else(closed)?)
        })
        .await
        .map_err(StorageError::new)?
    }

    /// Closes every connection, waiting for those in use to finish; for
    /// graceful shutdown. Calls made afterwards fail with a storage error.
    pub async fn close(&self) {
        let connections = Arc::clone(&self.connections);
        let closing = tokio::task::spawn_blocking(move || {
            for slot in std::iter::once(&connections.writer).chain(connections.readers.iter()) {
                drop(lock(slot).take());
            }
        });
        // Closing cannot fail in a way a caller could act on.
        let _ = closing.await;
    }
}

/// Opens one connection that commits as `synchronous` says and reuses up to
/// [`STATEMENT_CACHE`] prepared statements.
fn connect(
    path: &Path,
    busy_timeout: Duration,
    synchronous: Synchronous,
) -> Result<Connection, StorageError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let connection = Connection::open_with_flags(path, flags).map_err(storage)?;
    connection.busy_timeout(busy_timeout).map_err(storage)?;
    connection
        .pragma_update(None, "synchronous", synchronous.pragma())
        .map_err(storage)?;
    connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(connection)
}

/// A poisoned lock still guards a usable connection: SQLite rolls back
/// whatever the panicking statement left open.
fn lock(slot: &Slot) -> MutexGuard<'_, Option<Connection>> {
    slot.lock().unwrap_or_else(PoisonError::into_inner)
}

fn closed() -> StorageError {
    SqliteStoreError::Closed.into()
}
