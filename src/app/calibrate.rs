//! `feedsim calibrate`: parses the box and the targets, plans memory, runs each round's
//! points in parallel with a progress bar (each evaluation saved as it finishes), and
//! prints the fit. The method is [`crate::study::calibrate`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::Ordering;

use rayon::prelude::*;

use crate::io::calibration::resumable_history;
use crate::study::calibrate::*;

/// `--budget`: evaluations, 1 to [`MAX_BUDGET`] (the method's minimum is checked
/// against the number of parameters).
pub fn budget_flag(text: &str) -> Result<usize, String> {
    crate::app::in_range(1, MAX_BUDGET as u64, " evaluations, each --replicates runs")(text)
}

/// Flags of `calibrate`.
#[derive(Debug, clap::Args)]
pub struct CalibrateArgs {
    /// The scenario and the overrides applied at every point (`--seed` also seeds the
    /// design's draws).
    #[command(flatten)]
    pub scenario: crate::app::ScenarioArgs,
    /// The observed figures: a TOML file of `[[target]]` tables with metric, value,
    /// source, and optionally variant, weight and se.
    #[arg(long, value_name = "TARGETS.toml")]
    pub targets: PathBuf,
    /// A fitted key and the range searched: `path.to.key=LO:HI` (LO < HI; a whole-number
    /// key, like feed.slate_size, runs with the value rounded); `variants.NAME.path.to.key=LO:HI` changes one variant.
    /// Repeatable, at most 8.
    #[arg(long = "param", value_name = "KEY=LO:HI", required = true)]
    pub params: Vec<String>,
    /// Replicates per evaluation, the same seeds at every point: 2 to 100000.
    #[arg(long, value_parser = crate::app::replicates_flag)]
    pub replicates: usize,
    /// Evaluations (each runs --replicates replicates): at least 10 per parameter.
    #[arg(long, value_name = "RUNS", value_parser = budget_flag)]
    pub budget: usize,
    /// Also write report.html into the output folder.
    #[arg(long)]
    pub report: bool,
    /// Go on with an interrupted calibration in the output folder: the evaluations its
    /// calibration.json holds are kept, the rest are run. The command must be the one
    /// that started it.
    #[arg(long)]
    pub resume: bool,
    /// Where to write and how to run.
    #[command(flatten)]
    pub exec: crate::app::ExecArgs,
}

fn usage(m: impl Into<String>) -> anyhow::Error {
    crate::app::UsageError(m.into()).into()
}

/// Runs `feedsim calibrate`.
pub fn cmd(args: CalibrateArgs) -> anyhow::Result<std::process::ExitCode> {
    use anyhow::Context;
    let params = parse_box(&args)?;
    let d = params.len();
    let sizes = round_sizes(args.budget, d).ok_or_else(|| {
        usage(format!(
            "--budget {}: too small for the method: it needs at least {MIN_BUDGET_PER_PARAM} evaluations per \
             parameter ({} for {d} parameter{}): a space-filling round and a refinement round of at least 5 \
             points per parameter each",
            args.budget,
            MIN_BUDGET_PER_PARAM * d,
            if d == 1 { "" } else { "s" }
        ))
    })?;
    let targets_file = args.targets.display().to_string();
    let text = std::fs::read_to_string(&args.targets)
        .map_err(|e| usage(format!("cannot read the targets file `{targets_file}`: {e}")))?;
    let targets = parse_targets(&text, &targets_file).map_err(usage)?;
    let mut overrides = args.scenario.set.clone();
    if let Some(seed) = args.scenario.seed {
        overrides.push(format!("seed={seed}"));
    }
    let path = &args.scenario.scenario;
    let full = crate::scenario::load_file(path, &overrides)?;
    let mut params = params;
    for p in &mut params {
        p.integer = integer_key(&full, &p.key);
    }
    let params = params;
    let names: Vec<String> = full.variants.iter().map(|v| v.name.clone()).collect();
    for t in &targets {
        if let Some(v) = &t.variant
            && !names.contains(v)
        {
            return Err(usage(format!(
                "{targets_file}:{}: `variant` = \"{v}\": {} has no such variant; its variants are {} (or omit \
                 `variant` for every variant)",
                t.line,
                full.source,
                names.join(", ")
            )));
        }
    }
    // Only the variants a target names run; a target without a variant needs them all.
    let keep: Vec<String> = if targets.iter().any(|t| t.variant.is_none()) {
        Vec::new()
    } else {
        names.iter().filter(|n| targets.iter().any(|t| t.variant.as_ref() == Some(n))).cloned().collect()
    };
    let (first, planned) = load_corners(path, &overrides, &params, &keep)?;
    let terms: Vec<Term> = targets
        .iter()
        .enumerate()
        .flat_map(|(i, t)| {
            first.variants.iter().filter(move |v| t.variant.as_ref().is_none_or(|n| n == &v.name)).map(move |v| Term {
                variant: v.name.clone(),
                metric: t.metric.clone(),
                target: i,
            })
        })
        .collect();
    check_metrics(&first, (&targets, &targets_file), &terms, args.exec.threads)?;
    crate::app::check_concurrent_fit(
        &first.source,
        planned,
        (args.exec.threads, args.replicates * sizes[0]),
        args.scenario.max_memory,
    )?;
    let out_dir =
        args.exec.out.clone().unwrap_or_else(|| Path::new("results/runs").join(format!("{}-calibrate", full.name)));
    let _claim = crate::io::outdir::claim(&out_dir, args.exec.force || args.resume)?;
    let mut doc = CalibrationDoc {
        scenario: full.name.clone(),
        scenario_file: path.display().to_string(),
        targets_file,
        seed: full.seed,
        replicates: args.replicates,
        budget: args.budget,
        feedsim_version: env!("CARGO_PKG_VERSION").to_string(),
        overrides: overrides.clone(),
        method: "ABC population Monte Carlo: a Latin hypercube, then rounds drawn from a shrinking Gaussian \
                 kernel around the weighted points (10 % uniform); Gaussian synthetic-likelihood kernel in \
                 replicate-noise units; importance weights over the mixture of all rounds' proposals"
            .into(),
        params: params.clone(),
        targets: targets.clone(),
        terms: terms.clone(),
        noise: Vec::new(),
        rounds: Vec::new(),
        best: BTreeMap::new(),
        best_distance: None,
        fit: Vec::new(),
        uncertainty: None,
        posterior_draws: Vec::new(),
        history: Vec::new(),
        partial: true,
    };
    if args.resume {
        doc.history = resumable_history(&out_dir, &doc).map_err(usage)?;
    }
    let setup = Setup { params: &params, targets: &targets, terms: &terms, replicates: args.replicates, sizes: &sizes };
    let bar = crate::app::progress(args.exec.quiet, (args.budget * args.replicates) as u64, "replicates");
    bar.set_position((doc.history.len() * args.replicates) as u64);
    let interrupted = crate::app::interrupt_flag();
    let should_stop = || interrupted.load(Ordering::SeqCst);
    let pool = crate::engine::thread_pool(args.exec.threads)?;
    let write = |doc: &CalibrationDoc| {
        doc.write_to(&out_dir).with_context(|| format!("cannot write into `{}`", out_dir.display()))
    };
    let mut proposals: Vec<Proposal> = Vec::new();
    let mut start = 0usize;
    for (ri, &n) in sizes.iter().enumerate() {
        let round = ri + 1;
        if round > 1 {
            let before: Vec<PointDoc> = doc.history.iter().filter(|p| p.round < round).cloned().collect();
            let post = setup.posterior(&before, &proposals);
            proposals.push(setup.proposal(&before, &post));
        }
        let design = setup.design(doc.seed, round, &proposals);
        doc.rounds.push(RoundDoc {
            round,
            points: n,
            design: if round == 1 {
                "Latin hypercube over the box".into()
            } else {
                "Gaussian kernel around the weighted points, 10 % uniform".into()
            },
            kernel_sd: proposals
                .last()
                .filter(|_| round > 1)
                .map(|p| p.sd.iter().zip(&params).map(|(s, r)| s * (r.hi - r.lo)).collect())
                .unwrap_or_default(),
        });
        let todo: Vec<(usize, Vec<f64>)> = design
            .into_iter()
            .enumerate()
            .map(|(i, u)| (start + i, u))
            .filter(|(index, _)| !doc.history.iter().any(|p| p.index == *index))
            .collect();
        // Resumed points must be the ones this design draws.
        for p in doc.history.iter().filter(|p| p.round == round) {
            if p.index < start || p.index >= start + n {
                return Err(usage(format!("--resume: point {} is not in round {round} of this design", p.index)));
            }
        }
        let shared = Mutex::new((std::mem::take(&mut doc.history), None::<anyhow::Error>));
        let shown = |h: &[PointDoc]| {
            let post = setup.posterior(h, &proposals);
            let best = post.distance.iter().copied().fold(f64::INFINITY, f64::min);
            bar.set_message(format!("round {round}/{}, best distance {best:.3}", sizes.len()));
        };
        {
            let g = shared.lock().expect("not poisoned");
            if !g.0.is_empty() {
                shown(&g.0);
            }
        }
        pool.install(|| {
            todo.par_iter().for_each(|(index, u)| {
                if should_stop() {
                    return;
                }
                let values: Vec<f64> = params.iter().zip(u).map(|(r, x)| r.lo + x * (r.hi - r.lo)).collect();
                let Ok(s) = load_at(path, &overrides, &params, &values, &keep) else {
                    let mut g = shared.lock().expect("not poisoned");
                    g.1.get_or_insert_with(|| usage(format!("the point {values:?} does not load")));
                    return;
                };
                let Some(simulated) = evaluate(&s, args.replicates, &terms, &should_stop, &|| bar.inc(1)) else {
                    return;
                };
                let point = params.iter().zip(&values).map(|(r, v)| (r.key.clone(), *v)).collect();
                let p = PointDoc { index: *index, round, point, distance: f64::NAN, weight: f64::NAN, simulated };
                let mut g = shared.lock().expect("not poisoned");
                g.0.push(p);
                let mut snapshot = doc.clone();
                snapshot.history = g.0.clone();
                summarise(&mut snapshot, &setup, &proposals);
                shown(&snapshot.history);
                // Every finished evaluation is saved at once: an interruption loses only
                // the replicates running.
                if let Err(e) = write(&snapshot) {
                    g.1.get_or_insert(e);
                }
            })
        });
        let (mut history, failed) = shared.into_inner().expect("not poisoned");
        // Points finish in any order; the design's order keeps every later sum, and so
        // the next round's draws, the same for any number of threads.
        history.sort_by_key(|p| p.index);
        doc.history = history;
        if let Some(e) = failed {
            return Err(e);
        }
        start += n;
        let done = doc.history.iter().filter(|p| p.round == round).count();
        if done < n {
            summarise(&mut doc, &setup, &proposals);
            write(&doc)?;
            bar.finish_and_clear();
            eprintln!(
                "feedsim: interrupted after {} of {} evaluations; calibration.json holds them (\"partial\": true). \
                 Go on with the same command and --resume",
                doc.history.len(),
                args.budget
            );
            return Ok(std::process::ExitCode::from(130));
        }
    }
    bar.finish_and_clear();
    doc.partial = false;
    summarise(&mut doc, &setup, &proposals);
    let mut written = write(&doc)?;
    if args.report {
        written.push(crate::io::html::write_report(&out_dir)?);
    }
    if !args.exec.quiet {
        print_summary(&doc);
        println!("wrote {}", written.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "));
    }
    Ok(std::process::ExitCode::SUCCESS)
}

/// Loads every corner of the box first, so a key that does not exist or a range end the
/// scenario refuses is reported before anything runs. Returns the first corner's scenario
/// and the largest memory plan of them.
fn load_corners(
    path: &Path,
    overrides: &[String],
    params: &[ParamRange],
    keep: &[String],
) -> anyhow::Result<(crate::scenario::Scenario, u64)> {
    let mut planned = 0u64;
    let mut first = None;
    for corner in 0..(1usize << params.len()) {
        let values: Vec<f64> =
            params.iter().enumerate().map(|(j, p)| if corner >> j & 1 == 1 { p.hi } else { p.lo }).collect();
        let s = load_at(path, overrides, params, &values, keep).map_err(|e| usage(crate::app::error_chain(&e)))?;
        planned = planned.max(crate::engine::plan::MemoryPlan::of(&s).total_bytes);
        first.get_or_insert(s);
    }
    Ok((first.expect("at least one corner"), planned))
}

/// The `--param` box: each key once, at most [`MAX_PARAMS`], none also `--set`.
fn parse_box(args: &CalibrateArgs) -> anyhow::Result<Vec<ParamRange>> {
    let params = args.params.iter().map(|p| parse_param(p)).collect::<Result<Vec<_>, _>>().map_err(usage)?;
    if let Some((_, dup)) = params.iter().enumerate().find(|(i, p)| params[..*i].iter().any(|q| q.key == p.key)) {
        return Err(usage(format!("--param {}: the key is given twice; give each key once", dup.key)));
    }
    if params.len() > MAX_PARAMS {
        return Err(usage(format!("{} --param: at most {MAX_PARAMS} keys are fitted at once", params.len())));
    }
    for p in &params {
        if let Some(set) = args.scenario.set.iter().find(|s| s.split_once('=').is_some_and(|(k, _)| k.trim() == p.key))
        {
            return Err(usage(format!(
                "--param {}: --set {set} gives the same key, and would win; a key is either fitted or set",
                p.key
            )));
        }
    }
    Ok(params)
}

/// Refuses a target metric that summary.json does not have: the metric names a run
/// writes, from one tick of one replicate (cheap next to the budget), so an unknown
/// metric is refused before the calibration starts.
fn check_metrics(
    first: &crate::scenario::Scenario,
    (targets, targets_file): (&[Target], &str),
    terms: &[Term],
    threads: usize,
) -> anyhow::Result<()> {
    let mut probe = first.clone();
    for v in &mut probe.variants {
        v.params.ticks = 1;
    }
    let out = crate::engine::run(&probe, crate::engine::RunOptions::new(threads))?;
    for term in terms {
        let v = out.variants.iter().find(|v| v.name == term.variant).expect("probe runs every kept variant");
        if !v.metrics.contains_key(&term.metric) {
            let t = &targets[term.target];
            let hint =
                closest(&term.metric, v.metrics.keys()).map_or(String::new(), |b| format!("did you mean `{b}`? "));
            return Err(usage(format!(
                "{targets_file}:{}: `metric` = \"{}\": summary.json of variant `{}` has no such metric; {hint}its \
                 metrics are {}",
                t.line,
                term.metric,
                term.variant,
                v.metrics.keys().cloned().collect::<Vec<_>>().join(", ")
            )));
        }
    }
    Ok(())
}

fn print_summary(doc: &CalibrationDoc) {
    println!(
        "{} evaluations × {} replicates of `{}`; best distance {:.3} (noise units, about χ² with {} degrees of freedom at the truth)",
        doc.history.len(),
        doc.replicates,
        doc.scenario,
        doc.best_distance.unwrap_or(f64::NAN),
        doc.terms.len()
    );
    println!("{:<40} {:>12} {:>34}  z (noise units)", "variant.metric", "target", "simulated at best [95 % CI]");
    for f in &doc.fit {
        println!(
            "{:<40} {:>12.5} {:>34}  z {:+.2}",
            format!("{}.{}", f.variant, f.metric),
            f.target,
            format!("{:.5} [{:.5}, {:.5}]", f.mean, f.ci_low, f.ci_high),
            f.z
        );
    }
    if let Some(u) = &doc.uncertainty {
        println!(
            "{:<40} {:>12} {:>34}  (posterior; {:.1} effective points, bandwidth {:.2})",
            "parameter", "best", "median [95 % interval]", u.effective_points, u.bandwidth
        );
        for p in &doc.params {
            let q = &u.params[&p.key];
            println!(
                "{:<40} {:>12.5} {:>34}  {}",
                p.key,
                doc.best[&p.key],
                format!("{:.4} [{:.4}, {:.4}]", q.median, q.low, q.high),
                if q.identified {
                    format!("identified ({:.0} % of the range)", 100.0 * q.range_share)
                } else {
                    format!("NOT identified: the interval covers {:.0} % of the range", 100.0 * q.range_share)
                }
            );
        }
    }
}
