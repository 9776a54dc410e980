//! Reading a catalogue's CSV file (`catalogue.file`) into `catalogue.items`.
//!
//! The file is read where the scenario that names it is read, relative to that file,
//! and its rows become inline items: the resolved scenario (what `validate --resolved`
//! prints and `compare` saves in its manifest) is then self-contained.

use std::path::Path;

use toml::{Table, Value};

use super::error::ScenarioError;
use super::locate::Locator;
use super::schema::CatalogueItem;

/// Replaces `catalogue.file` in `doc` (a file's own table, before merging) by its rows,
/// appended to `catalogue.items`.
pub(super) fn inline_catalogue_file(doc: &mut Table, locator: &Locator) -> Result<(), ScenarioError> {
    let Some(Value::Table(cat)) = doc.get_mut("catalogue") else { return Ok(()) };
    let Some(file) = cat.remove("file") else { return Ok(()) };
    let Value::String(rel) = file else {
        return Err(locator.invalid("catalogue.file", "must be a string: the path of a CSV file of items"));
    };
    let path = Path::new(locator.source).parent().unwrap_or(Path::new(".")).join(&rel);
    let items = read_items(&path).map_err(|m| locator.invalid("catalogue.file", &format!("= \"{rel}\": {m}")))?;
    let rows = items.into_iter().map(|i| Value::try_from(i).map_err(|e| e.to_string()));
    let rows = rows.collect::<Result<Vec<_>, _>>().map_err(|m| locator.invalid("catalogue.file", &m))?;
    match cat.entry("items").or_insert_with(|| Value::Array(Vec::new())) {
        Value::Array(listed) => listed.extend(rows),
        _ => return Err(locator.invalid("catalogue.items", "must be an array of item tables")),
    }
    Ok(())
}

/// The items of a CSV file with a header row `author,topic,quality,appeal` (and
/// optionally `kind` and `born`), in file order.
fn read_items(path: &Path) -> Result<Vec<CatalogueItem>, String> {
    let shown = path.display();
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| format!("cannot read `{shown}`: {e}"))?;
    let mut items = Vec::new();
    for (i, row) in reader.deserialize::<CatalogueItem>().enumerate() {
        // Line i + 2: the header is line 1.
        items.push(row.map_err(|e| {
            format!(
                "line {} of `{shown}`: {e}; the columns are author,topic,quality,appeal and optionally kind,born",
                i + 2
            )
        })?);
    }
    if items.is_empty() {
        return Err(format!("`{shown}` has no item rows below its header"));
    }
    Ok(items)
}
