//! The command line end to end: what `run` writes and what `validate` prints.

mod common;

use assert_cmd::Command;

fn feedsim() -> Command {
    Command::cargo_bin("feedsim").unwrap()
}

#[test]
fn run_writes_the_run_folder() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let assert = feedsim()
        .args(["run", common::scenario_path("quickstart.toml").to_str().unwrap(), "--out", out.to_str().unwrap()])
        .args(["--set", "world.users=2000", "--set", "ticks=5", "--threads", "2"])
        .assert()
        .success();
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(stdout.contains("creator Gini") && stdout.contains("two_column") && stdout.contains("single_column"));

    let summary: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["scenario"], "quickstart");
    assert_eq!(summary["partial"], false);
    let variants = summary["variants"].as_array().unwrap();
    assert_eq!(variants.len(), 2);
    for v in variants {
        for key in ["creator_impressions_gini", "top1pct_share", "top10_share", "hhi", "tier_share.head_ge_100k"] {
            let x = v["metrics"][key].as_f64().unwrap_or_else(|| panic!("{key} missing"));
            assert!(x.is_finite() && (0.0..=1.0).contains(&x), "{key} = {x}");
        }
    }
    assert!(summary.get("wall_seconds").is_none(), "summary.json must hold no wall-clock values");

    let ts = std::fs::read_to_string(out.join("timeseries.csv")).unwrap();
    assert!(ts.starts_with("tick,variant,metric,value\n"));
    assert!(ts.lines().any(|l| l.starts_with("4,single_column,impressions,")));

    let creators = std::fs::read_to_string(out.join("creators.csv")).unwrap();
    let header = creators.lines().next().unwrap();
    assert_eq!(header, "variant,creator,group,kind,followers_start,followers_end,notes,impressions,reads,engagements");
    // The scenario's accounts plus one advocates' account per focal institution.
    let accounts: u64 = 1 + 11 + 5 + 3 + 60 + 20 + 40 + 200 + 4000 + 2;
    assert_eq!(creators.lines().count() as u64, 1 + 2 * accounts);

    let lorenz = std::fs::read_to_string(out.join("lorenz.csv")).unwrap();
    assert!(lorenz.starts_with("variant,population_share,impression_share\n"));
    assert_eq!(lorenz.lines().count(), 1 + 2 * 101);
    assert!(lorenz.lines().any(|l| l == "two_column,1,1"));

    let perf: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("perf.json")).unwrap()).unwrap();
    for key in ["wall_seconds", "impressions_per_second", "peak_rss_bytes", "threads"] {
        assert!(perf[key].as_f64().is_some(), "perf.json lacks {key}");
    }
    assert_eq!(perf["threads"], 2);
    // No temporary files are left behind.
    for entry in std::fs::read_dir(&out).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(!name.ends_with(".tmp"), "left {name}");
    }
}

#[test]
fn validate_prints_size_and_memory() {
    let assert =
        feedsim().args(["validate", common::scenario_path("quickstart.toml").to_str().unwrap()]).assert().success();
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    for word in ["users", "20000", "memory", "B/user", "two_column, single_column"] {
        assert!(stdout.contains(word), "validate output lacks {word}:\n{stdout}");
    }
}

#[test]
fn help_teaches_with_examples() {
    let assert = feedsim().arg("--help").assert().success();
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(stdout.contains("Examples:") && stdout.contains("feedsim run scenarios/quickstart.toml"));
}

#[test]
fn sigint_finishes_the_tick_writes_partial_outputs_and_exits_130() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("feedsim"))
        .args(["run", common::scenario_path("quickstart.toml").to_str().unwrap(), "--quiet"])
        .args(["--set", "world.users=150000", "--set", "ticks=2000", "--out", out.to_str().unwrap()])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Long enough for the world to be built and some ticks to run.
    std::thread::sleep(std::time::Duration::from_millis(2500));
    let killed = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let summary: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["partial"], true);
    let ticks_done = summary["variants"][0]["metrics"]["ticks"].as_f64().unwrap();
    assert!((1.0..2000.0).contains(&ticks_done), "ticks done: {ticks_done}");
}

#[test]
fn validate_resolved_prints_each_variant_as_a_scenario_that_runs_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let quick = common::scenario_path("quickstart.toml");
    let o = feedsim()
        .args(["validate", quick.to_str().unwrap(), "--resolved", "--set", "feed.exploration=0.07"])
        .output()
        .unwrap();
    assert!(o.status.success());
    let text = String::from_utf8(o.stdout).unwrap();
    let second = text.find("# variant `single_column`").expect("both variants are printed");
    assert!(text.starts_with("# variant `two_column`"));
    // Every key is there, defaults included, and --set applied to every variant.
    assert_eq!(text.matches("exploration = 0.07").count(), 2);
    assert!(text.contains("[follow_feed]") && text.contains("[engagement_weights]"));
    let single = dir.path().join("single.toml");
    std::fs::write(&single, &text[second..]).unwrap();
    let small = ["world.users=1500", "ticks=3"];
    let alone = common::run_on(&feedsim::scenario::load_file(&single, &small.map(String::from)).unwrap(), 1);
    let both = common::run_on(&common::load("quickstart.toml", &[&small[..], &["feed.exploration=0.07"]].concat()), 1);
    assert_eq!(alone.variants[0].metrics, both.variants[1].metrics);
}

#[test]
fn an_output_path_under_a_file_prints_its_cause_once() {
    // Fails as root too: nothing can create a folder inside a regular file.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("file"), "").unwrap();
    let out = dir.path().join("file").join("run");
    let output = feedsim()
        .args(["run", common::scenario_path("quickstart.toml").to_str().unwrap(), "--out", out.to_str().unwrap()])
        .args(["--quiet", "--set", "world.users=2000", "--set", "ticks=2"])
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with(&format!("feedsim: cannot prepare the output folder `{}`: ", out.display())),
        "{stderr}"
    );
    assert_eq!(stderr.matches("os error").count(), 1, "the cause must print once:\n{stderr}");
}

#[test]
fn every_error_prints_each_cause_once() {
    use feedsim::app::error_chain;
    use feedsim::engine::EngineError;
    use feedsim::io::checkpoint::CheckpointError;
    use feedsim::io::outdir::OutDirError;
    use feedsim::scenario::ScenarioError;
    use feedsim::study::sweep::SweepError;
    let io = || std::io::Error::other("disk on fire");
    let errors: Vec<anyhow::Error> = vec![
        OutDirError::Io { dir: "out".into(), source: io() }.into(),
        CheckpointError::Io { path: "c.bin".into(), source: io() }.into(),
        SweepError::Point {
            point: "seed=1".into(),
            source: ScenarioError::Read { path: "s.toml".into(), source: io() },
        }
        .into(),
        ScenarioError::Read { path: "s.toml".into(), source: io() }.into(),
        anyhow::Error::from(OutDirError::Io { dir: "out".into(), source: io() }).context("while running"),
    ];
    for e in errors {
        // anyhow's alternate form prints the whole chain, and so does main's.
        for shown in [format!("{e:#}"), error_chain(e.as_ref())] {
            assert_eq!(shown.matches("disk on fire").count(), 1, "{shown}");
        }
    }
    // A message that repeats its source (as EngineError's do) is printed once by main.
    let e = EngineError::Checkpoint { variant: "v".into(), tick: 3, source: io() };
    assert_eq!(error_chain(&e).matches("disk on fire").count(), 1, "{}", error_chain(&e));
}
