//! The decompose section, from `decomposition.json`: per charted metric, each factorial
//! term's estimate and the all-B − all-A difference as bars, and a table of every metric
//! and term with its share.

use std::fmt::Write as _;
use std::path::Path;

use super::{ReportError, bad, escape, figure, fmt_value, label, read_json, slug};
use crate::io::svg::{self, Interval};
use crate::study::decompose::{DECOMPOSE_METRICS, DecompositionDoc, MetricDoc};

fn fmt_share(share: Option<f64>) -> String {
    share.map_or("–".into(), |s| format!("{:.1} %", 100.0 * s))
}

/// The decompose section: header, one bar chart per charted metric present, the table.
pub(super) fn section(dir: &Path, out: &mut String) -> Result<(), ReportError> {
    let path = dir.join("decomposition.json");
    let d: DecompositionDoc = read_json(&path)?;
    header(&d, out);
    let shown: Vec<&str> = DECOMPOSE_METRICS.iter().copied().filter(|m| d.metrics.contains_key(*m)).collect();
    for metric in &shown {
        effects_figure(metric, &d.metrics[*metric], d.replicates, out).map_err(|e| bad(&path, e))?;
    }
    if shown.is_empty() {
        out.push_str("<p>None of the charted metrics is in this decomposition; the table has every metric.</p>\n");
    }
    terms_table(&d, &shown, out);
    Ok(())
}

/// The heading and what the design, the effects and the shares are.
fn header(d: &DecompositionDoc, out: &mut String) {
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
}

/// `#decompose-<metric>`: each term's estimate and interval, then all B − all A.
fn effects_figure(metric: &str, m: &MetricDoc, replicates: usize, out: &mut String) -> anyhow::Result<()> {
    let id = slug(&format!("decompose-{metric}"));
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
        title: format!("{}: effects of the factors ({} replicates)", label(metric), replicates),
        x_label: format!("effect on {metric}"),
        items,
        highlight_from: terms,
    })?;
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
    Ok(())
}

/// `#decompose-table`: every metric (the charted ones first) and term; closes the section.
fn terms_table(d: &DecompositionDoc, shown: &[&str], out: &mut String) {
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
}
