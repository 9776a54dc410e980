//! Spelling out what would be valid in a toml/serde message: close matches for
//! misspelt names, the values of enums, plain meanings of types.

/// The key to blame for a deserialisation error caused by the value at `path`: for an
/// unknown field, the path up to that field; otherwise the whole path.
pub(super) fn culprit_key(path: &[String], message: &str) -> String {
    let end = quoted_after(message, "unknown field `")
        .and_then(|field| path.iter().position(|p| p == field))
        .map_or(path.len(), |j| j + 1);
    path[..end].join(".")
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
pub(super) fn explain(key: &str, message: &str) -> String {
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
pub(super) fn closest<'c>(name: &str, candidates: &[&'c str]) -> Option<&'c str> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
