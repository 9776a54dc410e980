//! Reading back the document of an interrupted command (`sweep.json`,
//! `calibration.json`) and refusing to resume it under other settings: the same command
//! must continue it, or the kept results would mix two experiments.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

/// Reads `dir/file`, written by an interrupted `command`.
pub fn read_doc<T: DeserializeOwned>(dir: &Path, file: &str, command: &str) -> Result<(PathBuf, T), String> {
    let path = dir.join(file);
    let text = std::fs::read(&path).map_err(|e| {
        format!("--resume: cannot read {}: {e} (is this the folder of an interrupted {command}?)", path.display())
    })?;
    let doc = serde_json::from_slice(&text)
        .map_err(|e| format!("--resume: {} is not a {file} feedsim wrote: {e}", path.display()))?;
    Ok((path, doc))
}

/// The first setting, of `(what, was, is)` in the order given, that differs between the
/// saved document at `path` and this command, as the refusal to resume.
pub fn same_settings(path: &Path, settings: &[(&str, String, String)]) -> Result<(), String> {
    match settings.iter().find(|(_, was, is)| was != is) {
        Some((what, was, is)) => Err(format!(
            "--resume: {} was written with {what} {was}, this command has {is}; rerun the original command",
            path.display()
        )),
        None => Ok(()),
    }
}
