//! Distribution stages and their reviews.
//!
//! A note starts in stage 0. Each stage but the last has a quota of impressions (given in
//! platform impressions, applied here in simulated ones: see [`SimUnits`]); once a
//! note has used it, the note is reviewed: if its engagement score per impression reaches
//! the stage's threshold it moves up a stage, otherwise it stalls and gets no more feed
//! traffic. Under `crowd_rings` the stage is also the widest crowd ring it may reach
//! (core → high-potential → general, S6); under `traffic_pools` it only sets the weight
//! and quota (S4).

use super::SimUnits;
use crate::model::content::Notes;
use crate::scenario::{EngagementWeights, FeedSpec, ThresholdBasis};

/// Per-note stage state of one variant.
#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub struct Staging {
    /// Current stage.
    pub stage: Vec<u8>,
    /// Whether the note failed a review.
    pub stalled: Vec<bool>,
    /// Total impressions when the current stage began.
    pub stage_start: Vec<u32>,
    /// Tick at which the note entered each stage after the first ([`Staging::NEVER`] if never).
    pub entered: Vec<[u32; 2]>,
}

/// What the reviews of one tick did.
#[derive(Debug, Default, Clone, Copy)]
pub struct ReviewCounts {
    /// Notes promoted to a higher stage.
    pub promoted: u32,
    /// Notes stalled.
    pub stalled: u32,
}

impl Staging {
    /// The tick of a stage never entered.
    pub const NEVER: u32 = u32::MAX;

    /// Adds stage state for notes posted since the last call.
    pub fn grow(&mut self, notes: &Notes) {
        let n = notes.len();
        self.stage.resize(n, 0);
        self.stalled.resize(n, false);
        self.stage_start.resize(n, 0);
        self.entered.resize(n, [Self::NEVER; 2]);
    }

    /// Simulated impressions left in the note's current stage (`None` when the stage is
    /// open-ended).
    pub fn remaining(&self, units: &SimUnits, note: usize, impressions: u64) -> Option<f64> {
        let s = self.stage[note] as usize;
        if self.stalled[note] {
            return Some(0.0);
        }
        units.stage_quotas.get(s).map(|&q| (f64::from(self.stage_start[note]) + q - impressions as f64).max(0.0))
    }

    /// Reviews every active note that has used its stage's quota.
    pub fn review(
        &mut self,
        notes: &Notes,
        active: std::ops::Range<usize>,
        feed: &FeedSpec,
        units: &SimUnits,
        weights: &EngagementWeights,
        tick: u32,
    ) -> ReviewCounts {
        let mut counts = ReviewCounts::default();
        // Under `relative_to_mean`, rates are read against the mean of active notes.
        let basis = match feed.threshold_basis {
            ThresholdBasis::PerImpression => 1.0,
            ThresholdBasis::RelativeToMean => {
                let tallies: Vec<_> = active.clone().map(|n| notes.counters[n].tally()).collect();
                super::mean_engagement_rate(&tallies, weights, units)
            }
        };
        for n in active {
            let s = self.stage[n] as usize;
            if self.stalled[n] || s >= units.stage_quotas.len() {
                continue;
            }
            let t = notes.counters[n].tally();
            let imps = t.total_impressions();
            if (imps as f64) < f64::from(self.stage_start[n]) + units.stage_quotas[s] {
                continue;
            }
            let rate = units.engagement(&t, weights) / imps.max(1) as f64 / basis;
            if rate >= feed.stage_thresholds[s] {
                self.stage[n] += 1;
                self.stage_start[n] = imps.min(u64::from(u32::MAX)) as u32;
                if s < 2 {
                    self.entered[n][s] = tick;
                }
                counts.promoted += 1;
            } else {
                self.stalled[n] = true;
                counts.stalled += 1;
            }
        }
        counts
    }
}
