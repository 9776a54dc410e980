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
    // A plain key applies to every variant, and each is validated before anything runs.
    let e = err(&["--param", "feed.slate_size=1,65"]);
    assert!(e.contains("feed.slate_size") && e.contains("1 to 64"), "{e}");
    assert!(err(&["--param", "variants.nope.feed.slate_size=1"]).contains("no variant `nope`"));
    assert!(err(&["--param", "feed.nope=1"]).contains("feed.nope"));
}

const GRID: [&str; 4] = ["--param", "feed.follower_weight=0.1,0.5,0.9", "--replicates", "2"];

fn sweep_into(out: &std::path::Path, users: &str, extra: &[&str]) -> std::process::Output {
    feedsim()
        .args(["sweep", common::scenario_path("quickstart.toml").to_str().unwrap(), "--quiet"])
        .args(GRID)
        .args(["--set", users, "--set", "ticks=4", "--threads", "2", "--out", out.to_str().unwrap()])
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn an_interrupted_sweep_resumes_to_the_uninterrupted_results() {
    let dir = tempfile::tempdir().unwrap();
    let (full, cut) = (dir.path().join("full"), dir.path().join("cut"));
    assert!(sweep_into(&full, "world.users=1500", &[]).status.success());
    let whole: serde_json::Value = serde_json::from_slice(&std::fs::read(full.join("sweep.json")).unwrap()).unwrap();
    assert_eq!(whole["partial"], false);
    // What an interruption after the first point leaves: sweep.json with that point only.
    let mut first = whole.clone();
    first["points"].as_array_mut().unwrap().truncate(1);
    first["partial"] = true.into();
    std::fs::create_dir_all(&cut).unwrap();
    std::fs::write(cut.join("sweep.json"), serde_json::to_vec_pretty(&first).unwrap()).unwrap();
    // Without --resume the folder is refused; another command's sweep is not resumed.
    assert_eq!(sweep_into(&cut, "world.users=1500", &[]).status.code(), Some(2));
    let other = sweep_into(&cut, "world.users=1600", &["--resume"]);
    assert_eq!(other.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&other.stderr).contains("--set"), "{}", String::from_utf8_lossy(&other.stderr));
    let o = sweep_into(&cut, "world.users=1500", &["--resume"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for f in ["sweep.json", "sweep.csv"] {
        assert!(std::fs::read(full.join(f)).unwrap() == std::fs::read(cut.join(f)).unwrap(), "{f} differs");
    }
}

#[test]
fn sigint_ends_a_sweep_after_the_running_point_with_the_points_done() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sweep");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("feedsim"))
        .args(["sweep", common::scenario_path("quickstart.toml").to_str().unwrap(), "--quiet"])
        .args(["--param", "feed.follower_weight=0.1:0.9:0.1", "--replicates", "2", "--threads", "1"])
        .args(["--set", "world.users=20000", "--set", "ticks=10", "--out", out.to_str().unwrap()])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let json = out.join("sweep.json");
    let start = std::time::Instant::now();
    while !json.exists() {
        assert!(start.elapsed().as_secs() < 120, "no point finished");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let sent = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(sent.success());
    assert_eq!(child.wait().unwrap().code(), Some(130));
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(doc["partial"], true);
    let done = doc["points"].as_array().unwrap().len();
    assert!((1..9).contains(&done), "{done} points");
}
