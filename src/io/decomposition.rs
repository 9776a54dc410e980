//! `decomposition.json` and `decomposition.csv`, and the check that a folder being resumed
//! holds the same design.

use std::path::{Path, PathBuf};

use crate::scenario::Scenario;
use crate::study::decompose::{CSV_COLUMNS, DecompositionDoc};

impl DecompositionDoc {
    /// `decomposition.csv`: `metric,term,estimate,ci_low,ci_high,contribution,share`, one
    /// row per metric and term; an unknown share is empty.
    pub fn to_csv(&self) -> std::io::Result<Vec<u8>> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(CSV_COLUMNS)?;
        for (metric, m) in &self.metrics {
            for t in &m.terms {
                w.write_record([
                    metric.clone(),
                    t.term.clone(),
                    t.estimate.to_string(),
                    t.ci_low.to_string(),
                    t.ci_high.to_string(),
                    t.contribution.to_string(),
                    t.share.map_or(String::new(), |s| s.to_string()),
                ])?;
            }
        }
        w.into_inner().map_err(|e| std::io::Error::other(e.to_string()))
    }

    /// Writes `decomposition.json` and `decomposition.csv` into `dir`; returns their paths.
    pub fn write_to(&self, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        std::fs::create_dir_all(dir)?;
        let json = dir.join("decomposition.json");
        crate::io::write_atomic(&json, &crate::io::json_bytes(self)?)?;
        let csv = dir.join("decomposition.csv");
        crate::io::write_atomic(&csv, &self.to_csv()?)?;
        Ok(vec![json, csv])
    }
}

/// On `--resume`: the saved design must have the same cells (factors and levels), checked
/// first so that a different design is named briefly rather than as a scenario diff.
pub fn same_cells(dir: &Path, s: &Scenario) -> Result<(), String> {
    let path = dir.join("manifest.json");
    let Some(saved) = std::fs::read(&path)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| toml::from_str::<Scenario>(v.get("scenario")?.as_str()?).ok())
    else {
        // Missing or unreadable: the store's own check says what is wrong.
        return Ok(());
    };
    let names = |s: &Scenario| s.variants.iter().map(|v| v.name.clone()).collect::<Vec<_>>();
    let (was, is) = (names(&saved), names(s));
    let design = |cells: &[String]| match (cells.first(), cells.last()) {
        (Some(a), Some(b)) if cells.len() > 1 => format!("{} cells, from `{a}` to `{b}`", cells.len()),
        (Some(a), _) => format!("1 cell, `{a}`"),
        _ => "no cells".to_string(),
    };
    if was != is {
        return Err(format!(
            "--resume: {} holds replicates of {}, this command has {}; give the factors of the original \
             command",
            dir.display(),
            design(&was),
            design(&is)
        ));
    }
    Ok(())
}
