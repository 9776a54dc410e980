//! Scenario files: the TOML schema, its loading, overrides and validation.
//!
//! Config flows one way: TOML text → [`load_file`] or [`load_str`] (serde with
//! `deny_unknown_fields`, spans kept for error messages) → `--set` overrides and variant
//! merges → [`Scenario`], a validated value the engine trusts. The engine never sees TOML
//! or command-line flags.
//!
//! The modules follow that flow: `load` (the pipeline, `extends`), `merge` (untyped
//! tables), `overrides` (`--set`), `schema` (the typed tables, by section), `validate`
//! (the rule tables), and for messages `error`, `locate` (lines, and which key to blame)
//! and `explain` (what would be valid).
//!
//! A scenario has one base and a list of variants. Each variant is a partial copy of the
//! base's tables that is deep-merged over it, so any key can differ between variants
//! while the world (users, creators, content) stays the same.

mod catalogue_file;
mod error;
mod explain;
mod load;
mod locate;
mod merge;
mod neutral;
mod overrides;
mod schema;
mod validate;

pub use error::ScenarioError;
pub use load::{load_file, load_str};
pub use neutral::{control_warnings, engagement_signals};
pub use schema::*;
pub use validate::{MAX_CANDIDATES, MAX_SLATE, MAX_TOPICS};

/// A validated scenario: a name, a seed and one fully resolved [`VariantSpec`] per variant.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Scenario {
    /// Scenario name from the file.
    pub name: String,
    /// Where the scenario came from (a path, or `<string>`), for messages.
    pub source: String,
    /// The master seed: every random draw derives from it.
    pub seed: u64,
    /// The resolved variants, in file order. Each carries the full parameter set.
    pub variants: Vec<VariantSpec>,
}

/// One fully resolved variant: the base scenario with the variant's overrides applied.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct VariantSpec {
    /// Variant name (`base` when the file has no variants).
    pub name: String,
    /// The parameters this variant runs with.
    pub params: Params,
}

impl Scenario {
    /// The world-building parameters. All variants share one world, so the first
    /// variant's world, demographics, topics and creators are the scenario's; validation
    /// refuses variants that change them.
    pub fn world_params(&self) -> &Params {
        &self.variants[0].params
    }

    /// The same scenario with another master seed (for replicates).
    pub fn with_seed(&self, seed: u64) -> Scenario {
        let mut s = self.clone();
        s.seed = seed;
        for v in &mut s.variants {
            v.params.seed = seed;
        }
        s
    }
}

/// For each variant, the parameter keys (dotted, as `--set` spells them) whose values
/// differ from the first variant's, sorted; the first variant's list is empty. Names and
/// descriptions are not parameters. A study of which mechanism makes two feeds differ
/// starts here: every key listed should be a mechanism, not a number chosen per feed.
pub fn differing_keys(s: &Scenario) -> Vec<(String, Vec<String>)> {
    fn flatten(prefix: &str, v: &toml::Value, out: &mut std::collections::BTreeMap<String, toml::Value>) {
        match v {
            toml::Value::Table(t) => {
                for (k, x) in t {
                    let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                    flatten(&key, x, out);
                }
            }
            other => {
                out.insert(prefix.to_string(), other.clone());
            }
        }
    }
    let flat: Vec<_> = s
        .variants
        .iter()
        .map(|v| {
            let mut out = std::collections::BTreeMap::new();
            if let Ok(value) = toml::Value::try_from(&v.params) {
                flatten("", &value, &mut out);
            }
            out.remove("name");
            out.remove("description");
            out
        })
        .collect();
    s.variants
        .iter()
        .zip(&flat)
        .map(|(v, f)| {
            let first = &flat[0];
            let keys = f.keys().chain(first.keys()).filter(|k| f.get(*k) != first.get(*k)).cloned();
            let keys: std::collections::BTreeSet<String> = keys.collect();
            (v.name.clone(), keys.into_iter().collect())
        })
        .collect()
}
