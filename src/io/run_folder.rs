//! The run folder: one writer per file format. Every file is written to a temporary name
//! in the run folder and renamed, so a crash never leaves a half-written file.
//!
//! A run folder holds:
//! - `summary.json`: scenario, seed, version and per-variant metrics; no wall-clock
//!   values, so it is byte-identical for the same scenario and seed on any thread count;
//! - `timeseries.csv`: tidy rows `tick,variant,metric,value`;
//! - `creators.csv`: one row per creator and variant;
//! - `lorenz.csv`: Lorenz curve points of creator impressions per variant;
//! - `perf.json`: wall time, impressions per second, peak memory, threads.

use std::path::{Path, PathBuf};

use super::{json_bytes, write_atomic};
use crate::model::platform::CHANNELS;
use crate::model::world::FollowerTier;
use crate::observe::metrics::RING_NAMES;
use crate::observe::output::RunOutput;

impl RunOutput {
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
                for (name, x) in CHANNELS.iter().zip(r.channel_impressions) {
                    row(&format!("channel_impressions.{name}"), x as f64)?;
                }
                row("promoted_impressions", r.promoted_impressions as f64)?;
                row("out_of_ring_impressions", r.out_of_ring_impressions as f64)?;
                // The funnel is cumulative: users who have reached each stage so far, summed
                // over focal institutions.
                let focal = r.focal_impressions.len();
                for (s, stage) in crate::model::behaviour::journey::STAGE_NAMES.iter().enumerate() {
                    let all: u64 = (0..focal).map(|f| funnel[f * crate::model::behaviour::journey::STAGES + s]).sum();
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
            for (x, y) in crate::observe::concentration::lorenz_curve(&imps, 100) {
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
