//! Parameter sweeps: a grid over one or more scenario keys, each grid point run as a
//! `compare` (replicates, means with 95 % intervals, paired differences).
//!
//! A parameter is `path.to.key=LIST_OR_RANGE`: a LIST `a,b,c` (any TOML values) or an
//! inclusive RANGE `start:stop:step` of numbers. The grid is the cartesian product of
//! the parameters, the first parameter varying slowest.
//!
//! **Which variants a parameter changes.** A plain key (`feed.follower_weight`) works
//! like `--set`: it is applied after each variant's own block, so it sets the value in
//! *every* variant, overriding what a `[[variants]]` block says. Sweeping
//! `feed.follower_weight` on quickstart therefore gives both feeds the same follower
//! weight at each point, and the paired difference then measures what the other
//! mechanisms still do. A key prefixed with a variant, `variants.NAME.path.to.key`,
//! changes only that variant, as if written in its `[[variants]]` block (where a plain
//! `--set` of the same key still wins).
//!
//! Every grid point uses the same seeds (replicate r runs with seed + r), so grid
//! points share worlds and notes, and differences between points are not blurred by
//! world-to-world spread.
//!
//! Outputs: `sweep.csv`, tidy rows `<one column per parameter>,kind,variant,metric,n,mean,sd,ci_low,ci_high`
//! (kind `variant`, or `difference` with variant `a-b`, as in `comparison.csv`), and
//! `sweep.json` with the same numbers per grid point.

use std::path::Path;

use serde::{Deserialize, Serialize};
use toml::{Table, Value};

use crate::scenario::{self, Scenario, ScenarioError};
use crate::study::compare::Comparison;
use crate::study::compare::{Difference, VariantEstimates};

/// Bad sweep input (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// A `--param` that does not parse.
    #[error("--param {arg}: {message}")]
    Param {
        /// The argument as given.
        arg: String,
        /// What is wrong and what would be valid.
        message: String,
    },
    /// A grid point whose scenario does not load. The message leaves the scenario error
    /// to `source` (printed by the error chain).
    #[error("grid point {point}")]
    Point {
        /// The point's `key=value` list.
        point: String,
        /// The scenario error.
        source: ScenarioError,
    },
}

/// One swept parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParamDoc {
    /// Dotted key, optionally `variants.NAME.` first.
    pub key: String,
    /// Values in grid order, as TOML value text.
    pub values: Vec<String>,
}

/// One grid point's results.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SweepPointDoc {
    /// The parameters' values, in parameter order.
    pub values: Vec<String>,
    /// Per-variant estimates.
    pub variants: Vec<VariantEstimates>,
    /// Paired differences.
    pub differences: Vec<Difference>,
}

/// The `sweep.json` document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SweepDoc {
    /// Scenario name.
    pub scenario: String,
    /// Scenario file as given.
    pub scenario_file: String,
    /// Seed of replicate 0 (every grid point uses seeds seed..seed + replicates).
    pub seed: u64,
    /// Replicates per grid point.
    pub replicates: usize,
    /// feedsim version.
    pub feedsim_version: String,
    /// `--set` overrides applied to every point.
    pub overrides: Vec<String>,
    /// The swept parameters.
    pub params: Vec<ParamDoc>,
    /// Grid points, the first parameter varying slowest.
    pub points: Vec<SweepPointDoc>,
    /// True while points are missing: the sweep was interrupted, and `--resume` goes on.
    #[serde(default)]
    pub partial: bool,
}

/// Parses `key=LIST_OR_RANGE`.
pub fn parse_param(arg: &str) -> Result<ParamDoc, SweepError> {
    let fail = |m: &str| SweepError::Param { arg: arg.to_string(), message: m.to_string() };
    let (key, spec) = arg.split_once('=').ok_or_else(|| {
        fail("expected KEY=LIST or KEY=START:STOP:STEP, for example feed.follower_weight=0.1,0.4,0.8")
    })?;
    let key = key.trim();
    if key.is_empty() || key.split('.').any(str::is_empty) {
        return Err(fail("the key is empty or has an empty part; write it dotted, like feed.slate_size"));
    }
    let spec = spec.trim();
    let values = if spec.contains(':') && !spec.contains(',') {
        range(spec).map_err(|m| fail(&m))?
    } else {
        let vals: Vec<String> = spec.split(',').map(|v| v.trim().to_string()).collect();
        if vals.iter().any(String::is_empty) {
            return Err(fail("a list has an empty value; write values separated by commas, like 1,3,5"));
        }
        vals
    };
    if values.is_empty() {
        return Err(fail("no values"));
    }
    let mut seen = std::collections::HashSet::new();
    if let Some(d) = values.iter().find(|v| !seen.insert(v.as_str())) {
        return Err(fail(&format!("the value {d} appears twice")));
    }
    Ok(ParamDoc { key: key.to_string(), values })
}

/// The values of an inclusive range `start:stop:step`: integers when all three are.
fn range(spec: &str) -> Result<Vec<String>, String> {
    let parts: Vec<&str> = spec.split(':').map(str::trim).collect();
    if parts.len() != 3 {
        return Err("a range is START:STOP:STEP (inclusive), like 0.1:0.9:0.2".into());
    }
    if let (Ok(a), Ok(b), Ok(s)) = (parts[0].parse::<i64>(), parts[1].parse::<i64>(), parts[2].parse::<i64>()) {
        if s <= 0 || b < a {
            return Err("a range needs STEP > 0 and STOP >= START".into());
        }
        let n = (b - a) / s + 1;
        if n > 1000 {
            return Err(format!("{n} values: at most 1000 per parameter"));
        }
        return Ok((0..n).map(|i| (a + i * s).to_string()).collect());
    }
    let num = |p: &str| p.parse::<f64>().map_err(|_| format!("`{p}` is not a number"));
    let (a, b, s) = (num(parts[0])?, num(parts[1])?, num(parts[2])?);
    if s.is_nan() || s <= 0.0 || b < a || !a.is_finite() || !b.is_finite() {
        return Err("a range needs STEP > 0 and STOP >= START".into());
    }
    // Inclusive with a tolerance for float steps; printed with the step's decimals.
    let n = ((b - a) / s + 1e-9).floor() as i64 + 1;
    if n > 1000 {
        return Err(format!("{n} values: at most 1000 per parameter"));
    }
    let decimals = parts.iter().map(|p| p.split_once('.').map_or(0, |(_, d)| d.len())).max().unwrap_or(0);
    Ok((0..n).map(|i| format!("{:.*}", decimals, a + i as f64 * s)).collect())
}

/// The grid: every combination of values, the first parameter varying slowest.
pub fn grid(params: &[ParamDoc]) -> Vec<Vec<String>> {
    params.iter().fold(vec![Vec::new()], |acc, p| {
        acc.iter()
            .flat_map(|prefix| {
                p.values.iter().map(move |v| {
                    let mut row = prefix.clone();
                    row.push(v.clone());
                    row
                })
            })
            .collect()
    })
}

fn toml_value(text: &str) -> Value {
    // As `--set` does: a TOML value if it parses as one, else a string.
    toml::from_str::<Table>(&format!("v = {text}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| Value::String(text.to_string()))
}

/// Loads the scenario for one grid point.
pub fn load_point(
    path: &Path,
    overrides: &[String],
    params: &[ParamDoc],
    values: &[String],
) -> Result<Scenario, SweepError> {
    let shown = params.iter().zip(values).map(|(p, v)| format!("{}={v}", p.key)).collect::<Vec<_>>().join(" ");
    let point_err = |source| SweepError::Point { point: shown.clone(), source };
    let mut plain = Vec::new();
    let mut per_variant: Vec<(String, Vec<String>, Value)> = Vec::new();
    for (p, v) in params.iter().zip(values) {
        match p.key.strip_prefix("variants.") {
            Some(rest) => {
                let (name, key) = rest.split_once('.').ok_or_else(|| SweepError::Param {
                    arg: p.key.clone(),
                    message: "write variants.NAME.path.to.key, like variants.two_column.feed.slate_size".into(),
                })?;
                per_variant.push((name.to_string(), key.split('.').map(str::to_string).collect(), toml_value(v)));
            }
            None => plain.push(format!("{}={v}", p.key)),
        }
    }
    // --set overrides come after the swept plain keys, so an explicit --set wins.
    let all: Vec<String> = plain.into_iter().chain(overrides.iter().cloned()).collect();
    if per_variant.is_empty() {
        return scenario::load_file(path, &all).map_err(point_err);
    }
    let shown_path = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| point_err(ScenarioError::Read { path: shown_path.clone(), source: e }))?;
    let mut doc: Table = toml::from_str(&text).map_err(|e| SweepError::Param {
        arg: shown.clone(),
        message: format!("{shown_path} does not parse as TOML: {e}"),
    })?;
    let variants = match doc.get_mut("variants") {
        Some(Value::Array(items)) => items,
        _ => {
            return Err(SweepError::Param {
                arg: shown.clone(),
                message: format!("{shown_path} has no [[variants]] to change"),
            });
        }
    };
    for (name, key, value) in per_variant {
        let names: Vec<String> =
            variants.iter().filter_map(|v| v.get("name").and_then(Value::as_str).map(str::to_string)).collect();
        let Some(table) = variants
            .iter_mut()
            .filter_map(Value::as_table_mut)
            .find(|t| t.get("name").and_then(Value::as_str) == Some(name.as_str()))
        else {
            return Err(SweepError::Param {
                arg: format!("variants.{name}.{}", key.join(".")),
                message: format!("{shown_path} has no variant `{name}`; its variants are {}", names.join(", ")),
            });
        };
        let mut t = table;
        for k in &key[..key.len() - 1] {
            let entry = t.entry(k.clone()).or_insert_with(|| Value::Table(Table::new()));
            t = match entry {
                Value::Table(inner) => inner,
                _ => {
                    return Err(SweepError::Param {
                        arg: format!("variants.{name}.{}", key.join(".")),
                        message: format!("`{k}` is not a table in variant `{name}`"),
                    });
                }
            };
        }
        t.insert(key[key.len() - 1].clone(), value);
    }
    let text = toml::to_string(&doc).map_err(|e| SweepError::Param { arg: shown.clone(), message: e.to_string() })?;
    scenario::load_str(&text, &shown_path, &all).map_err(point_err)
}

/// Turns a comparison into a grid point's document.
pub fn point_doc(values: Vec<String>, cmp: &Comparison) -> SweepPointDoc {
    SweepPointDoc { values, variants: cmp.variants.clone(), differences: cmp.differences.clone() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_ranges() {
        assert_eq!(parse_param("feed.slate_size=1,3,5").unwrap().values, ["1", "3", "5"]);
        assert_eq!(parse_param("feed.slate_size=1:7:2").unwrap().values, ["1", "3", "5", "7"]);
        assert_eq!(parse_param("feed.follower_weight=0.1:0.8:0.35").unwrap().values, ["0.10", "0.45", "0.80"]);
        assert_eq!(
            parse_param("feed.follower_weight=0.1:0.5:0.1").unwrap().values,
            ["0.1", "0.2", "0.3", "0.4", "0.5"]
        );
        assert_eq!(parse_param("feed.layout=two_column").unwrap().values, ["two_column"]);
        for bad in ["feed.x", "=1,2", "feed..x=1", "a=1:2", "a=3:1:1", "a=0:1:0", "a=1,,2", "a=1,1", "a=x:y:z"] {
            assert!(parse_param(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn grid_is_a_product_first_slowest() {
        let p = [parse_param("a=1,2").unwrap(), parse_param("b=x,y,z").unwrap()];
        let g = grid(&p);
        assert_eq!(g.len(), 6);
        assert_eq!(g[0], ["1", "x"]);
        assert_eq!(g[1], ["1", "y"]);
        assert_eq!(g[5], ["2", "z"]);
    }
}
