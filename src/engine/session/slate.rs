//! What a decision shows: a feed slate (retrieved, ranked or drawn per slot, with a
//! campaign's promoted slot and the scenario's slate order), a page of search results,
//! or the newest note of a followed creator.

use rand_pcg::Pcg64Mcg;

use super::*;
use crate::model::platform::{FeedPolicy, PoolSpan, TWO_32, user_ring};
use crate::rng::unit;
use crate::scenario::{MAX_CANDIDATES, MAX_TOPICS, SlateOrder};

impl<F: FeedPolicy> TickView<'_, F> {
    /// Fills a feed slate; returns its length. With a ranking stage (`feed.candidates`)
    /// the recommender retrieves C distinct candidates from the user's pools, scores each
    /// for this user and shows the top K ([`Self::rank_slate`]); without one, each slot is
    /// one weighted draw.
    pub(super) fn fill_slate(
        &self,
        a: &mut Actor,
        k: usize,
        (topics, view): (&TopicDraw, &mut SlateTopics),
        slate: &mut [u32],
        out: &mut ChunkOutcome,
    ) -> usize {
        view.catch_up(self, a.est);
        match self.params.feed.candidates {
            // Small candidate arrays for the usual ranking, large ones for catalogues.
            Some(c) if c <= 32 => self.rank_slate_of::<32>(a, (k, c as usize), topics, view, slate, out),
            Some(c) => self.rank_slate_of::<{ MAX_CANDIDATES as usize }>(a, (k, c as usize), topics, view, slate, out),
            None => self.draw_slate(a, k, topics, view, slate, out),
        }
    }

    /// [`Self::rank_slate`] with the best-so-far list of a fixed length K for the usual
    /// screens (one place for a single column, up to six covers), so that its insertion
    /// is unrolled (in a loop over K it took about 40 instructions per candidate, a
    /// fourteenth of a two-column impression; unrolled, 20). Longer lists (a catalogue
    /// page) keep the loop. A fixed list longer than K would show the same notes in the
    /// same order, but eight places cost more than a loop over five.
    fn rank_slate_of<const C: usize>(
        &self,
        a: &mut Actor,
        (k, c): (usize, usize),
        topics: &TopicDraw,
        view: &mut SlateTopics,
        slate: &mut [u32],
        out: &mut ChunkOutcome,
    ) -> usize {
        match k {
            1 => self.rank_slate::<C, 1>(a, (k, c), topics, view, slate, out),
            2 => self.rank_slate::<C, 2>(a, (k, c), topics, view, slate, out),
            3 => self.rank_slate::<C, 3>(a, (k, c), topics, view, slate, out),
            4 => self.rank_slate::<C, 4>(a, (k, c), topics, view, slate, out),
            5 => self.rank_slate::<C, 5>(a, (k, c), topics, view, slate, out),
            6 => self.rank_slate::<C, 6>(a, (k, c), topics, view, slate, out),
            _ => self.rank_slate::<C, C>(a, (k, c), topics, view, slate, out),
        }
    }

    /// The ranking stage. Candidate i's score is the note's log weight (its estimated
    /// quality, feedback, freshness, follower and popularity terms: [`Pools::score`]) plus
    /// `interest_sharpness · ln(estimated interest in its topic)` plus, when
    /// `ranking_temperature` T > 0, T times a Gumbel draw (so the top K are a draw without
    /// replacement from softmax(score / T)). The top K are shown, best first. The best so
    /// far are kept in `PLACES` places: all of them when `PLACES` is below C (a fixed
    /// count, unrolled, at least K), else the first K of C.
    pub(super) fn rank_slate<const C: usize, const PLACES: usize>(
        &self,
        a: &mut Actor,
        (k, c): (usize, usize),
        topics: &TopicDraw,
        view: &mut SlateTopics,
        slate: &mut [u32],
        out: &mut ChunkOutcome,
    ) -> usize {
        let temperature = self.params.feed.ranking_temperature;
        let (mut cand, mut topic_of) = ([0u32; C], [0u8; C]);
        // The best K so far as keys in descending order: a key orders by score, then by
        // earlier retrieval, and carries the candidate's index in its low half.
        let mut top = [0u64; PLACES];
        let depth = if PLACES < C { PLACES } else { k };
        if self.prefetch {
            self.prefetch_first_tries(a, topics, view, c);
        }
        let (mut len, mut mask) = (0, 0);
        for _ in 0..c {
            let Some((n, topic, score)) = self.retrieve(a, topics, view, Taken { notes: &cand[..len], mask }) else {
                continue;
            };
            mask |= bit(n);
            if self.prefetch {
                self.prefetch_shown(a, n);
            }
            let mut s = score + view.term[topic];
            if temperature > 0.0 {
                let u = unit(&mut a.rng).max(1e-300);
                s += (temperature * -(-u.ln()).ln()) as f32;
            }
            (cand[len], topic_of[len]) = (n, topic as u8);
            let key = u64::from(ordered_bits(s)) << 32 | u64::from(!(len as u32));
            len += 1;
            // Insertion into the descending top K, branch-free: position j keeps the
            // larger of its key and the smaller of the key above it and the new one
            // (empty places hold 0, below every key).
            for j in (1..depth).rev() {
                top[j] = top[j].max(top[j - 1].min(key));
            }
            top[0] = top[0].max(key);
        }
        let shown = k.min(len);
        for (place, &key) in slate.iter_mut().zip(&top[..shown]) {
            let i = !(key as u32) as usize;
            *place = cand[i];
            // Demand counts the retrievals that became impressions (pacing plans them).
            out.draws[view.pool[topic_of[i] as usize] as usize] += 1;
        }
        shown
    }

    /// Starts loading the pool slots the first tries of `c` retrievals will read: the
    /// random numbers do not depend on what the slots hold, so a copy of the user's
    /// generator tells them in advance (one 64-bit number per try, and one more per
    /// candidate for its Gumbel draw when the ranking has a temperature). A retry after
    /// a duplicate or an empty pool shifts the later ones: those loads are then wasted,
    /// never wrong. Without the hint, a decision's slot reads, each a cache miss once the
    /// notes outgrow the cache, overlapped only as far as the processor looks ahead.
    #[inline(always)]
    fn prefetch_first_tries(&self, a: &Actor, topics: &TopicDraw, view: &SlateTopics, c: usize) {
        let gumbel = self.params.feed.ranking_temperature > 0.0;
        let mut rng = a.rng.clone();
        for _ in 0..c {
            let [hi, lo] = halves(&mut rng);
            self.pools.prefetch_slot(view.span[topics.draw(hi)], lo);
            if gumbel {
                unit(&mut rng);
            }
        }
    }

    /// Starts loading what showing note `n` reads at random (its card and the worker's
    /// count row) as soon as it is retrieved, so that those loads overlap the ranking
    /// of the other candidates rather than follow it. Once the notes outgrow the cache each
    /// is a miss; without the hint a single-column decision waited for them one after
    /// another.
    #[inline(always)]
    fn prefetch_shown(&self, a: &Actor, n: u32) {
        crate::memory::prefetch(self.cards.as_ptr().wrapping_add(n as usize));
        a.counts.prefetch(n as usize);
    }

    /// K weighted draws from the pools, one per slot (no ranking stage).
    pub(super) fn draw_slate(
        &self,
        a: &mut Actor,
        k: usize,
        topics: &TopicDraw,
        view: &SlateTopics,
        slate: &mut [u32],
        out: &mut ChunkOutcome,
    ) -> usize {
        let (mut len, mut mask) = (0, 0);
        for _ in 0..k {
            if let Some((n, topic, _)) = self.retrieve(a, topics, view, Taken { notes: &slate[..len], mask }) {
                mask |= bit(n);
                // Demand counts the draws that became impressions (pacing plans
                // impressions), not rejected duplicates.
                out.draws[view.pool[topic] as usize] += 1;
                slate[len] = n;
                len += 1;
            }
        }
        len
    }

    /// One retrieval: a topic from the user's estimates, the user's pool for it (its ring),
    /// a weighted draw from that pool; up to three tries to find a note not in `taken`.
    /// Each try takes one 64-bit random number: its high half draws the topic, its low
    /// half the pool's note. Returns the note, its topic and its score ([`Pools::score`]).
    ///
    /// `taken` is what the slate holds so far, with a 64-bit hash mask of it: most draws
    /// are new notes, and the mask says so without a scan.
    // Always inlined: a call per retrieval costs as much as the retrieval.
    #[inline(always)]
    pub(super) fn retrieve(
        &self,
        a: &mut Actor,
        topics: &TopicDraw,
        view: &SlateTopics,
        taken: Taken,
    ) -> Option<(u32, usize, f32)> {
        for _ in 0..3 {
            let [hi, lo] = halves(&mut a.rng);
            let topic = topics.draw(hi);
            if let Some((n, score)) = self.pools.draw_span(view.span[topic], lo)
                && (taken.mask & bit(n) == 0 || !holds(taken.notes, n))
            {
                return Some((n, topic, score));
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
        let (before, new) = (a.follows.len(), a.new_follows.len());
        let k = initial.len() + before + new;
        if k == 0 {
            return None;
        }
        let i = ((unit(&mut a.rng) * k as f64) as usize).min(k - 1);
        let c = match i.checked_sub(initial.len()) {
            None => initial[i] - creators,
            Some(j) if j < before => a.follows.get(j),
            Some(j) => a.new_follows[j - before],
        };
        let n = self.latest_note[c as usize];
        (n != NO_NOTE).then_some(n)
    }
}

/// An f32's bits mapped to a u32 in the same order (negative scores below positive ones).
#[inline]
fn ordered_bits(x: f32) -> u32 {
    let b = x.to_bits();
    if b >> 31 == 1 { !b } else { b | 1 << 31 }
}

/// The notes a slate holds so far, and their [`bit`]s.
#[derive(Clone, Copy)]
pub(super) struct Taken<'s> {
    notes: &'s [u32],
    mask: u64,
}

/// Whether a slate so far holds a note: the scan behind a [`Taken`] mask's hit. Kept out
/// of line: inlined, the compiler keeps the candidate array in vector registers and
/// reloads all of it after every candidate's 4-byte store (a stalled store forward per
/// retrieval).
#[cold]
#[inline(never)]
fn holds(notes: &[u32], n: u32) -> bool {
    notes.contains(&n)
}

/// A note's bit in a [`Taken`] mask.
#[inline]
fn bit(n: u32) -> u64 {
    1 << (n & 63)
}

/// Two 32-bit random numbers from one 64-bit draw (retrieval needs no finer steps: a
/// topic among at most 64, a slot among a pool's notes).
#[inline]
fn halves(rng: &mut Pcg64Mcg) -> [u32; 2] {
    use rand::Rng;
    let r = rng.next_u64();
    [(r >> 32) as u32, r as u32]
}

/// A user's topic distribution for the day: `(1 − exploration) · est^sharpness / Σ +
/// exploration / topics` (the mixture pacing plans with, `expected_demand`), prepared once
/// per session as a small alias table, so that a draw is one uniform, one slot and one
/// comparison whatever the number of topics.
pub struct TopicDraw {
    /// Slot t draws its own topic when its 32-bit fraction is below `keep[t]` (its chance
    /// times 2³²), else its alias.
    keep: [u64; MAX_TOPICS],
    alias: [u8; MAX_TOPICS],
    topics: usize,
}

impl TopicDraw {
    /// The distribution of a row of estimates (Vose's construction, as [`crate::model::platform::AliasTable`]).
    pub fn new(est: &[f32], sharpness: f64, exploration: f64) -> TopicDraw {
        let t = est.len();
        let mut w = [0.0; MAX_TOPICS];
        let total = topic_weights(est, sharpness, &mut w[..t]);
        // Estimates so small that every weight underflows leave only the uniform part.
        let (explore, total) = if total > 0.0 { (exploration, total) } else { (1.0, 1.0) };
        let mut scaled = [0.0; MAX_TOPICS];
        for (x, &wi) in scaled.iter_mut().zip(&w[..t]) {
            *x = ((1.0 - explore) * wi / total + explore / t as f64) * t as f64;
        }
        let mut keep = [1.0f64; MAX_TOPICS];
        let mut alias = [0u8; MAX_TOPICS];
        for (i, a) in alias[..t].iter_mut().enumerate() {
            *a = i as u8;
        }
        let (mut small, mut large) = ([0u8; MAX_TOPICS], [0u8; MAX_TOPICS]);
        let (mut ns, mut nl) = (0, 0);
        for (i, &x) in scaled[..t].iter().enumerate() {
            if x < 1.0 {
                small[ns] = i as u8;
                ns += 1;
            } else {
                large[nl] = i as u8;
                nl += 1;
            }
        }
        while ns > 0 && nl > 0 {
            ns -= 1;
            let (s, l) = (small[ns] as usize, large[nl - 1] as usize);
            keep[s] = scaled[s];
            alias[s] = l as u8;
            scaled[l] = (scaled[l] + scaled[s]) - 1.0;
            if scaled[l] < 1.0 {
                nl -= 1;
                small[ns] = l as u8;
                ns += 1;
            }
        }
        // Whatever is left (on either list, by rounding) keeps its own topic.
        let mut bits = [0u64; MAX_TOPICS];
        for (b, &k) in bits.iter_mut().zip(&keep[..t]) {
            // Through i64: the value is within [0, 2³²], where the conversions agree and
            // the signed one is one instruction.
            *b = (k.clamp(0.0, 1.0) * TWO_32) as i64 as u64;
        }
        TopicDraw { keep: bits, alias, topics: t }
    }

    /// The topic of 32 random bits: `r · topics / 2³²` picks the slot (its integer
    /// part) and decides between the slot's topic and its alias (its fraction).
    #[inline]
    pub fn draw(&self, r: u32) -> usize {
        let x = u64::from(r) * self.topics as u64;
        let i = (x >> 32) as usize;
        // A mask select, not a branch: the outcome is as random as the draw.
        let keep = usize::from(x & 0xFFFF_FFFF < self.keep[i]).wrapping_neg();
        (i & keep) | (self.alias[i] as usize & !keep)
    }
}

/// What retrieval and ranking need of one topic for this user: the pool of the user's
/// ring (its index, for pacing's counts, and where its slots lie), and (with a ranking
/// stage) the ranking's interest term `sharpness · ln(estimated interest)`. Prepared once
/// per session; the recommender's learning marks a topic stale when it moves its
/// estimate, and the next slate refreshes the stale ones from their latest estimates (a
/// slate often moves one topic several times, and the session's last slate moves topics no
/// later slate reads).
pub struct SlateTopics {
    pool: [u16; MAX_TOPICS],
    span: [PoolSpan; MAX_TOPICS],
    term: [f32; MAX_TOPICS],
    /// Topics whose estimate moved since their refresh, one bit each.
    stale: u64,
}

impl SlateTopics {
    pub(super) fn new<F: FeedPolicy>(view: &TickView<'_, F>, est: &[f32]) -> SlateTopics {
        let mut topics = SlateTopics {
            pool: [0; MAX_TOPICS],
            span: [PoolSpan::default(); MAX_TOPICS],
            term: [0.0; MAX_TOPICS],
            stale: 0,
        };
        for (t, &e) in est.iter().enumerate() {
            topics.refresh(view, t, e);
        }
        topics
    }

    /// After the estimate of `topic` moved.
    #[inline]
    pub(super) fn mark_stale(&mut self, topic: usize) {
        self.stale |= 1 << topic;
    }

    /// Refreshes the stale topics from the user's estimates `est`.
    #[inline]
    pub(super) fn catch_up<F: FeedPolicy>(&mut self, view: &TickView<'_, F>, est: &[f32]) {
        while self.stale != 0 {
            let topic = self.stale.trailing_zeros() as usize;
            self.stale &= self.stale - 1;
            self.refresh(view, topic, est[topic]);
        }
    }

    /// Topic `topic` at estimate `estimate`.
    #[inline]
    fn refresh<F: FeedPolicy>(&mut self, view: &TickView<'_, F>, topic: usize, estimate: f32) {
        let f = &view.params.feed;
        let pool = view.pools.index(topic, user_ring(f.audience, estimate, view.cutoffs[topic]));
        (self.pool[topic], self.span[topic]) = (pool as u16, view.pools.span(pool));
        if f.candidates.is_some() {
            self.term[topic] = (f.interest_sharpness as f32) * estimate.max(1e-6).ln();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The chance of each topic, read off the table: its slot's kept share and the
    /// shares other slots alias to it.
    fn chances(d: &TopicDraw) -> Vec<f64> {
        let t = d.topics;
        let mut p = vec![0.0; t];
        for s in 0..t {
            p[s] += d.keep[s] as f64 / TWO_32;
            p[d.alias[s] as usize] += 1.0 - d.keep[s] as f64 / TWO_32;
        }
        p.iter().map(|x| x / t as f64).collect()
    }

    #[test]
    fn topic_draw_is_the_exploration_mixture() {
        let est = [0.9f32, 0.05, 0.3, 0.6, 1e-9, 0.2, 0.45];
        let (sharpness, exploration) = (2.0, 0.1);
        let d = TopicDraw::new(&est, sharpness, exploration);
        let w: Vec<f64> = est.iter().map(|&e| f64::from(e.max(1e-6)).powf(sharpness)).collect();
        let total: f64 = w.iter().sum();
        for (t, p) in chances(&d).into_iter().enumerate() {
            let want = (1.0 - exploration) * w[t] / total + exploration / est.len() as f64;
            assert!((p - want).abs() < 1e-8, "topic {t}: {p} vs {want}");
        }
        // Every 32-bit number draws a listed topic, the extremes included.
        for r in [0, 1, u32::MAX / 2, u32::MAX - 1, u32::MAX] {
            assert!(d.draw(r) < est.len());
        }
    }

    #[test]
    fn topic_draw_with_underflowing_weights_is_uniform() {
        let d = TopicDraw::new(&[1e-30, 1e-30, 1e-30], 400.0, 0.0);
        for p in chances(&d) {
            assert!((p - 1.0 / 3.0).abs() < 1e-9);
        }
    }

    #[test]
    fn ordered_bits_keep_the_order_of_scores() {
        let xs = [-1e30f32, -2.5, -1e-20, 0.0, 1e-20, 0.5, 3.0, 1e30];
        for w in xs.windows(2) {
            assert!(ordered_bits(w[0]) < ordered_bits(w[1]), "{} {}", w[0], w[1]);
        }
    }
}
