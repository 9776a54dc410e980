//! `feedsim bench` runs the quickstart scenario at a given size and writes bench.json;
//! with `--numpy` it also times numpy's reference kernel (`benches/reference_numpy.py`).
//!
//! The `--numpy` run needs a Python with numpy: the interpreter in `FEEDSIM_PYTHON`, else
//! `target/py-venv/bin/python` (`.ci/run` makes it), else `python3`. Without one that
//! imports numpy its trial is ignored, with the reason printed, so cargo's summary counts
//! it as ignored; with `CI` set it runs and fails.

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use libtest_mimic::Arguments;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn main() -> std::process::ExitCode {
    let args = Arguments::from_args();
    let numpy_missing = match numpy_python() {
        Ok(_) => false,
        Err(why) if std::env::var_os("CI").is_none() => {
            eprintln!("note: the bench's numpy comparison is ignored: {why}");
            true
        }
        Err(_) => false,
    };
    let tests = vec![
        common::trial("bench_writes_its_figures", bench_writes_its_figures),
        common::trial("bench_rejects_a_bad_override", bench_rejects_a_bad_override),
        common::trial(
            "bench_refuses_a_missing_numpy_script_before_running",
            bench_refuses_a_missing_numpy_script_before_running,
        ),
        common::trial(
            "bench_refuses_a_python_without_numpy_before_running",
            bench_refuses_a_python_without_numpy_before_running,
        ),
        common::trial("bench_times_numpy_beside_the_model", bench_times_numpy_beside_the_model)
            .with_ignored_flag(numpy_missing),
        common::trial("mechanisms_script_switches_each_mechanism_off", mechanisms_script_switches_each_mechanism_off)
            .with_ignored_flag(python_missing()),
    ];
    libtest_mimic::run(&args, tests).exit_code()
}

/// Whether `python3`, which `benches/mechanisms.sh` reads bench.json with, is missing
/// (said in a note; with `CI` set the trial runs and fails instead).
fn python_missing() -> bool {
    let ok = std::process::Command::new("python3").arg("--version").output().is_ok_and(|o| o.status.success());
    if !ok && std::env::var_os("CI").is_none() {
        eprintln!("note: the test of benches/mechanisms.sh is ignored: it needs python3 to read bench.json");
        return true;
    }
    false
}

/// An interpreter that imports numpy, or why there is none.
fn numpy_python() -> Result<PathBuf, String> {
    let candidates: Vec<PathBuf> = match std::env::var_os("FEEDSIM_PYTHON") {
        Some(p) => vec![PathBuf::from(p)],
        None => vec![Path::new(ROOT).join("target/py-venv/bin/python"), PathBuf::from("python3")],
    };
    for python in &candidates {
        let ok =
            std::process::Command::new(python).args(["-c", "import numpy"]).output().is_ok_and(|o| o.status.success());
        if ok {
            return Ok(python.clone());
        }
    }
    Err(format!(
        "none of {} imports numpy (install it with `python3 -m pip install \"numpy>=2\"`, or name an \
         interpreter that has it in FEEDSIM_PYTHON)",
        candidates.iter().map(|p| format!("`{}`", p.display())).collect::<Vec<_>>().join(", ")
    ))
}

/// `feedsim bench` at 2 000 users and 2 ticks on one thread into `out`, with `extra` flags.
fn small_bench(out: &Path, extra: &[&str]) -> Command {
    let scenario = common::scenario_path("quickstart.toml");
    let mut cmd = Command::cargo_bin("feedsim").unwrap();
    cmd.args(["bench", "--users", "2000", "--ticks", "2", "--threads", "1"])
        .args(["--scenario", scenario.to_str().unwrap(), "--out", out.to_str().unwrap()])
        .args(extra);
    cmd
}

fn bench_times_numpy_beside_the_model() {
    let python = numpy_python().expect("an interpreter with numpy (CI is set)");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("b");
    let script = Path::new(ROOT).join("benches/reference_numpy.py");
    let assert = small_bench(&out, &["--numpy", script.to_str().unwrap(), "--python", python.to_str().unwrap()])
        .assert()
        .success();
    let table = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(table.contains("numpy reference kernel"), "{table}");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("bench.json")).unwrap()).unwrap();
    let numpy = json["numpy_impressions_per_second"].as_f64().unwrap();
    let ratio = json["ratio_to_numpy"].as_f64().unwrap();
    let ips = json["impressions_per_second"].as_f64().unwrap();
    assert!(numpy > 0.0, "{json}");
    assert!((ratio - ips / numpy).abs() <= 1e-9 * ratio.abs().max(1.0), "{json}");
    assert!(json["numpy_version"].as_str().is_some_and(|v| v.starts_with(|c: char| c.is_ascii_digit())), "{json}");
}

/// Runs `small_bench` with `extra` flags, expecting exit code `code` before the model
/// runs (no bench.json); returns standard error.
fn refused_before_running(extra: &[&str], code: i32) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("b");
    let assert = small_bench(&out, extra).assert().code(code);
    assert!(!out.join("bench.json").exists(), "the model ran before the check");
    String::from_utf8(assert.get_output().stderr.clone()).unwrap()
}

fn bench_refuses_a_missing_numpy_script_before_running() {
    let err = refused_before_running(&["--numpy", "/nonexistent/reference_numpy.py"], 2);
    assert!(err.contains("/nonexistent/reference_numpy.py") && err.contains("benches/reference_numpy.py"), "{err}");
}

fn bench_refuses_a_python_without_numpy_before_running() {
    let script = Path::new(ROOT).join("benches/reference_numpy.py");
    // `false` starts and fails, as an interpreter without numpy fails the import.
    let err = refused_before_running(&["--numpy", script.to_str().unwrap(), "--python", "false"], 1);
    assert!(err.contains("cannot import numpy") && err.contains("pip install"), "{err}");
}

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
    // Without --numpy, numpy's figures are null and the table leaves them out.
    for key in ["numpy_impressions_per_second", "ratio_to_numpy", "numpy_version"] {
        assert!(json[key].is_null(), "{key}: {json}");
    }
    assert!(!table.contains("numpy"), "{table}");
}

fn bench_rejects_a_bad_override() {
    let scenario = common::scenario_path("quickstart.toml");
    Command::cargo_bin("feedsim")
        .unwrap()
        .args(["bench", "--users", "2000", "--ticks", "2", "--set", "feed.nonsense=1", "--quiet"])
        .args(["--scenario", scenario.to_str().unwrap(), "--out", "/nonexistent/never"])
        .assert()
        .code(2);
}

/// `benches/mechanisms.sh` runs the bench once per configuration and prints one row each;
/// every switch really changes the run (the same impressions as shipped would mean a
/// mechanism was not switched off), and the scenario copy without a ranking stage is
/// removed.
fn mechanisms_script_switches_each_mechanism_off() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m");
    let assert = Command::new("bash")
        .arg(Path::new(ROOT).join("benches/mechanisms.sh"))
        .current_dir(ROOT)
        .env("BIN", assert_cmd::cargo::cargo_bin("feedsim"))
        .env("OUT", &out)
        .env("USERS", "2000")
        .env("TICKS", "2")
        .env("THREADS", "1")
        .assert()
        .success();
    let table = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    let names = ["as shipped", "no ranking stage", "no search", "no sharing", "no follow feed", "the feed alone"];
    let rows: Vec<&str> = table.lines().skip(2).collect();
    assert_eq!(rows.len(), names.len(), "{table}");
    for (row, name) in rows.iter().zip(names) {
        assert!(row.starts_with(&format!("| {name} |")), "{row}");
    }
    let impressions = |i: usize| {
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join(i.to_string()).join("bench.json")).unwrap()).unwrap();
        json["impressions"].as_u64().unwrap()
    };
    let shipped = impressions(1);
    for (i, name) in names.iter().enumerate().skip(1) {
        assert_ne!(impressions(i + 1), shipped, "`{name}` ran the scenario as shipped:\n{table}");
    }
    let left: Vec<_> = std::fs::read_dir(Path::new(ROOT).join("scenarios"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".mechanisms-"))
        .collect();
    assert!(left.is_empty(), "scenario copies left behind: {left:?}");
}
