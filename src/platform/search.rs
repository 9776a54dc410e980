//! The search channel's index (S9): per tick, every active note listed under its topic
//! and, for focal institutions, under the institution's name.
//!
//! Search ignores distribution stages and crowd rings: a user who searches finds what is
//! relevant. Results rank by the note's engagement rate relative to the mean of active
//! notes (quality), freshness, and (weakly, by default) the author's followers.

use crate::content::Notes;
use crate::scenario::{EngagementWeights, Params};

/// A list of items with cumulative weights, sampled in proportion to weight.
#[derive(Debug, Default, Clone)]
pub struct WeightedList {
    items: Vec<u32>,
    cumulative: Vec<f64>,
}

impl WeightedList {
    /// Appends an item with a positive, finite weight (others are skipped).
    pub fn push(&mut self, item: u32, weight: f64) {
        if weight > 0.0 && weight.is_finite() {
            let acc = self.cumulative.last().copied().unwrap_or(0.0) + weight;
            self.items.push(item);
            self.cumulative.push(acc);
        }
    }

    /// Draws an item with `u` uniform in [0, 1).
    #[inline]
    pub fn draw(&self, u: f64) -> Option<u32> {
        let total = *self.cumulative.last()?;
        let i = self.cumulative.partition_point(|&c| c <= u * total).min(self.items.len() - 1);
        Some(self.items[i])
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// Search results to sample from this tick.
#[derive(Debug, Default, Clone)]
pub struct SearchIndex {
    /// Per topic.
    pub by_topic: Vec<WeightedList>,
    /// Per focal institution (search by name).
    pub by_focal: Vec<WeightedList>,
}

impl SearchIndex {
    /// Builds the index over active notes. `followers` holds current follower counts;
    /// `focal_of_author` maps a creator to its focal index.
    pub fn build(
        p: &Params,
        notes: &Notes,
        active: std::ops::Range<usize>,
        followers: &[f64],
        focal_of_author: &dyn Fn(u32) -> Option<u8>,
        weights: &EngagementWeights,
        tick: u32,
    ) -> SearchIndex {
        let topics = p.topics.len();
        let mut idx = SearchIndex {
            by_topic: vec![WeightedList::default(); topics],
            by_focal: vec![WeightedList::default(); p.journey.focal.len()],
        };
        if !p.search.enabled {
            return idx;
        }
        let (mut ces_sum, mut imp_sum) = (0.0, 0.0);
        let tallies: Vec<_> = active.clone().map(|n| notes.counters[n].tally()).collect();
        for t in &tallies {
            ces_sum += t.engagement_score(weights);
            imp_sum += t.total_impressions() as f64;
        }
        let mean_rate = if ces_sum > 0.0 { ces_sum / imp_sum } else { 1.0 };
        for (n, t) in active.zip(&tallies) {
            let rate = t.engagement_score(weights) / (t.total_impressions() as f64 + 20.0) / mean_rate;
            let age = f64::from(tick - notes.born[n]);
            let author = notes.author[n];
            let log_w = p.search.quality_weight * rate - std::f64::consts::LN_2 * age / p.feed.freshness_half_life
                + p.search.follower_weight * (1.0 + followers[author as usize]).ln();
            let w = log_w.exp();
            idx.by_topic[notes.topic[n] as usize].push(n as u32, w);
            if let Some(f) = focal_of_author(author) {
                idx.by_focal[f as usize].push(n as u32, w);
            }
        }
        idx
    }
}
