//! Merging untyped TOML tables: variants and `extends` over a base, single keys for
//! finding which one fails to deserialise.

use toml::{Table, Value};

/// Merges `over` into `base`: tables merge key by key, anything else is replaced.
pub(super) fn deep_merge(base: &mut Table, over: Table) {
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
pub(super) fn leaves(table: &Table, prefix: &mut Vec<String>, out: &mut Vec<(Vec<String>, Value)>) {
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
pub(super) fn nested(path: &[String], value: Value) -> Table {
    let (first, rest) = path.split_first().expect("non-empty path");
    let inner = rest.iter().rev().fold(value, |v, k| Value::Table(Table::from_iter([(k.clone(), v)])));
    Table::from_iter([(first.clone(), inner)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_merge_keeps_untouched_keys() {
        let mut base: Table = toml::from_str("[feed]\na = 1\nb = 2").unwrap();
        let over: Table = toml::from_str("[feed]\nb = 3").unwrap();
        deep_merge(&mut base, over);
        assert_eq!(base["feed"]["a"].as_integer(), Some(1));
        assert_eq!(base["feed"]["b"].as_integer(), Some(3));
    }
}
