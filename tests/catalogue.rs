//! A fixed catalogue: exactly N items at tick 0, items listed inline or in a CSV file,
//! zero posting, and every mistake refused with the key and what is valid.

mod common;

use feedsim::scenario::{ScenarioError, load_file, load_str};

const MUSIC_LAB: &str = include_str!("../scenarios/music_lab.toml");

/// music_lab with its `[catalogue]` table replaced by `catalogue` (TOML text).
fn with_catalogue(catalogue: &str) -> String {
    let start = MUSIC_LAB.find("[catalogue]").unwrap();
    let end = start + MUSIC_LAB[start..].find("\n\n").unwrap();
    format!("{}{catalogue}{}", &MUSIC_LAB[..start], &MUSIC_LAB[end..])
}

fn error_of(text: &str) -> String {
    load_str(text, "<test>", &[]).map(|_| ()).expect_err("must be refused").to_string()
}

#[test]
fn catalogue_count_posts_exactly_n_items_at_tick_zero_the_same_in_every_variant() {
    let out = common::run_on(&common::load("music_lab.toml", &[]), 2);
    let first = &out.variants[0].notes;
    assert_eq!(first.len(), 48);
    let mut authors: Vec<u32> = first.iter().map(|n| n.author).collect();
    authors.sort();
    assert_eq!(authors, (0..48).collect::<Vec<_>>(), "one item per band");
    assert!(first.iter().all(|n| n.born == 0));
    // Items differ in quality (drawn from the group) and are the same in every variant.
    assert!(first.iter().any(|n| (n.quality - first[0].quality).abs() > 0.05));
    for v in &out.variants[1..] {
        let same: Vec<_> = v.notes.iter().map(|n| (n.author, n.quality, n.appeal)).collect();
        assert_eq!(same, first.iter().map(|n| (n.author, n.quality, n.appeal)).collect::<Vec<_>>());
    }
    // The items stay for the whole run: the last tick still has impressions.
    assert!(out.variants.iter().all(|v| v.ticks.last().unwrap().impressions > 0));
}

#[test]
fn catalogue_seed_keeps_the_items_while_the_world_seed_changes() {
    let items = |sets: &[&str]| {
        let out = common::run_on(&common::load("music_lab.toml", sets), 1);
        out.variants[0].notes.iter().map(|n| (n.quality, n.appeal)).collect::<Vec<_>>()
    };
    assert_ne!(items(&["seed=1"]), items(&["seed=2"]), "the drawn catalogue follows the world's seed");
    assert_eq!(items(&["seed=1", "catalogue.seed=9"]), items(&["seed=2", "catalogue.seed=9"]));
}

#[test]
fn listed_items_keep_their_author_topic_quality_appeal_kind_and_birth() {
    let text = with_catalogue(
        "[catalogue]\nitems = [\n  { author = \"bands\", topic = \"songs\", quality = 0.9, appeal = 0.1 },\n  \
         { author = \"bands\", topic = \"songs\", quality = 0.2, appeal = 0.8, kind = \"education\", born = 3 },\n]\n",
    );
    let s = load_str(&text, "<test>", &[]).unwrap();
    let out = common::run_on(&s, 1);
    let notes = &out.variants[0].notes;
    assert_eq!(notes.len(), 2);
    assert_eq!((notes[0].author, notes[0].quality, notes[0].appeal, notes[0].born), (0, 0.9, 0.1, 0));
    assert_eq!((notes[1].author, notes[1].quality, notes[1].appeal, notes[1].born), (1, 0.2, 0.8, 3));
    assert_eq!(notes[1].kind, feedsim::scenario::ContentKind::Education);
    assert!(notes[0].impressions > 0 && notes[1].impressions > 0);
}

#[test]
fn a_csv_file_next_to_the_scenario_gives_the_items() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("items.csv"),
        "author,topic,quality,appeal,kind\nbands,songs,0.7,0.3,practical\nbands,songs,0.4,0.6,lifestyle\n",
    )
    .unwrap();
    let file = dir.path().join("lab.toml");
    std::fs::write(&file, with_catalogue("[catalogue]\nfile = \"items.csv\"\n")).unwrap();
    let s = load_file(&file, &[]).unwrap();
    let items = &s.world_params().catalogue.items;
    assert_eq!(items.len(), 2);
    assert_eq!((items[0].quality, items[1].appeal), (0.7, 0.6));
    assert!(s.world_params().catalogue.file.is_none(), "read into items at load");
    // The resolved scenario is self-contained: it loads again from its own text.
    let resolved = toml::to_string(&s.variants[0].params).unwrap();
    assert!(resolved.contains("quality = 0.7"));
    // A bad row names the line and the columns.
    std::fs::write(dir.path().join("items.csv"), "author,topic,quality,appeal\nbands,songs,high,0.3\n").unwrap();
    let e = load_file(&file, &[]).unwrap_err().to_string();
    assert!(e.contains("catalogue.file") && e.contains("line 2") && e.contains("author,topic,quality,appeal"), "{e}");
    std::fs::remove_file(dir.path().join("items.csv")).unwrap();
    let e = load_file(&file, &[]).unwrap_err().to_string();
    assert!(e.contains("catalogue.file") && e.contains("cannot read"), "{e}");
}

#[test]
fn bad_catalogues_are_refused_naming_the_key_and_what_is_valid() {
    let item = |fields: &str| with_catalogue(&format!("[catalogue]\nitems = [ {{ {fields} }} ]\n"));
    let cases = [
        (
            item("author = \"drums\", topic = \"songs\", quality = 0.5, appeal = 0.5"),
            "catalogue.items[0].author",
            "groups are: bands",
        ),
        (
            item("author = \"bands\", topic = \"jazz\", quality = 0.5, appeal = 0.5"),
            "catalogue.items[0].topic",
            "topics are: songs",
        ),
        (
            item("author = \"bands\", topic = \"songs\", quality = 1.5, appeal = 0.5"),
            "catalogue.items[0].quality",
            "0 to 1",
        ),
        (
            item("author = \"bands\", topic = \"songs\", quality = 0.5, appeal = -1"),
            "catalogue.items[0].appeal",
            "0 to 1",
        ),
        (
            item("author = \"bands\", topic = \"songs\", quality = 0.5, appeal = 0.5, born = 10"),
            "catalogue.items[0].born",
            "0 to ticks − 1 (9)",
        ),
        (with_catalogue("[catalogue]\ncount = 5\n"), "catalogue.group", "groups are: bands"),
        (with_catalogue("[catalogue]\ncount = 5\ngroup = \"nobody\"\n"), "catalogue.group", "not a creator group"),
        (with_catalogue("[catalogue]\ngroup = \"bands\"\n"), "catalogue.group", "catalogue.count = 0"),
        (with_catalogue(""), "creators", "or a [catalogue] of items"),
    ];
    for (text, key, valid) in cases {
        let e = error_of(&text);
        assert!(e.contains(&format!("`{key}`")) && e.contains(valid), "want `{key}` and {valid:?}, got: {e}");
    }
    // The catalogue is part of the world: a variant may not change it.
    let e = error_of(&format!("{MUSIC_LAB}\n[variants.catalogue]\ncount = 12\n"));
    assert!(e.contains("catalogue.count") && e.contains("variants share one world"), "{e}");
    let e = load_str(MUSIC_LAB, "<test>", &["catalogue.file=x.csv".into()]).map(|_| ()).unwrap_err();
    assert!(matches!(e, ScenarioError::Invalid { .. }) && e.to_string().contains("catalogue.file"), "{e}");
}

#[test]
fn freshness_half_life_accepts_inf_but_not_other_non_finite_values() {
    assert!(load_str(MUSIC_LAB, "<test>", &[]).is_ok());
    let e = error_of(&MUSIC_LAB.replace("freshness_half_life = inf", "freshness_half_life = nan"));
    assert!(e.contains("feed.freshness_half_life") && e.contains("or inf"), "{e}");
    let e = error_of(&MUSIC_LAB.replace("freshness_half_life = inf", "freshness_half_life = 0"));
    assert!(e.contains("0.01 to 1000000"), "{e}");
}
