//! Decomposing a difference: a full factorial over two-level factors, run as one
//! paired compare, with main effects and interactions per metric and each term's share
//! of the difference between the all-B and the all-A cell.
//!
//! A factor is a scenario key (anything `--set` accepts) with two levels, `KEY=A,B`.
//! Each of the 2^k cells is the base variant (the scenario's first, or `--variant NAME`)
//! with one level of every factor applied after the variant's block, like `--set`. The
//! cells become the variants of one scenario, run through [`crate::study::compare`]: replicate
//! r runs every cell on the same world and notes with seed `seed + r` (common random
//! numbers), so the effects are paired by replicate.
//!
//! **The model.** With effect coding `x_j = −1/2` at level A and `+1/2` at level B, each
//! replicate's values of a metric over the cells are fitted exactly by the saturated model
//! `Y = μ + Σ_S β_S · Π_{j∈S} x_j` over the non-empty subsets S of factors. With the
//! contrast signs `z_S(c) = Π_{j∈S} s_j(c)`, `s_j = ±1`, the columns are orthogonal, so
//! `β_S = 2^{|S|−k} · Σ_c z_S(c) · Y_c` (the Yates computation). `β_{j}` is factor j's
//! main effect, the mean of Y at B minus the mean at A over the other factors' levels;
//! `β_{jk}` is the two-way interaction (the difference of j's effect at k = B and at
//! k = A), and so on. Each term is averaged over replicates with a 95 % Student-t
//! interval.
//!
//! **Shares.** The difference `D = Y(all B) − Y(all A)` is exactly
//! `Σ_S β_S · c_S` with `c_S = Π_{j∈S}(+1/2) − Π_{j∈S}(−1/2)`, which is `2^{1−|S|}` for
//! odd |S| and 0 for even |S| (a two-way interaction adds the same amount to both
//! corners). A term's contribution is `mean_r(β_S · c_S)` and its share is that divided
//! by `mean_r(D)`: shares sum to 1, and one can be negative (a term pulling against the
//! difference) or exceed 1. When the mean difference is about zero (|mean D| at most
//! 1e-9 × the mean of |Y(all A)| and |Y(all B)|, or exactly 0) the shares are null.
//!
//! Outputs: `decomposition.json` and `decomposition.csv`
//! (`metric,term,estimate,ci_low,ci_high,contribution,share`), plus compare's
//! `replicates/` folder, so `--resume` goes on with an interrupted run.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use toml::{Table, Value};

use crate::observe::registry::key;
use crate::observe::stats::mean_interval;
use crate::scenario::{self, Scenario, ScenarioError};
use crate::study::compare::Replicate;

/// Most factors (2^6 = 64 cells).
pub const MAX_FACTORS: usize = 6;

/// Metrics the report charts and the command prints, when present.
pub const DECOMPOSE_METRICS: [&str; 6] = [
    key::GINI,
    key::TOP1PCT_SHARE,
    key::FOLLOWER_ELASTICITY,
    key::INTEREST_LEARNED,
    "tier_share.waist_10k_100k",
    "conversions",
];

/// One factor: a scenario key with two levels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FactorDoc {
    /// Dotted key, as `--set` takes it.
    pub key: String,
    /// Level A (coded −1/2) and level B (+1/2), as given.
    pub levels: Vec<String>,
}

/// One cell of the design.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellDoc {
    /// Variant name: `key=level` per factor, comma-separated.
    pub name: String,
    /// The level of each factor, in factor order.
    pub levels: Vec<String>,
}

/// A term's estimate over replicates and its part in the all-B − all-A difference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TermDoc {
    /// `a` for a main effect, `a:b` for a two-way interaction, `a:b:c` for three.
    pub term: String,
    /// Its factors' keys.
    pub factors: Vec<String>,
    /// Mean of β_S over replicates.
    pub estimate: f64,
    /// Sample standard deviation of β_S over replicates.
    pub sd: f64,
    /// Lower end of the 95 % interval (Student t).
    pub ci_low: f64,
    /// Upper end of the 95 % interval.
    pub ci_high: f64,
    /// `c_S`: how much of β_S the all-B − all-A difference holds (2^{1−|S|} or 0).
    pub coefficient: f64,
    /// `estimate × coefficient`.
    pub contribution: f64,
    /// `contribution / difference.estimate`; null when the difference is about zero.
    pub share: Option<f64>,
}

/// The all-B − all-A difference of a metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DifferenceDoc {
    /// Replicates.
    pub n: usize,
    /// Mean over replicates of Y(all B) − Y(all A).
    pub estimate: f64,
    /// Sample standard deviation.
    pub sd: f64,
    /// Lower end of the 95 % interval.
    pub ci_low: f64,
    /// Upper end of the 95 % interval.
    pub ci_high: f64,
    /// Mean of Y in the all-A cell.
    pub all_a: f64,
    /// Mean of Y in the all-B cell.
    pub all_b: f64,
}

/// One metric's decomposition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricDoc {
    /// Y(all B) − Y(all A).
    pub difference: DifferenceDoc,
    /// Every term, main effects first, then two-way interactions, …
    pub terms: Vec<TermDoc>,
}

/// The `decomposition.json` document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecompositionDoc {
    /// Scenario name.
    pub scenario: String,
    /// Scenario file as given.
    pub scenario_file: String,
    /// Seed of replicate 0; replicate r used seed + r for every cell.
    pub seed: u64,
    /// Replicates per cell.
    pub replicates: usize,
    /// feedsim version.
    pub feedsim_version: String,
    /// The variant the cells start from.
    pub base_variant: String,
    /// `--set` overrides applied before the factors.
    pub overrides: Vec<String>,
    /// The factors.
    pub factors: Vec<FactorDoc>,
    /// The 2^k cells, the first factor varying slowest (cell 0 all A, the last all B).
    pub cells: Vec<CellDoc>,
    /// Term names, in the order of every metric's `terms`.
    pub terms: Vec<String>,
    /// Metric → decomposition (metrics every cell has in every replicate).
    pub metrics: BTreeMap<String, MetricDoc>,
}

/// The columns of `decomposition.csv`.
pub const CSV_COLUMNS: [&str; 7] = ["metric", "term", "estimate", "ci_low", "ci_high", "contribution", "share"];

/// The terms of a k-factor design as factor-index lists: main effects, then two-way
/// interactions, …, each order in lexicographic order.
pub fn terms(k: usize) -> Vec<Vec<usize>> {
    let mut out: Vec<Vec<usize>> =
        (1u32..1 << k).map(|mask| (0..k).filter(|j| mask & (1 << j) != 0).collect()).collect();
    out.sort_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
    out
}

/// Whether factor `j` is at level B in cell `c` of a k-factor design (the first factor
/// varies slowest).
pub fn at_b(c: usize, j: usize, k: usize) -> bool {
    (c >> (k - 1 - j)) & 1 == 1
}

/// The effect-coded coefficients β_S, in [`terms`] order, of the saturated model fitted
/// to one value per cell (`y.len() == 2^k`): `β_S = 2^{|S|−k} Σ_c z_S(c) y_c`.
pub fn effects(y: &[f64], k: usize) -> Vec<f64> {
    assert_eq!(y.len(), 1 << k, "one value per cell");
    terms(k)
        .iter()
        .map(|s| {
            let sum: f64 = y
                .iter()
                .enumerate()
                .map(|(c, v)| if s.iter().filter(|&&j| !at_b(c, j, k)).count() % 2 == 0 { *v } else { -v })
                .sum();
            sum * 2f64.powi(s.len() as i32 - k as i32)
        })
        .collect()
}

/// `c_S = Π_{j∈S}(+1/2) − Π_{j∈S}(−1/2)` for a term of `order` factors: `2^{1−order}`
/// when the order is odd, 0 when it is even.
pub fn difference_coefficient(order: usize) -> f64 {
    0.5f64.powi(order as i32) - (-0.5f64).powi(order as i32)
}

/// Parses `KEY=A,B`: exactly two levels (commas inside brackets, braces or quotes do not
/// separate levels).
pub fn parse_factor(arg: &str) -> Result<FactorDoc, String> {
    let fail = |m: String| format!("--factor {arg}: {m}");
    let (key, spec) = arg
        .split_once('=')
        .ok_or_else(|| fail("expected KEY=A,B (two levels), for example feed.follower_weight=0.1,0.8".into()))?;
    let key = key.trim();
    if key.is_empty() || key.split('.').any(str::is_empty) {
        return Err(fail("the key is empty or has an empty part; write it dotted, like feed.follower_weight".into()));
    }
    let levels = split_levels(spec.trim());
    if levels.len() != 2 || levels.iter().any(String::is_empty) {
        let given = levels.iter().filter(|l| !l.is_empty()).count();
        return Err(fail(format!(
            "{given} level{} given: a factor has exactly two levels A,B (A is coded −1/2, B +1/2), \
             for example {key}=0.1,0.8",
            if given == 1 { "" } else { "s" }
        )));
    }
    if toml_value(&levels[0]) == toml_value(&levels[1]) {
        return Err(fail(format!("the two levels are the same value ({}): give two different ones", levels[0])));
    }
    Ok(FactorDoc { key: key.to_string(), levels })
}

/// Splits on commas outside brackets, braces and quotes; trims each part.
fn split_levels(spec: &str) -> Vec<String> {
    let (mut out, mut cur, mut depth, mut quote) = (Vec::new(), String::new(), 0i32, None::<char>);
    for ch in spec.chars() {
        match (quote, ch) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(ch),
            (None, '[' | '{') => depth += 1,
            (None, ']' | '}') => depth -= 1,
            (None, ',') if depth <= 0 => {
                out.push(cur.trim().to_string());
                cur.clear();
                continue;
            }
            _ => {}
        }
        cur.push(ch);
    }
    out.push(cur.trim().to_string());
    out
}

/// A value as `--set` reads it: TOML if it parses as such, else a bare string.
fn toml_value(text: &str) -> Value {
    toml::from_str::<Table>(&format!("v = {text}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| Value::String(text.to_string()))
}

/// The cells of the design, the first factor varying slowest.
pub fn cells(factors: &[FactorDoc]) -> Vec<CellDoc> {
    let k = factors.len();
    (0..1usize << k)
        .map(|c| {
            let levels: Vec<String> =
                factors.iter().enumerate().map(|(j, f)| f.levels[usize::from(at_b(c, j, k))].clone()).collect();
            let name = factors.iter().zip(&levels).map(|(f, l)| format!("{}={l}", f.key)).collect::<Vec<_>>().join(",");
            CellDoc { name, levels }
        })
        .collect()
}

/// Bad decompose input (exit code 2), as text.
pub fn usage(message: String) -> anyhow::Error {
    crate::error::UsageError(message).into()
}

/// The scenario whose variants are the cells: `base` (a resolved variant) with each
/// cell's levels applied. Every level is first tried alone, as `--set` would apply it,
/// so an unknown key or a value that does not parse gets `--set`'s message; then every
/// cell is validated, and a cell that does not is named with the validator's message.
pub fn cell_scenario(
    base: &scenario::Params,
    source: &str,
    factors: &[FactorDoc],
    cells: &[CellDoc],
) -> anyhow::Result<Scenario> {
    let base_table = Table::try_from(base).map_err(|e| anyhow::anyhow!("cannot write the base variant: {e}"))?;
    let base_text = toml::to_string(&base_table)?;
    for f in factors {
        for level in &f.levels {
            if let Err(ScenarioError::Override { message, .. }) =
                scenario::load_str(&base_text, source, &[format!("{}={level}", f.key)])
            {
                return Err(usage(format!("--factor {}={}: {message}", f.key, f.levels.join(","))));
            }
        }
    }
    let mut doc = base_table;
    let variants = cells
        .iter()
        .map(|cell| {
            let mut t = Table::new();
            t.insert("name".into(), Value::String(cell.name.clone()));
            for (f, level) in factors.iter().zip(&cell.levels) {
                let path: Vec<&str> = f.key.split('.').collect();
                let mut at = &mut t;
                for p in &path[..path.len() - 1] {
                    let entry = at.entry(p.to_string()).or_insert_with(|| Value::Table(Table::new()));
                    at = match entry {
                        Value::Table(inner) => inner,
                        // Another factor set this key's parent to a value.
                        _ => {
                            return Err(usage(format!(
                                "--factor {}: `{p}` is set by another factor; factors must name \
                                 different keys, none inside another",
                                f.key
                            )));
                        }
                    };
                }
                at.insert(path[path.len() - 1].to_string(), toml_value(level));
            }
            Ok(Value::Table(t))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    doc.insert("variants".into(), Value::Array(variants));
    let text = toml::to_string(&doc)?;
    scenario::load_str(&text, source, &[]).map_err(|e| match e {
        // Lines would point into the generated text, not the file: leave them out.
        ScenarioError::Invalid { path, key, message, .. } => usage(format!(
            "{path}: a cell of the design does not validate: `{key}` {}",
            message.replacen("in variant `", "in cell `", 1)
        )),
        other => usage(format!("a cell of the design does not validate: {}", crate::error::error_chain(&other))),
    })
}

/// The decomposition of every metric that each cell has in every replicate.
/// `runs[r].metrics[c]` is cell c's metrics in replicate r.
/// `names` are the terms' names in [`terms`] order (see [`term_names`]).
pub fn decompose(k: usize, names: &[String], runs: &[Replicate]) -> BTreeMap<String, MetricDoc> {
    let cells = 1usize << k;
    let keys: std::collections::BTreeSet<&String> =
        runs.iter().flat_map(|r| r.metrics.iter().flat_map(|m| m.keys())).collect();
    let mut out = BTreeMap::new();
    'metric: for key in keys {
        let mut ys: Vec<Vec<f64>> = Vec::with_capacity(runs.len());
        for r in runs {
            if r.metrics.len() != cells {
                continue 'metric;
            }
            let Some(y) = r.metrics.iter().map(|m| m.get(key).copied()).collect::<Option<Vec<f64>>>() else {
                continue 'metric;
            };
            ys.push(y);
        }
        if let Some(doc) = decompose_metric(k, &ys, names) {
            out.insert(key.clone(), doc);
        }
    }
    out
}

/// One metric's decomposition from `ys[replicate][cell]`; `None` when a value is not
/// finite or there are no replicates.
pub fn decompose_metric(k: usize, ys: &[Vec<f64>], names: &[String]) -> Option<MetricDoc> {
    let term_list = terms(k);
    let last = (1usize << k) - 1;
    let betas: Vec<Vec<f64>> = ys.iter().map(|y| effects(y, k)).collect();
    let d: Vec<f64> = ys.iter().map(|y| y[last] - y[0]).collect();
    let di = mean_interval(&d)?;
    let mean_of = |c: usize| ys.iter().map(|y| y[c]).sum::<f64>() / ys.len() as f64;
    let (all_a, all_b) = (mean_of(0), mean_of(last));
    let scale = (all_a.abs() + all_b.abs()) / 2.0;
    let known = di.mean != 0.0 && di.mean.abs() > 1e-9 * scale;
    let mut terms_out = Vec::with_capacity(term_list.len());
    for (t, s) in term_list.iter().enumerate() {
        let series: Vec<f64> = betas.iter().map(|b| b[t]).collect();
        let e = mean_interval(&series)?;
        let coefficient = difference_coefficient(s.len());
        let contribution = if coefficient == 0.0 {
            0.0
        } else {
            series.iter().map(|b| b * coefficient).sum::<f64>() / series.len() as f64
        };
        terms_out.push(TermDoc {
            term: names[t].clone(),
            factors: names[t].split(':').map(str::to_string).collect(),
            estimate: e.mean,
            sd: e.sd,
            ci_low: e.low,
            ci_high: e.high,
            coefficient,
            contribution,
            // A term that adds nothing to the difference has a share of 0, not −0.
            share: known
                .then(|| if contribution == 0.0 { 0.0 } else { contribution / di.mean })
                .filter(|x| x.is_finite()),
        });
    }
    Some(MetricDoc {
        difference: DifferenceDoc {
            n: di.n,
            estimate: di.mean,
            sd: di.sd,
            ci_low: di.low,
            ci_high: di.high,
            all_a,
            all_b,
        },
        terms: terms_out,
    })
}

/// Term names of these factors, in [`terms`] order: the factors' keys joined by `:`.
pub fn term_names(factors: &[FactorDoc]) -> Vec<String> {
    terms(factors.len())
        .iter()
        .map(|s| s.iter().map(|&j| factors[j].key.as_str()).collect::<Vec<_>>().join(":"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Y per cell from a grand mean and coefficients (in [`terms`] order).
    fn synthetic(k: usize, mu: f64, beta: &[f64]) -> Vec<f64> {
        let list = terms(k);
        (0..1usize << k)
            .map(|c| {
                mu + list
                    .iter()
                    .zip(beta)
                    .map(|(s, b)| b * s.iter().map(|&j| if at_b(c, j, k) { 0.5 } else { -0.5 }).product::<f64>())
                    .sum::<f64>()
            })
            .collect()
    }

    #[test]
    fn terms_are_ordered_by_order_then_factors() {
        assert_eq!(terms(1), vec![vec![0]]);
        assert_eq!(terms(2), vec![vec![0], vec![1], vec![0, 1]]);
        assert_eq!(terms(3), vec![vec![0], vec![1], vec![2], vec![0, 1], vec![0, 2], vec![1, 2], vec![0, 1, 2]]);
        assert_eq!(terms(6).len(), 63);
    }

    #[test]
    fn cell_zero_is_all_a_and_the_last_all_b_first_factor_slowest() {
        assert!(!at_b(0, 0, 3) && !at_b(0, 2, 3));
        assert!(at_b(7, 0, 3) && at_b(7, 2, 3));
        assert!(at_b(4, 0, 3) && !at_b(4, 1, 3) && !at_b(4, 2, 3));
        assert!(at_b(1, 2, 3) && !at_b(1, 0, 3));
    }

    #[test]
    fn one_factor_effect_is_b_minus_a() {
        assert_eq!(effects(&[2.0, 5.0], 1), vec![3.0]);
        let y = synthetic(1, 1.0, &[-0.7]);
        assert!((effects(&y, 1)[0] + 0.7).abs() < 1e-15);
    }

    #[test]
    fn two_factors_main_effects_are_averaged_and_the_interaction_a_difference_of_differences() {
        // cells: AA, AB, BA, BB (first factor slowest).
        let y = [1.0, 3.0, 2.0, 10.0];
        let b = effects(&y, 2);
        assert_eq!(b[0], ((2.0 + 10.0) - (1.0 + 3.0)) / 2.0);
        assert_eq!(b[1], ((3.0 + 10.0) - (1.0 + 2.0)) / 2.0);
        assert_eq!(b[2], (10.0 - 2.0) - (3.0 - 1.0));
    }

    #[test]
    fn known_coefficients_are_recovered_for_one_to_six_factors() {
        for k in 1..=6 {
            let n = (1 << k) - 1;
            let beta: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37 - 1.1).sin() * 3.0).collect();
            let y = synthetic(k, 4.2, &beta);
            let got = effects(&y, k);
            for (g, b) in got.iter().zip(&beta) {
                assert!((g - b).abs() < 1e-12, "k = {k}: {g} vs {b}");
            }
            // The all-B − all-A difference is the sum of contributions.
            let d = y[n] - y[0];
            let sum: f64 = terms(k).iter().zip(&got).map(|(s, b)| b * difference_coefficient(s.len())).sum();
            assert!((d - sum).abs() < 1e-12, "k = {k}: {d} vs {sum}");
        }
    }

    #[test]
    fn difference_coefficients() {
        assert_eq!(difference_coefficient(1), 1.0);
        assert_eq!(difference_coefficient(2), 0.0);
        assert_eq!(difference_coefficient(3), 0.25);
        assert_eq!(difference_coefficient(4), 0.0);
        assert_eq!(difference_coefficient(5), 1.0 / 16.0);
    }

    #[test]
    fn shares_sum_to_one_and_are_null_without_a_difference() {
        let names = vec!["a".to_string(), "b".into(), "a:b".into()];
        let ys = vec![vec![1.0, 2.0, 4.0, 5.5], vec![1.2, 2.1, 4.4, 5.0], vec![0.9, 2.3, 3.8, 6.1]];
        let m = decompose_metric(2, &ys, &names).unwrap();
        let total: f64 = m.terms.iter().map(|t| t.share.unwrap()).sum();
        assert!((total - 1.0).abs() < 1e-12);
        let contributions: f64 = m.terms.iter().map(|t| t.contribution).sum();
        assert!((contributions - m.difference.estimate).abs() < 1e-12);
        assert_eq!(m.terms[2].contribution, 0.0);
        assert!(m.terms.iter().all(|t| t.ci_low <= t.estimate && t.estimate <= t.ci_high));
        // Effects that cancel between the corners: no share.
        let flat = vec![vec![1.0, 2.0, 0.0, 1.0], vec![1.0, 2.5, 0.5, 1.0]];
        let m = decompose_metric(2, &flat, &names).unwrap();
        assert_eq!(m.difference.estimate, 0.0);
        assert!(m.terms.iter().all(|t| t.share.is_none()));
    }

    #[test]
    fn factors_need_exactly_two_distinct_levels() {
        let f = parse_factor("feed.follower_weight=0.1,0.8").unwrap();
        assert_eq!(f.key, "feed.follower_weight");
        assert_eq!(f.levels, ["0.1", "0.8"]);
        assert_eq!(parse_factor("feed.stage_boost=[1,2],[3,4]").unwrap().levels, ["[1,2]", "[3,4]"]);
        for bad in ["feed.x=1", "feed.x=1,2,3", "feed.x", "=1,2", "feed..x=1,2", "feed.x=1,", "feed.x=0.1,0.10"] {
            assert!(parse_factor(bad).is_err(), "{bad} should be refused");
        }
        assert!(parse_factor("feed.x=1,2,3").unwrap_err().contains("exactly two levels"));
    }

    #[test]
    fn cells_are_named_by_their_levels() {
        let fs = [parse_factor("a.x=1,2").unwrap(), parse_factor("b.y=p,q").unwrap()];
        let c = cells(&fs);
        assert_eq!(c.len(), 4);
        assert_eq!(c[0].name, "a.x=1,b.y=p");
        assert_eq!(c[1].name, "a.x=1,b.y=q");
        assert_eq!(c[3].levels, ["2", "q"]);
        assert_eq!(term_names(&fs), ["a.x", "b.y", "a.x:b.y"]);
    }
}
