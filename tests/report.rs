//! `report.html` end to end: written by `run --report`, `compare --report`, `sweep
//! --report` and `report DIR`, loaded in a real headless Chromium, every chart present.
//!
//! Needs Chromium from the system packages (`apt-get install -y chromium`; `.ci/run`
//! installs it). Without it the tests that load a page are ignored, with the reason
//! printed, so cargo's summary counts them as ignored; with `CI` set they run and fail
//! with the install hint: a report that no browser has loaded is not tested.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command as Std;

use assert_cmd::Command;
use common::trial;
use libtest_mimic::Arguments;

fn feedsim() -> Command {
    Command::cargo_bin("feedsim").unwrap()
}

fn quickstart() -> String {
    common::scenario_path("quickstart.toml").to_str().unwrap().to_string()
}

const SMALL: [&str; 6] = ["--set", "world.users=2000", "--set", "ticks=8", "--threads", "2"];

const NO_CHROMIUM: &str = "Chromium is not installed, so report.html cannot be tested in a browser. Install it \
                           with `apt-get update && apt-get install -y chromium` (Debian; .ci/run does this)";

/// The Chromium binary on the PATH, if any.
fn find_chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"].iter().find_map(|name| {
        let out = Std::new("sh").args(["-c", &format!("command -v {name}")]).output().ok()?;
        out.status.success().then(|| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
    })
}

/// The Chromium binary, or a failure that says how to install it.
fn chromium() -> PathBuf {
    find_chromium().unwrap_or_else(|| panic!("{NO_CHROMIUM}"))
}

fn main() -> std::process::ExitCode {
    let args = Arguments::from_args();
    let ignore = common::ignore_without(find_chromium().is_none().then(|| NO_CHROMIUM.into()), "browser tests");
    let tests = vec![
        trial("run_report_loads_in_chromium_with_every_chart", run_report_loads_in_chromium_with_every_chart)
            .with_ignored_flag(ignore),
        trial(
            "report_draws_funnel_and_channels_when_present_and_skips_them_when_absent",
            report_draws_funnel_and_channels_when_present_and_skips_them_when_absent,
        )
        .with_ignored_flag(ignore),
        trial("compare_and_sweep_reports_load_in_chromium", compare_and_sweep_reports_load_in_chromium)
            .with_ignored_flag(ignore),
        trial("decompose_report_loads_in_chromium", decompose_report_loads_in_chromium).with_ignored_flag(ignore),
        trial("report_of_a_folder_without_results_is_bad_input", report_of_a_folder_without_results_is_bad_input),
    ];
    libtest_mimic::run(&args, tests).exit_code()
}

/// Loads a page in headless Chromium (no network, fresh profile) and returns the DOM.
fn dump_dom(page: &Path) -> String {
    let profile = tempfile::tempdir().unwrap();
    let out = Std::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            &format!("--user-data-dir={}", profile.path().display()),
            "--dump-dom",
            &format!("file://{}", page.canonicalize().unwrap().display()),
        ])
        .output()
        .expect("chromium runs");
    assert!(out.status.success(), "chromium failed: {}", String::from_utf8_lossy(&out.stderr));
    let dom = String::from_utf8(out.stdout).unwrap();
    assert!(dom.contains("</html>"), "chromium returned no page: {dom:.300}");
    dom
}

/// The chart (or table) with this id is in the DOM as an element.
fn assert_ids(dom: &str, ids: &[&str]) {
    for id in ids {
        assert!(dom.contains(&format!("id=\"{id}\"")), "`{id}` is missing from the loaded page");
    }
}

/// A page that needs nothing from outside: no script, no external reference.
fn assert_self_contained(html: &str) {
    assert!(!html.contains("<script"), "report.html must work without JavaScript");
    for attr in ["src=", "href="] {
        assert!(!html.contains(attr), "report.html must not load anything ({attr})");
    }
    let without_ns = html.replace("http://www.w3.org/2000/svg", "");
    assert!(!without_ns.contains("http://") && !without_ns.contains("https://"), "report.html refers to the network");
}

const RUN_CHARTS: [&str; 7] =
    ["lorenz", "gini-over-time", "tier-share", "ring-share", "interest-learning", "headline-metrics", "all-metrics"];

fn run_report_loads_in_chromium_with_every_chart() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    feedsim()
        .args(["run", &quickstart(), "--out", out.to_str().unwrap(), "--report", "--quiet"])
        .args(SMALL)
        .assert()
        .success();
    let page = out.join("report.html");
    let html = std::fs::read_to_string(&page).unwrap();
    assert_self_contained(&html);
    let dom = dump_dom(&page);
    assert_ids(&dom, &RUN_CHARTS);
    for id in RUN_CHARTS.iter().filter(|id| !id.ends_with("metrics")) {
        assert_ids(&dom, &[&format!("fig-{id}")]);
    }
    // Each chart has a title, axis labels and a legend with the variants.
    let lorenz = &dom[dom.find("id=\"lorenz\"").unwrap()..];
    let lorenz = &lorenz[..lorenz.find("</svg>").unwrap()];
    for text in [
        "Lorenz curves of creator impressions",
        "share of creators",
        "share of impressions",
        "two_column",
        "single_column",
    ] {
        assert!(lorenz.contains(text), "the Lorenz chart lacks `{text}`");
    }
    // Optional families appear exactly when the timeseries has them.
    let ts = std::fs::read_to_string(out.join("timeseries.csv")).unwrap();
    for (prefix, id) in [(",funnel.", "funnel"), (",channel_impressions.", "channel-share")] {
        assert_eq!(ts.contains(prefix), dom.contains(&format!("id=\"{id}\"")), "{id} vs timeseries");
    }
}

fn report_draws_funnel_and_channels_when_present_and_skips_them_when_absent() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    feedsim().args(["run", &quickstart(), "--out", out.to_str().unwrap(), "--quiet"]).args(SMALL).assert().success();
    // Strip the optional families, then add them back synthetically.
    let ts = std::fs::read_to_string(out.join("timeseries.csv")).unwrap();
    let base: String = ts
        .lines()
        .filter(|l| !l.contains(",funnel.") && !l.contains(",channel_impressions."))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(out.join("timeseries.csv"), &base).unwrap();
    let html = feedsim::io::html::render(&out).unwrap();
    assert!(!html.contains("id=\"funnel\"") && !html.contains("id=\"channel-share\""));
    let mut with = base.clone();
    for tick in 0..8 {
        for v in ["two_column", "single_column"] {
            for (i, stage) in ["aware", "appeal", "ask", "act", "advocate"].iter().enumerate() {
                with.push_str(&format!("{tick},{v},funnel.{stage},{}\n", 1000 >> i));
            }
            for (ch, x) in [("feed", 700), ("search", 200), ("follow", 100)] {
                with.push_str(&format!("{tick},{v},channel_impressions.{ch},{x}\n"));
            }
        }
    }
    std::fs::write(out.join("timeseries.csv"), &with).unwrap();
    feedsim().args(["report", out.to_str().unwrap()]).assert().success();
    let dom = dump_dom(&out.join("report.html"));
    assert_ids(&dom, &["funnel", "fig-funnel", "channel-share", "fig-channel-share"]);
    let funnel = &dom[dom.find("id=\"funnel\"").unwrap()..];
    let funnel = &funnel[..funnel.find("</svg>").unwrap()];
    assert!(funnel.contains("advocate") && funnel.contains("aware"), "the funnel legend names the stages");
}

fn compare_and_sweep_reports_load_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let cmp = dir.path().join("cmp");
    feedsim()
        .args(["compare", &quickstart(), "--replicates", "3", "--out", cmp.to_str().unwrap(), "--report", "--quiet"])
        .args(SMALL)
        .assert()
        .success();
    let html = std::fs::read_to_string(cmp.join("report.html")).unwrap();
    assert_self_contained(&html);
    let dom = dump_dom(&cmp.join("report.html"));
    assert_ids(
        &dom,
        &["compare-means", "fig-compare-means", "compare-differences", "fig-compare-differences", "compare-table"],
    );
    // Each replicate's value is drawn beside the mean: the means chart has more circles
    // than its panels have means, and fewer without the saved replicates.
    let circles = |html: &str| {
        let means = &html[html.find("id=\"compare-means\"").unwrap()..];
        means[..means.find("</svg>").unwrap()].matches("<circle").count()
    };
    let with_replicates = circles(&html);
    assert!(html.contains("rings: each replicate"));
    std::fs::remove_dir_all(cmp.join("replicates")).unwrap();
    feedsim().args(["report", cmp.to_str().unwrap()]).assert().success();
    let without = circles(&std::fs::read_to_string(cmp.join("report.html")).unwrap());
    assert!(with_replicates >= without + 3 * 2 * 3, "{with_replicates} circles with replicates, {without} without");

    let sweep = dir.path().join("sweep");
    feedsim()
        .args(["sweep", &quickstart(), "--param", "feed.popularity_weight=0.2,0.5"])
        .args(["--param", "variants.two_column.feed.slate_size=1,5", "--replicates", "2"])
        .args(["--out", sweep.to_str().unwrap(), "--report", "--quiet"])
        .args(SMALL)
        .assert()
        .success();
    let dom = dump_dom(&sweep.join("report.html"));
    assert_ids(&dom, &["sweep-creator_impressions_gini", "fig-sweep-creator_impressions_gini", "sweep-table"]);
}

fn decompose_report_loads_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("decompose");
    feedsim()
        .args(["decompose", &quickstart(), "--factor", "feed.follower_weight=0.1,0.8"])
        .args(["--factor", "feed.popularity_weight=0.2,0.5", "--replicates", "2"])
        .args(["--out", out.to_str().unwrap(), "--report", "--quiet"])
        .args(SMALL)
        .assert()
        .success();
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert_self_contained(&html);
    let dom = dump_dom(&out.join("report.html"));
    assert_ids(
        &dom,
        &["decompose-creator_impressions_gini", "fig-decompose-creator_impressions_gini", "decompose-table"],
    );
    // The chart names every term and the difference it splits.
    let chart = &dom[dom.find("id=\"decompose-creator_impressions_gini\"").unwrap()..];
    let chart = &chart[..chart.find("</svg>").unwrap()];
    for text in ["feed.follower_weight", "feed.popularity_weight", "all B − all A"] {
        assert!(chart.contains(text), "the decomposition chart lacks `{text}`");
    }
}

fn report_of_a_folder_without_results_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let assert = feedsim().args(["report", dir.path().to_str().unwrap()]).assert().code(2);
    let err = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(err.contains("summary.json") && err.contains("feedsim run"), "{err}");
    std::fs::write(dir.path().join("summary.json"), "{not json").unwrap();
    let assert = feedsim().args(["report", dir.path().to_str().unwrap()]).assert().code(2);
    let err = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(err.contains("summary.json") && err.contains("JSON"), "{err}");
}
