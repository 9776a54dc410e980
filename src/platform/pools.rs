//! Candidate pools: per tick, for each topic and audience ring, the notes a slate slot
//! may draw and their cumulative weights.
//!
//! A note's weight is
//! `boost[stage] · exp(quality_weight · rate + ln 2 · (−age / half_life))
//!  · (1 + followers)^follower_weight · (1 + CES)^popularity_weight`,
//! where `rate` is the note's smoothed engagement score per impression relative to the
//! mean of active notes. Weights are then
//! paced: a note whose stage has a quota gets at most its remaining quota in expected
//! impressions this tick, using the expected number of draws from each pool. Pacing is
//! what keeps a test exposure small (S6) inside a one-day tick.

use crate::content::{Notes, RINGS};
use crate::scenario::{Audience, EngagementWeights, FeedSpec};

use super::Staging;

/// Which ring an interest value falls in, given cut-offs (0 = core, 1 = high-potential,
/// 2 = general).
#[inline]
pub fn ring_of(value: f32, core: f32, high_potential: f32) -> usize {
    if value >= core {
        0
    } else if value >= high_potential {
        1
    } else {
        2
    }
}

/// One weighted list of notes.
#[derive(Debug, Default, Clone)]
struct Pool {
    notes: Vec<u32>,
    cumulative: Vec<f64>,
}

/// All pools of a tick, indexed by (topic, ring).
#[derive(Debug, Clone)]
pub struct Pools {
    topics: usize,
    rings: usize,
    pools: Vec<Pool>,
}

/// Pseudo-impressions that shrink a young note's engagement rate towards zero.
const RATE_PRIOR_IMPRESSIONS: f64 = 20.0;

impl Pools {
    /// Number of audience rings a user is sorted into (1 under traffic pools).
    pub fn rings(audience: Audience) -> usize {
        match audience {
            Audience::CrowdRings => RINGS,
            Audience::TrafficPools => 1,
        }
    }

    /// Index of the (topic, ring) pool.
    #[inline]
    pub fn index(&self, topic: usize, ring: usize) -> usize {
        topic * self.rings + ring.min(self.rings - 1)
    }

    /// Number of pools.
    pub fn len(&self) -> usize {
        self.pools.len()
    }

    /// Whether there are no pools.
    pub fn is_empty(&self) -> bool {
        self.pools.is_empty()
    }

    /// Builds the tick's pools. `followers` holds each creator's current follower count;
    /// `demand` the expected draws from each pool this tick (for pacing).
    #[allow(clippy::too_many_arguments)]
    pub fn build(
        notes: &Notes,
        staging: &Staging,
        feed: &FeedSpec,
        weights: &EngagementWeights,
        followers: &[f64],
        active: std::ops::Range<usize>,
        tick: u32,
        topics: usize,
        demand: &[f64],
    ) -> Pools {
        let rings = Self::rings(feed.audience);
        let mut pools = Pools { topics, rings, pools: vec![Pool::default(); topics * rings] };
        // The mean engagement rate of active notes: a note's rate enters its weight
        // relative to it, so `quality_weight` means the same on feeds whose layouts
        // produce different rates per impression.
        let (mut ces_sum, mut imp_sum) = (0.0, 0.0);
        for n in active.clone() {
            let t = notes.counters[n].tally();
            ces_sum += t.engagement_score(weights);
            imp_sum += t.total_impressions() as f64;
        }
        let mean_rate = if ces_sum > 0.0 { ces_sum / imp_sum } else { 1.0 };
        // Raw weights and how many rings each note reaches.
        let mut raw: Vec<(u32, f64, usize, Option<u64>)> = Vec::with_capacity(active.len());
        let mut pool_total = vec![0.0f64; topics * rings];
        for n in active {
            if staging.stalled[n] {
                continue;
            }
            let t = notes.counters[n].tally();
            let imps = t.total_impressions();
            let ces = t.engagement_score(weights);
            let remaining = staging.remaining(feed, n, imps);
            if remaining == Some(0) {
                continue;
            }
            let stage = staging.stage[n] as usize;
            let rate = ces / (imps as f64 + RATE_PRIOR_IMPRESSIONS) / mean_rate;
            let age = f64::from(tick - notes.born[n]);
            let log_w = feed.quality_weight * rate - std::f64::consts::LN_2 * age / feed.freshness_half_life
                + feed.follower_weight * (1.0 + followers[notes.author[n] as usize]).ln()
                + feed.popularity_weight * (1.0 + ces).ln();
            let w = feed.stage_boost[stage] * log_w.exp();
            if !(w > 0.0 && w.is_finite()) {
                continue;
            }
            let reach = match feed.audience {
                Audience::CrowdRings => stage.min(RINGS - 1) + 1,
                Audience::TrafficPools => 1,
            };
            let topic = notes.topic[n] as usize;
            for r in 0..reach {
                pool_total[pools.index(topic, r)] += w;
            }
            raw.push((n as u32, w, reach, remaining));
        }
        // Pacing against expected demand, then the cumulative lists.
        for (n, w, reach, remaining) in raw {
            let topic = notes.topic[n as usize] as usize;
            let mut w = w;
            if let Some(left) = remaining {
                let expected: f64 = (0..reach)
                    .map(|r| {
                        let i = pools.index(topic, r);
                        if pool_total[i] > 0.0 { demand[i] * w / pool_total[i] } else { 0.0 }
                    })
                    .sum();
                if expected > left as f64 {
                    w *= left as f64 / expected;
                }
            }
            for r in 0..reach {
                let i = pools.index(topic, r);
                let pool = &mut pools.pools[i];
                let acc = pool.cumulative.last().copied().unwrap_or(0.0) + w;
                pool.notes.push(n);
                pool.cumulative.push(acc);
            }
        }
        pools
    }

    /// Draws a note from the (topic, ring) pool with `u` uniform in [0, 1).
    #[inline]
    pub fn draw(&self, topic: usize, ring: usize, u: f64) -> Option<u32> {
        let pool = &self.pools[self.index(topic, ring)];
        let total = *pool.cumulative.last()?;
        let x = u * total;
        let i = pool.cumulative.partition_point(|&c| c <= x).min(pool.notes.len() - 1);
        Some(pool.notes[i])
    }

    /// Notes listed in each pool (a note appears in every ring it reaches).
    pub fn listed(&self) -> usize {
        self.pools.iter().map(|p| p.notes.len()).sum()
    }

    /// Number of topics.
    pub fn topics(&self) -> usize {
        self.topics
    }
}
