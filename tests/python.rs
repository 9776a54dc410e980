//! The Python package (`python/`) end to end: builds the extension with maturin into a
//! Python environment, then runs its pytest suite against the binary cargo built here.
//!
//! Needs a Python environment with maturin, pytest and pandas: the interpreter named in
//! `FEEDSIM_PYTHON`, else `target/py-venv/bin/python` (`.ci/run` creates that venv and
//! sets the variable). Without one the trials are ignored, with the reason printed, so
//! cargo's summary counts them as ignored; with `CI` set they run and fail.
//!
//! One trial per pytest test function (so cargo's summary counts them and names a
//! failure), but a single pytest process behind them all: pandas and the interpreter
//! start once, and the extension is built once, by the first trial to need it. A
//! parametrised test passes when all of its cases do. A pytest skip fails its trial:
//! everything the suite needs is given here, so a skip would hide a test that never ran.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use libtest_mimic::{Arguments, Failed, Trial};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

const HOW: &str = "create one with `python3 -m venv target/py-venv && target/py-venv/bin/pip install \
                   maturin pytest pandas` (or name an interpreter that has them in FEEDSIM_PYTHON; .ci/run \
                   does this)";

/// The interpreter to use, or why there is none.
fn python() -> Result<PathBuf, String> {
    let python = match std::env::var_os("FEEDSIM_PYTHON") {
        Some(p) => PathBuf::from(p),
        None => Path::new(ROOT).join("target/py-venv/bin/python"),
    };
    if !python.exists() {
        return Err(format!("no Python environment at {}: {HOW}", python.display()));
    }
    let probe = Command::new(&python)
        .args(["-c", "import maturin, pytest, pandas"])
        .output()
        .map_err(|e| format!("cannot start {}: {e}", python.display()))?;
    if !probe.status.success() {
        return Err(format!(
            "{} lacks maturin, pytest or pandas ({}): {HOW}",
            python.display(),
            String::from_utf8_lossy(&probe.stderr).trim()
        ));
    }
    Ok(python)
}

/// The test functions of `python/tests/test_*.py`, as `file.py::name`, found by reading
/// the files (collecting them with pytest would import the extension before it is built).
fn pytest_functions() -> Vec<String> {
    let dir = Path::new(ROOT).join("python/tests");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("python/tests exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("test_") && n.ends_with(".py"))
        })
        .collect();
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&file).unwrap();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("def test_") {
                let func = rest.split('(').next().unwrap();
                out.push(format!("{name}::test_{func}"));
            }
        }
    }
    out
}

/// What the one pytest run gave: each test function's outcomes, and the whole output.
struct Suite {
    /// `file.py::name` → the outcome of each of its cases (`PASSED`, `FAILED`, ...).
    outcomes: BTreeMap<String, Vec<String>>,
    output: String,
}

fn build_and_test(python: &Path) -> Result<Suite, String> {
    // Its own target folder, so the extension's release build (other features, a cdylib)
    // never replaces the artifacts of this `cargo test`.
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| Path::new(ROOT).join("target"), PathBuf::from);
    let prefix =
        Command::new(python).args(["-c", "import sys; print(sys.prefix)"]).output().map_err(|e| e.to_string())?;
    let prefix = String::from_utf8_lossy(&prefix.stdout).trim().to_string();
    let build = Command::new(python)
        .args(["-m", "maturin", "develop", "--release", "--quiet", "--manifest-path"])
        .arg(Path::new(ROOT).join("python/Cargo.toml"))
        .env("CARGO_TARGET_DIR", target.join("python"))
        // maturin installs into the environment VIRTUAL_ENV names.
        .env("VIRTUAL_ENV", &prefix)
        .output()
        .map_err(|e| format!("cannot start maturin: {e}"))?;
    if !build.status.success() {
        return Err(format!(
            "`maturin develop --release` failed ({}):\n{}{}",
            build.status,
            String::from_utf8_lossy(&build.stdout),
            String::from_utf8_lossy(&build.stderr)
        ));
    }
    let run = Command::new(python)
        .args(["-m", "pytest", "python/tests", "-v", "--tb=short", "-p", "no:cacheprovider", "-rs"])
        .current_dir(ROOT)
        .env("FEEDSIM_BIN", env!("CARGO_BIN_EXE_feedsim"))
        .output()
        .map_err(|e| format!("cannot start pytest: {e}"))?;
    let output = format!("{}{}", String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
    // `-v` prints `python/tests/test_x.py::test_y[case] PASSED [ 10%]` per case.
    let mut outcomes: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in output.lines() {
        let Some(rest) = line.strip_prefix("python/tests/") else { continue };
        let mut words = rest.split_whitespace();
        let (Some(id), Some(outcome)) = (words.next(), words.next()) else { continue };
        if !["PASSED", "FAILED", "ERROR", "SKIPPED", "XFAIL", "XPASS"].contains(&outcome) {
            continue;
        }
        let func = id.split('[').next().unwrap().to_string();
        outcomes.entry(func).or_default().push(outcome.to_string());
    }
    if outcomes.is_empty() {
        return Err(format!("pytest ran no tests ({}):\n{output}", run.status));
    }
    Ok(Suite { outcomes, output })
}

/// The part of pytest's report about `func` (its failure section), or all of it.
fn excerpt(output: &str, func: &str) -> String {
    let name = func.rsplit("::").next().unwrap();
    let mut section = Vec::new();
    let mut inside = false;
    for line in output.lines() {
        let header = line.starts_with("___") && line.ends_with("___");
        if header || line.starts_with("===") {
            let title = line.trim_matches(|c| c == '_' || c == '=' || c == ' ');
            inside = header && (title == name || title.starts_with(&format!("{name}[")));
        }
        if inside {
            section.push(line);
        }
    }
    if section.is_empty() { output.to_string() } else { section.join("\n") }
}

fn main() -> std::process::ExitCode {
    let args = Arguments::from_args();
    let found = python();
    let ignore = common::ignore_without(found.as_ref().err().cloned(), "Python package tests");
    let suite: &'static OnceLock<Result<Suite, String>> = Box::leak(Box::new(OnceLock::new()));
    let trials = pytest_functions()
        .into_iter()
        .map(|func| {
            let trial_name = format!("pytest::{}", func.replace(".py::", "::"));
            let found = found.clone();
            Trial::test(trial_name, move || {
                let python = found.map_err(Failed::from)?;
                let suite = suite.get_or_init(|| build_and_test(&python)).as_ref().map_err(|e| e.clone())?;
                match suite.outcomes.get(&func) {
                    None => Err(format!("pytest did not run {func}:\n{}", suite.output).into()),
                    Some(cases) if cases.iter().all(|c| c == "PASSED" || c == "XFAIL") => Ok(()),
                    Some(cases) => {
                        Err(format!("{func}: {}\n{}", cases.join(", "), excerpt(&suite.output, &func)).into())
                    }
                }
            })
            .with_ignored_flag(ignore)
        })
        .collect();
    libtest_mimic::run(&args, trials).exit_code()
}
