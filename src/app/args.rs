//! Every command's flags (clap derive), the bounds a flag accepts, and `--help`'s
//! examples.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use super::*;

/// Simulate social-media content feeds: a two-column feed with a crowd anti-funnel
/// against a single-column feed with follower-weighted traffic pools.
#[derive(Debug, Parser)]
#[command(name = "feedsim", version, about, long_about = None, after_help = EXAMPLES)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

const EXAMPLES: &str = "\
Examples:
  feedsim run scenarios/quickstart.toml
      run both feeds of the quickstart scenario; writes results/runs/quickstart/
  feedsim run scenarios/quickstart.toml --set world.users=200000 --threads 2
      the same at 200 k users on two threads
  feedsim run scenarios/quickstart.toml --set feed.follower_weight=0.1
      switch a mechanism: give every variant the same follower weight
  feedsim run scenarios/xhs_vs_douyin.toml --checkpoint-every 5
      save the state every 5 ticks; after a kill, `feedsim resume results/runs/xhs_vs_douyin`
  feedsim validate scenarios/quickstart.toml
      check the file and print the world's size and planned memory
  feedsim compare scenarios/quickstart.toml --replicates 10 --report
      replicates, 95 % intervals and paired differences, with report.html
  feedsim report results/runs/quickstart
      (re)write report.html for a run, compare, sweep or decompose folder
  feedsim sweep scenarios/quickstart.toml --param feed.follower_weight=0.1,0.45,0.8 --replicates 4
      a grid of compares: sweep.csv and sweep.json
  feedsim decompose scenarios/quickstart.toml --factor feed.audience=crowd_rings,traffic_pools
      effects, interactions and shares of the all-B − all-A difference (repeat --factor)
  feedsim calibrate scenarios/calibrate_example.toml --targets scenarios/targets/calibrate_example.toml \
      --param feed.follower_weight=0:1 --param response.outside_option=2:5 --replicates 4 --budget 48
      fit keys to observed figures: best values, fit table, posterior intervals
  feedsim check
      rerun results/baselines/*.json; exit 1 with a table when a metric moved";

/// Most worker threads a command accepts (`--threads`). A fixed bound rather than a
/// multiple of this machine's cores, so that a command line valid on one machine is valid
/// on every other; far more threads than cores only slow a run down.
pub const MAX_THREADS: u64 = 1024;

/// Most replicates (`--replicates`) of `compare` and `sweep`.
pub const MAX_REPLICATES: u64 = 100_000;

/// Most ticks a scenario runs (as `ticks` in a scenario), so the largest useful
/// `--checkpoint-every` and `bench --ticks`.
pub const MAX_TICKS: u64 = 100_000;

/// Largest `--max-memory`, in MiB (1 EiB).
pub const MAX_MEMORY_MIB: u64 = 1 << 40;

/// A parser for a whole-number flag that refuses a value outside `lo..=hi` (exit 2)
/// naming the value and the range; clap adds the flag's name. `why` says what the bound
/// is for.
pub fn in_range<T>(
    lo: u64,
    hi: u64,
    why: &'static str,
) -> impl Fn(&str) -> Result<T, String> + Clone + Send + Sync + 'static
where
    T: TryFrom<u64>,
{
    move |text: &str| {
        let range = format!("valid values are {lo} to {hi}{why}");
        let value: u64 = text.trim().parse().map_err(|_| format!("not a whole number: {range}"))?;
        if !(lo..=hi).contains(&value) {
            return Err(format!("{value} is out of range: {range}"));
        }
        T::try_from(value).map_err(|_| format!("{value} is out of range: {range}"))
    }
}

/// `--threads`: 0 (all cores) to [`MAX_THREADS`].
pub fn threads_flag(text: &str) -> Result<usize, String> {
    in_range(0, MAX_THREADS, " (0: all cores)")(text)
}

/// `--replicates`: 2 to [`MAX_REPLICATES`].
pub fn replicates_flag(text: &str) -> Result<usize, String> {
    in_range(2, MAX_REPLICATES, " (at least 2 for a confidence interval)")(text)
}

/// `--checkpoint-every`: 0 (only when interrupted) to [`MAX_TICKS`].
pub fn checkpoint_every_flag(text: &str) -> Result<u32, String> {
    in_range(0, MAX_TICKS, " (0: only when interrupted)")(text)
}

/// `--max-memory`: 1 to [`MAX_MEMORY_MIB`] MiB.
pub fn max_memory_flag(text: &str) -> Result<u64, String> {
    in_range(1, MAX_MEMORY_MIB, " MiB")(text)
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run every variant of a scenario and write its run folder.
    #[command(after_help = "The run folder holds summary.json (metrics per variant), timeseries.csv \
(tick,variant,metric,value), creators.csv (one row per creator and variant) and perf.json \
(wall time, impressions per second, peak memory).")]
    Run(RunArgs),
    /// Continue a run from the checkpoint in its folder; the outputs are the same,
    /// byte for byte, as if it had never stopped.
    #[command(
        after_help = "Example:\n  feedsim run scenarios/xhs_vs_douyin.toml --checkpoint-every 5\n  (killed, or Ctrl-C)\n  feedsim resume results/runs/xhs_vs_douyin\n\
The checkpoint holds the resolved scenario, so the scenario file is not read again. A checkpoint \
from another feedsim version, or a damaged one, is refused with the reason (exit 2)."
    )]
    Resume(ResumeArgs),
    /// Run every variant N times with independent seeds: means, 95 % intervals and
    /// paired differences between variants.
    #[command(after_help = "Replicate r runs with seed SEED + r. Variants share each replicate's world and \
notes, so differences are paired by replicate. Writes comparison.json and comparison.csv \
(kind,variant,metric,n,mean,sd,ci_low,ci_high) into the output folder.")]
    Compare(CompareArgs),
    /// Check a scenario, print the world's size and planned memory, refuse what will not fit.
    Validate(ValidateArgs),
    /// Write report.html (charts and tables) from a run, compare, sweep or decompose folder.
    Report(ReportArgs),
    /// Run a grid over scenario keys, each point with replicates: sweep.csv, sweep.json.
    #[command(
        after_help = "Example: feedsim sweep scenarios/quickstart.toml --param feed.follower_weight=0.1,0.4,0.8 \
--param variants.two_column.feed.slate_size=1:5:2 --replicates 4 --report\n\
A plain key applies to every variant (like --set); variants.NAME.key changes one variant only."
    )]
    Sweep(sweep::SweepArgs),
    /// Split a difference into main effects and interactions: a full factorial over
    /// two-level factors, run as one paired compare: decomposition.json, decomposition.csv.
    #[command(
        after_help = "Example: feedsim decompose scenarios/quickstart.toml --factor feed.follower_weight=0.1,0.8 \
--factor feed.audience=crowd_rings,traffic_pools --replicates 8 --report\n\
Each of the 2^k cells is the base variant (the first, or --variant NAME) with the factors' levels \
applied like --set; every cell of replicate r shares its world and seed. Writes decomposition.csv \
(metric,term,estimate,ci_low,ci_high,contribution,share) and decomposition.json."
    )]
    Decompose(decompose::DecomposeArgs),
    /// Fit scenario keys to observed figures: a sequential ABC search over the box with
    /// replicates on common seeds; best values, fit and each value's posterior interval:
    /// calibration.json, calibration.csv.
    #[command(after_help = "Example: feedsim calibrate scenarios/calibrate_example.toml \
--targets scenarios/targets/calibrate_example.toml --param feed.follower_weight=0:1 \
--param response.outside_option=2:5 --replicates 4 --budget 48 --report\n\
TARGETS.toml holds [[target]] tables: metric (a summary.json key), value, source, and optionally \
variant (omitted: every variant), weight and se (the figure's standard error when it is an average). \
The distance is in units of the replicates' noise; a parameter whose 95 % posterior interval covers \
more than half its range is reported as not identified. --budget counts evaluations (each \
--replicates runs); at least 10 per parameter. Ctrl-C keeps what was evaluated; --resume goes on.")]
    Calibrate(calibrate::CalibrateArgs),
    /// Rerun the baselines in results/baselines and fail when a metric moved beyond its
    /// tolerance (exit 1), or rewrite them with --update.
    Check(check::CheckArgs),
    /// Time the quickstart scenario (both feeds) at a given size: impressions per second,
    /// peak memory, time per tick by phase; writes bench.json.
    #[command(after_help = "Example: feedsim bench --users 1000000 --threads 2 --out results/bench/1m-2t")]
    Bench(crate::app::bench::BenchArgs),
}

/// Flags of `report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A folder written by `run`, `compare`, `sweep` or `decompose`.
    pub dir: PathBuf,
}

/// Flags of `validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The scenario and its overrides.
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// Print the memory plan as one JSON object (bytes; `available_bytes` is null where
    /// unknown) instead of the summary.
    #[arg(long)]
    pub json: bool,
    /// Print every variant's parameters as TOML, every key with the value it runs with:
    /// defaults filled in, `extends`, variants and `--set` applied.
    #[arg(long, conflicts_with = "json")]
    pub resolved: bool,
    /// Plan the rank holding most users of a run over this many MPI ranks (1 to 65536).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=65536))]
    pub ranks: u32,
}

/// Flags of `compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The scenario and its overrides.
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// Independent replicates per variant: 2 (the fewest for an interval) to 100000.
    #[arg(long, default_value_t = 10, value_parser = replicates_flag)]
    pub replicates: usize,
    /// Keep the world and the posted notes of the scenario's seed in every replicate and
    /// vary only behaviour; also reports how unpredictable creators' final shares are.
    #[arg(long)]
    pub fixed_world: bool,
    /// Keep the scenario's [catalogue] in every replicate and redraw the users and their
    /// behaviour (the multi-world design); with `metrics.success`, also reports how
    /// unpredictable items' final shares of success are.
    #[arg(long, conflicts_with = "fixed_world")]
    pub fixed_items: bool,
    /// Also write report.html into the output folder.
    #[arg(long)]
    pub report: bool,
    /// Go on with an interrupted compare in the output folder (or add replicates to a
    /// finished one): replicates saved in its replicates/ folder are kept, the others run.
    /// The scenario and overrides must be the ones that started it.
    #[arg(long)]
    pub resume: bool,
    /// Where to write and how to run.
    #[command(flatten)]
    pub exec: ExecArgs,
}

/// Output folder, threads and verbosity, shared by the commands that run simulations.
#[derive(Debug, Args)]
pub struct ExecArgs {
    /// Output folder [default: results/runs/<scenario name> for run, with -compare for compare].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Worker threads, 0 for all cores, at most 1024; results are identical for any number.
    #[arg(long, default_value_t = 0, value_parser = threads_flag)]
    pub threads: usize,
    /// No progress bar and no table.
    #[arg(long)]
    pub quiet: bool,
    /// Write into an output folder that already holds files (same-named files are
    /// replaced, others kept). Without it such a folder is refused.
    #[arg(long)]
    pub force: bool,
}

/// A scenario file and overrides.
#[derive(Debug, Args)]
pub struct ScenarioArgs {
    /// Scenario TOML file (see scenarios/).
    pub scenario: PathBuf,
    /// Override any key for every variant, e.g. `--set world.users=50000`. Repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Override the master seed (any whole number from 0 to 18446744073709551615).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Refuse runs planned above this many MiB, 1 to 1099511627776 (default: the memory
    /// available now).
    #[arg(long, value_name = "MIB", value_parser = max_memory_flag)]
    pub max_memory: Option<u64>,
}

/// Flags of `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The scenario and its overrides.
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// Where to write and how to run.
    #[command(flatten)]
    pub exec: ExecArgs,
    /// Also write report.html into the run folder.
    #[arg(long)]
    pub report: bool,
    /// Save the whole state to RUN_DIR/checkpoint.bin after every N ticks, so a killed
    /// run can go on with `feedsim resume RUN_DIR`. 0: only when interrupted (Ctrl-C,
    /// SIGTERM). At most 100000 (the most ticks a scenario has). The checkpoint is removed
    /// when the run finishes.
    #[arg(long, value_name = "N", default_value_t = 0, value_parser = checkpoint_every_flag)]
    pub checkpoint_every: u32,
}

/// Flags of `resume`.
#[derive(Debug, Args)]
pub struct ResumeArgs {
    /// A run folder holding a checkpoint.bin (written by `run --checkpoint-every N` or by
    /// an interrupted run).
    pub dir: PathBuf,
    /// Worker threads, 0 for all cores, at most 1024; results are identical for any number.
    #[arg(long, default_value_t = 0, value_parser = threads_flag)]
    pub threads: usize,
    /// No progress bar and no table.
    #[arg(long)]
    pub quiet: bool,
    /// Change the checkpoint interval, 0 (only when interrupted) to 100000 [default: the
    /// interrupted run's].
    #[arg(long, value_name = "N", value_parser = checkpoint_every_flag)]
    pub checkpoint_every: Option<u32>,
    /// Refuse to go on if the run is planned above this many MiB, 1 to 1099511627776
    /// (default: the memory available now).
    #[arg(long, value_name = "MIB", value_parser = max_memory_flag)]
    pub max_memory: Option<u64>,
}
