//! `notes.csv`: one row per note and variant, consistent with the creators' totals.

mod common;

const SMALL: [&str; 2] = ["world.users=3000", "ticks=6"];

#[test]
fn note_rows_add_up_to_the_creator_rows() {
    let out = common::run_on(&common::load("quickstart.toml", &SMALL), 2);
    for v in &out.variants {
        assert_eq!(v.notes.len() as f64, v.metrics["notes_posted"], "{}: a row per note", v.name);
        let mut by_author = vec![(0u64, 0u64); v.creators.len()];
        for n in &v.notes {
            by_author[n.author as usize].0 += n.impressions;
            by_author[n.author as usize].1 += u64::from(n.reads);
        }
        for c in &v.creators {
            assert_eq!(by_author[c.creator as usize], (c.impressions, c.reads), "{} creator {}", v.name, c.creator);
        }
        assert!(v.notes.iter().any(|n| n.likes > 0) && v.notes.iter().any(|n| n.stage > 0));
    }
    let csv = String::from_utf8(out.notes_csv().unwrap()).unwrap();
    let rows: usize = out.variants.iter().map(|v| v.notes.len()).sum();
    assert_eq!(csv.lines().count(), rows + 1);
    assert!(csv.starts_with("variant,note,author,topic,kind,born,quality,appeal,impressions,reads,likes,"));
}

#[test]
fn notes_csv_is_identical_on_one_and_two_threads() {
    let s = common::load("quickstart.toml", &SMALL);
    assert_eq!(common::run_on(&s, 1).notes_csv().unwrap(), common::run_on(&s, 2).notes_csv().unwrap());
}
