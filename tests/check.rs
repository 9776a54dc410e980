//! `feedsim check`: baselines rerun deterministically, fail when a value moves beyond
//! its tolerance, and refuse bad input.

mod common;

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

fn feedsim() -> Command {
    let mut c = Command::cargo_bin("feedsim").unwrap();
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

fn read(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// Moves `variant`'s `metric` in a baseline file by `k` tolerances; returns the new expected value.
fn nudge(path: &Path, variant: &str, metric: &str, k: f64) -> f64 {
    let mut b = read(path);
    let v = b["variants"].as_array_mut().unwrap().iter_mut().find(|v| v["name"] == variant).unwrap();
    let e = &mut v["metrics"][metric];
    let moved = e["mean"].as_f64().unwrap() + k * e["tolerance"].as_f64().unwrap();
    e["mean"] = moved.into();
    std::fs::write(path, serde_json::to_vec_pretty(&b).unwrap()).unwrap();
    moved
}

/// The `--informational` flags a refusal suggests.
fn suggested_flags(refusal: &str) -> Vec<String> {
    let line = refusal.lines().find(|l| l.trim_start().starts_with("feedsim check --update")).unwrap_or_else(|| {
        panic!("the refusal suggests no command: {refusal}");
    });
    line.split(" --informational ")
        .skip(1)
        .flat_map(|p| ["--informational".into(), p.trim_matches('\'').to_string()])
        .collect()
}

#[test]
fn check_passes_on_fresh_baselines_and_fails_outside_tolerance() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("baselines");
    let b = base.to_str().unwrap();
    let update = |extra: &[String]| {
        let mut c = feedsim();
        c.args(["check", "--update", "--baselines", b, "--scenario", "scenarios/quickstart.toml"])
            .args(["--replicates", "6", "--set", "world.users=2000", "--set", "ticks=8", "--threads", "2"])
            .args(extra);
        c.assert()
    };
    // A small world and few replicates: some checks cannot detect a change of their own
    // size, and the update refuses them, saying what to do, and writes nothing.
    let file = base.join("quickstart.json");
    let flags = {
        let a = update(&[]);
        let out = a.get_output();
        if out.status.code() == Some(2) {
            let err = String::from_utf8(out.stderr.clone()).unwrap();
            for part in
                ["refused to write", "quickstart", "--replicates", "world.users", "--informational", "detectable"]
            {
                assert!(err.contains(part), "the refusal lacks {part:?}: {err}");
            }
            assert!(!file.exists(), "a refused baseline is not written");
            suggested_flags(&err)
        } else {
            assert!(out.status.success(), "{out:?}");
            Vec::new()
        }
    };
    // With the suggested metrics informational it is written.
    let assert = update(&flags).success();
    let out = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(out.contains("updated") && out.contains("quickstart.json") && out.contains("informational"), "{out}");
    let doc = read(&file);
    assert_eq!(doc["format"], 2);
    assert_eq!(doc["settings"]["replicates"], 6);
    assert_eq!(doc["settings"]["overrides"], serde_json::json!(["world.users=2000", "ticks=8"]));
    assert_eq!(doc["settings"]["informational"].as_array().unwrap().len(), flags.len() / 2);
    let gini = &doc["variants"][1]["metrics"]["creator_impressions_gini"];
    let (sd, tol) = (gini["sd"].as_f64().unwrap(), gini["tolerance"].as_f64().unwrap());
    assert!(tol > 0.0 && (sd == 0.0 || tol > sd), "tolerance {tol} from sd {sd}");
    assert_eq!((gini["scale"].as_str(), gini["informational"].as_bool()), (Some("linear"), Some(false)));
    assert!(gini["detectable_change"].as_f64().unwrap() <= 1.0);
    let impressions = &doc["variants"][1]["metrics"]["impressions"];
    assert_eq!(impressions["scale"], "log1p", "a count is compared on the log scale");
    assert!(impressions["log1p_mean"].as_f64().unwrap() > 0.0);

    // Same seeds, same model: exactly reproduced; the output counts informational checks
    // and shows the smallest detectable change.
    let assert = feedsim().args(["check", "--baselines", b, "--threads", "1"]).assert().success();
    let out = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    let info = doc["variants"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|v| v["metrics"].as_object().unwrap().values())
        .filter(|e| e["informational"] == true)
        .count();
    assert!(out.contains(&format!("{info} informational")) && out.contains("smallest detectable change"), "{out}");
    assert!(!out.contains("bit for bit"), "an exact rerun is not told to update: {out}");
    // Within tolerance still passes, with a note that the baseline is no longer exact.
    nudge(&file, "single_column", "creator_impressions_gini", 0.5);
    let assert = feedsim().args(["check", "--baselines", b, "--threads", "2"]).assert().success();
    let out = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(out.contains("note: 1 of") && out.contains("bit for bit") && out.contains("--update"), "{out}");
    // Outside fails with a readable table.
    let expected = nudge(&file, "single_column", "creator_impressions_gini", 2.5);
    let assert = feedsim().args(["check", "--baselines", b, "--threads", "2"]).assert().code(1);
    let out = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    for col in ["scenario", "variant", "metric", "scale", "expected", "got", "tolerance", "detectable"] {
        assert!(out.contains(col), "the table lacks the column {col}: {out}");
    }
    let row = out.lines().find(|l| l.contains("creator_impressions_gini")).unwrap_or_else(|| panic!("{out}"));
    assert!(row.contains("quickstart") && row.contains("single_column"), "{row}");
    assert!(row.contains(&format!("{expected:.6}")), "{row}");
    assert!(row.contains("3.0×tol"), "{row}");
    assert_eq!(out.lines().filter(|l| l.starts_with("quickstart ")).count(), 1, "only the nudged metric fails: {out}");
    // --verbose lists every check with its status.
    let assert = feedsim().args(["check", "--baselines", b, "--threads", "2", "--verbose"]).assert().code(1);
    let out = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert_eq!(out.lines().filter(|l| l.ends_with("  FAIL")).count(), 1, "{out}");
    assert!(info == 0 || out.lines().any(|l| l.contains("  info")), "{out}");
}

#[test]
fn committed_baseline_fails_when_nudged_outside_its_tolerance() {
    let dir = tempfile::tempdir().unwrap();
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("results/baselines/quickstart.json");
    let file = dir.path().join("quickstart.json");
    std::fs::copy(&committed, &file).unwrap();
    nudge(&file, "two_column", "top1pct_share", -4.0);
    let assert = feedsim().args(["check", "--baselines", dir.path().to_str().unwrap()]).assert().code(1);
    let out = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(
        out.lines().any(|l| l.contains("two_column") && l.contains("top1pct_share")),
        "the nudged metric is reported: {out}"
    );
}

#[test]
fn check_refuses_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    // An empty folder, a missing folder, an unknown scenario, a broken file.
    let err = |args: &[&str]| {
        let a = feedsim().args(args).assert().code(2);
        String::from_utf8(a.get_output().stderr.clone()).unwrap()
    };
    assert!(err(&["check", "--baselines", d]).contains("no baselines"));
    assert!(err(&["check", "--baselines", &format!("{d}/missing")]).contains("cannot read the baselines folder"));
    std::fs::write(dir.path().join("broken.json"), "{}").unwrap();
    assert!(err(&["check", "--baselines", d]).contains("not a feedsim baseline"));
    assert!(err(&["check", "--baselines", d, "--scenario", "nope"]).contains("no baseline"));
    assert!(err(&["check", "--replicates", "3"]).contains("only apply with --update"));
    assert!(err(&["check", "--informational", "hhi"]).contains("only apply with --update"));
    assert!(err(&["check", "--update", "--baselines", d, "--scenario", "nope.toml"]).contains("nope.toml"));
}
