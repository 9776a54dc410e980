//! `report.html`: a self-contained page (inline SVG and CSS, no script, no network) built
//! from the files of a run, compare, sweep or decompose folder.
//!
//! Which sections appear depends on the files present:
//! - `summary.json` (+ `timeseries.csv`, `lorenz.csv` or `creators.csv`): a run: the
//!   headline metrics table, Lorenz curves (`#lorenz`), creator Gini over time
//!   (`#gini-over-time`), share of impressions by follower tier (`#tier-share`) and by
//!   true crowd ring (`#ring-share`) over time, interest learning (`#interest-learning`),
//!   and, when the timeseries has them, the 5A funnel (`funnel.<stage>`, `#funnel`) and
//!   impressions by channel (`channel_impressions.<channel>`, `#channel-share`);
//! - `comparison.json`: means with 95 % intervals per variant (`#compare-means`), paired
//!   differences (`#compare-differences`) and a table of every metric;
//! - `sweep.json`: the paired difference of headline metrics per grid point, as line
//!   charts or heat maps (`#sweep-<metric>`), and a table;
//! - `decomposition.json`: per headline metric, each factorial term's estimate with its
//!   95 % interval and the all-B − all-A difference as horizontal bars
//!   (`#decompose-<metric>`), and a table of every term with its share
//!   (`#decompose-table`).
//!
//! Each chart is a `<figure id="fig-…">` holding an `<svg id="…">`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::svg::{self, HeatMap, Interval, IntervalChart, IntervalPanel, LineChart, Panel, Series};
use crate::study::compare::{Difference, Estimate, VariantEstimates};

/// Headline metrics shown in tables and interval charts: (key, label).
pub const HEADLINE: [(&str, &str); 12] = [
    ("creator_impressions_gini", "creator Gini"),
    ("top1pct_share", "top 1 % share"),
    ("top10_share", "top 10 share"),
    ("follower_elasticity", "follower elasticity"),
    ("tier_share.head_ge_100k", "head (≥100k) share"),
    ("tier_share.waist_10k_100k", "waist (10k–100k) share"),
    ("institution_share", "institutions' share"),
    ("ring_share.core", "core-crowd share"),
    ("head_stability.top_kept", "top-10 inst. kept"),
    ("read_rate", "reads / impression"),
    ("interest_rank_corr", "interest learned (tau)"),
    ("impressions", "impressions"),
];

/// The label of a metric key (the key itself when it is not a headline metric).
pub fn label(key: &str) -> &str {
    HEADLINE.iter().find(|(k, _)| *k == key).map_or(key, |(_, l)| l)
}

/// Why a report could not be made from a folder (bad input: exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The folder holds none of the files a report reads.
    #[error(
        "`{0}` holds no summary.json, comparison.json, sweep.json or decomposition.json: give a \
         folder written by `feedsim run`, `compare`, `sweep` or `decompose`"
    )]
    Empty(PathBuf),
    /// A file could not be read or parsed.
    #[error("`{path}`: {message}")]
    Bad {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

fn bad(path: &Path, message: impl std::fmt::Display) -> ReportError {
    ReportError::Bad { path: path.to_path_buf(), message: message.to_string() }
}

/// Escapes text for HTML and XML.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

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

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, ReportError> {
    let bytes = std::fs::read(path).map_err(|e| bad(path, e))?;
    serde_json::from_slice(&bytes).map_err(|e| bad(path, format!("not the expected JSON: {e}")))
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
        let mut r = csv::Reader::from_path(&path).map_err(|e| bad(&path, e))?;
        let headers = r.headers().map_err(|e| bad(&path, e))?.clone();
        let col = headers.iter().position(|h| h == "impressions").ok_or_else(|| bad(&path, "no impressions column"))?;
        let mut imps: Vec<(String, Vec<f64>)> = Vec::new();
        for rec in r.records() {
            let rec = rec.map_err(|e| bad(&path, e))?;
            let v: f64 = rec[col].parse().map_err(|_| bad(&path, "impressions is not a number"))?;
            match imps.iter_mut().find(|(n, _)| n == &rec[0]) {
                Some((_, xs)) => xs.push(v),
                None => imps.push((rec[0].to_string(), vec![v])),
            }
        }
        for (name, xs) in imps {
            for p in crate::observe::concentration::lorenz_curve(&xs, 100) {
                push(&name, p);
            }
        }
    }
    Ok(out)
}

fn figure(out: &mut String, id: &str, svg: &str, caption: &str) {
    let _ =
        writeln!(out, "<figure id=\"fig-{}\">{svg}<figcaption>{}</figcaption></figure>", escape(id), escape(caption));
}

fn fmt_value(x: f64) -> String {
    if !x.is_finite() {
        "–".into()
    } else if x.abs() >= 1000.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.4}")
    }
}

fn fmt_estimate(e: &Estimate) -> String {
    format!("{} [{}, {}]", fmt_value(e.mean), fmt_value(e.ci_low), fmt_value(e.ci_high))
}

fn run_section(dir: &Path, out: &mut String) -> Result<(), ReportError> {
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
    // Headline table, then every metric in a details element.
    let table = |out: &mut String, id: &str, keys: &mut dyn Iterator<Item = (String, String)>| {
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
    };
    out.push_str("<h3>Headline metrics</h3>\n");
    table(out, "headline-metrics", &mut HEADLINE.iter().map(|(k, l)| (k.to_string(), l.to_string())));
    let all: Vec<String> = s.variants.first().map(|v| v.metrics.keys().cloned().collect()).unwrap_or_default();
    out.push_str("<details><summary>All metrics</summary>\n");
    table(out, "all-metrics", &mut all.into_iter().map(|k| (k.clone(), k)));
    out.push_str("</details>\n");

    let curves = lorenz(dir)?;
    if !curves.is_empty() {
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
        .map_err(|e| bad(&path, e))?;
        figure(
            out,
            "lorenz",
            &svg,
            "The further a curve sags below the dashed line of equality, the more impressions go to few creators.",
        );
    }
    let ts_path = dir.join("timeseries.csv");
    if !ts_path.exists() {
        out.push_str("<p>No timeseries.csv: charts over time are left out.</p></section>\n");
        return Ok(());
    }
    let ts = Timeseries::read(&ts_path)?;
    let per_variant = |metric: &str| -> Vec<Series> {
        ts.variants
            .iter()
            .enumerate()
            .filter_map(|(vi, name)| ts.series(vi, metric).map(|p| Series { name: name.clone(), points: p.clone() }))
            .collect()
    };
    let chart_err = |e: anyhow::Error| bad(&ts_path, e);
    let gini = per_variant("creator_impressions_gini");
    if !gini.is_empty() {
        let svg = svg::line_chart(&LineChart {
            id: "gini-over-time".into(),
            title: "Creator Gini of each tick's impressions".into(),
            x_label: "tick (day)".into(),
            y_label: "Gini".into(),
            panels: vec![Panel { title: String::new(), series: gini }],
            y_range: Some((0.0, 1.0)),
            diagonal: false,
            log_y: false,
        })
        .map_err(chart_err)?;
        figure(out, "gini-over-time", &svg, "Concentration of impressions over creators, tick by tick.");
    }
    let families = [
        (
            "tier_impressions.",
            "tier-share",
            "Share of impressions by creator follower tier",
            "Each line is a follower tier (at the start of the run); shares of the tick's impressions.",
            true,
        ),
        (
            "ring_impressions.",
            "ring-share",
            "Share of impressions by true crowd ring",
            "Core: the topic is the viewer's primary interest; high potential: a secondary interest; general: neither.",
            true,
        ),
        (
            "funnel.",
            "funnel",
            "5A funnel: users per stage",
            "Users at each stage of the 5A funnel (aware, appeal, ask, act, advocate), as timeseries.csv \
             reports them (funnel.<stage>: users who have reached the stage so far). Log scale: a stage \
             no user has reached yet is drawn at 1.",
            false,
        ),
        (
            "channel_impressions.",
            "channel-share",
            "Share of impressions by channel",
            "Where impressions came from, as shares of the tick's impressions.",
            true,
        ),
    ];
    for (prefix, id, title, caption, share) in families {
        if ts.family(prefix).is_empty() {
            continue;
        }
        let svg = svg::line_chart(&LineChart {
            id: id.into(),
            title: title.into(),
            x_label: "tick (day)".into(),
            y_label: if share { "share of impressions".into() } else { "users (log scale)".into() },
            panels: ts.family_panels(prefix, share),
            y_range: if share { Some((0.0, 1.0)) } else { None },
            diagonal: false,
            // Stages differ by orders of magnitude (aware ≫ advocate).
            log_y: !share,
        })
        .map_err(chart_err)?;
        figure(out, id, &svg, caption);
    }
    let learn = per_variant("interest_rank_corr");
    if !learn.is_empty() {
        let svg = svg::line_chart(&LineChart {
            id: "interest-learning".into(),
            title: "Interest learning: estimated vs true interests".into(),
            x_label: "tick (day)".into(),
            y_label: "mean Kendall tau".into(),
            panels: vec![Panel { title: String::new(), series: learn }],
            y_range: None,
            diagonal: false,
            log_y: false,
        })
        .map_err(chart_err)?;
        figure(
            out,
            "interest-learning",
            &svg,
            "Mean Kendall tau between the recommender's estimated and the true interest rows of sampled users.",
        );
    }
    out.push_str("</section>\n");
    Ok(())
}

/// The headline metrics present in a comparison, in headline order.
fn headline_keys(variants: &[VariantEstimates]) -> Vec<&'static str> {
    HEADLINE.iter().map(|(k, _)| *k).filter(|k| variants.iter().any(|v| v.metrics.contains_key(*k))).collect()
}

/// The per-variant metrics of each of the comparison's replicates that the compare saved,
/// in replicate order; empty when the folder has none (an older compare) or they do not
/// match its variants.
fn replicate_metrics(dir: &Path, variants: usize, replicates: usize) -> Vec<Vec<crate::observe::metrics::MetricMap>> {
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

fn compare_section(dir: &Path, out: &mut String) -> Result<(), ReportError> {
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
    let values = |vi: usize, k: &str| -> Vec<f64> { reps.iter().filter_map(|r| r[vi].get(k).copied()).collect() };
    let index = |name: &str| c.variants.iter().position(|v| v.name == name);
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
    let svg = svg::interval_chart(&means).map_err(|e| bad(&path, e))?;
    let rings = if reps.is_empty() { "" } else { "; rings: each replicate's value" };
    figure(out, "compare-means", &svg, &format!("Dots: means over replicates; bars: 95 % intervals{rings}."));
    if !c.differences.is_empty() {
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
        let svg = svg::interval_chart(&diffs).map_err(|e| bad(&path, e))?;
        figure(
            out,
            "compare-differences",
            &svg,
            "A bar that does not cross the dashed zero line is a difference the replicates resolve.",
        );
    }
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
    Ok(())
}

/// Metrics whose paired difference the sweep report charts.
pub const SWEEP_METRICS: [&str; 4] =
    ["creator_impressions_gini", "top1pct_share", "follower_elasticity", "interest_rank_corr"];

fn sweep_section(dir: &Path, out: &mut String) -> Result<(), ReportError> {
    let path = dir.join("sweep.json");
    let s: crate::study::sweep::SweepDoc = read_json(&path)?;
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
    let diff_of = |p: &crate::study::sweep::SweepPointDoc, a: &str, b: &str, m: &str| -> Option<Estimate> {
        p.differences.iter().find(|d| d.a == a && d.b == b).and_then(|d| d.metrics.get(m).copied())
    };
    let numeric = |vals: &[String]| vals.iter().all(|v| v.parse::<f64>().is_ok());
    for metric in SWEEP_METRICS {
        if !first.differences.iter().any(|d| d.metrics.contains_key(metric)) {
            continue;
        }
        for (a, b) in &pairs {
            let id = if pairs.len() == 1 { format!("sweep-{metric}") } else { format!("sweep-{metric}-{a}-{b}") };
            let id = id.replace(|c: char| !c.is_ascii_alphanumeric() && c != '-' && c != '_', "-");
            let title = format!("{}: {a} − {b} per grid point", label(metric));
            let svg = if s.params.len() == 2 {
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
                                    .and_then(|p| diff_of(p, a, b, metric))
                                    .map(|e| (e.mean, e.ci_low > 0.0 || e.ci_high < 0.0))
                            })
                            .collect()
                    })
                    .collect();
                svg::heat_map(&HeatMap {
                    id: id.clone(),
                    title,
                    x_label: px.key.clone(),
                    y_label: py.key.clone(),
                    xs: px.values.clone(),
                    ys: py.values.clone(),
                    cells,
                    value_label: format!("mean {a} − {b}"),
                })
            } else if numeric(&s.params[0].values) {
                // Line per combination of the other parameters, x = the first one.
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
                    if let (Some(e), Ok(x)) = (diff_of(p, a, b, metric), p.values[0].parse::<f64>()) {
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
                    id: id.clone(),
                    title,
                    x_label: s.params[0].key.clone(),
                    y_label: format!("{a} − {b}"),
                    panels: vec![Panel { title: String::new(), series }],
                    y_range: None,
                    diagonal: false,
                    log_y: false,
                })
            } else {
                let items = s
                    .points
                    .iter()
                    .filter_map(|p| {
                        diff_of(p, a, b, metric).map(|e| Interval {
                            label: p.values.join(", "),
                            mean: e.mean,
                            low: e.ci_low,
                            high: e.ci_high,
                            points: Vec::new(),
                        })
                    })
                    .collect();
                svg::interval_chart(&IntervalChart {
                    id: id.clone(),
                    title,
                    y_label: format!("{a} − {b}"),
                    panels: vec![IntervalPanel { title: label(metric).to_string(), items }],
                    zero_line: true,
                })
            }
            .map_err(|e| bad(&path, e))?;
            figure(out, &id, &svg, &format!("Paired difference of {} ({a} − {b}) at each grid point.", label(metric)));
        }
    }
    // Table: one row per grid point, the paired differences of the charted metrics.
    out.push_str("<details><summary>Table of differences</summary><table id=\"sweep-table\"><thead><tr>");
    for p in &s.params {
        let _ = write!(out, "<th>{}</th>", escape(&p.key));
    }
    for (a, b) in &pairs {
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
        for (a, b) in &pairs {
            for m in SWEEP_METRICS {
                let _ =
                    write!(out, "<td>{}</td>", diff_of(p, a, b, m).map_or("–".into(), |e| escape(&fmt_estimate(&e))));
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></details></section>\n");
    Ok(())
}

fn fmt_share(share: Option<f64>) -> String {
    share.map_or("–".into(), |s| format!("{:.1} %", 100.0 * s))
}

fn decompose_section(dir: &Path, out: &mut String) -> Result<(), ReportError> {
    let path = dir.join("decomposition.json");
    let d: crate::study::decompose::DecompositionDoc = read_json(&path)?;
    let _ = writeln!(
        out,
        "<section id=\"decompose\"><h2>Decomposition: {}</h2><p>A full factorial of {} cells from variant \
         <code>{}</code> × {} replicates; replicate r ran every cell with seed {} + r on one world. Factors \
         (level A → B): {}. Effects are effect-coded (A = −½, B = +½): a main effect is the mean change \
         from A to B over the other factors' levels, an interaction how much that change depends on \
         another factor. Bars: means over replicates; whiskers: 95 % Student-t intervals. A term's share \
         is its contribution to Y(all B) − Y(all A) divided by that difference: shares sum to 1 and may \
         be negative or above 1; even-order interactions contribute nothing to it.</p>",
        escape(&d.scenario),
        d.cells.len(),
        escape(&d.base_variant),
        d.replicates,
        d.seed,
        escape(
            &d.factors
                .iter()
                .map(|f| format!("{} ∈ {{{}}}", f.key, f.levels.join(" → ")))
                .collect::<Vec<_>>()
                .join("; ")
        )
    );
    let shown: Vec<&str> =
        crate::study::decompose::DECOMPOSE_METRICS.iter().copied().filter(|m| d.metrics.contains_key(*m)).collect();
    for metric in &shown {
        let m = &d.metrics[*metric];
        let id =
            format!("decompose-{metric}").replace(|c: char| !c.is_ascii_alphanumeric() && c != '-' && c != '_', "-");
        let mut items: Vec<Interval> = m
            .terms
            .iter()
            .map(|t| Interval {
                label: t.term.clone(),
                mean: t.estimate,
                low: t.ci_low,
                high: t.ci_high,
                points: Vec::new(),
            })
            .collect();
        let terms = items.len();
        let diff = &m.difference;
        items.push(Interval {
            label: "all B − all A".into(),
            mean: diff.estimate,
            low: diff.ci_low,
            high: diff.ci_high,
            points: Vec::new(),
        });
        let svg = svg::bar_chart(&svg::BarChart {
            id: id.clone(),
            title: format!("{}: effects of the factors ({} replicates)", label(metric), d.replicates),
            x_label: format!("effect on {metric}"),
            items,
            highlight_from: terms,
        })
        .map_err(|e| bad(&path, e))?;
        figure(
            out,
            &id,
            &svg,
            &format!(
                "Main effects and interactions on {}, and the difference between the all-B and all-A cells \
                 (last bar). A whisker that does not cross the dashed zero line is an effect the replicates resolve.",
                label(metric)
            ),
        );
    }
    if shown.is_empty() {
        out.push_str("<p>None of the charted metrics is in this decomposition; the table has every metric.</p>\n");
    }
    out.push_str(
        "<details open><summary>Every metric and term: estimate [95 % interval], contribution to \
         all B − all A, share</summary>\n<table id=\"decompose-table\"><thead><tr><th>metric</th><th>term</th>\
         <th>estimate [95 % CI]</th><th>contribution</th><th>share</th></tr></thead><tbody>\n",
    );
    let ordered =
        shown.iter().map(|m| m.to_string()).chain(d.metrics.keys().filter(|k| !shown.contains(&k.as_str())).cloned());
    for key in ordered {
        let m = &d.metrics[&key];
        for t in &m.terms {
            let est = escape(&format!("{} [{}, {}]", fmt_value(t.estimate), fmt_value(t.ci_low), fmt_value(t.ci_high)));
            let est = if t.ci_low > 0.0 || t.ci_high < 0.0 { format!("<strong>{est}</strong>") } else { est };
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td style=\"text-align:left\">{}</td><td>{est}</td><td>{}</td><td>{}</td></tr>",
                escape(&key),
                escape(&t.term),
                fmt_value(t.contribution),
                escape(&fmt_share(t.share))
            );
        }
        let diff = &m.difference;
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td style=\"text-align:left\"><em>all B − all A</em></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&key),
            escape(&format!("{} [{}, {}]", fmt_value(diff.estimate), fmt_value(diff.ci_low), fmt_value(diff.ci_high))),
            fmt_value(diff.estimate),
            if m.terms.iter().any(|t| t.share.is_some()) { "100.0 %" } else { "–" }
        );
    }
    out.push_str("</tbody></table></details></section>\n");
    Ok(())
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

const STYLE: &str = "body{font-family:sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#222}\
table{border-collapse:collapse;margin:1em 0;font-size:14px}th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}\
th:first-child,td:first-child{text-align:left}thead th{background:#f3f3f3}figure{margin:1.5em 0}\
figcaption{font-size:14px;color:#555}h2{border-bottom:1px solid #ddd;padding-bottom:.2em}";

/// The page for a folder: every section whose files are present.
pub fn render(dir: &Path) -> Result<String, ReportError> {
    let has = |f: &str| dir.join(f).is_file();
    if !has("summary.json") && !has("comparison.json") && !has("sweep.json") && !has("decomposition.json") {
        return Err(ReportError::Empty(dir.to_path_buf()));
    }
    let mut body = String::new();
    if has("summary.json") {
        run_section(dir, &mut body)?;
    }
    if has("comparison.json") {
        compare_section(dir, &mut body)?;
    }
    if has("sweep.json") {
        sweep_section(dir, &mut body)?;
    }
    if has("decomposition.json") {
        decompose_section(dir, &mut body)?;
    }
    let title =
        format!("feedsim report: {}", dir.file_name().map_or(String::new(), |n| n.to_string_lossy().into_owned()));
    Ok(format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><style>{STYLE}</style></head>\
         <body><h1>{}</h1><p>Made by feedsim {} from the files in this folder. Self-contained: no scripts, \
         no network.</p>\n{body}</body></html>\n",
        escape(&title),
        escape(&title),
        env!("CARGO_PKG_VERSION"),
    ))
}

/// Writes `report.html` into `dir` (atomically) and returns its path.
pub fn write_report(dir: &Path) -> anyhow::Result<PathBuf> {
    let html = render(dir)?;
    let path = dir.join("report.html");
    super::write_atomic(&path, html.as_bytes())?;
    Ok(path)
}
