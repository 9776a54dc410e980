//! Checkpoints: a run's whole state between two ticks, in one versioned binary file.
//!
//! The file is `checkpoint.bin` in the run folder:
//!
//! | bytes | content |
//! |---|---|
//! | 8 | magic `FEEDSIMK` |
//! | 4 | format number, little-endian |
//! | 2 + n | length and text of the feedsim version that wrote it, with a fingerprint of its source |
//! | 8 | payload length, little-endian |
//! | 4 | CRC-32 of the payload, little-endian |
//! | rest | payload: postcard encoding of the scenario (as JSON text), the run settings, the finished variants' outputs and the running variant's state |
//!
//! The world is not saved: it is a pure function of the scenario, rebuilt on resume in
//! less time than reading it would take. A file from another feedsim version is refused
//! (a changed model would not continue the same run), and so is one whose length or
//! checksum does not match: nothing is half-loaded. Writes go to a temporary file that
//! is renamed over the old checkpoint only once complete and synced.

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::engine::{Progress, ProgressView};
use crate::observe::output::VariantOutput;
use crate::scenario::Scenario;

/// The checkpoint's file name inside a run folder.
pub const FILE_NAME: &str = "checkpoint.bin";
const MAGIC: &[u8; 8] = b"FEEDSIMK";
/// Bumped whenever the payload's layout changes.
pub const FORMAT: u32 = 2;
/// The version and a fingerprint of the model's source (see `build.rs`): two builds of
/// one version with different code refuse each other's checkpoints.
const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "+src.", env!("FEEDSIM_SOURCE_HASH"));

/// How the run was asked to go on, kept so `resume` continues it the same way.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Settings {
    /// Checkpoint interval in ticks (0: only when interrupted).
    pub checkpoint_every: u32,
    /// Whether the run writes report.html at the end.
    pub report: bool,
}

/// The payload, generic so a checkpoint is written from borrowed state (no copy of the
/// largest arrays) and read into owned state; postcard encodes both alike.
#[derive(Serialize, Deserialize)]
struct Payload<F, C> {
    scenario: String,
    settings: Settings,
    finished: F,
    current: Option<C>,
    wall_seconds: f64,
}

/// What a checkpoint holds.
#[derive(Debug)]
pub struct Loaded {
    /// The resolved scenario the run was started with.
    pub scenario: Scenario,
    /// The run's settings.
    pub settings: Settings,
    /// Where the run had come to.
    pub progress: Progress,
}

/// Why a checkpoint cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// No checkpoint in the folder.
    #[error(
        "{}: no checkpoint here; a run writes one with --checkpoint-every N or when interrupted, \
         and removes it once it finishes",
        path.display()
    )]
    Missing {
        /// The path looked at.
        path: PathBuf,
    },
    /// Not a checkpoint at all.
    #[error("{}: not a feedsim checkpoint (the file does not start with FEEDSIMK)", path.display())]
    NotCheckpoint {
        /// The file.
        path: PathBuf,
    },
    /// Written by another feedsim version or format.
    #[error(
        "{}: written by feedsim {version} (checkpoint format {format}); this is feedsim {VERSION} \
         (format {FORMAT}). Resume it with feedsim {version}, or start the run again",
        path.display()
    )]
    Version {
        /// The file.
        path: PathBuf,
        /// Version that wrote it.
        version: String,
        /// Format number in it.
        format: u32,
    },
    /// Shorter or longer than its header says.
    #[error(
        "{}: truncated or damaged: the header announces {expected} bytes of state but {found} follow; \
         nothing was loaded",
        path.display()
    )]
    Length {
        /// The file.
        path: PathBuf,
        /// Payload length in the header.
        expected: u64,
        /// Bytes present.
        found: u64,
    },
    /// The checksum does not match.
    #[error("{}: corrupted: the CRC-32 of the state is {found:08x}, the header says {expected:08x}; nothing was loaded", path.display())]
    Checksum {
        /// The file.
        path: PathBuf,
        /// Checksum in the header.
        expected: u32,
        /// Checksum computed.
        found: u32,
    },
    /// Intact bytes that do not decode (a bug, or a format change without a new number).
    #[error("{}: cannot decode the saved state: {reason}", path.display())]
    Decode {
        /// The file.
        path: PathBuf,
        /// What failed.
        reason: String,
    },
    /// Reading failed. The message leaves the reason to `source` (printed by the error
    /// chain).
    #[error("{}: cannot read", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// The checkpoint path of a run folder.
pub fn path_in(dir: &Path) -> PathBuf {
    dir.join(FILE_NAME)
}

/// The checkpoint of rank `rank` of an MPI run over `ranks` ranks: each rank saves the
/// state of its own users, so a run resumes on the same number of ranks. One rank uses
/// the plain [`path_in`].
pub fn rank_path_in(dir: &Path, rank: usize, ranks: usize) -> PathBuf {
    if ranks <= 1 { path_in(dir) } else { dir.join(format!("checkpoint.rank{rank}-of-{ranks}.bin")) }
}

/// Writes the checkpoint of a run in `dir`, replacing the previous one atomically.
pub fn save(dir: &Path, scenario: &Scenario, settings: Settings, at: &ProgressView) -> std::io::Result<()> {
    save_as(&path_in(dir), scenario, settings, at)
}

/// Writes a checkpoint to `path` (in a run folder), replacing it atomically.
pub fn save_as(path: &Path, scenario: &Scenario, settings: Settings, at: &ProgressView) -> std::io::Result<()> {
    let scenario = serde_json::to_string(scenario).map_err(std::io::Error::other)?;
    let payload =
        Payload { scenario, settings, finished: at.finished, current: at.current, wall_seconds: at.wall_seconds };
    let name = path.file_name().map_or(FILE_NAME.into(), |n| n.to_string_lossy());
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = File::create(&tmp)?;
        file.write_all(&header_bytes(0, 0))?;
        let mut body =
            Summing { inner: BufWriter::with_capacity(1 << 20, file), crc: crc32fast::Hasher::new(), len: 0 };
        postcard::to_io(&payload, &mut body).map_err(std::io::Error::other)?;
        let Summing { len, crc, inner } = body;
        let mut file = inner.into_inner().map_err(|e| e.into_error())?;
        let crc = crc.finalize();
        // Patch the length and checksum now that they are known.
        file.seek(SeekFrom::Start(0))?;
        file.write_all(&header_bytes(len, crc))?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Reads and checks the checkpoint of a run folder (or a checkpoint file itself).
pub fn load(dir_or_file: &Path) -> Result<Loaded, CheckpointError> {
    let path = if dir_or_file.is_dir() { path_in(dir_or_file) } else { dir_or_file.to_path_buf() };
    let io = |source| CheckpointError::Io { path: path.clone(), source };
    let mut file = match File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(CheckpointError::Missing { path }),
        Err(e) => return Err(io(e)),
    };
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).map_err(io)?;
    let not_ours = || CheckpointError::NotCheckpoint { path: path.clone() };
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Err(not_ours());
    }
    let mut at = MAGIC.len();
    let mut take = |n: usize| -> Result<&[u8], CheckpointError> {
        let s = bytes.get(at..at + n).ok_or_else(not_ours)?;
        at += n;
        Ok(s)
    };
    let format = u32::from_le_bytes(take(4)?.try_into().expect("4 bytes"));
    let vlen = u16::from_le_bytes(take(2)?.try_into().expect("2 bytes")) as usize;
    let version = String::from_utf8_lossy(take(vlen)?).into_owned();
    if format != FORMAT || version != VERSION {
        return Err(CheckpointError::Version { path, version, format });
    }
    let expected_len = u64::from_le_bytes(take(8)?.try_into().expect("8 bytes"));
    let expected_crc = u32::from_le_bytes(take(4)?.try_into().expect("4 bytes"));
    let body = &bytes[at..];
    if body.len() as u64 != expected_len {
        return Err(CheckpointError::Length { path, expected: expected_len, found: body.len() as u64 });
    }
    let found = crc32fast::hash(body);
    if found != expected_crc {
        return Err(CheckpointError::Checksum { path, expected: expected_crc, found });
    }
    let decode = |reason: String| CheckpointError::Decode { path: path.clone(), reason };
    let payload: Payload<Vec<VariantOutput>, crate::engine::VariantState> =
        postcard::from_bytes(body).map_err(|e| decode(e.to_string()))?;
    let scenario: Scenario = serde_json::from_str(&payload.scenario).map_err(|e| decode(e.to_string()))?;
    Ok(Loaded {
        scenario,
        settings: payload.settings,
        progress: Progress { finished: payload.finished, current: payload.current, wall_seconds: payload.wall_seconds },
    })
}

/// Removes a finished run's checkpoint (a resume of it would have nothing to do).
pub fn remove(dir: &Path) -> std::io::Result<()> {
    remove_file(&path_in(dir))
}

/// Removes a checkpoint file if it exists.
pub fn remove_file(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

fn header_bytes(len: u64, crc: u32) -> Vec<u8> {
    let mut h = Vec::with_capacity(32);
    h.extend_from_slice(MAGIC);
    h.extend_from_slice(&FORMAT.to_le_bytes());
    h.extend_from_slice(&(VERSION.len() as u16).to_le_bytes());
    h.extend_from_slice(VERSION.as_bytes());
    h.extend_from_slice(&len.to_le_bytes());
    h.extend_from_slice(&crc.to_le_bytes());
    h
}

/// A writer that counts and checksums what passes through it.
struct Summing<W: Write> {
    inner: W,
    crc: crc32fast::Hasher,
    len: u64,
}

impl<W: Write> Write for Summing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.crc.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
