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

#[inline]
fn act(a: &ActLogit, interest: f64, quality: f64, rng: &mut Pcg64Mcg) -> bool {
    unit(rng) < sigmoid(a.intercept + a.interest * interest + a.quality * quality)
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
    let utilities = slate.iter().enumerate().map(|(i, c)| {
        if c.read_before {
            // Weight 0 in the logit: shown, but not chosen again.
            return f64::NEG_INFINITY;
        }
        // Covers i and i + 1 share a row on two columns; attention falls by row (and,
        // with a column penalty, from the left column to the right).
        let mut u = r.cover_appeal_weight * f64::from(c.appeal)
            + r.cover_interest_weight * f64::from(c.interest)
            + r.social_influence * f64::from(c.social)
            - r.row_penalty * (i / columns) as f64
            - fatigue;
        if r.column_penalty != 0.0 {
            u -= r.column_penalty * (i % columns) as f64;
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
    let p = sigmoid(
        a.intercept
            + a.interest * f64::from(c.interest)
            + a.quality * f64::from(c.quality)
            + r.social_influence * f64::from(c.social)
            - r.fatigue * f64::from(consumed),
    );
    unit(rng) < p
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

    #[test]
    fn an_item_of_minus_infinite_utility_is_never_chosen() {
        let mut rng = stream(4, 0, 0, Purpose::Variant);
        for _ in 0..10_000 {
            assert_ne!(logit_choice::<16>([f64::NEG_INFINITY, 0.0].into_iter(), -1.0, unit(&mut rng)), Some(0));
        }
        assert_eq!(logit_choice::<16>([f64::NEG_INFINITY].into_iter(), 0.0, 0.99), None);
    }

    #[test]
    fn logit_never_overflows() {
        assert_eq!(logit_choice::<16>([1e6, 0.0].into_iter(), -1e6, 0.5), Some(0));
        assert_eq!(logit_choice::<16>(std::iter::empty(), 0.0, 0.99), None);
    }
}
