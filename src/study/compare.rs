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
use crate::observe::output::NoteRow;
use crate::observe::stats::{Interval, mean_interval, paired_difference};
use crate::scenario::{ItemCount, Scenario};

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
    /// Whether every replicate had the same catalogue, users and behaviour redrawn
    /// (`--fixed-items`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub fixed_items: bool,
    /// Per variant, the unpredictability of items' shares of success (`metrics.success`)
    /// across replicates, with a 95 % interval over items (see [`item_unpredictability`]);
    /// only when the items are the same in every replicate (`--fixed-items` or
    /// `--fixed-world`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub item_unpredictability: BTreeMap<String, Estimate>,
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

/// Each item's unpredictability `U_i = mean over replicate pairs r < s of |m_i^r − m_i^s|`
/// (`m_i^r`: item i's share of the success count in replicate r; items are rows in note
/// order, the same items in every replicate). Their mean over items is
/// [`unpredictability`]; their spread gives the interval. Empty with fewer than two
/// replicates.
pub fn per_item_unpredictability(shares: &[Vec<f64>]) -> Vec<f64> {
    let r = shares.len();
    let items = shares.first().map_or(0, Vec::len);
    if r < 2 {
        return Vec::new();
    }
    let pairs = (r * (r - 1) / 2) as f64;
    (0..items)
        .map(|i| {
            let mut gap = 0.0;
            for (a, first) in shares.iter().enumerate() {
                for second in &shares[a + 1..] {
                    gap += (first[i] - second[i]).abs();
                }
            }
            gap / pairs
        })
        .collect()
}

/// Each item's share of the total success count (all zeros when nothing succeeded).
pub fn success_shares(notes: &[NoteRow], what: ItemCount) -> Vec<f64> {
    let x: Vec<f64> = notes.iter().map(|n| n.success(what) as f64).collect();
    let total: f64 = x.iter().sum();
    x.iter().map(|v| if total > 0.0 { v / total } else { 0.0 }).collect()
}

/// The items' unpredictability for one variant over `runs[replicate]` note rows: the
/// mean of [`per_item_unpredictability`] with a Student-t interval over items (items, not
/// worlds, are the units: the pairs of worlds share worlds). `None` when the replicates
/// do not list the same number of items (they are then not the same items) or there are
/// fewer than two of either.
pub fn item_unpredictability(runs: &[&[NoteRow]], what: ItemCount) -> Option<Estimate> {
    let n = runs.first()?.len();
    if runs.iter().any(|r| r.len() != n) {
        return None;
    }
    let shares: Vec<Vec<f64>> = runs.iter().map(|r| success_shares(r, what)).collect();
    mean_interval(&per_item_unpredictability(&shares)).map(Estimate::from)
}

/// The scenario with its catalogue fixed for every replicate (`compare --fixed-items`):
/// the drawn items' seed is the world's seed of replicate 0, so each replicate keeps the
/// items and redraws the users and their behaviour. Refused when the notes would still
/// differ between replicates (creators that post, campaigns, advocates' reviews), since
/// items are matched by their order.
pub fn with_fixed_items(s: &Scenario) -> Result<Scenario, String> {
    let p = s.world_params();
    if p.catalogue.is_empty() {
        return Err("--fixed-items keeps a scenario's [catalogue], and this scenario has none: add a \
                    [catalogue] (items = [...], file = \"...\" or count = N) or use --fixed-world"
            .into());
    }
    for v in &s.variants {
        let q = &v.params;
        if let Some(g) = q.creators.iter().find(|g| g.count > 0 && g.posts_per_tick > 0.0) {
            return Err(format!(
                "--fixed-items: creators[`{}`] posts (posts_per_tick = {}), so worlds would hold different notes \
                 besides the catalogue; give every group posts_per_tick = 0, or use --fixed-world",
                g.name, g.posts_per_tick
            ));
        }
        if !q.campaigns.is_empty() || !q.journey.focal.is_empty() {
            return Err(format!(
                "--fixed-items: variant `{}` has campaigns or focal institutions, whose notes differ between \
                 worlds; remove [[campaigns]] and journey.focal, or use --fixed-world",
                v.name
            ));
        }
    }
    let seed = p.catalogue_seed();
    let mut fixed = s.clone();
    for v in &mut fixed.variants {
        v.params.catalogue.seed = Some(seed);
    }
    Ok(fixed)
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
    /// Per variant, one row per item (note) with its counts: kept when the scenario sets
    /// `metrics.success`, for the items' unpredictability and the per-item rows of
    /// `items.csv`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<Vec<NoteRow>>,
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
            let keep_items = s.variants.iter().any(|v| v.params.metrics.success.is_some());
            let (metrics, notes): (Vec<_>, Vec<_>) = out.variants.into_iter().map(|v| (v.metrics, v.notes)).unzip();
            let notes = if keep_items { notes } else { Vec::new() };
            let rep = Replicate { index: r, metrics, shares, notes };
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
    let fixed_items = fixed_world || scenario.world_params().catalogue.seed.is_some();
    cmp.fixed_items = fixed_items && !fixed_world;
    for (vi, v) in scenario.variants.iter().enumerate() {
        let Some(what) = v.params.metrics.success else { continue };
        if !fixed_items || runs.iter().any(|r| r.notes.len() <= vi) {
            continue;
        }
        let rows: Vec<&[NoteRow]> = runs.iter().map(|r| r.notes[vi].as_slice()).collect();
        if let Some(u) = item_unpredictability(&rows, what) {
            cmp.item_unpredictability.insert(v.name.clone(), u);
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
        fixed_items: false,
        item_unpredictability: BTreeMap::new(),
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
    fn item_unpredictability_is_the_mean_over_items_of_the_pairwise_gaps() {
        // Three worlds, two items: item gaps (0.6, 0.6, 0) and (0.6, 0.6, 0): U_i = 0.4.
        let u = per_item_unpredictability(&[vec![0.8, 0.2], vec![0.2, 0.8], vec![0.2, 0.8]]);
        assert_eq!(u.len(), 2);
        assert!(u.iter().all(|x| (x - 0.4).abs() < 1e-12), "{u:?}");
        let mean = u.iter().sum::<f64>() / 2.0;
        let all = unpredictability(&[vec![0.8, 0.2], vec![0.2, 0.8], vec![0.2, 0.8]]);
        assert!((mean - all).abs() < 1e-12, "the mean over items is the scalar measure");
        assert!(per_item_unpredictability(&[vec![0.5, 0.5]]).is_empty());
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
