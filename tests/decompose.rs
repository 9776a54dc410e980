//! `feedsim decompose`: a full factorial over two-level factors, run as one paired
//! compare, written as decomposition.json and decomposition.csv. (The factorial
//! arithmetic on synthetic data is unit-tested in src/study/decompose.rs.)

mod common;

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

fn feedsim() -> Command {
    Command::cargo_bin("feedsim").unwrap()
}

fn quickstart() -> String {
    common::scenario_path("quickstart.toml").to_str().unwrap().to_string()
}

const FACTORS: [&str; 4] = ["--factor", "feed.follower_weight=0.1,0.8", "--factor", "feed.popularity_weight=0.2,0.5"];
const SMALL: [&str; 6] = ["--set", "world.users=2000", "--set", "ticks=6", "--replicates", "3"];

fn decompose_into(out: &Path, threads: &str, extra: &[&str]) -> std::process::Output {
    feedsim()
        .args(["decompose", &quickstart()])
        .args(FACTORS)
        .args(SMALL)
        .args(["--threads", threads, "--out", out.to_str().unwrap()])
        .args(extra)
        .assert()
        .success()
        .get_output()
        .clone()
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn two_factors_give_effects_whose_contributions_add_up_to_the_difference() {
    let dir = tempfile::tempdir().unwrap();
    let one = dir.path().join("one");
    let out = decompose_into(&one, "1", &[]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("all B − all A"), "{stdout}");
    assert!(stdout.contains("feed.follower_weight:feed.popularity_weight"), "{stdout}");

    let csv = std::fs::read_to_string(one.join("decomposition.csv")).unwrap();
    assert_eq!(csv.lines().next().unwrap(), "metric,term,estimate,ci_low,ci_high,contribution,share");
    let doc = json(&one.join("decomposition.json"));
    assert_eq!(doc["replicates"], 3);
    assert_eq!(doc["base_variant"], "two_column");
    assert_eq!(doc["factors"][0]["key"], "feed.follower_weight");
    assert_eq!(doc["factors"][1]["levels"], serde_json::json!(["0.2", "0.5"]));
    let cells: Vec<&str> = doc["cells"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(
        cells,
        [
            "feed.follower_weight=0.1,feed.popularity_weight=0.2",
            "feed.follower_weight=0.1,feed.popularity_weight=0.5",
            "feed.follower_weight=0.8,feed.popularity_weight=0.2",
            "feed.follower_weight=0.8,feed.popularity_weight=0.5",
        ]
    );
    assert_eq!(
        doc["terms"],
        serde_json::json!([
            "feed.follower_weight",
            "feed.popularity_weight",
            "feed.follower_weight:feed.popularity_weight"
        ])
    );
    let metrics = doc["metrics"].as_object().unwrap();
    assert!(metrics.contains_key("creator_impressions_gini"));
    assert_eq!(csv.lines().count(), 1 + 3 * metrics.len(), "one row per metric and term");

    // The replicates compare saved: each cell's own values, to check against.
    let reps: Vec<Value> = (0..3).map(|r| json(&one.join(format!("replicates/r{r:05}.json")))).collect();
    for (metric, m) in metrics {
        let d = m["difference"]["estimate"].as_f64().unwrap();
        let terms = m["terms"].as_array().unwrap();
        let sum: f64 = terms.iter().map(|t| t["contribution"].as_f64().unwrap()).sum();
        assert!((d - sum).abs() <= 1e-9, "{metric}: difference {d} but contributions sum to {sum}");
        let direct: f64 = reps
            .iter()
            .map(|r| r["metrics"][3][metric].as_f64().unwrap() - r["metrics"][0][metric].as_f64().unwrap())
            .sum::<f64>()
            / 3.0;
        assert!((d - direct).abs() <= 1e-9 * (1.0 + d.abs()), "{metric}: {d} vs all B − all A {direct}");
        // Main effect of the first factor: mean at B minus mean at A.
        let main: f64 = reps
            .iter()
            .map(|r| {
                let y = |c: usize| r["metrics"][c][metric].as_f64().unwrap();
                (y(2) + y(3) - y(0) - y(1)) / 2.0
            })
            .sum::<f64>()
            / 3.0;
        let est = terms[0]["estimate"].as_f64().unwrap();
        assert!((est - main).abs() <= 1e-9 * (1.0 + main.abs()), "{metric}: {est} vs {main}");
        assert_eq!(terms[2]["contribution"].as_f64().unwrap(), 0.0, "a two-way interaction adds to both corners");
        let shares: Vec<Option<f64>> = terms.iter().map(|t| t["share"].as_f64()).collect();
        if shares.iter().all(Option::is_some) {
            let total: f64 = shares.iter().flatten().sum();
            assert!((total - 1.0).abs() < 1e-9, "{metric}: shares sum to {total}");
        } else {
            assert!(shares.iter().all(Option::is_none) && terms.iter().all(|t| t["share"].is_null()));
        }
        for t in terms {
            let (lo, e, hi) =
                (t["ci_low"].as_f64().unwrap(), t["estimate"].as_f64().unwrap(), t["ci_high"].as_f64().unwrap());
            assert!(lo <= e && e <= hi, "{metric} {}: {lo} {e} {hi}", t["term"]);
        }
    }
    assert!(!csv.contains("NaN") && !csv.contains("nan"));

    // Bit-identical on two threads.
    let two = dir.path().join("two");
    decompose_into(&two, "2", &["--quiet"]);
    for f in ["decomposition.json", "decomposition.csv"] {
        assert_eq!(std::fs::read(one.join(f)).unwrap(), std::fs::read(two.join(f)).unwrap(), "{f} differs");
    }

    // A finished folder is refused without --force; --resume reuses its replicates.
    let again = feedsim()
        .args(["decompose", &quickstart()])
        .args(FACTORS)
        .args(SMALL)
        .args(["--quiet", "--out", one.to_str().unwrap()])
        .assert()
        .code(2);
    assert!(String::from_utf8_lossy(&again.get_output().stderr).contains("--force"));
    let before = std::fs::read(one.join("decomposition.json")).unwrap();
    decompose_into(&one, "2", &["--quiet", "--resume"]);
    assert_eq!(before, std::fs::read(one.join("decomposition.json")).unwrap());
    // Resuming with another design is refused, naming both.
    let other = feedsim()
        .args(["decompose", &quickstart()])
        .args(FACTORS)
        .args(["--factor", "feed.signal_noise=0,0.5"])
        .args(SMALL)
        .args(["--quiet", "--resume", "--out", one.to_str().unwrap()])
        .assert()
        .code(2);
    let e = String::from_utf8_lossy(&other.get_output().stderr).to_string();
    assert!(e.contains("4 cells") && e.contains("8 cells") && e.contains("original command"), "{e}");

    // `feedsim report` draws a decompose folder.
    feedsim().args(["report", one.to_str().unwrap()]).assert().success();
    let html = std::fs::read_to_string(one.join("report.html")).unwrap();
    for id in ["decompose-creator_impressions_gini", "fig-decompose-top1pct_share", "decompose-table"] {
        assert!(html.contains(&format!("id=\"{id}\"")), "{id} is missing");
    }
}

#[test]
fn bad_factors_are_refused_before_running() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("never");
    let err = |extra: &[&str]| {
        let a = feedsim()
            .args(["decompose", &quickstart(), "--quiet", "--out", out.to_str().unwrap()])
            .args(["--set", "world.users=2000", "--set", "ticks=2"])
            .args(extra)
            .assert()
            .code(2);
        String::from_utf8(a.get_output().stderr.clone()).unwrap()
    };
    let fw = ["--factor", "feed.follower_weight=0.1,0.8"];
    // An unknown key: the message --set gives.
    let set = feedsim().args(["validate", &quickstart(), "--set", "feed.nope=1"]).assert().code(2);
    let set = String::from_utf8(set.get_output().stderr.clone()).unwrap();
    let e = err(&["--factor", "feed.nope=1,2"]);
    let tail = |s: &str| s.split_once(": `").map(|(_, t)| t.trim().to_string()).unwrap();
    assert!(e.contains("--factor feed.nope=1,2"), "{e}");
    assert_eq!(tail(&e), tail(&set), "{e} vs {set}");
    // Not two levels.
    for bad in ["feed.follower_weight=0.1", "feed.follower_weight=0.1,0.4,0.8"] {
        let e = err(&["--factor", bad]);
        assert!(e.contains(bad) && e.contains("exactly two levels"), "{e}");
    }
    // A factor given twice.
    let e = err(&[fw[0], fw[1], "--factor", "feed.follower_weight=0.2,0.3"]);
    assert!(e.contains("feed.follower_weight") && e.contains("twice"), "{e}");
    // A value that does not parse.
    let e = err(&["--factor", "feed.follower_weight=0.1,abc"]);
    assert!(e.contains("feed.follower_weight") && e.contains("abc"), "{e}");
    let e = err(&["--factor", "feed.layout=two_column,sideways"]);
    assert!(e.contains("sideways") && e.contains("single_column"), "{e}");
    // A cell that does not validate is named.
    let e = err(&["--factor", "world.friends_mean=8,10"]);
    assert!(e.contains("cell `world.friends_mean=10`") && e.contains("one world"), "{e}");
    // Fewer than 2 replicates.
    let e = err(&[fw[0], fw[1], "--replicates", "1"]);
    assert!(e.contains("--replicates") && e.contains("2 to 100000"), "{e}");
    // More than 6 factors.
    let many: Vec<String> = (0..7).flat_map(|i| ["--factor".to_string(), format!("feed.k{i}=1,2")]).collect();
    let e = err(&many.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(e.contains("7 factors") && e.contains("at most 6"), "{e}");
    // A key both a factor and a --set; an unknown base variant.
    let e = err(&[fw[0], fw[1], "--set", "feed.follower_weight=0.3"]);
    assert!(e.contains("either a factor or a --set"), "{e}");
    let e = err(&[fw[0], fw[1], "--variant", "nope"]);
    assert!(e.contains("no variant `nope`") && e.contains("two_column, single_column"), "{e}");
    assert!(!out.join("decomposition.json").exists(), "nothing ran");
}
