//! The seed's claims as tests. Each claim is measured over replicates with paired 95 %
//! intervals on the shipped quickstart scenario (smaller world, fewer ticks), and each has
//! its flip: the same measurement with the responsible mechanism switched off must lose
//! the effect. No code path checks which feed runs: the variants differ only in
//! parameters.

mod common;

use feedsim::scenario::{Audience, Layout, Scenario};
use feedsim::study::compare::{Comparison, Estimate, compare};

const REPLICATES: usize = 4;
/// The quickstart's own world size, where the asserted metrics have converged (the scale
/// table in the README: between 20 k and 80 k users they move by less than their replicate
/// spread), over three weeks.
const SMALL: [&str; 2] = ["world.users=20000", "ticks=21"];

fn quickstart() -> Scenario {
    common::load("quickstart.toml", &SMALL)
}

fn run(s: &Scenario) -> Comparison {
    feedsim::engine::thread_pool(0).unwrap().install(|| compare(s, REPLICATES, &|| {}))
}

/// Paired difference two_column − single_column of a metric.
fn diff(c: &Comparison, metric: &str) -> Estimate {
    let (a, b) = (&c.variants[0].name, &c.variants[1].name);
    c.difference(a, b, metric).unwrap_or_else(|| panic!("no {metric}"))
}

/// Switches off what makes the single-column feed favour the head: its follower and
/// popularity weights become the two-column ones and every traffic pool weighs the same.
fn without_head_weighting(mut s: Scenario) -> Scenario {
    let two = s.variants[0].params.feed.clone();
    let single = &mut s.variants[1].params.feed;
    single.follower_weight = two.follower_weight;
    single.popularity_weight = two.popularity_weight;
    single.stage_boost.iter_mut().for_each(|b| *b = 1.0);
    s
}

/// The shipped comparison writes no answer in: its feeds differ only in the mechanisms the
/// seed names (layout with its K, S5; audience rule, S4 against S6; feedback signal, S5;
/// follower weighting, S3).
#[test]
fn variants_differ_only_in_named_mechanisms() {
    let s = quickstart();
    let keys = feedsim::scenario::differing_keys(&s);
    assert_eq!(keys[1].0, "single_column");
    assert_eq!(keys[1].1, ["feed.audience", "feed.follower_weight", "feed.layout", "feed.signal_noise"]);
}

#[test]
fn c1_single_column_concentrates_creator_impressions() {
    let c = run(&quickstart());
    let top = diff(&c, "top1pct_share");
    eprintln!("C1 top-1 % share two_column − single_column = {top:?}");
    eprintln!("C1 creator Gini two_column − single_column = {:?}", diff(&c, "creator_impressions_gini"));
    assert!(top.ci_high < 0.0, "top-1 % share: two_column − single_column = {top:?}, expected < 0");
    // Flip: the layout carries most of the effect (README, decomposition), so the
    // single-column variant gets the two-column layout (K = 5 covers, a choice) and keeps
    // its traffic pools, follower weighting and noisy signal. The gap must shrink by at
    // least a quarter.
    let mut s = quickstart();
    s.variants[1].params.feed.layout = Layout::TwoColumn;
    let f = diff(&run(&s), "top1pct_share");
    eprintln!("C1 flip (two-column layout on both): top-1 % share difference {f:?}");
    assert!(f.mean > 0.75 * top.mean, "the layout flip kept the top-1 % gap: {f:?} vs {top:?}");
}

/// Does not emerge with the ranking recommender: the waist and tail institutions' reach is
/// *more* volatile on two_column (README, claims table; the layout carries it). Kept
/// runnable with `cargo test --release -- --ignored c2`.
#[test]
#[ignore = "C2 does not emerge in this model (README, claims table): run with --ignored"]
fn c2_single_column_shakes_waist_and_tail_institutions() {
    let mut s = common::load("quickstart.toml", &["world.users=20000", "ticks=28"]);
    s.variants.iter_mut().for_each(|v| v.params.metrics.window_ticks = 7);
    let c = run(&s);
    let rest = diff(&c, "volatility.rest_cv");
    assert!(rest.ci_high < 0.0, "waist/tail volatility two_column − single_column = {rest:?}, expected < 0");
    // The head's own stability (top-10 kept between windows) is reported but not asserted:
    // in this model the top-10 churns about as much on both feeds (see the closing note).
    eprintln!("C2 top-10 kept two_column − single_column = {:?}", diff(&c, "head_stability.top_kept"));
    eprintln!("C2 rest CV two_column − single_column = {rest:?}");
    // Flip: without head weighting the waist and tail are no longer shakier there.
    let flipped = run(&without_head_weighting(s));
    let d = diff(&flipped, "volatility.rest_cv");
    assert!(d.mean > 0.5 * rest.mean, "flip kept the volatility gap: {d:?} vs {rest:?}");
}

/// Does not emerge with the ranking recommender: the follower elasticity is slightly
/// *higher* on two_column (README, claims table). Kept runnable with `cargo test --release
/// -- --ignored c3`.
#[test]
#[ignore = "C3 does not emerge in this model (README, claims table): run with --ignored"]
fn c3_reach_depends_less_on_followers_on_two_column() {
    let c = run(&quickstart());
    let d = diff(&c, "follower_elasticity");
    assert!(d.ci_high < 0.0, "elasticity two_column − single_column = {d:?}, expected < 0");
    let head = diff(&c, "tier_share.head_ge_100k");
    assert!(head.ci_high < 0.0, "head share two_column − single_column = {head:?}, expected < 0");
    // Flip: with the same follower weighting the elasticity gap is gone or reversed.
    let flipped = run(&without_head_weighting(quickstart()));
    let d = diff(&flipped, "follower_elasticity");
    assert!(d.ci_high >= 0.0, "flip kept a lower elasticity on two_column: {d:?}");
}

/// Mean note age of general-crowd impressions minus that of core-crowd impressions: the
/// anti-funnel reaches the core first, so this gap is positive.
fn ring_gap(c: &Comparison, variant: usize) -> f64 {
    let v = &c.variants[variant];
    v.metrics["ring_mean_age.general"].mean - v.metrics["ring_mean_age.core"].mean
}

/// Does not emerge with the ranking recommender: the gap between the mean age of
/// general-crowd and core-crowd impressions is smaller on two_column than on single_column
/// (README, claims table). Kept runnable with `cargo test --release -- --ignored c4`.
#[test]
#[ignore = "C4 does not emerge in this model (README, claims table): run with --ignored"]
fn c4_two_column_penetrates_rings_in_order() {
    // The order of the rings alone would read back the staging rule (stage s opens ring
    // s), so the claim is measured as a gap between feeds, and its flip keeps the rings'
    // stages, reviews and everything else running on the same feed.
    let c = run(&quickstart());
    let two = &c.variants[0].metrics;
    eprintln!(
        "C4 mean age of impressions by ring on two_column: core {:?}, high-potential {:?}, general {:?}",
        two["ring_mean_age.core"], two["ring_mean_age.high_potential"], two["ring_mean_age.general"]
    );
    assert!(
        ring_gap(&c, 0) > ring_gap(&c, 1),
        "two_column gap {} ≤ single_column {}",
        ring_gap(&c, 0),
        ring_gap(&c, 1)
    );
    // Flip: the same two-column feed with traffic pools instead of crowd rings reaches
    // all rings at once; the ordered gap shrinks to under half.
    let mut s = quickstart();
    s.variants[0].params.feed.audience = Audience::TrafficPools;
    let flipped = run(&s);
    assert!(
        ring_gap(&flipped, 0) < 0.5 * ring_gap(&c, 0),
        "flip kept the ring order: gap {} vs {}",
        ring_gap(&flipped, 0),
        ring_gap(&c, 0)
    );
}

/// Two two-column variants that differ only in slate size.
fn slates(k_many: u32) -> Scenario {
    let mut s = quickstart();
    s.variants[1] = s.variants[0].clone();
    s.variants[1].name = "one_cover".into();
    s.variants[1].params.feed.slate_size = 1;
    s.variants[0].params.feed.slate_size = k_many;
    s
}

#[test]
fn c5_a_slate_learns_interests_faster_than_one_item() {
    let c = run(&slates(5));
    for metric in ["interest_rank_corr", "interest_rank_corr_mean"] {
        let d = diff(&c, metric);
        assert!(d.ci_low > 0.0, "{metric}: K=5 − K=1 = {d:?}, expected > 0");
    }
    // Flip: the recommender still learns at the same rates from every slot, but what it
    // observes no longer carries the user's choice (each signal is flipped with chance
    // 1/2). Estimates keep moving; the slate's advantage must shrink to under half or
    // reverse.
    let before = diff(&c, "interest_rank_corr");
    let mut s = slates(5);
    for v in &mut s.variants {
        v.params.feed.signal_noise = 0.5;
    }
    let flipped = run(&s);
    let d = diff(&flipped, "interest_rank_corr");
    eprintln!("C5 K=5 − K=1 interest tau: {before:?}; with uninformative feedback {d:?}");
    assert!(d.mean < 0.5 * before.mean, "flip kept the learning gap: {d:?} vs {before:?}");
}

#[test]
fn c6_a_small_institution_with_good_content_reaches_its_target_users_on_two_column() {
    let s = common::load("fund_company_small.toml", &SMALL);
    let key = "target_impressions_per_note.small_quality_fund";
    // Reviews and shares make this account's reach heavy-tailed across replicates, so
    // this claim takes twice the usual replicates.
    let run = |s: &Scenario| feedsim::engine::thread_pool(0).unwrap().install(|| compare(s, 2 * REPLICATES, &|| {}));
    let c = run(&s);
    let d = diff(&c, key);
    eprintln!("C6 {key}: two_column − single_column = {d:?}");
    assert!(d.ci_low > 0.0, "the 1 k-follower fund did not reach more target users on two_column: {d:?}");
    // Flip: the same two-column feed showing one cover per decision. In this model the
    // small account's advantage comes from the slate (more covers per decision, each a
    // chance to be chosen on merit); neither traffic pools nor the single-column head
    // weighting on the two-column feed removed it (see the closing note).
    let mut flipped = s.clone();
    flipped.variants[0].params.feed.slate_size = 1;
    let f = run(&flipped);
    let (before, after) = (c.variants[0].metrics[key].mean, f.variants[0].metrics[key].mean);
    eprintln!("C6 flip: two_column {before} → {after} with one cover per decision");
    assert!(after < 0.5 * before, "a one-cover slate did not cut the small account's target reach: {before} → {after}");
}
