//! `feedsim bench`: how fast and how big a run is, at a chosen size.
//!
//! It runs a scenario (by default `scenarios/quickstart.toml`, both feeds) with
//! `world.users` and `ticks` overridden, through the same [`engine::run`] as `feedsim
//! run`, prints a table and writes `bench.json`. No model output is written: the figures
//! are wall-clock values and never belong in a run folder's `summary.json`.
//!
//! Figures: impressions over all variants; wall time including the world build;
//! impressions per wall second; peak resident memory of the process (VmHWM, the same
//! value `/usr/bin/time -v` reports); bytes per user (peak over users, so it includes
//! the fixed overhead at small sizes); wall time per tick by phase (each phase summed
//! over variants, divided by the ticks run, i.e. the mean cost of one variant's tick);
//! and the memory `validate` plans for the same run, to check the plan against the peak.
//!
//! Beside the run it times a bare reference kernel ([`reference`]) in the same process,
//! so `ratio_to_reference` compares the model with a bare loop on the same machine; with
//! `--numpy` also the same kernel in numpy ([`numpy`]), for `ratio_to_numpy`.

pub mod numpy;
pub mod reference;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use serde::Serialize;

use crate::engine::plan::{self, MemoryPlan};
use crate::engine::{self, RunOptions};
use crate::observe::output::RunOutput;
use crate::observe::record::PhaseSeconds;
use crate::scenario;

/// Flags of `bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Simulated users (sets `world.users`), 1 to 4294967295.
    #[arg(long, default_value_t = 100_000, value_parser = crate::app::in_range::<u32>(1, u32::MAX.into(), ""))]
    pub users: u32,
    /// Ticks per variant (sets `ticks`), 1 to 100000 [default: the scenario's].
    #[arg(long, value_parser = crate::app::in_range::<u32>(1, crate::app::MAX_TICKS, ""))]
    pub ticks: Option<u32>,
    /// Worker threads, 0 for all cores, at most 1024.
    #[arg(long, default_value_t = 0, value_parser = crate::app::threads_flag)]
    pub threads: usize,
    /// Folder for bench.json (created if missing; an older bench.json is replaced).
    #[arg(long, default_value = "results/bench")]
    pub out: PathBuf,
    /// The scenario to run.
    #[arg(long, default_value = "scenarios/quickstart.toml")]
    pub scenario: PathBuf,
    /// Further overrides, as for `run`, e.g. `--set feed.slate_size=3`. Repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// No progress bar and no table.
    #[arg(long)]
    pub quiet: bool,
    /// Also time the reference kernel in numpy after the model: this script (default
    /// `benches/reference_numpy.py`, from the repository's root), run with `--python`.
    /// Writes `numpy_impressions_per_second` and `ratio_to_numpy` into bench.json. Needs
    /// numpy: `python3 -m pip install "numpy>=2"`.
    #[arg(long, value_name = "SCRIPT", num_args = 0..=1, default_missing_value = "benches/reference_numpy.py")]
    pub numpy: Option<PathBuf>,
    /// The Python interpreter that runs `--numpy`'s script.
    #[arg(long, value_name = "PYTHON", default_value = "python3", requires = "numpy")]
    pub python: PathBuf,
}

/// Phase times per tick, in seconds (mean cost of one variant's tick).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct PhasePerTick {
    /// Creators posting.
    pub post: f64,
    /// Ring cut-offs and candidate pools.
    pub distribute: f64,
    /// The parallel user phase: slates, choices, engagement, learning.
    pub choose_engage: f64,
    /// Stage reviews.
    pub review: f64,
    /// Crediting counters and tick metrics.
    pub account: f64,
}

/// One variant's share of the run: which feed costs what.
#[derive(Debug, Clone, Serialize)]
pub struct VariantFigures {
    /// Variant name.
    pub name: String,
    /// Impressions over the variant's ticks.
    pub impressions: u64,
    /// Decisions users made (feed slates, searches, follow-feed looks).
    pub decisions: u64,
    /// Wall-clock seconds of the variant's user phase.
    pub user_phase_seconds: f64,
    /// Wall-clock nanoseconds of the user phase per impression.
    pub user_phase_ns_per_impression: f64,
}

/// The `bench.json` document.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    /// Scenario name.
    pub scenario: String,
    /// feedsim version.
    pub feedsim_version: &'static str,
    /// Simulated users.
    pub users: u32,
    /// Ticks per variant.
    pub ticks: u32,
    /// Variants run.
    pub variants: usize,
    /// Worker threads.
    pub threads: usize,
    /// Impressions over all variants.
    pub impressions: u64,
    /// Wall-clock seconds, world building included.
    pub wall_seconds: f64,
    /// Seconds spent building the world (wall time outside the tick phases).
    pub world_seconds: f64,
    /// Impressions per wall-clock second.
    pub impressions_per_second: f64,
    /// CPU seconds of the process (user + system, all threads), world build included.
    /// On a shared machine this is steadier than wall time.
    pub cpu_seconds: f64,
    /// Impressions per CPU second (per core-second).
    pub impressions_per_cpu_second: f64,
    /// Wall-clock nanoseconds per impression of the user phase alone.
    pub user_phase_ns_per_impression: f64,
    /// Peak resident memory of the process (VmHWM), bytes.
    pub peak_rss_bytes: u64,
    /// Peak resident memory per simulated user.
    pub bytes_per_user: f64,
    /// Memory `feedsim validate` plans for this run, bytes.
    pub planned_bytes: u64,
    /// Bytes held by the world's arrays.
    pub world_bytes: usize,
    /// Seconds per phase, summed over variants and ticks.
    pub phase_seconds: PhaseSeconds,
    /// Seconds per phase per tick (mean over variants' ticks).
    pub phase_seconds_per_tick: PhasePerTick,
    /// Impressions per second of the bare reference kernel ([`reference`]: a 4-item logit
    /// feed, 1 M users, 100 k items, one thread), timed in the same process.
    pub reference_impressions_per_second: f64,
    /// `impressions_per_second / reference_impressions_per_second`: the full model's
    /// speed as a share of the bare loop's on this machine.
    pub ratio_to_reference: f64,
    /// Impressions per second of the same kernel in numpy (`--numpy`:
    /// `benches/reference_numpy.py`, run after the model); null without `--numpy`.
    pub numpy_impressions_per_second: Option<f64>,
    /// `impressions_per_second / numpy_impressions_per_second`; null without `--numpy`.
    pub ratio_to_numpy: Option<f64>,
    /// numpy's version; null without `--numpy`.
    pub numpy_version: Option<String>,
    /// Each variant's impressions and user-phase time, in the scenario's order.
    pub by_variant: Vec<VariantFigures>,
}

impl BenchReport {
    /// The figures of a finished run.
    pub fn of(out: &RunOutput, planned_bytes: u64, cpu_seconds: f64, reference: &reference::KernelRun) -> BenchReport {
        let perf = &out.perf;
        let ticks_run: u32 = out.variants.iter().map(|v| v.ticks.len() as u32).sum();
        let per = |x: f64| if ticks_run > 0 { x / f64::from(ticks_run) } else { 0.0 };
        let ph = perf.phase_seconds;
        let in_phases = ph.post + ph.distribute + ph.choose_engage + ph.review + ph.account;
        BenchReport {
            scenario: out.summary.scenario.clone(),
            feedsim_version: env!("CARGO_PKG_VERSION"),
            users: perf.users,
            ticks: perf.ticks,
            variants: perf.variants,
            threads: perf.threads,
            impressions: perf.impressions,
            wall_seconds: perf.wall_seconds,
            world_seconds: (perf.wall_seconds - in_phases).max(0.0),
            impressions_per_second: perf.impressions_per_second,
            cpu_seconds,
            impressions_per_cpu_second: if cpu_seconds > 0.0 { perf.impressions as f64 / cpu_seconds } else { 0.0 },
            user_phase_ns_per_impression: if perf.impressions > 0 {
                ph.choose_engage * 1e9 / perf.impressions as f64
            } else {
                0.0
            },
            peak_rss_bytes: perf.peak_rss_bytes,
            bytes_per_user: perf.peak_rss_bytes as f64 / f64::from(perf.users.max(1)),
            planned_bytes,
            world_bytes: perf.world_bytes,
            phase_seconds: ph,
            phase_seconds_per_tick: PhasePerTick {
                post: per(ph.post),
                distribute: per(ph.distribute),
                choose_engage: per(ph.choose_engage),
                review: per(ph.review),
                account: per(ph.account),
            },
            reference_impressions_per_second: reference.impressions_per_second(),
            ratio_to_reference: if reference.impressions_per_second() > 0.0 {
                perf.impressions_per_second / reference.impressions_per_second()
            } else {
                0.0
            },
            numpy_impressions_per_second: None,
            ratio_to_numpy: None,
            numpy_version: None,
            by_variant: out
                .variants
                .iter()
                .map(|v| {
                    let impressions = v.ticks.iter().map(|t| t.impressions).sum();
                    let seconds = v.phase_seconds.choose_engage;
                    VariantFigures {
                        name: v.name.clone(),
                        impressions,
                        decisions: v.ticks.iter().map(|t| t.decisions).sum(),
                        user_phase_seconds: seconds,
                        user_phase_ns_per_impression: if impressions > 0 {
                            seconds * 1e9 / impressions as f64
                        } else {
                            0.0
                        },
                    }
                })
                .collect(),
        }
    }

    /// Adds numpy's figures (`--numpy`).
    pub fn with_numpy(mut self, run: &numpy::NumpyRun) -> BenchReport {
        self.numpy_impressions_per_second = Some(run.impressions_per_second);
        self.ratio_to_numpy = Some(self.impressions_per_second / run.impressions_per_second);
        self.numpy_version = Some(run.numpy_version.clone());
        self
    }

    /// The table `feedsim bench` prints.
    pub fn table(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{:>10} {:>6} {:>7} {:>14} {:>9} {:>13} {:>11} {:>10}",
            "users", "ticks", "threads", "impressions", "wall s", "impressions/s", "peak RSS", "bytes/user"
        );
        let _ = writeln!(
            s,
            "{:>10} {:>6} {:>7} {:>14} {:>9.2} {:>11.2} M {:>11} {:>10.0}",
            self.users,
            self.ticks,
            self.threads,
            self.impressions,
            self.wall_seconds,
            self.impressions_per_second / 1e6,
            plan::human_bytes(self.peak_rss_bytes),
            self.bytes_per_user
        );
        let _ = writeln!(
            s,
            "\nphase (per tick of one variant)    ms/tick   share of wall\n{:<32} {:>9.2} {:>14.1} %",
            "world build (once, whole run)",
            self.world_seconds * 1e3,
            100.0 * self.world_seconds / self.wall_seconds.max(1e-12)
        );
        let p = &self.phase_seconds;
        let t = &self.phase_seconds_per_tick;
        for (name, total, per) in [
            ("post", p.post, t.post),
            ("distribute", p.distribute, t.distribute),
            ("choose + engage (users)", p.choose_engage, t.choose_engage),
            ("review", p.review, t.review),
            ("account + metrics", p.account, t.account),
        ] {
            let _ =
                writeln!(s, "{:<32} {:>9.2} {:>14.1} %", name, per * 1e3, 100.0 * total / self.wall_seconds.max(1e-12));
        }
        let _ = writeln!(
            s,
            "\nCPU time {:.2} s ({:.2} M impressions per CPU second)",
            self.cpu_seconds,
            self.impressions_per_cpu_second / 1e6
        );
        let _ = writeln!(
            s,
            "user phase: {:.1} ns per impression; planned memory {} (peak / plan = {:.2})",
            self.user_phase_ns_per_impression,
            plan::human_bytes(self.planned_bytes),
            self.peak_rss_bytes as f64 / self.planned_bytes.max(1) as f64
        );
        for v in &self.by_variant {
            let _ = writeln!(
                s,
                "  {}: {} impressions, {:.2} per decision, user phase {:.1} ns per impression",
                v.name,
                v.impressions,
                v.impressions as f64 / v.decisions.max(1) as f64,
                v.user_phase_ns_per_impression
            );
        }
        let _ = writeln!(
            s,
            "reference kernel (4-item logit feed, {} M users, {} k items, 1 thread): {:.2} M impressions/s; \
             the model runs at {:.3} × it",
            reference::USERS / 1_000_000,
            reference::ITEMS / 1_000,
            self.reference_impressions_per_second / 1e6,
            self.ratio_to_reference
        );
        if let (Some(ips), Some(ratio), Some(version)) =
            (self.numpy_impressions_per_second, self.ratio_to_numpy, &self.numpy_version)
        {
            let _ = writeln!(
                s,
                "numpy reference kernel (the same feed in numpy {version}, 1 thread): {:.2} M impressions/s; \
                 the model runs at {ratio:.3} × it",
                ips / 1e6
            );
        }
        s
    }
}

/// CPU seconds (user + system) of this process and all its threads, from
/// `/proc/self/stat` (in clock ticks of 1/100 s, Linux's USER_HZ); `None` elsewhere.
pub fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces) start at field 3 (state);
    // utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let mut f = rest.split_whitespace().skip(11);
    let utime: u64 = f.next()?.parse().ok()?;
    let stime: u64 = f.next()?.parse().ok()?;
    Some((utime + stime) as f64 / 100.0)
}

/// Runs `feedsim bench`.
pub fn cmd(args: BenchArgs) -> anyhow::Result<ExitCode> {
    let mut overrides = vec![format!("world.users={}", args.users)];
    if let Some(t) = args.ticks {
        overrides.push(format!("ticks={t}"));
    }
    overrides.extend(args.set.iter().cloned());
    let s = scenario::load_file(&args.scenario, &overrides)?;
    let numpy = match &args.numpy {
        Some(script) => Some(numpy::NumpyKernel::check(script, &args.python)?),
        None => None,
    };
    let planned = MemoryPlan::of(&s).total_bytes;
    let ticks_total: u64 = s.variants.iter().map(|v| u64::from(v.params.ticks)).sum();
    let bar = crate::app::progress(args.quiet, ticks_total, "ticks");
    bar.set_message("bench");
    let ticks: Vec<u64> = s.variants.iter().map(|v| u64::from(v.params.ticks)).collect();
    let on_tick = |vi: usize, done: u32| bar.set_position(ticks[..vi].iter().sum::<u64>() + u64::from(done));
    let out = engine::run(&s, RunOptions { on_tick: &on_tick, ..RunOptions::new(args.threads) })?;
    // CPU seconds are the model run's: read before the reference kernel runs.
    let cpu = cpu_seconds().unwrap_or(0.0);
    bar.set_message("reference kernel");
    let kernel = reference::run(reference::USERS, reference::ITEMS, s.seed);
    let mut bench = BenchReport::of(&out, planned, cpu, &kernel);
    // A failed numpy run loses nothing: bench.json is written without its figures, then
    // the error is reported.
    let mut numpy_failed = None;
    if let Some(numpy) = &numpy {
        bar.set_message("numpy reference kernel");
        match numpy.run(reference::USERS, reference::ITEMS, s.seed) {
            Ok(run) => bench = bench.with_numpy(&run),
            Err(e) => numpy_failed = Some(e),
        }
    }
    bar.finish_and_clear();
    std::fs::create_dir_all(&args.out).with_context(|| format!("cannot create `{}`", args.out.display()))?;
    let path = args.out.join("bench.json");
    crate::io::write_atomic(&path, &crate::io::json_bytes(&bench)?)
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    if !args.quiet {
        print!("{}", bench.table());
        println!("wrote {}", path.display());
    }
    match numpy_failed {
        Some(e) => Err(e.context(format!("{} holds the model's figures without numpy's", path.display()))),
        None => Ok(ExitCode::SUCCESS),
    }
}
