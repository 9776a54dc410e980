//! Same scenario and seed give bit-identical results on 1 or 2 threads.

mod common;

use assert_cmd::Command;

const SMALL: [&str; 2] = ["world.users=3000", "ticks=8"];

#[test]
fn summary_is_identical_on_one_and_two_threads() {
    let s = common::load("quickstart.toml", &SMALL);
    let one = common::run_on(&s, 1);
    let two = common::run_on(&s, 2);
    let a = feedsim::io::json_bytes(&one.summary).unwrap();
    let b = feedsim::io::json_bytes(&two.summary).unwrap();
    assert_eq!(a, b, "summary.json differs between 1 and 2 threads");
    assert_eq!(one.timeseries_csv().unwrap(), two.timeseries_csv().unwrap());
    assert_eq!(one.creators_csv().unwrap(), two.creators_csv().unwrap());
    // The run did something: otherwise equality would prove nothing.
    assert!(one.summary.variants.iter().all(|v| v.metrics["impressions"] > 10_000.0));
}

/// A catalogue large enough that the tick's note rows pass the prefetch gate
/// (`PREFETCH_FROM_BYTES`), so users act with the loop's prefetch hints on, which small
/// runs never do: still the same results on 1 and 2 threads.
#[test]
fn results_with_the_prefetch_hints_are_identical_on_one_and_two_threads() {
    const ITEMS: usize = 300_000;
    // On the hinted side at one thread (the smaller sum), catalogue items being listed
    // once each.
    assert!(feedsim::engine::prefetch_pays(ITEMS, ITEMS, 1));
    let text = std::fs::read_to_string(common::scenario_path("quickstart.toml")).unwrap()
        + "\n[catalogue]\ncount = 300000\ngroup = \"banks_over_10k\"\n";
    let sets = ["world.users=2000".to_string(), "ticks=2".to_string()];
    let s = feedsim::scenario::load_str(&text, "quickstart.toml with a catalogue", &sets).unwrap();
    let one = common::run_on(&s, 1);
    let two = common::run_on(&s, 2);
    assert_eq!(feedsim::io::json_bytes(&one.summary).unwrap(), feedsim::io::json_bytes(&two.summary).unwrap());
    assert_eq!(one.timeseries_csv().unwrap(), two.timeseries_csv().unwrap());
    assert_eq!(one.creators_csv().unwrap(), two.creators_csv().unwrap());
    assert!(one.summary.variants.iter().all(|v| v.metrics["impressions"] > 10_000.0));
}

#[test]
fn a_different_seed_gives_different_results() {
    let a = common::run_on(&common::load("quickstart.toml", &SMALL), 2);
    let b = common::run_on(&common::load("quickstart.toml", &[SMALL[0], SMALL[1], "seed=7"]), 2);
    assert_ne!(feedsim::io::json_bytes(&a.summary).unwrap(), feedsim::io::json_bytes(&b.summary).unwrap());
}

#[test]
fn cli_writes_byte_identical_summaries_for_thread_counts() {
    let dir = tempfile::tempdir().unwrap();
    let mut outputs = Vec::new();
    for threads in ["1", "2"] {
        let out = dir.path().join(format!("t{threads}"));
        Command::cargo_bin("feedsim")
            .unwrap()
            .args(["run", common::scenario_path("quickstart.toml").to_str().unwrap(), "--quiet", "--threads", threads])
            .args(["--set", SMALL[0], "--set", SMALL[1], "--out", out.to_str().unwrap()])
            .assert()
            .success();
        outputs.push(std::fs::read(out.join("summary.json")).unwrap());
    }
    assert_eq!(outputs[0], outputs[1]);
}
