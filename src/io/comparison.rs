//! `comparison.csv` and the estimate rows that `sweep.csv` shares with it.

use crate::scenario::Scenario;
use crate::study::compare::{Comparison, Difference, Replicate, VariantEstimates};

/// The columns of a tidy estimate row, after any leading columns of the caller's.
pub const ESTIMATE_COLUMNS: [&str; 8] = ["kind", "variant", "metric", "n", "mean", "sd", "ci_low", "ci_high"];

/// Writes one row per variant and metric, then per difference and metric: `lead`, then
/// [`ESTIMATE_COLUMNS`] (kind is `variant` or `difference`; a difference's variant reads
/// `a-b`). Shared by `comparison.csv` and `sweep.csv`.
pub fn write_estimate_rows<W: std::io::Write>(
    w: &mut csv::Writer<W>,
    lead: &[String],
    variants: &[VariantEstimates],
    differences: &[Difference],
) -> csv::Result<()> {
    let rows = variants
        .iter()
        .map(|v| ("variant", v.name.clone(), &v.metrics))
        .chain(differences.iter().map(|d| ("difference", format!("{}-{}", d.a, d.b), &d.metrics)));
    for (kind, name, metrics) in rows {
        for (metric, e) in metrics {
            let mut row = lead.to_vec();
            row.extend([
                kind.to_string(),
                name.clone(),
                metric.clone(),
                e.n.to_string(),
                e.mean.to_string(),
                e.sd.to_string(),
                e.ci_low.to_string(),
                e.ci_high.to_string(),
            ]);
            w.write_record(&row)?;
        }
    }
    Ok(())
}

impl Comparison {
    /// `comparison.csv`: `kind,variant,metric,n,mean,sd,ci_low,ci_high`, where kind is
    /// `variant` or `difference` (variant then reads `a-b`).
    pub fn to_csv(&self) -> std::io::Result<Vec<u8>> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(ESTIMATE_COLUMNS)?;
        write_estimate_rows(&mut w, &[], &self.variants, &self.differences)?;
        w.into_inner().map_err(|e| std::io::Error::other(e.to_string()))
    }
}

/// `items.csv` of a compare: one row per item, variant and replicate, `replicate,seed`
/// then the columns of `notes.csv` (see [`crate::io::run_folder::NOTE_COLUMNS`]). Written
/// when the scenario sets `metrics.success` (replicates then keep their note rows).
pub fn items_csv(scenario: &Scenario, runs: &[Replicate]) -> std::io::Result<Vec<u8>> {
    let mut w = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
    let mut header = vec!["replicate", "seed"];
    header.extend(crate::io::run_folder::NOTE_COLUMNS);
    w.write_record(&header)?;
    let topics: Vec<String> = scenario.world_params().topics.iter().map(|t| t.name.clone()).collect();
    for r in runs {
        let lead = (r.index, scenario.seed.wrapping_add(r.index as u64));
        for (v, rows) in scenario.variants.iter().zip(&r.notes) {
            for n in rows {
                let row = crate::observe::output::NoteCsvRow::of(&v.name, &topics, n);
                w.serialize((lead.0, lead.1, row)).map_err(|e| std::io::Error::other(e.to_string()))?;
            }
        }
    }
    w.into_inner().map_err(|e| std::io::Error::other(e.to_string()))
}
