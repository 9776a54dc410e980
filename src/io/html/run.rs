//! The run section, from `summary.json`, `lorenz.csv` (or `creators.csv`) and
//! `timeseries.csv`: headline and all metrics, Lorenz curves, and the charts over time.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde::Deserialize;

use super::{HEADLINE, ReportError, bad, escape, figure, fmt_value, read_json};
use crate::io::svg::{self, LineChart, Panel, Series};
use crate::observe::registry::series;

#[derive(Debug, Deserialize)]
struct SummaryDoc {
    scenario: String,
    seed: u64,
    #[serde(default)]
    users: u64,
    #[serde(default)]
    ticks: u64,
    #[serde(default)]
    partial: bool,
    #[serde(default)]
    feedsim_version: String,
    variants: Vec<SummaryVariant>,
}

#[derive(Debug, Deserialize)]
struct SummaryVariant {
    name: String,
    metrics: BTreeMap<String, f64>,
}

/// Per variant (in file order), per metric (in file order): `(tick, value)` points.
struct Timeseries {
    variants: Vec<String>,
    metrics: Vec<String>,
    points: BTreeMap<(usize, usize), Vec<(f64, f64)>>,
}

impl Timeseries {
    fn read(path: &Path) -> Result<Timeseries, ReportError> {
        let mut r = csv::Reader::from_path(path).map_err(|e| bad(path, e))?;
        let headers = r.headers().map_err(|e| bad(path, e))?.clone();
        if headers.iter().collect::<Vec<_>>() != ["tick", "variant", "metric", "value"] {
            return Err(bad(path, "expected the header tick,variant,metric,value"));
        }
        let mut ts = Timeseries { variants: Vec::new(), metrics: Vec::new(), points: BTreeMap::new() };
        for (line, rec) in r.records().enumerate() {
            let rec = rec.map_err(|e| bad(path, e))?;
            let num = |i: usize| -> Result<f64, ReportError> {
                rec[i].parse::<f64>().map_err(|_| bad(path, format!("row {}: `{}` is not a number", line + 2, &rec[i])))
            };
            let (tick, value) = (num(0)?, num(3)?);
            let vi = index_of(&mut ts.variants, &rec[1]);
            let mi = index_of(&mut ts.metrics, &rec[2]);
            ts.points.entry((vi, mi)).or_default().push((tick, value));
        }
        Ok(ts)
    }

    fn series(&self, vi: usize, metric: &str) -> Option<&Vec<(f64, f64)>> {
        let mi = self.metrics.iter().position(|m| m == metric)?;
        self.points.get(&(vi, mi))
    }

    /// One series per variant of a metric (variants without it left out).
    fn per_variant(&self, metric: &str) -> Vec<Series> {
        self.variants
            .iter()
            .enumerate()
            .filter_map(|(vi, name)| self.series(vi, metric).map(|p| Series { name: name.clone(), points: p.clone() }))
            .collect()
    }

    /// Metrics starting with `prefix.`, in first-seen order, without the prefix.
    fn family(&self, prefix: &str) -> Vec<String> {
        self.metrics.iter().filter_map(|m| m.strip_prefix(prefix).map(str::to_string)).collect()
    }

    /// One panel per variant with one line per member of a metric family; as shares of
    /// the family's total per tick when `share` is set.
    fn family_panels(&self, prefix: &str, share: bool) -> Vec<Panel> {
        let members = self.family(prefix);
        (0..self.variants.len())
            .map(|vi| {
                let lines: Vec<&Vec<(f64, f64)>> =
                    members.iter().filter_map(|m| self.series(vi, &format!("{prefix}{m}"))).collect();
                let totals: BTreeMap<u64, f64> =
                    lines.iter().flat_map(|l| l.iter()).fold(BTreeMap::new(), |mut acc, p| {
                        *acc.entry(p.0.to_bits()).or_default() += p.1;
                        acc
                    });
                let series = members
                    .iter()
                    .map(|m| {
                        let pts = self.series(vi, &format!("{prefix}{m}")).cloned().unwrap_or_default();
                        let points = if share {
                            pts.iter()
                                .map(|&(t, v)| {
                                    let total = totals.get(&t.to_bits()).copied().unwrap_or(0.0);
                                    (t, if total > 0.0 { v / total } else { 0.0 })
                                })
                                .collect()
                        } else {
                            pts
                        };
                        Series { name: m.clone(), points }
                    })
                    .collect();
                Panel { title: self.variants[vi].clone(), series }
            })
            .collect()
    }
}

fn index_of(list: &mut Vec<String>, name: &str) -> usize {
    match list.iter().position(|x| x == name) {
        Some(i) => i,
        None => {
            list.push(name.to_string());
            list.len() - 1
        }
    }
}

/// Lorenz points per variant from `lorenz.csv`, or computed from `creators.csv`.
fn lorenz(dir: &Path) -> Result<Vec<Series>, ReportError> {
    let mut out: Vec<Series> = Vec::new();
    let mut push = |variant: &str, p: (f64, f64)| match out.iter_mut().find(|s| s.name == variant) {
        Some(s) => s.points.push(p),
        None => out.push(Series { name: variant.to_string(), points: vec![p] }),
    };
    let path = dir.join("lorenz.csv");
    if path.exists() {
        let mut r = csv::Reader::from_path(&path).map_err(|e| bad(&path, e))?;
        for rec in r.records() {
            let rec = rec.map_err(|e| bad(&path, e))?;
            let x: f64 = rec[1].parse().map_err(|_| bad(&path, "population_share is not a number"))?;
            let y: f64 = rec[2].parse().map_err(|_| bad(&path, "impression_share is not a number"))?;
            push(&rec[0], (x, y));
        }
        return Ok(out);
    }
    let path = dir.join("creators.csv");
    if path.exists() {
        for (name, xs) in creator_impressions(&path)? {
            for p in crate::observe::concentration::lorenz_curve(&xs, 100) {
                push(&name, p);
            }
        }
    }
    Ok(out)
}

/// Each variant's creator impressions from `creators.csv`, variants in first-seen order.
fn creator_impressions(path: &Path) -> Result<Vec<(String, Vec<f64>)>, ReportError> {
    let mut r = csv::Reader::from_path(path).map_err(|e| bad(path, e))?;
    let headers = r.headers().map_err(|e| bad(path, e))?.clone();
    let col = headers.iter().position(|h| h == "impressions").ok_or_else(|| bad(path, "no impressions column"))?;
    let mut imps: Vec<(String, Vec<f64>)> = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| bad(path, e))?;
        let v: f64 = rec[col].parse().map_err(|_| bad(path, "impressions is not a number"))?;
        match imps.iter_mut().find(|(n, _)| n == &rec[0]) {
            Some((_, xs)) => xs.push(v),
            None => imps.push((rec[0].to_string(), vec![v])),
        }
    }
    Ok(imps)
}

/// The run section: header, metric tables, Lorenz curves, then the charts over time.
pub(super) fn section(dir: &Path, out: &mut String) -> Result<(), ReportError> {
    let path = dir.join("summary.json");
    let s: SummaryDoc = read_json(&path)?;
    let _ = writeln!(
        out,
        "<section id=\"run\"><h2>Run: {}</h2><p>Seed {}, {} users, {} ticks per variant, feedsim {}{}.</p>",
        escape(&s.scenario),
        s.seed,
        s.users,
        s.ticks,
        escape(&s.feedsim_version),
        if s.partial { " — <strong>partial run (interrupted)</strong>" } else { "" }
    );
    metric_tables(&s, out);
    lorenz_figure(dir, &path, out)?;
    let ts_path = dir.join("timeseries.csv");
    if !ts_path.exists() {
        out.push_str("<p>No timeseries.csv: charts over time are left out.</p></section>\n");
        return Ok(());
    }
    let ts = Timeseries::read(&ts_path)?;
    let chart_err = |e: anyhow::Error| bad(&ts_path, e);
    gini_figure(&ts, out).map_err(chart_err)?;
    family_figures(&ts, out).map_err(chart_err)?;
    learning_figure(&ts, out).map_err(chart_err)?;
    out.push_str("</section>\n");
    Ok(())
}

/// The headline table, then every metric in a details element.
fn metric_tables(s: &SummaryDoc, out: &mut String) {
    out.push_str("<h3>Headline metrics</h3>\n");
    metric_table(s, out, "headline-metrics", &mut HEADLINE.iter().map(|(k, l)| (k.to_string(), l.to_string())));
    let all: Vec<String> = s.variants.first().map(|v| v.metrics.keys().cloned().collect()).unwrap_or_default();
    out.push_str("<details><summary>All metrics</summary>\n");
    metric_table(s, out, "all-metrics", &mut all.into_iter().map(|k| (k.clone(), k)));
    out.push_str("</details>\n");
}

/// A table of `(key, label)` rows, one column per variant.
fn metric_table(s: &SummaryDoc, out: &mut String, id: &str, keys: &mut dyn Iterator<Item = (String, String)>) {
    let _ = write!(out, "<table id=\"{id}\"><thead><tr><th>metric</th>");
    for v in &s.variants {
        let _ = write!(out, "<th>{}</th>", escape(&v.name));
    }
    out.push_str("</tr></thead><tbody>\n");
    for (key, lab) in keys {
        let _ = write!(out, "<tr><td title=\"{}\">{}</td>", escape(&key), escape(&lab));
        for v in &s.variants {
            let _ = write!(out, "<td>{}</td>", v.metrics.get(&key).map_or("–".into(), |x| fmt_value(*x)));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n");
}

/// `#lorenz`, when the folder has `lorenz.csv` or `creators.csv`.
fn lorenz_figure(dir: &Path, summary: &Path, out: &mut String) -> Result<(), ReportError> {
    let curves = lorenz(dir)?;
    if curves.is_empty() {
        return Ok(());
    }
    let svg = svg::line_chart(&LineChart {
        id: "lorenz".into(),
        title: "Lorenz curves of creator impressions".into(),
        x_label: "share of creators (fewest impressions first)".into(),
        y_label: "share of impressions".into(),
        panels: vec![Panel { title: String::new(), series: curves }],
        y_range: Some((0.0, 1.0)),
        diagonal: true,
        log_y: false,
    })
    .map_err(|e| bad(summary, e))?;
    figure(
        out,
        "lorenz",
        &svg,
        "The further a curve sags below the dashed line of equality, the more impressions go to few creators.",
    );
    Ok(())
}

/// `#gini-over-time`, when the timeseries has the creator Gini.
fn gini_figure(ts: &Timeseries, out: &mut String) -> anyhow::Result<()> {
    let gini = ts.per_variant(series::GINI);
    if gini.is_empty() {
        return Ok(());
    }
    let svg = svg::line_chart(&LineChart {
        id: "gini-over-time".into(),
        title: "Creator Gini of each tick's impressions".into(),
        x_label: "tick (day)".into(),
        y_label: "Gini".into(),
        panels: vec![Panel { title: String::new(), series: gini }],
        y_range: Some((0.0, 1.0)),
        diagonal: false,
        log_y: false,
    })?;
    figure(out, "gini-over-time", &svg, "Concentration of impressions over creators, tick by tick.");
    Ok(())
}

/// A family of series charted as one line per member: (family, figure id, title,
/// caption, as shares of the tick's total).
type Family = (&'static str, &'static str, &'static str, &'static str, bool);

/// The families charted over time, in page order.
const FAMILIES: [Family; 4] = [
    (
        series::TIERS,
        "tier-share",
        "Share of impressions by creator follower tier",
        "Each line is a follower tier (at the start of the run); shares of the tick's impressions.",
        true,
    ),
    (
        series::RINGS,
        "ring-share",
        "Share of impressions by true crowd ring",
        "Core: the topic is the viewer's primary interest; high potential: a secondary interest; general: neither.",
        true,
    ),
    (
        series::FUNNEL,
        "funnel",
        "5A funnel: users per stage",
        "Users at each stage of the 5A funnel (aware, appeal, ask, act, advocate), as timeseries.csv \
         reports them (funnel.<stage>: users who have reached the stage so far). Log scale: a stage \
         no user has reached yet is drawn at 1.",
        false,
    ),
    (
        series::CHANNELS,
        "channel-share",
        "Share of impressions by channel",
        "Where impressions came from, as shares of the tick's impressions.",
        true,
    ),
];

/// `#tier-share`, `#ring-share`, `#funnel` and `#channel-share`, each when the timeseries
/// has its family.
fn family_figures(ts: &Timeseries, out: &mut String) -> anyhow::Result<()> {
    for (family, id, title, caption, share) in FAMILIES {
        let prefix = format!("{family}.");
        if ts.family(&prefix).is_empty() {
            continue;
        }
        let svg = svg::line_chart(&LineChart {
            id: id.into(),
            title: title.into(),
            x_label: "tick (day)".into(),
            y_label: if share { "share of impressions".into() } else { "users (log scale)".into() },
            panels: ts.family_panels(&prefix, share),
            y_range: if share { Some((0.0, 1.0)) } else { None },
            diagonal: false,
            // Stages differ by orders of magnitude (aware ≫ advocate).
            log_y: !share,
        })?;
        figure(out, id, &svg, caption);
    }
    Ok(())
}

/// `#interest-learning`, when the timeseries has the interest rank correlation.
fn learning_figure(ts: &Timeseries, out: &mut String) -> anyhow::Result<()> {
    let learn = ts.per_variant(series::INTEREST_LEARNING);
    if learn.is_empty() {
        return Ok(());
    }
    let svg = svg::line_chart(&LineChart {
        id: "interest-learning".into(),
        title: "Interest learning: estimated vs true interests".into(),
        x_label: "tick (day)".into(),
        y_label: "mean Kendall tau".into(),
        panels: vec![Panel { title: String::new(), series: learn }],
        y_range: None,
        diagonal: false,
        log_y: false,
    })?;
    figure(
        out,
        "interest-learning",
        &svg,
        "Mean Kendall tau between the recommender's estimated and the true interest rows of sampled users.",
    );
    Ok(())
}
