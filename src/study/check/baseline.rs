//! The baseline format: settings, scales and per-metric expectations (format 1 and 2).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::OWN_SIZE;
use crate::observe::stats::mean_interval;

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
    /// File format ([`BASELINE_FORMAT`](super::BASELINE_FORMAT); 1 when absent).
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
