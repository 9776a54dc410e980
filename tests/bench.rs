//! `feedsim bench` runs the quickstart scenario at a given size and writes bench.json.

mod common;

use assert_cmd::Command;

#[test]
fn bench_writes_its_figures() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("b");
    let scenario = common::scenario_path("quickstart.toml");
    let assert = Command::cargo_bin("feedsim")
        .unwrap()
        .args(["bench", "--users", "2000", "--ticks", "3", "--threads", "1"])
        .args(["--scenario", scenario.to_str().unwrap(), "--out", out.to_str().unwrap()])
        .assert()
        .success();
    let table = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    for column in ["impressions/s", "peak RSS", "bytes/user", "choose + engage", "distribute"] {
        assert!(table.contains(column), "table lacks `{column}`:\n{table}");
    }
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("bench.json")).unwrap()).unwrap();
    assert_eq!(json["users"], 2000);
    assert_eq!(json["ticks"], 3);
    assert_eq!(json["threads"], 1);
    assert!(json["impressions_per_second"].as_f64().unwrap() > 0.0);
    assert!(json["peak_rss_bytes"].as_u64().unwrap() > 0);
    assert!(json["bytes_per_user"].as_f64().unwrap() > 0.0);
    // The reference kernel timed beside the model, and the model's speed against it.
    let reference = json["reference_impressions_per_second"].as_f64().unwrap();
    let ratio = json["ratio_to_reference"].as_f64().unwrap();
    assert!(reference > 0.0, "{json}");
    let ips = json["impressions_per_second"].as_f64().unwrap();
    assert!((ratio - ips / reference).abs() <= 1e-9 * ratio.abs().max(1.0), "{json}");
    assert!(table.contains("reference kernel"), "{table}");
    assert!(json["wall_seconds"].as_f64().unwrap() > 0.0);
    assert!(json["cpu_seconds"].as_f64().unwrap() > 0.0);
    for phase in ["post", "distribute", "choose_engage", "review", "account"] {
        assert!(json["phase_seconds"][phase].as_f64().is_some(), "phase_seconds.{phase}");
    }
    // Each feed's share: the variants' impressions add up to the run's, and their user
    // phases to its user phase.
    let variants = json["by_variant"].as_array().unwrap();
    let names: Vec<&str> = variants.iter().map(|v| v["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["two_column", "single_column"]);
    let sum = |key: &str| variants.iter().map(|v| v[key].as_f64().unwrap()).sum::<f64>();
    assert_eq!(sum("impressions"), json["impressions"].as_f64().unwrap());
    let user_phase = json["phase_seconds"]["choose_engage"].as_f64().unwrap();
    assert!((sum("user_phase_seconds") - user_phase).abs() <= 1e-9 * user_phase.max(1.0), "{json}");
    for v in variants {
        assert!(v["decisions"].as_u64().unwrap() > 0, "{v}");
        assert!(v["user_phase_ns_per_impression"].as_f64().unwrap() > 0.0, "{v}");
    }
    assert!(table.contains("single_column:"), "{table}");
}

#[test]
fn bench_rejects_a_bad_override() {
    let scenario = common::scenario_path("quickstart.toml");
    Command::cargo_bin("feedsim")
        .unwrap()
        .args(["bench", "--users", "2000", "--ticks", "2", "--set", "feed.nonsense=1", "--quiet"])
        .args(["--scenario", scenario.to_str().unwrap(), "--out", "/nonexistent/never"])
        .assert()
        .code(2);
}
