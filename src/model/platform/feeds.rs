//! The two feed layouts behind one trait.
//!
//! Both use the same user-response model; they differ in what the user is shown at once
//! and in what the recommender gets to observe (S5): a two-column slate reveals a choice
//! among K covers (the chosen one and the passed-over ones); a single-column stream
//! reveals only whether one item was watched through, through a noisy watch-time signal.

use rand_pcg::Pcg64Mcg;

use crate::model::behaviour::{CoverView, logit_choice, sigmoid};
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
    /// this tick (fatigue).
    fn choose(&self, response: &ResponseModel, slate: &[CoverView], consumed: u32, rng: &mut Pcg64Mcg)
    -> Option<usize>;
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

/// Two-column feed: K covers, a multinomial-logit choice of one or none (S5).
#[derive(Debug, Clone, Copy)]
pub struct TwoColumnFeed {
    /// Covers per slate.
    pub slate_size: usize,
}

impl FeedPolicy for TwoColumnFeed {
    fn slate_size(&self) -> usize {
        self.slate_size
    }

    fn choose(&self, r: &ResponseModel, slate: &[CoverView], consumed: u32, rng: &mut Pcg64Mcg) -> Option<usize> {
        let fatigue = r.fatigue * f64::from(consumed);
        logit_choice(
            slate.iter().enumerate().map(|(i, c)| {
                // Two columns: covers i and i+1 share a row.
                r.cover_appeal_weight * f64::from(c.appeal)
                    + r.cover_interest_weight * f64::from(c.interest)
                    + r.social_influence * f64::from(c.social)
                    - r.row_penalty * (i / 2) as f64
                    - fatigue
            }),
            r.outside_option,
            unit(rng),
        )
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

    fn choose(&self, r: &ResponseModel, slate: &[CoverView], consumed: u32, rng: &mut Pcg64Mcg) -> Option<usize> {
        let c = slate.first()?;
        let a = &r.completion;
        let p = sigmoid(
            a.intercept
                + a.interest * f64::from(c.interest)
                + a.quality * f64::from(c.quality)
                + r.social_influence * f64::from(c.social)
                - r.fatigue * f64::from(consumed),
        );
        (unit(rng) < p).then_some(0)
    }
}
