//! Reading a scenario: TOML text → base table → `--set` overrides → per-variant merge →
//! typed [`Params`] → validation.
//!
//! Errors name the file, the key, and the line and column where the file gives them, and
//! say what would be valid. Overrides from `--set` apply after each variant's merge, so a
//! `--set` changes every variant alike (the natural way to switch a mechanism off).
//!
//! Variants and overrides are merged as untyped tables, which loses TOML's positions.
//! When a merged table does not deserialise, each key of the variant is tried alone on
//! the base to find the culprit, and its line is looked up in the text.

use std::path::Path;

use serde::Deserialize;
use toml::{Table, Value};

use super::catalogue_file::inline_catalogue_file;
use super::error::{ScenarioError, explain_io};
use super::locate::Locator;
use super::merge::deep_merge;
use super::overrides::{a_type, check_overrides, parse_override, set_path};
use super::schema::{
    CampaignSpec, CreatorGroup, CrowdSpec, Demographics, EngagementWeights, FollowFeedSpec, JourneySpec, KindTable,
    MetricsSpec, Params, ResponseModel, SearchSpec, SharingSpec, TopicSpec, TrendSpec,
};
use super::validate;
use super::{Scenario, VariantSpec};

/// Reads and validates a scenario file, applying `--set key=value` overrides.
pub fn load_file(path: &Path, overrides: &[String]) -> Result<Scenario, ScenarioError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| ScenarioError::Read { path: shown.clone(), source: explain_io(path, e) })?;
    load_str(&text, &shown, overrides)
}

/// Parses and validates scenario text; `source` names it in messages.
pub fn load_str(text: &str, source: &str, overrides: &[String]) -> Result<Scenario, ScenarioError> {
    let empty = || ScenarioError::Empty { path: source.to_string() };
    if text.trim().is_empty() {
        return Err(empty());
    }
    let locator = Locator { text, source };
    // First pass straight from the text: serde errors then carry spans, so unknown keys
    // and wrong types in the base get a line and column.
    let mut doc: Table = toml::from_str(text).map_err(|e| locator.syntax(&e))?;
    if doc.is_empty() {
        return Err(empty());
    }
    inline_catalogue_file(&mut doc, &locator)?;
    let extended = doc.contains_key("extends");
    if extended {
        check_appended(&locator)?;
        doc = resolve_extends(doc, source, 0)?;
    }
    let variants = variant_tables(&mut doc, &locator)?;
    if !extended {
        check_base(&locator)?;
    }
    fill_defaults(&mut doc);
    let has_variants = variants.len() > 1 || !variants[0].is_empty();
    let overrides = overrides.iter().map(|a| parse_override(a, source)).collect::<Result<Vec<_>, _>>()?;
    check_overrides(&doc, &overrides, source)?;

    let mut specs = Vec::with_capacity(variants.len());
    for (i, mut variant) in variants.into_iter().enumerate() {
        let name = variant_name(&mut variant, i, has_variants, &specs, &locator)?;
        let mut merged = doc.clone();
        deep_merge(&mut merged, variant.clone());
        for o in &overrides {
            set_path(&mut merged, &o.path, o.value.clone(), source).map_err(|m| o.error(m))?;
        }
        let mut params = Params::deserialize(Value::Table(merged))
            .map_err(|e| locator.blame_variant(&doc, i, &name, &variant, &e))?;
        super::neutral::apply_neutral(&mut params);
        specs.push(VariantSpec { name, params });
    }
    let scenario = Scenario {
        name: specs[0].params.name.clone(),
        source: source.to_string(),
        seed: specs[0].params.seed,
        variants: specs,
    };
    validate::validate(&scenario).map_err(|v| locator.blame_violation(v, &scenario, &overrides))?;
    Ok(scenario)
}

/// The variant tables of a file (one empty table when it has none), `variants` removed
/// from the document.
fn variant_tables(doc: &mut Table, locator: &Locator) -> Result<Vec<Table>, ScenarioError> {
    match doc.remove("variants") {
        None => Ok(vec![Table::new()]),
        Some(Value::Array(items)) if !items.is_empty() => items
            .into_iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::Table(t) => Ok(t),
                _ => Err(locator.invalid(&format!("variants[{i}]"), "must be a table ([[variants]] with a `name`)")),
            })
            .collect(),
        Some(_) => Err(locator.invalid("variants", "must be a non-empty array of tables ([[variants]] with a `name`)")),
    }
}

/// The name of variant `i` (removed from its table), `base` for a file without variants;
/// names must be unique among the variants before it.
fn variant_name(
    variant: &mut Table,
    i: usize,
    has_variants: bool,
    specs: &[VariantSpec],
    locator: &Locator,
) -> Result<String, ScenarioError> {
    let name = match variant.remove("name") {
        Some(Value::String(s)) if !s.is_empty() => s,
        None if !has_variants => "base".into(),
        Some(Value::String(_)) => {
            return Err(locator.invalid(&format!("variants[{i}].name"), "is empty: give the variant a name"));
        }
        Some(other) => {
            return Err(locator.invalid(
                &format!("variants[{i}].name"),
                &format!(
                    "is {}: a variant's name must be a string, for example name = \"single_column\"",
                    a_type(&other)
                ),
            ));
        }
        None => {
            return Err(locator.invalid(
                &format!("variants[{i}].name"),
                "is missing: every [[variants]] block needs a `name`, for example name = \"single_column\"",
            ));
        }
    };
    if let Some(j) = specs.iter().position(|s: &VariantSpec| s.name == name) {
        return Err(locator.invalid(
            &format!("variants[{i}].name"),
            &format!("= \"{name}\" is already the name of variants[{j}]: variant names must be unique"),
        ));
    }
    Ok(name)
}

/// `extends = "other.toml"` (relative to the file) starts from another scenario: its
/// tables are deep-merged under this file's, any array this file gives (topics,
/// creators, variants, campaigns) replaces the other's whole, and arrays under `append`
/// (`[[append.creators]]`) are added to the other's.
fn resolve_extends(mut doc: Table, source: &str, depth: usize) -> Result<Table, ScenarioError> {
    let Some(parent) = doc.remove("extends") else { return Ok(doc) };
    let invalid =
        |message: String| ScenarioError::Invalid { path: source.to_string(), line: 0, key: "extends".into(), message };
    let Value::String(rel) = parent else {
        return Err(invalid("must be a string: the path of the scenario this one starts from".into()));
    };
    if depth >= 4 {
        return Err(invalid(format!("= \"{rel}\": scenarios may extend each other at most 4 deep")));
    }
    let path = std::path::Path::new(source).parent().unwrap_or(std::path::Path::new(".")).join(&rel);
    let shown = path.display().to_string();
    let text =
        std::fs::read_to_string(&path).map_err(|e| invalid(format!("= \"{rel}\": cannot read `{shown}`: {e}")))?;
    let base_locator = Locator { text: &text, source: &shown };
    let mut base: Table = toml::from_str(&text).map_err(|e| base_locator.syntax(&e))?;
    inline_catalogue_file(&mut base, &base_locator)?;
    let mut base = resolve_extends(base, &shown, depth + 1)?;
    // `[[append.creators]]` (and any other array under `append`) adds to the base's array
    // instead of replacing it.
    if let Some(append) = doc.remove("append") {
        let Value::Table(append) = append else {
            return Err(invalid("`append` must be a table of arrays, for example [[append.creators]]".into()));
        };
        for (key, value) in append {
            match (base.get_mut(&key), value) {
                (Some(Value::Array(items)), Value::Array(more)) => items.extend(more),
                (None, Value::Array(more)) => {
                    base.insert(key, Value::Array(more));
                }
                _ => return Err(invalid(format!("`append.{key}` must be an array matching the base's `{key}`"))),
            }
        }
    }
    deep_merge(&mut base, doc);
    Ok(base)
}

/// The arrays `[[append.KEY]]` adds to, typed: read from the text, a mistake inside an
/// appended element keeps its span, so it is placed at `append.KEY[i]` and its line in
/// this file instead of being blamed on the merged variant.
#[derive(Deserialize)]
#[expect(dead_code, reason = "deserialised only for its errors")]
struct AppendOnly {
    #[serde(default)]
    append: Option<AppendArrays>,
}

/// Only the element types are checked here; which keys `append` may hold is checked
/// when the merged table deserialises.
#[derive(Deserialize)]
#[expect(dead_code, reason = "deserialised only for its errors")]
struct AppendArrays {
    #[serde(default)]
    topics: Vec<TopicSpec>,
    #[serde(default)]
    creators: Vec<CreatorGroup>,
    #[serde(default)]
    campaigns: Vec<CampaignSpec>,
    #[serde(default)]
    trends: Vec<TrendSpec>,
}

/// Type-checks the elements a file appends to the scenario it extends.
fn check_appended(locator: &Locator) -> Result<(), ScenarioError> {
    toml::from_str::<AppendOnly>(locator.text).map(drop).map_err(|e| locator.syntax(&e))
}

/// Type-checks the base alone so that its errors keep their spans.
fn check_base(locator: &Locator) -> Result<(), ScenarioError> {
    // Parsed from text (variants blanked), so unknown keys and wrong types in the base
    // get exact positions.
    match toml::from_str::<Params>(&strip_variants(locator.text)) {
        Ok(_) => Ok(()),
        Err(e) => Err(locator.syntax(&e)),
    }
}

/// Writes out the tables that have defaults, so that a variant or a `--set` can change
/// one of their keys when the file leaves the whole table out.
fn fill_defaults(doc: &mut Table) {
    fn put<T: serde::Serialize>(doc: &mut Table, key: &str, value: T) {
        if !doc.contains_key(key)
            && let Ok(table) = Table::try_from(value)
        {
            doc.insert(key.to_string(), Value::Table(table));
        }
    }
    put(doc, "demographics", Demographics::default());
    put(doc, "crowd", CrowdSpec::default());
    put(doc, "response", ResponseModel::default());
    put(doc, "engagement_weights", EngagementWeights::default());
    put(doc, "metrics", MetricsSpec::default());
    put(doc, "journey", JourneySpec::default());
    put(doc, "search", SearchSpec::default());
    put(doc, "sharing", SharingSpec::default());
    put(doc, "follow_feed", FollowFeedSpec::default());
    put(doc, "kinds", KindTable::default());
}

/// The text with every `[[variants]]` block blanked out with spaces (byte offsets kept,
/// so spans still point at the right line and column of the original file).
fn strip_variants(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_variant = false;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        if t.starts_with('[') {
            in_variant = t.starts_with("[[variants]]") || t.starts_with("[variants.");
        }
        if in_variant {
            out.extend(line.bytes().map(|b| if b == b'\n' || b == b'\r' { char::from(b) } else { ' ' }));
        } else {
            out.push_str(line);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_variants_keeps_line_count() {
        let text = "a = 1\n[[variants]]\nname = \"x\"\n[variants.feed]\nk = 1\n[feed]\nb = 2\n";
        let stripped = strip_variants(text);
        assert_eq!(stripped.len(), text.len());
        assert_eq!(stripped.lines().count(), text.lines().count());
        assert!(stripped.contains("b = 2") && !stripped.contains("name"));
    }
}
