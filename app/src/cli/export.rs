//! `latch export`: where the accounts go. The file holds password hashes,
//! so it is created readable by its owner only (`0600` on Unix, whatever the
//! umask) and never written through a symbolic link. An existing file or
//! link is refused, or with `--force` replaced: a new private file is
//! written beside it and renamed over it, so the link itself is replaced and
//! what it pointed to is left alone. `-` is standard output.

use std::{
    fs::{self, File, OpenOptions},
    io::{self, BufWriter, ErrorKind, Write},
    path::{Path, PathBuf},
    process::ExitCode,
};

use crate::{Settings, cli::fail, store::Store, transfer};

/// Writes every account of the configured store to `out` (`-`: standard
/// output); `force` lets it replace an existing file or link.
pub(super) async fn export(settings: &Settings, out: PathBuf, force: bool) -> ExitCode {
    let mut destination = match Destination::open(out, force) {
        Ok(destination) => destination,
        Err(message) => return fail(&message),
    };
    let store = match Store::open(settings).await {
        Ok(store) => store,
        Err(error) => {
            destination.abandon();
            return fail(&error);
        }
    };
    let written = transfer::export_users(store.users().as_ref(), destination.writer()).await;
    store.close().await;
    let name = destination.name();
    let finished = match written {
        Ok(count) => destination.finish().map(|()| count),
        Err(error) => {
            destination.abandon();
            Err(error.to_string())
        }
    };
    match finished {
        Ok(count) => {
            eprintln!("latch: exported {count} accounts to {name}");
            ExitCode::SUCCESS
        }
        Err(error) => fail(&format!("export to {name} failed: {error}")),
    }
}

/// Where the export is being written.
enum Destination {
    /// Standard output.
    Stdout(BufWriter<io::Stdout>),
    /// A file of its own at `path`: new, or, until [`Destination::finish`],
    /// at `partial` beside the file or link it replaces.
    File {
        out: BufWriter<File>,
        path: PathBuf,
        partial: Option<PathBuf>,
    },
}

impl Destination {
    /// Opens `out` for writing, or says (naming it) why not.
    fn open(out: PathBuf, force: bool) -> Result<Self, String> {
        if out.as_os_str() == "-" {
            return Ok(Self::Stdout(BufWriter::new(io::stdout())));
        }
        let cannot = |error: io::Error| format!("cannot write {}: {error}", out.display());
        match fs::symlink_metadata(&out) {
            Err(error) if error.kind() == ErrorKind::NotFound => {}
            Err(error) => return Err(cannot(error)),
            Ok(found) if found.is_dir() => {
                return Err(format!("{} is a directory", out.display()));
            }
            Ok(found) if !force => return Err(refusal(&out, found.file_type().is_symlink())),
            Ok(_) => {
                let (file, partial) = create_beside(&out).map_err(cannot)?;
                return Ok(Self::File {
                    out: BufWriter::new(file),
                    path: out,
                    partial: Some(partial),
                });
            }
        }
        match create_private(&out) {
            Ok(file) => Ok(Self::File {
                out: BufWriter::new(file),
                path: out,
                partial: None,
            }),
            // Made meanwhile, by someone else: refused as if it had been there.
            Err(error) if error.kind() == ErrorKind::AlreadyExists && !force => {
                let link = fs::symlink_metadata(&out).is_ok_and(|found| found.is_symlink());
                Err(refusal(&out, link))
            }
            Err(error) => Err(cannot(error)),
        }
    }

    /// What to write the accounts to.
    fn writer(&mut self) -> &mut dyn Write {
        match self {
            Self::Stdout(out) => out,
            Self::File { out, .. } => out,
        }
    }

    /// How the messages name it.
    fn name(&self) -> String {
        match self {
            Self::Stdout(_) => "standard output".to_owned(),
            Self::File { path, .. } => path.display().to_string(),
        }
    }

    /// Makes the written file the export: flushed, and renamed over what it
    /// replaces. On failure nothing half-written is left.
    fn finish(self) -> Result<(), String> {
        let Self::File { out, path, partial } = self else {
            return Ok(());
        };
        let written = out
            .into_inner()
            .map_err(io::IntoInnerError::into_error)
            .and_then(|file| file.sync_all());
        let done = written.and_then(|()| match &partial {
            Some(partial) => fs::rename(partial, &path),
            None => Ok(()),
        });
        done.map_err(|error| {
            // Best effort: the export's own error is the one worth reporting.
            let _ = fs::remove_file(partial.as_ref().unwrap_or(&path));
            error.to_string()
        })
    }

    /// Removes the file made for an export that failed.
    fn abandon(self) {
        if let Self::File { path, partial, .. } = self {
            // Best effort, as in `finish`.
            let _ = fs::remove_file(partial.unwrap_or(path));
        }
    }
}

/// Why an existing `out` is not written without `--force`.
fn refusal(out: &Path, link: bool) -> String {
    if link {
        format!(
            "{} is a symbolic link; the export is never written through one (--force replaces the link itself)",
            out.display()
        )
    } else {
        format!(
            "{} already exists; pass --force to replace it",
            out.display()
        )
    }
}

/// Creates `path`, which must not exist (not even as a dangling link),
/// readable and writable by its owner only.
#[cfg(unix)]
fn create_private(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    // Exactly 0600, whatever the umask took away.
    file.set_permissions(fs::Permissions::from_mode(0o600))?;
    Ok(file)
}

/// Creates `path`, which must not exist (not even as a dangling link).
#[cfg(not(unix))]
fn create_private(path: &Path) -> io::Result<File> {
    OpenOptions::new().write(true).create_new(true).open(path)
}

/// Creates a private file in the directory of `path`, to be renamed over
/// it; returns it and its path.
fn create_beside(path: &Path) -> io::Result<(File, PathBuf)> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(ErrorKind::InvalidInput, "the path does not name a file"))?;
    let mut last = None;
    for attempt in 0..100 {
        let mut partial = std::ffi::OsString::from(".");
        partial.push(name);
        partial.push(format!(".{}-{attempt}.partial", std::process::id()));
        let partial = path.with_file_name(partial);
        match create_private(&partial) {
            Ok(file) => return Ok((file, partial)),
            Err(error) if error.kind() == ErrorKind::AlreadyExists => last = Some(error),
            Err(error) => return Err(error),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::from(ErrorKind::AlreadyExists)))
}
