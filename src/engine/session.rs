//! Phase 3 of a tick: one user's day.
//!
//! A user first sees what friends shared with them (share channel), then makes a Poisson
//! number of decisions. Each decision is a search (S9; likelier for users asking about a
//! focal institution, S7), a look at the follow feed, or a feed slate, which may carry a
//! campaign's promoted slot (S12). Every impression is counted by channel; every read may
//! move the user's 5A journey (S7), lead to a follow, or a share to friends (S6).
//!
//! The user reads only the tick's snapshot ([`TickView`]) and writes only its own rows
//! ([`UserRows`]), integer atomics and its chunk's [`ChunkOutcome`], so results do not
//! depend on threads or scheduling.

use std::sync::atomic::{AtomicU32, Ordering::Relaxed};

use rand_distr::{Distribution, Normal, Poisson};
use rand_pcg::Pcg64Mcg;

use crate::model::behaviour::journey::{self, ACT, ADVOCATE, ASK, Exposure};
use crate::model::behaviour::{CoverView, choose_cover, engage};
use crate::model::content::{NO_CAMPAIGN, NewNote, Notes};
use crate::model::platform::channel::{FEED, FOLLOW, SEARCH, SHARE};
use crate::model::platform::{AliasTable, FeedPolicy, Pools, SearchIndex, Signal, ring_of, user_ring};
use crate::model::world::{Segment, World, segment_matches as matches};
use crate::rng::{Purpose, stream, unit};
use crate::scenario::{Audience, ContentKind, MAX_CANDIDATES, MAX_SLATE, Params, SegmentFilter, SlateOrder};

/// Most shared notes a user sees per tick (an inbox, not a flood).
pub const INBOX_LIMIT: usize = 20;
/// Marks an empty follow slot or a creator without an active note.
pub const NO_NOTE: u32 = u32::MAX;

/// A campaign as the tick sees it.
#[derive(Debug, Clone)]
pub struct CampaignTick {
    /// Whether it runs this tick.
    pub active: bool,
    /// Its active notes (uniform).
    pub notes: AliasTable,
    /// Chance an eligible feed decision carries its promoted slot.
    pub slot_chance: f64,
    /// Who is eligible.
    pub target: Option<SegmentFilter>,
    /// Focal index of the running group, if it is focal.
    pub focal: Option<u8>,
    /// Added advocacy chance for users who act during it.
    pub prize_advocacy: f64,
    /// Credibility share prize reviews lose.
    pub prize_credibility_drop: f64,
    /// Whether it offers review prizes.
    pub review_prize: bool,
}

/// Read-only state of the tick.
pub struct TickView<'a, F> {
    pub world: &'a World,
    pub params: &'a Params,
    pub feed: &'a F,
    pub tick: u32,
    pub pools: &'a Pools,
    pub search: &'a SearchIndex,
    pub cutoffs: &'a [[f32; 2]],
    pub notes: &'a Notes,
    /// Each note's stage (crowd ring reach) at the tick's start.
    pub stage: &'a [u8],
    pub follows_gained: &'a [AtomicU32],
    /// Shared notes per user: `inbox_notes[inbox_start[u]..inbox_start[u + 1]]`.
    pub inbox_start: &'a [u32],
    pub inbox_notes: &'a [u32],
    /// Each creator's newest active note, or [`NONE`].
    pub latest_note: &'a [u32],
    /// ln(1 + likes) per note as covers show it (0 when counts are hidden).
    pub visible: &'a [f32],
    /// The recommender's ranking score per note (smoothed engagement rate).
    pub rank_score: &'a [f32],
    /// Focal index of each creator, or [`journey::NOT_FOCAL`].
    pub focal_of: &'a [u8],
    pub campaigns: &'a [CampaignTick],
    /// Interest added to each topic by running trends.
    pub trend_boost: &'a [f32],
}

/// The rows of a chunk of users that only they write.
pub struct UserRows<'a> {
    /// Id of the chunk's first user.
    pub first: usize,
    /// Estimated interests, `users × topics`.
    pub est: &'a mut [f32],
    /// Journey stages, `users × focal`.
    pub journey: &'a mut [u8],
    /// The topic each user last started asking about.
    pub ask_topic: &'a mut [u8],
    /// Creators each user started following during the run.
    pub follows: &'a mut [Vec<u32>],
}

/// A review an advocate will post next tick, with who posted it (to share with friends).
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub struct ReviewPost {
    /// The note to post (author: the focal institution's advocate account).
    pub note: NewNote,
    /// The advocate.
    pub user: u32,
}

/// What a chunk of users did in a tick (merged in chunk order).
#[derive(Debug, Default)]
pub struct ChunkOutcome {
    pub draws: Vec<u32>,
    pub read_interest: f64,
    pub reads: u64,
    pub channel: [u64; 4],
    pub promoted: u64,
    pub out_of_ring: u64,
    /// Users entering each journey stage, `focal × 5` (aware … advocate).
    pub entered: Vec<u64>,
    /// Conversions (acts) per focal institution and segment, `focal × 16`.
    pub conversions: Vec<u64>,
    /// Impressions of each focal institution's notes.
    pub focal_impressions: Vec<u64>,
    /// (friend, note) share deliveries for next tick.
    pub shares: Vec<(u32, u32)>,
    pub reviews: Vec<ReviewPost>,
}

impl ChunkOutcome {
    /// An empty outcome sized for the tick.
    pub fn new(pools: usize, focal: usize) -> Self {
        ChunkOutcome {
            draws: vec![0; pools],
            entered: vec![0; focal * journey::STAGES],
            conversions: vec![0; focal * Segment::COUNT],
            focal_impressions: vec![0; focal],
            ..Default::default()
        }
    }

    /// Adds another outcome's order-free counts: channels, promoted and out-of-ring
    /// impressions, journey entries and focal impressions.
    pub fn add_counts(&mut self, o: &ChunkOutcome) {
        for (a, b) in self.channel.iter_mut().zip(o.channel) {
            *a += b;
        }
        self.promoted += o.promoted;
        self.out_of_ring += o.out_of_ring;
        for (acc, x) in [(&mut self.entered, &o.entered), (&mut self.focal_impressions, &o.focal_impressions)] {
            for (a, b) in acc.iter_mut().zip(x) {
                *a += b;
            }
        }
    }
}

/// Unnormalised topic weights est^sharpness; returns their sum.
#[inline]
pub fn topic_weights(row: &[f32], sharpness: f64, out: &mut [f64]) -> f64 {
    let mut total = 0.0;
    for (w, &e) in out.iter_mut().zip(row) {
        *w = crate::fastmath::pow(f64::from(e.max(1e-6)), sharpness);
        total += *w;
    }
    total
}

/// Draws a slot's topic: uniform with chance `exploration`, else by weight.
#[inline]
fn draw_topic(rng: &mut Pcg64Mcg, weights: &[f64], total: f64, exploration: f64) -> usize {
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

/// One user's mutable view while acting.
struct Actor<'r> {
    u: usize,
    seg: Segment,
    est: &'r mut [f32],
    journey: &'r mut [u8],
    ask_topic: &'r mut u8,
    follows: &'r mut Vec<u32>,
    consumed: u32,
    rng: Pcg64Mcg,
}

impl<F: FeedPolicy> TickView<'_, F> {
    /// Runs a chunk of users.
    pub fn run_chunk(&self, rows: UserRows, out: &mut ChunkOutcome) {
        let t = self.world.users.topics;
        let focal = self.params.journey.focal.len();
        let mut weights = vec![0.0; t];
        let n = rows.ask_topic.len();
        let (mut est, mut journey) = (rows.est, rows.journey);
        let mut follows = rows.follows.iter_mut();
        for (i, ask) in rows.ask_topic.iter_mut().enumerate() {
            let (e, rest) = est.split_at_mut(t);
            est = rest;
            let (j, rest) = journey.split_at_mut(focal);
            journey = rest;
            let u = rows.first + i;
            let mut actor = Actor {
                u,
                seg: self.world.users.segment[u],
                est: e,
                journey: j,
                ask_topic: ask,
                follows: follows.next().expect("rows have equal lengths"),
                consumed: 0,
                rng: stream(self.params.seed, self.tick, u as u64, Purpose::Session),
            };
            self.session(&mut actor, &mut weights, out);
        }
        debug_assert!(n == 0 || est.is_empty());
    }

    fn session(&self, a: &mut Actor, weights: &mut [f64], out: &mut ChunkOutcome) {
        let users = &self.world.users;
        let p = self.params;
        let f = &p.feed;
        // Shared notes arrive whether or not the user opens the feed today.
        let inbox = &self.inbox_notes[self.inbox_start[a.u] as usize..self.inbox_start[a.u + 1] as usize];
        for &n in inbox {
            self.show(a, &[n], SHARE, false, out);
        }
        let mean = f64::from(users.activity[a.u]);
        let steps = if mean > 0.0 { Poisson::new(mean).map_or(0.0, |d| d.sample(&mut a.rng)) as u32 } else { 0 };
        if steps == 0 {
            return;
        }
        let total = topic_weights(a.est, f.interest_sharpness, weights);
        let k = self.feed.slate_size();
        let mut slate = [0u32; MAX_SLATE as usize];
        for _ in 0..steps {
            let asking = a.journey.iter().position(|&s| s == ASK);
            let search_chance = match (p.search.enabled, asking) {
                (false, _) => 0.0,
                (true, Some(_)) => p.search.ask_search_rate,
                (true, None) => p.search.base_search_rate,
            };
            let x = unit(&mut a.rng);
            if x < search_chance {
                let len = self.search_results(a, asking, &mut slate);
                self.show(a, &slate[..len], SEARCH, false, out);
                continue;
            }
            if x < search_chance + p.follow_feed.share
                && let Some(n) = self.followed_note(a)
            {
                self.show(a, &[n], FOLLOW, false, out);
                continue;
            }
            let mut len = self.fill_slate(a, k, weights, total, &mut slate, out);
            len = self.promote(a, k, &mut slate, len, out);
            self.order(&mut slate[..len]);
            self.show(a, &slate[..len], FEED, true, out);
        }
    }

    /// Fills a feed slate; returns its length. With a ranking stage (`feed.candidates`)
    /// the recommender retrieves C distinct candidates from the user's pools, scores each
    /// for this user and shows the top K ([`Self::rank_slate`]); without one, each slot is
    /// one weighted draw.
    fn fill_slate(
        &self,
        a: &mut Actor,
        k: usize,
        weights: &[f64],
        total: f64,
        slate: &mut [u32],
        out: &mut ChunkOutcome,
    ) -> usize {
        match self.params.feed.candidates {
            Some(c) => self.rank_slate(a, (k, c as usize), weights, total, slate, out),
            None => self.draw_slate(a, k, weights, total, slate, out),
        }
    }

    /// The ranking stage. Candidate i's score is the note's log weight (its estimated
    /// quality, feedback, freshness, follower and popularity terms: [`Pools::score`]) plus
    /// `interest_sharpness · ln(estimated interest in its topic)` plus, when
    /// `ranking_temperature` T > 0, T times a Gumbel draw (so the top K are a draw without
    /// replacement from softmax(score / T)). The top K are shown, best first.
    fn rank_slate(
        &self,
        a: &mut Actor,
        (k, c): (usize, usize),
        weights: &[f64],
        total: f64,
        slate: &mut [u32],
        out: &mut ChunkOutcome,
    ) -> usize {
        const C: usize = MAX_CANDIDATES as usize;
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
    fn draw_slate(
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
    fn retrieve(&self, a: &mut Actor, weights: &[f64], total: f64, taken: &[u32]) -> Option<(u32, usize, usize)> {
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
    fn promote(&self, a: &mut Actor, k: usize, slate: &mut [u32], mut len: usize, out: &mut ChunkOutcome) -> usize {
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
    fn order(&self, slate: &mut [u32]) {
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
    fn search_results(&self, a: &mut Actor, asking: Option<usize>, slate: &mut [u32]) -> usize {
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
    fn followed_note(&self, a: &mut Actor) -> Option<u32> {
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

    /// Shows items to the user through a channel; the user may read one.
    fn show(&self, a: &mut Actor, items: &[u32], channel: usize, learn: bool, out: &mut ChunkOutcome) {
        if items.is_empty() {
            return;
        }
        let p = self.params;
        let truth = self.world.users.interest_row(a.u);
        let (core, hp) = (p.crowd.core_interest as f32, p.crowd.high_potential_interest as f32);
        let mut covers = [CoverView::default(); MAX_SLATE as usize];
        for (i, &n) in items.iter().enumerate() {
            let n = n as usize;
            let topic = self.notes.topic[n] as usize;
            let interest = (truth[topic] + self.trend_boost[topic]).min(1.0);
            covers[i] = CoverView {
                interest,
                appeal: self.notes.appeal[n],
                quality: self.notes.quality[n],
                social: self.visible[n],
            };
            self.notes.counters[n].impressions[ring_of(truth[topic], core, hp)].fetch_add(1, Relaxed);
            out.channel[channel] += 1;
            // Feed slots are drawn from the rings the note reached (promoted ones are
            // counted apart): only search, shares and follows reach beyond them.
            if channel != FEED
                && p.feed.audience == Audience::CrowdRings
                && user_ring(p.feed.audience, a.est[topic], self.cutoffs[topic]) > self.stage[n] as usize
            {
                out.out_of_ring += 1;
            }
            let fi = self.focal_of[self.notes.author[n] as usize];
            if fi != journey::NOT_FOCAL {
                out.focal_impressions[fi as usize] += 1;
                if let Some(s) = journey::on_impression(&mut a.journey[fi as usize], &p.journey, &mut a.rng) {
                    out.entered[fi as usize * journey::STAGES + s as usize - 1] += 1;
                }
            }
        }
        let covers = &covers[..items.len()];
        let chosen = if channel == SEARCH {
            // Results are a grid on either app (assumption): a choice among covers.
            choose_cover(&p.response, covers, a.consumed, &mut a.rng)
        } else {
            self.feed.choose(&p.response, covers, a.consumed, &mut a.rng)
        };
        if let Some(i) = chosen {
            self.read(a, items[i], &covers[i], out);
        }
        if learn {
            // The recommender learns from every slot it showed (S5).
            let f = &p.feed;
            // What it observes also updates the note's feedback counts, the `feedback`
            // term of its score.
            for (i, &n) in items.iter().enumerate() {
                let e = &mut a.est[self.notes.topic[n as usize] as usize];
                let counters = &self.notes.counters[n as usize];
                counters.observed.fetch_add(1, Relaxed);
                match self.feed.observe(chosen, i, f.signal_noise, &mut a.rng) {
                    Signal::Positive => {
                        *e += (f.learning_rate as f32) * (1.0 - *e);
                        counters.positives.fetch_add(1, Relaxed);
                    }
                    Signal::Negative => *e -= (f.skip_learning_rate as f32) * *e,
                }
            }
        }
    }

    /// A read (click or completed watch): engagement, follows, shares, journey.
    fn read(&self, a: &mut Actor, note: u32, view: &CoverView, out: &mut ChunkOutcome) {
        let p = self.params;
        let n = note as usize;
        a.consumed += 1;
        let c = &self.notes.counters[n];
        c.reads.fetch_add(1, Relaxed);
        out.read_interest += f64::from(view.interest);
        out.reads += 1;
        let mut acts = engage(&p.response, view, &mut a.rng);
        let author = self.notes.author[n];
        // A user follows a creator at most once: a follower cannot follow again.
        acts.follow &= !self.follows_already(a, author);
        for (hit, counter) in [
            (acts.like, &c.likes),
            (acts.collect, &c.collects),
            (acts.comment, &c.comments),
            (acts.share, &c.shares),
            (acts.follow, &c.follows),
        ] {
            if hit {
                counter.fetch_add(1, Relaxed);
            }
        }
        if acts.follow {
            self.follows_gained[author as usize].fetch_add(1, Relaxed);
            a.follows.push(author);
        }
        if acts.share {
            self.share_with_friends(a, note, out);
        }
        let fi = self.focal_of[author as usize];
        if fi == journey::NOT_FOCAL {
            return;
        }
        let f = fi as usize;
        let kind = p.kinds.get(self.notes.kind[n]);
        let exposure = Exposure {
            interest: f64::from(view.interest),
            quality: f64::from(view.quality),
            usefulness: kind.usefulness,
            credibility: f64::from(self.notes.credibility[n]),
        };
        let Some(stage) = journey::on_read(&mut a.journey[f], &p.journey, &exposure, &mut a.rng) else { return };
        out.entered[f * journey::STAGES + stage as usize - 1] += 1;
        if stage == ASK {
            *a.ask_topic = self.notes.topic[n];
        }
        if stage == ACT {
            out.conversions[f * Segment::COUNT + a.seg.0 as usize] += 1;
            self.maybe_advocate(a, f, n, out);
        }
    }

    /// Whether the user follows a creator: in the world's initial follow graph (sorted
    /// neighbours) or since.
    fn follows_already(&self, a: &Actor, creator: u32) -> bool {
        let node = self.world.users.count as u32 + creator;
        self.world.follows.neighbors(a.u as u32).binary_search(&node).is_ok() || a.follows.contains(&creator)
    }

    /// After an act: the user may advocate (S7), posting a review and sharing it; a
    /// running prize campaign of the institution raises the chance and lowers the
    /// review's credibility (S12).
    fn maybe_advocate(&self, a: &mut Actor, f: usize, n: usize, out: &mut ChunkOutcome) {
        let p = self.params;
        let prize = self.campaigns.iter().position(|c| c.active && c.review_prize && c.focal == Some(f as u8));
        let chance = p.journey.advocate_rate + prize.map_or(0.0, |c| self.campaigns[c].prize_advocacy);
        if unit(&mut a.rng) >= chance {
            return;
        }
        a.journey[f] = ADVOCATE;
        out.entered[f * journey::STAGES + ADVOCATE as usize - 1] += 1;
        let review = p.kinds.get(ContentKind::Review);
        let drop = prize.map_or(0.0, |c| self.campaigns[c].prize_credibility_drop);
        // assumption: reviews by ordinary users vary around middling quality.
        let quality: f64 = (0.5 + Normal::<f64>::new(0.0, 0.15).expect("fixed sd").sample(&mut a.rng)).clamp(0.0, 1.0);
        let appeal = (0.5 * quality + 0.5 * unit(&mut a.rng) + review.appeal_bonus).clamp(0.0, 1.0);
        out.reviews.push(ReviewPost {
            note: NewNote {
                author: self.world.creators.advocate_account[f],
                topic: self.notes.topic[n],
                quality: quality as f32,
                appeal: appeal as f32,
                born: self.tick + 1,
                kind: ContentKind::Review,
                credibility: (review.credibility * (1.0 - drop)) as f32,
                campaign: prize.map_or(NO_CAMPAIGN, |c| c as u16),
            },
            user: a.u as u32,
        });
    }

    /// Sends a note to a few friends' inboxes for next tick (word of mouth, S6).
    fn share_with_friends(&self, a: &mut Actor, note: u32, out: &mut ChunkOutcome) {
        if !self.params.sharing.enabled {
            return;
        }
        for friend in self.world.draw_friends(a.u as u32, self.params.sharing.friends_per_share, &mut a.rng) {
            out.shares.push((friend, note));
        }
    }
}

fn argmax(row: &[f32]) -> usize {
    row.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(&a.0))).map_or(0, |(i, _)| i)
}
