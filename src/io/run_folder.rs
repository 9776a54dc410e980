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
use crate::observe::output::RunOutput;
use crate::observe::registry::TickRows;

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

    /// `timeseries.csv`: one row per tick, variant and metric; the metrics and their order
    /// are [`crate::observe::registry::TICK_SERIES`].
    pub fn timeseries_csv(&self) -> std::io::Result<Vec<u8>> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(["tick", "variant", "metric", "value"])?;
        for v in &self.variants {
            let mut rows = TickRows::new();
            for r in &v.ticks {
                let tick = r.tick.to_string();
                rows.read(r, |metric, value| {
                    w.write_record([tick.as_str(), v.name.as_str(), metric, value.to_string().as_str()])
                })?;
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
