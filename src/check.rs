//! Regression check: rerun committed baselines and compare every metric with its
//! expected value.
//!
//! A baseline (`results/baselines/<scenario>.json`) holds, per variant and metric, the
//! mean over `n` replicates, their standard deviation and a tolerance, plus the settings
//! used (scenario file, seed, replicates, `--set` overrides such as a smaller world so
//! that the check runs quickly in CI). `feedsim check` reruns each baseline with the same
//! settings and seeds and compares the new means with the expected ones.
//!
//! ## Tolerance
//!
//! With an unchanged model the rerun reproduces the baseline exactly (runs are
//! deterministic for a seed), so any difference comes from a change. The tolerance
//! separates a change that only reshuffles random draws (a new draw in a stream, a
//! reordered loop: the same model, another sample) from a change in what the model does.
//! Under a reshuffle the new mean of `n` replicates is a fresh sample, so
//! `got − expected ~ N(0, 2σ²/n)`. With σ estimated by the replicates' sample standard
//! deviation `sd` (Student t with `n − 1` degrees of freedom), and a Bonferroni split of
//! a family-wise false-alarm rate α = 1 % over the `M` metric × variant checks of the
//! scenario:
//!
//! ```text
//! tolerance = t(1 − α / (2M), n − 1) · sd · √(2 / n),   floored at 1e-9 · max(1, |mean|)
//! ```
//!
//! So a harmless reshuffle fails the check of a scenario with probability at most 1 %,
//! while a shift of a metric's mean by more than the tolerance is reported. The floor
//! covers metrics with no replicate spread (counts fixed by the scenario) against
//! floating-point noise. More replicates give tighter tolerances, at the cost of time.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::compare::Comparison;
use crate::metrics::stats::t_quantile;
use crate::scenario::{self, ScenarioError};

/// Family-wise false-alarm rate of one scenario's check.
pub const FAMILY_ALPHA: f64 = 0.01;

/// Replicates of a new baseline unless `--replicates` says otherwise.
pub const DEFAULT_REPLICATES: usize = 16;

/// Overrides of a new baseline unless `--set` says otherwise: a world small enough that
/// the check takes seconds.
pub const DEFAULT_OVERRIDES: [&str; 1] = ["world.users=5000"];

/// Bad check input (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// A baselines folder or file that cannot be used.
    #[error("{0}")]
    Input(String),
    /// A baseline's scenario does not load.
    #[error("baseline `{baseline}`: {source}")]
    Scenario {
        /// The baseline file.
        baseline: String,
        /// The scenario error.
        source: ScenarioError,
    },
}

/// The settings a baseline was made with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// Scenario file, relative to the working directory (the repository root).
    pub scenario_file: String,
    /// Seed of replicate 0; replicate r uses seed + r.
    pub seed: u64,
    /// Replicates.
    pub replicates: usize,
    /// `--set` overrides, applied to every variant.
    pub overrides: Vec<String>,
}

/// One metric's expectation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Expected {
    /// Mean over replicates.
    pub mean: f64,
    /// Sample standard deviation over replicates.
    pub sd: f64,
    /// Allowed |got − mean| (see the module documentation).
    pub tolerance: f64,
}

/// A variant's expectations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariantBaseline {
    /// Variant name.
    pub name: String,
    /// Metric → expectation.
    pub metrics: BTreeMap<String, Expected>,
}

/// A `results/baselines/<scenario>.json` file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    /// Scenario name.
    pub scenario: String,
    /// feedsim version that wrote it.
    pub feedsim_version: String,
    /// How to regenerate it.
    pub regenerate: String,
    /// The tolerance rule, in words.
    pub tolerance_rule: String,
    /// Settings of the runs.
    pub settings: Settings,
    /// Expectations per variant.
    pub variants: Vec<VariantBaseline>,
}

/// One metric that moved beyond its tolerance (or went missing).
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// Scenario.
    pub scenario: String,
    /// Variant.
    pub variant: String,
    /// Metric.
    pub metric: String,
    /// Expected mean.
    pub expected: f64,
    /// New mean, `None` when the metric or variant is gone.
    pub got: Option<f64>,
    /// Tolerance.
    pub tolerance: f64,
}

/// The outcome of checking one baseline.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Scenario.
    pub scenario: String,
    /// Metrics compared.
    pub checked: usize,
    /// Metrics beyond tolerance.
    pub failures: Vec<Failure>,
    /// Metrics the run has and the baseline lacks (`variant/metric`).
    pub new_metrics: Vec<String>,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// The baseline files of a folder, by scenario name.
pub fn list(dir: &Path) -> Result<BTreeMap<String, PathBuf>, CheckError> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        CheckError::Input(format!(
            "cannot read the baselines folder `{}`: {e}; make baselines with `feedsim check --update --scenario NAME`",
            dir.display()
        ))
    })?;
    let mut out = BTreeMap::new();
    for entry in entries {
        let path = entry.map_err(|e| CheckError::Input(format!("`{}`: {e}", dir.display())))?.path();
        if path.extension().is_some_and(|e| e == "json")
            && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
        {
            out.insert(stem.to_string(), path);
        }
    }
    Ok(out)
}

/// Reads a baseline file.
pub fn read(path: &Path) -> Result<Baseline, CheckError> {
    let bytes = std::fs::read(path)
        .map_err(|e| CheckError::Input(format!("cannot read baseline `{}`: {e}", path.display())))?;
    serde_json::from_slice(&bytes).map_err(|e| {
        CheckError::Input(format!(
            "baseline `{}` is not a feedsim baseline ({e}); regenerate it with `feedsim check --update`",
            path.display()
        ))
    })
}

/// Finds a baseline's scenario file: as written (relative to the working directory), or
/// relative to the repository that holds `results/baselines/`.
pub fn resolve_scenario(file: &str, baselines_dir: &Path) -> PathBuf {
    let p = PathBuf::from(file);
    if p.is_absolute() || p.exists() {
        return p;
    }
    baselines_dir.ancestors().skip(1).map(|a| a.join(file)).find(|c| c.exists()).unwrap_or(p)
}

/// Runs the replicates of `settings` on the current rayon pool.
pub fn run(settings: &Settings, scenario_path: &Path, label: &str) -> Result<Comparison, CheckError> {
    let s = scenario::load_file(scenario_path, &settings.overrides)
        .map_err(|source| CheckError::Scenario { baseline: label.to_string(), source })?;
    Ok(crate::compare::compare(&s.with_seed(settings.seed), settings.replicates, &|| {}))
}

/// Builds a baseline from a comparison (see the module documentation for the tolerance).
pub fn baseline_from(cmp: &Comparison, settings: Settings) -> Baseline {
    let checks: usize = cmp.variants.iter().map(|v| v.metrics.len()).sum();
    let n = settings.replicates;
    let t = t_quantile(1.0 - FAMILY_ALPHA / (2.0 * checks.max(1) as f64), n.saturating_sub(1).max(1) as f64);
    let factor = t * (2.0 / n.max(1) as f64).sqrt();
    let variants = cmp
        .variants
        .iter()
        .map(|v| VariantBaseline {
            name: v.name.clone(),
            metrics: v
                .metrics
                .iter()
                .map(|(k, e)| {
                    let tolerance = (factor * e.sd).max(1e-9 * e.mean.abs().max(1.0));
                    (k.clone(), Expected { mean: e.mean, sd: e.sd, tolerance })
                })
                .collect(),
        })
        .collect();
    Baseline {
        scenario: cmp.scenario.clone(),
        feedsim_version: env!("CARGO_PKG_VERSION").to_string(),
        regenerate: format!("feedsim check --update --scenario {}", cmp.scenario),
        tolerance_rule: format!(
            "tolerance = t(1 - {FAMILY_ALPHA}/(2*{checks}), {}) * sd * sqrt(2/{n}) = {factor:.4} * sd, \
             floored at 1e-9 * max(1, |mean|): a rerun whose random draws are reshuffled but whose model \
             is unchanged fails with probability <= {FAMILY_ALPHA} over the scenario's {checks} checks",
            n.saturating_sub(1).max(1)
        ),
        settings,
        variants,
    }
}

/// Compares a rerun with a baseline.
pub fn compare_with(b: &Baseline, cmp: &Comparison) -> (usize, Vec<Failure>, Vec<String>) {
    let mut failures = Vec::new();
    let mut checked = 0;
    for v in &b.variants {
        let got = cmp.variants.iter().find(|g| g.name == v.name);
        for (metric, e) in &v.metrics {
            checked += 1;
            let value = got.and_then(|g| g.metrics.get(metric)).map(|x| x.mean);
            let ok = value.is_some_and(|x| (x - e.mean).abs() <= e.tolerance);
            if !ok {
                failures.push(Failure {
                    scenario: b.scenario.clone(),
                    variant: v.name.clone(),
                    metric: metric.clone(),
                    expected: e.mean,
                    got: value,
                    tolerance: e.tolerance,
                });
            }
        }
    }
    let mut new_metrics = Vec::new();
    for g in &cmp.variants {
        let known = b.variants.iter().find(|v| v.name == g.name);
        for k in g.metrics.keys() {
            if !known.is_some_and(|v| v.metrics.contains_key(k)) {
                new_metrics.push(format!("{}/{k}", g.name));
            }
        }
    }
    (checked, failures, new_metrics)
}

/// The table of failures: scenario, variant, metric, expected, got, tolerance, and how
/// many tolerances the value moved.
pub fn failure_table(failures: &[Failure]) -> String {
    let mut out = String::new();
    let w_s = failures.iter().map(|f| f.scenario.len()).max().unwrap_or(0).max(8);
    let w_v = failures.iter().map(|f| f.variant.len()).max().unwrap_or(0).max(7);
    let w_m = failures.iter().map(|f| f.metric.len()).max().unwrap_or(0).max(6);
    let _ = writeln!(
        out,
        "{:<w_s$}  {:<w_v$}  {:<w_m$}  {:>14}  {:>14}  {:>12}  {:>10}",
        "scenario", "variant", "metric", "expected", "got", "tolerance", "moved"
    );
    for f in failures {
        let (got, moved) = match f.got {
            Some(g) => (format!("{g:.6}"), format!("{:.1}×tol", (g - f.expected).abs() / f.tolerance)),
            None => ("missing".into(), "-".into()),
        };
        let _ = writeln!(
            out,
            "{:<w_s$}  {:<w_v$}  {:<w_m$}  {:>14.6}  {:>14}  {:>12.6}  {:>10}",
            f.scenario, f.variant, f.metric, f.expected, got, f.tolerance, moved
        );
    }
    out
}

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
    /// Rerun and rewrite the baselines instead of checking them.
    #[arg(long)]
    pub update: bool,
    /// With --update: replicates of the new baselines [default: the old baseline's, or 16].
    #[arg(long)]
    pub replicates: Option<usize>,
    /// With --update: overrides of the new baselines, replacing the old ones
    /// [default: the old baseline's, or world.users=5000]. Repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
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

/// Runs `feedsim check`: exit 0 when every metric is within tolerance, 1 otherwise.
pub fn cmd(args: CheckArgs) -> anyhow::Result<std::process::ExitCode> {
    use crate::cli::UsageError;
    let input = |e: CheckError| -> anyhow::Error { UsageError(format!("{e:#}")).into() };
    if !args.update && (args.replicates.is_some() || !args.set.is_empty()) {
        return Err(
            UsageError("--replicates and --set only apply with --update (they set up new baselines)".into()).into()
        );
    }
    if args.replicates.is_some_and(|n| n < 2) {
        return Err(UsageError("--replicates: need at least 2 to measure spread".into()).into());
    }
    let targets = targets(&args).map_err(input)?;
    let pool = crate::engine::thread_pool(args.threads)?;
    let started = std::time::Instant::now();
    let mut failures = Vec::new();
    for t in targets {
        let t0 = std::time::Instant::now();
        let file = t
            .scenario_file
            .clone()
            .or_else(|| t.old.as_ref().map(|b| b.settings.scenario_file.clone()))
            .expect("a target has a scenario file or a baseline");
        let scenario_path = resolve_scenario(&file, &args.baselines);
        if args.update {
            let old = t.old.as_ref().map(|b| &b.settings);
            let overrides = if !args.set.is_empty() {
                args.set.clone()
            } else {
                old.map_or_else(|| DEFAULT_OVERRIDES.map(String::from).to_vec(), |o| o.overrides.clone())
            };
            let s = scenario::load_file(&scenario_path, &overrides)
                .map_err(|source| input(CheckError::Scenario { baseline: t.path.display().to_string(), source }))?;
            let settings = Settings {
                scenario_file: file.clone(),
                seed: s.seed,
                replicates: args.replicates.or(old.map(|o| o.replicates)).unwrap_or(DEFAULT_REPLICATES),
                overrides,
            };
            let cmp = pool.install(|| run(&settings, &scenario_path, &t.name)).map_err(input)?;
            let b = baseline_from(&cmp, settings);
            if let Some(dir) = t.path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            crate::report::write_atomic(&t.path, &crate::report::json_bytes(&b)?)?;
            let metrics: usize = b.variants.iter().map(|v| v.metrics.len()).sum();
            println!(
                "updated {}: {} variants × {} replicates, {metrics} metrics, overrides [{}] ({:.1} s)",
                t.path.display(),
                b.variants.len(),
                b.settings.replicates,
                b.settings.overrides.join(", "),
                t0.elapsed().as_secs_f64()
            );
            continue;
        }
        let b = t.old.expect("checked targets have baselines");
        let cmp = pool.install(|| run(&b.settings, &scenario_path, &t.path.display().to_string())).map_err(input)?;
        let (checked, fails, new_metrics) = compare_with(&b, &cmp);
        println!(
            "{}: {}/{checked} metrics within tolerance ({} replicates, {:.1} s)",
            b.scenario,
            checked - fails.len(),
            b.settings.replicates,
            t0.elapsed().as_secs_f64()
        );
        if !new_metrics.is_empty() {
            println!(
                "  note: {} metrics are not in the baseline ({}); `feedsim check --update` adds them",
                new_metrics.len(),
                new_metrics.iter().take(5).cloned().collect::<Vec<_>>().join(", ")
            );
        }
        failures.extend(fails);
    }
    if args.update {
        println!(
            "baselines rewritten in {:.1} s; commit them with the change that moved them",
            started.elapsed().as_secs_f64()
        );
        return Ok(std::process::ExitCode::SUCCESS);
    }
    if failures.is_empty() {
        println!("check passed in {:.1} s", started.elapsed().as_secs_f64());
        Ok(std::process::ExitCode::SUCCESS)
    } else {
        println!("\n{} metrics moved beyond their tolerance:\n", failures.len());
        print!("{}", failure_table(&failures));
        println!("\nIf the change is intended, rewrite the baselines with `feedsim check --update` and commit them.");
        Ok(std::process::ExitCode::from(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn est(mean: f64, sd: f64) -> crate::compare::Estimate {
        crate::compare::Estimate { n: 4, mean, sd, ci_low: mean, ci_high: mean }
    }

    #[test]
    fn tolerance_scales_with_spread_and_flags_moves() {
        let cmp = Comparison {
            scenario: "s".into(),
            seed: 1,
            replicates: 4,
            feedsim_version: "x",
            variants: vec![crate::compare::VariantEstimates {
                name: "v".into(),
                metrics: [("a".to_string(), est(1.0, 0.1)), ("b".to_string(), est(5.0, 0.0))].into(),
            }],
            differences: vec![],
            fixed_world: false,
            unpredictability: Default::default(),
        };
        let settings = Settings { scenario_file: "f".into(), seed: 1, replicates: 4, overrides: vec![] };
        let b = baseline_from(&cmp, settings);
        let tol = b.variants[0].metrics["a"].tolerance;
        // t(1 - 0.01/4, 3) = 7.453 (tables) times sqrt(2/4).
        assert!((tol - 7.453 * 0.1 * 0.5f64.sqrt()).abs() < 0.01, "{tol}");
        assert!(b.variants[0].metrics["b"].tolerance > 0.0);
        let (checked, failures, new) = compare_with(&b, &cmp);
        assert_eq!((checked, failures.len(), new.len()), (2, 0, 0));
        let mut moved = cmp.clone();
        moved.variants[0].metrics.get_mut("a").unwrap().mean += 1.5 * tol;
        let (_, failures, _) = compare_with(&b, &moved);
        assert_eq!(failures.len(), 1);
        assert!(failure_table(&failures).contains("1.5×tol"));
    }
}
