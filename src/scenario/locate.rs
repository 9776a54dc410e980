//! Finding where keys are in a scenario's text, to place messages on a line and column,
//! and which key or override to blame for a failure.

use std::ops::Range;

use serde::Deserialize;
use toml::de::{DeTable, DeValue};
use toml::{Table, Value};

use super::Scenario;
use super::error::ScenarioError;
use super::explain::{culprit_key, explain};
use super::merge::{deep_merge, leaves, nested};
use super::overrides::Override;
use super::schema::Params;
use super::validate::Violation;

/// Finds where keys are in the source text, for messages.
pub(super) struct Locator<'a> {
    pub(super) text: &'a str,
    pub(super) source: &'a str,
}

impl Locator<'_> {
    /// A toml error from the text, with the key it concerns when the span finds one.
    pub(super) fn syntax(&self, e: &toml::de::Error) -> ScenarioError {
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
    pub(super) fn invalid(&self, key: &str, message: &str) -> ScenarioError {
        ScenarioError::Invalid {
            path: self.source.to_string(),
            line: self.line_near(key).unwrap_or(0),
            key: key.to_string(),
            message: message.to_string(),
        }
    }

    /// Finds which key of variant `index` makes the merged table fail to deserialise.
    pub(super) fn blame_variant(
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
    pub(super) fn blame_violation(&self, v: Violation, scenario: &Scenario, overrides: &[Override]) -> ScenarioError {
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
}
