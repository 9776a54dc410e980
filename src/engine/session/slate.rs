//! What a decision shows: a feed slate (retrieved, ranked or drawn per slot, with a
//! campaign's promoted slot and the scenario's slate order), a page of search results,
//! or the newest note of a followed creator.

use rand_pcg::Pcg64Mcg;

use super::*;
use crate::model::platform::{FeedPolicy, user_ring};
use crate::rng::unit;
use crate::scenario::{MAX_CANDIDATES, SlateOrder};

impl<F: FeedPolicy> TickView<'_, F> {
    /// Fills a feed slate; returns its length. With a ranking stage (`feed.candidates`)
    /// the recommender retrieves C distinct candidates from the user's pools, scores each
    /// for this user and shows the top K ([`Self::rank_slate`]); without one, each slot is
    /// one weighted draw.
    pub(super) fn fill_slate(
        &self,
        a: &mut Actor,
        k: usize,
        weights: &[f64],
        total: f64,
        slate: &mut [u32],
        out: &mut ChunkOutcome,
    ) -> usize {
        match self.params.feed.candidates {
            // Small candidate arrays for the usual ranking, large ones for catalogues.
            Some(c) if c <= 32 => self.rank_slate::<32>(a, (k, c as usize), weights, total, slate, out),
            Some(c) => self.rank_slate::<{ MAX_CANDIDATES as usize }>(a, (k, c as usize), weights, total, slate, out),
            None => self.draw_slate(a, k, weights, total, slate, out),
        }
    }

    /// The ranking stage. Candidate i's score is the note's log weight (its estimated
    /// quality, feedback, freshness, follower and popularity terms: [`Pools::score`]) plus
    /// `interest_sharpness · ln(estimated interest in its topic)` plus, when
    /// `ranking_temperature` T > 0, T times a Gumbel draw (so the top K are a draw without
    /// replacement from softmax(score / T)). The top K are shown, best first.
    pub(super) fn rank_slate<const C: usize>(
        &self,
        a: &mut Actor,
        (k, c): (usize, usize),
        weights: &[f64],
        total: f64,
        slate: &mut [u32],
        out: &mut ChunkOutcome,
    ) -> usize {
        let f = &self.params.feed;
        let (mut cand, mut score, mut pool) = ([0u32; C], [0f32; C], [0u32; C]);
        let mut len = 0;
        for _ in 0..c {
            if let Some((n, topic, p)) = self.retrieve(a, weights, total, &cand[..len]) {
                let mut s = self.pools.score(n) + (f.interest_sharpness as f32) * a.est[topic].max(1e-6).ln();
                if f.ranking_temperature > 0.0 {
                    let u = unit(&mut a.rng).max(1e-300);
                    s += (f.ranking_temperature * -(-u.ln()).ln()) as f32;
                }
                (cand[len], score[len], pool[len]) = (n, s, p as u32);
                len += 1;
            }
        }
        let shown = k.min(len);
        for i in 0..shown {
            // Selection of the best remaining candidate; ties keep retrieval order.
            let mut best = i;
            for j in i + 1..len {
                if score[j] > score[best] {
                    best = j;
                }
            }
            cand.swap(i, best);
            score.swap(i, best);
            pool.swap(i, best);
            slate[i] = cand[i];
            // Demand counts the retrievals that became impressions (pacing plans them).
            out.draws[pool[i] as usize] += 1;
        }
        shown
    }

    /// K weighted draws from the pools, one per slot (no ranking stage).
    pub(super) fn draw_slate(
        &self,
        a: &mut Actor,
        k: usize,
        weights: &[f64],
        total: f64,
        slate: &mut [u32],
        out: &mut ChunkOutcome,
    ) -> usize {
        let mut len = 0;
        for _ in 0..k {
            if let Some((n, _, p)) = self.retrieve(a, weights, total, &slate[..len]) {
                // Demand counts the draws that became impressions (pacing plans
                // impressions), not rejected duplicates.
                out.draws[p] += 1;
                slate[len] = n;
                len += 1;
            }
        }
        len
    }

    /// One retrieval: a topic from the user's estimates, the user's ring for it, a
    /// weighted draw from that pool; up to three tries to find a note not in `taken`.
    /// Returns the note, its topic and the pool's index.
    pub(super) fn retrieve(
        &self,
        a: &mut Actor,
        weights: &[f64],
        total: f64,
        taken: &[u32],
    ) -> Option<(u32, usize, usize)> {
        let f = &self.params.feed;
        for _ in 0..3 {
            let topic = draw_topic(&mut a.rng, weights, total, f.exploration);
            let ring = user_ring(f.audience, a.est[topic], self.cutoffs[topic]);
            if let Some(n) = self.pools.draw(topic, ring, unit(&mut a.rng))
                && !taken.contains(&n)
            {
                return Some((n, topic, self.pools.index(topic, ring)));
            }
        }
        None
    }

    /// Puts a running campaign's promoted note into the slate's last slot (S12).
    pub(super) fn promote(
        &self,
        a: &mut Actor,
        k: usize,
        slate: &mut [u32],
        mut len: usize,
        out: &mut ChunkOutcome,
    ) -> usize {
        for c in self.campaigns {
            if !c.active || c.notes.is_empty() || !c.target.as_ref().is_none_or(|t| matches(t, a.seg)) {
                continue;
            }
            if unit(&mut a.rng) < c.slot_chance
                && let Some(n) = c.notes.draw(unit(&mut a.rng))
                && !slate[..len].contains(&n)
            {
                let at = if len < k { len } else { k - 1 };
                slate[at] = n;
                len = len.max(at + 1);
                out.promoted += 1;
                break;
            }
        }
        len
    }

    /// Orders a slate as the feed's `slate_order` says.
    pub(super) fn order(&self, slate: &mut [u32]) {
        match self.params.feed.slate_order {
            SlateOrder::Random => {}
            // A ranking stage has already put the slate in score order.
            SlateOrder::Ranked if self.params.feed.candidates.is_some() => {}
            SlateOrder::Ranked => {
                slate.sort_by(|&x, &y| self.rank_score[y as usize].total_cmp(&self.rank_score[x as usize]))
            }
            SlateOrder::Popularity => {
                slate.sort_by(|&x, &y| self.visible[y as usize].total_cmp(&self.visible[x as usize]))
            }
        }
    }

    /// Search results: by institution name for an asking user (S9), else by topic: the
    /// user's own question (user-initiated) or the platform's suggestion.
    pub(super) fn search_results(&self, a: &mut Actor, asking: Option<usize>, slate: &mut [u32]) -> usize {
        let s = &self.params.search;
        let user_initiated = unit(&mut a.rng) < s.user_initiated_share;
        let list = match asking {
            Some(fi) if user_initiated && unit(&mut a.rng) < s.by_name_share => &self.search.by_focal[fi],
            _ => {
                let topic = if !user_initiated {
                    argmax(a.est)
                } else if asking.is_some() {
                    *a.ask_topic as usize
                } else {
                    self.world.users.primary[a.u] as usize
                };
                &self.search.by_topic[topic]
            }
        };
        let want = (s.results as usize).min(slate.len());
        let mut len = 0;
        for _ in 0..want * 2 {
            if len == want {
                break;
            }
            if let Some(n) = list.draw(unit(&mut a.rng))
                && !slate[..len].contains(&n)
            {
                slate[len] = n;
                len += 1;
            }
        }
        len
    }

    /// The newest note of a followed creator (initial follows or the run's), uniformly.
    pub(super) fn followed_note(&self, a: &mut Actor) -> Option<u32> {
        let creators = self.world.users.count as u32;
        let initial = self.world.follows.neighbors(a.u as u32);
        let k = initial.len() + a.follows.len();
        if k == 0 {
            return None;
        }
        let i = ((unit(&mut a.rng) * k as f64) as usize).min(k - 1);
        let c = if i < initial.len() { initial[i] - creators } else { a.follows[i - initial.len()] };
        let n = self.latest_note[c as usize];
        (n != NO_NOTE).then_some(n)
    }
}

/// Draws a slot's topic: uniform with chance `exploration`, else by weight.
#[inline]
pub(super) fn draw_topic(rng: &mut Pcg64Mcg, weights: &[f64], total: f64, exploration: f64) -> usize {
    let t = weights.len();
    if unit(rng) < exploration || total <= 0.0 {
        return ((unit(rng) * t as f64) as usize).min(t - 1);
    }
    let mut x = unit(rng) * total;
    for (i, &w) in weights.iter().enumerate() {
        if x < w {
            return i;
        }
        x -= w;
    }
    t - 1
}
