//! The compare section, from `comparison.json` (and `replicates/`, when the compare
//! saved each replicate's metrics): means and paired differences with their intervals,
//! and a table of every metric.

use std::fmt::Write as _;
use std::path::Path;

use serde::Deserialize;

use super::{HEADLINE, ReportError, bad, escape, figure, fmt_estimate, label, read_json};
use crate::io::svg::{self, Interval, IntervalChart, IntervalPanel};
use crate::observe::metrics::MetricMap;
use crate::study::compare::{Difference, VariantEstimates};

/// `comparison.json`, read back.
#[derive(Debug, Clone, Deserialize)]
pub struct ComparisonDoc {
    /// Scenario name.
    pub scenario: String,
    /// Seed of replicate 0.
    pub seed: u64,
    /// Replicates.
    pub replicates: usize,
    /// Per-variant estimates.
    pub variants: Vec<VariantEstimates>,
    /// Paired differences.
    pub differences: Vec<Difference>,
}

/// The headline metrics present in a comparison, in headline order.
fn headline_keys(variants: &[VariantEstimates]) -> Vec<&'static str> {
    HEADLINE.iter().map(|(k, _)| *k).filter(|k| variants.iter().any(|v| v.metrics.contains_key(*k))).collect()
}

/// The per-variant metrics of each of the comparison's replicates that the compare saved,
/// in replicate order; empty when the folder has none (an older compare) or they do not
/// match its variants.
fn replicate_metrics(dir: &Path, variants: usize, replicates: usize) -> Vec<Vec<MetricMap>> {
    let Ok(entries) = std::fs::read_dir(dir.join("replicates")) else { return Vec::new() };
    let mut reps: Vec<crate::study::compare::Replicate> = entries
        .flatten()
        .filter(|e| e.file_name().to_str().is_some_and(|n| n.starts_with('r') && n.ends_with(".json")))
        .filter_map(|e| serde_json::from_slice::<crate::study::compare::Replicate>(&std::fs::read(e.path()).ok()?).ok())
        .filter(|r| r.index < replicates)
        .collect();
    reps.sort_by_key(|r| r.index);
    if reps.iter().any(|r| r.metrics.len() != variants) {
        return Vec::new();
    }
    reps.into_iter().map(|r| r.metrics).collect()
}

/// The compare section: header, the two interval charts, the table.
pub(super) fn section(dir: &Path, out: &mut String) -> Result<(), ReportError> {
    let path = dir.join("comparison.json");
    let c: ComparisonDoc = read_json(&path)?;
    let _ = writeln!(
        out,
        "<section id=\"compare\"><h2>Comparison: {}</h2><p>{} replicates per variant; replicate r used seed {} + r. \
         Intervals are 95 % Student-t intervals; differences are paired by replicate.</p>",
        escape(&c.scenario),
        c.replicates,
        c.seed
    );
    let keys = headline_keys(&c.variants);
    // Each replicate's own value, where the compare saved them (replicates/rNNNNN.json).
    let reps = replicate_metrics(dir, c.variants.len(), c.replicates);
    means_figure(&c, &keys, &reps, out).map_err(|e| bad(&path, e))?;
    if !c.differences.is_empty() {
        differences_figure(&c, &keys, &reps, out).map_err(|e| bad(&path, e))?;
    }
    compare_table(&c, out);
    Ok(())
}

/// `#compare-means`: per headline metric, each variant's mean and interval, with each
/// replicate's value when `reps` has them.
fn means_figure(c: &ComparisonDoc, keys: &[&str], reps: &[Vec<MetricMap>], out: &mut String) -> anyhow::Result<()> {
    let values = |vi: usize, k: &str| -> Vec<f64> { reps.iter().filter_map(|r| r[vi].get(k).copied()).collect() };
    let means = IntervalChart {
        id: "compare-means".into(),
        title: format!("Means with 95 % intervals ({} replicates)", c.replicates),
        y_label: "mean".into(),
        panels: keys
            .iter()
            .map(|k| IntervalPanel {
                title: label(k).to_string(),
                items: c
                    .variants
                    .iter()
                    .enumerate()
                    .filter_map(|(vi, v)| {
                        v.metrics.get(*k).map(|e| Interval {
                            label: v.name.clone(),
                            mean: e.mean,
                            low: e.ci_low,
                            high: e.ci_high,
                            points: values(vi, k),
                        })
                    })
                    .collect(),
            })
            .collect(),
        zero_line: false,
    };
    let svg = svg::interval_chart(&means)?;
    let rings = if reps.is_empty() { "" } else { "; rings: each replicate's value" };
    figure(out, "compare-means", &svg, &format!("Dots: means over replicates; bars: 95 % intervals{rings}."));
    Ok(())
}

/// `#compare-differences`: per headline metric, each paired difference and its interval,
/// with each replicate's difference when `reps` has them.
fn differences_figure(
    c: &ComparisonDoc,
    keys: &[&str],
    reps: &[Vec<MetricMap>],
    out: &mut String,
) -> anyhow::Result<()> {
    let index = |name: &str| c.variants.iter().position(|v| v.name == name);
    let diffs = IntervalChart {
        id: "compare-differences".into(),
        title: "Paired differences between variants (95 % intervals)".into(),
        y_label: "difference".into(),
        panels: keys
            .iter()
            .map(|k| IntervalPanel {
                title: label(k).to_string(),
                items: c
                    .differences
                    .iter()
                    .filter_map(|d| {
                        d.metrics.get(*k).map(|e| Interval {
                            label: format!("{} − {}", d.a, d.b),
                            mean: e.mean,
                            low: e.ci_low,
                            high: e.ci_high,
                            points: match (index(&d.a), index(&d.b)) {
                                (Some(a), Some(b)) => {
                                    reps.iter().filter_map(|r| Some(r[a].get(*k)? - r[b].get(*k)?)).collect()
                                }
                                _ => Vec::new(),
                            },
                        })
                    })
                    .collect(),
            })
            .collect(),
        zero_line: true,
    };
    let svg = svg::interval_chart(&diffs)?;
    figure(
        out,
        "compare-differences",
        &svg,
        "A bar that does not cross the dashed zero line is a difference the replicates resolve.",
    );
    Ok(())
}

/// `#compare-table`: every metric's mean per variant and paired difference (bold when its
/// interval excludes zero); closes the section.
fn compare_table(c: &ComparisonDoc, out: &mut String) {
    out.push_str("<details open><summary>Every metric: mean [95 % interval]</summary>\n<table id=\"compare-table\"><thead><tr><th>metric</th>");
    for v in &c.variants {
        let _ = write!(out, "<th>{}</th>", escape(&v.name));
    }
    for d in &c.differences {
        let _ = write!(out, "<th>{} − {}</th>", escape(&d.a), escape(&d.b));
    }
    out.push_str("</tr></thead><tbody>\n");
    let all: Vec<String> = c.variants.first().map(|v| v.metrics.keys().cloned().collect()).unwrap_or_default();
    for k in &all {
        let _ = write!(out, "<tr><td>{}</td>", escape(k));
        for v in &c.variants {
            let _ = write!(out, "<td>{}</td>", v.metrics.get(k).map_or("–".into(), fmt_estimate));
        }
        for d in &c.differences {
            let cell = d.metrics.get(k).map_or("–".into(), |e| {
                let s = escape(&fmt_estimate(e));
                if e.ci_low > 0.0 || e.ci_high < 0.0 { format!("<strong>{s}</strong>") } else { s }
            });
            let _ = write!(out, "<td>{cell}</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></details></section>\n");
}
