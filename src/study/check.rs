//! Regression check: rerun committed baselines and compare every metric with its
//! expected value.
//!
//! A baseline (`results/baselines/<scenario>.json`) holds, per variant and metric, the
//! mean over `n` replicates, their standard deviation and a tolerance, plus the settings
//! used (scenario file, seed, replicates, `--set` overrides such as a smaller world so
//! that the check runs quickly in CI). `feedsim check` reruns each baseline with the same
//! settings and seeds and compares the new means with the expected ones.
//!
//! ## Scale
//!
//! Each metric is compared on one of two scales, chosen per metric name over all
//! variants of the scenario when the baseline is written, and recorded in it (`scale`):
//!
//! - `log1p`, for heavy-tailed counts and totals: every replicate value of every variant
//!   is `≥ 0`, some value is `> 1` (not a share or a probability), and either every
//!   value is a whole number (a count or total: conversions, impressions, funnel
//!   counts, engagements) or in some variant `sd > mean / 2` (a non-negative quantity
//!   within two standard deviations of zero is bounded on the left and so right-skewed:
//!   impressions per note, conversions per 1 000 impressions). Each replicate value `x`
//!   becomes `log(1 + x)`, and the mean and sd of the transformed values (`log1p_mean`,
//!   `log1p_sd`) are what is compared. A shift on this scale is a relative change: a
//!   model that makes `1 + x` larger by a factor `f` in every replicate moves the mean
//!   by `ln f`.
//! - `linear` for everything else (shares, Gini, correlations, rates in [0, 1], ages),
//!   and for every metric of a baseline written before scales existed (format 1).
//!
//! ## Tolerance
//!
//! With an unchanged model the rerun reproduces the baseline exactly (runs are
//! deterministic for a seed), so any difference comes from a change. The tolerance
//! separates a change that only reshuffles random draws (a new draw in a stream, a
//! reordered loop: the same model, another sample) from a change in what the model does.
//! Under a reshuffle the new mean of `n` replicates is a fresh sample, so
//! `got − expected ~ N(0, 2σ²/n)` on the compared scale. With σ estimated by the
//! replicates' sample standard deviation `sd` on that scale (Student t with `n − 1`
//! degrees of freedom), and a Bonferroni split of a family-wise false-alarm rate α = 1 %
//! over the `M` metric × variant checks of the scenario that can fail (informational
//! ones cannot, see below):
//!
//! ```text
//! tolerance = t(1 − α / (2M), n − 1) · sd · √(2 / n),   floored at 1e-9 · max(1, |mean|)
//! ```
//!
//! So a harmless reshuffle fails the check of a scenario with probability at most 1 %,
//! while a shift of a metric's mean by more than the tolerance is reported. The floor
//! covers metrics with no replicate spread (counts fixed by the scenario: checked
//! exactly) against floating-point noise. More replicates give tighter tolerances, at
//! the cost of time.
//!
//! ## Smallest detectable change, own size, informational metrics
//!
//! The tolerance is the smallest change of a metric's mean that the check detects (its
//! minimal detectable change). As a relative size (`detectable_change` in the file and
//! in `check`'s output) it is `tolerance / |mean|` on the linear scale (undefined when
//! the mean is 0) and `e^tolerance − 1` on the log scale (the factor by which `1 + x`
//! must grow).
//!
//! A check whose relative detectable change exceeds 100 % cannot detect a change of the
//! metric's own size: the metric could vanish or double (on the log scale: `1 + x`
//! could double) and the check would still pass. `check --update` refuses to write such
//! a baseline, naming each such metric, unless the user marks it informational with
//! `--informational PATTERN` (exact name or a glob with `*` and `?`, matching the metric
//! or `variant/metric`; repeatable; recorded in the baseline's settings). Metrics without
//! replicate spread are checked exactly and never refused. Informational metrics are
//! rerun and shown, and whether they moved is printed, but they never fail the check and
//! do not count in `M`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::observe::stats::{mean_interval, t_quantile};
use crate::scenario::{self, ScenarioError};
use crate::study::compare::Replicate;

/// Family-wise false-alarm rate of one scenario's check.
pub const FAMILY_ALPHA: f64 = 0.01;

/// Replicates of a new baseline unless `--replicates` says otherwise.
pub const DEFAULT_REPLICATES: usize = 16;

/// Overrides of a new baseline unless `--set` says otherwise: the quickstart's own size,
/// where intensive metrics have converged (README, *World size*), in about a minute per
/// scenario on 2 cores.
pub const DEFAULT_OVERRIDES: [&str; 1] = ["world.users=20000"];

/// The baseline format `check --update` writes: 2 added scales, detectable changes and
/// informational metrics. Files without a `format` key are format 1.
pub const BASELINE_FORMAT: u32 = 2;

/// A check whose relative detectable change exceeds this cannot detect a change of the
/// metric's own size (see the module documentation).
pub const OWN_SIZE: f64 = 1.0;

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
    /// `--informational` patterns: metrics rerun and shown that never fail the check
    /// (absent from format 1 files).
    #[serde(default)]
    pub informational: Vec<String>,
}

/// The scale a metric is compared on (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scale {
    /// The replicate values as they are.
    #[default]
    Linear,
    /// `log(1 + x)` of each replicate value.
    Log1p,
}

impl Scale {
    /// A replicate value on this scale.
    pub fn apply(self, x: f64) -> f64 {
        match self {
            Scale::Linear => x,
            Scale::Log1p => x.ln_1p(),
        }
    }

    /// Its name in files and tables.
    pub fn name(self) -> &'static str {
        match self {
            Scale::Linear => "linear",
            Scale::Log1p => "log1p",
        }
    }

    /// The scale of a metric from its replicate values in each variant (the rule of
    /// the module documentation).
    pub fn for_values(per_variant: &[&[f64]]) -> Scale {
        let all = || per_variant.iter().flat_map(|v| v.iter().copied());
        let non_negative = all().all(|x| x >= 0.0);
        let above_one = all().any(|x| x > 1.0);
        let whole = all().all(|x| x.fract() == 0.0);
        let skewed = per_variant.iter().filter_map(|v| mean_interval(v)).any(|i| i.n > 1 && i.sd > i.mean.abs() / 2.0);
        if non_negative && above_one && (whole || skewed) { Scale::Log1p } else { Scale::Linear }
    }
}

/// One metric's expectation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Expected {
    /// Mean over replicates (of the values as they are, whatever the scale).
    pub mean: f64,
    /// Sample standard deviation over replicates (of the values as they are).
    pub sd: f64,
    /// Allowed |got − expected| on the compared scale: of the means on the linear scale,
    /// of the means of log(1 + x) on the log scale (see the module documentation).
    pub tolerance: f64,
    /// The compared scale (`linear` when absent: format 1).
    #[serde(default)]
    pub scale: Scale,
    /// Mean of log(1 + x) over replicates (log scale only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log1p_mean: Option<f64>,
    /// Sample standard deviation of log(1 + x) over replicates (log scale only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log1p_sd: Option<f64>,
    /// The smallest relative change the check detects: `tolerance / |mean|` (linear),
    /// `e^tolerance − 1` (log); `null` when the linear mean is 0. Derived from the other
    /// fields when a file is read.
    #[serde(default)]
    pub detectable_change: Option<f64>,
    /// Rerun and shown, never failing the check (`--informational`).
    #[serde(default)]
    pub informational: bool,
}

impl Expected {
    /// An expectation from replicate values, on a scale, with the tolerance factor
    /// `t · √(2/n)`.
    pub fn from_values(values: &[f64], scale: Scale, factor: f64, informational: bool) -> Option<Expected> {
        let plain = mean_interval(values)?;
        let (log1p_mean, log1p_sd, compared) = match scale {
            Scale::Linear => (None, None, plain),
            Scale::Log1p => {
                let logs: Vec<f64> = values.iter().map(|&x| scale.apply(x)).collect();
                let l = mean_interval(&logs)?;
                (Some(l.mean), Some(l.sd), l)
            }
        };
        let tolerance = (factor * compared.sd).max(1e-9 * compared.mean.abs().max(1.0));
        let mut e = Expected {
            mean: plain.mean,
            sd: plain.sd,
            tolerance,
            scale,
            log1p_mean,
            log1p_sd,
            detectable_change: None,
            informational,
        };
        e.detectable_change = e.relative_detectable_change();
        Some(e)
    }

    /// The expected mean on the compared scale.
    pub fn compared_mean(&self) -> f64 {
        match self.scale {
            Scale::Linear => self.mean,
            Scale::Log1p => self.log1p_mean.unwrap_or(self.mean.ln_1p()),
        }
    }

    /// The replicates' standard deviation on the compared scale.
    pub fn compared_sd(&self) -> f64 {
        match self.scale {
            Scale::Linear => self.sd,
            Scale::Log1p => self.log1p_sd.unwrap_or(0.0),
        }
    }

    /// The smallest relative change the check detects, derived from the tolerance.
    pub fn relative_detectable_change(&self) -> Option<f64> {
        match self.scale {
            Scale::Linear => (self.mean != 0.0).then(|| self.tolerance / self.mean.abs()),
            Scale::Log1p => Some(self.tolerance.exp_m1()),
        }
    }

    /// Whether the check cannot detect a change of the metric's own size: it has
    /// replicate spread and a relative detectable change above [`OWN_SIZE`] (or none).
    pub fn coarser_than_itself(&self) -> bool {
        self.compared_sd() > 0.0 && self.relative_detectable_change().is_none_or(|d| d > OWN_SIZE)
    }
}

/// A variant's expectations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariantBaseline {
    /// Variant name.
    pub name: String,
    /// Metric → expectation.
    pub metrics: BTreeMap<String, Expected>,
}

fn format_1() -> u32 {
    1
}

/// A `results/baselines/<scenario>.json` file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    /// Scenario name.
    pub scenario: String,
    /// feedsim version that wrote it.
    pub feedsim_version: String,
    /// File format ([`BASELINE_FORMAT`]; 1 when absent).
    #[serde(default = "format_1")]
    pub format: u32,
    /// How to regenerate it.
    pub regenerate: String,
    /// The tolerance rule, in words.
    pub tolerance_rule: String,
    /// Settings of the runs.
    pub settings: Settings,
    /// Expectations per variant.
    pub variants: Vec<VariantBaseline>,
}

impl Baseline {
    /// Every check: (variant, metric, expectation).
    pub fn checks(&self) -> impl Iterator<Item = (&str, &str, &Expected)> {
        self.variants.iter().flat_map(|v| v.metrics.iter().map(move |(k, e)| (v.name.as_str(), k.as_str(), e)))
    }

    /// The checks that can fail and cannot detect a change of their own size.
    pub fn too_coarse(&self) -> Vec<(&str, &str, &Expected)> {
        self.checks().filter(|(_, _, e)| !e.informational && e.coarser_than_itself()).collect()
    }
}

/// Per-replicate metric values of a rerun, per variant.
#[derive(Debug, Clone, PartialEq)]
pub struct Rerun {
    /// Scenario name.
    pub scenario: String,
    /// Per variant, in scenario order.
    pub variants: Vec<VariantValues>,
}

/// One variant's replicate values.
#[derive(Debug, Clone, PartialEq)]
pub struct VariantValues {
    /// Variant name.
    pub name: String,
    /// Metric → its value in each replicate.
    pub metrics: BTreeMap<String, Vec<f64>>,
}

impl Rerun {
    /// The values of a full set of replicates (`runs[r].metrics[variant]`). As in
    /// `compare`, a metric a variant lacks in some replicate, or with a non-finite value,
    /// is left out for that variant.
    pub fn from_replicates(scenario: &str, variant_names: &[String], runs: &[Replicate]) -> Rerun {
        let variants = variant_names
            .iter()
            .enumerate()
            .map(|(vi, name)| {
                let keys: std::collections::BTreeSet<&String> =
                    runs.iter().filter_map(|r| r.metrics.get(vi)).flat_map(|m| m.keys()).collect();
                let metrics = keys
                    .into_iter()
                    .filter_map(|k| {
                        let values: Option<Vec<f64>> =
                            runs.iter().map(|r| r.metrics.get(vi).and_then(|m| m.get(k)).copied()).collect();
                        let values = values?;
                        (!values.is_empty() && values.iter().all(|x| x.is_finite())).then(|| (k.clone(), values))
                    })
                    .collect();
                VariantValues { name: name.clone(), metrics }
            })
            .collect();
        Rerun { scenario: scenario.to_string(), variants }
    }
}

/// Whether `pattern` (exact, or a glob with `*` and `?`) matches `metric` or
/// `variant/metric`.
pub fn pattern_matches(pattern: &str, variant: &str, metric: &str) -> bool {
    fn glob(p: &[char], s: &[char]) -> bool {
        match (p.first(), s.first()) {
            (None, None) => true,
            (Some('*'), _) => glob(&p[1..], s) || (!s.is_empty() && glob(p, &s[1..])),
            (Some('?'), Some(_)) => glob(&p[1..], &s[1..]),
            (Some(a), Some(b)) if a == b => glob(&p[1..], &s[1..]),
            _ => false,
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    glob(&p, &metric.chars().collect::<Vec<_>>())
        || glob(&p, &format!("{variant}/{metric}").chars().collect::<Vec<_>>())
}

/// An unmatched `--informational` pattern is probably a typo: the patterns that match
/// no metric of the rerun.
pub fn unmatched_patterns<'a>(patterns: &'a [String], r: &Rerun) -> Vec<&'a str> {
    patterns
        .iter()
        .filter(|p| {
            !p.is_empty() && !r.variants.iter().any(|v| v.metrics.keys().any(|k| pattern_matches(p, &v.name, k)))
        })
        .map(String::as_str)
        .collect()
}

/// Runs the replicates of `settings` on the current rayon pool and keeps every
/// replicate's values.
pub fn run(settings: &Settings, scenario_path: &Path, label: &str) -> Result<Rerun, CheckError> {
    let s = scenario::load_file(scenario_path, &settings.overrides)
        .map_err(|source| CheckError::Scenario { baseline: label.to_string(), source })?;
    let s = s.with_seed(settings.seed);
    let runs: Vec<Replicate> =
        crate::study::compare::run_replicates(&s, settings.replicates, false, Vec::new(), &|| false, &|_| {})
            .into_iter()
            .map(|r| r.expect("never stopped"))
            .collect();
    let names: Vec<String> = s.variants.iter().map(|v| v.name.clone()).collect();
    Ok(Rerun::from_replicates(&s.name, &names, &runs))
}

/// Builds a baseline from a rerun's replicate values (see the module documentation for
/// the scale and the tolerance); metrics matching `settings.informational` are marked.
pub fn baseline_from(r: &Rerun, settings: Settings) -> Baseline {
    let informational =
        |variant: &str, metric: &str| settings.informational.iter().any(|p| pattern_matches(p, variant, metric));
    let checks = r.variants.iter().flat_map(|v| v.metrics.keys().map(|k| (&v.name, k))).count();
    let failing = r
        .variants
        .iter()
        .flat_map(|v| v.metrics.keys().map(move |k| (&v.name, k)))
        .filter(|(v, k)| !informational(v, k))
        .count();
    let n = settings.replicates;
    let df = n.saturating_sub(1).max(1);
    let t = t_quantile(1.0 - FAMILY_ALPHA / (2.0 * failing.max(1) as f64), df as f64);
    let factor = t * (2.0 / n.max(1) as f64).sqrt();
    let mut scales: BTreeMap<&str, Scale> = BTreeMap::new();
    for k in r.variants.iter().flat_map(|v| v.metrics.keys()) {
        if !scales.contains_key(k.as_str()) {
            let per_variant: Vec<&[f64]> =
                r.variants.iter().filter_map(|v| v.metrics.get(k)).map(Vec::as_slice).collect();
            scales.insert(k, Scale::for_values(&per_variant));
        }
    }
    let variants = r
        .variants
        .iter()
        .map(|v| VariantBaseline {
            name: v.name.clone(),
            metrics: v
                .metrics
                .iter()
                .filter_map(|(k, values)| {
                    Expected::from_values(values, scales[k.as_str()], factor, informational(&v.name, k))
                        .map(|e| (k.clone(), e))
                })
                .collect(),
        })
        .collect();
    let logs = scales.values().filter(|s| **s == Scale::Log1p).count();
    Baseline {
        scenario: r.scenario.clone(),
        feedsim_version: env!("CARGO_PKG_VERSION").to_string(),
        format: BASELINE_FORMAT,
        regenerate: format!("feedsim check --update --scenario {}", r.scenario),
        tolerance_rule: format!(
            "tolerance = t(1 - {FAMILY_ALPHA}/(2*{failing}), {df}) * sd * sqrt(2/{n}) = {factor:.4} * sd, \
             floored at 1e-9 * max(1, |mean|), with mean and sd on the metric's scale (log1p: of log(1 + x) \
             per replicate, for {logs} of {} metric names: non-negative, some value > 1, and whole numbers or \
             sd > mean/2 in some variant): a rerun whose random draws are reshuffled but whose model is \
             unchanged fails with probability <= {FAMILY_ALPHA} over the scenario's {failing} checks that can \
             fail ({} informational); detectable_change = tolerance/|mean| (linear) or e^tolerance - 1 (log1p)",
            scales.len(),
            checks - failing
        ),
        settings,
        variants,
    }
}

/// One metric × variant of a check.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Scenario.
    pub scenario: String,
    /// Variant.
    pub variant: String,
    /// Metric.
    pub metric: String,
    /// Compared scale.
    pub scale: Scale,
    /// Expected mean (of the values as they are).
    pub expected: f64,
    /// New mean (of the values as they are), `None` when the metric or variant is gone.
    pub got: Option<f64>,
    /// Tolerance, on the compared scale.
    pub tolerance: f64,
    /// |got − expected| on the compared scale in tolerances, `None` when gone.
    pub moved: Option<f64>,
    /// The smallest relative change the check detects.
    pub detectable_change: Option<f64>,
    /// No replicate spread: checked exactly (up to the floor).
    pub exact: bool,
    /// Never fails the check.
    pub informational: bool,
}

impl Row {
    /// Within tolerance.
    pub fn ok(&self) -> bool {
        self.moved.is_some_and(|m| m <= 1.0)
    }
}

/// A metric that moved beyond its tolerance (or went missing).
pub type Failure = Row;

/// The outcome of comparing a rerun with a baseline.
#[derive(Debug, Clone, Default)]
pub struct Checked {
    /// Every check, in baseline order.
    pub rows: Vec<Row>,
    /// Metrics the run has and the baseline lacks (`variant/metric`).
    pub new_metrics: Vec<String>,
}

impl Checked {
    /// Checks that can fail.
    pub fn checked(&self) -> usize {
        self.rows.iter().filter(|r| !r.informational).count()
    }

    /// Informational checks.
    pub fn informational(&self) -> usize {
        self.rows.iter().filter(|r| r.informational).count()
    }

    /// Checks that can fail and moved beyond their tolerance.
    pub fn failures(&self) -> Vec<Row> {
        self.rows.iter().filter(|r| !r.informational && !r.ok()).cloned().collect()
    }

    /// Informational checks that moved beyond their tolerance.
    pub fn informational_moved(&self) -> usize {
        self.rows.iter().filter(|r| r.informational && !r.ok()).count()
    }

    /// Median and largest relative detectable change of the checks that can fail and
    /// have replicate spread (`None` when undefined for some: a zero mean).
    pub fn detectable_summary(&self) -> Option<(Option<f64>, Option<f64>)> {
        let mut d: Vec<Option<f64>> =
            self.rows.iter().filter(|r| !r.informational && !r.exact).map(|r| r.detectable_change).collect();
        if d.is_empty() {
            return None;
        }
        // None (undefined) sorts last, as the largest.
        d.sort_by(|a, b| match (a, b) {
            (Some(x), Some(y)) => x.total_cmp(y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        });
        Some((d[d.len() / 2], d[d.len() - 1]))
    }
}

/// Compares a rerun with a baseline, each metric on the baseline's scale.
pub fn compare_with(b: &Baseline, r: &Rerun) -> Checked {
    let mut rows = Vec::new();
    for v in &b.variants {
        let got = r.variants.iter().find(|g| g.name == v.name);
        for (metric, e) in &v.metrics {
            let values = got.and_then(|g| g.metrics.get(metric));
            let mean_on = |scale: Scale| {
                values.and_then(|xs| mean_interval(&xs.iter().map(|&x| scale.apply(x)).collect::<Vec<_>>()))
            };
            let plain = mean_on(Scale::Linear).map(|i| i.mean);
            let compared = mean_on(e.scale).map(|i| i.mean);
            rows.push(Row {
                scenario: b.scenario.clone(),
                variant: v.name.clone(),
                metric: metric.clone(),
                scale: e.scale,
                expected: e.mean,
                got: plain,
                tolerance: e.tolerance,
                moved: compared.map(|c| (c - e.compared_mean()).abs() / e.tolerance),
                detectable_change: e.relative_detectable_change(),
                exact: e.compared_sd() == 0.0,
                informational: e.informational,
            });
        }
    }
    let mut new_metrics = Vec::new();
    for g in &r.variants {
        let known = b.variants.iter().find(|v| v.name == g.name);
        for k in g.metrics.keys() {
            if !known.is_some_and(|v| v.metrics.contains_key(k)) {
                new_metrics.push(format!("{}/{k}", g.name));
            }
        }
    }
    Checked { rows, new_metrics }
}

/// A relative size as a percentage (`n/a` when undefined).
pub fn percent(d: Option<f64>) -> String {
    match d {
        None => "n/a".into(),
        Some(d) if d >= 100.0 => ">10000 %".into(),
        Some(d) if d > 0.0 && d < 0.001 => "<0.1 %".into(),
        Some(d) => format!("{:.1} %", 100.0 * d),
    }
}

/// The table of failures: scenario, variant, metric, scale, expected, got, tolerance,
/// smallest detectable change and how many tolerances the value moved.
pub fn failure_table(failures: &[Row]) -> String {
    table(failures, false)
}

/// A table of checks; `status` adds a column saying ok, FAIL or info (moved).
pub fn table(rows: &[Row], status: bool) -> String {
    let mut out = String::new();
    let w_s = rows.iter().map(|f| f.scenario.len()).max().unwrap_or(0).max(8);
    let w_v = rows.iter().map(|f| f.variant.len()).max().unwrap_or(0).max(7);
    let w_m = rows.iter().map(|f| f.metric.len()).max().unwrap_or(0).max(6);
    let _ = write!(
        out,
        "{:<w_s$}  {:<w_v$}  {:<w_m$}  {:<6}  {:>14}  {:>14}  {:>12}  {:>10}  {:>10}",
        "scenario", "variant", "metric", "scale", "expected", "got", "tolerance", "detectable", "moved"
    );
    out.push_str(if status { "  status\n" } else { "\n" });
    for f in rows {
        let got = f.got.map_or_else(|| "missing".into(), |g| format!("{g:.6}"));
        let moved = f.moved.map_or_else(|| "-".into(), |m| format!("{m:.1}×tol"));
        let _ = write!(
            out,
            "{:<w_s$}  {:<w_v$}  {:<w_m$}  {:<6}  {:>14.6}  {:>14}  {:>12.6}  {:>10}  {:>10}",
            f.scenario,
            f.variant,
            f.metric,
            f.scale.name(),
            f.expected,
            got,
            f.tolerance,
            if f.exact { "exact".into() } else { percent(f.detectable_change) },
            moved
        );
        if status {
            let s = match (f.informational, f.ok()) {
                (false, true) => "ok",
                (false, false) => "FAIL",
                (true, true) => "info",
                (true, false) => "info, moved",
            };
            let _ = write!(out, "  {s}");
        }
        out.push('\n');
    }
    out
}

/// The message refusing a baseline whose checks cannot detect a change of their own
/// size, with how to go on.
pub fn refusal(b: &Baseline, path: &Path) -> Option<String> {
    let coarse = b.too_coarse();
    if coarse.is_empty() {
        return None;
    }
    let w_s = b.scenario.len().max(8);
    let w_v = coarse.iter().map(|c| c.0.len()).max().unwrap_or(0).max(7);
    let w_m = coarse.iter().map(|c| c.1.len()).max().unwrap_or(0).max(6);
    let mut out = format!(
        "refused to write `{}`: {} of scenario `{}`'s {} checks cannot detect a change of their own size \
         (smallest detectable change above {:.0} %; mean and tolerance on the compared scale):\n\n",
        path.display(),
        coarse.len(),
        b.scenario,
        b.checks().count(),
        100.0 * OWN_SIZE
    );
    let _ = writeln!(
        out,
        "{:<w_s$}  {:<w_v$}  {:<w_m$}  {:<6}  {:>14}  {:>14}  {:>10}",
        "scenario", "variant", "metric", "scale", "mean", "tolerance", "detectable"
    );
    for (v, m, e) in &coarse {
        let _ = writeln!(
            out,
            "{:<w_s$}  {:<w_v$}  {:<w_m$}  {:<6}  {:>14.6}  {:>14.6}  {:>10}",
            b.scenario,
            v,
            m,
            e.scale.name(),
            e.compared_mean(),
            e.tolerance,
            percent(e.relative_detectable_change())
        );
    }
    // A metric refused in every variant that has it by its name, otherwise as
    // `variant/metric`, so that no check that can detect its own size is given up.
    let mut names: Vec<String> = coarse
        .iter()
        .map(|&(v, m, _)| {
            let everywhere = b.checks().filter(|c| c.1 == m).all(|c| coarse.iter().any(|x| x.0 == c.0 && x.1 == m));
            if everywhere { m.to_string() } else { format!("{v}/{m}") }
        })
        .collect();
    names.sort_unstable();
    names.dedup();
    let _ = write!(
        out,
        "\nTo go on, either make the check sharper: more replicates (--replicates {}; the tolerance shrinks as \
         1/√n) or a larger world (--set world.users=N; spread shrinks with size), or mark these metrics \
         informational (rerun and shown, never failing the check), with the same --replicates and --set, \
         e.g.\n  feedsim check --update --scenario {}{}",
        b.settings.replicates * 4,
        b.scenario,
        b.settings.informational.iter().cloned().chain(names).fold(String::new(), |mut s, n| {
            let _ = write!(s, " --informational '{n}'");
            s
        })
    );
    Some(out)
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::baselines::read;

    /// 16 standard-normal scores (mean 0, sd about 1), in a fixed order.
    const Z: [f64; 16] =
        [0.08, -1.53, 0.57, -0.49, 1.32, -0.16, -0.89, 0.40, 1.86, -1.15, 0.24, -0.67, 1.01, 0.0, -0.32, 0.78];

    fn rerun(metrics: &[(&str, Vec<f64>)]) -> Rerun {
        Rerun {
            scenario: "s".into(),
            variants: vec![VariantValues {
                name: "v".into(),
                metrics: metrics.iter().map(|(k, x)| (k.to_string(), x.clone())).collect(),
            }],
        }
    }

    fn settings(replicates: usize, informational: &[&str]) -> Settings {
        Settings {
            scenario_file: "f".into(),
            seed: 1,
            replicates,
            overrides: vec![],
            informational: informational.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// Every replicate value multiplied by `f`: a model change of the metric by `f − 1`.
    fn scaled(r: &Rerun, metric: &str, f: f64) -> Rerun {
        let mut r = r.clone();
        for x in r.variants[0].metrics.get_mut(metric).unwrap() {
            *x *= f;
        }
        r
    }

    #[test]
    fn tolerance_scales_with_spread_and_flags_moves() {
        let r = rerun(&[("a", vec![0.9, 1.0, 1.1, 1.0]), ("b", vec![0.5; 4])]);
        let b = baseline_from(&r, settings(4, &[]));
        let a = b.variants[0].metrics["a"];
        assert_eq!(a.scale, Scale::Linear);
        // t(1 - 0.01/4, 3) = 7.453 (tables) times sqrt(2/4).
        let sd = (0.02f64 / 3.0).sqrt();
        assert!((a.tolerance - 7.453 * sd * 0.5f64.sqrt()).abs() < 0.01, "{}", a.tolerance);
        assert!((a.detectable_change.unwrap() - a.tolerance).abs() < 1e-12);
        assert!(b.variants[0].metrics["b"].tolerance > 0.0);
        let c = compare_with(&b, &r);
        assert_eq!((c.checked(), c.failures().len(), c.new_metrics.len()), (2, 0, 0));
        let mut moved = r.clone();
        for x in moved.variants[0].metrics.get_mut("a").unwrap() {
            *x += 1.5 * a.tolerance;
        }
        let failures = compare_with(&b, &moved).failures();
        assert_eq!(failures.len(), 1);
        assert!(failure_table(&failures).contains("1.5×tol"));
    }

    #[test]
    fn heavy_tailed_counts_go_on_the_log_scale() {
        let s = |x: &[f64]| Scale::for_values(&[x]);
        // Shares, a Gini and a correlation: linear, however skewed.
        assert_eq!(s(&[0.01, 0.02, 0.2, 0.0]), Scale::Linear);
        assert_eq!(s(&[0.83, 0.84, 0.82]), Scale::Linear);
        assert_eq!(s(&[-0.2, 0.4, 0.9]), Scale::Linear);
        // Counts and totals, skewed or not.
        assert_eq!(s(&[0.0, 3.0, 250.0, 12.0]), Scale::Log1p);
        assert_eq!(s(&[1_333_000.0, 1_334_512.0]), Scale::Log1p);
        // A non-whole rate above 1: log only when skewed (sd > mean / 2).
        assert_eq!(s(&[207.4, 210.1, 204.9]), Scale::Linear);
        assert_eq!(s(&[0.5, 9.0, 1.2, 3.3]), Scale::Log1p);
        // Negative values stay linear; the scale is decided over all variants.
        assert_eq!(s(&[-1.0, 20.0, 3.0]), Scale::Linear);
        assert_eq!(Scale::for_values(&[&[4.1, 4.2], &[0.5, 9.0, 1.2]]), Scale::Log1p);
        let r = rerun(&[("conversions", vec![0.0, 4.0, 310.0, 35.0])]);
        let e = baseline_from(&r, settings(4, &["conversions"])).variants[0].metrics["conversions"];
        assert_eq!(e.scale, Scale::Log1p);
        assert!((e.mean - 87.25).abs() < 1e-12);
        let logs: Vec<f64> = [0.0f64, 4.0, 310.0, 35.0].iter().map(|x| x.ln_1p()).collect();
        assert!((e.log1p_mean.unwrap() - logs.iter().sum::<f64>() / 4.0).abs() < 1e-12);
        assert!((e.detectable_change.unwrap() - e.tolerance.exp_m1()).abs() < 1e-12);
    }

    /// The four kinds of metric at the spread of a small world, 16 replicates.
    fn kinds() -> Rerun {
        let around = |mean: f64, sd: f64| Z.iter().map(|z| mean + sd * z).collect::<Vec<_>>();
        rerun(&[
            ("channel_share.feed", around(0.8936, 0.0012)),
            ("creator_impressions_gini", around(0.8305, 0.0026)),
            ("conversions", Z.iter().map(|z| (2400.0 * (0.05 * z).exp()).round()).collect()),
            ("engagements_per_1000_impressions", around(207.4, 3.0)),
        ])
    }

    #[test]
    fn an_unchanged_rerun_passes_and_a_ten_percent_move_of_any_kind_fails() {
        let r = kinds();
        let b = baseline_from(&r, settings(16, &[]));
        assert!(b.too_coarse().is_empty() && refusal(&b, Path::new("s.json")).is_none());
        let scale = |m: &str| b.variants[0].metrics[m].scale;
        assert_eq!(scale("channel_share.feed"), Scale::Linear);
        assert_eq!(scale("creator_impressions_gini"), Scale::Linear);
        assert_eq!(scale("conversions"), Scale::Log1p);
        assert_eq!(scale("engagements_per_1000_impressions"), Scale::Linear);
        let c = compare_with(&b, &r);
        assert!(c.failures().is_empty() && c.rows.iter().all(|row| row.moved == Some(0.0)));
        for metric in r.variants[0].metrics.keys() {
            let d = b.variants[0].metrics[metric].detectable_change.unwrap();
            assert!(d < 0.1, "{metric}: detects only {}", percent(Some(d)));
            for f in [1.1, 1.0 / 1.1] {
                let failures = compare_with(&b, &scaled(&r, metric, f)).failures();
                assert_eq!(failures.len(), 1, "{metric} × {f}: {failures:?}");
                assert_eq!(failures[0].metric, *metric);
            }
            // The same move made in the baseline instead of the rerun.
            let mut nudged = b.clone();
            let e = nudged.variants[0].metrics.get_mut(metric).unwrap();
            e.mean *= 1.1;
            e.log1p_mean = e.log1p_mean.map(|m| m + 1.1f64.ln());
            let failures = compare_with(&nudged, &r).failures();
            assert_eq!(failures.iter().map(|f| f.metric.as_str()).collect::<Vec<_>>(), [metric.as_str()]);
        }
    }

    #[test]
    fn a_check_coarser_than_its_metric_is_refused_unless_informational() {
        // Conversions at 4 000 users and 8 replicates: sd above the mean.
        let conv = vec![0.0, 12.0, 310.0, 35.0, 150.0, 2.0, 88.0, 180.0];
        let r = rerun(&[("conversions", conv), ("creator_impressions_gini", vec![0.83, 0.831, 0.829, 0.8305])]);
        let b = baseline_from(&r, settings(8, &[]));
        let msg = refusal(&b, Path::new("results/baselines/s.json")).expect("refused");
        for part in ["s.json", "scenario `s`", " v ", "conversions", "log1p", "--replicates 32", "world.users"] {
            assert!(msg.contains(part), "the refusal lacks {part:?}: {msg}");
        }
        assert!(msg.contains("--informational 'conversions'") && !msg.contains("gini  "), "{msg}");
        let e = b.variants[0].metrics["conversions"];
        assert!(msg.contains(&format!("{:.6}", e.log1p_mean.unwrap())) && msg.contains(&format!("{:.6}", e.tolerance)));
        // Marked informational (by glob or variant/metric): written, rerun, never failing.
        for pattern in ["conv*", "v/conversions", "conversions"] {
            let b = baseline_from(&r, settings(8, &[pattern]));
            assert!(refusal(&b, Path::new("s.json")).is_none(), "{pattern}");
            assert!(b.variants[0].metrics["conversions"].informational);
            let c = compare_with(&b, &scaled(&r, "conversions", 100.0));
            assert_eq!((c.checked(), c.informational(), c.failures().len(), c.informational_moved()), (1, 1, 0, 1));
            assert!(table(&c.rows, true).contains("info, moved"));
        }
        // Refused in one variant only: the suggestion names that variant.
        let mut two = r.clone();
        two.variants.push(VariantValues {
            name: "w".into(),
            metrics: [("conversions".to_string(), vec![500.0, 510.0, 490.0, 505.0, 495.0, 500.0, 502.0, 498.0])].into(),
        });
        let msg = refusal(&baseline_from(&two, settings(8, &[])), Path::new("s.json")).expect("refused");
        assert!(msg.contains("--informational 'v/conversions'") && !msg.contains("w/conversions"), "{msg}");
        // Metrics without spread are checked exactly, never refused.
        let b = baseline_from(&rerun(&[("ticks", vec![30.0; 8]), ("zero", vec![0.0; 8])]), settings(8, &[]));
        assert!(b.too_coarse().is_empty());
        let c = compare_with(&b, &rerun(&[("ticks", vec![31.0; 8]), ("zero", vec![0.0; 8])]));
        assert_eq!(c.failures().len(), 1);
    }

    #[test]
    fn patterns_match_metric_or_variant_and_metric() {
        assert!(pattern_matches("funnel.*", "v", "funnel.bank.act"));
        assert!(pattern_matches("*.act", "v", "funnel.bank.act"));
        assert!(pattern_matches("v/funnel.*", "v", "funnel.bank.act"));
        assert!(!pattern_matches("w/funnel.*", "v", "funnel.bank.act"));
        assert!(pattern_matches("hh?", "v", "hhi") && !pattern_matches("hh", "v", "hhi"));
        assert!(!pattern_matches("", "v", "hhi"));
        let r = kinds();
        assert_eq!(unmatched_patterns(&["conv*".into(), "nope".into()], &r), ["nope"]);
    }

    #[test]
    fn a_format_1_baseline_loads_on_the_linear_scale() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.json");
        let old = r#"{"scenario": "s", "feedsim_version": "0.1.0", "regenerate": "x", "tolerance_rule": "y",
            "settings": {"scenario_file": "f", "seed": 1, "replicates": 8, "overrides": []},
            "variants": [{"name": "v", "metrics": {
                "conversions": {"mean": 97.125, "sd": 105.4, "tolerance": 420.5},
                "gini": {"mean": 0.83, "sd": 0.0026, "tolerance": 0.0102}}}]}"#;
        std::fs::write(&path, old).unwrap();
        let b = read(&path).unwrap();
        assert_eq!((b.format, b.settings.informational.len()), (1, 0));
        let e = b.variants[0].metrics["conversions"];
        assert_eq!((e.scale, e.informational), (Scale::Linear, false));
        assert!((e.detectable_change.unwrap() - 420.5 / 97.125).abs() < 1e-12);
        // The check that cannot fail is named as such.
        assert_eq!(b.too_coarse().iter().map(|c| c.1).collect::<Vec<_>>(), ["conversions"]);
        let r = rerun(&[("conversions", vec![3.0 * 97.125 + 1.0; 8]), ("gini", vec![0.83; 8])]);
        assert!(compare_with(&b, &r).failures().is_empty(), "format 1 keeps its old tolerances");
        // A log1p metric without its log statistics is refused with the way out.
        std::fs::write(&path, old.replace(r#""tolerance": 420.5"#, r#""tolerance": 420.5, "scale": "log1p""#)).unwrap();
        let err = read(&path).unwrap_err().to_string();
        assert!(err.contains("log1p_mean") && err.contains("feedsim check --update"), "{err}");
        // A written baseline reads back the same.
        let b = baseline_from(&kinds(), settings(16, &["conv*"]));
        std::fs::write(&path, crate::io::json_bytes(&b).unwrap()).unwrap();
        assert_eq!(read(&path).unwrap(), b);
    }
}
