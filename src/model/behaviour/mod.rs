//! How users respond to what a feed shows them: the shared response model.
//!
//! Every feed uses these functions, so a difference between feeds is never a difference
//! in how people behave. Interest is the user's true interest in the note's topic;
//! quality and appeal are the note's latent quality and its cover's appeal.

pub mod journey;

use rand_pcg::Pcg64Mcg;

use crate::rng::unit;
use crate::scenario::{ActLogit, EngagementWeights, ItemCount, ResponseModel};

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
    chances: &mut [f64],
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
        logit_choice::<SMALL_SLATE>(utilities, r.outside_option, unit(rng), chances)
    } else {
        logit_choice::<{ crate::scenario::MAX_SLATE as usize }>(utilities, r.outside_option, unit(rng), chances)
    }
}

/// Slates up to this size are chosen from on a small stack array.
const SMALL_SLATE: usize = 16;

/// Whether a user shown one full-screen item (a single-column feed) watches it through
/// rather than swiping away: a logistic in interest, quality and the social signal, less
/// the tick's fatigue.
#[inline]
pub fn watches_through(
    r: &ResponseModel,
    c: &CoverView,
    consumed: u32,
    rng: &mut Pcg64Mcg,
    chance: Option<&mut f64>,
) -> bool {
    if c.read_before {
        if let Some(p) = chance {
            *p = 0.0;
        }
        return false;
    }
    let a = &r.completion;
    let x = a.intercept
        + a.interest * f64::from(c.interest)
        + a.quality * f64::from(c.quality)
        + r.social_influence * f64::from(c.social)
        - r.fatigue * f64::from(consumed);
    match chance {
        // The same answer as `below_sigmoid`, which is `u < sigmoid(x)`.
        Some(p) => {
            *p = sigmoid(x);
            unit(rng) < *p
        }
        None => below_sigmoid(unit(rng), x),
    }
}

/// The engagement score (CES) a read of `item` is expected to bring: each act's chance
/// times its weight. The follow act counts only for a reader not following the author
/// yet (`follows`), as in [`engage`]'s caller.
/// (The engine reads it off a [`ResponseGrid`].)
pub fn expected_engagement(r: &ResponseModel, w: &EngagementWeights, item: &CoverView, follows: bool) -> f64 {
    let (i, q) = (f64::from(item.interest), f64::from(item.quality));
    let chance = |a: &ActLogit| sigmoid(a.intercept + a.interest * i + a.quality * q);
    let mut e = w.like * chance(&r.like)
        + w.collect * chance(&r.collect)
        + w.comment * chance(&r.comment)
        + w.share * chance(&r.share);
    if !follows && w.follow != 0.0 {
        e += w.follow * chance(&r.follow);
    }
    e
}

/// Points per unit of interest and of quality in a [`ResponseGrid`].
const GRID_STEPS: usize = 64;

/// What a read is expected to bring, tabled over (interest, quality) ∈ [0, 1]² for one
/// response model: the engagement score without the follow act, the follow act's chance,
/// and the chance of the count covers show, at 65 × 65 points, bilinear between them.
/// The platform's expected counts read it once per impression (the five logistics it
/// stands for cost as much as the rest of an impression); the bilinear step is within
/// about 10⁻⁴ of the exact values for the model's coefficients, and an expectation needs
/// no more.
#[derive(Debug, Clone)]
pub struct ResponseGrid {
    /// The values at the points, interest-major: rounded to f32, the grid's precision,
    /// and held as f64, so that a read converts nothing (twelve conversions per read, where
    /// the grid's 101 KiB, against 50 KiB, fit the second-level cache all the same); a
    /// fixed size, so that no read needs a bounds check.
    points: Box<[[f64; 3]; GRID_POINTS]>,
    follow_weight: f64,
    shown_follows: bool,
}

/// Points of a [`ResponseGrid`].
const GRID_POINTS: usize = (GRID_STEPS + 1) * (GRID_STEPS + 1);

impl ResponseGrid {
    /// The grid of a response model, CES weights and shown count.
    pub fn new(r: &ResponseModel, w: &EngagementWeights, shown: ItemCount) -> ResponseGrid {
        let n = GRID_STEPS + 1;
        let mut points = Box::new([[0.0; 3]; GRID_POINTS]);
        for ii in 0..n {
            for qi in 0..n {
                let item = CoverView {
                    interest: (ii as f64 / GRID_STEPS as f64) as f32,
                    quality: (qi as f64 / GRID_STEPS as f64) as f32,
                    ..CoverView::default()
                };
                let without_follow =
                    expected_engagement(r, &EngagementWeights { follow: 0.0, ..w.clone() }, &item, true);
                let follow = follow_chance(r, &item);
                let values = [without_follow, follow, count_chance(r, shown, &item, false)];
                points[ii * n + qi] = values.map(|v| f64::from(v as f32));
            }
        }
        ResponseGrid { points, follow_weight: w.follow, shown_follows: shown == ItemCount::Follows }
    }

    /// A read's expected engagement score and its chance to add to the shown count, for a
    /// reader who follows the author already (`follows`: no follow act) or not.
    #[inline]
    pub fn read(&self, item: &CoverView, follows: bool) -> (f64, f64) {
        // Interest and quality lie in [0, 1]; the comparisons keep any other value (and
        // NaN) on the grid.
        let at = |x: f32| {
            let x = f64::from(if x > 0.0 { if x < 1.0 { x } else { 1.0 } } else { 0.0 }) * GRID_STEPS as f64;
            let i = (x as u32 as usize).min(GRID_STEPS - 1);
            (i, x - i as f64)
        };
        let ((i, fi), (q, fq)) = (at(item.interest), at(item.quality));
        let n = GRID_STEPS + 1;
        let p = |k: usize, j: usize| self.points[k * n + j];
        let (a, b, c, d) = (p(i, q), p(i, q + 1), p(i + 1, q), p(i + 1, q + 1));
        let v = |m: usize| {
            let (a, b, c, d) = (a[m], b[m], c[m], d[m]);
            let lo = a + fq * (b - a);
            let hi = c + fq * (d - c);
            lo + fi * (hi - lo)
        };
        let (engagement, follow, shown) = (v(0), v(1), v(2));
        let engagement = if follows { engagement } else { engagement + self.follow_weight * follow };
        (engagement, if follows && self.shown_follows { 0.0 } else { shown })
    }
}

/// The chance that a read of `item` adds one to the count `what` (1 for a read; the
/// engine reads it off a [`ResponseGrid`]).
pub fn count_chance(r: &ResponseModel, what: ItemCount, item: &CoverView, follows: bool) -> f64 {
    let (i, q) = (f64::from(item.interest), f64::from(item.quality));
    let chance = |a: &ActLogit| sigmoid(a.intercept + a.interest * i + a.quality * q);
    match what {
        ItemCount::Impressions | ItemCount::Reads => 1.0,
        ItemCount::Likes => chance(&r.like),
        ItemCount::Collects => chance(&r.collect),
        ItemCount::Comments => chance(&r.comment),
        ItemCount::Shares => chance(&r.share),
        ItemCount::Follows if follows => 0.0,
        ItemCount::Follows => chance(&r.follow),
    }
}

/// Multinomial logit over items with the given utilities plus an outside option (choose
/// none). `u` is uniform in [0, 1). Returns the chosen index or `None`. At most N items
/// are considered; an item of utility −∞ has weight 0 (it is never chosen). Utilities are evaluated once; exponentials use the inlined
/// [`crate::fastmath::exp`]. Each item's chance of being chosen goes into `chances`, as
/// far as it is long (pass `&mut []` when they are not wanted).
#[inline]
pub fn logit_choice<const N: usize>(
    utilities: impl Iterator<Item = f64> + Clone,
    outside: f64,
    u: f64,
    chances: &mut [f64],
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
    for (c, w) in chances.iter_mut().zip(&weights[..k]) {
        *c = w / total;
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
            match logit_choice::<16>(utils.iter().copied(), 0.5, unit(&mut rng), &mut []) {
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
            if let Some(i) = choose_cover(r, &covers, columns, 0, &mut rng, &mut []) {
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
    fn the_expected_engagement_is_the_drawn_mean() {
        let r = ResponseModel::default();
        let w = EngagementWeights { like: 1.0, collect: 1.0, comment: 4.0, share: 4.0, follow: 8.0 };
        let item = CoverView { interest: 0.7, quality: 0.6, ..CoverView::default() };
        let mut rng = stream(9, 0, 0, Purpose::Variant);
        let n = 400_000;
        let (mut sum, mut sq, mut without_follow, mut likes) = (0.0, 0.0, 0.0, 0.0);
        for _ in 0..n {
            let a = engage(&r, &item, &mut rng);
            let base = w.like * f64::from(u8::from(a.like))
                + w.collect * f64::from(u8::from(a.collect))
                + w.comment * f64::from(u8::from(a.comment))
                + w.share * f64::from(u8::from(a.share));
            let ces = base + w.follow * f64::from(u8::from(a.follow));
            (sum, sq, without_follow) = (sum + ces, sq + ces * ces, without_follow + base);
            likes += f64::from(u8::from(a.like));
        }
        let (mean, sd) = (sum / n as f64, (sq / n as f64 - (sum / n as f64).powi(2)).sqrt());
        let bound = 4.0 * sd / (n as f64).sqrt();
        let want = expected_engagement(&r, &w, &item, false);
        assert!((mean - want).abs() < bound, "drawn {mean}, expected {want}");
        // A reader who follows the author already cannot follow again.
        let want = expected_engagement(&r, &w, &item, true);
        assert!(
            (without_follow / n as f64 - want).abs() < bound,
            "drawn {}, expected {want}",
            without_follow / n as f64
        );
        let (drawn, chance) = (likes / n as f64, count_chance(&r, ItemCount::Likes, &item, false));
        assert!((drawn - chance).abs() < 4.0 * (chance * (1.0 - chance) / n as f64).sqrt());
        assert_eq!(count_chance(&r, ItemCount::Follows, &item, true), 0.0);
        assert_eq!(count_chance(&r, ItemCount::Reads, &item, false), 1.0);
    }

    /// The grid reads the exact expectations to within 10⁻³ anywhere in [0, 1]².
    #[test]
    fn the_response_grid_is_close_to_the_exact_expectations() {
        let r = ResponseModel::default();
        let w = EngagementWeights { like: 1.0, collect: 1.0, comment: 4.0, share: 4.0, follow: 8.0 };
        let grid = ResponseGrid::new(&r, &w, ItemCount::Likes);
        let mut worst = 0.0f64;
        for k in 0..=997 {
            let item = CoverView {
                interest: (k as f32 * 0.618_034).fract(),
                quality: (k as f32 * 0.414_213_5).fract(),
                ..CoverView::default()
            };
            for follows in [false, true] {
                let (e, l) = grid.read(&item, follows);
                worst = worst.max((e - expected_engagement(&r, &w, &item, follows)).abs());
                worst = worst.max((l - count_chance(&r, ItemCount::Likes, &item, follows)).abs());
            }
        }
        assert!(worst < 1e-3, "worst {worst}");
        let follows = ResponseGrid::new(&r, &w, ItemCount::Follows);
        let item = CoverView { interest: 0.5, quality: 0.5, ..CoverView::default() };
        assert_eq!(follows.read(&item, true).1, 0.0, "a follower adds no follow");
        assert!(follows.read(&item, false).1 > 0.0);
    }

    /// The chances a choice reports are its own: the draw is unchanged by asking for them,
    /// they match the drawn frequencies, and with the outside option they sum to 1.
    #[test]
    fn choices_report_their_chances() {
        let r = ResponseModel::default();
        let covers: Vec<CoverView> = (0..5)
            .map(|i| CoverView { interest: 0.2 * i as f32, appeal: 0.5, quality: 0.5, ..CoverView::default() })
            .collect();
        let (mut a, mut b) = (stream(4, 0, 0, Purpose::Variant), stream(4, 0, 0, Purpose::Variant));
        let mut counts = [0u32; 5];
        let mut chances = [0.0; 5];
        let n = 200_000;
        for _ in 0..n {
            let with = choose_cover(&r, &covers, 2, 3, &mut a, &mut chances);
            assert_eq!(with, choose_cover(&r, &covers, 2, 3, &mut b, &mut []));
            if let Some(i) = with {
                counts[i] += 1;
            }
        }
        assert!(chances.iter().sum::<f64>() < 1.0, "the outside option has its chance");
        for (c, &p) in counts.iter().zip(&chances) {
            let f = f64::from(*c) / n as f64;
            assert!((f - p).abs() < 4.0 * (p * (1.0 - p) / n as f64).sqrt() + 1e-12, "drawn {f}, chance {p}");
        }
        let (mut a, mut b) = (stream(6, 0, 0, Purpose::Variant), stream(6, 0, 0, Purpose::Variant));
        let (mut watched, mut chance) = (0u32, 0.0);
        for _ in 0..n {
            let with = watches_through(&r, &covers[3], 2, &mut a, Some(&mut chance));
            assert_eq!(with, watches_through(&r, &covers[3], 2, &mut b, None));
            watched += u32::from(with);
        }
        let f = f64::from(watched) / n as f64;
        assert!((f - chance).abs() < 4.0 * (chance * (1.0 - chance) / n as f64).sqrt(), "drawn {f}, chance {chance}");
    }

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
            assert_ne!(
                logit_choice::<16>([f64::NEG_INFINITY, 0.0].into_iter(), -1.0, unit(&mut rng), &mut []),
                Some(0)
            );
        }
        assert_eq!(logit_choice::<16>([f64::NEG_INFINITY].into_iter(), 0.0, 0.99, &mut []), None);
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
        assert_eq!(logit_choice::<16>([1e6, 0.0].into_iter(), -1e6, 0.5, &mut []), Some(0));
        assert_eq!(logit_choice::<16>(std::iter::empty(), 0.0, 0.99, &mut []), None);
    }
}
