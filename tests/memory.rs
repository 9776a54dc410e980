//! Memory preflight: `validate --json`'s planned peak against the peak resident memory a
//! real run measures (`perf.json`'s `peak_rss_bytes`), within 20 %, at two world sizes
//! (where building the world sets the peak), at many notes, with and without a
//! campaign, and over a month of full activity (where running does).
//!
//! Activity is lowered (`world.steps_per_tick`) to keep most runs to a few seconds: it
//! changes the work, and what is held in memory only through the follows made, which the
//! month case (full activity, about 40 s on 2 cores) measures.
//!
//! Where peak memory is not measured (no `/proc/self/status`), the tests that measure
//! are ignored, with the reason printed, so cargo's summary counts them as ignored; with
//! `CI` set they run and fail.

mod common;

use assert_cmd::Command;
use common::trial;
use libtest_mimic::Arguments;

const NOT_MEASURED: &str = "peak memory is not measured on this platform (feedsim reads VmHWM from \
                            /proc/self/status, as on Linux), so the plan cannot be checked against a run";

fn main() -> std::process::ExitCode {
    let args = Arguments::from_args();
    let missing = (feedsim::observe::output::peak_rss_bytes() == 0).then(|| NOT_MEASURED.to_string());
    let ignore = common::ignore_without(missing, "tests that measure peak memory");
    let tests = vec![
        trial("plan_matches_measured_peak_at_200k_users", plan_matches_measured_peak_at_200k_users)
            .with_ignored_flag(ignore),
        trial("plan_matches_measured_peak_at_1m_users", plan_matches_measured_peak_at_1m_users)
            .with_ignored_flag(ignore),
        trial("plan_matches_measured_peak_with_many_notes", plan_matches_measured_peak_with_many_notes)
            .with_ignored_flag(ignore),
        trial("plan_holds_a_month_of_follows", plan_holds_a_month_of_follows).with_ignored_flag(ignore),
        trial("plan_counts_campaign_notes", plan_counts_campaign_notes).with_ignored_flag(ignore),
        trial(
            "validate_json_holds_the_plan_and_run_refuses_what_does_not_fit",
            validate_json_holds_the_plan_and_run_refuses_what_does_not_fit,
        ),
    ];
    libtest_mimic::run(&args, tests).exit_code()
}

/// The planned peak for the overrides, from `validate --json`.
fn planned(overrides: &[&str]) -> serde_json::Value {
    let mut cmd = Command::cargo_bin("feedsim").unwrap();
    cmd.args(["validate", common::scenario_path("quickstart.toml").to_str().unwrap(), "--json"]);
    for o in overrides {
        cmd.args(["--set", o]);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("validate --json prints one JSON object")
}

/// Runs on 2 threads and returns `perf.json`'s measured peak.
fn measured(overrides: &[&str]) -> u64 {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let mut cmd = Command::cargo_bin("feedsim").unwrap();
    cmd.args(["run", common::scenario_path("quickstart.toml").to_str().unwrap(), "--quiet", "--threads", "2"]);
    cmd.args(["--out", out.to_str().unwrap()]);
    for o in overrides {
        cmd.args(["--set", o]);
    }
    cmd.assert().success();
    let perf: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("perf.json")).unwrap()).unwrap();
    perf["peak_rss_bytes"].as_u64().expect("peak_rss_bytes")
}

fn check(overrides: &[&str]) {
    check_within(overrides, 0.8..=1.2);
}

/// Checks planned / measured peak against `band`.
fn check_within(overrides: &[&str], band: std::ops::RangeInclusive<f64>) {
    let plan = planned(overrides);
    let planned = plan["total_bytes"].as_u64().unwrap();
    let measured = measured(overrides);
    assert!(measured != 0, "{NOT_MEASURED}");
    let ratio = planned as f64 / measured as f64;
    let mib = |b: u64| b as f64 / (1u64 << 20) as f64;
    eprintln!(
        "{overrides:?}: planned {:.1} MiB (build {:.1}, run {:.1}), measured {:.1} MiB, ratio {ratio:.3}",
        mib(planned),
        mib(plan["build_bytes"].as_u64().unwrap()),
        mib(plan["run_bytes"].as_u64().unwrap()),
        mib(measured)
    );
    assert!(band.contains(&ratio), "{overrides:?}: planned {planned} B but measured {measured} B, outside {band:?}");
}

fn plan_matches_measured_peak_at_200k_users() {
    check(&["world.users=200000", "ticks=5", "world.steps_per_tick=1"]);
}

fn plan_matches_measured_peak_at_1m_users() {
    check(&["world.users=1000000", "ticks=2", "world.steps_per_tick=1"]);
}

fn plan_matches_measured_peak_with_many_notes() {
    // About 400 k notes per variant: the notes, not the world, set the peak.
    check(&["world.users=2000", "ticks=300", "world.steps_per_tick=0.5"]);
}

fn plan_holds_a_month_of_follows() {
    // Full activity over a month: each user follows about 11 creators and the share
    // deliveries of the busiest ticks exceed those of the first ones. The plan must not
    // fall short (a run it lets start must fit); a plan that counted a month's follows at
    // a short run's rate measured 0.89 here and 0.76 at 1 M users, and one that took
    // the share rate of ticks 3 to 4 0.97 and 0.93 once the follows were counted at
    // their 4 B.
    check_within(&["world.users=200000", "ticks=30"], 1.0..=1.25);
}

fn plan_counts_campaign_notes() {
    // A campaign posting 1000 notes a day nearly doubles the notes of the run.
    let campaign = "campaigns=[{name = \"c\", group = \"china_merchants_bank\", kind = \"event\", \
                    start_tick = 0, end_tick = 300, posts_per_tick = 1000.0}]";
    let without = planned(&["world.users=2000", "ticks=300"])["notes"].as_u64().unwrap();
    let with = planned(&["world.users=2000", "ticks=300", campaign])["notes"].as_u64().unwrap();
    assert!(with >= without + 300_000, "{without} notes without the campaign, {with} with it");
    check(&["world.users=2000", "ticks=300", "world.steps_per_tick=0.5", campaign]);
}

fn validate_json_holds_the_plan_and_run_refuses_what_does_not_fit() {
    let plan = planned(&[]);
    for key in ["users", "notes", "social_edges", "build_bytes", "run_bytes", "total_bytes", "available_bytes"] {
        assert!(plan.get(key).is_some(), "validate --json lacks {key}: {plan}");
    }
    assert_eq!(plan["users"], 20000);
    let total = plan["total_bytes"].as_u64().unwrap();
    assert_eq!(total, plan["build_bytes"].as_u64().unwrap().max(plan["run_bytes"].as_u64().unwrap()));
    // A limit just below the plan refuses, naming the keys to lower.
    let below = (total >> 20).saturating_sub(1).max(1).to_string();
    let dir = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("feedsim")
        .unwrap()
        .args(["run", common::scenario_path("quickstart.toml").to_str().unwrap(), "--quiet", "--max-memory", &below])
        .args(["--out", dir.path().join("run").to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--max-memory") && stderr.contains("lower world.users"), "{stderr}");
}

#[test]
fn bench_plans_as_validate_and_within_20_percent_at_full_activity() {
    // Full activity: the tick's share deliveries are a fifth of the peak here. `bench`
    // must report the plan `validate` prints for the same run.
    let dir = tempfile::tempdir().unwrap();
    Command::cargo_bin("feedsim")
        .unwrap()
        .args(["bench", "--scenario", common::scenario_path("quickstart.toml").to_str().unwrap()])
        .args(["--users", "100000", "--ticks", "5", "--threads", "2", "--quiet"])
        .args(["--out", dir.path().to_str().unwrap()])
        .assert()
        .success();
    let bench: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("bench.json")).unwrap()).unwrap();
    let plan = planned(&["world.users=100000", "ticks=5"]);
    assert_eq!(bench["planned_bytes"], plan["total_bytes"], "bench and validate plan differently");
    let (planned, peak) = (bench["planned_bytes"].as_u64().unwrap(), bench["peak_rss_bytes"].as_u64().unwrap());
    if peak == 0 {
        eprintln!("peak memory is not measured on this platform; skipped");
        return;
    }
    let ratio = planned as f64 / peak as f64;
    eprintln!("bench at 100 k users: planned {planned} B, peak {peak} B, ratio {ratio:.3}");
    assert!((0.8..=1.2).contains(&ratio), "planned {planned} B but measured {peak} B");
}
