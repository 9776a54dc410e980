//! A new baseline from a rerun (`check --update`): each metric's scale and tolerance,
//! the informational patterns, and the refusal of checks too coarse for their metric.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use super::{
    BASELINE_FORMAT, Baseline, Expected, FAMILY_ALPHA, OWN_SIZE, Rerun, Scale, Settings, VariantBaseline, percent,
};
use crate::observe::stats::t_quantile;

/// Whether `pattern` (exact, or a glob with `*` and `?`) matches `metric` or
/// `variant/metric`.
pub fn pattern_matches(pattern: &str, variant: &str, metric: &str) -> bool {
    fn glob(p: &[char], s: &[char]) -> bool {
        match (p.first(), s.first()) {
            (None, None) => true,
            (Some('*'), _) => glob(&p[1..], s) || (!s.is_empty() && glob(p, &s[1..])),
            (Some('?'), Some(_)) => glob(&p[1..], &s[1..]),
            (Some(a), Some(b)) if a == b => glob(&p[1..], &s[1..]),
            _ => false,
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    glob(&p, &metric.chars().collect::<Vec<_>>())
        || glob(&p, &format!("{variant}/{metric}").chars().collect::<Vec<_>>())
}

/// An unmatched `--informational` pattern is probably a typo: the patterns that match
/// no metric of the rerun.
pub fn unmatched_patterns<'a>(patterns: &'a [String], r: &Rerun) -> Vec<&'a str> {
    patterns
        .iter()
        .filter(|p| {
            !p.is_empty() && !r.variants.iter().any(|v| v.metrics.keys().any(|k| pattern_matches(p, &v.name, k)))
        })
        .map(String::as_str)
        .collect()
}

/// Builds a baseline from a rerun's replicate values (see the module documentation for
/// the scale and the tolerance); metrics matching `settings.informational` are marked.
pub fn baseline_from(r: &Rerun, settings: Settings) -> Baseline {
    let informational =
        |variant: &str, metric: &str| settings.informational.iter().any(|p| pattern_matches(p, variant, metric));
    let checks = r.variants.iter().flat_map(|v| v.metrics.keys().map(|k| (&v.name, k))).count();
    let failing = r
        .variants
        .iter()
        .flat_map(|v| v.metrics.keys().map(move |k| (&v.name, k)))
        .filter(|(v, k)| !informational(v, k))
        .count();
    let n = settings.replicates;
    let df = n.saturating_sub(1).max(1);
    let t = t_quantile(1.0 - FAMILY_ALPHA / (2.0 * failing.max(1) as f64), df as f64);
    let factor = t * (2.0 / n.max(1) as f64).sqrt();
    let mut scales: BTreeMap<&str, Scale> = BTreeMap::new();
    for k in r.variants.iter().flat_map(|v| v.metrics.keys()) {
        if !scales.contains_key(k.as_str()) {
            let per_variant: Vec<&[f64]> =
                r.variants.iter().filter_map(|v| v.metrics.get(k)).map(Vec::as_slice).collect();
            scales.insert(k, Scale::for_values(&per_variant));
        }
    }
    let variants = r
        .variants
        .iter()
        .map(|v| VariantBaseline {
            name: v.name.clone(),
            metrics: v
                .metrics
                .iter()
                .filter_map(|(k, values)| {
                    Expected::from_values(values, scales[k.as_str()], factor, informational(&v.name, k))
                        .map(|e| (k.clone(), e))
                })
                .collect(),
        })
        .collect();
    let logs = scales.values().filter(|s| **s == Scale::Log1p).count();
    Baseline {
        scenario: r.scenario.clone(),
        feedsim_version: env!("CARGO_PKG_VERSION").to_string(),
        format: BASELINE_FORMAT,
        regenerate: format!("feedsim check --update --scenario {}", r.scenario),
        tolerance_rule: format!(
            "tolerance = t(1 - {FAMILY_ALPHA}/(2*{failing}), {df}) * sd * sqrt(2/{n}) = {factor:.4} * sd, \
             floored at 1e-9 * max(1, |mean|), with mean and sd on the metric's scale (log1p: of log(1 + x) \
             per replicate, for {logs} of {} metric names: non-negative, some value > 1, and whole numbers or \
             sd > mean/2 in some variant): a rerun whose random draws are reshuffled but whose model is \
             unchanged fails with probability <= {FAMILY_ALPHA} over the scenario's {failing} checks that can \
             fail ({} informational); detectable_change = tolerance/|mean| (linear) or e^tolerance - 1 (log1p)",
            scales.len(),
            checks - failing
        ),
        settings,
        variants,
    }
}

/// The message refusing a baseline whose checks cannot detect a change of their own
/// size, with how to go on.
pub fn refusal(b: &Baseline, path: &Path) -> Option<String> {
    let coarse = b.too_coarse();
    if coarse.is_empty() {
        return None;
    }
    let w_s = b.scenario.len().max(8);
    let w_v = coarse.iter().map(|c| c.0.len()).max().unwrap_or(0).max(7);
    let w_m = coarse.iter().map(|c| c.1.len()).max().unwrap_or(0).max(6);
    let mut out = format!(
        "refused to write `{}`: {} of scenario `{}`'s {} checks cannot detect a change of their own size \
         (smallest detectable change above {:.0} %; mean and tolerance on the compared scale):\n\n",
        path.display(),
        coarse.len(),
        b.scenario,
        b.checks().count(),
        100.0 * OWN_SIZE
    );
    let _ = writeln!(
        out,
        "{:<w_s$}  {:<w_v$}  {:<w_m$}  {:<6}  {:>14}  {:>14}  {:>10}",
        "scenario", "variant", "metric", "scale", "mean", "tolerance", "detectable"
    );
    for (v, m, e) in &coarse {
        let _ = writeln!(
            out,
            "{:<w_s$}  {:<w_v$}  {:<w_m$}  {:<6}  {:>14.6}  {:>14.6}  {:>10}",
            b.scenario,
            v,
            m,
            e.scale.name(),
            e.compared_mean(),
            e.tolerance,
            percent(e.relative_detectable_change())
        );
    }
    // A metric refused in every variant that has it by its name, otherwise as
    // `variant/metric`, so that no check that can detect its own size is given up.
    let mut names: Vec<String> = coarse
        .iter()
        .map(|&(v, m, _)| {
            let everywhere = b.checks().filter(|c| c.1 == m).all(|c| coarse.iter().any(|x| x.0 == c.0 && x.1 == m));
            if everywhere { m.to_string() } else { format!("{v}/{m}") }
        })
        .collect();
    names.sort_unstable();
    names.dedup();
    let _ = write!(
        out,
        "\nTo go on, either make the check sharper: more replicates (--replicates {}; the tolerance shrinks as \
         1/√n) or a larger world (--set world.users=N; spread shrinks with size), or mark these metrics \
         informational (rerun and shown, never failing the check), with the same --replicates and --set, \
         e.g.\n  feedsim check --update --scenario {}{}",
        b.settings.replicates * 4,
        b.scenario,
        b.settings.informational.iter().cloned().chain(names).fold(String::new(), |mut s, n| {
            let _ = write!(s, " --informational '{n}'");
            s
        })
    );
    Some(out)
}
