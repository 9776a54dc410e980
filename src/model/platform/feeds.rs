//! The two feed layouts behind one trait.
//!
//! Both use the same user-response model ([`crate::model::behaviour`]: the cover choice
//! and the watch-through); they differ in what the user is shown at once
//! and in what the recommender gets to observe (S5): a two-column slate reveals a choice
//! among K covers (the chosen one and the passed-over ones); a single-column stream
//! reveals only whether one item was watched through, through a noisy watch-time signal.

use rand_pcg::Pcg64Mcg;

use crate::model::behaviour::{CoverView, choose_cover, watches_through};
use crate::rng::unit;
use crate::scenario::ResponseModel;

/// What the recommender observes about one slot of a slate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// The user chose or completed it.
    Positive,
    /// The user passed it over or swiped it away.
    Negative,
}

/// A feed layout: how many items a decision shows, how the user decides, what is seen.
pub trait FeedPolicy: Sync {
    /// Items shown per decision.
    fn slate_size(&self) -> usize;
    /// The slot the user consumes, if any. `consumed` is what the user already consumed
    /// this tick (fatigue). Each slot's chance of being consumed goes into `chances`, as
    /// far as it is long (`&mut []` when they are not wanted).
    fn choose(
        &self,
        response: &ResponseModel,
        slate: &[CoverView],
        consumed: u32,
        rng: &mut Pcg64Mcg,
        chances: &mut [f64],
    ) -> Option<usize>;
    /// The signal the recommender records for slot `slot` given the user's decision.
    fn observe(&self, chosen: Option<usize>, slot: usize, noise: f64, rng: &mut Pcg64Mcg) -> Signal {
        let truth = if chosen == Some(slot) { Signal::Positive } else { Signal::Negative };
        if noise > 0.0 && unit(rng) < noise {
            match truth {
                Signal::Positive => Signal::Negative,
                Signal::Negative => Signal::Positive,
            }
        } else {
            truth
        }
    }
}

/// A grid of covers: K covers in `columns` columns, a multinomial-logit choice of one
/// or none. Two columns is the two-column feed (S5); `layout = "grid"` sets the columns,
/// and `layout = "list"` is one column, a ranked list whose attention falls by rank.
#[derive(Debug, Clone, Copy)]
pub struct TwoColumnFeed {
    /// Covers per slate.
    pub slate_size: usize,
    /// Covers per row.
    pub columns: usize,
}

impl FeedPolicy for TwoColumnFeed {
    fn slate_size(&self) -> usize {
        self.slate_size
    }

    fn choose(
        &self,
        r: &ResponseModel,
        slate: &[CoverView],
        consumed: u32,
        rng: &mut Pcg64Mcg,
        chances: &mut [f64],
    ) -> Option<usize> {
        choose_cover(r, slate, self.columns, consumed, rng, chances)
    }
}

/// Single-column feed: one full-screen item; it plays, and the user watches it through
/// or swipes away.
#[derive(Debug, Clone, Copy)]
pub struct SingleColumnFeed;

impl FeedPolicy for SingleColumnFeed {
    fn slate_size(&self) -> usize {
        1
    }

    fn choose(
        &self,
        r: &ResponseModel,
        slate: &[CoverView],
        consumed: u32,
        rng: &mut Pcg64Mcg,
        chances: &mut [f64],
    ) -> Option<usize> {
        let c = slate.first()?;
        watches_through(r, c, consumed, rng, chances.first_mut()).then_some(0)
    }
}
