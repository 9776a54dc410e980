//! The command line: parse flags, call the library, print. Nothing here is model logic.
//!
//! Exit codes: 0 success, 1 a failure while running or writing, 2 bad input (a scenario
//! error, a bad flag, a run too big for memory).

mod args;
pub mod bench;
pub mod calibrate;
pub mod check;
mod compare;
pub mod decompose;
mod progress;
mod replicates;
mod run;
pub mod sweep;
mod validate;

pub use args::*;
pub use progress::{interrupt_flag, progress};

use std::path::Path;
use std::process::ExitCode;

use crate::engine::plan::{self, MemoryPlan};
pub use crate::error::{UsageError, error_chain};
use crate::scenario::{self, Scenario, ScenarioError};

/// The exit code for an error: 2 for bad input, 1 otherwise.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    if err.downcast_ref::<ScenarioError>().is_some()
        || err.downcast_ref::<UsageError>().is_some()
        || err.downcast_ref::<crate::io::outdir::OutDirError>().is_some_and(|e| e.is_usage())
    {
        2
    } else {
        1
    }
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Run(args) => run::cmd_run(args),
        Command::Compare(args) => compare::cmd_compare(args),
        Command::Validate(args) => validate::cmd_validate(args),
        Command::Report(args) => cmd_report(&args.dir),
        Command::Sweep(args) => sweep::cmd(args),
        Command::Calibrate(args) => calibrate::cmd(args),
        Command::Decompose(args) => decompose::cmd(args),
        Command::Check(args) => {
            // `check`'s flags are declared in check.rs; bounded here like everyone else's.
            bounded("--threads", args.threads as u64, 0, MAX_THREADS)?;
            if let Some(n) = args.replicates {
                bounded("--replicates", n as u64, 2, MAX_REPLICATES)?;
            }
            check::cmd(args)
        }
        Command::Bench(args) => crate::app::bench::cmd(args),
        Command::Resume(args) => run::cmd_resume(args),
    }
}

/// Refuses a flag's value outside `lo..=hi` (exit 2), as the flags' parsers do.
pub(super) fn bounded(flag: &str, value: u64, lo: u64, hi: u64) -> Result<(), UsageError> {
    if (lo..=hi).contains(&value) {
        Ok(())
    } else {
        Err(UsageError(format!("{flag} {value}: out of range: valid values are {lo} to {hi}")))
    }
}

/// Loads the scenario with `--seed` folded into the overrides.
pub(super) fn load(args: &ScenarioArgs) -> anyhow::Result<Scenario> {
    let mut overrides = args.set.clone();
    if let Some(seed) = args.seed {
        overrides.push(format!("seed={seed}"));
    }
    Ok(scenario::load_file(&args.scenario, &overrides)?)
}

/// Refuses a plan above the limit, naming the keys that size a run.
/// Refuses replicates run side by side (one per worker thread, at most `replicates`)
/// whose plans together exceed `--max-memory` or the memory available now: for compare,
/// sweep and decompose, which run whole replicates in parallel.
pub fn check_concurrent_fit(
    source: &str,
    planned: u64,
    (threads, replicates): (usize, usize),
    max_mib: Option<u64>,
) -> Result<(), UsageError> {
    let workers = if threads == 0 { std::thread::available_parallelism().map_or(1, |n| n.get()) } else { threads };
    let concurrent = workers.min(replicates) as u64;
    let limit = max_mib.map(|m| m << 20).or_else(plan::available_bytes);
    if let Some(limit) = limit
        && planned.saturating_mul(concurrent) > limit
    {
        return Err(UsageError(format!(
            "{source}: {concurrent} replicates at once are planned at {} but {} is the limit; lower world.users or --threads",
            plan::human_bytes(planned.saturating_mul(concurrent)),
            plan::human_bytes(limit)
        )));
    }
    Ok(())
}

/// Refuses a plan above `--max-memory` (MiB) or the memory available now, naming the keys
/// that size a run (public for the Python bindings, which refuse the same runs).
pub fn check_fits(s: &Scenario, plan: &MemoryPlan, max_mib: Option<u64>) -> anyhow::Result<()> {
    let limit = match max_mib {
        Some(mib) => Some(mib << 20),
        None => plan::available_bytes(),
    };
    if let Some(limit) = limit
        && plan.total_bytes > limit
    {
        return Err(UsageError(format!(
            "{}: the run is planned at {} but {} {}; lower world.users (now {}), \
             world.friends_mean, ticks or creators' posts_per_tick",
            s.source,
            plan::human_bytes(plan.total_bytes),
            plan::human_bytes(limit),
            if max_mib.is_some() { "is the --max-memory limit" } else { "is available" },
            plan.users,
        ))
        .into());
    }
    Ok(())
}

pub(super) fn cmd_report(dir: &Path) -> anyhow::Result<ExitCode> {
    let path = crate::io::html::write_report(dir).map_err(|e| match e.downcast::<crate::io::html::ReportError>() {
        Ok(bad) => UsageError(bad.to_string()).into(),
        Err(e) => e,
    })?;
    println!("wrote {}", path.display());
    Ok(ExitCode::SUCCESS)
}
