//! The crate's layers point one way (docs/architecture.md): a module uses only the layers
//! below its own, and no two modules use each other, directly or around a loop.
//!
//! The check reads the sources: every `crate::<layer>::<module>` path outside comments
//! and test modules is a use. It needs no dependency and runs in milliseconds.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Layers from the top: a layer may use those after it. Equal ranks (the base) do not
/// use each other by rule, but may.
const LAYERS: [(&str, u8); 12] = [
    ("app", 0),
    ("io", 1),
    ("study", 2),
    ("engine", 3),
    ("observe", 4),
    ("model", 5),
    ("scenario", 6),
    ("cluster", 7),
    ("error", 7),
    ("fastmath", 7),
    ("memory", 7),
    ("rng", 7),
];

fn rank(layer: &str) -> Option<u8> {
    LAYERS.iter().find(|(l, _)| *l == layer).map(|&(_, r)| r)
}

/// The source a module's uses are read from: comments and `#[cfg(test)]` items dropped
/// (a unit test may reach up to check a round trip).
fn code_of(text: &str) -> String {
    let code = text.split("#[cfg(test)]").next().unwrap_or("");
    code.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
}

/// `crate::a::b` paths in `code`, as (`a`, `b` or "").
fn crate_paths(code: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        let after = &rest[i + "crate::".len()..];
        let word = |s: &str| s.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect::<String>();
        let first = word(after);
        let second = after[first.len()..].strip_prefix("::").map(word).unwrap_or_default();
        // Preceded by an identifier character, it is another crate's `foo_crate::`.
        let standalone = rest[..i].chars().last().is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_'));
        if standalone && !first.is_empty() {
            out.push((first, second));
        }
        rest = after;
    }
    out
}

/// A module's name from its file: `src/model/world/mod.rs` → `model::world`.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).expect("under src").with_extension("");
    let parts: Vec<String> =
        rel.iter().map(|p| p.to_string_lossy().into_owned()).filter(|p| p != "mod").collect::<Vec<_>>();
    parts.join("::")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The second-level module a path names (`model::world`), or the layer for a path into
/// a one-file layer (`rng`).
fn target_module(src: &Path, first: &str, second: &str) -> String {
    let nested = src.join(first).join(format!("{second}.rs"));
    let folder = src.join(first).join(second);
    if !second.is_empty() && (nested.exists() || folder.is_dir()) { format!("{first}::{second}") } else { first.into() }
}

/// Upward uses and module edges of a source tree.
fn analyse(src: &Path) -> (Vec<String>, BTreeMap<String, BTreeSet<String>>) {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.sort();
    let mut upward = Vec::new();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let module = module_of(src, &file);
        let layer = module.split("::").next().unwrap_or("").to_string();
        let Some(own) = rank(&layer) else { continue };
        let key = module.split("::").take(2).collect::<Vec<_>>().join("::");
        let code = code_of(&std::fs::read_to_string(&file).expect("readable"));
        for (first, second) in crate_paths(&code) {
            let Some(theirs) = rank(&first) else { continue };
            if theirs < own {
                upward.push(format!(
                    "{}: uses crate::{first}::{second} (layer `{first}` is above `{layer}`)",
                    file.display()
                ));
            }
            let target = target_module(src, &first, &second);
            if target != key && !key.starts_with(&format!("{target}::")) && !target.starts_with(&format!("{key}::")) {
                edges.entry(key.clone()).or_default().insert(target);
            }
        }
    }
    upward.sort();
    upward.dedup();
    (upward, edges)
}

/// One loop in the module graph, if any.
fn find_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = stack.iter().position(|s| s == n) {
            let mut cycle = stack[i..].to_vec();
            cycle.push(n.to_string());
            return Some(cycle);
        }
        if done.contains(n) {
            return None;
        }
        stack.push(n.to_string());
        for d in edges.get(n).into_iter().flatten() {
            if let Some(c) = visit(d, edges, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(n.to_string());
        None
    }
    let mut done = BTreeSet::new();
    edges.keys().find_map(|n| visit(n, edges, &mut Vec::new(), &mut done))
}

#[test]
fn no_module_uses_a_layer_above_it() {
    let (upward, _) = analyse(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    assert!(upward.is_empty(), "uses against the layer order:\n{}", upward.join("\n"));
}

#[test]
fn no_two_modules_depend_on_each_other() {
    let (_, edges) = analyse(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    assert!(edges.len() > 10, "the module graph was read ({} modules)", edges.len());
    if let Some(cycle) = find_cycle(&edges) {
        panic!("a dependency cycle: {}", cycle.join(" -> "));
    }
}

#[test]
fn every_layer_of_the_crate_is_ranked() {
    let lib = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).unwrap();
    for line in lib.lines() {
        if let Some(name) = line.strip_prefix("pub mod ").and_then(|l| l.strip_suffix(';')) {
            assert!(rank(name).is_some(), "src/lib.rs declares `{name}`, which tests/layers.rs does not rank");
        }
    }
}

/// The check can fail: a tree with an upward use and a loop is caught.
#[test]
fn the_check_catches_an_upward_use_and_a_cycle() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    std::fs::create_dir_all(src.join("model")).unwrap();
    std::fs::create_dir_all(src.join("observe")).unwrap();
    std::fs::write(src.join("model/world.rs"), "use crate::observe::metrics::X; // up\n").unwrap();
    std::fs::write(src.join("observe/metrics.rs"), "use crate::observe::output::Y;\n").unwrap();
    std::fs::write(
        src.join("observe/output.rs"),
        "// crate::app::Z in a comment is no use\nuse crate::observe::metrics::X;\n#[cfg(test)]\nuse crate::app::T;\n",
    )
    .unwrap();
    let (upward, edges) = analyse(src);
    assert_eq!(upward.len(), 1, "{upward:?}");
    assert!(upward[0].contains("model/world.rs") && upward[0].contains("crate::observe::metrics"), "{upward:?}");
    let cycle = find_cycle(&edges).expect("metrics and output use each other");
    assert!(cycle.contains(&"observe::metrics".to_string()) && cycle.contains(&"observe::output".to_string()));
}
