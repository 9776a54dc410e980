//! How users respond to what a feed shows them: the shared response model.
//!
//! Every feed uses these functions, so a difference between feeds is never a difference
//! in how people behave. Interest is the user's true interest in the note's topic;
//! quality and appeal are the note's latent quality and its cover's appeal.

pub mod journey;

use rand_pcg::Pcg64Mcg;

use crate::rng::unit;
use crate::scenario::{ActLogit, ResponseModel};

/// What a user perceives of one slate item.
#[derive(Debug, Clone, Copy, Default)]
pub struct CoverView {
    /// The user's true interest in the item's topic.
    pub interest: f32,
    /// The cover's appeal.
    pub appeal: f32,
    /// The note's quality (felt once watching or reading).
    pub quality: f32,
    /// The social signal when the feed shows counts (by default ln(1 + visible likes)),
    /// else 0 (social influence).
    pub social: f32,
    /// Whether the user read the note before, under once-per-item memory
    /// (`response.once_per_item`): it is then never chosen or watched through again.
    pub read_before: bool,
}

/// Engagement acts after a read or a completed watch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Acts {
    /// Liked.
    pub like: bool,
    /// Collected (saved).
    pub collect: bool,
    /// Commented.
    pub comment: bool,
    /// Shared.
    pub share: bool,
    /// Followed the author.
    pub follow: bool,
}

/// The logistic function (with the inlined [`crate::fastmath::exp`]).
#[inline]
pub fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + crate::fastmath::exp(-x))
}

/// Whether a uniform draw `u` falls below `sigmoid(x)`: always the same answer as
/// `u < sigmoid(x)`, mostly without its exponential. A table of the logistic, linear
/// between points, is within [`SIGMOID_SLACK`] of it everywhere; a draw farther than that
/// from the table's value is decided by the table, the rest (about 0.2 %) by `sigmoid`.
#[inline]
pub fn below_sigmoid(u: f64, x: f64) -> bool {
    // A NaN `x` gives a NaN distance, which fails the test below: `sigmoid` decides.
    let d = u - tabled_sigmoid(x);
    if d.abs() > SIGMOID_SLACK { d < 0.0 } else { u < sigmoid(x) }
}

/// The logistic read off [`SIGMOID_TABLE`], linear between its points.
#[inline]
fn tabled_sigmoid(x: f64) -> f64 {
    let t = ((x - SIGMOID_LO) * SIGMOID_STEPS).clamp(0.0, (SIGMOID_POINTS - 1) as f64);
    // Through u32: `t` is within [0, 160] (or NaN, 0 either way), and a float to u64
    // conversion takes a branchy sequence on x86-64 where u32 takes one instruction.
    let i = (t as u32 as usize).min(SIGMOID_POINTS - 2);
    let (lo, hi) = (SIGMOID_TABLE[i], SIGMOID_TABLE[i + 1]);
    lo + (t - i as f64) * (hi - lo)
}

/// The table's first point; beyond ±10 the logistic is within 4.6e-5 of 0 or 1, which the
/// end points stand in for.
const SIGMOID_LO: f64 = -10.0;
/// Table points per unit of `x`.
const SIGMOID_STEPS: f64 = 8.0;
/// Points from −10 to 10.
const SIGMOID_POINTS: usize = 161;
/// How far the table may be from the logistic: linear steps of 1/8 are within
/// h²/8 · max|σ''| ≈ 1.9e-4 of it (the tests measure the bound).
const SIGMOID_SLACK: f64 = 1e-3;
/// The logistic at the table's points.
const SIGMOID_TABLE: [f64; SIGMOID_POINTS] = sigmoid_table();

/// The table, at compile time: exp(−x) as exp(−x / 1024) (a Taylor series, |y| ≤ 0.01)
/// squared ten times, far more precise than the slack needs.
const fn sigmoid_table() -> [f64; SIGMOID_POINTS] {
    let mut table = [0.0; SIGMOID_POINTS];
    let mut j = 0;
    while j < SIGMOID_POINTS {
        let y = -(SIGMOID_LO + j as f64 / SIGMOID_STEPS) / 1024.0;
        let (mut term, mut e, mut k) = (1.0, 1.0, 1);
        while k < 10 {
            term = term * y / k as f64;
            e += term;
            k += 1;
        }
        let mut s = 0;
        while s < 10 {
            e *= e;
            s += 1;
        }
        table[j] = 1.0 / (1.0 + e);
        j += 1;
    }
    table
}

#[inline]
fn act(a: &ActLogit, interest: f64, quality: f64, rng: &mut Pcg64Mcg) -> bool {
    below_sigmoid(unit(rng), a.intercept + a.interest * interest + a.quality * quality)
}

/// The chance that a read makes the reader follow the author (the logit `engage` draws
/// `follow` from).
#[inline]
pub fn follow_chance(r: &ResponseModel, item: &CoverView) -> f64 {
    let l = &r.follow;
    sigmoid(l.intercept + l.interest * f64::from(item.interest) + l.quality * f64::from(item.quality))
}

/// Draws the engagement acts of a user who read or watched an item through.
pub fn engage(r: &ResponseModel, item: &CoverView, rng: &mut Pcg64Mcg) -> Acts {
    let (i, q) = (f64::from(item.interest), f64::from(item.quality));
    Acts {
        like: act(&r.like, i, q, rng),
        collect: act(&r.collect, i, q, rng),
        comment: act(&r.comment, i, q, rng),
        share: act(&r.share, i, q, rng),
        follow: act(&r.follow, i, q, rng),
    }
}

/// The choice among a grid of covers (a two-column feed, S5, or a page of search
/// results): a multinomial logit over each cover's utility (appeal, interest, the social
/// signal, less a penalty per row down and the tick's fatigue) against the outside
/// option. Returns the chosen slot or `None`.
#[inline]
pub fn choose_cover(
    r: &ResponseModel,
    slate: &[CoverView],
    columns: usize,
    consumed: u32,
    rng: &mut Pcg64Mcg,
) -> Option<usize> {
    let fatigue = r.fatigue * f64::from(consumed);
    // Each cover's row and column, counted rather than divided out (a division per cover
    // cost more than the rest of its utility).
    let (mut row, mut column) = (0u32, 0);
    let utilities = slate.iter().map(move |c| {
        let (i_row, i_column) = (row, column);
        column += 1;
        if column == columns {
            (row, column) = (row + 1, 0);
        }
        if c.read_before {
            // Weight 0 in the logit: shown, but not chosen again.
            return f64::NEG_INFINITY;
        }
        // Covers i and i + 1 share a row on two columns; attention falls by row (and,
        // with a column penalty, from the left column to the right).
        let mut u = r.cover_appeal_weight * f64::from(c.appeal)
            + r.cover_interest_weight * f64::from(c.interest)
            + r.social_influence * f64::from(c.social)
            - r.row_penalty * f64::from(i_row)
            - fatigue;
        if r.column_penalty != 0.0 {
            u -= r.column_penalty * i_column as f64;
        }
        u
    });
    // A small array for the usual slates, a large one for catalogue pages.
    if slate.len() <= SMALL_SLATE {
        logit_choice::<SMALL_SLATE>(utilities, r.outside_option, unit(rng))
    } else {
        logit_choice::<{ crate::scenario::MAX_SLATE as usize }>(utilities, r.outside_option, unit(rng))
    }
}

/// Slates up to this size are chosen from on a small stack array.
const SMALL_SLATE: usize = 16;

/// Whether a user shown one full-screen item (a single-column feed) watches it through
/// rather than swiping away: a logistic in interest, quality and the social signal, less
/// the tick's fatigue.
#[inline]
pub fn watches_through(r: &ResponseModel, c: &CoverView, consumed: u32, rng: &mut Pcg64Mcg) -> bool {
    if c.read_before {
        return false;
    }
    let a = &r.completion;
    let x = a.intercept
        + a.interest * f64::from(c.interest)
        + a.quality * f64::from(c.quality)
        + r.social_influence * f64::from(c.social)
        - r.fatigue * f64::from(consumed);
    below_sigmoid(unit(rng), x)
}

/// Multinomial logit over items with the given utilities plus an outside option (choose
/// none). `u` is uniform in [0, 1). Returns the chosen index or `None`. At most N items
/// are considered; an item of utility −∞ has weight 0 (it is never chosen). Utilities are evaluated once; exponentials use the inlined
/// [`crate::fastmath::exp`].
#[inline]
pub fn logit_choice<const N: usize>(
    utilities: impl Iterator<Item = f64> + Clone,
    outside: f64,
    u: f64,
) -> Option<usize> {
    let mut weights = [0.0f64; N];
    let mut k = 0;
    // Subtract the maximum so exp never overflows.
    let mut max = outside;
    for (w, x) in weights.iter_mut().zip(utilities) {
        *w = x;
        max = max.max(x);
        k += 1;
    }
    let mut total = crate::fastmath::exp(outside - max);
    for w in &mut weights[..k] {
        *w = if *w == f64::NEG_INFINITY { 0.0 } else { crate::fastmath::exp(*w - max) };
        total += *w;
    }
    let mut x = u * total;
    for (i, w) in weights[..k].iter().enumerate() {
        if x < *w {
            return Some(i);
        }
        x -= w;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Purpose, stream};

    #[test]
    fn logit_shares_match_exp_utilities() {
        let mut rng = stream(3, 0, 0, Purpose::Variant);
        let utils = [1.0, 0.0, 2.0];
        let mut counts = [0u32; 4];
        let n = 200_000;
        for _ in 0..n {
            match logit_choice::<16>(utils.iter().copied(), 0.5, unit(&mut rng)) {
                Some(i) => counts[i] += 1,
                None => counts[3] += 1,
            }
        }
        let z: f64 = utils.iter().map(|u: &f64| u.exp()).sum::<f64>() + 0.5f64.exp();
        for (i, u) in utils.iter().enumerate() {
            let expected = u.exp() / z;
            let got = f64::from(counts[i]) / n as f64;
            assert!((got - expected).abs() < 0.005, "item {i}: {got} vs {expected}");
        }
    }

    /// How often each slot of `k` identical covers is chosen.
    fn slot_counts(r: &ResponseModel, k: usize, columns: usize) -> Vec<u32> {
        let mut rng = stream(5, 0, 0, Purpose::Variant);
        let covers = vec![CoverView { appeal: 0.5, interest: 0.5, quality: 0.5, ..CoverView::default() }; k];
        let mut counts = vec![0u32; k];
        for _ in 0..40_000 {
            if let Some(i) = choose_cover(r, &covers, columns, 0, &mut rng) {
                counts[i] += 1;
            }
        }
        counts
    }

    #[test]
    fn attention_falls_by_row_in_a_grid_and_by_rank_in_a_list() {
        let r = ResponseModel { row_penalty: 0.5, outside_option: 0.0, ..ResponseModel::default() };
        // 64 covers: a catalogue page, beyond the small array.
        let grid = slot_counts(&r, 64, 8);
        let list = slot_counts(&r, 64, 1);
        // Slots 0 and 7 share the first row of an 8-column grid: alike; in a list, rank 7
        // is seven ranks down.
        assert!((f64::from(grid[7]) / f64::from(grid[0]) - 1.0).abs() < 0.15, "{grid:?}");
        assert!(f64::from(list[7]) < 0.1 * f64::from(list[0]), "{list:?}");
        assert!(grid[63] > 0 && grid[8] < grid[0], "the last row is reached, the second seen less");
        // A column penalty: the right column is seen less than the left.
        let r = ResponseModel { column_penalty: 1.0, row_penalty: 0.0, ..r };
        let two = slot_counts(&r, 2, 2);
        assert!(f64::from(two[1]) < 0.5 * f64::from(two[0]), "{two:?}");
    }

    /// The follow chance is the chance `engage` draws a follow with.
    #[test]
    fn the_follow_chance_is_the_drawn_frequency() {
        let r = ResponseModel::default();
        let item = CoverView { interest: 0.8, quality: 0.7, ..CoverView::default() };
        let mut rng = stream(5, 0, 0, Purpose::Variant);
        let n = 400_000;
        let follows = (0..n).filter(|_| engage(&r, &item, &mut rng).follow).count();
        let (p, f) = (follow_chance(&r, &item), follows as f64 / n as f64);
        assert!((f - p).abs() < 4.0 * (p * (1.0 - p) / n as f64).sqrt(), "drawn {f}, chance {p}");
    }

    #[test]
    fn an_item_of_minus_infinite_utility_is_never_chosen() {
        let mut rng = stream(4, 0, 0, Purpose::Variant);
        for _ in 0..10_000 {
            assert_ne!(logit_choice::<16>([f64::NEG_INFINITY, 0.0].into_iter(), -1.0, unit(&mut rng)), Some(0));
        }
        assert_eq!(logit_choice::<16>([f64::NEG_INFINITY].into_iter(), 0.0, 0.99), None);
    }

    #[test]
    fn the_sigmoid_table_is_within_its_slack() {
        let mut worst = 0.0f64;
        for j in -1_500_000..=1_500_000 {
            let x = f64::from(j) * 1e-5;
            worst = worst.max((tabled_sigmoid(x) - sigmoid(x)).abs());
        }
        // A quarter of the slack: the slack is a bound, not a fit.
        assert!(worst < SIGMOID_SLACK / 4.0, "worst {worst:e}");
    }

    #[test]
    fn below_sigmoid_answers_as_the_logistic_does() {
        let mut rng = stream(8, 0, 0, Purpose::Variant);
        for _ in 0..1_000_000 {
            let x = (unit(&mut rng) - 0.5) * 30.0;
            // Draws at and around the logistic's value, and anywhere.
            let p = sigmoid(x);
            for u in [unit(&mut rng), p, p - 1e-12, p + 1e-12, (p + (unit(&mut rng) - 0.5) * 4e-3).clamp(0.0, 1.0)] {
                assert_eq!(below_sigmoid(u, x), u < sigmoid(x), "u {u}, x {x}");
            }
        }
        for x in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1e300, -1e300] {
            for u in [0.0, 1e-300, 0.5, 1.0 - 1e-16] {
                assert_eq!(below_sigmoid(u, x), u < sigmoid(x), "u {u}, x {x}");
            }
        }
    }

    #[test]
    fn logit_never_overflows() {
        assert_eq!(logit_choice::<16>([1e6, 0.0].into_iter(), -1e6, 0.5), Some(0));
        assert_eq!(logit_choice::<16>(std::iter::empty(), 0.0, 0.99), None);
    }
}
