//! `calibration.json` and `calibration.csv`, and reading an interrupted calibration back
//! to resume it.

use std::path::{Path, PathBuf};

use crate::study::calibrate::{CalibrationDoc, PointDoc};

impl CalibrationDoc {
    /// `calibration.csv`: `index,round,<one column per key>,distance,weight`, then per
    /// term `<variant>.<metric>` (the simulated mean).
    pub fn to_csv(&self) -> std::io::Result<Vec<u8>> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut header = vec!["index".to_string(), "round".to_string()];
        header.extend(self.params.iter().map(|p| p.key.clone()));
        header.extend(["distance".to_string(), "weight".to_string()]);
        header.extend(self.terms.iter().map(|t| format!("{}.{}", t.variant, t.metric)));
        w.write_record(&header)?;
        for p in &self.history {
            let mut row = vec![p.index.to_string(), p.round.to_string()];
            row.extend(self.params.iter().map(|r| p.point[&r.key].to_string()));
            row.extend([p.distance.to_string(), p.weight.to_string()]);
            row.extend(p.simulated.iter().map(|s| s.mean.to_string()));
            w.write_record(&row)?;
        }
        w.into_inner().map_err(|e| std::io::Error::other(e.to_string()))
    }

    /// Writes `calibration.json` and `calibration.csv` into `dir`; returns their paths.
    pub fn write_to(&self, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        std::fs::create_dir_all(dir)?;
        let json = dir.join("calibration.json");
        crate::io::write_atomic(&json, &crate::io::json_bytes(self)?)?;
        let csv = dir.join("calibration.csv");
        crate::io::write_atomic(&csv, &self.to_csv()?)?;
        Ok(vec![json, csv])
    }
}

/// The evaluations of an interrupted calibration in `dir` that this invocation can keep.
pub fn resumable_history(dir: &Path, now: &CalibrationDoc) -> Result<Vec<PointDoc>, String> {
    let (path, before): (_, CalibrationDoc) = super::resume::read_doc(dir, "calibration.json", "calibration")?;
    let show = |d: &CalibrationDoc| {
        d.params.iter().map(|p| format!("{}={}:{}", p.key, p.lo, p.hi)).collect::<Vec<_>>().join(" ")
    };
    let targets = if before.targets == now.targets { "these" } else { "other targets" };
    super::resume::same_settings(
        &path,
        &[
            ("scenario", before.scenario.clone(), now.scenario.clone()),
            ("seed", before.seed.to_string(), now.seed.to_string()),
            ("--replicates", before.replicates.to_string(), now.replicates.to_string()),
            ("--budget", before.budget.to_string(), now.budget.to_string()),
            ("--set", format!("{:?}", before.overrides), format!("{:?}", now.overrides)),
            ("--param", show(&before), show(now)),
            ("targets", targets.into(), "these".into()),
            ("feedsim", before.feedsim_version.clone(), now.feedsim_version.clone()),
        ],
    )?;
    Ok(before.history)
}
