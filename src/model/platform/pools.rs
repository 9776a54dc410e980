//! Candidate pools: per tick, for each topic and audience ring, the notes a slate slot
//! may draw, as alias tables (one O(1) draw per slot).
//!
//! A note's weight is `boost[stage] · exp(log_w)` with
//!
//! ```text
//! log_w = quality_weight · rate + feedback_weight · feedback − ln 2 · age / half_life
//!       + λ · (follower_weight · ln(1 + followers) + popularity_weight · ln(1 + CES))
//! ```
//!
//! where `rate` is the note's smoothed engagement score per impression and `feedback` its
//! smoothed share of positive signals per observed feed slot, each relative to the mean of
//! active notes, and `λ = m / (m + impressions)` is the prior's share, `m` the rate prior's
//! pseudo-impressions: followers and popularity stand in for evidence a new note lacks and
//! fade as its own engagement accumulates. The log of that weight is also the note's part
//! of the ranking score ([`Pools::score`]). Weights are then paced: a note whose stage has
//! a quota gets at most its remaining quota in expected impressions this tick, using the
//! expected number of draws from each pool. Pacing is what keeps a test exposure small
//! (S6) inside a one-day tick.

use crate::model::content::{Notes, RINGS};
use crate::scenario::{Audience, EngagementWeights, FeedSpec};

use super::{SimUnits, Staging, mean_engagement_rate, mean_feedback_rate};

/// One slot of an [`AliasTable`]: its own item with probability `prob`, else its alias.
#[derive(Debug, Clone, Copy)]
struct AliasSlot {
    prob: f64,
    item: u32,
    alias: u32,
}

/// A weighted list sampled in O(1) per draw (Walker's alias method, built by Vose's
/// algorithm in O(n)). Built once per tick per pool; a draw reads one 16-byte slot.
///
/// Construction is sequential and a draw is a pure function of the table and the
/// uniform, so draws are identical on any thread count.
#[derive(Debug, Default, Clone)]
pub struct AliasTable {
    slots: Vec<AliasSlot>,
}

impl AliasTable {
    /// A table drawing `items[i]` with probability ∝ `weights[i]`. Weights must be
    /// positive and finite; an empty list gives a table that draws nothing.
    pub fn new(items: &[u32], weights: &[f64]) -> AliasTable {
        assert_eq!(items.len(), weights.len(), "one weight per item");
        let n = items.len();
        let total: f64 = weights.iter().sum();
        if n == 0 || !(total > 0.0 && total.is_finite()) {
            return AliasTable::default();
        }
        let mut scaled: Vec<f64> = weights.iter().map(|&w| w * n as f64 / total).collect();
        let mut slots: Vec<AliasSlot> = items.iter().map(|&item| AliasSlot { prob: 1.0, item, alias: item }).collect();
        let (mut small, mut large): (Vec<u32>, Vec<u32>) = (Vec::new(), Vec::new());
        for (i, &p) in scaled.iter().enumerate() {
            if p < 1.0 { small.push(i as u32) } else { large.push(i as u32) }
        }
        while let (Some(&s), Some(&l)) = (small.last(), large.last()) {
            small.pop();
            let (s, l) = (s as usize, l as usize);
            slots[s].prob = scaled[s];
            slots[s].alias = items[l];
            scaled[l] = (scaled[l] + scaled[s]) - 1.0;
            if scaled[l] < 1.0 {
                large.pop();
                small.push(l as u32);
            }
        }
        // Whatever is left (on either list, by rounding) keeps its own item: prob 1.
        AliasTable { slots }
    }

    /// Draws an item with `u` uniform in [0, 1): the integer part of `u · n` picks a
    /// slot, the fractional part decides between the slot's item and its alias.
    #[inline]
    pub fn draw(&self, u: f64) -> Option<u32> {
        let n = self.slots.len();
        if n == 0 {
            return None;
        }
        let x = u * n as f64;
        let i = (x as usize).min(n - 1);
        let s = &self.slots[i];
        let frac = x - i as f64;
        Some(if frac < s.prob { s.item } else { s.alias })
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether the table draws nothing.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }
}

/// One slot of the tick's pool slots: what a retrieval reads, on one slot. The slot draws
/// its own note when the fraction of the 32-bit draw is below `keep` (its probability
/// times 2³², rounded up, so the test is the same as comparing the fraction with it), else
/// its alias, and carries both notes' ranking scores so the ranking reads no other row.
#[derive(Debug, Clone, Copy)]
struct PoolSlot {
    keep: u64,
    item: u32,
    alias: u32,
    item_score: f32,
    alias_score: f32,
}

impl PoolSlot {
    /// A pool's slots: the [`AliasTable`] of its notes, its probabilities in 32-bit
    /// integers, with the notes' scores beside them.
    fn of(table: &AliasTable, score: impl Fn(u32) -> f32) -> impl Iterator<Item = PoolSlot> {
        table.slots.iter().map(move |s| PoolSlot {
            keep: (s.prob * TWO_32).ceil() as u64,
            item: s.item,
            alias: s.alias,
            item_score: score(s.item),
            alias_score: score(s.alias),
        })
    }
}

/// Where one pool's slots lie in the tick's slot array. A session keeps the spans of its
/// topics' pools at hand ([`Pools::span`]), so a retrieval's only dependent read is the
/// slot itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct PoolSpan {
    start: usize,
    len: usize,
}

/// Draws a note and its score from a pool's slots with 32 random bits: `r · n / 2³²` picks
/// the slot (its integer part) and decides between its note and its alias (its fraction).
#[inline]
fn draw_slot(slots: &[PoolSlot], span: PoolSpan, r: u32) -> Option<(u32, f32)> {
    let (i, fraction) = span.place(r)?;
    let s = &slots[i];
    Some(if fraction < s.keep { (s.item, s.item_score) } else { (s.alias, s.alias_score) })
}

impl PoolSpan {
    /// Where 32 random bits land in the span: the slot (the integer part of `r · n / 2³²`,
    /// as an index of the tick's slot array) and the fraction that decides between its note
    /// and its alias. `None` for an empty pool.
    #[inline]
    fn place(self, r: u32) -> Option<(usize, u64)> {
        if self.len == 0 {
            return None;
        }
        let x = u64::from(r) * self.len as u64;
        Some((self.start + (x >> 32) as usize, x & 0xFFFF_FFFF))
    }
}

/// 2³², the scale of a 32-bit random fraction (pool and topic draws).
pub(crate) const TWO_32: f64 = (1u64 << 32) as f64;

/// All pools of a tick, indexed by (topic, ring).
#[derive(Debug, Clone)]
pub struct Pools {
    topics: usize,
    rings: usize,
    /// Every pool's slots, pool after pool.
    slots: Vec<PoolSlot>,
    /// Each pool's place in `slots`, by [`Self::index`].
    spans: Vec<PoolSpan>,
    /// First active note: `scores[n - first]` is note n's.
    first: usize,
    /// Each active note's log weight before pacing (its part of the ranking score).
    scores: Vec<f32>,
}

impl Pools {
    /// Bytes of one pool slot.
    pub const SLOT_BYTES: usize = std::mem::size_of::<PoolSlot>();

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
        self.spans.len()
    }

    /// Whether there are no pools.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Builds the tick's pools. `followers` holds each creator's current follower count;
    /// `demand` the expected draws from each pool this tick (for pacing).
    #[allow(clippy::too_many_arguments)]
    pub fn build(
        notes: &Notes,
        staging: &Staging,
        (feed, units): (&FeedSpec, &SimUnits),
        weights: &EngagementWeights,
        followers: &[f64],
        active: std::ops::Range<usize>,
        tick: u32,
        topics: usize,
        demand: &[f64],
    ) -> Pools {
        let rings = Self::rings(feed.audience);
        let mut pools = Pools {
            topics,
            rings,
            slots: Vec::new(),
            spans: Vec::new(),
            first: active.start,
            scores: vec![0.0; active.len()],
        };
        // The mean engagement rate of active notes: a note's rate enters its weight
        // relative to it, so `quality_weight` means the same on feeds whose layouts
        // produce different rates per impression.
        let tallies: Vec<_> = active.clone().map(|n| notes.counters[n].tally()).collect();
        let mean_rate = mean_engagement_rate(&tallies, weights, units);
        let mean_feedback = mean_feedback_rate(&tallies, units);
        // Raw weights and how many rings each note reaches.
        let mut raw: Vec<(u32, f64, usize, Option<f64>)> = Vec::with_capacity(active.len());
        let mut pool_total = vec![0.0f64; topics * rings];
        for (n, t) in active.zip(tallies) {
            if staging.stalled[n] {
                continue;
            }
            let imps = t.total_impressions();
            let ces = units.engagement(&t, weights);
            let remaining = staging.remaining(units, n, imps);
            if remaining == Some(0.0) {
                continue;
            }
            let stage = staging.stage[n] as usize;
            let rate = units.smoothed_rate(ces, imps) / mean_rate;
            let feedback = units.smoothed_rate(units.positives(&t), u64::from(t.observed)) / mean_feedback;
            let age = f64::from(tick - notes.born[n]);
            // The author's followers and the note's raw popularity are priors on its
            // quality: they carry weight while the note has little evidence of its own
            // and fade as its impressions accumulate, at the same pace as the rate's
            // prior (`rate_prior` pseudo-impressions against `imps` observed ones).
            let prior_share = units.prior_share(imps);
            let prior = feed.follower_weight * (1.0 + followers[notes.author[n] as usize]).ln()
                + feed.popularity_weight * (1.0 + ces).ln();
            let log_w = feed.quality_weight * rate + feed.feedback_weight * feedback
                - std::f64::consts::LN_2 * age / feed.freshness_half_life
                + prior_share * prior;
            let w = feed.stage_boost[stage] * log_w.exp();
            pools.scores[n - pools.first] = w.ln() as f32;
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
        pools.paced_tables(notes, raw, &pool_total, demand);
        pools
    }

    /// Pacing against expected demand, then the alias tables: a note whose stage quota
    /// would be overrun by the draws expected this tick has its weight scaled down to the
    /// impressions it has left. `raw` holds (note, weight, rings reached, impressions left).
    fn paced_tables(
        &mut self,
        notes: &Notes,
        raw: Vec<(u32, f64, usize, Option<f64>)>,
        pool_total: &[f64],
        demand: &[f64],
    ) {
        let mut lists: Vec<(Vec<u32>, Vec<f64>)> = vec![(Vec::new(), Vec::new()); self.topics * self.rings];
        for (n, w, reach, remaining) in raw {
            let topic = notes.topic[n as usize] as usize;
            let mut w = w;
            if let Some(left) = remaining {
                let expected: f64 = (0..reach)
                    .map(|r| {
                        let i = self.index(topic, r);
                        if pool_total[i] > 0.0 { demand[i] * w / pool_total[i] } else { 0.0 }
                    })
                    .sum();
                if expected > left {
                    w *= left / expected;
                }
            }
            for r in 0..reach {
                let (notes, weights) = &mut lists[self.index(topic, r)];
                notes.push(n);
                weights.push(w);
            }
        }
        let (scores, first) = (&self.scores, self.first);
        let score = |n: u32| scores[n as usize - first];
        self.slots = Vec::with_capacity(lists.iter().map(|(notes, _)| notes.len()).sum());
        self.spans = Vec::with_capacity(lists.len());
        for (notes, weights) in &lists {
            let start = self.slots.len();
            self.slots.extend(PoolSlot::of(&AliasTable::new(notes, weights), score));
            self.spans.push(PoolSpan { start, len: self.slots.len() - start });
        }
    }

    /// Where pool `index` (see [`Self::index`]) lies, for [`Self::draw_span`].
    #[inline]
    pub fn span(&self, index: usize) -> PoolSpan {
        self.spans[index]
    }

    /// Draws a note and its ranking score ([`Self::score`]) from the pool at `span` with
    /// 32 random bits.
    #[inline]
    pub fn draw_span(&self, span: PoolSpan, r: u32) -> Option<(u32, f32)> {
        draw_slot(&self.slots, span, r)
    }

    /// Starts loading the slot [`Self::draw_span`] would read with the same arguments (a
    /// hint: it reads and changes nothing).
    #[inline(always)]
    pub fn prefetch_slot(&self, span: PoolSpan, r: u32) {
        if let Some((i, _)) = span.place(r) {
            crate::memory::prefetch_row(self.slots.as_ptr().wrapping_add(i));
        }
    }

    /// An active note's part of the ranking score: its log weight before pacing.
    #[inline]
    pub fn score(&self, note: u32) -> f32 {
        self.scores[note as usize - self.first]
    }

    /// Notes listed in each pool (a note appears in every ring it reaches).
    pub fn listed(&self) -> usize {
        self.slots.len()
    }

    /// Number of topics.
    pub fn topics(&self) -> usize {
        self.topics
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Purpose, stream, unit};

    #[test]
    fn alias_draws_match_weights() {
        let items = [10, 11, 12, 13, 14];
        let weights = [1.0, 0.0001, 5.0, 2.5, 0.3];
        let table = AliasTable::new(&items, &weights);
        let mut rng = stream(1, 0, 0, Purpose::Variant);
        let n = 400_000;
        let mut counts = [0u32; 5];
        for _ in 0..n {
            counts[(table.draw(unit(&mut rng)).unwrap() - 10) as usize] += 1;
        }
        let total: f64 = weights.iter().sum();
        for (i, w) in weights.iter().enumerate() {
            let got = f64::from(counts[i]) / f64::from(n);
            assert!((got - w / total).abs() < 0.003, "item {i}: {got} vs {}", w / total);
        }
    }

    #[test]
    fn pool_tables_draw_what_their_alias_tables_draw() {
        let items: Vec<u32> = (0..7).collect();
        let weights = [0.5, 3.0, 1.0, 0.25, 2.0, 1e-9, 1.0];
        let alias = AliasTable::new(&items, &weights);
        // Behind another pool's slots, as in the tick's slot array.
        let mut slots: Vec<PoolSlot> = PoolSlot::of(&AliasTable::new(&[20, 21], &[1.0, 2.0]), |_| 9.0).collect();
        let span = PoolSpan { start: slots.len(), len: items.len() };
        slots.extend(PoolSlot::of(&alias, |n| n as f32 * 0.5));
        let mut rng = stream(9, 0, 0, Purpose::Variant);
        for r in (0..20_000).map(|_| rand::Rng::next_u32(&mut rng)).chain([0, 1, u32::MAX]) {
            let (n, score) = draw_slot(&slots, span, r).unwrap();
            // The same draw through the alias table's fraction in floating point.
            let x = u64::from(r) * items.len() as u64;
            let s = alias.slots[(x >> 32) as usize];
            let frac = (x & 0xFFFF_FFFF) as f64 / TWO_32;
            assert_eq!(n, if frac < s.prob { s.item } else { s.alias });
            assert_eq!(score, n as f32 * 0.5);
        }
        assert_eq!(draw_slot(&slots, PoolSpan { start: 2, len: 0 }, 7), None);
    }

    #[test]
    fn alias_edge_cases() {
        assert_eq!(AliasTable::new(&[], &[]).draw(0.5), None);
        let one = AliasTable::new(&[7], &[3.0]);
        assert_eq!([0.0, 0.5, 0.999_999].map(|u| one.draw(u)), [Some(7); 3]);
        // Equal weights: slot i is item i, whatever the fractional part.
        let even = AliasTable::new(&[1, 2, 3, 4], &[2.0; 4]);
        assert_eq!([0.0, 0.26, 0.5, 0.99].map(|u| even.draw(u)), [Some(1), Some(2), Some(3), Some(4)]);
    }

    #[test]
    fn alias_probabilities_sum_to_weights_exactly_enough() {
        // The probability mass each item receives over all slots equals its weight share.
        let items: Vec<u32> = (0..1000).collect();
        let weights: Vec<f64> = (0..1000).map(|i| ((i * 7919) % 1013) as f64 + 0.5).collect();
        let table = AliasTable::new(&items, &weights);
        let mut mass = vec![0.0; 1000];
        for s in &table.slots {
            mass[s.item as usize] += s.prob;
            mass[s.alias as usize] += 1.0 - s.prob;
        }
        let total: f64 = weights.iter().sum();
        for i in 0..1000 {
            assert!((mass[i] / 1000.0 - weights[i] / total).abs() < 1e-12, "item {i}");
        }
    }
}
