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

use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use toml::de::{DeTable, DeValue};
use toml::{Table, Value};

use super::schema::{
    CampaignSpec, CreatorGroup, CrowdSpec, Demographics, EngagementWeights, FollowFeedSpec, JourneySpec, KindTable,
    MetricsSpec, Params, ResponseModel, SearchSpec, SharingSpec, TopicSpec, TrendSpec,
};
use super::validate::{self, Violation};
use super::{Scenario, VariantSpec};

/// Everything that can be wrong with a scenario file or its overrides.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read. The message leaves the reason to `source` (print the
    /// chain, as `{:#}` does with anyhow); for a missing file the reason lists the
    /// scenario files next to it.
    #[error("cannot read scenario file `{path}`")]
    Read {
        /// The path given.
        path: String,
        /// The I/O error, with a hint at what would be valid.
        source: std::io::Error,
    },
    /// The file has no content.
    #[error(
        "`{path}` is empty: a scenario needs at least `name`, `seed`, `ticks`, [world], \
         [[topics]], [[creators]] and [feed] (see scenarios/quickstart.toml)"
    )]
    Empty {
        /// The path given.
        path: String,
    },
    /// TOML syntax, an unknown key or a wrong type. Shown as `path:line:column: message`,
    /// or `path: message` when the position is unknown.
    #[error("{path}{}: {message}", position(.line, .column))]
    Syntax {
        /// The file.
        path: String,
        /// 1-based line (0 when unknown).
        line: usize,
        /// 1-based column (0 when unknown).
        column: usize,
        /// The key, what is wrong and what is expected.
        message: String,
    },
    /// A value that parses but is out of range or inconsistent. Shown as
    /// `path:line: key message`, or `path: key message` when the line is unknown.
    #[error("{path}{}: `{key}` {message}", position(.line, &0))]
    Invalid {
        /// The file.
        path: String,
        /// 1-based line of the key (0 when unknown, for example a `--set` value).
        line: usize,
        /// Dotted key path, as in `feed.slate_size` or `variants[1].name`.
        key: String,
        /// What is wrong and what would be valid, with the variant when there are several.
        message: String,
    },
    /// A malformed `--set` argument, or one that names no key of the scenario.
    #[error("--set {arg}: {message}")]
    Override {
        /// The argument as given.
        arg: String,
        /// What is wrong (naming the scenario file) and what would be valid.
        message: String,
    },
}

/// `:line:column`, `:line` or nothing, for messages.
fn position(line: &usize, column: &usize) -> String {
    match (*line, *column) {
        (0, _) => String::new(),
        (l, 0) => format!(":{l}"),
        (l, c) => format!(":{l}:{c}"),
    }
}

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
    let extended = doc.contains_key("extends");
    if extended {
        check_appended(&locator)?;
        doc = resolve_extends(doc, source, 0)?;
    }
    let variants = match doc.remove("variants") {
        None => vec![Table::new()],
        Some(Value::Array(items)) if !items.is_empty() => items
            .into_iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::Table(t) => Ok(t),
                _ => Err(locator.invalid(&format!("variants[{i}]"), "must be a table ([[variants]] with a `name`)")),
            })
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => {
            return Err(locator.invalid("variants", "must be a non-empty array of tables ([[variants]] with a `name`)"));
        }
    };
    if !extended {
        check_base(&locator)?;
    }
    fill_defaults(&mut doc);
    let has_variants = variants.len() > 1 || !variants[0].is_empty();
    let overrides = overrides.iter().map(|a| parse_override(a, source)).collect::<Result<Vec<_>, _>>()?;
    check_overrides(&doc, &overrides, source)?;

    let mut specs = Vec::with_capacity(variants.len());
    for (i, mut variant) in variants.into_iter().enumerate() {
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
        let mut merged = doc.clone();
        deep_merge(&mut merged, variant.clone());
        for o in &overrides {
            set_path(&mut merged, &o.path, o.value.clone(), source).map_err(|m| o.error(m))?;
        }
        let params = Params::deserialize(Value::Table(merged))
            .map_err(|e| locator.blame_variant(&doc, i, &name, &variant, &e))?;
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

/// Type-checks the base alone so that its errors keep their spans.
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
    let base: Table = toml::from_str(&text).map_err(|e| Locator { text: &text, source: &shown }.syntax(&e))?;
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

/// Merges `over` into `base`: tables merge key by key, anything else is replaced.
fn deep_merge(base: &mut Table, over: Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(Value::Table(b)), Value::Table(o)) => deep_merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

/// Every non-table value of a table (or empty table), with its key path.
fn leaves(table: &Table, prefix: &mut Vec<String>, out: &mut Vec<(Vec<String>, Value)>) {
    for (k, v) in table {
        prefix.push(k.clone());
        match v {
            Value::Table(t) if !t.is_empty() => leaves(t, prefix, out),
            _ => out.push((prefix.clone(), v.clone())),
        }
        prefix.pop();
    }
}

/// A one-key table `{a = {b = value}}` for the path `a.b`.
fn nested(path: &[String], value: Value) -> Table {
    let (first, rest) = path.split_first().expect("non-empty path");
    let inner = rest.iter().rev().fold(value, |v, k| Value::Table(Table::from_iter([(k.clone(), v)])));
    Table::from_iter([(first.clone(), inner)])
}

/// The key to blame for a deserialisation error caused by the value at `path`: for an
/// unknown field, the path up to that field; otherwise the whole path.
fn culprit_key(path: &[String], message: &str) -> String {
    let end = quoted_after(message, "unknown field `")
        .and_then(|field| path.iter().position(|p| p == field))
        .map_or(path.len(), |j| j + 1);
    path[..end].join(".")
}

/// A parsed `--set key=value`.
struct Override {
    /// The argument as given.
    arg: String,
    /// The dotted key, split.
    path: Vec<String>,
    /// The value.
    value: Value,
}

impl Override {
    fn error(&self, message: String) -> ScenarioError {
        ScenarioError::Override { arg: self.arg.clone(), message }
    }

    /// Whether this override sets `key` (a dotted key, maybe with indexes) or a table
    /// holding it.
    fn covers(&self, key: &str) -> bool {
        let set = self.path.join(".");
        key.strip_prefix(&set).is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
    }
}

/// Splits `a.b.c=value`; the value is read as TOML, or as a bare string if that fails.
fn parse_override(arg: &str, source: &str) -> Result<Override, ScenarioError> {
    let err = |message: String| ScenarioError::Override { arg: arg.to_string(), message };
    let (key, raw) = arg.split_once('=').ok_or_else(|| {
        err(format!(
            "expected KEY=VALUE: a dotted key of `{source}`, `=`, then a TOML value, for example \
             --set feed.slate_size=4"
        ))
    })?;
    let path: Vec<String> = key.split('.').map(|p| p.trim().to_string()).collect();
    if path.iter().any(String::is_empty) {
        return Err(err(format!(
            "the key `{}` has an empty part: write table.key, for example --set world.users=50000",
            key.trim()
        )));
    }
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(err(format!("no value after `=`: give a TOML value, for example --set {}=1", key.trim())));
    }
    let value = match toml::from_str::<Table>(&format!("v = {raw}")) {
        Ok(mut t) => t.remove("v").expect("parsed key"),
        // Arrays, tables and quoted strings must be valid TOML; anything else is taken
        // as a bare string (`feed.layout=single_column`).
        Err(e) if raw.starts_with(['[', '{', '"', '\'']) => {
            return Err(err(format!("`{raw}` is not a valid TOML value: {}", e.message().trim())));
        }
        Err(_) => Value::String(raw.to_string()),
    };
    Ok(Override { arg: arg.to_string(), path, value })
}

/// Applies each override alone to the base, so that a bad one is blamed on its `--set`.
fn check_overrides(doc: &Table, overrides: &[Override], source: &str) -> Result<(), ScenarioError> {
    for o in overrides {
        let mut trial = doc.clone();
        set_path(&mut trial, &o.path, o.value.clone(), source).map_err(|m| o.error(m))?;
        if let Err(e) = Params::deserialize(Value::Table(trial)) {
            let key = culprit_key(&o.path, e.message());
            return Err(o.error(format!("`{key}` in `{source}`: {}", explain(&key, e.message()))));
        }
    }
    Ok(())
}

/// Sets a dotted path in a table; the path must name an existing table chain. Errors
/// name `source` and the tables or keys that do exist.
fn set_path(root: &mut Table, path: &[String], value: Value, source: &str) -> Result<(), String> {
    let (last, parents) = path.split_last().expect("non-empty path");
    let mut table = root;
    for (depth, p) in parents.iter().enumerate() {
        let here = path[..=depth].join(".");
        match table.get(p) {
            Some(Value::Table(_)) => {}
            Some(v) => {
                return Err(format!(
                    "`{here}` is {} in `{source}`, not a table: set it directly, for example --set {here}=...",
                    a_type(v)
                ));
            }
            None => {
                let tables: Vec<&str> = table.iter().filter(|(_, v)| v.is_table()).map(|(k, _)| k.as_str()).collect();
                let (what, names) = if tables.is_empty() {
                    ("keys", table.keys().map(String::as_str).collect::<Vec<_>>())
                } else {
                    ("tables", tables)
                };
                let names_list = names.join(", ");
                let there = match depth {
                    0 => format!("its {what} are {names_list}"),
                    _ => format!("the {what} of `{}` are {names_list}", path[..depth].join(".")),
                };
                let mut message = format!("no table `{here}` in `{source}`: {there}");
                if let Some(best) = closest(p, &names) {
                    message.push_str(&format!("; did you mean `{best}`?"));
                }
                return Err(message);
            }
        }
        table = table.get_mut(p).and_then(Value::as_table_mut).expect("checked above");
    }
    table.insert(last.clone(), value);
    Ok(())
}

/// "an array", "a string": a TOML value's type with its article.
fn a_type(value: &Value) -> String {
    let t = value.type_str();
    let article = if t.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
    format!("{article} {t}")
}

/// Adds what would be valid to an I/O error: for a missing file, the scenario files in
/// its folder.
fn explain_io(path: &Path, e: std::io::Error) -> std::io::Error {
    use std::io::ErrorKind;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let hint = match e.kind() {
        ErrorKind::NotFound if !dir.is_dir() => format!("the folder `{}` does not exist either", dir.display()),
        ErrorKind::NotFound => scenario_files_in(dir),
        ErrorKind::IsADirectory => format!("give a scenario file, not a folder; {}", scenario_files_in(path)),
        ErrorKind::InvalidData => "a scenario file must be UTF-8 text".to_string(),
        _ => return e,
    };
    std::io::Error::new(e.kind(), format!("{e}; {hint}"))
}

/// "scenario files in `dir`: a.toml, b.toml", listing TOML files that have a [world].
fn scenario_files_in(dir: &Path) -> String {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .filter(|p| std::fs::read_to_string(p).is_ok_and(|t| t.contains("[world]")))
        .map(|p| p.strip_prefix(".").unwrap_or(&p).display().to_string())
        .collect();
    names.sort();
    if names.is_empty() {
        return format!(
            "there are no scenario files in `{}` (the shipped ones are in scenarios/, for example \
             scenarios/quickstart.toml)",
            dir.display()
        );
    }
    let more = names.len().saturating_sub(10);
    names.truncate(10);
    let tail = if more > 0 { format!(" and {more} more") } else { String::new() };
    format!("scenario files in `{}`: {}{tail}", dir.display(), names.join(", "))
}

/// The text between `start` and the next backtick, if `message` starts with `start`.
fn quoted_after<'m>(message: &'m str, start: &str) -> Option<&'m str> {
    message.strip_prefix(start)?.split('`').next()
}

/// Valid values of the schema's enum keys, by key name.
fn enum_choices(leaf: &str) -> Option<&'static str> {
    match leaf {
        "layout" => Some("\"two_column\" or \"single_column\""),
        "audience" => Some("\"crowd_rings\" or \"traffic_pools\""),
        "kind" => Some("\"bank\", \"broker\", \"fund\", \"kol\" or \"ordinary\""),
        _ => None,
    }
}

/// A plain-words reading of a serde type name.
fn type_hint(expected: &str) -> Option<String> {
    let whole = |max: u64| format!("a whole number from 0 to {max}");
    Some(match expected {
        "u8" => whole(u8::MAX.into()),
        "u16" => whole(u16::MAX.into()),
        "u32" => whole(u32::MAX.into()),
        "u64" | "usize" => whole(i64::MAX as u64),
        "i8" | "i16" | "i32" | "i64" => "a whole number".into(),
        "f32" | "f64" => "a number, for example 0.5".into(),
        "a sequence" => "an array, for example [1, 2]".into(),
        t if t.starts_with("struct ") => "a table of keys".into(),
        _ => return None,
    })
}

/// A toml/serde message with what would be valid spelt out: a close match for an
/// unknown name, the values of an enum, the plain meaning of a type.
fn explain(key: &str, message: &str) -> String {
    let message = message.trim();
    let leaf = key.rsplit('.').next().unwrap_or(key).split('[').next().unwrap_or_default();
    let unknown = quoted_after(message, "unknown field `").or_else(|| quoted_after(message, "unknown variant `"));
    if let Some(name) = unknown {
        let expected = message.split_once("expected").map_or("", |(_, e)| e);
        let names: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
        return match closest(name, &names) {
            Some(best) => format!("{message}; did you mean `{best}`?"),
            None => message.to_string(),
        };
    }
    if let Some(choices) = enum_choices(leaf) {
        return format!("{message} (valid values: {choices})");
    }
    let hint = message.rsplit_once(", expected ").and_then(|(_, t)| type_hint(t.trim()));
    match hint {
        Some(h) => format!("{message} ({h})"),
        None => message.to_string(),
    }
}

/// The candidate closest to a misspelt `name`, if any is close enough to suggest.
fn closest<'c>(name: &str, candidates: &[&'c str]) -> Option<&'c str> {
    candidates
        .iter()
        .map(|&c| (edit_distance(name, c), c))
        .filter(|&(d, c)| {
            d <= (name.chars().count() / 3).max(1) || (name.len() >= 3 && (c.starts_with(name) || name.starts_with(c)))
        })
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

/// Levenshtein distance between two short strings.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1).min(row[j] + 1).min(diagonal + usize::from(ca != cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

/// Finds where keys are in the source text, for messages.
struct Locator<'a> {
    text: &'a str,
    source: &'a str,
}

impl Locator<'_> {
    /// A toml error from the text, with the key it concerns when the span finds one.
    fn syntax(&self, e: &toml::de::Error) -> ScenarioError {
        let raw = e.message().trim();
        let key = e.span().and_then(|s| self.key_at(s.start)).unwrap_or_default();
        let (line, column, message) = if key.is_empty() && raw.starts_with("missing field") {
            // A key missing at the top has no position worth showing.
            let message = format!(
                "{raw}: a scenario needs `name`, `seed`, `ticks`, [world], [[topics]], [[creators]] \
                 and [feed] (see scenarios/quickstart.toml)"
            );
            (0, 0, message)
        } else {
            let (line, column) = e.span().map_or((0, 0), |s| self.position(s.start));
            let message = if key.is_empty() { explain("", raw) } else { format!("`{key}`: {}", explain(&key, raw)) };
            (line, column, message)
        };
        ScenarioError::Syntax { path: self.source.to_string(), line, column, message }
    }

    /// An out-of-range or inconsistent value at `key`, on the line of the key or of the
    /// nearest table holding it.
    fn invalid(&self, key: &str, message: &str) -> ScenarioError {
        ScenarioError::Invalid {
            path: self.source.to_string(),
            line: self.line_near(key).unwrap_or(0),
            key: key.to_string(),
            message: message.to_string(),
        }
    }

    /// Finds which key of variant `index` makes the merged table fail to deserialise.
    fn blame_variant(
        &self,
        doc: &Table,
        index: usize,
        name: &str,
        variant: &Table,
        err: &toml::de::Error,
    ) -> ScenarioError {
        let mut found = Vec::new();
        leaves(variant, &mut Vec::new(), &mut found);
        for (path, value) in found {
            let mut trial = doc.clone();
            deep_merge(&mut trial, nested(&path, value));
            if let Err(e) = Params::deserialize(Value::Table(trial)) {
                let key = culprit_key(&path, e.message());
                let (line, column) =
                    self.find(&format!("variants[{index}].{key}")).map_or((0, 0), |s| self.position(s.start));
                return ScenarioError::Syntax {
                    path: self.source.to_string(),
                    line,
                    column,
                    message: format!("`{key}` in variant `{name}`: {}", explain(&key, e.message())),
                };
            }
        }
        // No single key fails alone: blame the variant as a whole.
        self.invalid(&format!("variants[{index}]"), &format!("(variant `{name}`): {}", explain("", err.message())))
    }

    /// Places a failed check: on the `--set` that gave the value, else on the variant's
    /// line for the key, else on the base's.
    fn blame_violation(&self, v: Violation, scenario: &Scenario, overrides: &[Override]) -> ScenarioError {
        let in_variant = v.variant.map(|i| format!("in variant `{}` ", scenario.variants[i].name)).unwrap_or_default();
        let (line, message) = match overrides.iter().rev().find(|o| o.covers(&v.key)) {
            Some(o) => (None, format!("{in_variant}{} (set by --set {})", v.message, o.arg)),
            None => {
                let line = v
                    .variant
                    .into_iter()
                    .chain(v.compared_with)
                    .find_map(|i| self.find(&format!("variants[{i}].{}", v.key)))
                    .map(|s| self.position(s.start).0)
                    .or_else(|| self.line_near(&v.key));
                // A --set on the same table may be what makes this value inconsistent.
                let section = v.key.split(['.', '[']).next().unwrap_or_default();
                let context: String = overrides
                    .iter()
                    .filter(|o| o.path[0] == section)
                    .map(|o| format!(" (with --set {})", o.arg))
                    .collect();
                (line, format!("{in_variant}{}{context}", v.message))
            }
        };
        ScenarioError::Invalid { path: self.source.to_string(), line: line.unwrap_or(0), key: v.key, message }
    }

    fn position(&self, offset: usize) -> (usize, usize) {
        let before = &self.text[..offset.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, column)
    }

    /// Line of a dotted key, or of the nearest table that holds it in the file.
    fn line_near(&self, dotted: &str) -> Option<usize> {
        let mut key = dotted;
        loop {
            if let Some(span) = self.find(key) {
                return Some(self.position(span.start).0);
            }
            key = &key[..key.rfind(['.', '['])?];
        }
    }

    /// Span of a dotted key like `feed.slate_size`, `variants[1].feed.slate_size` or
    /// `feed.stage_boost[2]` (the key itself, or the array element).
    fn find(&self, dotted: &str) -> Option<Range<usize>> {
        fn walk(value: &DeValue, parts: &[&str]) -> Option<Range<usize>> {
            let (part, rest) = parts.split_first()?;
            let (name, index) = match part.split_once('[') {
                Some((n, i)) => (n, Some(i.trim_end_matches(']').parse::<usize>().ok()?)),
                None => (*part, None),
            };
            let DeValue::Table(table) = value else { return None };
            let (k, mut v) = table.iter().find(|(k, _)| k.get_ref() == name)?;
            let mut span = k.span();
            if let Some(i) = index {
                let DeValue::Array(items) = v.get_ref() else { return None };
                v = items.get(i)?;
                span = v.span();
            }
            if rest.is_empty() { Some(span) } else { walk(v.get_ref(), rest) }
        }
        let root = DeTable::parse(self.text).ok()?;
        walk(&DeValue::Table(root.into_inner()), &dotted.split('.').collect::<Vec<_>>())
    }

    /// The dotted key at a byte offset: the key, value or table header there.
    fn key_at(&self, offset: usize) -> Option<String> {
        fn hit(span: Range<usize>, at: usize) -> bool {
            span.contains(&at) || (span.is_empty() && span.start == at)
        }
        fn walk(value: &DeValue, at: usize, path: &str) -> Option<String> {
            match value {
                DeValue::Table(table) => table.iter().find_map(|(k, v)| {
                    let here =
                        if path.is_empty() { k.get_ref().to_string() } else { format!("{path}.{}", k.get_ref()) };
                    if hit(k.span(), at) {
                        return Some(here);
                    }
                    walk(v.get_ref(), at, &here).or_else(|| hit(v.span(), at).then_some(here))
                }),
                DeValue::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
                    let here = format!("{path}[{i}]");
                    walk(item.get_ref(), at, &here).or_else(|| hit(item.span(), at).then_some(here))
                }),
                _ => None,
            }
        }
        // Recoverable, so a syntax error still finds the key it sits in.
        let (root, _) = DeTable::parse_recoverable(self.text);
        walk(&DeValue::Table(root.into_inner()), offset, "")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn override_values_parse_as_toml_or_string() {
        let o = parse_override("feed.slate_size=4", "s.toml").unwrap();
        assert_eq!(o.path, vec!["feed", "slate_size"]);
        assert_eq!(o.value, Value::Integer(4));
        let o = parse_override("feed.layout=single_column", "s.toml").unwrap();
        assert_eq!(o.value, Value::String("single_column".into()));
        assert!(parse_override("feed.slate_size", "s.toml").is_err());
        assert!(parse_override("feed..x=1", "s.toml").is_err());
        assert!(parse_override("feed.slate_size=", "s.toml").is_err());
        assert!(parse_override("feed.stage_boost=[1, 2", "s.toml").is_err());
    }

    #[test]
    fn overrides_cover_their_keys_only() {
        let o = parse_override("feed.stage_boost=[1]", "s.toml").unwrap();
        assert!(o.covers("feed.stage_boost") && o.covers("feed.stage_boost[2]"));
        assert!(!o.covers("feed.stage_boost_x") && !o.covers("feed"));
    }

    #[test]
    fn deep_merge_keeps_untouched_keys() {
        let mut base: Table = toml::from_str("[feed]\na = 1\nb = 2").unwrap();
        let over: Table = toml::from_str("[feed]\nb = 3").unwrap();
        deep_merge(&mut base, over);
        assert_eq!(base["feed"]["a"].as_integer(), Some(1));
        assert_eq!(base["feed"]["b"].as_integer(), Some(3));
    }

    #[test]
    fn strip_variants_keeps_line_count() {
        let text = "a = 1\n[[variants]]\nname = \"x\"\n[variants.feed]\nk = 1\n[feed]\nb = 2\n";
        let stripped = strip_variants(text);
        assert_eq!(stripped.len(), text.len());
        assert_eq!(stripped.lines().count(), text.lines().count());
        assert!(stripped.contains("b = 2") && !stripped.contains("name"));
    }

    #[test]
    fn locator_finds_keys_and_elements() {
        let text = "a = 1\n[feed]\nb = [1, 2]\n[[variants]]\nname = \"x\"\n[variants.feed]\nb = [3]\n";
        let l = Locator { text, source: "t.toml" };
        let line = |k: &str| l.find(k).map(|s| l.position(s.start).0);
        assert_eq!(line("feed.b"), Some(3));
        assert_eq!(line("variants[0].feed.b"), Some(7));
        assert_eq!(line("variants[0].feed.c"), None);
        assert_eq!(l.line_near("variants[0].feed.c"), Some(6));
        assert_eq!(l.key_at(text.find("2]").unwrap()).as_deref(), Some("feed.b[1]"));
        assert_eq!(l.key_at(text.find("[feed]").unwrap()).as_deref(), Some("feed"));
    }

    #[test]
    fn explain_suggests_and_spells_out_types() {
        let m = explain("world.friend_mean", "unknown field `friend_mean`, expected `users` or `friends_mean`");
        assert!(m.ends_with("did you mean `friends_mean`?"), "{m}");
        let m = explain("world.users", "invalid type: string \"x\", expected u32");
        assert!(m.ends_with("(a whole number from 0 to 4294967295)"), "{m}");
        let m = explain("feed.layout", "wanted string or table");
        assert!(m.contains("\"two_column\" or \"single_column\""), "{m}");
        assert_eq!(closest("zzz", &["feed", "world"]), None);
        assert_eq!(edit_distance("fed", "feed"), 1);
    }
}
