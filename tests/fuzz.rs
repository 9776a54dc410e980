//! Fuzzed bad input: mutations of `scenarios/quickstart.toml` (lines deleted or
//! duplicated, values set to extremes such as 0, -1, 1e308, nan, huge integers or other
//! types, whole tables dropped) and `--set` overrides with extreme values.
//!
//! Every input must give either a scenario error or a valid run: no panic, no hang, no
//! NaN or infinite number in any output. A scenario that loads is run on a small world
//! (users, ticks and activity clamped down with further overrides; a plan beyond a
//! budget counts as refused, as `run` would refuse it on a smaller machine).
//!
//! Cases: `FUZZ_CASES` (default 1000, a few seconds; `.ci/run` sets 8000, under a
//! minute on two busy cores), from a new seed each run (`FUZZ_SEED` repeats one). Crashers
//! found are kept as explicit tests in the `regressions` section at the end, and the
//! degenerate worlds of issue 8 (zero users, one user, no creators, no posts, all-zero
//! weights, huge values) each have a test.

mod common;

use std::sync::Mutex;
use std::time::{Duration, Instant};

use feedsim::engine::plan::MemoryPlan;
use feedsim::observe::output::RunOutput;
use feedsim::scenario::{Scenario, ScenarioError, load_str};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

const QUICKSTART: &str = include_str!("../scenarios/quickstart.toml");

/// Values a mutation or an override may put in place of a value.
const EXTREMES: &[&str] = &[
    "0",
    "-1",
    "1",
    "2",
    "0.0",
    "1e308",
    "-1e308",
    "1e-308",
    "nan",
    "inf",
    "-inf",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "18446744073709551616",
    "1000000",
    // The edges of valid ranges: what validation lets through must still run.
    "0.5",
    "3",
    "10",
    "12",
    "50",
    "-50",
    "100",
    "1000",
    "10000",
    "100000",
    "1e6",
    "1e9",
    "1e10",
    "\"x\"",
    "\"\"",
    "true",
    "[]",
    "[0, 0, 0]",
    "[1e308]",
    "{}",
];

/// Keys `--set` overrides draw from.
const KEYS: &[&str] = &[
    "seed",
    "ticks",
    "world.users",
    "world.platform_users",
    "world.steps_per_tick",
    "world.activity_sigma",
    "world.friends_mean",
    "world.friend_rewire",
    "world.note_lifetime_ticks",
    "world.secondary_topics",
    "demographics.female",
    "demographics.born_after_1995",
    "crowd.core_interest",
    "crowd.high_potential_interest",
    "response.outside_option",
    "response.fatigue",
    "response.like.intercept",
    "engagement_weights.like",
    "engagement_weights.collect",
    "engagement_weights.comment",
    "engagement_weights.share",
    "engagement_weights.follow",
    "feed.slate_size",
    "feed.stage_quotas",
    "feed.stage_thresholds",
    "feed.stage_boost",
    "feed.follower_weight",
    "feed.popularity_weight",
    "feed.quality_weight",
    "feed.freshness_half_life",
    "feed.exploration",
    "feed.interest_sharpness",
    "feed.learning_rate",
    "feed.skip_learning_rate",
    "feed.signal_noise",
    "metrics.window_ticks",
    "metrics.head_institutions",
    // User journeys (issue 4): tables the quickstart leaves to defaults are filled in, so
    // --set reaches them too.
    "journey.aware_per_impression",
    "journey.advocate_rate",
    "journey.reviews_per_note",
    "journey.focal",
    "search.enabled",
    "search.results",
    "search.ask_search_rate",
    "search.base_search_rate",
    "search.user_initiated_share",
    "search.follower_weight",
    "search.quality_weight",
    "sharing.enabled",
    "sharing.friends_per_share",
    "follow_feed.share",
    "response.social_influence",
    "feed.show_counts",
];

/// One edit of the scenario text; line and table indexes wrap around.
#[derive(Debug, Clone)]
enum Mutation {
    Delete(usize),
    Duplicate(usize),
    /// Set the value of the n-th `key = value` line.
    Value(usize, &'static str),
    /// Drop the n-th `[table]` or `[[table]]` with its keys.
    DropTable(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::Delete),
        any::<usize>().prop_map(Mutation::Duplicate),
        (any::<usize>(), prop::sample::select(EXTREMES)).prop_map(|(i, v)| Mutation::Value(i, v)),
        (any::<usize>(), prop::sample::select(EXTREMES)).prop_map(|(i, v)| Mutation::Value(i, v)),
        any::<usize>().prop_map(Mutation::DropTable),
    ]
}

fn override_arg() -> impl Strategy<Value = String> {
    (prop::sample::select(KEYS), prop::sample::select(EXTREMES)).prop_map(|(k, v)| format!("{k}={v}"))
}

fn apply(text: &str, mutations: &[Mutation]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for m in mutations {
        if lines.is_empty() {
            break;
        }
        match m {
            Mutation::Delete(i) => {
                lines.remove(i % lines.len());
            }
            Mutation::Duplicate(i) => {
                let i = i % lines.len();
                lines.insert(i, lines[i].clone());
            }
            Mutation::Value(i, v) => {
                let assignments: Vec<usize> = (0..lines.len()).filter(|&j| lines[j].contains(" = ")).collect();
                if let Some(&j) = assignments.get(i % assignments.len().max(1)) {
                    let key = lines[j].split(" = ").next().unwrap_or_default().to_string();
                    lines[j] = format!("{key} = {v}");
                }
            }
            Mutation::DropTable(i) => {
                let headers: Vec<usize> = (0..lines.len()).filter(|&j| lines[j].starts_with('[')).collect();
                if let Some(&start) = headers.get(i % headers.len().max(1)) {
                    let end = (start + 1..lines.len()).find(|&j| lines[j].starts_with('[')).unwrap_or(lines.len());
                    lines.drain(start..end);
                }
            }
        }
    }
    lines.join("\n") + "\n"
}

/// Largest planned peak the harness runs (bigger plans count as refused).
const BUDGET_BYTES: u64 = 160 << 20;
/// Largest world and run the harness simulates.
const MAX_USERS: u32 = 300;
const MAX_TICKS: u32 = 4;
const MAX_STEPS: f64 = 20.0;
const MAX_NOTES: u64 = 60_000;

/// What happened to one input.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum Outcome {
    Refused,
    TooBig,
    Ran,
}

/// Loads and, if it loads, runs one input; panics (the failure) on anything wrong.
fn check_input(text: &str, overrides: &[String]) -> Outcome {
    let s = match load_str(text, "fuzz.toml", overrides) {
        Ok(s) => s,
        Err(e) => {
            assert_error_is_clear(&e);
            return Outcome::Refused;
        }
    };
    // Planning never fails, whatever the size.
    let _ = MemoryPlan::of(&s);
    // Clamp the work with overrides that only lower values, so the input stays valid.
    let p = s.world_params();
    let mut clamped = overrides.to_vec();
    clamped.push(format!("world.users={}", p.world.users.min(MAX_USERS)));
    clamped.push(format!("ticks={}", p.ticks.min(MAX_TICKS)));
    clamped.push(format!("world.steps_per_tick={:?}", p.world.steps_per_tick.min(MAX_STEPS)));
    let small = load_str(text, "fuzz.toml", &clamped)
        .unwrap_or_else(|e| panic!("the input loads but not with lower users, ticks or steps: {e}"));
    let plan = MemoryPlan::of(&small);
    if plan.total_bytes > BUDGET_BYTES || plan.notes > MAX_NOTES {
        return Outcome::TooBig;
    }
    let out = common::run_on(&small, 1);
    assert_finite(&out);
    Outcome::Ran
}

fn assert_error_is_clear(e: &ScenarioError) {
    let msg = e.to_string();
    assert!(msg.len() > 10 && msg.contains("fuzz.toml") || msg.starts_with("--set "), "unclear error: {msg}");
    assert!(!msg.contains("panicked"), "{msg}");
}

/// Every number in every output is finite: summary metrics, and the CSVs and JSON as
/// written (serde_json writes a NaN as `null`).
fn assert_finite(out: &RunOutput) {
    for v in &out.summary.variants {
        for (k, x) in &v.metrics {
            assert!(x.is_finite(), "variant {} metric {k} = {x}", v.name);
        }
    }
    let summary = String::from_utf8(feedsim::io::json_bytes(&out.summary).unwrap()).unwrap();
    assert!(!summary.contains("null"), "summary.json holds null:\n{summary}");
    for (name, bytes) in [
        ("timeseries.csv", out.timeseries_csv().unwrap()),
        ("lorenz.csv", out.lorenz_csv().unwrap()),
        ("creators.csv", out.creators_csv().unwrap()),
    ] {
        assert_csv_finite(name, &String::from_utf8(bytes).unwrap());
    }
}

/// No field of a CSV reads as NaN or an infinity.
pub fn assert_csv_finite(name: &str, text: &str) {
    for (i, line) in text.lines().enumerate() {
        for field in line.split(',') {
            let f = field.trim().to_ascii_lowercase();
            assert!(
                !matches!(f.as_str(), "nan" | "inf" | "-inf" | "+inf" | "infinity" | "-infinity" | "null"),
                "{name} line {}: {line}",
                i + 1
            );
        }
    }
}

/// The input being checked, for the watchdog to print if it hangs.
static CURRENT: Mutex<Option<(Instant, String)>> = Mutex::new(None);
/// A case taking longer than this is a hang.
const HANG: Duration = Duration::from_secs(60);

fn start_watchdog() {
    std::thread::spawn(|| {
        loop {
            std::thread::sleep(Duration::from_secs(1));
            if let Some((started, input)) = CURRENT.lock().unwrap().as_ref()
                && started.elapsed() > HANG
            {
                eprintln!("fuzz: a case ran over {HANG:?} (a hang):\n{input}");
                std::process::exit(101);
            }
        }
    });
}

#[test]
fn fuzz_scenarios_and_overrides() {
    let cases: u32 = std::env::var("FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(1000);
    start_watchdog();
    // A new seed each run, so CI explores new inputs every time; printed to repeat one.
    let seed: u64 = std::env::var("FUZZ_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64)
    });
    eprintln!("fuzz: seed {seed} (FUZZ_SEED={seed} repeats this run), {cases} cases");
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &bytes);
    let config = Config { cases, failure_persistence: None, ..Config::default() };
    let mut runner = TestRunner::new_with_rng(config, rng);
    let tally = Mutex::new([0u32; 3]);
    let strategy = (prop::collection::vec(mutation(), 0..3), prop::collection::vec(override_arg(), 0..6));
    let started = Instant::now();
    let result = runner.run(&strategy, |(mutations, overrides)| {
        let text = apply(QUICKSTART, &mutations);
        *CURRENT.lock().unwrap() = Some((Instant::now(), format!("{mutations:?} {overrides:?}")));
        let outcome = check_input(&text, &overrides);
        *CURRENT.lock().unwrap() = None;
        tally.lock().unwrap()[outcome as usize] += 1;
        Ok(())
    });
    let [refused, too_big, ran] = *tally.lock().unwrap();
    eprintln!(
        "fuzz: {cases} cases in {:.1} s (with shrinking): {refused} refused, {too_big} over the harness budget, {ran} ran",
        started.elapsed().as_secs_f64()
    );
    if let Err(e) = result {
        panic!("{e}");
    }
    assert!(ran > 0 && refused > 0, "the generator must reach both outcomes");
}

// ---- degenerate worlds (issue 8): each runs meaningfully or is refused with a reason ----

/// Loads the quickstart with overrides and a small world.
fn quick(overrides: &[&str]) -> Result<Scenario, ScenarioError> {
    let mut o: Vec<String> = vec!["world.users=500".into(), "ticks=4".into()];
    o.extend(overrides.iter().map(|s| s.to_string()));
    load_str(QUICKSTART, "quickstart.toml", &o)
}

/// The message of a refused scenario (a loaded one fails the test, without printing it).
fn refusal(r: Result<Scenario, ScenarioError>) -> String {
    match r {
        Ok(_) => panic!("must be refused"),
        Err(e) => e.to_string(),
    }
}

fn refused_with(overrides: &[&str], key: &str, reason: &str) {
    let err = refusal(quick(overrides));
    assert!(err.contains(key) && err.contains(reason), "{overrides:?}: {err}");
}

fn runs(s: &Scenario) -> RunOutput {
    let out = common::run_on(s, 1);
    assert_finite(&out);
    out
}

#[test]
fn zero_users_are_refused() {
    refused_with(&["world.users=0"], "world.users", "at least 1 user");
}

#[test]
fn one_user_runs() {
    let out = runs(&quick(&["world.users=1"]).unwrap());
    assert_eq!(out.summary.users, 1);
}

#[test]
fn no_creator_accounts_are_refused() {
    let text = regex_lite_replace(QUICKSTART, "count = ", "0")
        .replace("name = \"china_merchants_bank\"", "name = \"china_merchants_bank\"\ncount = 0");
    let err = refusal(load_str(&text, "q.toml", &[]));
    assert!(err.contains("creators") && err.contains("0 accounts"), "{err}");
}

#[test]
fn no_creator_posting_is_refused() {
    let text = regex_lite_replace(QUICKSTART, "posts_per_tick = ", "0.0");
    let err = refusal(load_str(&text, "q.toml", &[]));
    assert!(err.contains("posts_per_tick") && err.contains("no notes"), "{err}");
}

#[test]
fn all_zero_engagement_weights_are_refused() {
    let zero: Vec<String> =
        ["like", "collect", "comment", "share", "follow"].iter().map(|k| format!("engagement_weights.{k}=0")).collect();
    let zero: Vec<&str> = zero.iter().map(String::as_str).collect();
    refused_with(&zero, "engagement_weights", "all 0");
}

#[test]
fn all_zero_stage_boosts_are_refused() {
    refused_with(&["feed.stage_boost=[0.0, 0.0, 0.0]"], "feed.stage_boost", "all 0");
}

#[test]
fn zero_activity_runs_with_no_impressions_and_finite_metrics() {
    let out = runs(&quick(&["world.steps_per_tick=0"]).unwrap());
    for v in &out.summary.variants {
        assert_eq!(v.metrics["impressions"], 0.0);
    }
}

#[test]
fn zero_friends_and_zero_weights_of_one_kind_run() {
    runs(&quick(&["world.friends_mean=0", "feed.follower_weight=0", "feed.popularity_weight=0"]).unwrap());
}

#[test]
fn huge_values_are_refused_or_planned_too_big() {
    for bad in
        ["world.steps_per_tick=1e308", "feed.quality_weight=1e308", "ticks=4294967295", "world.friends_mean=1e308"]
    {
        assert!(quick(&[bad]).is_err(), "{bad} must be refused");
    }
    let s = quick(&["world.users=4294967295", "world.platform_users=10000000000"]).unwrap_or_else(|e| panic!("{e}"));
    assert!(MemoryPlan::of(&s).total_bytes > 1 << 39, "4 G users plan beyond 512 GiB, which run refuses");
}

/// `text` with the value of every line starting with `prefix` replaced.
fn regex_lite_replace(text: &str, prefix: &str, value: &str) -> String {
    text.lines()
        .map(|l| if l.starts_with(prefix) { format!("{prefix}{value}") } else { l.to_string() })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_edges_of_valid_ranges_run_with_finite_numbers() {
    for set in [
        &["feed.quality_weight=50", "feed.popularity_weight=3", "feed.follower_weight=3"][..],
        &["engagement_weights.follow=1000", "engagement_weights.like=1000", "engagement_weights.share=1000"],
        &["feed.freshness_half_life=0.01", "feed.interest_sharpness=10", "feed.exploration=0", "feed.learning_rate=1"],
        &["feed.skip_learning_rate=1", "feed.signal_noise=0.5", "feed.freshness_half_life=1e6"],
        &["response.outside_option=-50", "response.cover_appeal_weight=50", "response.like.intercept=50"],
        &["response.follow.intercept=50", "response.fatigue=50", "response.cover_interest_weight=-50"],
        &["response.outside_option=50", "response.like.intercept=-50", "response.completion.intercept=-50"],
        &["world.steps_per_tick=10000", "world.activity_sigma=3"],
        &["world.users=1", "world.secondary_topics=11", "world.note_lifetime_ticks=1"],
        &["metrics.window_ticks=100000", "metrics.head_institutions=1000000"],
        &["world.users=2", "world.friends_mean=1000", "world.friend_rewire=1"],
        &["crowd.core_interest=0", "crowd.high_potential_interest=0"],
        &["crowd.core_interest=1", "crowd.high_potential_interest=1", "demographics.high_tier_city=1"],
        &["demographics.female=0", "demographics.born_after_1995=0", "demographics.born_after_2000=0"],
        &["world.platform_users=300", "world.users=300"],
    ] {
        let o: Vec<String> = set.iter().map(|s| s.to_string()).collect();
        assert_eq!(check_input(QUICKSTART, &o), Outcome::Ran, "{set:?}");
    }
}

// ---- numbers stay finite in every written file (issue 8, part 5) ----

/// Every JSON number is finite and nothing is `null` (serde_json writes NaN as null).
fn assert_json_finite(name: &str, v: &serde_json::Value, path: &str) {
    match v {
        serde_json::Value::Null => panic!("{name}: `{path}` is null"),
        serde_json::Value::Number(n) => {
            assert!(n.as_f64().is_some_and(f64::is_finite), "{name}: `{path}` = {n}");
        }
        serde_json::Value::Array(items) => {
            items.iter().enumerate().for_each(|(i, x)| assert_json_finite(name, x, &format!("{path}[{i}]")))
        }
        serde_json::Value::Object(map) => {
            map.iter().for_each(|(k, x)| assert_json_finite(name, x, &format!("{path}.{k}")))
        }
        _ => {}
    }
}

/// Scans every JSON and CSV file of a written folder and its subfolders.
fn assert_folder_finite(dir: &std::path::Path) -> usize {
    let mut files = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files += assert_folder_finite(&path);
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        if name.ends_with(".json") {
            let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_json_finite(&name, &v, "");
            files += 1;
        } else if name.ends_with(".csv") {
            assert_csv_finite(&name, &text);
            files += 1;
        }
    }
    files
}

/// The quickstart with only its first creator group (one bank account), which is also
/// the journey's only focal institution.
fn one_creator() -> String {
    let first = QUICKSTART.find("[[creators]]").unwrap();
    let second = first + 1 + QUICKSTART[first + 1..].find("[[creators]]").unwrap();
    let response = QUICKSTART.find("# The user-response model").unwrap();
    let text = format!("{}{}", &QUICKSTART[..second], &QUICKSTART[response..]);
    // The journey's focal institutions must be groups that remain.
    regex_lite_replace(&text, "focal = ", "[\"china_merchants_bank\"]")
}

#[test]
fn degenerate_runs_and_comparisons_write_only_finite_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let one = dir.path().join("one_creator.toml");
    std::fs::write(&one, one_creator()).unwrap();
    let quickstart = common::scenario_path("quickstart.toml");
    let cases: [(&std::path::Path, &[&str]); 4] = [
        (&quickstart, &["world.steps_per_tick=0"]),
        (&quickstart, &["world.users=1"]),
        (&one, &[]),
        (&one, &["world.users=3", "world.steps_per_tick=0.01", "feed.follower_weight=0"]),
    ];
    for (i, (scenario, sets)) in cases.iter().enumerate() {
        for command in ["run", "compare"] {
            let out = dir.path().join(format!("{command}{i}"));
            let mut cmd = assert_cmd::Command::cargo_bin("feedsim").unwrap();
            cmd.args([command, scenario.to_str().unwrap(), "--quiet", "--threads", "2"]);
            cmd.args(["--out", out.to_str().unwrap(), "--set", "world.users=300", "--set", "ticks=16"]);
            if command == "compare" {
                cmd.args(["--replicates", "2"]);
            }
            for s in *sets {
                cmd.args(["--set", s]);
            }
            let o = cmd.output().unwrap();
            assert!(o.status.success(), "{command} {sets:?}: {}", String::from_utf8_lossy(&o.stderr));
            let files = assert_folder_finite(&out);
            assert!(files >= 2, "{command} {sets:?} wrote {files} files");
        }
    }
}

// ---- regressions: crashers the fuzzer found, kept as tests ----
