//! Judging a rerun against a baseline: each metric on its scale, in tolerances, and the
//! tables that show the outcome.

use std::fmt::Write as _;

use super::{Baseline, Rerun, Scale};
use crate::observe::stats::mean_interval;

/// One metric × variant of a check.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Scenario.
    pub scenario: String,
    /// Variant.
    pub variant: String,
    /// Metric.
    pub metric: String,
    /// Compared scale.
    pub scale: Scale,
    /// Expected mean (of the values as they are).
    pub expected: f64,
    /// New mean (of the values as they are), `None` when the metric or variant is gone.
    pub got: Option<f64>,
    /// Tolerance, on the compared scale.
    pub tolerance: f64,
    /// |got − expected| on the compared scale in tolerances, `None` when gone.
    pub moved: Option<f64>,
    /// The smallest relative change the check detects.
    pub detectable_change: Option<f64>,
    /// No replicate spread: checked exactly (up to the floor).
    pub exact: bool,
    /// Never fails the check.
    pub informational: bool,
}

impl Row {
    /// Within tolerance.
    pub fn ok(&self) -> bool {
        self.moved.is_some_and(|m| m <= 1.0)
    }
}

/// A metric that moved beyond its tolerance (or went missing).
pub type Failure = Row;

/// The outcome of comparing a rerun with a baseline.
#[derive(Debug, Clone, Default)]
pub struct Checked {
    /// Every check, in baseline order.
    pub rows: Vec<Row>,
    /// Metrics the run has and the baseline lacks (`variant/metric`).
    pub new_metrics: Vec<String>,
}

impl Checked {
    /// Checks that can fail.
    pub fn checked(&self) -> usize {
        self.rows.iter().filter(|r| !r.informational).count()
    }

    /// Informational checks.
    pub fn informational(&self) -> usize {
        self.rows.iter().filter(|r| r.informational).count()
    }

    /// Checks that can fail and moved beyond their tolerance.
    pub fn failures(&self) -> Vec<Row> {
        self.rows.iter().filter(|r| !r.informational && !r.ok()).cloned().collect()
    }

    /// Informational checks that moved beyond their tolerance.
    pub fn informational_moved(&self) -> usize {
        self.rows.iter().filter(|r| r.informational && !r.ok()).count()
    }

    /// Checks whose rerun mean is not the baseline's bit for bit (within tolerance or
    /// not): an unchanged model reproduces every mean exactly, so a baseline with such
    /// checks predates a change of the results.
    pub fn differing(&self) -> usize {
        self.rows.iter().filter(|r| r.moved.is_some_and(|m| m != 0.0)).count()
    }

    /// Median and largest relative detectable change of the checks that can fail and
    /// have replicate spread (`None` when undefined for some: a zero mean).
    pub fn detectable_summary(&self) -> Option<(Option<f64>, Option<f64>)> {
        let mut d: Vec<Option<f64>> =
            self.rows.iter().filter(|r| !r.informational && !r.exact).map(|r| r.detectable_change).collect();
        if d.is_empty() {
            return None;
        }
        // None (undefined) sorts last, as the largest.
        d.sort_by(|a, b| match (a, b) {
            (Some(x), Some(y)) => x.total_cmp(y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        });
        Some((d[d.len() / 2], d[d.len() - 1]))
    }
}

/// Compares a rerun with a baseline, each metric on the baseline's scale.
pub fn compare_with(b: &Baseline, r: &Rerun) -> Checked {
    let mut rows = Vec::new();
    for v in &b.variants {
        let got = r.variants.iter().find(|g| g.name == v.name);
        for (metric, e) in &v.metrics {
            let values = got.and_then(|g| g.metrics.get(metric));
            let mean_on = |scale: Scale| {
                values.and_then(|xs| mean_interval(&xs.iter().map(|&x| scale.apply(x)).collect::<Vec<_>>()))
            };
            let plain = mean_on(Scale::Linear).map(|i| i.mean);
            let compared = mean_on(e.scale).map(|i| i.mean);
            rows.push(Row {
                scenario: b.scenario.clone(),
                variant: v.name.clone(),
                metric: metric.clone(),
                scale: e.scale,
                expected: e.mean,
                got: plain,
                tolerance: e.tolerance,
                moved: compared.map(|c| (c - e.compared_mean()).abs() / e.tolerance),
                detectable_change: e.relative_detectable_change(),
                exact: e.compared_sd() == 0.0,
                informational: e.informational,
            });
        }
    }
    let mut new_metrics = Vec::new();
    for g in &r.variants {
        let known = b.variants.iter().find(|v| v.name == g.name);
        for k in g.metrics.keys() {
            if !known.is_some_and(|v| v.metrics.contains_key(k)) {
                new_metrics.push(format!("{}/{k}", g.name));
            }
        }
    }
    Checked { rows, new_metrics }
}

/// A relative size as a percentage (`n/a` when undefined).
pub fn percent(d: Option<f64>) -> String {
    match d {
        None => "n/a".into(),
        Some(d) if d >= 100.0 => ">10000 %".into(),
        Some(d) if d > 0.0 && d < 0.001 => "<0.1 %".into(),
        Some(d) => format!("{:.1} %", 100.0 * d),
    }
}

/// The table of failures: scenario, variant, metric, scale, expected, got, tolerance,
/// smallest detectable change and how many tolerances the value moved.
pub fn failure_table(failures: &[Row]) -> String {
    table(failures, false)
}

/// A table of checks; `status` adds a column saying ok, FAIL or info (moved).
pub fn table(rows: &[Row], status: bool) -> String {
    let mut out = String::new();
    let w_s = rows.iter().map(|f| f.scenario.len()).max().unwrap_or(0).max(8);
    let w_v = rows.iter().map(|f| f.variant.len()).max().unwrap_or(0).max(7);
    let w_m = rows.iter().map(|f| f.metric.len()).max().unwrap_or(0).max(6);
    let _ = write!(
        out,
        "{:<w_s$}  {:<w_v$}  {:<w_m$}  {:<6}  {:>14}  {:>14}  {:>12}  {:>10}  {:>10}",
        "scenario", "variant", "metric", "scale", "expected", "got", "tolerance", "detectable", "moved"
    );
    out.push_str(if status { "  status\n" } else { "\n" });
    for f in rows {
        let got = f.got.map_or_else(|| "missing".into(), |g| format!("{g:.6}"));
        let moved = f.moved.map_or_else(|| "-".into(), |m| format!("{m:.1}×tol"));
        let _ = write!(
            out,
            "{:<w_s$}  {:<w_v$}  {:<w_m$}  {:<6}  {:>14.6}  {:>14}  {:>12.6}  {:>10}  {:>10}",
            f.scenario,
            f.variant,
            f.metric,
            f.scale.name(),
            f.expected,
            got,
            f.tolerance,
            if f.exact { "exact".into() } else { percent(f.detectable_change) },
            moved
        );
        if status {
            let s = match (f.informational, f.ok()) {
                (false, true) => "ok",
                (false, false) => "FAIL",
                (true, true) => "info",
                (true, false) => "info, moved",
            };
            let _ = write!(out, "  {s}");
        }
        out.push('\n');
    }
    out
}
