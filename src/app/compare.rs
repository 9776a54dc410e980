//! `feedsim compare`: replicates with a progress bar, saved one by one for `--resume`;
//! writes `comparison.json` and `comparison.csv` and prints the table.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

use super::replicates::{Finished, run_saved};
use super::*;
use crate::engine::plan::MemoryPlan;
use crate::observe::registry::HEADLINE;

pub(super) fn cmd_compare(args: CompareArgs) -> anyhow::Result<ExitCode> {
    let s = load(&args.scenario)?;
    let s = if args.fixed_items { crate::study::compare::with_fixed_items(&s).map_err(UsageError)? } else { s };
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
    let exec = (args.exec.threads, args.exec.quiet, s.name.clone());
    let runs = match run_saved(&s, (args.replicates, args.fixed_world), &store, done, exec)? {
        Finished::All(runs) => runs,
        Finished::Interrupted(code) => return Ok(code),
    };
    let cmp = crate::study::compare::summarise_replicates(&s, &runs, args.fixed_world);
    std::fs::create_dir_all(&out_dir).with_context(|| format!("cannot create `{}`", out_dir.display()))?;
    let json = crate::io::json_bytes(&cmp)?;
    crate::io::write_atomic(&out_dir.join("comparison.json"), &json)
        .with_context(|| format!("cannot write into `{}`", out_dir.display()))?;
    crate::io::write_atomic(&out_dir.join("comparison.csv"), &cmp.to_csv()?)
        .with_context(|| format!("cannot write into `{}`", out_dir.display()))?;
    let items = runs.iter().any(|r| !r.notes.is_empty());
    if items {
        crate::io::write_atomic(&out_dir.join("items.csv"), &crate::io::comparison::items_csv(&s, &runs)?)
            .with_context(|| format!("cannot write into `{}`", out_dir.display()))?;
    }
    let report = if args.report { Some(crate::io::html::write_report(&out_dir)?) } else { None };
    if !args.exec.quiet {
        print_comparison(&cmp);
        for (variant, u) in &cmp.unpredictability {
            println!("unpredictability of creators' shares ({variant}): {u:.3e} (mean pairwise gap per creator)");
        }
        for (variant, u) in &cmp.item_unpredictability {
            println!(
                "unpredictability of items' success shares ({variant}): {:.4e} [{:.4e}, {:.4e}] (mean over {} items \
                 of the mean pairwise gap)",
                u.mean, u.ci_low, u.ci_high, u.n
            );
        }
        if items {
            println!("wrote {}/items.csv (one row per item, variant and replicate)", out_dir.display());
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
