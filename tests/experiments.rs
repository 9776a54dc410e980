//! Controlled experiments: success measured over items (`metrics.success`), per-item
//! rows per replicate, and `compare --fixed-items` (same catalogue, people redrawn).

mod common;

use assert_cmd::Command;
use feedsim::observe::concentration::gini;
use feedsim::scenario::load_str;
use feedsim::study::compare::{run_replicates, summarise_replicates, with_fixed_items};

const MUSIC_LAB: &str = include_str!("../scenarios/music_lab.toml");

#[test]
fn success_metrics_are_computed_over_the_items_that_exist() {
    let out = common::run_on(&common::load("music_lab.toml", &[]), 1);
    for v in &out.variants {
        let likes: Vec<f64> = v.notes.iter().map(|n| f64::from(n.likes)).collect();
        assert_eq!(v.metrics["success.items"], 48.0);
        assert_eq!(v.metrics["success.total"], likes.iter().sum::<f64>());
        assert!((v.metrics["success.gini"] - gini(&likes)).abs() < 1e-12);
        assert!(v.metrics["success.total"] > 0.0 && v.metrics["success.gini"] > 0.0);
    }
    // Reads instead of likes: another count, another Gini.
    let reads = common::run_on(&common::load("music_lab.toml", &["metrics.success=\"reads\""]), 1);
    let v = &reads.variants[0];
    assert_eq!(v.metrics["success.total"], v.notes.iter().map(|n| f64::from(n.reads)).sum::<f64>());
    assert_ne!(v.metrics["success.gini"], out.variants[0].metrics["success.gini"]);
}

#[test]
fn without_metrics_success_there_are_no_success_metrics() {
    let out = common::run_on(&common::load("quickstart.toml", &["world.users=2000", "ticks=3"]), 1);
    assert!(out.variants.iter().all(|v| !v.metrics.keys().any(|k| k.starts_with("success."))));
}

#[test]
fn a_bad_success_measure_names_the_key_and_the_valid_values() {
    let e = load_str(&MUSIC_LAB.replace("success = \"likes\"", "success = \"downloads\""), "<t>", &[])
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(e.contains("downloads") && e.contains("impressions") && e.contains("follows"), "{e}");
}

#[test]
fn fixed_items_keep_the_catalogue_and_redraw_the_people() {
    let s = with_fixed_items(&common::load("music_lab.toml", &["world.users=800", "ticks=4"])).unwrap();
    let runs: Vec<_> =
        run_replicates(&s, 3, false, Vec::new(), &|| false, &|_| ()).into_iter().map(|r| r.unwrap()).collect();
    let items = |r: usize| runs[r].notes[0].iter().map(|n| (n.quality, n.appeal)).collect::<Vec<_>>();
    assert_eq!(items(0), items(1));
    assert_eq!(items(0), items(2));
    // The people are redrawn: the items' likes differ between worlds.
    let likes = |r: usize| runs[r].notes[0].iter().map(|n| n.likes).collect::<Vec<_>>();
    assert_ne!(likes(0), likes(1));
    let cmp = summarise_replicates(&s, &runs, false);
    assert!(cmp.fixed_items);
    let u = cmp.item_unpredictability["ranked_with_counts"];
    assert_eq!(u.n, 48);
    assert!(u.mean > 0.0 && u.ci_low <= u.mean && u.mean <= u.ci_high);
}

#[test]
fn independent_replicates_draw_other_items_and_report_no_item_unpredictability() {
    let s = common::load("music_lab.toml", &["world.users=800", "ticks=3"]);
    let runs: Vec<_> =
        run_replicates(&s, 2, false, Vec::new(), &|| false, &|_| ()).into_iter().map(|r| r.unwrap()).collect();
    assert_ne!(runs[0].notes[0][0].quality, runs[1].notes[0][0].quality);
    assert!(summarise_replicates(&s, &runs, false).item_unpredictability.is_empty());
}

#[test]
fn fixed_items_are_refused_where_worlds_would_hold_other_notes() {
    let e = with_fixed_items(&common::load("quickstart.toml", &[])).unwrap_err();
    assert!(e.contains("[catalogue]") && e.contains("--fixed-world"), "{e}");
    let text = MUSIC_LAB.replace("posts_per_tick = 0.0 ", "posts_per_tick = 0.1 ");
    let posting = load_str(&text, "<t>", &[]).unwrap();
    let e = with_fixed_items(&posting).unwrap_err();
    assert!(e.contains("creators[`bands`]") && e.contains("posts_per_tick = 0"), "{e}");
}

#[test]
fn compare_fixed_items_writes_per_item_rows_per_replicate() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cmp");
    let assert = Command::cargo_bin("feedsim")
        .unwrap()
        .args(["compare", common::scenario_path("music_lab.toml").to_str().unwrap(), "--replicates", "2"])
        .args(["--fixed-items", "--threads", "1", "--set", "ticks=3", "--out", out.to_str().unwrap()])
        .assert()
        .success();
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(stdout.contains("unpredictability of items' success shares (ranked_with_counts)"), "{stdout}");
    let items = std::fs::read_to_string(out.join("items.csv")).unwrap();
    assert!(items.starts_with("replicate,seed,variant,note,author,"));
    assert_eq!(items.lines().count(), 1 + 48 * 4 * 2, "items × variants × replicates");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("comparison.json")).unwrap()).unwrap();
    assert_eq!(json["fixed_items"], true);
    assert!(json["item_unpredictability"]["random_without_counts"]["mean"].as_f64().unwrap() > 0.0);
    // --fixed-world already fixes the items: the two flags do not combine.
    Command::cargo_bin("feedsim")
        .unwrap()
        .args(["compare", common::scenario_path("music_lab.toml").to_str().unwrap(), "--fixed-items"])
        .args(["--fixed-world", "--out", dir.path().join("x").to_str().unwrap()])
        .assert()
        .code(2);
}

#[test]
fn validate_warns_about_a_control_that_still_uses_engagement_and_neutral_silences_it() {
    let validate = |path: &std::path::Path, sets: &[&str]| {
        let mut cmd = Command::cargo_bin("feedsim").unwrap();
        cmd.args(["validate", path.to_str().unwrap()]);
        for s in sets {
            cmd.args(["--set", s]);
        }
        String::from_utf8(cmd.assert().success().get_output().stdout.clone()).unwrap()
    };
    let out = validate(&common::scenario_path("neutral_market.toml"), &[]);
    assert!(out.contains("warning: variant `neutral`") && out.contains("feed.neutral = true"), "{out}");
    assert!(!out.contains("variant `ranked_with_counts` looks"), "{out}");
    let out = validate(&common::scenario_path("neutral_market.toml"), &["feed.neutral=true"]);
    assert!(!out.contains("warning"), "{out}");
    assert!(!validate(&common::scenario_path("music_lab.toml"), &[]).contains("warning"));
}

#[test]
fn the_neutral_recommender_resolves_to_no_engagement_terms() {
    let s = common::load("music_lab.toml", &[]);
    let control = &s.variants.iter().find(|v| v.name == "random_without_counts").unwrap().params;
    assert!(feedsim::scenario::engagement_signals(control).is_empty());
    let f = &control.feed;
    assert_eq!((f.quality_weight, f.popularity_weight, f.feedback_weight, f.follower_weight), (0.0, 0.0, 0.0, 0.0));
    let ranked = &s.variants[0].params;
    assert!(!feedsim::scenario::engagement_signals(ranked).is_empty());
    // Neutral slates are drawn without regard to quality: with a strong quality weight
    // the ranked market gives the best item a larger share of impressions (on pages of
    // 12 of the 48 items, where the recommender picks what is shown).
    let out = common::run_on(&common::load("music_lab.toml", &["feed.slate_size=12", "feed.candidates=24"]), 1);
    let best_share = |name: &str| {
        let v = out.variants.iter().find(|v| v.name == name).unwrap();
        let best = v.notes.iter().max_by(|a, b| a.quality.total_cmp(&b.quality)).unwrap();
        best.impressions as f64 / v.notes.iter().map(|n| n.impressions as f64).sum::<f64>()
    };
    assert!(best_share("ranked_without_counts") > 2.0 * best_share("random_without_counts"));
    assert!(best_share("random_without_counts") < 2.0 / 48.0, "about a 1/48 share under neutral slates");
}

#[test]
fn once_per_item_memory_lets_each_user_read_an_item_at_most_once() {
    let users = 2000u32;
    let max_reads = |sets: &[&str]| {
        let out = common::run_on(&common::load("music_lab.toml", sets), 2);
        out.variants.iter().flat_map(|v| v.notes.iter().map(|n| n.reads)).max().unwrap()
    };
    let without = max_reads(&["response.once_per_item=false"]);
    assert!(without > users, "without memory a popular item is read more often than there are users");
    assert!(max_reads(&["response.once_per_item=true"]) <= users);
    // Deterministic on any thread count, as everything else.
    let s = common::load("music_lab.toml", &["response.once_per_item=true", "ticks=4"]);
    assert_eq!(common::run_on(&s, 1).notes_csv().unwrap(), common::run_on(&s, 2).notes_csv().unwrap());
}

#[test]
fn the_count_shown_and_its_form_change_the_market_and_bad_values_are_refused() {
    let likes = |sets: &[&str]| {
        let out = common::run_on(&common::load("music_lab.toml", sets), 1);
        out.variants[0].notes.iter().map(|n| n.likes).collect::<Vec<_>>()
    };
    let base = likes(&["ticks=4"]);
    assert_ne!(base, likes(&["ticks=4", "feed.count_shown=\"impressions\""]));
    assert_ne!(base, likes(&["ticks=4", "response.social_signal=\"share\""]));
    for (set, valid) in [
        ("feed.count_shown=\"plays\"", "impressions"),
        ("response.social_signal=\"sqrt\"", "linear"),
        ("response.social_influence=100", "-50 to 50"),
    ] {
        let e = load_str(MUSIC_LAB, "<t>", &[set.to_string()]).map(|_| ()).unwrap_err().to_string();
        assert!(e.contains(valid), "{set}: {e}");
    }
}

#[test]
fn a_catalogue_page_shows_most_of_the_48_items_on_a_grid_and_on_a_list() {
    let control_impressions = |sets: &[&str]| {
        let out = common::run_on(&common::load("music_lab.toml", sets), 1);
        let control = out.variants.iter().find(|v| v.name == "random_without_counts").unwrap();
        control.notes.iter().map(|n| n.impressions).collect::<Vec<_>>()
    };
    let twelve: u64 = control_impressions(&["ticks=2", "feed.slate_size=12", "feed.candidates=24"]).iter().sum();
    for layout in [&["feed.layout=\"grid\"", "feed.columns=4"][..], &["feed.layout=\"list\"", "feed.columns=2"][..]] {
        let mut sets = vec!["ticks=2", "feed.slate_size=48", "feed.candidates=64"];
        sets.extend_from_slice(layout);
        let imps = control_impressions(&sets);
        // Pages of 48 (retrieval draws 64 candidates, keeping distinct ones) show more
        // than three times what pages of 12 show, and under the neutral recommender
        // every item about equally often.
        assert!(imps.iter().sum::<u64>() > 3 * twelve, "{layout:?}");
        let (min, max) = (*imps.iter().min().unwrap(), *imps.iter().max().unwrap());
        assert!(min as f64 > 0.95 * max as f64, "{layout:?}: {min} .. {max}");
    }
}

#[test]
fn grid_columns_and_page_sizes_are_validated() {
    for (sets, valid) in [
        (&["feed.layout=\"two_column\""][..], "applies to layout = \"grid\" only"),
        (&["feed.layout=\"grid\"", "feed.columns=0"][..], "1 to 16"),
        (&["feed.slate_size=65"][..], "1 to 64"),
        (&["feed.candidates=129"][..], "to 128"),
        (&["feed.layout=\"pages\""][..], "grid"),
    ] {
        let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        let e = load_str(MUSIC_LAB, "<t>", &sets).map(|_| ()).unwrap_err().to_string();
        assert!(e.contains(valid), "{sets:?}: {e}");
    }
}

#[test]
fn sequential_arrival_lets_each_user_see_the_counts_left_by_those_before() {
    // One tick on neutral pages with counts shown: under synchronous ticks every user
    // sees the tick's starting counts (all 0), so the pull of counts cannot act; under
    // sequential arrival later users see earlier users' likes.
    let likes = |sets: &[&str], threads: usize| {
        let mut all = vec!["ticks=1", "feed.neutral=true", "feed.show_counts=true"];
        all.extend_from_slice(sets);
        let out = common::run_on(&common::load("music_lab.toml", &all), threads);
        let v = &out.variants[0];
        (v.notes.iter().map(|n| n.likes).collect::<Vec<_>>(), v.metrics["success.gini"])
    };
    let sync_off = likes(&["arrival=\"synchronous\"", "response.social_influence=0"], 1);
    let sync_on = likes(&["arrival=\"synchronous\"", "response.social_influence=3"], 1);
    assert_eq!(sync_off, sync_on, "synchronous: no count to see in tick 0");
    let seq_off = likes(&["arrival=\"sequential\"", "response.social_influence=0"], 1);
    let seq_on = likes(&["arrival=\"sequential\"", "response.social_influence=3"], 1);
    assert!(seq_on.1 > seq_off.1 + 0.1, "a herd forms within the tick: {} vs {}", seq_on.1, seq_off.1);
    // Deterministic on any thread count.
    assert_eq!(seq_on, likes(&["arrival=\"sequential\"", "response.social_influence=3"], 2));
    let e = load_str(MUSIC_LAB, "<t>", &["arrival=\"queued\"".into()]).map(|_| ()).unwrap_err().to_string();
    assert!(e.contains("sequential") && e.contains("synchronous"), "{e}");
}

#[test]
fn the_memory_plan_counts_once_per_item_memory() {
    let plan = |sets: &[&str]| feedsim::engine::plan::MemoryPlan::of(&common::load("music_lab.toml", sets));
    let with = plan(&["response.once_per_item=true"]);
    let without = plan(&["response.once_per_item=false"]);
    // Ten ticks of three decisions: up to 30 notes read per user, 8 B each, and a header.
    assert_eq!(with.bytes_per_user - without.bytes_per_user, 24 + 8 * 30);
}
