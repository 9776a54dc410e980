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

#[test]
fn check_passes_on_fresh_baselines_and_fails_outside_tolerance() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("baselines");
    let b = base.to_str().unwrap();
    let assert = feedsim()
        .args(["check", "--update", "--baselines", b, "--scenario", "scenarios/quickstart.toml"])
        .args(["--replicates", "3", "--set", "world.users=2000", "--set", "ticks=8", "--threads", "2"])
        .assert()
        .success();
    let out = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(out.contains("updated") && out.contains("quickstart.json"), "{out}");
    let file = base.join("quickstart.json");
    let doc = read(&file);
    assert_eq!(doc["settings"]["replicates"], 3);
    assert_eq!(doc["settings"]["overrides"], serde_json::json!(["world.users=2000", "ticks=8"]));
    let gini = &doc["variants"][1]["metrics"]["creator_impressions_gini"];
    let (sd, tol) = (gini["sd"].as_f64().unwrap(), gini["tolerance"].as_f64().unwrap());
    assert!(tol > 0.0 && (sd == 0.0 || tol > sd), "tolerance {tol} from sd {sd}");

    // Same seeds, same model: exactly reproduced.
    feedsim().args(["check", "--baselines", b, "--threads", "1"]).assert().success();
    // Within tolerance still passes.
    nudge(&file, "single_column", "creator_impressions_gini", 0.5);
    feedsim().args(["check", "--baselines", b, "--threads", "2"]).assert().success();
    // Outside fails with a readable table.
    let expected = nudge(&file, "single_column", "creator_impressions_gini", 2.5);
    let assert = feedsim().args(["check", "--baselines", b, "--threads", "2"]).assert().code(1);
    let out = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    for col in ["scenario", "variant", "metric", "expected", "got", "tolerance"] {
        assert!(out.contains(col), "the table lacks the column {col}: {out}");
    }
    let row = out.lines().find(|l| l.contains("creator_impressions_gini")).unwrap_or_else(|| panic!("{out}"));
    assert!(row.contains("quickstart") && row.contains("single_column"), "{row}");
    assert!(row.contains(&format!("{expected:.6}")), "{row}");
    assert!(row.contains("3.0×tol"), "{row}");
    assert_eq!(out.lines().filter(|l| l.starts_with("quickstart ")).count(), 1, "only the nudged metric fails: {out}");
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
    assert!(err(&["check", "--update", "--baselines", d, "--scenario", "nope.toml"]).contains("nope.toml"));
}
