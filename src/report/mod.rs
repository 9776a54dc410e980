//! Run outputs: the result structs (their `Serialize` derive is the documented schema)
//! and one writer per file format. Every file is written to a temporary name in the
//! run folder and renamed, so a crash never leaves a half-written file.
//!
//! A run folder holds:
//! - `summary.json`: scenario, seed, version and per-variant metrics; no wall-clock
//!   values, so it is byte-identical for the same scenario and seed on any thread count;
//! - `timeseries.csv`: tidy rows `tick,variant,metric,value`;
//! - `creators.csv`: one row per creator and variant;
//! - `lorenz.csv`: Lorenz curve points of creator impressions per variant;
//! - `perf.json`: wall time, impressions per second, peak memory, threads.

pub mod html;
pub mod svg;

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::engine::{PhaseSeconds, TickRecord};
use crate::metrics::{MetricMap, RING_NAMES};
use crate::scenario::Scenario;
use crate::world::FollowerTier;

/// One creator's totals in one variant (a row of `creators.csv`).
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct CreatorRow {
    /// Variant name.
    pub variant: String,
    /// Creator id.
    pub creator: u32,
    /// Scenario group name.
    pub group: String,
    /// Account kind.
    pub kind: crate::scenario::CreatorKind,
    /// Followers at the start (platform scale).
    pub followers_start: u64,
    /// Followers at the end (platform scale).
    pub followers_end: u64,
    /// Notes posted.
    pub notes: u64,
    /// Impressions received.
    pub impressions: u64,
    /// Reads received.
    pub reads: u64,
    /// Engagement acts received.
    pub engagements: u64,
}

/// A finished variant.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct VariantOutput {
    /// Variant name.
    pub name: String,
    /// Headline metrics.
    pub metrics: MetricMap,
    /// Per-tick records.
    pub ticks: Vec<TickRecord>,
    /// Per-creator rows.
    pub creators: Vec<CreatorRow>,
    /// Wall-clock seconds per tick phase (perf only).
    pub phase_seconds: PhaseSeconds,
}

/// The `summary.json` document.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Scenario name.
    pub scenario: String,
    /// Master seed.
    pub seed: u64,
    /// feedsim version that produced it.
    pub feedsim_version: &'static str,
    /// Simulated users.
    pub users: u32,
    /// Ticks requested per variant.
    pub ticks: u32,
    /// True when the run was interrupted before all ticks finished.
    pub partial: bool,
    /// Per-variant metrics, in scenario order.
    pub variants: Vec<VariantSummary>,
}

/// A variant's entry in `summary.json`.
#[derive(Debug, Clone, Serialize)]
pub struct VariantSummary {
    /// Variant name.
    pub name: String,
    /// Metric name → value.
    pub metrics: MetricMap,
}

/// The `perf.json` document: how fast and how big the run was.
#[derive(Debug, Clone, Serialize)]
pub struct Perf {
    /// Wall-clock seconds, world building included.
    pub wall_seconds: f64,
    /// Impressions over all variants.
    pub impressions: u64,
    /// Impressions per wall-clock second.
    pub impressions_per_second: f64,
    /// Peak resident memory of the process (VmHWM), bytes; 0 where unknown.
    pub peak_rss_bytes: u64,
    /// Worker threads.
    pub threads: usize,
    /// Simulated users.
    pub users: u32,
    /// Ticks per variant.
    pub ticks: u32,
    /// Variants run.
    pub variants: usize,
    /// Bytes held by the world's arrays.
    pub world_bytes: usize,
    /// Seconds per tick phase, summed over variants (world building excluded).
    pub phase_seconds: PhaseSeconds,
    /// MPI ranks the users were split over (1 without MPI); the other figures are
    /// rank 0's.
    pub ranks: usize,
    /// Payload bytes rank 0 contributed to the ranks' collectives, per tick run (0 on
    /// one rank).
    pub bytes_exchanged_per_tick: u64,
}

/// Everything a run produced.
#[derive(Debug, Clone)]
pub struct RunOutput {
    /// The summary document.
    pub summary: Summary,
    /// Variants in order.
    pub variants: Vec<VariantOutput>,
    /// Performance figures.
    pub perf: Perf,
}

impl RunOutput {
    /// Assembles outputs after a run.
    pub fn new(
        scenario: &Scenario,
        variants: Vec<VariantOutput>,
        wall_seconds: f64,
        threads: usize,
        world_bytes: usize,
        partial: bool,
    ) -> RunOutput {
        let p = scenario.world_params();
        let impressions: u64 =
            variants.iter().map(|v| v.metrics.get("impressions").copied().unwrap_or(0.0) as u64).sum();
        let summary = Summary {
            scenario: scenario.name.clone(),
            seed: scenario.seed,
            feedsim_version: env!("CARGO_PKG_VERSION"),
            users: p.world.users,
            ticks: p.ticks,
            partial: partial || variants.len() < scenario.variants.len(),
            variants: variants
                .iter()
                .map(|v| VariantSummary { name: v.name.clone(), metrics: v.metrics.clone() })
                .collect(),
        };
        let perf = Perf {
            wall_seconds,
            impressions,
            impressions_per_second: if wall_seconds > 0.0 { impressions as f64 / wall_seconds } else { 0.0 },
            peak_rss_bytes: peak_rss_bytes(),
            threads,
            users: p.world.users,
            ticks: p.ticks,
            variants: variants.len(),
            world_bytes,
            phase_seconds: variants.iter().fold(PhaseSeconds::default(), |mut acc, v| {
                acc.add(&v.phase_seconds);
                acc
            }),
            ranks: 1,
            bytes_exchanged_per_tick: 0,
        };
        RunOutput { summary, variants, perf }
    }

    /// Writes every output file into `dir` (created if missing). Returns the paths.
    pub fn write_to(&self, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        std::fs::create_dir_all(dir)?;
        let files = [
            ("summary.json", json_bytes(&self.summary)?),
            ("timeseries.csv", self.timeseries_csv()?),
            ("creators.csv", self.creators_csv()?),
            ("lorenz.csv", self.lorenz_csv()?),
            ("perf.json", json_bytes(&self.perf)?),
        ];
        files
            .into_iter()
            .map(|(name, bytes)| {
                let path = dir.join(name);
                write_atomic(&path, &bytes)?;
                Ok(path)
            })
            .collect()
    }

    /// `timeseries.csv`: one row per tick, variant and metric.
    pub fn timeseries_csv(&self) -> std::io::Result<Vec<u8>> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(["tick", "variant", "metric", "value"])?;
        for v in &self.variants {
            let mut funnel: Vec<u64> = Vec::new();
            for r in &v.ticks {
                funnel.resize(r.funnel_entered.len(), 0);
                for (a, x) in funnel.iter_mut().zip(&r.funnel_entered) {
                    *a += x;
                }
                let mut row = |metric: &str, value: f64| {
                    w.write_record([r.tick.to_string().as_str(), v.name.as_str(), metric, value.to_string().as_str()])
                };
                row("impressions", r.impressions as f64)?;
                row("reads", r.reads as f64)?;
                row("engagements", r.engagements as f64)?;
                row("notes_posted", r.notes_posted as f64)?;
                row("notes_in_pools", r.notes_in_pools as f64)?;
                row("notes_promoted", f64::from(r.promoted))?;
                row("notes_stalled", f64::from(r.stalled))?;
                row("creator_impressions_gini", r.creator_impressions_gini)?;
                row("top10_share", r.top10_share)?;
                for tier in FollowerTier::ALL {
                    row(&format!("tier_impressions.{}", tier.as_str()), r.tier_impressions[tier as usize] as f64)?;
                }
                for (i, name) in RING_NAMES.iter().enumerate() {
                    row(&format!("ring_impressions.{name}"), r.ring_impressions[i] as f64)?;
                }
                row("interest_rank_corr", r.interest_rank_corr)?;
                for (name, x) in crate::engine::CHANNELS.iter().zip(r.channel_impressions) {
                    row(&format!("channel_impressions.{name}"), x as f64)?;
                }
                row("promoted_impressions", r.promoted_impressions as f64)?;
                row("out_of_ring_impressions", r.out_of_ring_impressions as f64)?;
                // The funnel is cumulative: users who have reached each stage so far, summed
                // over focal institutions.
                let focal = r.focal_impressions.len();
                for (s, stage) in crate::behaviour::journey::STAGE_NAMES.iter().enumerate() {
                    let all: u64 = (0..focal).map(|f| funnel[f * 5 + s]).sum();
                    row(&format!("funnel.{stage}"), all as f64)?;
                }
                row("read_interest", r.read_interest)?;
            }
        }
        w.into_inner().map_err(|e| std::io::Error::other(e.to_string()))
    }

    /// `lorenz.csv`: the Lorenz curve of creator impressions per variant, 100 steps:
    /// rows `variant,population_share,impression_share`.
    pub fn lorenz_csv(&self) -> std::io::Result<Vec<u8>> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(["variant", "population_share", "impression_share"])?;
        for v in &self.variants {
            let imps: Vec<f64> = v.creators.iter().map(|c| c.impressions as f64).collect();
            for (x, y) in crate::metrics::concentration::lorenz_curve(&imps, 100) {
                w.write_record([v.name.as_str(), &x.to_string(), &y.to_string()])?;
            }
        }
        w.into_inner().map_err(|e| std::io::Error::other(e.to_string()))
    }

    /// `creators.csv`: one row per creator and variant.
    pub fn creators_csv(&self) -> std::io::Result<Vec<u8>> {
        let mut w = csv::Writer::from_writer(Vec::new());
        for v in &self.variants {
            for c in &v.creators {
                w.serialize(c).map_err(|e| std::io::Error::other(e.to_string()))?;
            }
        }
        w.into_inner().map_err(|e| std::io::Error::other(e.to_string()))
    }
}

/// Pretty JSON with a trailing newline.
pub fn json_bytes<T: Serialize>(value: &T) -> std::io::Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(std::io::Error::other)?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("out");
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Peak resident set size of this process from `/proc/self/status` (0 elsewhere).
pub fn peak_rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}
