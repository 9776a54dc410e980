//! `feedsim decompose`: checks the factors, plans memory, runs the design's cells as one
//! paired compare with a progress bar, saves replicates as they finish and prints the
//! effects table. The design and its estimates are in [`crate::study::decompose`].

use std::path::Path;

use crate::io::decomposition::same_cells;
use crate::scenario;
use crate::study::decompose::*;

/// Flags of `decompose`.
#[derive(Debug, clap::Args)]
pub struct DecomposeArgs {
    /// The scenario and the overrides applied to every cell before the factors.
    #[command(flatten)]
    pub scenario: crate::app::ScenarioArgs,
    /// A factor with two levels: `path.to.key=A,B` (any key `--set` accepts). Repeatable,
    /// at most 6: the design is the full factorial, 2^k cells.
    #[arg(long = "factor", value_name = "KEY=A,B", required = true)]
    pub factors: Vec<String>,
    /// The variant the cells start from [default: the scenario's first].
    #[arg(long, value_name = "NAME")]
    pub variant: Option<String>,
    /// Replicates per cell: 2 (the fewest for an interval) to 100000.
    #[arg(long, default_value_t = 10, value_parser = crate::app::replicates_flag)]
    pub replicates: usize,
    /// Also write report.html into the output folder.
    #[arg(long)]
    pub report: bool,
    /// Go on with an interrupted decompose in the output folder: replicates saved in its
    /// replicates/ folder are kept, the others run. The command must be the one that
    /// started it.
    #[arg(long)]
    pub resume: bool,
    /// Where to write and how to run.
    #[command(flatten)]
    pub exec: crate::app::ExecArgs,
}

/// Runs `feedsim decompose`.
pub fn cmd(args: DecomposeArgs) -> anyhow::Result<std::process::ExitCode> {
    use crate::app::UsageError;
    use anyhow::Context;

    let factors = args.factors.iter().map(|f| parse_factor(f)).collect::<Result<Vec<_>, _>>().map_err(UsageError)?;
    if let Some((_, dup)) = factors.iter().enumerate().find(|(i, f)| factors[..*i].iter().any(|g| g.key == f.key)) {
        return Err(usage(format!("--factor {}: the key is given twice; give each factor once", dup.key)));
    }
    if factors.len() > MAX_FACTORS {
        return Err(usage(format!(
            "{} factors make {} cells: at most {MAX_FACTORS} factors ({} cells); split the question into \
             smaller designs",
            factors.len(),
            1u128 << factors.len().min(100),
            1 << MAX_FACTORS
        )));
    }
    for f in &factors {
        if let Some(set) = args.scenario.set.iter().find(|s| s.split_once('=').is_some_and(|(k, _)| k.trim() == f.key))
        {
            return Err(usage(format!(
                "--factor {}: --set {set} gives the same key; a key is either a factor or a --set",
                f.key
            )));
        }
    }
    let mut overrides = args.scenario.set.clone();
    if let Some(seed) = args.scenario.seed {
        overrides.push(format!("seed={seed}"));
    }
    let full = scenario::load_file(&args.scenario.scenario, &overrides)?;
    let base = match &args.variant {
        None => &full.variants[0],
        Some(name) => full.variants.iter().find(|v| &v.name == name).ok_or_else(|| {
            usage(format!(
                "--variant {name}: {} has no variant `{name}`; its variants are {}",
                full.source,
                full.variants.iter().map(|v| v.name.as_str()).collect::<Vec<_>>().join(", ")
            ))
        })?,
    };
    let cell_docs = cells(&factors);
    let s = cell_scenario(&base.params, &full.source, &factors, &cell_docs)?;
    let planned = crate::engine::plan::MemoryPlan::of(&s).total_bytes;
    crate::app::check_concurrent_fit(
        &s.source,
        planned,
        (args.exec.threads, args.replicates),
        args.scenario.max_memory,
    )?;
    let out_dir =
        args.exec.out.clone().unwrap_or_else(|| Path::new("results/runs").join(format!("{}-decompose", s.name)));
    // Claimed before running, so a busy or non-empty folder is refused at once.
    let _claim = crate::io::outdir::claim(&out_dir, args.exec.force || args.resume)?;
    let store = crate::io::replicates::ReplicateStore::new(&out_dir);
    let done = if args.resume {
        same_cells(store.dir(), &s).map_err(UsageError)?;
        store.load(&s, false).map_err(UsageError)?
    } else {
        store.start(&s, false).with_context(|| format!("cannot write into `{}`", out_dir.display()))?;
        Vec::new()
    };
    let exec = (args.exec.threads, args.exec.quiet, format!("{} cells", cell_docs.len()));
    let runs = match crate::app::replicates::run_saved(&s, (args.replicates, false), &store, done, exec)? {
        crate::app::replicates::Finished::All(runs) => runs,
        crate::app::replicates::Finished::Interrupted(code) => return Ok(code),
    };
    let names = term_names(&factors);
    let metrics = decompose(factors.len(), &names, &runs);
    let doc = DecompositionDoc {
        scenario: s.name.clone(),
        scenario_file: args.scenario.scenario.display().to_string(),
        seed: s.seed,
        replicates: args.replicates,
        feedsim_version: env!("CARGO_PKG_VERSION").to_string(),
        base_variant: base.name.clone(),
        overrides,
        terms: names,
        factors,
        cells: cell_docs,
        metrics,
    };
    let mut written = doc.write_to(&out_dir).with_context(|| format!("cannot write into `{}`", out_dir.display()))?;
    if args.report {
        written.push(crate::io::html::write_report(&out_dir)?);
    }
    if !args.exec.quiet {
        print_table(&doc);
        println!("wrote {}", written.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "));
    }
    Ok(std::process::ExitCode::SUCCESS)
}

/// Per headline metric: the all-B − all-A difference, then each term's estimate, interval
/// and share.
fn print_table(doc: &DecompositionDoc) {
    println!(
        "{} replicates of {} cells of `{}` from variant `{}` (estimate [95 % CI]; share of all B − all A)",
        doc.replicates,
        doc.cells.len(),
        doc.scenario,
        doc.base_variant
    );
    let width = doc.terms.iter().map(|t| t.chars().count()).max().unwrap_or(4).max(16);
    for key in DECOMPOSE_METRICS {
        let Some(m) = doc.metrics.get(key) else { continue };
        let d = &m.difference;
        println!(
            "\n{} ({key}): all B − all A = {:.4} [{:.4}, {:.4}]",
            crate::observe::registry::label(key),
            d.estimate,
            d.ci_low,
            d.ci_high
        );
        println!("  {:<width$} {:>30} {:>9}", "term", "estimate [95 % CI]", "share");
        for t in &m.terms {
            let star = if t.ci_low > 0.0 || t.ci_high < 0.0 { "*" } else { " " };
            let share = t.share.map_or("-".into(), |s| format!("{:.1} %", 100.0 * s));
            println!(
                "  {:<width$} {:>30} {share:>9}",
                t.term,
                format!("{:.4} [{:.4}, {:.4}]{star}", t.estimate, t.ci_low, t.ci_high)
            );
        }
    }
    println!("\n(* the 95 % interval excludes 0; shares sum to 1 and may be negative or above 1)");
}
