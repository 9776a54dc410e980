//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use feedsim::engine::{RunOptions, run};
use feedsim::observe::output::RunOutput;
use feedsim::scenario::{Scenario, load_file};

/// Path of a shipped scenario.
pub fn scenario_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(name)
}

/// Loads a shipped scenario with overrides.
pub fn load(name: &str, overrides: &[&str]) -> Scenario {
    let o: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    load_file(&scenario_path(name), &o).expect("shipped scenario loads")
}

/// A libtest-mimic trial of a plain test function, for the test files that run their own
/// harness (so that a test needing a missing tool shows as ignored).
pub fn trial(name: &str, test: fn()) -> libtest_mimic::Trial {
    libtest_mimic::Trial::test(name, move || {
        test();
        Ok(())
    })
}

/// Runs a scenario on `threads` threads without progress output.
pub fn run_on(s: &Scenario, threads: usize) -> RunOutput {
    run(s, RunOptions::new(threads)).expect("run succeeds")
}

/// `feedsim run quickstart --quiet --threads 1 --out OUT` with `extra` flags, in the
/// background (stdout discarded, stderr piped).
pub fn spawn_quickstart(out: &Path, extra: &[&str]) -> std::process::Child {
    std::process::Command::new(assert_cmd::cargo::cargo_bin("feedsim"))
        .args(["run", scenario_path("quickstart.toml").to_str().unwrap(), "--quiet", "--threads", "1"])
        .args(["--out", out.to_str().unwrap()])
        .args(extra)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits (polling every 5 ms) until `path` exists; fails after a minute.
pub fn wait_for(path: &Path) {
    let start = std::time::Instant::now();
    while !path.exists() {
        assert!(start.elapsed().as_secs() < 60, "{} never appeared", path.display());
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// Whether tests that need a tool this machine lacks are to be marked ignored: `missing`
/// says what is missing and how to install it (`None`: nothing is, they run). Without
/// `CI` in the environment they are ignored, so that cargo's summary counts them as
/// "ignored" (never as passed), and the reason is printed; under CI (`CI` set, as
/// `.ci/run` has it) they run and fail with the install hint.
pub fn ignore_without(missing: Option<String>, tests: &str) -> bool {
    let Some(why) = missing else { return false };
    if std::env::var_os("CI").is_some() {
        eprintln!("note: {why}; CI is set, so the {tests} run and fail");
        return false;
    }
    eprintln!("note: the {tests} are ignored (with CI set they run, and fail): {why}");
    true
}
