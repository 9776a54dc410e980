//! The `replicates/` folder of a compare, sweep or decompose being run: one file per
//! finished replicate and a manifest, so `--resume` keeps what was done.

use serde::{Deserialize, Serialize};

use crate::scenario::Scenario;
use crate::study::compare::Replicate;

/// A compare folder's `replicates/`: `manifest.json` (the resolved scenario, the
/// fixed-world flag and the feedsim version) and one `rNNNNN.json` per finished replicate.
pub struct ReplicateStore {
    dir: std::path::PathBuf,
}

/// What a saved compare must match to be resumed.
#[derive(Serialize, Deserialize)]
struct Manifest {
    feedsim_version: String,
    fixed_world: bool,
    /// The resolved scenario as TOML (unset optional keys are left out, not null).
    scenario: String,
}

impl ReplicateStore {
    /// The store of a compare output folder.
    pub fn new(out_dir: &std::path::Path) -> Self {
        ReplicateStore { dir: out_dir.join("replicates") }
    }

    /// Its folder.
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    fn manifest(scenario: &Scenario, fixed_world: bool) -> Manifest {
        Manifest {
            feedsim_version: env!("CARGO_PKG_VERSION").into(),
            fixed_world,
            scenario: toml::to_string(scenario).expect("a scenario serialises"),
        }
    }

    /// Starts an empty store for a new compare (replicates of an earlier one are removed,
    /// as they would not match).
    pub fn start(&self, scenario: &Scenario, fixed_world: bool) -> std::io::Result<()> {
        if self.dir.is_dir() {
            for e in std::fs::read_dir(&self.dir)?.flatten() {
                if e.file_name().to_str().is_some_and(|n| n.starts_with('r') && n.ends_with(".json")) {
                    std::fs::remove_file(e.path())?;
                }
            }
        }
        std::fs::create_dir_all(&self.dir)?;
        let bytes = crate::io::json_bytes(&Self::manifest(scenario, fixed_world))?;
        crate::io::write_atomic(&self.dir.join("manifest.json"), &bytes)
    }

    /// Saves a finished replicate.
    pub fn save(&self, r: &Replicate) -> std::io::Result<()> {
        let bytes = crate::io::json_bytes(r)?;
        crate::io::write_atomic(&self.dir.join(format!("r{:05}.json", r.index)), &bytes)
    }

    /// The saved replicates, after checking the store was written for this scenario; the
    /// error says what differs.
    pub fn load(&self, scenario: &Scenario, fixed_world: bool) -> Result<Vec<Replicate>, String> {
        let path = self.dir.join("manifest.json");
        let text = std::fs::read(&path).map_err(|e| {
            format!("--resume: cannot read {}: {e} (is this the folder of an interrupted compare?)", path.display())
        })?;
        let mut saved: Manifest = serde_json::from_slice(&text)
            .map_err(|e| format!("--resume: {} is not a manifest feedsim wrote: {e}", path.display()))?;
        let mut now = Self::manifest(scenario, fixed_world);
        // Where the file was read from does not matter, only what it says.
        let [was, is] = [&mut saved, &mut now].map(|m| {
            let mut v: serde_json::Value = toml::from_str(&m.scenario).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                o.remove("source");
            }
            v
        });
        if saved.feedsim_version != now.feedsim_version {
            return Err(format!(
                "--resume: {} was written by feedsim {}, this is feedsim {}; start the compare again",
                path.display(),
                saved.feedsim_version,
                now.feedsim_version
            ));
        }
        if saved.fixed_world != now.fixed_world {
            return Err(format!(
                "--resume: {} was written {} --fixed-world; give the same flags",
                path.display(),
                if saved.fixed_world { "with" } else { "without" }
            ));
        }
        if was.is_null() || was != is {
            let first = first_difference(&was, &is, String::new());
            return Err(format!(
                "--resume: {} was written for another scenario or overrides (first difference: {first}); \
                 rerun the original command",
                path.display()
            ));
        }
        let mut done = Vec::new();
        for e in std::fs::read_dir(&self.dir).map_err(|e| format!("{}: {e}", self.dir.display()))?.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if !(name.starts_with('r') && name.ends_with(".json")) {
                continue;
            }
            let bytes = std::fs::read(e.path()).map_err(|err| format!("{}: {err}", e.path().display()))?;
            let r: Replicate = serde_json::from_slice(&bytes)
                .map_err(|err| format!("--resume: {} is damaged: {err}", e.path().display()))?;
            done.push(r);
        }
        done.sort_by_key(|r| r.index);
        Ok(done)
    }
}

/// The dotted path of the first place where two JSON values differ.
fn first_difference(a: &serde_json::Value, b: &serde_json::Value, at: String) -> String {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x {
                let here = if at.is_empty() { k.clone() } else { format!("{at}.{k}") };
                match y.get(k) {
                    Some(w) if w == v => {}
                    Some(w) => return first_difference(v, w, here),
                    None => return here,
                }
            }
            y.keys().find(|k| !x.contains_key(*k)).map_or(at.clone(), |k| format!("{at}.{k}"))
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find(|(_, (v, w))| v != w)
            .map_or(at.clone(), |(i, (v, w))| first_difference(v, w, format!("{at}[{i}]"))),
        _ => format!("{at} ({a} then, {b} now)"),
    }
}
