//! The report's calibration section: the fit table and each parameter's uncertainty.

use std::fmt::Write as _;
use std::path::Path;

use super::ReportError;
use crate::io::markup::escape;
use crate::study::calibrate::CalibrationDoc;

/// The report section of a calibration folder: the fit table and each parameter's
/// uncertainty.
pub fn section(dir: &Path, out: &mut String) -> Result<(), ReportError> {
    let path = dir.join("calibration.json");
    let bad = |m: String| ReportError::Bad { path: path.clone(), message: m };
    let bytes = std::fs::read(&path).map_err(|e| bad(e.to_string()))?;
    let doc: CalibrationDoc = serde_json::from_slice(&bytes).map_err(|e| bad(format!("not the expected JSON: {e}")))?;
    let _ = writeln!(
        out,
        "<section id=\"calibrate\"><h2>Calibration: {}</h2><p>{} of {} evaluations{}, each {} replicates on the \
         same seeds ({} + r) at every point. Method: {}. Distance: the weighted sum of squared deviations from \
         the targets in units of the simulation's replicate noise (about χ² with one degree of freedom per \
         target at the true values).</p>",
        escape(&doc.scenario),
        doc.history.len(),
        doc.budget,
        if doc.partial { " (interrupted: partial)" } else { "" },
        doc.replicates,
        doc.seed,
        escape(&doc.method)
    );
    out.push_str(
        "<table id=\"calibrate-fit\"><thead><tr><th>variant</th><th>metric</th><th>target</th>\
         <th>simulated at best [95 % CI]</th><th>z</th><th>source</th></tr></thead><tbody>\n",
    );
    for f in &doc.fit {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:+.2}</td><td style=\"text-align:left\">{}</td></tr>",
            escape(&f.variant),
            escape(&f.metric),
            f.target,
            escape(&format!("{:.5} [{:.5}, {:.5}]", f.mean, f.ci_low, f.ci_high)),
            f.z,
            escape(&f.source)
        );
    }
    out.push_str("</tbody></table>\n");
    if let Some(u) = &doc.uncertainty {
        let _ = writeln!(
            out,
            "<p>Uncertainty: {} ({:.1} effective points; ABC bandwidth {:.2} noise units{}).</p>",
            escape(&u.kind),
            u.effective_points,
            u.bandwidth,
            if u.bandwidth > 1.0 {
                ": widened because the budget left too few points near the fit, so the intervals are wider than the targets alone imply"
            } else {
                ""
            }
        );
        out.push_str(
            "<table id=\"calibrate-params\"><thead><tr><th>key</th><th>range</th><th>best</th>\
             <th>posterior median [95 % interval]</th><th>share of range</th><th>identified</th></tr></thead><tbody>\n",
        );
        for p in &doc.params {
            let q = &u.params[&p.key];
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{} – {}</td><td>{}</td><td>{}</td><td>{:.0} %</td><td>{}</td></tr>",
                escape(&p.key),
                p.lo,
                p.hi,
                doc.best.get(&p.key).map_or("–".into(), |b| format!("{b:.4}")),
                escape(&format!("{:.4} [{:.4}, {:.4}]", q.median, q.low, q.high)),
                100.0 * q.range_share,
                if q.identified { "yes" } else { "<strong>no</strong>: the targets do not pin it down" }
            );
        }
        out.push_str("</tbody></table>\n");
    }
    out.push_str("</section>\n");
    Ok(())
}
