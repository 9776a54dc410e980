//! `feedsim check`: picks the baselines, reruns each with a progress bar, prints the
//! table and sets the exit code; `--update` rewrites them. What a baseline is and how a
//! rerun is judged is in [`crate::study::check`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::UsageError;
use crate::io::baselines::{list, read, resolve_scenario};
use crate::scenario;
use crate::study::check::*;

/// Flags of `check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Folder of baseline files `<scenario>.json`.
    #[arg(long, default_value = "results/baselines")]
    pub baselines: PathBuf,
    /// Check (or with --update, make) only these scenarios: a baseline name, or with
    /// --update also a scenario file. Repeatable. Default: every baseline in the folder.
    #[arg(long = "scenario", value_name = "NAME")]
    pub scenarios: Vec<String>,
    /// Rerun and rewrite the baselines instead of checking them. Refuses (exit 2) a
    /// baseline with a check that cannot detect a change of the metric's own size
    /// (smallest detectable change above 100 %), unless the metric is --informational.
    #[arg(long)]
    pub update: bool,
    /// With --update: replicates of the new baselines [default: the old baseline's, or 16].
    #[arg(long)]
    pub replicates: Option<usize>,
    /// With --update: overrides of the new baselines, replacing the old ones
    /// [default: the old baseline's, or world.users=20000]. Repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// With --update: metrics rerun and shown but never failing the check, recorded in the
    /// baseline: an exact name or a glob (`*`, `?`) matching METRIC or VARIANT/METRIC.
    /// Repeatable; replaces the old baseline's list [default: the old baseline's, or none;
    /// `--informational ''` clears it].
    #[arg(long = "informational", value_name = "METRIC")]
    pub informational: Vec<String>,
    /// Print every check: scale, expected, got, tolerance, smallest detectable change,
    /// and whether it is ok, failing or informational.
    #[arg(long)]
    pub verbose: bool,
    /// Worker threads, 0 for all cores; results are identical for any number.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
}

/// What to check or update: (name, baseline path, existing baseline, scenario file).
struct Target {
    name: String,
    path: PathBuf,
    old: Option<Baseline>,
    scenario_file: Option<String>,
}

fn targets(args: &CheckArgs) -> Result<Vec<Target>, CheckError> {
    let existing = if args.baselines.is_dir() || !args.update { list(&args.baselines)? } else { BTreeMap::new() };
    if args.scenarios.is_empty() {
        if existing.is_empty() {
            return Err(CheckError::Input(format!(
                "`{}` holds no baselines; make one with `feedsim check --update --scenario NAME`",
                args.baselines.display()
            )));
        }
        return existing
            .into_iter()
            .map(|(name, path)| Ok(Target { old: Some(read(&path)?), name, path, scenario_file: None }))
            .collect();
    }
    let mut out: Vec<Target> = Vec::new();
    for given in &args.scenarios {
        let as_file = Path::new(given);
        let (name, file) = if given.ends_with(".toml") {
            let s = scenario::load_file(as_file, &[])
                .map_err(|source| CheckError::Scenario { baseline: given.clone(), source })?;
            (s.name, Some(given.clone()))
        } else {
            (given.clone(), None)
        };
        if out.iter().any(|t| t.name == name) {
            continue;
        }
        let path = args.baselines.join(format!("{name}.json"));
        let old = if path.exists() { Some(read(&path)?) } else { None };
        if old.is_none() && !args.update {
            return Err(CheckError::Input(format!(
                "no baseline `{}`; baselines here: {}; make it with `feedsim check --update --scenario {name}`",
                path.display(),
                if existing.is_empty() {
                    "none".into()
                } else {
                    existing.keys().cloned().collect::<Vec<_>>().join(", ")
                }
            )));
        }
        let file = file.or_else(|| {
            old.is_none().then(|| {
                // A new baseline by name: the shipped scenario of that name.
                format!("scenarios/{name}.toml")
            })
        });
        out.push(Target { name, path, old, scenario_file: file });
    }
    Ok(out)
}

/// Runs `feedsim check`: exit 0 when every metric that can fail is within tolerance, 1
/// otherwise; with --update, 2 when a baseline is refused.
pub fn cmd(args: CheckArgs) -> anyhow::Result<std::process::ExitCode> {
    if !args.update && (args.replicates.is_some() || !args.set.is_empty() || !args.informational.is_empty()) {
        return Err(UsageError(
            "--replicates, --set and --informational only apply with --update (they set up new baselines)".into(),
        )
        .into());
    }
    if args.replicates.is_some_and(|n| n < 2) {
        return Err(UsageError("--replicates: need at least 2 to measure spread".into()).into());
    }
    let targets = targets(&args).map_err(input)?;
    let pool = crate::engine::thread_pool(args.threads)?;
    let started = std::time::Instant::now();
    let mut failures = Vec::new();
    let mut refusals = Vec::new();
    let (mut total_checked, mut total_info) = (0, 0);
    for t in targets {
        let t0 = std::time::Instant::now();
        let file = t
            .scenario_file
            .clone()
            .or_else(|| t.old.as_ref().map(|b| b.settings.scenario_file.clone()))
            .expect("a target has a scenario file or a baseline");
        let scenario_path = resolve_scenario(&file, &args.baselines);
        if args.update {
            refusals.extend(update(&args, &t, (&file, &scenario_path), &pool, t0)?);
            continue;
        }
        let b = t.old.expect("checked targets have baselines");
        let rerun = pool.install(|| run(&b.settings, &scenario_path, &t.path.display().to_string())).map_err(input)?;
        let c = compare_with(&b, &rerun);
        let fails = c.failures();
        total_checked += c.checked();
        total_info += c.informational();
        print_checked(&b, &c, fails.len(), t0, args.verbose);
        failures.extend(fails);
    }
    if args.update {
        if !refusals.is_empty() {
            return Err(UsageError(refusals.join("\n\n")).into());
        }
        println!(
            "baselines rewritten in {:.1} s; commit them with the change that moved them",
            started.elapsed().as_secs_f64()
        );
        return Ok(std::process::ExitCode::SUCCESS);
    }
    let counts = format!("{total_checked} checks, {total_info} informational");
    if failures.is_empty() {
        println!("check passed in {:.1} s ({counts})", started.elapsed().as_secs_f64());
        Ok(std::process::ExitCode::SUCCESS)
    } else {
        println!("\n{} metrics moved beyond their tolerance ({counts}):\n", failures.len());
        print!("{}", failure_table(&failures));
        println!("\nIf the change is intended, rewrite the baselines with `feedsim check --update` and commit them.");
        Ok(std::process::ExitCode::from(1))
    }
}

/// A bad baseline, scenario or flag: exit code 2, with the whole message.
fn input(e: CheckError) -> anyhow::Error {
    UsageError(format!("{e:#}")).into()
}

/// Reruns one target with the update's settings (flags first, then the old baseline's)
/// and rewrites its baseline; returns the refusal when a check could not detect a change
/// of its own size.
fn update(
    args: &CheckArgs,
    t: &Target,
    (file, scenario_path): (&str, &Path),
    pool: &rayon::ThreadPool,
    t0: std::time::Instant,
) -> anyhow::Result<Option<String>> {
    let old = t.old.as_ref().map(|b| &b.settings);
    let overrides = if !args.set.is_empty() {
        args.set.clone()
    } else {
        old.map_or_else(|| DEFAULT_OVERRIDES.map(String::from).to_vec(), |o| o.overrides.clone())
    };
    let informational: Vec<String> = if !args.informational.is_empty() {
        args.informational.iter().filter(|p| !p.is_empty()).cloned().collect()
    } else {
        old.map(|o| o.informational.clone()).unwrap_or_default()
    };
    let s = scenario::load_file(scenario_path, &overrides)
        .map_err(|source| input(CheckError::Scenario { baseline: t.path.display().to_string(), source }))?;
    let settings = Settings {
        scenario_file: file.to_string(),
        seed: s.seed,
        replicates: args.replicates.or(old.map(|o| o.replicates)).unwrap_or(DEFAULT_REPLICATES),
        overrides,
        informational,
    };
    let rerun = pool.install(|| run(&settings, scenario_path, &t.name)).map_err(input)?;
    let unmatched = unmatched_patterns(&settings.informational, &rerun);
    if !unmatched.is_empty() {
        println!(
            "  note: --informational {} match no metric of {}",
            unmatched.iter().map(|p| format!("'{p}'")).collect::<Vec<_>>().join(", "),
            t.name
        );
    }
    let b = baseline_from(&rerun, settings);
    if let Some(msg) = refusal(&b, &t.path) {
        println!("refused {}: see below ({:.1} s)", t.path.display(), t0.elapsed().as_secs_f64());
        return Ok(Some(msg));
    }
    if let Some(dir) = t.path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    crate::io::write_atomic(&t.path, &crate::io::json_bytes(&b)?)?;
    let metrics = b.checks().count();
    let info = b.checks().filter(|c| c.2.informational).count();
    let logs = b.checks().filter(|c| c.2.scale == Scale::Log1p).count();
    println!(
        "updated {}: {} variants × {} replicates, {metrics} metrics ({logs} on the log1p scale, {info} \
         informational), overrides [{}] ({:.1} s)",
        t.path.display(),
        b.variants.len(),
        b.settings.replicates,
        b.settings.overrides.join(", "),
        t0.elapsed().as_secs_f64()
    );
    Ok(None)
}

/// One baseline's line of results and its notes (and with `--verbose`, every check).
fn print_checked(b: &Baseline, c: &Checked, failed: usize, t0: std::time::Instant, verbose: bool) {
    let (checked, info) = (c.checked(), c.informational());
    let moved = c.informational_moved();
    let detectable = c.detectable_summary().map_or_else(String::new, |(median, largest)| {
        format!(", smallest detectable change: median {}, largest {}", percent(median), percent(largest))
    });
    println!(
        "{}: {}/{checked} metrics within tolerance, {info} informational{} ({} replicates{detectable}; {:.1} s)",
        b.scenario,
        checked - failed,
        if moved > 0 { format!(" ({moved} moved)") } else { String::new() },
        b.settings.replicates,
        t0.elapsed().as_secs_f64()
    );
    let coarse = b.too_coarse().len();
    if coarse > 0 {
        println!(
            "  note: {coarse} checks cannot detect a change of their own size (detectable change > {:.0} %{}); \
             `feedsim check --update` refuses them without more replicates, a larger world or --informational",
            100.0 * OWN_SIZE,
            if b.format < BASELINE_FORMAT {
                format!("; format {} baseline, all linear", b.format)
            } else {
                String::new()
            },
        );
    }
    let differing = c.differing();
    if differing > 0 && failed == 0 {
        println!(
            "  note: {differing} of {} means are not the baseline's bit for bit (all within tolerance): \
             the model's results changed since it was written; if that was meant, rewrite it with \
             `feedsim check --update` so the next change is measured from this one",
            c.rows.len()
        );
    }
    if !c.new_metrics.is_empty() {
        println!(
            "  note: {} metrics are not in the baseline ({}); `feedsim check --update` adds them",
            c.new_metrics.len(),
            c.new_metrics.iter().take(5).cloned().collect::<Vec<_>>().join(", ")
        );
    }
    if verbose {
        println!("\n{}", table(&c.rows, true));
    }
}
