//! `feedsim run` and `feedsim resume`: one driver that plans memory, runs with a progress
//! bar and checkpoints (on one process or as one MPI rank), writes the run folder and
//! prints the headline table.

use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::Ordering;

use anyhow::Context;

use super::*;
use crate::engine::plan::{self, MemoryPlan};
use crate::engine::{self, RunOptions};
use crate::io::checkpoint;
use crate::observe::output::RunOutput;
use crate::observe::registry::HEADLINE;
use crate::scenario::Scenario;

pub(super) fn cmd_run(args: RunArgs) -> anyhow::Result<ExitCode> {
    // Under an MPI launcher every rank runs this; rank 0 claims the folder, writes the
    // outputs and shows progress, and every rank saves its own checkpoints.
    let comm = crate::cluster::launch();
    let s = load(&args.scenario)?;
    // Each rank checks its own share (ranks on one machine each see what is available).
    let plan = MemoryPlan::on_ranks(&s, comm.size());
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

pub(super) fn cmd_resume(args: ResumeArgs) -> anyhow::Result<ExitCode> {
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
    let plan = MemoryPlan::on_ranks(&s, ranks);
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
    let opts = RunOptions {
        threads: engine::Threads::Pool(exec.threads),
        on_tick: &on_tick,
        should_stop: &should_stop,
        from,
        checkpoints: Some(&checkpoints),
        comm,
    };
    let out = engine::run(s, opts)?;
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
            let by_rank: Vec<String> =
                out.perf.bytes_exchanged_per_tick_by_rank.iter().map(|b| b.to_string()).collect();
            println!(
                "{} ranks; bytes each sent per tick to the ranks' collectives (rank 0 first): {}",
                out.perf.ranks,
                by_rank.join(", ")
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
