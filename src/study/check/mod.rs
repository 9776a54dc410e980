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

mod baseline;
mod judge;
mod rerun;
mod update;

pub use baseline::*;
pub use judge::*;
pub use rerun::*;
pub use update::*;

use crate::scenario::ScenarioError;

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

#[cfg(test)]
mod tests {
    use std::path::Path;

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
        assert_eq!((c.checked(), c.failures().len(), c.new_metrics.len(), c.differing()), (2, 0, 0, 0));
        // A move well within the tolerance passes, and is still told apart from none.
        let mut nudged = r.clone();
        nudged.variants[0].metrics.get_mut("a").unwrap()[0] += 1e-9;
        let c = compare_with(&b, &nudged);
        assert_eq!((c.failures().len(), c.differing()), (0, 1));
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
