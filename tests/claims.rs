//! The seed's claims as tests. Each claim is measured over replicates with paired 95 %
//! intervals on the shipped quickstart scenario (smaller world, fewer ticks), and each has
//! its flip: the same measurement with the responsible mechanism switched off (everything
//! else running) must lose at least half of the effect. No code path checks which feed
//! runs: the variants differ only in parameters.

mod common;

use feedsim::observe::stats::{MedianInterval, median_interval};
use feedsim::scenario::{Audience, Layout, Scenario};
use feedsim::study::compare::{Comparison, Estimate, Replicate, compare, run_replicates};

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

/// Follower weighting switched off as a difference: the single-column variant gets the
/// two-column follower exponent (S3: XHS dropped follower-weighted traffic), everything
/// else as shipped.
fn equal_follower_weighting(mut s: Scenario) -> Scenario {
    s.variants[1].params.feed.follower_weight = s.variants[0].params.feed.follower_weight;
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
    let gini = diff(&c, "creator_impressions_gini");
    assert!(gini.ci_high < 0.0, "creator Gini: two_column − single_column = {gini:?}, expected < 0");
    // Flip: the layout carries most of the effect (README, decomposition), so the
    // single-column variant gets the two-column layout (K = 5 covers, a choice) and keeps
    // its traffic pools, follower weighting and noisy signal. The gap must shrink by at
    // least half.
    let mut s = quickstart();
    s.variants[1].params.feed.layout = Layout::TwoColumn;
    let f = diff(&run(&s), "top1pct_share");
    eprintln!("C1 flip (two-column layout on both): top-1 % share difference {f:?}");
    assert!(f.mean > 0.5 * top.mean, "the layout flip kept the top-1 % gap: {f:?} vs {top:?}");
}

/// Four weekly windows (the head is compared window to window, from the first on).
fn four_weeks() -> Scenario {
    let mut s = common::load("quickstart.toml", &["world.users=20000", "ticks=28"]);
    s.variants.iter_mut().for_each(|v| v.params.metrics.window_ticks = 7);
    s
}

/// The head part of C2: the top-10 institutions by weekly reach stay on top on the
/// single-column feed more than a random re-ranking of the same reach would keep them
/// (`head_stability.top_kept_chance`, 10 / institutions), and more than on two-column.
#[test]
fn c2_single_column_keeps_the_head() {
    let c = run(&four_weeks());
    let single = &c.variants[1].metrics;
    let excess = single["head_stability.top_kept_beyond_chance"];
    eprintln!(
        "C2 single_column top-10 kept {:?} against the random re-ranking null {:?}",
        single["head_stability.top_kept"], single["head_stability.top_kept_chance"]
    );
    assert!(excess.ci_low > 0.0, "single_column keeps its head no better than chance: excess {excess:?}");
    let d = diff(&c, "head_stability.top_kept_beyond_chance");
    eprintln!("C2 top-10 kept beyond chance, two_column − single_column = {d:?}");
    assert!(d.ci_high < 0.0, "two_column keeps its head as well as single_column: {d:?}");
    // Flip: the single-column feed's two head-favouring mechanisms in the decomposition,
    // its one-item layout and its follower weighting, both made two-column; its traffic
    // pools and noisy signal keep running. The gap must shrink by at least half. (Measured
    // apart, README: equal follower weighting alone leaves 39 % of the gap, the two-column
    // layout alone 58 %.)
    let mut s = equal_follower_weighting(four_weeks());
    s.variants[1].params.feed.layout = Layout::TwoColumn;
    let f = diff(&run(&s), "head_stability.top_kept_beyond_chance");
    eprintln!("C2 flip (two-column layout and follower weighting on both): {f:?}");
    assert!(f.mean > 0.5 * d.mean, "the flip kept the head-stability gap: {f:?} vs {d:?}");
}

/// The waist-and-tail part of C2 does not emerge: the institutions outside the head have
/// *less* volatile weekly reach on single_column (README, claims table; the layout
/// carries it). Kept runnable with `cargo test --release -- --ignored c2`.
#[test]
#[ignore = "C2's waist-and-tail part does not emerge in this model (README, claims table): run with --ignored"]
fn c2_single_column_shakes_waist_and_tail_institutions() {
    let c = run(&four_weeks());
    let rest = diff(&c, "volatility.rest_cv");
    eprintln!("C2 rest CV two_column − single_column = {rest:?}");
    assert!(rest.ci_high < 0.0, "waist/tail volatility two_column − single_column = {rest:?}, expected < 0");
    let f = diff(&run(&equal_follower_weighting(four_weeks())), "volatility.rest_cv");
    assert!(f.mean > 0.75 * rest.mean, "flip kept the volatility gap: {f:?} vs {rest:?}");
}

#[test]
fn c3_reach_depends_less_on_followers_on_two_column() {
    let c = run(&quickstart());
    let d = diff(&c, "follower_elasticity");
    eprintln!("C3 follower elasticity two_column − single_column = {d:?}");
    assert!(d.ci_high < 0.0, "elasticity two_column − single_column = {d:?}, expected < 0");
    let head = diff(&c, "tier_share.head_ge_100k");
    eprintln!("C3 head (≥ 100 k) share two_column − single_column = {head:?}");
    assert!(head.ci_high < 0.0, "head share two_column − single_column = {head:?}, expected < 0");
    // Flip: with the same follower weighting the elasticity gap must shrink by at least
    // half.
    let f = diff(&run(&equal_follower_weighting(quickstart())), "follower_elasticity");
    eprintln!("C3 flip (equal follower weighting): {f:?}");
    assert!(f.mean > 0.5 * d.mean, "flip kept most of the elasticity gap: {f:?} vs {d:?}");
}

/// Replicates for the conversion claim: conversions are few and heavy-tailed across
/// replicates (one advocate's review can carry a run), so it takes 20 and a median.
const C4_REPLICATES: usize = 20;

/// Each replicate's metrics, per variant.
fn per_replicate(s: &Scenario, replicates: usize) -> Vec<Replicate> {
    let runs = feedsim::engine::thread_pool(0)
        .unwrap()
        .install(|| run_replicates(s, replicates, false, Vec::new(), &|| false, &|_| {}));
    runs.into_iter().map(|r| r.expect("never stopped")).collect()
}

/// Median of the paired differences variant 0 − variant 1, with the sign test's
/// distribution-free 95 % interval (heavy tails cannot widen it).
fn median_diff(runs: &[Replicate], metric: &str) -> MedianInterval {
    let d: Vec<f64> = runs.iter().map(|r| r.metrics[0][metric] - r.metrics[1][metric]).collect();
    median_interval(&d).unwrap_or_else(|| panic!("{metric}: no interval from {d:?}"))
}

/// S6's anti-funnel: the recommender finds a note's core crowd, content stimulates
/// *that* crowd to act, and traffic efficiency improves. Every journey stage after
/// awareness scales with the reader's interest in the topic, so reaching the core crowd
/// first should convert more per unit of attention on two_column. The seed speaks of
/// traffic, so the asserted unit is conversions per 1,000 impressions of the focal
/// institutions' notes; per read and per decision are reported beside it.
///
/// Does not emerge per impression: single_column converts more per impression (paired
/// median −1.57 [−2.36, −0.62] per 1,000 over 20 replicates), while two_column converts
/// more per read (+4.90 [+1.82, +7.93]); per decision the difference is not resolved
/// (README, claims table). Kept runnable with `cargo test --release -- --ignored c4`.
#[test]
#[ignore = "C4 does not emerge per impression in this model (README, claims table): run with --ignored"]
fn c4_two_column_converts_per_impression_more_than_single_column() {
    let runs = per_replicate(&quickstart(), C4_REPLICATES);
    for unit in ["focal_impressions", "focal_reads", "decisions"] {
        let key = format!("conversions_per_1000_{unit}");
        let m = median_diff(&runs, &key);
        let (a, b): (Vec<f64>, Vec<f64>) = runs.iter().map(|r| (r.metrics[0][&key], r.metrics[1][&key])).unzip();
        eprintln!(
            "C4 {key}: two_column median {:.3}, single_column median {:.3}; paired median difference {:.3} [{:.3}, {:.3}] (coverage {:.3})",
            median_interval(&a).unwrap().median,
            median_interval(&b).unwrap().median,
            m.median,
            m.low,
            m.high,
            m.coverage
        );
    }
    let ages = |v: usize| {
        let m = &runs[0].metrics[v];
        [m["ring_mean_age.core"], m["ring_mean_age.high_potential"], m["ring_mean_age.general"]]
    };
    eprintln!(
        "C4 mean age of impressions by ring (replicate 0): two_column {:?}, single_column {:?}",
        ages(0),
        ages(1)
    );
    let key = "conversions_per_1000_focal_impressions";
    let d = median_diff(&runs, key);
    assert!(d.low > 0.0, "{key}: two_column − single_column median {d:?}, expected > 0");
    // Flip: the crowd rings off (two_column on traffic pools), all else running; the
    // advantage must shrink to under half.
    let mut s = quickstart();
    s.variants[0].params.feed.audience = Audience::TrafficPools;
    let f = median_diff(&per_replicate(&s, C4_REPLICATES), key);
    eprintln!("C4 flip (two_column on traffic pools): {f:?}");
    assert!(f.median < 0.5 * d.median, "traffic pools kept the conversion advantage: {f:?} vs {d:?}");
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

/// C5 at equal impressions: the one-cover variant makes five times the decisions, so both
/// see as many covers; the slate's advantage then is what a choice among K teaches beyond
/// K separate looks.
#[test]
fn c5_at_equal_impressions() {
    let mut s = slates(5);
    s.variants[1].params.response.decisions_scale = 5.0;
    let c = run(&s);
    // Equal in the channel the layouts differ in: feed impressions (searches, follow
    // looks and shares from friends come on top, and five times the decisions means five
    // times the searches).
    let key = "impressions_by_channel.feed";
    let imps = diff(&c, key);
    let rel = imps.mean / c.variants[1].metrics[key].mean;
    eprintln!("C5 equal impressions: K=5 − K=1 feed impressions {imps:?} ({:.1} % of K=1's)", 100.0 * rel);
    eprintln!("C5 equal impressions: K=5 − K=1 all impressions {:?}", diff(&c, "impressions"));
    assert!(rel.abs() < 0.1, "feed impressions differ by {:.1} %: not an equal-impressions design", 100.0 * rel);
    let d = diff(&c, "interest_rank_corr");
    eprintln!("C5 equal impressions: K=5 − K=1 interest tau {d:?}");
    assert!(d.ci_low > 0.0, "at equal impressions: K=5 − K=1 = {d:?}, expected > 0");
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
