//! `feedsim sweep`: a grid of compare runs written as tidy CSV and JSON.

mod common;

use assert_cmd::Command;

fn feedsim() -> Command {
    Command::cargo_bin("feedsim").unwrap()
}

#[test]
fn sweep_writes_one_row_per_point_variant_and_metric() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sweep");
    let assert = feedsim()
        .args(["sweep", common::scenario_path("quickstart.toml").to_str().unwrap()])
        .args(["--param", "feed.follower_weight=0.1:0.8:0.7", "--param", "variants.two_column.feed.slate_size=1,3"])
        .args(["--replicates", "2", "--set", "world.users=2000", "--set", "ticks=6", "--threads", "2"])
        .args(["--out", out.to_str().unwrap()])
        .assert()
        .success();
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(stdout.contains("Gini two_column - single_column"), "{stdout}");
    let csv = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    let header = csv.lines().next().unwrap();
    assert_eq!(
        header,
        "feed.follower_weight,variants.two_column.feed.slate_size,kind,variant,metric,n,mean,sd,ci_low,ci_high"
    );
    let gini: Vec<&str> =
        csv.lines().filter(|l| l.contains(",difference,two_column-single_column,creator_impressions_gini,")).collect();
    assert_eq!(gini.len(), 4, "one difference row per grid point");
    for (row, (fw, k)) in gini.iter().zip([("0.1", "1"), ("0.1", "3"), ("0.8", "1"), ("0.8", "3")]) {
        assert!(row.starts_with(&format!("{fw},{k},")), "{row}");
    }
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("sweep.json")).unwrap()).unwrap();
    assert_eq!(json["points"].as_array().unwrap().len(), 4);
    assert_eq!(json["params"][1]["values"], serde_json::json!(["1", "3"]));
    // The report of a sweep folder.
    feedsim().args(["report", out.to_str().unwrap()]).assert().success();
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("id=\"sweep-creator_impressions_gini\""));
}

#[test]
fn sweep_refuses_bad_parameters_before_running() {
    let q = common::scenario_path("quickstart.toml");
    let q = q.to_str().unwrap();
    let err = |extra: &[&str]| {
        let a = feedsim().args(["sweep", q, "--replicates", "2"]).args(extra).assert().code(2);
        String::from_utf8(a.get_output().stderr.clone()).unwrap()
    };
    assert!(err(&["--param", "feed.follower_weight"]).contains("KEY=LIST"));
    assert!(err(&["--param", "feed.follower_weight=1:0:1"]).contains("STOP >= START"));
    // single_column must keep a slate of 1: a plain key applies to every variant.
    let e = err(&["--param", "feed.slate_size=1,3"]);
    assert!(e.contains("feed.slate_size") && e.contains("single_column"), "{e}");
    assert!(err(&["--param", "variants.nope.feed.slate_size=1"]).contains("no variant `nope`"));
    assert!(err(&["--param", "feed.nope=1"]).contains("feed.nope"));
}
