//! The command line: parse flags, call the library, print. Nothing here is model logic.
//!
//! Exit codes: 0 success, 1 a failure while running or writing, 2 bad input (a scenario
//! error, a bad flag, a run too big for memory).

pub mod bench;
pub mod check;
pub mod decompose;
pub mod sweep;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::engine::plan::{self, MemoryPlan};
use crate::engine::{self, RunOptions};
pub use crate::error::{UsageError, error_chain};
use crate::io::checkpoint;
use crate::io::html::HEADLINE;
use crate::observe::output::RunOutput;
use crate::scenario::{self, Scenario, ScenarioError};

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

/// A flag raised by the first SIGINT or SIGTERM: the run finishes its tick, writes what
/// it has (marked partial) and exits 130. A second signal exits at once.
pub(crate) fn interrupt_flag() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let seen = Arc::clone(&flag);
    // Installing fails only if a handler exists already (a second run in one process);
    // the run then simply cannot be interrupted gracefully.
    let _ = ctrlc::set_handler(move || {
        if seen.swap(true, Ordering::SeqCst) {
            crate::io::outdir::release_all();
            std::process::exit(130);
        }
        eprintln!("\nfeedsim: stopping after the current step and saving what is done; signal again to quit at once");
    });
    flag
}

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
        Command::Run(args) => cmd_run(args),
        Command::Compare(args) => cmd_compare(args),
        Command::Validate(args) => cmd_validate(args),
        Command::Report(args) => cmd_report(&args.dir),
        Command::Sweep(args) => sweep::cmd(args),
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
        Command::Resume(args) => cmd_resume(args),
    }
}

/// Refuses a flag's value outside `lo..=hi` (exit 2), as the flags' parsers do.
fn bounded(flag: &str, value: u64, lo: u64, hi: u64) -> Result<(), UsageError> {
    if (lo..=hi).contains(&value) {
        Ok(())
    } else {
        Err(UsageError(format!("{flag} {value}: out of range: valid values are {lo} to {hi}")))
    }
}

/// Loads the scenario with `--seed` folded into the overrides.
fn load(args: &ScenarioArgs) -> anyhow::Result<Scenario> {
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

fn check_fits(s: &Scenario, plan: &MemoryPlan, max_mib: Option<u64>) -> anyhow::Result<()> {
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

fn cmd_report(dir: &Path) -> anyhow::Result<ExitCode> {
    let path = crate::io::html::write_report(dir).map_err(|e| match e.downcast::<crate::io::html::ReportError>() {
        Ok(bad) => UsageError(bad.to_string()).into(),
        Err(e) => e,
    })?;
    println!("wrote {}", path.display());
    Ok(ExitCode::SUCCESS)
}

fn cmd_validate(args: ValidateArgs) -> anyhow::Result<ExitCode> {
    let (args, json, resolved) = (args.scenario, args.json, args.resolved);
    let s = load(&args)?;
    if resolved {
        for v in &s.variants {
            println!("# variant `{}` of {} ({})\n", v.name, s.name, s.source);
            println!("{}", toml::to_string(&v.params)?);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let plan = MemoryPlan::of(&s);
    if json {
        let mut v = serde_json::to_value(&plan)?;
        v["available_bytes"] = plan::available_bytes().into();
        println!("{v}");
        check_fits(&s, &plan, args.max_memory)?;
        return Ok(ExitCode::SUCCESS);
    }
    let p = s.world_params();
    println!("{}: ok", s.source);
    println!("  scenario      {} (seed {})", s.name, s.seed);
    println!("  variants      {}", s.variants.iter().map(|v| v.name.as_str()).collect::<Vec<_>>().join(", "));
    for (name, keys) in scenario::differing_keys(&s).iter().skip(1) {
        let keys = if keys.is_empty() { "nothing".to_string() } else { keys.join(", ") };
        println!("    `{name}` differs from `{}` in {keys}", s.variants[0].name);
    }
    println!("  users         {}", p.world.users);
    println!("  topics        {}", p.topics.len());
    println!("  creators      {} in {} groups", plan.creators, p.creators.len());
    println!("  ticks         {} per variant", p.ticks);
    println!("  notes         ~{} per variant", plan.notes);
    println!("  social edges  ~{}", plan.social_edges);
    println!("  follow edges  ~{}", plan.follow_edges);
    println!(
        "  memory        {} planned at peak ({} B/user, {} B/note; building the world {}, running {})",
        plan::human_bytes(plan.total_bytes),
        plan.bytes_per_user,
        plan.bytes_per_note,
        plan::human_bytes(plan.build_bytes),
        plan::human_bytes(plan.run_bytes)
    );
    if let Some(avail) = plan::available_bytes() {
        println!("  available     {}", plan::human_bytes(avail));
    }
    check_fits(&s, &plan, args.max_memory)?;
    Ok(ExitCode::SUCCESS)
}

fn cmd_run(args: RunArgs) -> anyhow::Result<ExitCode> {
    // Under an MPI launcher every rank runs this; rank 0 claims the folder, writes the
    // outputs and shows progress, and every rank saves its own checkpoints.
    let comm = crate::cluster::launch();
    let s = load(&args.scenario)?;
    let plan = MemoryPlan::of(&s);
    check_fits(&s, &plan, args.scenario.max_memory)?;
    let out_dir = args.exec.out.clone().unwrap_or_else(|| Path::new("results/runs").join(&s.name));
    // Claimed before running, so a busy or non-empty folder is refused at once.
    let claim =
        (comm.rank() == 0).then(|| crate::io::outdir::claim(&out_dir, args.exec.force).map_err(anyhow::Error::from));
    let Some(_claim) = agree(&*comm, claim)? else { return Ok(ExitCode::from(2)) };
    let settings = checkpoint::Settings { checkpoint_every: args.checkpoint_every, report: args.report };
    execute(&s, &out_dir, settings, &args.exec, engine::Progress::default(), &*comm)
}

/// Rank 0's result of a step only it takes, agreed by every rank, so that none waits in
/// a collective for a rank that quit: rank 0 gets its error, the others `None` (they
/// exit quietly), and on success every rank goes on (`Some`, rank 0 with its value).
fn agree<T>(comm: &dyn crate::cluster::Comm, lead: Option<anyhow::Result<T>>) -> anyhow::Result<Option<Option<T>>> {
    let failed = comm.any(matches!(lead, Some(Err(_))));
    match lead {
        Some(r) => Ok(Some(Some(r?))),
        None if failed => Ok(None),
        None => Ok(Some(None)),
    }
}

fn cmd_resume(args: ResumeArgs) -> anyhow::Result<ExitCode> {
    let comm = crate::cluster::launch();
    let (rank, ranks) = (comm.rank(), comm.size());
    // Each rank continues from its own checkpoint: the same number of ranks as saved it.
    let file = if args.dir.is_dir() { checkpoint::rank_path_in(&args.dir, rank, ranks) } else { args.dir.clone() };
    let loaded = checkpoint::load(&file).map_err(|e| UsageError(error_chain(&e)));
    if comm.any(loaded.is_err()) {
        return match loaded {
            Err(e) => Err(e.into()),
            Ok(_) => Ok(ExitCode::from(2)),
        };
    }
    let loaded = loaded?;
    let s = loaded.scenario;
    let plan = MemoryPlan::of(&s);
    check_fits(&s, &plan, args.max_memory)?;
    // The folder is the run's own: its files are replaced, but never by two processes.
    let claim = (rank == 0).then(|| crate::io::outdir::claim(&args.dir, true).map_err(anyhow::Error::from));
    let Some(_claim) = agree(&*comm, claim)? else { return Ok(ExitCode::from(2)) };
    let mut settings = loaded.settings;
    if let Some(every) = args.checkpoint_every {
        settings.checkpoint_every = every;
    }
    let exec =
        ExecArgs { out: Some(args.dir.clone()), threads: args.threads, quiet: args.quiet || rank > 0, force: true };
    if !exec.quiet {
        let p = &loaded.progress;
        let ticks = p.current.as_ref().map_or(0, |c| c.ticks_done());
        eprintln!(
            "feedsim: resuming `{}` at variant {} of {}, tick {}",
            s.name,
            p.finished.len() + 1,
            s.variants.len(),
            ticks
        );
    }
    execute(&s, &args.dir, settings, &exec, loaded.progress, &*comm)
}

/// Runs (or goes on with) a scenario into a claimed folder: progress, checkpoints,
/// interruption, outputs and the table.
fn execute(
    s: &Scenario,
    out_dir: &Path,
    settings: checkpoint::Settings,
    exec: &ExecArgs,
    from: engine::Progress,
    comm: &dyn crate::cluster::Comm,
) -> anyhow::Result<ExitCode> {
    let lead = comm.rank() == 0;
    let quiet = exec.quiet || !lead;
    let ticks: Vec<u64> = s.variants.iter().map(|v| u64::from(v.params.ticks)).collect();
    let bar = progress(quiet, ticks.iter().sum(), "ticks");
    let names: Vec<String> = s.variants.iter().map(|v| v.name.clone()).collect();
    let on_tick = |vi: usize, done: u32| {
        let before: u64 = ticks[..vi].iter().sum();
        bar.set_message(names[vi].clone());
        bar.set_position(before + u64::from(done));
    };
    let interrupted = interrupt_flag();
    let should_stop = || interrupted.load(Ordering::SeqCst);
    let checkpoint_file = checkpoint::rank_path_in(out_dir, comm.rank(), comm.size());
    let save = |at: &engine::ProgressView| checkpoint::save_as(&checkpoint_file, s, settings, at);
    let checkpoints = engine::Checkpoints { every: settings.checkpoint_every, save: &save };
    let opts = RunOptions { threads: exec.threads, on_tick: &on_tick, should_stop: &should_stop };
    let out = engine::run_on(s, &opts, from, &checkpoints, comm)?;
    bar.finish_and_clear();
    if !lead {
        if !out.summary.partial {
            checkpoint::remove_file(&checkpoint_file)?;
        }
        return Ok(if out.summary.partial { ExitCode::from(130) } else { ExitCode::SUCCESS });
    }
    let mut written =
        out.write_to(out_dir).with_context(|| format!("cannot write the run folder `{}`", out_dir.display()))?;
    if settings.report {
        written.push(crate::io::html::write_report(out_dir)?);
    }
    if !out.summary.partial {
        checkpoint::remove_file(&checkpoint_file)
            .with_context(|| format!("cannot remove the finished run's checkpoint in `{}`", out_dir.display()))?;
    }
    if !quiet {
        print_table(&out);
        println!(
            "\n{} impressions in {:.2} s ({:.2} M/s) on {} threads; peak memory {}",
            out.perf.impressions,
            out.perf.wall_seconds,
            out.perf.impressions_per_second / 1e6,
            out.perf.threads,
            plan::human_bytes(out.perf.peak_rss_bytes)
        );
        if out.perf.ranks > 1 {
            println!(
                "{} ranks; rank 0 sent {} bytes per tick to the ranks' collectives",
                out.perf.ranks, out.perf.bytes_exchanged_per_tick
            );
        }
        println!("wrote {}", written.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "));
    }
    if out.summary.partial {
        eprintln!(
            "feedsim: interrupted; wrote the ticks done so far (summary.json has \"partial\": true) and a \
             checkpoint: go on with `{}feedsim resume {}`",
            if out.perf.ranks > 1 { format!("mpirun -n {} ", out.perf.ranks) } else { String::new() },
            out_dir.display()
        );
        return Ok(ExitCode::from(130));
    }
    Ok(ExitCode::SUCCESS)
}

/// A progress bar on stderr, hidden with `quiet` (and by indicatif when stderr is not a
/// terminal).
pub(crate) fn progress(quiet: bool, len: u64, unit: &str) -> ProgressBar {
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr())
    };
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{{spinner}} {{msg:<24}} [{{bar:32}}] {{pos}}/{{len}} {unit}, {{elapsed}} (eta {{eta}})"
        ))
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar
}

fn cmd_compare(args: CompareArgs) -> anyhow::Result<ExitCode> {
    let s = load(&args.scenario)?;
    let plan = MemoryPlan::of(&s);
    // Replicates run concurrently, one world each per worker thread.
    let workers = if args.exec.threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        args.exec.threads
    };
    let concurrent = workers.min(args.replicates) as u64;
    let mut scaled = plan.clone();
    scaled.total_bytes = plan.total_bytes.saturating_mul(concurrent);
    check_fits(&s, &scaled, args.scenario.max_memory)?;
    let out_dir =
        args.exec.out.clone().unwrap_or_else(|| Path::new("results/runs").join(format!("{}-compare", s.name)));
    let _claim = crate::io::outdir::claim(&out_dir, args.exec.force || args.resume)?;
    let store = crate::io::replicates::ReplicateStore::new(&out_dir);
    let done = if args.resume {
        store.load(&s, args.fixed_world).map_err(UsageError)?
    } else {
        store.start(&s, args.fixed_world).with_context(|| format!("cannot write into `{}`", out_dir.display()))?;
        Vec::new()
    };
    let bar = progress(args.exec.quiet, args.replicates as u64, "replicates");
    bar.set_message(s.name.clone());
    bar.set_position(done.iter().filter(|r| r.index < args.replicates).count() as u64);
    let interrupted = interrupt_flag();
    let should_stop = || interrupted.load(Ordering::SeqCst);
    let save_failed = std::sync::Mutex::new(None);
    let on_done = |r: &crate::study::compare::Replicate| {
        if let Err(e) = store.save(r) {
            save_failed.lock().expect("not poisoned").get_or_insert(e);
        }
        bar.inc(1);
    };
    let pool = engine::thread_pool(args.exec.threads)?;
    let runs = pool.install(|| {
        crate::study::compare::run_replicates(&s, args.replicates, args.fixed_world, done, &should_stop, &on_done)
    });
    bar.finish_and_clear();
    if let Some(e) = save_failed.into_inner().expect("not poisoned") {
        return Err(anyhow::Error::from(e).context(format!("cannot save a replicate in `{}`", out_dir.display())));
    }
    let finished = runs.iter().flatten().count();
    if finished < args.replicates {
        eprintln!(
            "feedsim: interrupted with {finished} of {} replicates done, saved in {}; go on with the same \
             command and --resume",
            args.replicates,
            store.dir().display()
        );
        return Ok(ExitCode::from(130));
    }
    let runs: Vec<_> = runs.into_iter().flatten().collect();
    let cmp = crate::study::compare::summarise_replicates(&s, &runs, args.fixed_world);
    std::fs::create_dir_all(&out_dir).with_context(|| format!("cannot create `{}`", out_dir.display()))?;
    let json = crate::io::json_bytes(&cmp)?;
    crate::io::write_atomic(&out_dir.join("comparison.json"), &json)
        .with_context(|| format!("cannot write into `{}`", out_dir.display()))?;
    crate::io::write_atomic(&out_dir.join("comparison.csv"), &cmp.to_csv()?)
        .with_context(|| format!("cannot write into `{}`", out_dir.display()))?;
    let report = if args.report { Some(crate::io::html::write_report(&out_dir)?) } else { None };
    if !args.exec.quiet {
        print_comparison(&cmp);
        for (variant, u) in &cmp.unpredictability {
            println!("unpredictability of creators' shares ({variant}): {u:.3e} (mean pairwise gap per creator)");
        }
        println!("wrote {}/comparison.json and comparison.csv", out_dir.display());
        if let Some(r) = report {
            println!("wrote {}", r.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Means with intervals per variant, then paired differences.
fn print_comparison(cmp: &crate::study::compare::Comparison) {
    println!("{} replicates of `{}` (mean [95 % CI])", cmp.replicates, cmp.scenario);
    print!("{:<24}", "metric");
    for v in &cmp.variants {
        print!(" {:>30}", v.name);
    }
    for d in &cmp.differences {
        print!(" {:>30}", format!("{} - {}", d.a, d.b));
    }
    println!();
    for (key, label) in HEADLINE.iter().filter(|(k, _)| *k != "impressions") {
        print!("{label:<24}");
        let cell = |e: Option<crate::study::compare::Estimate>| match e {
            Some(e) => format!("{:.4} [{:.4}, {:.4}]", e.mean, e.ci_low, e.ci_high),
            None => "-".into(),
        };
        for v in &cmp.variants {
            print!(" {:>30}", cell(v.metrics.get(*key).copied()));
        }
        for d in &cmp.differences {
            print!(" {:>30}", cell(d.metrics.get(*key).copied()));
        }
        println!();
    }
}

/// The headline metrics, one column per variant.
fn print_table(out: &RunOutput) {
    print!("{:<24}", "metric");
    for v in &out.variants {
        print!(" {:>16}", v.name);
    }
    println!();
    for (key, label) in HEADLINE {
        print!("{label:<24}");
        for v in &out.variants {
            let x = v.metrics.get(key).copied().unwrap_or(0.0);
            if x >= 1000.0 {
                print!(" {:>16.0}", x);
            } else {
                print!(" {:>16.4}", x);
            }
        }
        println!();
    }
}
