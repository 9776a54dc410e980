//! `--set key=value` overrides: parsing, applying to a table, and blaming a bad one on
//! its argument.

use serde::Deserialize;
use toml::{Table, Value};

use super::error::ScenarioError;
use super::explain::{closest, culprit_key, explain};
use super::schema::Params;

/// A parsed `--set key=value`.
pub(super) struct Override {
    /// The argument as given.
    pub(super) arg: String,
    /// The dotted key, split.
    pub(super) path: Vec<String>,
    /// The value.
    pub(super) value: Value,
}

impl Override {
    pub(super) fn error(&self, message: String) -> ScenarioError {
        ScenarioError::Override { arg: self.arg.clone(), message }
    }

    /// Whether this override sets `key` (a dotted key, maybe with indexes) or a table
    /// holding it.
    pub(super) fn covers(&self, key: &str) -> bool {
        let set = self.path.join(".");
        key.strip_prefix(&set).is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
    }
}

/// Splits `a.b.c=value`; the value is read as TOML, or as a bare string if that fails.
pub(super) fn parse_override(arg: &str, source: &str) -> Result<Override, ScenarioError> {
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
pub(super) fn check_overrides(doc: &Table, overrides: &[Override], source: &str) -> Result<(), ScenarioError> {
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
pub(super) fn set_path(root: &mut Table, path: &[String], value: Value, source: &str) -> Result<(), String> {
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
pub(super) fn a_type(value: &Value) -> String {
    let t = value.type_str();
    let article = if t.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
    format!("{article} {t}")
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
}
