//! `feedsim sweep`: loads every grid point, checks memory, runs each point as a compare
//! with a progress bar, saves after every point and prints the Gini table. The grid and
//! its document are in [`crate::study::sweep`].

use std::path::Path;

use crate::io::sweep::resumable_points;
use crate::study::sweep::{SweepDoc, grid, load_point, parse_param, point_doc};

/// Flags of `sweep`.
#[derive(Debug, clap::Args)]
pub struct SweepArgs {
    /// The scenario and the overrides applied at every grid point.
    #[command(flatten)]
    pub scenario: crate::app::ScenarioArgs,
    /// A swept key: `path.to.key=a,b,c` or `path.to.key=START:STOP:STEP` (inclusive);
    /// `variants.NAME.path.to.key=…` changes one variant only. Repeatable: the grid is
    /// the product.
    #[arg(long = "param", value_name = "KEY=LIST_OR_RANGE", required = true)]
    pub params: Vec<String>,
    /// Replicates per grid point: 2 (the fewest for an interval) to 100000.
    #[arg(long, default_value_t = 10, value_parser = crate::app::replicates_flag)]
    pub replicates: usize,
    /// Also write report.html into the output folder.
    #[arg(long)]
    pub report: bool,
    /// Go on with an interrupted sweep in the output folder: the points its sweep.json
    /// holds are kept, the rest are run. The command must be the one that started it.
    #[arg(long)]
    pub resume: bool,
    /// Where to write and how to run.
    #[command(flatten)]
    pub exec: crate::app::ExecArgs,
}

/// Runs `feedsim sweep`.
pub fn cmd(args: SweepArgs) -> anyhow::Result<std::process::ExitCode> {
    use crate::app::UsageError;
    use anyhow::Context;
    let params = args
        .params
        .iter()
        .map(|p| parse_param(p))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| UsageError(e.to_string()))?;
    if let Some(dup) = params.iter().enumerate().find(|(i, p)| params[..*i].iter().any(|q| q.key == p.key)) {
        return Err(UsageError(format!("--param {}: the key is swept twice", dup.1.key)).into());
    }
    let mut overrides = args.scenario.set.clone();
    if let Some(seed) = args.scenario.seed {
        overrides.push(format!("seed={seed}"));
    }
    let points = grid(&params);
    // Load every point first, so a bad value is refused before anything runs.
    let scenarios = points
        .iter()
        .map(|values| load_point(&args.scenario.scenario, &overrides, &params, values))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| UsageError(crate::app::error_chain(&e)))?;
    let first = &scenarios[0];
    let planned = scenarios.iter().map(|s| crate::engine::plan::MemoryPlan::of(s).total_bytes).max().unwrap_or(0);
    crate::app::check_concurrent_fit(
        &first.source,
        planned,
        (args.exec.threads, args.replicates),
        args.scenario.max_memory,
    )?;
    let out_dir =
        args.exec.out.clone().unwrap_or_else(|| Path::new("results/runs").join(format!("{}-sweep", first.name)));
    // Claimed before running, so a busy or non-empty folder is refused at once; a resumed
    // sweep writes into its own folder.
    let _claim = crate::io::outdir::claim(&out_dir, args.exec.force || args.resume)?;
    let mut doc = SweepDoc {
        scenario: first.name.clone(),
        scenario_file: args.scenario.scenario.display().to_string(),
        seed: first.seed,
        replicates: args.replicates,
        feedsim_version: env!("CARGO_PKG_VERSION").to_string(),
        overrides,
        params,
        points: Vec::with_capacity(points.len()),
        partial: true,
    };
    if args.resume {
        doc.points = resumable_points(&out_dir, &doc, &points).map_err(UsageError)?;
    }
    let total = (points.len() * args.replicates) as u64;
    let bar = crate::app::progress(args.exec.quiet, total, "replicates");
    bar.set_position((doc.points.len() * args.replicates) as u64);
    let interrupted = crate::app::interrupt_flag();
    let pool = crate::engine::thread_pool(args.exec.threads)?;
    let write =
        |doc: &SweepDoc| doc.write_to(&out_dir).with_context(|| format!("cannot write into `{}`", out_dir.display()));
    for (values, s) in points.iter().zip(&scenarios).skip(doc.points.len()) {
        bar.set_message(
            doc.params.iter().zip(values).map(|(p, v)| format!("{}={v}", short(&p.key))).collect::<Vec<_>>().join(" "),
        );
        let cmp = pool.install(|| crate::study::compare::compare(s, args.replicates, &|| bar.inc(1)));
        doc.points.push(point_doc(values.clone(), &cmp));
        doc.partial = doc.points.len() < points.len();
        // Every finished point is saved at once: an interrupted sweep loses at most the
        // point it was running.
        write(&doc)?;
        if doc.partial && interrupted.load(std::sync::atomic::Ordering::SeqCst) {
            bar.finish_and_clear();
            eprintln!(
                "feedsim: interrupted after {} of {} points; sweep.json holds them (\"partial\": true). \
                 Go on with the same command and --resume",
                doc.points.len(),
                points.len()
            );
            return Ok(std::process::ExitCode::from(130));
        }
    }
    bar.finish_and_clear();
    let mut written = write(&doc)?;
    if args.report {
        written.push(crate::io::html::write_report(&out_dir)?);
    }
    if !args.exec.quiet {
        print_table(&doc);
        println!("wrote {}", written.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "));
    }
    Ok(std::process::ExitCode::SUCCESS)
}

fn short(key: &str) -> &str {
    key.rsplit('.').next().unwrap_or(key)
}

/// The creator-Gini difference (the C1 measure) per grid point and variant pair.
fn print_table(doc: &SweepDoc) {
    let metric = "creator_impressions_gini";
    let widths: Vec<usize> = doc.params.iter().map(|p| p.key.chars().count().max(8) + 2).collect();
    for (p, w) in doc.params.iter().zip(&widths) {
        print!("{:>w$}", p.key);
    }
    let pairs: Vec<String> = doc
        .points
        .first()
        .map(|p| p.differences.iter().map(|d| format!("{} - {}", d.a, d.b)).collect())
        .unwrap_or_default();
    for pair in &pairs {
        print!(" {:>34}", format!("Gini {pair}"));
    }
    println!();
    for p in &doc.points {
        for (v, w) in p.values.iter().zip(&widths) {
            print!("{v:>w$}");
        }
        for d in &p.differences {
            let cell = d.metrics.get(metric).map_or("-".into(), |e| {
                let star = if e.ci_low > 0.0 || e.ci_high < 0.0 { "*" } else { " " };
                format!("{:.4} [{:.4}, {:.4}]{star}", e.mean, e.ci_low, e.ci_high)
            });
            print!(" {cell:>34}");
        }
        println!();
    }
    println!("(* the 95 % interval excludes 0)");
}
