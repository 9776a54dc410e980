//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use feedsim::engine::{RunOptions, run};
use feedsim::report::RunOutput;
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

/// Runs a scenario on `threads` threads without progress output.
pub fn run_on(s: &Scenario, threads: usize) -> RunOutput {
    run(s, &RunOptions { threads, on_tick: &|_, _| {}, should_stop: &|| false }).expect("run succeeds")
}
