//! The data directory and the database files, which hold password hashes:
//! created private to the account that runs Latch, and a warning at start-up
//! when existing ones are open to others.
//!
//! On Unix, the directories created on the way to the file are `0700` and the
//! file `0600`, set explicitly so that no umask loosens them. SQLite creates
//! the `-wal` and `-shm` files itself, with the main file's permission bits
//! (it changes them to match whatever the umask), so they are `0600` too.

use std::{
    ffi::OsString,
    path::{Path, PathBuf},
};

use crate::error::SqliteStoreError;

/// The directory holding `path`, when the path names one.
fn directory_of(path: &Path) -> Option<&Path> {
    path.parent().filter(|dir| !dir.as_os_str().is_empty())
}

/// The files SQLite keeps beside the database in WAL mode.
#[cfg(unix)]
fn wal_files(path: &Path) -> [PathBuf; 2] {
    ["-wal", "-shm"].map(|suffix| {
        let mut name = OsString::from(path.as_os_str());
        name.push(suffix);
        PathBuf::from(name)
    })
}

/// Creates the missing directories on the way to `path` and, if there is
/// no file there yet, an empty database file, private to this account.
#[cfg(unix)]
pub(crate) fn create_private(path: &Path) -> Result<(), SqliteStoreError> {
    use std::{
        fs::{DirBuilder, OpenOptions, Permissions},
        io::ErrorKind,
        os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt},
    };

    if let Some(directory) = directory_of(path) {
        let create_directory = |source| SqliteStoreError::CreateDirectory {
            path: directory.to_owned(),
            source,
        };
        let missing: Vec<&Path> = directory
            .ancestors()
            .take_while(|dir| !dir.as_os_str().is_empty() && !dir.exists())
            .collect();
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(directory)
            .map_err(create_directory)?;
        for created in missing {
            std::fs::set_permissions(created, Permissions::from_mode(0o700))
                .map_err(create_directory)?;
        }
    }
    if std::fs::symlink_metadata(path).is_ok() {
        return Ok(());
    }
    let create_file = |source| SqliteStoreError::CreateFile {
        path: path.to_owned(),
        source,
    };
    match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        // SQLite takes an empty file for an empty database.
        Ok(file) => file
            .set_permissions(Permissions::from_mode(0o600))
            .map_err(create_file),
        // Another process created it meanwhile: it is not this one's to change.
        Err(error) if error.kind() == ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(create_file(error)),
    }
}

/// Creates the missing directories on the way to `path` (SQLite creates
/// the file).
#[cfg(not(unix))]
pub(crate) fn create_private(path: &Path) -> Result<(), SqliteStoreError> {
    if let Some(directory) = directory_of(path) {
        std::fs::create_dir_all(directory).map_err(|source| SqliteStoreError::CreateDirectory {
            path: directory.to_owned(),
            source,
        })?;
    }
    Ok(())
}

/// Logs a warning, naming the path and its mode, for the data directory
/// and each database file that group or others may read or write.
#[cfg(unix)]
pub(crate) fn warn_if_open_to_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;

    let directory = directory_of(path).map(Path::to_owned);
    let files = std::iter::once(path.to_owned()).chain(wal_files(path));
    for (part, checked) in directory
        .map(|dir| ("directory", dir))
        .into_iter()
        .chain(files.map(|file| ("file", file)))
    {
        let Ok(metadata) = std::fs::metadata(&checked) else {
            continue;
        };
        let mode = metadata.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            tracing::warn!(
                path = %checked.display(),
                mode = %format_args!("{mode:04o}"),
                "the SQLite store's {part} is readable or writable by group or others, yet the store holds password hashes: chmod 700 the directory, chmod 600 its files"
            );
        }
    }
}

/// Permission bits are a Unix matter.
#[cfg(not(unix))]
pub(crate) fn warn_if_open_to_others(_path: &Path) {}
