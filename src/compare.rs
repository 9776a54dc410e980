//! Replicates and comparisons: each variant run N times with independent seeds, with
//! means and 95 % confidence intervals, and paired differences between variants.
//!
//! Replicate `r` runs the whole scenario with seed `seed + r`, so any replicate can be
//! rerun alone with `feedsim run --seed`. Within a replicate all variants share the world
//! and the posted notes (common random numbers), so differences between variants are
//! paired by replicate, which removes the world-to-world spread from their intervals.
//! Replicates run in parallel; each is deterministic, so results do not change with the
//! number of threads.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::Serialize;

use crate::engine::{RunOptions, run_here};
use crate::metrics::MetricMap;
use crate::metrics::stats::{Interval, mean_interval, paired_difference};
use crate::scenario::Scenario;

/// A metric's mean with its 95 % interval over replicates.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Estimate {
    /// Replicates.
    pub n: usize,
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation.
    pub sd: f64,
    /// Lower end of the 95 % confidence interval (Student t).
    pub ci_low: f64,
    /// Upper end of the 95 % confidence interval.
    pub ci_high: f64,
}

impl From<Interval> for Estimate {
    fn from(i: Interval) -> Self {
        Estimate { n: i.n, mean: i.mean, sd: i.sd, ci_low: i.low, ci_high: i.high }
    }
}

impl Estimate {
    /// Whether the interval excludes zero.
    pub fn excludes_zero(&self) -> bool {
        self.ci_low > 0.0 || self.ci_high < 0.0
    }
}

/// One variant's estimates.
#[derive(Debug, Clone, Serialize)]
pub struct VariantEstimates {
    /// Variant name.
    pub name: String,
    /// Metric → estimate.
    pub metrics: BTreeMap<String, Estimate>,
}

/// Paired differences `a − b` between two variants.
#[derive(Debug, Clone, Serialize)]
pub struct Difference {
    /// Minuend variant.
    pub a: String,
    /// Subtrahend variant.
    pub b: String,
    /// Metric → estimate of the paired difference.
    pub metrics: BTreeMap<String, Estimate>,
}

/// The `comparison.json` document.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// Scenario name.
    pub scenario: String,
    /// Seed of replicate 0; replicate r used seed + r.
    pub seed: u64,
    /// Replicates per variant.
    pub replicates: usize,
    /// feedsim version.
    pub feedsim_version: &'static str,
    /// Per-variant estimates.
    pub variants: Vec<VariantEstimates>,
    /// Paired differences for every pair of variants (in scenario order).
    pub differences: Vec<Difference>,
}

/// Runs `replicates` replicates on the current rayon pool and summarises them.
/// `on_replicate` is called as each replicate finishes (in any order).
pub fn compare(scenario: &Scenario, replicates: usize, on_replicate: &(dyn Fn() + Sync)) -> Comparison {
    let runs: Vec<Vec<MetricMap>> = (0..replicates as u64)
        .into_par_iter()
        .map(|r| {
            let s = scenario.with_seed(scenario.seed.wrapping_add(r));
            let out = run_here(&s, &RunOptions { threads: 0, on_tick: &|_, _| {}, should_stop: &|| false }, 0);
            on_replicate();
            out.variants.into_iter().map(|v| v.metrics).collect()
        })
        .collect();
    summarise(scenario, &runs)
}

/// Summarises replicate metric maps (`runs[replicate][variant]`).
pub fn summarise(scenario: &Scenario, runs: &[Vec<MetricMap>]) -> Comparison {
    let names: Vec<String> = scenario.variants.iter().map(|v| v.name.clone()).collect();
    // A metric a variant lacks in any replicate (a campaign only some variants run) is
    // left out for that variant rather than counted as zero.
    let series = |vi: usize, key: &str| -> Vec<f64> { runs.iter().filter_map(|r| r[vi].get(key).copied()).collect() };
    let complete = |vi: usize, key: &str| runs.iter().all(|r| r[vi].contains_key(key));
    let keys: Vec<String> = runs
        .iter()
        .flat_map(|r| r.iter().flat_map(|m| m.keys().cloned()))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let variants = names
        .iter()
        .enumerate()
        .map(|(vi, name)| VariantEstimates {
            name: name.clone(),
            metrics: keys
                .iter()
                .filter(|k| complete(vi, k))
                .filter_map(|k| mean_interval(&series(vi, k)).map(|i| (k.clone(), i.into())))
                .collect(),
        })
        .collect();
    let mut differences = Vec::new();
    for a in 0..names.len() {
        for b in a + 1..names.len() {
            differences.push(Difference {
                a: names[a].clone(),
                b: names[b].clone(),
                metrics: keys
                    .iter()
                    .filter(|k| complete(a, k) && complete(b, k))
                    .filter_map(|k| paired_difference(&series(a, k), &series(b, k)).map(|i| (k.clone(), i.into())))
                    .collect(),
            });
        }
    }
    Comparison {
        scenario: scenario.name.clone(),
        seed: scenario.seed,
        replicates: runs.len(),
        feedsim_version: env!("CARGO_PKG_VERSION"),
        variants,
        differences,
    }
}

impl Comparison {
    /// `comparison.csv`: `kind,variant,metric,n,mean,sd,ci_low,ci_high`, where kind is
    /// `variant` or `difference` (variant then reads `a-b`).
    pub fn to_csv(&self) -> std::io::Result<Vec<u8>> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(["kind", "variant", "metric", "n", "mean", "sd", "ci_low", "ci_high"])?;
        let rows = self
            .variants
            .iter()
            .map(|v| ("variant", v.name.clone(), &v.metrics))
            .chain(self.differences.iter().map(|d| ("difference", format!("{}-{}", d.a, d.b), &d.metrics)));
        for (kind, name, metrics) in rows {
            for (metric, e) in metrics {
                w.write_record([
                    kind,
                    name.as_str(),
                    metric.as_str(),
                    &e.n.to_string(),
                    &e.mean.to_string(),
                    &e.sd.to_string(),
                    &e.ci_low.to_string(),
                    &e.ci_high.to_string(),
                ])?;
            }
        }
        w.into_inner().map_err(|e| std::io::Error::other(e.to_string()))
    }

    /// The paired difference of a metric between two variants, if present.
    pub fn difference(&self, a: &str, b: &str, metric: &str) -> Option<Estimate> {
        self.differences.iter().find(|d| d.a == a && d.b == b).and_then(|d| d.metrics.get(metric).copied())
    }

    /// A variant's estimate of a metric, if present.
    pub fn estimate(&self, variant: &str, metric: &str) -> Option<Estimate> {
        self.variants.iter().find(|v| v.name == variant).and_then(|v| v.metrics.get(metric).copied())
    }
}
