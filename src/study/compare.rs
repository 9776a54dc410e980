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
use serde::{Deserialize, Serialize};

use crate::engine::{RunOptions, Threads, run};
use crate::observe::metrics::MetricMap;
use crate::observe::stats::{Interval, mean_interval, paired_difference};
use crate::scenario::Scenario;

/// A metric's mean with its 95 % interval over replicates.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct Estimate {
    /// Replicates.
    pub n: usize,
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation (absent from files of early versions).
    #[serde(default)]
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
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VariantEstimates {
    /// Variant name.
    pub name: String,
    /// Metric → estimate.
    pub metrics: BTreeMap<String, Estimate>,
}

/// Paired differences `a − b` between two variants.
#[derive(Debug, Clone, Serialize, Deserialize)]
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
    /// Whether every replicate ran on the same world and notes (`--fixed-world`).
    pub fixed_world: bool,
    /// Per variant, how unpredictable creators' final shares of impressions are across
    /// replicates (only with a fixed world, where creators are the same in every run).
    pub unpredictability: BTreeMap<String, f64>,
}

/// The unpredictability of final shares across independent runs on identical inputs, as
/// in the multi-world social-influence experiments (Salganik, Dodds and Watts 2006):
/// `U = mean over creators i of mean over replicate pairs r < s of |m_i^r − m_i^s|`,
/// where `m_i^r` is creator i's share of impressions in replicate r. Zero when fewer than
/// two replicates or no creators.
pub fn unpredictability(shares: &[Vec<f64>]) -> f64 {
    let r = shares.len();
    let creators = shares.first().map_or(0, Vec::len);
    if r < 2 || creators == 0 {
        return 0.0;
    }
    let pairs = (r * (r - 1) / 2) as f64;
    let mut gap = 0.0;
    for (a, first) in shares.iter().enumerate() {
        for second in &shares[a + 1..] {
            gap += first.iter().zip(second).map(|(x, y)| (x - y).abs()).sum::<f64>();
        }
    }
    gap / pairs / creators as f64
}

/// Runs `replicates` replicates on the current rayon pool and summarises them: the two
/// steps of a comparison, [`run_replicates`] then [`summarise_replicates`], for callers
/// that neither resume nor stop. `on_replicate` is called as each replicate finishes (in
/// any order).
pub fn compare(scenario: &Scenario, replicates: usize, on_replicate: &(dyn Fn() + Sync)) -> Comparison {
    let runs = run_replicates(scenario, replicates, false, Vec::new(), &|| false, &|_| on_replicate());
    summarise_replicates(scenario, &runs.into_iter().map(|r| r.expect("never stopped")).collect::<Vec<_>>(), false)
}

/// What one replicate contributes to a comparison. Saved one file per replicate by
/// `feedsim compare`, so an interrupted compare keeps its finished replicates.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Replicate {
    /// Replicate index r (seed + r).
    pub index: usize,
    /// Metrics per variant, in scenario order.
    pub metrics: Vec<MetricMap>,
    /// Per variant, each creator's share of impressions (kept only with a fixed world,
    /// where it feeds the unpredictability measure).
    pub shares: Vec<Vec<f64>>,
}

/// Runs the replicates `0..replicates` not already in `done`, in parallel; calls
/// `on_done` as each finishes (in any order). Once `should_stop` turns true, replicates
/// not yet started are skipped and running ones stop at a tick's end and are dropped:
/// their slots are `None`.
pub fn run_replicates(
    scenario: &Scenario,
    replicates: usize,
    fixed_world: bool,
    done: Vec<Replicate>,
    should_stop: &(dyn Fn() -> bool + Sync),
    on_done: &(dyn Fn(&Replicate) + Sync),
) -> Vec<Option<Replicate>> {
    let world_seed = scenario.world_params().world_seed();
    let mut slots: Vec<Option<Replicate>> = vec![None; replicates];
    for r in done.into_iter().filter(|r| r.index < replicates) {
        let i = r.index;
        slots[i] = Some(r);
    }
    slots
        .into_par_iter()
        .enumerate()
        .map(|(r, slot)| {
            if slot.is_some() || should_stop() {
                return slot;
            }
            let mut s = scenario.with_seed(scenario.seed.wrapping_add(r as u64));
            if fixed_world {
                for v in &mut s.variants {
                    v.params.world.seed = Some(world_seed);
                }
            }
            let out = run(&s, RunOptions { threads: Threads::Current, should_stop, ..RunOptions::new(0) })
                .expect("no checkpoints, no saved state: cannot fail");
            if out.summary.partial {
                return None;
            }
            let shares = if fixed_world {
                out.variants
                    .iter()
                    .map(|v| {
                        let total: f64 = v.creators.iter().map(|c| c.impressions as f64).sum();
                        v.creators
                            .iter()
                            .map(|c| if total > 0.0 { c.impressions as f64 / total } else { 0.0 })
                            .collect()
                    })
                    .collect()
            } else {
                Vec::new()
            };
            let rep = Replicate { index: r, metrics: out.variants.into_iter().map(|v| v.metrics).collect(), shares };
            on_done(&rep);
            Some(rep)
        })
        .collect()
}

/// The comparison of a full set of replicates (in index order).
pub fn summarise_replicates(scenario: &Scenario, runs: &[Replicate], fixed_world: bool) -> Comparison {
    let metrics: Vec<Vec<MetricMap>> = runs.iter().map(|r| r.metrics.clone()).collect();
    let mut cmp = summarise(scenario, &metrics);
    cmp.fixed_world = fixed_world;
    if fixed_world {
        for (vi, v) in scenario.variants.iter().enumerate() {
            let shares: Vec<Vec<f64>> = runs.iter().map(|r| r.shares[vi].clone()).collect();
            cmp.unpredictability.insert(v.name.clone(), unpredictability(&shares));
        }
    }
    cmp
}

/// Summarises replicate metric maps (`runs[replicate][variant]`).
fn summarise(scenario: &Scenario, runs: &[Vec<MetricMap>]) -> Comparison {
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
        fixed_world: false,
        unpredictability: BTreeMap::new(),
    }
}

impl Comparison {
    /// The paired difference of a metric between two variants, if present.
    pub fn difference(&self, a: &str, b: &str, metric: &str) -> Option<Estimate> {
        self.differences.iter().find(|d| d.a == a && d.b == b).and_then(|d| d.metrics.get(metric).copied())
    }

    /// A variant's estimate of a metric, if present.
    pub fn estimate(&self, variant: &str, metric: &str) -> Option<Estimate> {
        self.variants.iter().find(|v| v.name == variant).and_then(|v| v.metrics.get(metric).copied())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_runs_are_perfectly_predictable() {
        let run = vec![0.5, 0.3, 0.2];
        assert_eq!(unpredictability(&[run.clone(), run.clone(), run]), 0.0);
    }

    #[test]
    fn unpredictability_is_the_mean_pairwise_share_gap() {
        // Two worlds where two creators swap a 0.8/0.2 split: each gap is 0.6.
        let u = unpredictability(&[vec![0.8, 0.2], vec![0.2, 0.8]]);
        assert!((u - 0.6).abs() < 1e-12);
        assert_eq!(unpredictability(&[vec![1.0]]), 0.0);
        assert_eq!(unpredictability(&[]), 0.0);
    }
}
