//! Baseline files in `results/baselines/`: listing, reading (older formats included) and
//! finding the scenario a baseline was made from.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::study::check::{BASELINE_FORMAT, Baseline, CheckError, Scale};

/// Finds a baseline's scenario file: as written (relative to the working directory), or
/// relative to the repository that holds `results/baselines/`.
pub fn resolve_scenario(file: &str, baselines_dir: &Path) -> PathBuf {
    let p = PathBuf::from(file);
    if p.is_absolute() || p.exists() {
        return p;
    }
    baselines_dir.ancestors().skip(1).map(|a| a.join(file)).find(|c| c.exists()).unwrap_or(p)
}

/// The baseline files of a folder, by scenario name.
pub fn list(dir: &Path) -> Result<BTreeMap<String, PathBuf>, CheckError> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        CheckError::Input(format!(
            "cannot read the baselines folder `{}`: {e}; make baselines with `feedsim check --update --scenario NAME`",
            dir.display()
        ))
    })?;
    let mut out = BTreeMap::new();
    for entry in entries {
        let path = entry.map_err(|e| CheckError::Input(format!("`{}`: {e}", dir.display())))?.path();
        if path.extension().is_some_and(|e| e == "json")
            && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
        {
            out.insert(stem.to_string(), path);
        }
    }
    Ok(out)
}

/// Reads a baseline file; a format 1 file (no scales) loads with every metric on the
/// linear scale, and every detectable change is derived from the tolerance.
pub fn read(path: &Path) -> Result<Baseline, CheckError> {
    let bytes = std::fs::read(path)
        .map_err(|e| CheckError::Input(format!("cannot read baseline `{}`: {e}", path.display())))?;
    let mut b: Baseline = serde_json::from_slice(&bytes).map_err(|e| {
        CheckError::Input(format!(
            "baseline `{}` is not a feedsim baseline ({e}); regenerate it with `feedsim check --update`",
            path.display()
        ))
    })?;
    if b.format > BASELINE_FORMAT {
        return Err(CheckError::Input(format!(
            "baseline `{}` has format {}, this feedsim reads up to {BASELINE_FORMAT}; use a newer feedsim or \
             regenerate it with `feedsim check --update`",
            path.display(),
            b.format
        )));
    }
    for v in &mut b.variants {
        for (metric, e) in &mut v.metrics {
            if e.scale == Scale::Log1p && (e.log1p_mean.is_none() || e.log1p_sd.is_none()) {
                return Err(CheckError::Input(format!(
                    "baseline `{}`: {}/{metric} is on the log1p scale without log1p_mean and log1p_sd; \
                     regenerate it with `feedsim check --update`",
                    path.display(),
                    v.name
                )));
            }
            e.detectable_change = e.relative_detectable_change();
        }
    }
    Ok(b)
}
