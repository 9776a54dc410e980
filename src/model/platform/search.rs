//! The search channel's index (S9): per tick, every active note listed under its topic
//! and, for focal institutions, under the institution's name.
//!
//! Search ignores distribution stages and crowd rings: a user who searches finds what is
//! relevant. Results rank by the note's engagement rate relative to the mean of active
//! notes (quality), freshness, and (weakly, by default) the author's followers.

use super::{AliasTable, SimUnits, mean_engagement_rate};
use crate::model::content::Notes;
use crate::scenario::{EngagementWeights, Params};

/// Search results to sample from this tick.
#[derive(Debug, Default, Clone)]
pub struct SearchIndex {
    /// Per topic.
    pub by_topic: Vec<AliasTable>,
    /// Per focal institution (search by name).
    pub by_focal: Vec<AliasTable>,
}

impl SearchIndex {
    /// Builds the index over active notes. `followers` holds current follower counts;
    /// `focal_of_author` maps a creator to its focal index.
    pub fn build(
        (p, units): (&Params, &SimUnits),
        notes: &Notes,
        active: std::ops::Range<usize>,
        followers: &[f64],
        focal_of_author: &dyn Fn(u32) -> Option<u8>,
        weights: &EngagementWeights,
        tick: u32,
    ) -> SearchIndex {
        let topics = p.topics.len();
        let focal = p.journey.focal.len();
        if !p.search.enabled {
            return SearchIndex {
                by_topic: vec![AliasTable::default(); topics],
                by_focal: vec![AliasTable::default(); focal],
            };
        }
        // (items, weights) per list, turned into alias tables at the end.
        let mut topic_lists = vec![(Vec::new(), Vec::new()); topics];
        let mut focal_lists = vec![(Vec::new(), Vec::new()); focal];
        let tallies: Vec<_> = active.clone().map(|n| notes.counters[n].tally()).collect();
        let mean_rate = mean_engagement_rate(&tallies, weights, units);
        for (n, t) in active.zip(&tallies) {
            let rate = units.smoothed_rate(units.engagement(t, weights), t.total_impressions()) / mean_rate;
            let age = f64::from(tick - notes.born[n]);
            let author = notes.author[n];
            let log_w = p.search.quality_weight * rate - std::f64::consts::LN_2 * age / p.feed.freshness_half_life
                + p.search.follower_weight * (1.0 + followers[author as usize]).ln();
            let w = log_w.exp();
            if !(w > 0.0 && w.is_finite()) {
                continue;
            }
            let push = |list: &mut (Vec<u32>, Vec<f64>)| {
                list.0.push(n as u32);
                list.1.push(w);
            };
            push(&mut topic_lists[notes.topic[n] as usize]);
            if let Some(f) = focal_of_author(author) {
                push(&mut focal_lists[f as usize]);
            }
        }
        let tables = |lists: Vec<(Vec<u32>, Vec<f64>)>| lists.iter().map(|(i, w)| AliasTable::new(i, w)).collect();
        SearchIndex { by_topic: tables(topic_lists), by_focal: tables(focal_lists) }
    }
}
