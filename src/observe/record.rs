//! What the engine records as it runs: one record per tick of each variant, and the
//! wall-clock time of each phase of the tick.

use serde::{Deserialize, Serialize};

use crate::model::content::RINGS;

/// Metrics of one tick of one variant.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TickRecord {
    /// Tick index (0-based).
    pub tick: u32,
    /// Impressions this tick.
    pub impressions: u64,
    /// Reads (clicks or completed watches) this tick.
    pub reads: u64,
    /// Decisions users made this tick (feed slates, searches, follow-feed looks).
    pub decisions: u64,
    /// Engagement acts this tick.
    pub engagements: u64,
    /// Notes posted this tick.
    pub notes_posted: u64,
    /// Notes eligible for distribution this tick.
    pub notes_in_pools: u64,
    /// Notes promoted this tick.
    pub promoted: u32,
    /// Notes stalled this tick.
    pub stalled: u32,
    /// Gini of creators' cumulative impressions.
    pub creator_impressions_gini: f64,
    /// Share of cumulative impressions held by the 10 most-seen creators.
    pub top10_share: f64,
    /// Impressions this tick by creator follower tier (tail, small, waist, head).
    pub tier_impressions: [u64; 4],
    /// Impressions this tick by the viewer's true crowd ring (core, high-potential,
    /// general).
    pub ring_impressions: [u64; RINGS],
    /// Mean Kendall tau between a user's estimated and true interests (sampled users).
    pub interest_rank_corr: f64,
    /// Mean true interest of the topics users read this tick.
    pub read_interest: f64,
    /// Impressions this tick by channel (feed, search, share, follow).
    pub channel_impressions: [u64; 4],
    /// Campaign-promoted impressions this tick (part of the feed channel).
    pub promoted_impressions: u64,
    /// Impressions outside the crowd rings the note's stage had reached (they came
    /// through search, shares or follows).
    pub out_of_ring_impressions: u64,
    /// Users entering each journey stage this tick, `focal × 5` (aware … advocate).
    pub funnel_entered: Vec<u64>,
    /// Impressions this tick of each focal institution's notes.
    pub focal_impressions: Vec<u64>,
    /// Reads this tick of each focal institution's notes.
    pub focal_reads: Vec<u64>,
}

/// Wall-clock seconds spent in each phase of the tick, summed over ticks. Reported in
/// `perf.json` and by `feedsim bench`, never in `summary.json`.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct PhaseSeconds {
    /// Creators posting.
    pub post: f64,
    /// Ring cut-offs and candidate pools.
    pub distribute: f64,
    /// The parallel user phase.
    pub choose_engage: f64,
    /// Stage reviews.
    pub review: f64,
    /// Crediting counters and tick metrics.
    pub account: f64,
}

impl PhaseSeconds {
    /// Adds another variant's times.
    pub fn add(&mut self, o: &PhaseSeconds) {
        self.post += o.post;
        self.distribute += o.distribute;
        self.choose_engage += o.choose_engage;
        self.review += o.review;
        self.account += o.account;
    }
}

/// Measures consecutive phases.
pub struct PhaseClock(std::time::Instant);

impl PhaseClock {
    /// Starts the clock now.
    pub fn start() -> Self {
        PhaseClock(std::time::Instant::now())
    }
    /// Adds the time since the last lap to `into`.
    pub fn lap(&mut self, into: &mut f64) {
        let now = std::time::Instant::now();
        *into += (now - self.0).as_secs_f64();
        self.0 = now;
    }
}
