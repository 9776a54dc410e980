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
//!
//! One module per section (`run`, `compare`, `sweep`, `decompose`); this one
//! holds the page around them and the helpers they share. Metric labels come from
//! [`crate::observe::registry`], escaping from [`super::markup`].

mod calibrate;
mod compare;
mod decompose;
mod run;
mod sweep;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::markup::escape;
use crate::study::compare::Estimate;

pub use crate::observe::registry::{HEADLINE, label};
pub use compare::ComparisonDoc;
pub use sweep::SWEEP_METRICS;

/// Why a report could not be made from a folder (bad input: exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The folder holds none of the files a report reads.
    #[error(
        "`{0}` holds no summary.json, comparison.json, sweep.json, decomposition.json or \
         calibration.json: give a folder written by `feedsim run`, `compare`, `sweep`, `decompose` or \
         `calibrate`"
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

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, ReportError> {
    let bytes = std::fs::read(path).map_err(|e| bad(path, e))?;
    serde_json::from_slice(&bytes).map_err(|e| bad(path, format!("not the expected JSON: {e}")))
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

/// An id usable in HTML and CSS: anything but ASCII letters, digits, `-` and `_` becomes `-`.
fn slug(id: &str) -> String {
    id.replace(|c: char| !c.is_ascii_alphanumeric() && c != '-' && c != '_', "-")
}

const STYLE: &str = "body{font-family:sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#222}\
table{border-collapse:collapse;margin:1em 0;font-size:14px}th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}\
th:first-child,td:first-child{text-align:left}thead th{background:#f3f3f3}figure{margin:1.5em 0}\
figcaption{font-size:14px;color:#555}h2{border-bottom:1px solid #ddd;padding-bottom:.2em}";

/// The page for a folder: every section whose files are present.
pub fn render(dir: &Path) -> Result<String, ReportError> {
    let has = |f: &str| dir.join(f).is_file();
    if !has("summary.json")
        && !has("comparison.json")
        && !has("sweep.json")
        && !has("decomposition.json")
        && !has("calibration.json")
    {
        return Err(ReportError::Empty(dir.to_path_buf()));
    }
    let mut body = String::new();
    if has("summary.json") {
        run::section(dir, &mut body)?;
    }
    if has("comparison.json") {
        compare::section(dir, &mut body)?;
    }
    if has("sweep.json") {
        sweep::section(dir, &mut body)?;
    }
    if has("decomposition.json") {
        decompose::section(dir, &mut body)?;
    }
    if has("calibration.json") {
        calibrate::section(dir, &mut body)?;
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
    crate::io::write_atomic(&path, html.as_bytes())?;
    Ok(path)
}
