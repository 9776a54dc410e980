//! Rerunning a baseline's settings: every replicate's metric values, per variant.

use std::collections::BTreeMap;
use std::path::Path;

use super::{CheckError, Settings};
use crate::scenario;
use crate::study::compare::Replicate;

/// Per-replicate metric values of a rerun, per variant.
#[derive(Debug, Clone, PartialEq)]
pub struct Rerun {
    /// Scenario name.
    pub scenario: String,
    /// Per variant, in scenario order.
    pub variants: Vec<VariantValues>,
}

/// One variant's replicate values.
#[derive(Debug, Clone, PartialEq)]
pub struct VariantValues {
    /// Variant name.
    pub name: String,
    /// Metric → its value in each replicate.
    pub metrics: BTreeMap<String, Vec<f64>>,
}

impl Rerun {
    /// The values of a full set of replicates (`runs[r].metrics[variant]`). As in
    /// `compare`, a metric a variant lacks in some replicate, or with a non-finite value,
    /// is left out for that variant.
    pub fn from_replicates(scenario: &str, variant_names: &[String], runs: &[Replicate]) -> Rerun {
        let variants = variant_names
            .iter()
            .enumerate()
            .map(|(vi, name)| {
                let keys: std::collections::BTreeSet<&String> =
                    runs.iter().filter_map(|r| r.metrics.get(vi)).flat_map(|m| m.keys()).collect();
                let metrics = keys
                    .into_iter()
                    .filter_map(|k| {
                        let values: Option<Vec<f64>> =
                            runs.iter().map(|r| r.metrics.get(vi).and_then(|m| m.get(k)).copied()).collect();
                        let values = values?;
                        (!values.is_empty() && values.iter().all(|x| x.is_finite())).then(|| (k.clone(), values))
                    })
                    .collect();
                VariantValues { name: name.clone(), metrics }
            })
            .collect();
        Rerun { scenario: scenario.to_string(), variants }
    }
}

/// Runs the replicates of `settings` on the current rayon pool and keeps every
/// replicate's values.
pub fn run(settings: &Settings, scenario_path: &Path, label: &str) -> Result<Rerun, CheckError> {
    let s = scenario::load_file(scenario_path, &settings.overrides)
        .map_err(|source| CheckError::Scenario { baseline: label.to_string(), source })?;
    let s = s.with_seed(settings.seed);
    let runs: Vec<Replicate> =
        crate::study::compare::run_replicates(&s, settings.replicates, false, Vec::new(), &|| false, &|_| {})
            .into_iter()
            .map(|r| r.expect("never stopped"))
            .collect();
    let names: Vec<String> = s.variants.iter().map(|v| v.name.clone()).collect();
    Ok(Rerun::from_replicates(&s.name, &names, &runs))
}
