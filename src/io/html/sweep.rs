//! The sweep section, from `sweep.json`: per charted metric and pair of variants, the
//! paired difference at each grid point (a heat map over two parameters, lines over a
//! numeric first parameter, intervals otherwise), and a table.

use std::fmt::Write as _;
use std::path::Path;

use super::{ReportError, bad, escape, figure, fmt_estimate, label, read_json, slug};
use crate::io::svg::{self, HeatMap, Interval, IntervalChart, IntervalPanel, LineChart, Panel, Series};
use crate::observe::registry::key;
use crate::study::compare::Estimate;
use crate::study::sweep::{SweepDoc, SweepPointDoc};

/// Metrics whose paired difference the sweep report charts.
pub const SWEEP_METRICS: [&str; 4] = [key::GINI, key::TOP1PCT_SHARE, key::FOLLOWER_ELASTICITY, key::INTEREST_LEARNED];

/// One chart's subject: the paired difference `a − b` of `metric`.
struct Subject<'a> {
    a: &'a str,
    b: &'a str,
    metric: &'a str,
}

impl Subject<'_> {
    /// The difference at a grid point, when the point has it.
    fn at(&self, p: &SweepPointDoc) -> Option<Estimate> {
        diff_of(p, self.a, self.b, self.metric)
    }
}

fn diff_of(p: &SweepPointDoc, a: &str, b: &str, m: &str) -> Option<Estimate> {
    p.differences.iter().find(|d| d.a == a && d.b == b).and_then(|d| d.metrics.get(m).copied())
}

/// The sweep section: header, one figure per charted metric and pair, the table.
pub(super) fn section(dir: &Path, out: &mut String) -> Result<(), ReportError> {
    let path = dir.join("sweep.json");
    let s: SweepDoc = read_json(&path)?;
    let _ = writeln!(
        out,
        "<section id=\"sweep\"><h2>Sweep: {}</h2><p>{} grid points × {} replicates; parameters: {}. \
         Parameters without a variant prefix apply to every variant.</p>",
        escape(&s.scenario),
        s.points.len(),
        s.replicates,
        escape(
            &s.params.iter().map(|p| format!("{} ∈ {{{}}}", p.key, p.values.join(", "))).collect::<Vec<_>>().join("; ")
        )
    );
    let Some(first) = s.points.first() else {
        out.push_str("<p>The sweep has no grid points.</p></section>\n");
        return Ok(());
    };
    let pairs: Vec<(String, String)> = first.differences.iter().map(|d| (d.a.clone(), d.b.clone())).collect();
    for metric in SWEEP_METRICS {
        if !first.differences.iter().any(|d| d.metrics.contains_key(metric)) {
            continue;
        }
        for (a, b) in &pairs {
            let id = if pairs.len() == 1 { format!("sweep-{metric}") } else { format!("sweep-{metric}-{a}-{b}") };
            let id = slug(&id);
            let svg = sweep_chart(&s, &Subject { a, b, metric }, &id).map_err(|e| bad(&path, e))?;
            figure(out, &id, &svg, &format!("Paired difference of {} ({a} − {b}) at each grid point.", label(metric)));
        }
    }
    sweep_table(&s, &pairs, out);
    Ok(())
}

/// The chart of one subject: a heat map over two parameters, lines over a numeric first
/// parameter, intervals per grid point otherwise.
fn sweep_chart(s: &SweepDoc, sub: &Subject, id: &str) -> anyhow::Result<String> {
    let title = format!("{}: {} − {} per grid point", label(sub.metric), sub.a, sub.b);
    let numeric = |vals: &[String]| vals.iter().all(|v| v.parse::<f64>().is_ok());
    if s.params.len() == 2 {
        heat_map(s, sub, id, title)
    } else if numeric(&s.params[0].values) {
        lines(s, sub, id, title)
    } else {
        intervals(s, sub, id, title)
    }
}

/// Two parameters: a heat map of the mean difference, x the first, y the second.
fn heat_map(s: &SweepDoc, sub: &Subject, id: &str, title: String) -> anyhow::Result<String> {
    let (px, py) = (&s.params[0], &s.params[1]);
    let cells = py
        .values
        .iter()
        .map(|yv| {
            px.values
                .iter()
                .map(|xv| {
                    s.points
                        .iter()
                        .find(|p| p.values[0] == *xv && p.values[1] == *yv)
                        .and_then(|p| sub.at(p))
                        .map(|e| (e.mean, e.ci_low > 0.0 || e.ci_high < 0.0))
                })
                .collect()
        })
        .collect();
    svg::heat_map(&HeatMap {
        id: id.to_string(),
        title,
        x_label: px.key.clone(),
        y_label: py.key.clone(),
        xs: px.values.clone(),
        ys: py.values.clone(),
        cells,
        value_label: format!("mean {} − {}", sub.a, sub.b),
    })
}

/// A numeric first parameter: a line per combination of the other parameters, x = the
/// first one; with one parameter, the interval's bounds as two more lines.
fn lines(s: &SweepDoc, sub: &Subject, id: &str, title: String) -> anyhow::Result<String> {
    let (a, b) = (sub.a, sub.b);
    let mut series: Vec<Series> = Vec::new();
    for p in &s.points {
        let name = if s.params.len() == 1 {
            format!("{a} − {b}")
        } else {
            s.params[1..]
                .iter()
                .zip(&p.values[1..])
                .map(|(q, v)| format!("{}={v}", q.key))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if let (Some(e), Ok(x)) = (sub.at(p), p.values[0].parse::<f64>()) {
            let idx = index_of_series(&mut series, &name);
            series[idx].points.push((x, e.mean));
            if s.params.len() == 1 {
                let lo = index_of_series(&mut series, "95 % interval, low");
                series[lo].points.push((x, e.ci_low));
                let hi = index_of_series(&mut series, "95 % interval, high");
                series[hi].points.push((x, e.ci_high));
            }
        }
    }
    for se in &mut series {
        se.points.sort_by(|p, q| p.0.total_cmp(&q.0));
    }
    svg::line_chart(&LineChart {
        id: id.to_string(),
        title,
        x_label: s.params[0].key.clone(),
        y_label: format!("{a} − {b}"),
        panels: vec![Panel { title: String::new(), series }],
        y_range: None,
        diagonal: false,
        log_y: false,
    })
}

/// Otherwise: the mean difference and its interval at each grid point.
fn intervals(s: &SweepDoc, sub: &Subject, id: &str, title: String) -> anyhow::Result<String> {
    let items = s
        .points
        .iter()
        .filter_map(|p| {
            sub.at(p).map(|e| Interval {
                label: p.values.join(", "),
                mean: e.mean,
                low: e.ci_low,
                high: e.ci_high,
                points: Vec::new(),
            })
        })
        .collect();
    svg::interval_chart(&IntervalChart {
        id: id.to_string(),
        title,
        y_label: format!("{} − {}", sub.a, sub.b),
        panels: vec![IntervalPanel { title: label(sub.metric).to_string(), items }],
        zero_line: true,
    })
}

/// `#sweep-table`: one row per grid point, the paired differences of the charted
/// metrics; closes the section.
fn sweep_table(s: &SweepDoc, pairs: &[(String, String)], out: &mut String) {
    out.push_str("<details><summary>Table of differences</summary><table id=\"sweep-table\"><thead><tr>");
    for p in &s.params {
        let _ = write!(out, "<th>{}</th>", escape(&p.key));
    }
    for (a, b) in pairs {
        for m in SWEEP_METRICS {
            let _ = write!(out, "<th>{} ({} − {})</th>", escape(label(m)), escape(a), escape(b));
        }
    }
    out.push_str("</tr></thead><tbody>\n");
    for p in &s.points {
        out.push_str("<tr>");
        for v in &p.values {
            let _ = write!(out, "<td>{}</td>", escape(v));
        }
        for (a, b) in pairs {
            for m in SWEEP_METRICS {
                let _ =
                    write!(out, "<td>{}</td>", diff_of(p, a, b, m).map_or("–".into(), |e| escape(&fmt_estimate(&e))));
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></details></section>\n");
}

fn index_of_series(series: &mut Vec<Series>, name: &str) -> usize {
    match series.iter().position(|s| s.name == name) {
        Some(i) => i,
        None => {
            series.push(Series { name: name.to_string(), points: Vec::new() });
            series.len() - 1
        }
    }
}
