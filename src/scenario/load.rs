//! Reading a scenario: TOML text → base table → `--set` overrides → per-variant merge →
//! typed [`Params`] → validation.
//!
//! Errors name the file, the key, and the line and column where the file gives them, and
//! say what would be valid. Overrides from `--set` apply after each variant's merge, so a
//! `--set` changes every variant alike (the natural way to switch a mechanism off).

use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use toml::{Table, Value};

use super::schema::Params;
use super::{Scenario, VariantSpec, validate};

/// Everything that can be wrong with a scenario file or its overrides.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("cannot read scenario file `{path}`: {source}")]
    Read {
        /// The path given.
        path: String,
        /// The I/O error.
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
    /// TOML syntax, an unknown key or a wrong type.
    #[error("{path}:{line}:{column}: {message}")]
    Syntax {
        /// The file.
        path: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong and what is expected.
        message: String,
    },
    /// A value that parses but is out of range or inconsistent.
    #[error("{path}:{line}: `{key}` {message}")]
    Invalid {
        /// The file.
        path: String,
        /// 1-based line of the key (0 when unknown, for example a `--set` value).
        line: usize,
        /// Dotted key path, with the variant when it is a variant's value.
        key: String,
        /// What is wrong and what would be valid.
        message: String,
    },
    /// A malformed `--set` argument.
    #[error("--set {arg}: {message}")]
    Override {
        /// The argument as given.
        arg: String,
        /// What is wrong.
        message: String,
    },
}

/// Reads and validates a scenario file, applying `--set key=value` overrides.
pub fn load_file(path: &Path, overrides: &[String]) -> Result<Scenario, ScenarioError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read { path: shown.clone(), source })?;
    load_str(&text, &shown, overrides)
}

/// Parses and validates scenario text; `source` names it in messages.
pub fn load_str(text: &str, source: &str, overrides: &[String]) -> Result<Scenario, ScenarioError> {
    if text.trim().is_empty() {
        return Err(ScenarioError::Empty { path: source.to_string() });
    }
    let locator = Locator { text, source };
    // First pass straight from the text: serde errors then carry spans, so unknown keys
    // and wrong types in the base get a line and column.
    let mut doc: Table = toml::from_str(text).map_err(|e| locator.syntax(&e))?;
    let variants = match doc.remove("variants") {
        None => vec![Table::new()],
        Some(Value::Array(items)) if !items.is_empty() => items
            .into_iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::Table(t) => Ok(t),
                _ => Err(locator.invalid(&format!("variants[{i}]"), "must be a table")),
            })
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => {
            return Err(locator.invalid("variants", "must be a non-empty array of tables ([[variants]] with a `name`)"));
        }
    };
    check_base(&locator)?;
    let has_variants = variants.len() > 1 || !variants[0].is_empty();
    let parsed_overrides = overrides.iter().map(|a| parse_override(a)).collect::<Result<Vec<_>, _>>()?;

    let mut specs = Vec::with_capacity(variants.len());
    for (i, mut variant) in variants.into_iter().enumerate() {
        let name = match variant.remove("name") {
            Some(Value::String(s)) if !s.is_empty() => s,
            None if !has_variants => "base".into(),
            _ => {
                return Err(locator.invalid(
                    &format!("variants[{i}].name"),
                    "is missing: every variant needs a non-empty string `name`",
                ));
            }
        };
        if specs.iter().any(|s: &VariantSpec| s.name == name) {
            return Err(locator.invalid(&format!("variants[{i}].name"), &format!("`{name}` is used twice")));
        }
        let mut merged = doc.clone();
        deep_merge(&mut merged, variant);
        for (arg, path, value) in &parsed_overrides {
            set_path(&mut merged, path, value.clone())
                .map_err(|message| ScenarioError::Override { arg: arg.clone(), message })?;
        }
        let params = Params::deserialize(Value::Table(merged)).map_err(|e| {
            let key = format!("variants[{i}] ({name})");
            locator.invalid_at(&key, locator.line_of(&[&format!("variants[{i}]")]), e.message())
        })?;
        specs.push(VariantSpec { name, params });
    }
    let scenario = Scenario {
        name: specs[0].params.name.clone(),
        source: source.to_string(),
        seed: specs[0].params.seed,
        variants: specs,
    };
    validate::validate(&scenario).map_err(|v| {
        let variant_key = v.variant.map(|i| format!("variants[{i}].{}", v.key));
        let line = variant_key
            .as_deref()
            .and_then(|k| locator.find_line(k))
            .or_else(|| locator.find_line(&v.key))
            .unwrap_or(0);
        let key = match v.variant {
            Some(i) => format!("{} (variant `{}`)", v.key, scenario.variants[i].name),
            None => v.key,
        };
        ScenarioError::Invalid { path: source.to_string(), line, key, message: v.message }
    })?;
    Ok(scenario)
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

/// The text with every `[[variants]]` block blanked out (lines kept, so spans still
/// point at the right line of the original file).
fn strip_variants(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_variant = false;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        if t.starts_with('[') {
            in_variant = t.starts_with("[[variants]]") || t.starts_with("[variants.");
        }
        if in_variant {
            out.push_str(if line.ends_with('\n') { "\n" } else { "" });
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

/// Splits `a.b.c=value`; the value is read as TOML, or as a bare string if that fails.
fn parse_override(arg: &str) -> Result<(String, Vec<String>, Value), ScenarioError> {
    let err = |message: &str| ScenarioError::Override { arg: arg.to_string(), message: message.to_string() };
    let (key, raw) = arg.split_once('=').ok_or_else(|| err("expected KEY=VALUE, for example feed.slate_size=4"))?;
    let path: Vec<String> = key.trim().split('.').map(str::to_string).collect();
    if path.iter().any(|p| p.is_empty()) {
        return Err(err("the key has an empty part; write it as table.key, for example world.users"));
    }
    let raw = raw.trim();
    let value = match toml::from_str::<Table>(&format!("v = {raw}")) {
        Ok(mut t) => t.remove("v").expect("parsed key"),
        Err(_) => Value::String(raw.to_string()),
    };
    Ok((arg.to_string(), path, value))
}

/// Sets a dotted path in a table; the path must name an existing table chain.
fn set_path(root: &mut Table, path: &[String], value: Value) -> Result<(), String> {
    let (last, parents) = path.split_last().expect("non-empty path");
    let mut table = root;
    for (depth, p) in parents.iter().enumerate() {
        if !matches!(table.get(p), Some(Value::Table(_))) {
            let known: Vec<&str> = table.iter().filter(|(_, v)| v.is_table()).map(|(k, _)| k.as_str()).collect();
            return Err(match table.get(p) {
                Some(_) => format!("`{}` is not a table", path[..=depth].join(".")),
                None => {
                    format!("no table `{}` in the scenario; tables are: {}", path[..=depth].join("."), known.join(", "))
                }
            });
        }
        table = table.get_mut(p).and_then(Value::as_table_mut).expect("checked above");
    }
    table.insert(last.clone(), value);
    Ok(())
}

/// Finds where keys are in the source text, for messages.
struct Locator<'a> {
    text: &'a str,
    source: &'a str,
}

impl Locator<'_> {
    fn syntax(&self, e: &toml::de::Error) -> ScenarioError {
        let (line, column) = e.span().map(|s| self.position(s)).unwrap_or((0, 0));
        ScenarioError::Syntax { path: self.source.to_string(), line, column, message: e.message().trim().to_string() }
    }

    fn invalid(&self, key: &str, message: &str) -> ScenarioError {
        self.invalid_at(key, self.find_line(key), message)
    }

    fn invalid_at(&self, key: &str, line: Option<usize>, message: &str) -> ScenarioError {
        ScenarioError::Invalid {
            path: self.source.to_string(),
            line: line.unwrap_or(0),
            key: key.to_string(),
            message: message.to_string(),
        }
    }

    fn position(&self, span: Range<usize>) -> (usize, usize) {
        let before = &self.text[..span.start.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, column)
    }

    fn line_of(&self, parts: &[&str]) -> Option<usize> {
        self.find_line(&parts.join("."))
    }

    /// Line of a dotted key like `feed.slate_size` or `variants[1].feed.slate_size`.
    fn find_line(&self, dotted: &str) -> Option<usize> {
        let root = toml::de::DeTable::parse(self.text).ok()?;
        let mut span = root.span();
        let mut value = toml::de::DeValue::Table(root.into_inner());
        for part in dotted.split('.') {
            let (name, index) = match part.split_once('[') {
                Some((n, rest)) => (n, rest.trim_end_matches(']').parse::<usize>().ok()),
                None => (part, None),
            };
            let next = value.get(name)?.clone();
            span = next.span();
            value = next.into_inner();
            if let Some(i) = index {
                let next = value.get(i)?.clone();
                span = next.span();
                value = next.into_inner();
            }
        }
        Some(self.position(span).0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn override_values_parse_as_toml_or_string() {
        let (_, path, v) = parse_override("feed.slate_size=4").unwrap();
        assert_eq!(path, vec!["feed", "slate_size"]);
        assert_eq!(v, Value::Integer(4));
        let (_, _, v) = parse_override("feed.layout=single_column").unwrap();
        assert_eq!(v, Value::String("single_column".into()));
        assert!(parse_override("feed.slate_size").is_err());
        assert!(parse_override("feed..x=1").is_err());
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
        assert_eq!(stripped.lines().count(), text.lines().count());
        assert!(stripped.contains("b = 2") && !stripped.contains("name"));
    }
}
