//! The run folder: one writer per file format. Every file is written to a temporary name
//! in the run folder and renamed, so a crash never leaves a half-written file.
//!
//! A run folder holds:
//! - `summary.json`: scenario, seed, version and per-variant metrics; no wall-clock
//!   values, so it is byte-identical for the same scenario and seed on any thread count;
//! - `timeseries.csv`: tidy rows `tick,variant,metric,value`;
//! - `creators.csv`: one row per creator and variant;
//! - `notes.csv`: one row per note and variant (see [`RunOutput::notes_csv`]);
//! - `lorenz.csv`: Lorenz curve points of creator impressions per variant;
//! - `perf.json`: wall time, impressions per second, peak memory, threads.

use std::path::{Path, PathBuf};

use super::{json_bytes, write_atomic};
use crate::observe::output::{NoteCsvRow, RunOutput};
use crate::observe::registry::TickRows;

/// The header of `notes.csv` (written even when no variant has a note).
pub const NOTE_COLUMNS: [&str; 17] = [
    "variant",
    "note",
    "author",
    "topic",
    "kind",
    "born",
    "quality",
    "appeal",
    "impressions",
    "reads",
    "likes",
    "collects",
    "comments",
    "shares",
    "follows",
    "stage",
    "stalled",
];

impl RunOutput {
    /// Writes every output file into `dir` (created if missing). Returns the paths.
    pub fn write_to(&self, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        std::fs::create_dir_all(dir)?;
        let files = [
            ("summary.json", json_bytes(&self.summary)?),
            ("timeseries.csv", self.timeseries_csv()?),
            ("creators.csv", self.creators_csv()?),
            ("notes.csv", self.notes_csv()?),
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

    /// `notes.csv`: one row per note and variant, columns `variant,note,author,topic,
    /// kind,born,quality,appeal,impressions,reads,likes,collects,comments,shares,follows,
    /// stage,stalled`. Its size follows the notes posted, not the users: creators are a
    /// fixed population (docs/model.md), so a run at 1 M users writes about as many rows
    /// as one at 20 k (README, *What a run gives you*).
    pub fn notes_csv(&self) -> std::io::Result<Vec<u8>> {
        // The header is written by hand so that a run without notes still has one.
        let mut w = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
        w.write_record(NOTE_COLUMNS)?;
        for v in &self.variants {
            for n in &v.notes {
                w.serialize(NoteCsvRow::of(&v.name, &v.topics, n)).map_err(|e| std::io::Error::other(e.to_string()))?;
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

#[cfg(test)]
mod tests {
    use super::NOTE_COLUMNS;
    use crate::observe::output::{NoteCsvRow, NoteRow};

    #[test]
    fn notes_csv_header_names_the_row_fields_in_order() {
        let row = NoteRow {
            note: 3,
            author: 1,
            topic: 1,
            kind: crate::scenario::ContentKind::Lifestyle,
            stage: 1,
            stalled: false,
            born: 0,
            quality: 0.5,
            appeal: 0.25,
            impressions: 10,
            reads: 2,
            likes: 1,
            collects: 0,
            comments: 0,
            shares: 0,
            follows: 0,
        };
        assert_eq!(std::mem::size_of::<NoteRow>(), 56, "the memory plan counts 56 B per row");
        let topics = ["beauty".to_string(), "food".to_string()];
        let mut w = csv::Writer::from_writer(Vec::new());
        w.serialize(NoteCsvRow::of("v", &topics, &row)).unwrap();
        let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
        assert_eq!(text.lines().next().unwrap(), NOTE_COLUMNS.join(","));
        assert_eq!(text.lines().nth(1).unwrap(), "v,3,1,food,lifestyle,0,0.5,0.25,10,2,1,0,0,0,0,1,false");
    }
}
