//! Files and formats: run folders, comparison, sweep and decomposition documents,
//! baselines, checkpoints, output folders, the HTML report and its SVG charts.

pub mod baselines;
pub mod calibration;
pub mod checkpoint;
pub mod comparison;
pub mod decomposition;
pub mod html;
pub mod markup;
pub mod outdir;
pub mod replicates;
pub mod resume;
pub mod run_folder;
pub mod svg;
pub mod sweep;

use std::io::Write;
use std::path::Path;

use serde::Serialize;

/// Pretty JSON with a trailing newline.
pub fn json_bytes<T: Serialize>(value: &T) -> std::io::Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(std::io::Error::other)?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("out");
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
