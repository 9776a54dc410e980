//! Calibration: fit scenario keys to observed figures (`feedsim calibrate`). The method
//! is here ([`design`]: the rounds' points; [`posterior`]: distances, weights and the
//! summary); the command's driver is `app::calibrate`, its files `io::calibration`.
//!
//! A strategist's forecast is only as good as the rates behind it, and most rates in a
//! scenario are assumptions. `calibrate` searches a box of values for some keys
//! (`--param KEY=LO:HI`) for the values whose simulated metrics come closest to what was
//! observed (`--targets TARGETS.toml`), and says how sure it is of each fitted value.
//!
//! **Targets.** A targets file lists `[[target]]` tables: `metric` (any key summary.json
//! has), `value` (the observed figure), `source` (where the figure comes from; say
//! "illustrative" when it is made up), and optionally `variant` (omitted: the target
//! applies to every variant, each matched on its own), `weight` (default 1) and `se`
//! (the observed figure's standard error, when it is itself an average; see below).
//! Only variants a target names are simulated.
//!
//! **Evaluations on common random numbers.** One evaluation runs the scenario at one
//! point with `--replicates N`: replicate r uses seed `seed + r` at every point, so two
//! points differ only by their parameter values, not by the worlds drawn. The budget
//! counts evaluations (each N replicates). A round's points run in parallel, each
//! replicate on its own; every replicate is deterministic, so the results are the same
//! for any `--threads`.
//!
//! **Distance.** For target k with observed value `y_k` and simulated mean `m_k(θ)`,
//! `D(θ) = Σ_k w_k (m_k(θ) − y_k)² / v_k`, where `v_k` is the variance of
//! `y_k − m_k(θ)` at the true θ: an observed figure is one world, so it scatters around
//! the model's expectation like one replicate does, `s_k²`, and the simulated mean of N
//! replicates adds `s_k²/N`: `v_k = s_k² (1 + 1/N)`. With `se` given (an observed
//! average), `v_k = se_k² + s_k²/N`. `s_k` is the median over the first round's points
//! of the replicates' standard deviation of metric k: the standard deviation of one
//! replicate, so the distance is in units of the simulation's own noise rather than of
//! the target's size. Why not the target's |value|: a relative error treats a 1 % miss
//! on a metric the model reproduces to 0.1 % the same as on one that scatters by 20 %,
//! and fails for targets near zero. Why the median over a whole round rather than each
//! point's own standard deviation: with a handful of replicates a point's standard
//! deviation is itself noisy, and a point whose replicates happen to agree would look
//! farther from the target than it is. With these units `D` is about a χ² with one
//! degree of freedom per target at the true values, and `exp(−D/2)` is the Gaussian
//! synthetic likelihood (Wood 2010) of the targets.
//!
//! **Search: ABC population Monte Carlo with adaptive importance sampling.** Round 1 is
//! a Latin hypercube over the box (every parameter's range cut into as many strata as
//! points, one point per stratum), drawn from the scenario's seed. Each later round
//! draws its points from a Gaussian kernel around the points evaluated so far, each
//! picked with its current posterior weight, with the kernel's standard deviation per
//! parameter twice the posterior variance (Beaumont et al. 2009), so the kernel shrinks
//! as the posterior narrows; a tenth of the draws are uniform over the box, so that no
//! region is left unexplored and weights stay bounded (defensive mixture, Hesterberg
//! 1995). Draws outside the box are redrawn (a truncated kernel).
//!
//! **Posterior.** Every evaluated point is a draw from the mixture of all rounds'
//! proposals, so its importance weight is `prior / q_mix × exp(−D/(2h²))`, where
//! `q_mix` is the average of the rounds' proposal densities (weighted by their points;
//! the multiple importance sampling of Cornuet et al. 2012) and `h` is the ABC kernel's
//! bandwidth in noise units: 1 when enough points lie near the fit (an effective sample
//! size of at least a quarter of the points, between d + 1 and 50), otherwise the
//! smallest wider bandwidth that gives that many (the ε of ABC, chosen by quantile).
//! `h > 1` means the budget is too small to resolve the posterior at the noise level:
//! the intervals are then wider than the data alone would give, never narrower.
//! Each parameter's uncertainty is the weighted 2.5–97.5 % posterior interval. A
//! parameter whose interval covers more than half of its range is flagged
//! `identified: false`: the targets do not pin it down.
//!
//! **Limits.** Targets are treated as independent (a diagonal noise covariance): two
//! targets that measure nearly the same thing count twice, so weight them down. The
//! noise unit is one per target for the whole box (the median over round 1), so where
//! the replicates scatter much more or less than that median, the intervals are too
//! narrow or too wide there. The posterior is only as good as the points evaluated: read
//! `effective_points` and `bandwidth` before the intervals.
//!
//! **Outputs.** `calibration.json` (`best`, `fit`, `uncertainty`, `posterior_draws`,
//! `history`), `calibration.csv` (one row per evaluated point) and, with `--report`, a
//! report section. `best` is the evaluated point with the smallest distance; `fit`
//! gives each target with the simulated mean and its 95 % interval over the replicates
//! at that point. `posterior_draws` resamples the posterior (systematic resampling), to
//! run a forecast at several draws and carry the calibration's uncertainty into it.
//! Every finished evaluation is saved at once; Ctrl-C ends the run after the running
//! replicates stop and keeps what was evaluated, and `--resume` goes on with it.

mod design;
mod posterior;

pub(crate) use design::Proposal;
pub use design::round_sizes;
pub(crate) use posterior::{Setup, summarise};

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::scenario::Scenario;
use crate::study::compare::Estimate;
use crate::study::sweep::ParamDoc;

/// Most parameters one calibration fits.
pub const MAX_PARAMS: usize = 8;
/// Evaluations the budget needs per parameter: two rounds of at least 5 points per
/// parameter (a space-filling first round and one refinement).
pub const MIN_BUDGET_PER_PARAM: usize = 10;
/// Largest `--budget`.
pub const MAX_BUDGET: usize = 100_000;
/// Share of a later round's draws that are uniform over the box.
pub const DEFENSIVE_SHARE: f64 = 0.1;
/// A posterior interval wider than this share of the range marks a parameter as not
/// identified by the targets.
pub const IDENTIFIED_MAX_SHARE: f64 = 0.5;
/// Rows of `posterior_draws`.
pub const POSTERIOR_DRAWS: usize = 20;

/// One fitted parameter: a scenario key and the box it is searched in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParamRange {
    /// Dotted key, as `--set` takes it, or `variants.NAME.path.to.key` for one variant.
    pub key: String,
    /// Lower end of the range.
    pub lo: f64,
    /// Upper end of the range.
    pub hi: f64,
    /// Whether the key takes whole numbers (its value in the scenario is a TOML
    /// integer): values are rounded when applied.
    pub integer: bool,
}

impl ParamRange {
    fn text(&self, x: f64) -> String {
        if self.integer { format!("{}", x.round() as i64) } else { format!("{x}") }
    }
}

/// Parses `KEY=LO:HI`.
pub fn parse_param(arg: &str) -> Result<ParamRange, String> {
    let fail = |m: String| format!("--param {arg}: {m}");
    let (key, spec) = arg.split_once('=').ok_or_else(|| {
        fail("expected KEY=LO:HI, a range of numbers to search, for example feed.follower_weight=0:1".into())
    })?;
    let key = key.trim();
    if key.is_empty() || key.split('.').any(str::is_empty) {
        return Err(fail("the key is empty or has an empty part; write it dotted, like feed.follower_weight".into()));
    }
    let parts: Vec<&str> = spec.split(':').map(str::trim).collect();
    if parts.len() != 2 {
        return Err(fail(
            "a range is LO:HI with LO < HI, like 0.1:0.9 (a whole-number key, like feed.slate_size, runs with the value rounded)".into(),
        ));
    }
    let num = |p: &str| {
        p.parse::<f64>().ok().filter(|x| x.is_finite()).ok_or_else(|| fail(format!("`{p}` is not a finite number")))
    };
    let (lo, hi) = (num(parts[0])?, num(parts[1])?);
    if lo >= hi {
        return Err(fail(format!("LO ({lo}) must be below HI ({hi}); write LO:HI, like 0.1:0.9")));
    }
    Ok(ParamRange { key: key.to_string(), lo, hi, integer: false })
}

/// Whether `key` holds a whole number in the resolved scenario (the variant's own value
/// for `variants.NAME.key`), so that its values are rounded when applied.
pub(crate) fn integer_key(s: &Scenario, key: &str) -> bool {
    let (variant, path) = match key.strip_prefix("variants.").and_then(|r| r.split_once('.')) {
        Some((name, rest)) => (s.variants.iter().find(|v| v.name == name), rest),
        None => (s.variants.first(), key),
    };
    let Some(v) = variant else { return false };
    let Ok(mut value) = toml::Value::try_from(&v.params) else { return false };
    for part in path.split('.') {
        match value.get(part) {
            Some(inner) => value = inner.clone(),
            None => return false,
        }
    }
    value.is_integer()
}

/// One observed figure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    /// Variant it is observed on; `None`: every variant.
    pub variant: Option<String>,
    /// Metric key of summary.json.
    pub metric: String,
    /// Observed value.
    pub value: f64,
    /// Weight in the distance.
    pub weight: f64,
    /// Standard error of the observed value when it is an average; `None`: it is one
    /// observation, which scatters like one replicate.
    pub se: Option<f64>,
    /// Where the figure comes from.
    pub source: String,
    /// 1-based line of its `[[target]]` table in the targets file.
    pub line: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetsFile {
    #[serde(default)]
    target: Vec<toml::Spanned<RawTarget>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    variant: Option<toml::Spanned<String>>,
    metric: Option<toml::Spanned<String>>,
    value: Option<toml::Spanned<toml::Value>>,
    weight: Option<toml::Spanned<toml::Value>>,
    se: Option<toml::Spanned<toml::Value>>,
    source: Option<toml::Spanned<String>>,
}

pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].bytes().filter(|&b| b == b'\n').count() + 1
}

/// Parses a targets file's text (`path` names it in errors, with the line and key).
pub fn parse_targets(text: &str, path: &str) -> Result<Vec<Target>, String> {
    const SHAPE: &str = "each [[target]] has metric = \"...\", value = <number>, source = \"...\", and optionally \
                         variant = \"...\", weight = <number > 0>, se = <number > 0>";
    let file: TargetsFile = toml::from_str(text).map_err(|e| {
        let at = e.span().map_or(String::new(), |s| format!(":{}", line_of(text, s.start)));
        format!("{path}{at}: {}; {SHAPE}", e.message().trim())
    })?;
    if file.target.is_empty() {
        return Err(format!("{path}: no [[target]] tables; {SHAPE}"));
    }
    let mut out = Vec::new();
    for t in &file.target {
        let line = line_of(text, t.span().start);
        let raw = t.get_ref();
        let at = |span: std::ops::Range<usize>, key: &str, m: &str| {
            format!("{path}:{}: `{key}` {m}", line_of(text, span.start))
        };
        let number = |v: &toml::Spanned<toml::Value>, key: &str, positive: bool| -> Result<f64, String> {
            let x = match v.get_ref() {
                toml::Value::Float(x) => *x,
                toml::Value::Integer(i) => *i as f64,
                other => return Err(at(v.span(), key, &format!("is {}, not a number", other.type_str()))),
            };
            if !x.is_finite() || (positive && x <= 0.0) {
                let valid = if positive { "a finite number above 0" } else { "a finite number" };
                return Err(at(v.span(), key, &format!("= {x}: valid values are {valid}")));
            }
            Ok(x)
        };
        let missing = |key: &str| format!("{path}:{line}: [[target]] has no `{key}`; {SHAPE}");
        let metric = raw.metric.as_ref().ok_or_else(|| missing("metric"))?.get_ref().clone();
        let value = number(raw.value.as_ref().ok_or_else(|| missing("value"))?, "value", false)?;
        let source = raw.source.as_ref().ok_or_else(|| missing("source"))?.get_ref().trim().to_string();
        if source.is_empty() {
            return Err(format!(
                "{path}:{line}: `source` is empty: say where the figure comes from (or \"illustrative\")"
            ));
        }
        let weight = raw.weight.as_ref().map(|w| number(w, "weight", true)).transpose()?.unwrap_or(1.0);
        let se = raw.se.as_ref().map(|w| number(w, "se", true)).transpose()?;
        out.push(Target {
            variant: raw.variant.as_ref().map(|v| v.get_ref().clone()),
            metric,
            value,
            weight,
            se,
            source,
            line,
        });
    }
    Ok(out)
}

/// One term of the distance: a target matched on one variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Term {
    /// Variant.
    pub variant: String,
    /// Metric.
    pub metric: String,
    /// Index of its target in the targets file.
    pub target: usize,
}

/// The simulated estimate of one term at one point.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Simulated {
    /// Mean over the replicates.
    pub mean: f64,
    /// Standard deviation of one replicate.
    pub sd: f64,
    /// Lower end of the mean's 95 % interval (Student t).
    pub ci_low: f64,
    /// Upper end.
    pub ci_high: f64,
}

/// One evaluated point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointDoc {
    /// Evaluation number, 0-based, in design order.
    pub index: usize,
    /// Round, 1-based.
    pub round: usize,
    /// Each key's value (as drawn; whole-number keys run with it rounded).
    pub point: BTreeMap<String, f64>,
    /// Distance to the targets (recomputed from the final noise scale).
    pub distance: f64,
    /// Posterior weight (sums to 1 over the history).
    pub weight: f64,
    /// Per term (in `terms` order), the simulated estimate.
    pub simulated: Vec<Simulated>,
}

/// One target's fit at the best point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitRow {
    /// Variant.
    pub variant: String,
    /// Metric.
    pub metric: String,
    /// Observed value.
    pub target: f64,
    /// Simulated mean at the best point.
    pub mean: f64,
    /// Its 95 % interval over the replicates.
    pub ci_low: f64,
    /// Upper end.
    pub ci_high: f64,
    /// `(mean − target) / √v`, in noise units (see the module docs).
    pub z: f64,
    /// Where the target comes from.
    pub source: String,
}

/// One parameter's posterior.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParamUncertainty {
    /// Posterior median.
    pub median: f64,
    /// Posterior mean.
    pub mean: f64,
    /// Posterior standard deviation.
    pub sd: f64,
    /// 2.5 % posterior quantile.
    pub low: f64,
    /// 97.5 % posterior quantile.
    pub high: f64,
    /// `(high − low) / (HI − LO)`: the share of the searched range the interval covers.
    pub range_share: f64,
    /// Whether the targets pin the value down: `range_share` at most 0.5.
    pub identified: bool,
}

/// The uncertainty of the fitted values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UncertaintyDoc {
    /// What the intervals are.
    pub kind: String,
    /// ABC kernel bandwidth in noise units (1: the simulation's noise alone; above 1:
    /// widened because too few points lie near the fit for the budget).
    pub bandwidth: f64,
    /// Effective number of posterior points (Kish).
    pub effective_points: f64,
    /// Per key.
    pub params: BTreeMap<String, ParamUncertainty>,
}

/// One round of the design.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoundDoc {
    /// Round, 1-based.
    pub round: usize,
    /// Points planned.
    pub points: usize,
    /// How they were drawn.
    pub design: String,
    /// Kernel standard deviation per key, in the key's units (empty for round 1).
    pub kernel_sd: Vec<f64>,
}

/// The `calibration.json` document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CalibrationDoc {
    /// Scenario name.
    pub scenario: String,
    /// Scenario file as given.
    pub scenario_file: String,
    /// Targets file as given.
    pub targets_file: String,
    /// Seed of replicate 0 (and of the design's draws).
    pub seed: u64,
    /// Replicates per evaluation.
    pub replicates: usize,
    /// Evaluations planned.
    pub budget: usize,
    /// feedsim version.
    pub feedsim_version: String,
    /// `--set` overrides applied at every point.
    pub overrides: Vec<String>,
    /// The method, in a sentence.
    pub method: String,
    /// The fitted keys and their ranges.
    pub params: Vec<ParamRange>,
    /// The targets as read.
    pub targets: Vec<Target>,
    /// The distance's terms: targets matched on variants.
    pub terms: Vec<Term>,
    /// Per term, `√v`: the noise unit of the distance.
    pub noise: Vec<f64>,
    /// The rounds of the design.
    pub rounds: Vec<RoundDoc>,
    /// The evaluated point closest to the targets.
    pub best: BTreeMap<String, f64>,
    /// Its distance (absent before the first evaluation).
    pub best_distance: Option<f64>,
    /// Each target at the best point.
    pub fit: Vec<FitRow>,
    /// The uncertainty of each fitted value.
    pub uncertainty: Option<UncertaintyDoc>,
    /// Points resampled from the posterior, each key's value.
    pub posterior_draws: Vec<BTreeMap<String, f64>>,
    /// Every evaluated point, in design order.
    pub history: Vec<PointDoc>,
    /// True while evaluations are missing: interrupted; `--resume` goes on.
    pub partial: bool,
}

/// The closest name by edit distance, if close enough to be a likely typo.
pub(crate) fn closest<'a>(name: &str, names: impl Iterator<Item = &'a String>) -> Option<&'a String> {
    let dist = |a: &str, b: &str| {
        let b: Vec<char> = b.chars().collect();
        let mut row: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut prev = row[0];
            row[0] = i + 1;
            for j in 0..b.len() {
                let cur = row[j + 1];
                row[j + 1] = (prev + usize::from(ca != b[j])).min(row[j] + 1).min(cur + 1);
                prev = cur;
            }
        }
        row[b.len()]
    };
    names.map(|n| (dist(name, n), n)).filter(|(d, _)| *d <= name.len().max(3) / 3).min().map(|(_, n)| n)
}

/// The scenario at one point: the parameters applied like `--set` (or to one variant),
/// then only the variants the targets need.
pub(crate) fn load_at(
    path: &Path,
    overrides: &[String],
    params: &[ParamRange],
    values: &[f64],
    keep: &[String],
) -> Result<Scenario, crate::study::sweep::SweepError> {
    let docs: Vec<ParamDoc> = params.iter().map(|p| ParamDoc { key: p.key.clone(), values: Vec::new() }).collect();
    let texts: Vec<String> = params.iter().zip(values).map(|(p, v)| p.text(*v)).collect();
    let mut s = crate::study::sweep::load_point(path, overrides, &docs, &texts)?;
    if !keep.is_empty() {
        s.variants.retain(|v| keep.contains(&v.name));
    }
    Ok(s)
}

/// One evaluation: `replicates` replicates of `s` on the current pool (replicate r with
/// seed + r, as at every point), summarised per term. `None` when stopped before all
/// replicates finished.
pub fn evaluate(
    s: &Scenario,
    replicates: usize,
    terms: &[Term],
    should_stop: &(dyn Fn() -> bool + Sync),
    on_replicate: &(dyn Fn() + Sync),
) -> Option<Vec<Simulated>> {
    let runs =
        crate::study::compare::run_replicates(s, replicates, false, Vec::new(), should_stop, &|_| on_replicate());
    let runs = runs.into_iter().collect::<Option<Vec<_>>>()?;
    let cmp = crate::study::compare::summarise_replicates(s, &runs, false);
    let missing = Estimate { n: 0, mean: f64::NAN, sd: f64::NAN, ci_low: f64::NAN, ci_high: f64::NAN };
    Some(
        terms
            .iter()
            .map(|t| {
                let e = cmp.estimate(&t.variant, &t.metric).unwrap_or(missing);
                Simulated { mean: e.mean, sd: e.sd, ci_low: e.ci_low, ci_high: e.ci_high }
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::design::{latin_hypercube, phi, round_rng};
    use super::posterior::weighted_quantile;
    use super::*;

    #[test]
    fn params_parse_and_refuse() {
        let p = parse_param("feed.follower_weight=0:1").unwrap();
        assert_eq!((p.lo, p.hi), (0.0, 1.0));
        for bad in ["feed.x", "=0:1", "a..b=0:1", "a=1:0", "a=1:1", "a=0:1:2", "a=x:1", "a=0:inf"] {
            assert!(parse_param(bad).is_err(), "{bad}");
        }
        assert!(parse_param("a=1:0").unwrap_err().contains("LO (1) must be below HI (0)"));
    }

    #[test]
    fn targets_name_file_line_and_key() {
        let ok = "[[target]]\nmetric = \"read_rate\"\nvalue = 0.2\nsource = \"illustrative\"\n\n[[target]]\nvariant = \"a\"\nmetric = \"m\"\nvalue = 1\nweight = 2\nsource = \"x\"\n";
        let t = parse_targets(ok, "t.toml").unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!((t[1].line, t[1].value, t[1].weight), (6, 1.0, 2.0));
        let e = parse_targets("[[target]]\nmetric = \"m\"\nvalue = 1\n", "t.toml").unwrap_err();
        assert!(e.starts_with("t.toml:1:") && e.contains("`source`"), "{e}");
        let e = parse_targets("[[target]]\nmetric = \"m\"\nvalue = 1\nsource = \"s\"\nweight = -1\n", "t.toml")
            .unwrap_err();
        assert!(e.starts_with("t.toml:5: `weight`"), "{e}");
        let e = parse_targets("[[target]]\nmetric = \"m\"\nvalu = 1\n", "t.toml").unwrap_err();
        assert!(e.starts_with("t.toml:3") && e.contains("valu"), "{e}");
        assert!(parse_targets("", "t.toml").unwrap_err().contains("no [[target]]"));
    }

    #[test]
    fn budgets_below_the_minimum_are_refused() {
        assert_eq!(round_sizes(19, 2), None);
        assert_eq!(round_sizes(20, 2), Some(vec![10, 10]));
        assert_eq!(round_sizes(50, 2), Some(vec![14, 12, 12, 12]));
        assert_eq!(round_sizes(10_000, 1).unwrap().len(), 8);
    }

    #[test]
    fn phi_and_quantiles() {
        assert!((phi(0.0) - 0.5).abs() < 1e-7);
        assert!((phi(1.959_964) - 0.975).abs() < 1e-6);
        assert!((phi(-1.0) - 0.158_655_25).abs() < 1e-6);
        let xs = [1.0, 2.0, 3.0, 4.0];
        let w = [0.25; 4];
        assert!((weighted_quantile(&xs, &w, 0.5) - 2.5).abs() < 1e-12);
        assert_eq!(weighted_quantile(&xs, &w, 0.0), 1.0);
        assert_eq!(weighted_quantile(&xs, &w, 1.0), 4.0);
    }

    #[test]
    fn latin_hypercube_fills_every_stratum_once() {
        let mut rng = round_rng(7, 1);
        let pts = latin_hypercube(10, 3, &mut rng);
        for j in 0..3 {
            let mut strata: Vec<usize> = pts.iter().map(|p| (p[j] * 10.0) as usize).collect();
            strata.sort();
            assert_eq!(strata, (0..10).collect::<Vec<_>>());
        }
    }

    #[test]
    fn truncated_kernels_integrate_to_one() {
        let prop = Proposal { centres: vec![vec![0.05], vec![0.7]], probs: vec![0.5, 0.5], sd: vec![0.1] };
        let n = 20_000;
        let mass: f64 = (0..n).map(|i| prop.density(&[(i as f64 + 0.5) / n as f64])).sum::<f64>() / n as f64;
        assert!((mass - 1.0).abs() < 1e-4, "{mass}");
    }
}
