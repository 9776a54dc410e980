//! `sweep.json` and `sweep.csv`: writing them, and reading them back to resume.

use std::path::{Path, PathBuf};

use crate::study::sweep::{SweepDoc, SweepPointDoc};

impl SweepDoc {
    /// `sweep.csv`: one column per parameter, then `kind,variant,metric,n,mean,sd,ci_low,ci_high`.
    pub fn to_csv(&self) -> std::io::Result<Vec<u8>> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut header: Vec<String> = self.params.iter().map(|p| p.key.clone()).collect();
        header.extend(crate::io::comparison::ESTIMATE_COLUMNS.map(String::from));
        w.write_record(&header)?;
        for p in &self.points {
            crate::io::comparison::write_estimate_rows(&mut w, &p.values, &p.variants, &p.differences)?;
        }
        w.into_inner().map_err(|e| std::io::Error::other(e.to_string()))
    }

    /// Writes `sweep.json` and `sweep.csv` into `dir`; returns their paths.
    pub fn write_to(&self, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        std::fs::create_dir_all(dir)?;
        let json = dir.join("sweep.json");
        crate::io::write_atomic(&json, &crate::io::json_bytes(self)?)?;
        let csv = dir.join("sweep.csv");
        crate::io::write_atomic(&csv, &self.to_csv()?)?;
        Ok(vec![json, csv])
    }
}

/// The points of an interrupted sweep in `dir` that this invocation can keep: its
/// sweep.json must come from the same scenario, seed, replicates, overrides, parameters
/// and feedsim version, and hold a prefix of the grid.
pub fn resumable_points(dir: &Path, now: &SweepDoc, grid: &[Vec<String>]) -> Result<Vec<SweepPointDoc>, String> {
    let (path, before): (_, SweepDoc) = super::resume::read_doc(dir, "sweep.json", "sweep")?;
    let keys = |d: &SweepDoc| {
        format!("{:?}", d.params.iter().map(|p| format!("{}={}", p.key, p.values.join(","))).collect::<Vec<_>>())
    };
    super::resume::same_settings(
        &path,
        &[
            ("scenario", before.scenario.clone(), now.scenario.clone()),
            ("seed", before.seed.to_string(), now.seed.to_string()),
            ("--replicates", before.replicates.to_string(), now.replicates.to_string()),
            ("--set", format!("{:?}", before.overrides), format!("{:?}", now.overrides)),
            ("--param", keys(&before), keys(now)),
            ("feedsim", before.feedsim_version.clone(), now.feedsim_version.clone()),
        ],
    )?;
    if before.points.len() > grid.len() || before.points.iter().zip(grid).any(|(p, g)| &p.values != g) {
        return Err(format!("--resume: the points in {} are not this grid's first points", path.display()));
    }
    Ok(before.points)
}
