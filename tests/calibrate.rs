//! `feedsim calibrate`: parameter recovery, identification, determinism, resume and
//! bad input.
//!
//! The recovery tests generate targets by one run of the quickstart scenario at known
//! values with another seed than the calibration's (an observed figure is one world,
//! not the calibration's own replicates), then check that the fit finds the values
//! again and that the posterior interval covers them.

mod common;

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

fn feedsim() -> Command {
    Command::cargo_bin("feedsim").unwrap()
}

/// A small world: about half a second per replicate of one variant. At 2 000 users one
/// observed run was too noisy to pin the follower weight down once its prior fades with
/// a note's evidence (interval [0.40, 0.95] at a truth of 0.5).
const SMALL: [&str; 4] = ["--set", "world.users=4000", "--set", "ticks=8"];
/// The true values the targets are generated at.
const TRUE_FOLLOWER_WEIGHT: f64 = 0.5;
const TRUE_OUTSIDE_OPTION: f64 = 3.5;
/// Tolerance of recovery: the best point within this share of each range of the truth.
const TOLERANCE: f64 = 0.15;

/// Writes targets from one run at the true values, with seed 777 (the calibration runs
/// on the quickstart seed), for the two-column variant.
fn observed_targets(dir: &Path) -> std::path::PathBuf {
    let s = common::load(
        "quickstart.toml",
        &[
            "world.users=4000",
            "ticks=8",
            &format!("feed.follower_weight={TRUE_FOLLOWER_WEIGHT}"),
            &format!("response.outside_option={TRUE_OUTSIDE_OPTION}"),
            "seed=777",
        ],
    );
    let out = common::run_on(&s, 2);
    let m = &out.variants.iter().find(|v| v.name == "two_column").unwrap().metrics;
    let mut text = String::new();
    for metric in ["read_rate", "follower_elasticity", "creator_impressions_gini"] {
        text.push_str(&format!(
            "[[target]]\nvariant = \"two_column\"\nmetric = \"{metric}\"\nvalue = {}\nsource = \"test: one run at \
             follower_weight {TRUE_FOLLOWER_WEIGHT}, outside_option {TRUE_OUTSIDE_OPTION}, seed 777\"\n\n",
            m[metric]
        ));
    }
    let path = dir.join("targets.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn calibrate(targets: &Path, out: &Path, params: &[&str], budget: &str, extra: &[&str]) -> std::process::Output {
    let mut cmd = feedsim();
    cmd.args(["calibrate", common::scenario_path("quickstart.toml").to_str().unwrap(), "--quiet"])
        .args(["--targets", targets.to_str().unwrap()]);
    for p in params {
        cmd.args(["--param", p]);
    }
    cmd.args(["--replicates", "4", "--budget", budget])
        .args(SMALL)
        .args(["--out", out.to_str().unwrap()])
        .args(extra)
        .output()
        .unwrap()
}

fn read(out: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(out.join("calibration.json")).unwrap()).unwrap()
}

fn describe(doc: &Value) -> String {
    format!("best {} uncertainty {}", doc["best"], doc["uncertainty"])
}

#[test]
fn two_parameters_are_recovered_and_covered() {
    let dir = tempfile::tempdir().unwrap();
    let targets = observed_targets(dir.path());
    let out = dir.path().join("fit");
    let o = calibrate(
        &targets,
        &out,
        &["feed.follower_weight=0:1", "response.outside_option=2:5"],
        "40",
        &["--threads", "2", "--report"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let doc = read(&out);
    eprintln!("recovery: {}", describe(&doc));
    assert_eq!(doc["partial"], false);
    assert_eq!(doc["history"].as_array().unwrap().len(), 40);
    for (key, truth, lo, hi) in [
        ("feed.follower_weight", TRUE_FOLLOWER_WEIGHT, 0.0, 1.0),
        ("response.outside_option", TRUE_OUTSIDE_OPTION, 2.0, 5.0),
    ] {
        let best = doc["best"][key].as_f64().unwrap();
        assert!((best - truth).abs() <= TOLERANCE * (hi - lo), "{key}: best {best}, true {truth}; {}", describe(&doc));
        let u = &doc["uncertainty"]["params"][key];
        let (low, high) = (u["low"].as_f64().unwrap(), u["high"].as_f64().unwrap());
        assert!(low <= truth && truth <= high, "{key}: interval [{low}, {high}] misses {truth}");
        assert_eq!(u["identified"], true, "{key}: {u}");
    }
    // Every target has its fit at the best point, with an interval.
    let fit = doc["fit"].as_array().unwrap();
    assert_eq!(fit.len(), 3);
    for f in fit {
        assert!(f["ci_low"].as_f64().unwrap() <= f["mean"].as_f64().unwrap());
        assert_eq!(f["variant"], "two_column");
    }
    let csv = std::fs::read_to_string(out.join("calibration.csv")).unwrap();
    assert_eq!(
        csv.lines().next().unwrap(),
        "index,round,feed.follower_weight,response.outside_option,distance,weight,two_column.read_rate,\
         two_column.follower_elasticity,two_column.creator_impressions_gini"
    );
    assert_eq!(csv.lines().count(), 41);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("id=\"calibrate-fit\"") && html.contains("id=\"calibrate-params\""));
}

#[test]
fn a_parameter_the_targets_do_not_see_is_reported_as_not_identified() {
    // The 5A journey's ask → act rate moves conversions, not reads or reach: the targets
    // (read rate, follower elasticity, creator Gini) cannot pin it down.
    let dir = tempfile::tempdir().unwrap();
    let targets = observed_targets(dir.path());
    let out = dir.path().join("fit");
    let o = calibrate(
        &targets,
        &out,
        &["feed.follower_weight=0:1", "journey.act_per_read=0.05:0.95"],
        "40",
        &["--threads", "2"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let doc = read(&out);
    eprintln!("identification: {}", describe(&doc));
    let act = &doc["uncertainty"]["params"]["journey.act_per_read"];
    assert_eq!(act["identified"], false, "{act}");
    assert!(act["range_share"].as_f64().unwrap() > 0.5, "{act}");
    // The follower weight beside it is still pinned down. Whether its interval covers
    // the truth is asserted once, in the recovery test: a 95 % interval misses on one
    // seed in twenty, and here (4 000 users, the act rate beside it) it gave
    // [0.562, 0.738] against a truth of 0.5.
    let fw = &doc["uncertainty"]["params"]["feed.follower_weight"];
    assert_eq!(fw["identified"], true, "{fw}");
}

const TINY: [&str; 4] = ["--set", "world.users=1500", "--set", "ticks=4"];

fn tiny(targets: &Path, out: &Path, threads: &str, extra: &[&str]) -> std::process::Output {
    feedsim()
        .args(["calibrate", common::scenario_path("quickstart.toml").to_str().unwrap(), "--quiet"])
        .args(["--targets", targets.to_str().unwrap(), "--param", "feed.follower_weight=0:1"])
        .args(["--replicates", "2", "--budget", "10", "--threads", threads])
        .args(TINY)
        .args(["--out", out.to_str().unwrap()])
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn results_do_not_depend_on_threads_and_resume_to_the_uninterrupted_ones() {
    let dir = tempfile::tempdir().unwrap();
    let targets = dir.path().join("t.toml");
    std::fs::write(
        &targets,
        "[[target]]\nmetric = \"creator_impressions_gini\"\nvalue = 0.95\nsource = \"test\"\n\n\
         [[target]]\nvariant = \"single_column\"\nmetric = \"read_rate\"\nvalue = 0.6\nweight = 2\nsource = \"test\"\n",
    )
    .unwrap();
    let (full, cut) = (dir.path().join("full"), dir.path().join("cut"));
    let o = tiny(&targets, &full, "2", &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let whole = read(&full);
    // A target without a variant is matched on each variant.
    assert_eq!(whole["terms"].as_array().unwrap().len(), 3);
    // What an interruption after three evaluations leaves.
    let mut first = whole.clone();
    first["history"].as_array_mut().unwrap().truncate(3);
    first["partial"] = true.into();
    std::fs::create_dir_all(&cut).unwrap();
    std::fs::write(cut.join("calibration.json"), serde_json::to_vec_pretty(&first).unwrap()).unwrap();
    // Without --resume the folder is refused; another command's calibration is not resumed.
    assert_eq!(tiny(&targets, &cut, "1", &[]).status.code(), Some(2));
    let other = tiny(&targets, &cut, "1", &["--resume", "--seed", "5"]);
    assert_eq!(other.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&other.stderr).contains("seed"), "{}", String::from_utf8_lossy(&other.stderr));
    let o = tiny(&targets, &cut, "1", &["--resume"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for f in ["calibration.json", "calibration.csv"] {
        assert!(std::fs::read(full.join(f)).unwrap() == std::fs::read(cut.join(f)).unwrap(), "{f} differs");
    }
}

#[test]
fn bad_input_is_refused_before_anything_runs_naming_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("keep.txt"), "earlier output").unwrap();
    let good = "[[target]]\nvariant = \"two_column\"\nmetric = \"read_rate\"\nvalue = 0.2\nsource = \"test\"\n";
    let run = |targets: &str, params: &[&str], budget: &str| {
        let t = dir.path().join("targets.toml");
        std::fs::write(&t, targets).unwrap();
        let mut cmd = feedsim();
        cmd.args(["calibrate", common::scenario_path("quickstart.toml").to_str().unwrap()]).args([
            "--targets",
            t.to_str().unwrap(),
            "--replicates",
            "2",
            "--budget",
            budget,
        ]);
        for p in params {
            cmd.args(["--param", p]);
        }
        let a = cmd.args(TINY).args(["--out", out.to_str().unwrap(), "--force"]).assert().code(2);
        String::from_utf8(a.get_output().stderr.clone()).unwrap()
    };
    let fw = ["feed.follower_weight=0:1"];
    let e = run(&good.replace("read_rate", "read_rat"), &fw, "10");
    assert!(e.contains("targets.toml:1:") && e.contains("`metric`") && e.contains("did you mean `read_rate`"), "{e}");
    let e = run(&good.replace("\"two_column\"", "\"three_column\""), &fw, "10");
    assert!(e.contains("targets.toml:1:") && e.contains("`variant`") && e.contains("two_column, single_column"), "{e}");
    let e = run(&format!("{good}\n[[target]]\nmetric = \"gini\"\nvalue = \"high\"\nsource = \"s\"\n"), &fw, "10");
    assert!(e.contains("targets.toml:9: `value`") && e.contains("not a number"), "{e}");
    let e = run(good, &["feed.follower_weight=1:0"], "10");
    assert!(e.contains("--param feed.follower_weight=1:0") && e.contains("LO (1) must be below HI (0)"), "{e}");
    let e = run(good, &["feed.follower_weight=0.5:0.5"], "10");
    assert!(e.contains("must be below"), "{e}");
    let e = run(good, &["feed.folower_weight=0:1"], "10");
    assert!(e.contains("feed.folower_weight") && e.contains("follower_weight"), "{e}");
    let e = run(good, &["feed.slate_size=1:70"], "10");
    assert!(e.contains("feed.slate_size") && e.contains("1 to 64"), "{e}");
    let e = run(good, &["feed.follower_weight=0:1", "response.outside_option=2:5"], "19");
    assert!(e.contains("--budget 19") && e.contains("at least 10 evaluations per parameter (20 for 2"), "{e}");
    // Nothing was written, and what the folder held is still there.
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 1);
    assert_eq!(std::fs::read_to_string(out.join("keep.txt")).unwrap(), "earlier output");
}

#[test]
fn sigint_keeps_what_was_evaluated() {
    let dir = tempfile::tempdir().unwrap();
    let targets = dir.path().join("t.toml");
    std::fs::write(
        &targets,
        "[[target]]\nvariant = \"two_column\"\nmetric = \"read_rate\"\nvalue = 0.2\nsource = \"t\"\n",
    )
    .unwrap();
    let out = dir.path().join("fit");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("feedsim"))
        .args(["calibrate", common::scenario_path("quickstart.toml").to_str().unwrap(), "--quiet"])
        .args(["--targets", targets.to_str().unwrap(), "--param", "feed.follower_weight=0:1"])
        .args(["--replicates", "2", "--budget", "200", "--threads", "1"])
        .args(["--set", "world.users=1500", "--set", "ticks=4", "--out", out.to_str().unwrap()])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let json = out.join("calibration.json");
    common::wait_for(&json);
    let sent = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(sent.success());
    assert_eq!(child.wait().unwrap().code(), Some(130));
    let doc = read(&out);
    assert_eq!(doc["partial"], true);
    let n = doc["history"].as_array().unwrap().len();
    assert!((1..200).contains(&n), "{n} evaluations kept");
}
