//! numpy's reference kernel (`benches/reference_numpy.py`: the bare kernel of
//! [`super::reference`] vectorised in numpy), run by `feedsim bench --numpy` right after
//! the model and the Rust kernel, so that one run sets the model's speed beside numpy's
//! on the same machine at the same minute.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;
use serde::Deserialize;

use crate::error::UsageError;

/// The one-line install the script's users need.
const INSTALL: &str = "python3 -m pip install \"numpy>=2\"";

/// The script and the interpreter that runs it, checked before the model runs.
#[derive(Debug, Clone)]
pub struct NumpyKernel {
    script: PathBuf,
    python: PathBuf,
}

/// What bench.json takes of the script's `--json` line (its other fields are left).
#[derive(Debug, Clone, Deserialize)]
pub struct NumpyRun {
    /// numpy's version.
    pub numpy_version: String,
    /// Impressions per second.
    pub impressions_per_second: f64,
}

impl NumpyKernel {
    /// Checks that `script` exists and that `python` imports numpy: a bench of minutes
    /// should not find out at its end that the comparison cannot run.
    pub fn check(script: &Path, python: &Path) -> anyhow::Result<NumpyKernel> {
        if !script.is_file() {
            return Err(UsageError(format!(
                "--numpy: `{}` is not a file: give the path of the numpy reference kernel, \
                 benches/reference_numpy.py in the feedsim repository (the default when run from its root)",
                script.display()
            ))
            .into());
        }
        let probe = Command::new(python).args(["-c", "import numpy"]).output().with_context(|| {
            format!("--numpy: cannot start `{}` (--python); install Python 3 and numpy: {INSTALL}", python.display())
        })?;
        if !probe.status.success() {
            anyhow::bail!(
                "--numpy: `{}` cannot import numpy ({}); install it with: {INSTALL}, or name another interpreter with --python",
                python.display(),
                String::from_utf8_lossy(&probe.stderr).trim().lines().last().unwrap_or("no message")
            );
        }
        Ok(NumpyKernel { script: script.to_path_buf(), python: python.to_path_buf() })
    }

    /// Runs the kernel at the Rust kernel's size and seed and reads its figures.
    pub fn run(&self, users: usize, items: usize, seed: u64) -> anyhow::Result<NumpyRun> {
        let out = Command::new(&self.python)
            .arg(&self.script)
            .args(["--users", &users.to_string(), "--items", &items.to_string(), "--seed", &seed.to_string(), "--json"])
            .output()
            .with_context(|| format!("--numpy: cannot start `{}`", self.python.display()))?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            anyhow::bail!(
                "--numpy: `{} {}` failed ({}): {}",
                self.python.display(),
                self.script.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        let line = stdout.lines().last().unwrap_or("");
        let run: NumpyRun = serde_json::from_str(line).with_context(|| {
            format!("--numpy: `{}` printed `{line}`, not the JSON line of its --json", self.script.display())
        })?;
        if !(run.impressions_per_second > 0.0 && run.impressions_per_second.is_finite()) {
            anyhow::bail!(
                "--numpy: `{}` reported {} impressions per second",
                self.script.display(),
                run.impressions_per_second
            );
        }
        Ok(run)
    }
}
