//! One variant's state and its tick.

use std::sync::atomic::{AtomicU32, Ordering::Relaxed};

use rand_distr::{Distribution, Poisson};
use rand_pcg::Pcg64Mcg;
use rayon::prelude::*;
use serde::Serialize;

use crate::behaviour::{CoverView, engage};
use crate::content::{Notes, RINGS, Tally};
use crate::metrics;
use crate::platform::{Estimates, FeedPolicy, Pools, Signal, SingleColumnFeed, Staging, TwoColumnFeed, ring_of};
use crate::report::{CreatorRow, VariantOutput};
use crate::rng::{Purpose, stream, unit};
use crate::scenario::MAX_SLATE;
use crate::scenario::{Audience, Layout, Params};
use crate::world::{FollowerTier, World};

/// Users per parallel work item. Results do not depend on it (each user has its own
/// random stream); it only sets scheduling granularity.
const CHUNK_USERS: usize = 2048;
/// Users sampled for learning metrics and ring cut-offs (a fixed stride keeps it
/// deterministic and cheap).
const SAMPLE_USERS: usize = 4096;

/// Metrics of one tick of one variant.
#[derive(Debug, Clone, Serialize)]
pub struct TickRecord {
    /// Tick index (0-based).
    pub tick: u32,
    /// Impressions this tick.
    pub impressions: u64,
    /// Reads (clicks or completed watches) this tick.
    pub reads: u64,
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
}

/// A variant in progress.
pub struct VariantRun<'w> {
    world: &'w World,
    params: &'w Params,
    notes: Notes,
    staging: Staging,
    estimates: Estimates,
    follows_gained: Vec<AtomicU32>,
    /// Expected draws per pool for the coming tick (last tick's measured draws).
    demand: Vec<f64>,
    /// Each note's counters as of the last accounting (deltas are credited to authors).
    credited: Vec<Tally>,
    /// Impressions × note age, by the viewer's true ring (mean age of reach per ring).
    ring_age_sum: [f64; RINGS],
    /// Institution creator ids, ascending.
    institutions: Vec<u32>,
    /// Impressions per tick (outer) of each institution (inner, as `institutions`).
    institution_ticks: Vec<Vec<u64>>,
    creator_impressions: Vec<u64>,
    creator_reads: Vec<u64>,
    creator_engagements: Vec<u64>,
    creator_notes: Vec<u64>,
    /// Each topic's true ring sizes as shares of users (the platform targets crowds of
    /// these sizes, located by its estimates).
    ring_shares: Vec<[f64; 2]>,
    records: Vec<TickRecord>,
    ticks_done: u32,
    phase_seconds: PhaseSeconds,
}

/// Wall-clock seconds spent in each phase of the tick, summed over ticks. Reported in
/// `perf.json` and by `feedsim bench`, never in `summary.json`.
#[derive(Debug, Clone, Copy, Default, Serialize)]
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
struct PhaseClock(std::time::Instant);

impl PhaseClock {
    fn start() -> Self {
        PhaseClock(std::time::Instant::now())
    }
    fn lap(&mut self, into: &mut f64) {
        let now = std::time::Instant::now();
        *into += (now - self.0).as_secs_f64();
        self.0 = now;
    }
}

/// What a chunk of users did in a tick.
struct ChunkOutcome {
    draws: Vec<u32>,
    read_interest: f64,
    reads: u64,
}

impl<'w> VariantRun<'w> {
    /// Fresh state for a variant on a world.
    pub fn new(world: &'w World, params: &'w Params) -> Self {
        let users = &world.users;
        let (core, hp) = (params.crowd.core_interest as f32, params.crowd.high_potential_interest as f32);
        let ring_shares = (0..users.topics)
            .map(|t| {
                let (mut c, mut h) = (0u64, 0u64);
                for u in 0..users.count {
                    let x = users.interest[u * users.topics + t];
                    c += u64::from(x >= core);
                    h += u64::from(x >= hp);
                }
                let n = users.count.max(1) as f64;
                [c as f64 / n, h as f64 / n]
            })
            .collect();
        VariantRun {
            world,
            params,
            notes: Notes::default(),
            staging: Staging::default(),
            estimates: Estimates::from_segments(users),
            follows_gained: (0..world.creators.count).map(|_| AtomicU32::new(0)).collect(),
            demand: Vec::new(),
            credited: Vec::new(),
            ring_age_sum: [0.0; RINGS],
            institutions: (0..world.creators.count as u32)
                .filter(|&c| world.creators.kind[c as usize].is_institution())
                .collect(),
            institution_ticks: Vec::new(),
            creator_impressions: vec![0; world.creators.count],
            creator_reads: vec![0; world.creators.count],
            creator_engagements: vec![0; world.creators.count],
            creator_notes: vec![0; world.creators.count],
            ring_shares,
            records: Vec::new(),
            ticks_done: 0,
            phase_seconds: PhaseSeconds::default(),
        }
    }

    /// Current follower counts (platform scale) of every creator.
    fn followers_now(&self) -> Vec<f64> {
        let per_follow = self.world.users_per_agent;
        self.world
            .creators
            .followers
            .iter()
            .zip(&self.follows_gained)
            .map(|(&f, g)| f as f64 + f64::from(g.load(Relaxed)) * per_follow)
            .collect()
    }

    /// The index of the oldest note still within its lifetime at `tick`.
    fn first_active(&self, tick: u32) -> usize {
        let oldest = (tick + 1).saturating_sub(self.params.world.note_lifetime_ticks);
        self.notes.born.partition_point(|&b| b < oldest)
    }

    /// Estimated-interest cut-offs per topic that select crowds of the true ring sizes.
    fn ring_cutoffs(&self) -> Vec<[f32; 2]> {
        let users = &self.world.users;
        let t = users.topics;
        let stride = users.count.div_ceil(SAMPLE_USERS).max(1);
        let mut column: Vec<f32> = Vec::with_capacity(SAMPLE_USERS);
        (0..t)
            .map(|k| {
                column.clear();
                column.extend((0..users.count).step_by(stride).map(|u| self.estimates.values[u * t + k]));
                column.sort_unstable_by(|a, b| b.total_cmp(a));
                let at = |share: f64| {
                    let i = ((share * column.len() as f64).ceil() as usize).clamp(1, column.len());
                    column[i - 1]
                };
                [at(self.ring_shares[k][0]), at(self.ring_shares[k][1])]
            })
            .collect()
    }

    /// Expected draws per pool when nothing has been measured yet (first tick).
    fn expected_demand(&self, pools: &Pools, cutoffs: &[[f32; 2]]) -> Vec<f64> {
        let users = &self.world.users;
        let f = &self.params.feed;
        let t = users.topics;
        let mut demand = vec![0.0; pools.len()];
        let mut weights = vec![0.0; t];
        for u in 0..users.count {
            let row = &self.estimates.values[u * t..(u + 1) * t];
            let total = topic_weights(row, f.interest_sharpness, &mut weights);
            let slots = f64::from(users.activity[u]) * f64::from(f.slate_size);
            for k in 0..t {
                let p = (1.0 - f.exploration) * weights[k] / total + f.exploration / t as f64;
                demand[pools.index(k, user_ring(f.audience, row[k], cutoffs[k]))] += slots * p;
            }
        }
        demand
    }

    /// Runs one tick.
    pub fn step(&mut self, tick: u32) {
        let p = self.params;
        let world = self.world;
        let t = world.users.topics;
        let mut clock = PhaseClock::start();
        // 1. post
        let before = self.notes.len();
        self.notes.post(p, &world.creators, tick);
        self.staging.grow(&self.notes);
        self.credited.resize(self.notes.len(), Tally::default());
        for n in before..self.notes.len() {
            self.creator_notes[self.notes.author[n] as usize] += 1;
        }
        clock.lap(&mut self.phase_seconds.post);
        // 2. distribute
        let active = self.first_active(tick)..self.notes.len();
        let cutoffs = self.ring_cutoffs();
        let followers = self.followers_now();
        let rings = Pools::rings(p.feed.audience);
        if self.demand.is_empty() {
            let empty = Pools::build(
                &self.notes,
                &self.staging,
                &p.feed,
                &p.engagement_weights,
                &followers,
                0..0,
                tick,
                t,
                &[],
            );
            self.demand = self.expected_demand(&empty, &cutoffs);
        }
        debug_assert_eq!(self.demand.len(), t * rings);
        let pools = Pools::build(
            &self.notes,
            &self.staging,
            &p.feed,
            &p.engagement_weights,
            &followers,
            active.clone(),
            tick,
            t,
            &self.demand,
        );
        clock.lap(&mut self.phase_seconds.distribute);
        // 3. choose and engage
        let outcomes = match p.feed.layout {
            Layout::TwoColumn => {
                self.users_act(&TwoColumnFeed { slate_size: p.feed.slate_size as usize }, &pools, &cutoffs, tick)
            }
            Layout::SingleColumn => self.users_act(&SingleColumnFeed, &pools, &cutoffs, tick),
        };
        let mut draws = vec![0u64; pools.len()];
        let (mut read_interest, mut reads_seen) = (0.0, 0u64);
        for o in &outcomes {
            for (d, x) in draws.iter_mut().zip(&o.draws) {
                *d += u64::from(*x);
            }
            read_interest += o.read_interest;
            reads_seen += o.reads;
        }
        self.demand = draws.iter().map(|&d| d as f64).collect();
        clock.lap(&mut self.phase_seconds.choose_engage);
        // 4. review
        let review = self.staging.review(&self.notes, active.clone(), &p.feed, &p.engagement_weights, tick);
        clock.lap(&mut self.phase_seconds.review);
        // 5. account
        let mut rec = TickRecord {
            tick,
            impressions: 0,
            reads: 0,
            engagements: 0,
            notes_posted: (self.notes.len() - before) as u64,
            notes_in_pools: pools.listed() as u64,
            promoted: review.promoted,
            stalled: review.stalled,
            creator_impressions_gini: 0.0,
            top10_share: 0.0,
            tier_impressions: [0; 4],
            ring_impressions: [0; RINGS],
            interest_rank_corr: 0.0,
            read_interest: if reads_seen > 0 { read_interest / reads_seen as f64 } else { 0.0 },
        };
        let inst_row = self.institutions.iter().map(|_| 0u64).collect::<Vec<_>>();
        self.institution_ticks.push(inst_row);
        for n in active {
            let now = self.notes.counters[n].tally();
            let before = std::mem::replace(&mut self.credited[n], now);
            let author = self.notes.author[n] as usize;
            let age = f64::from(tick - self.notes.born[n]);
            let mut delta = 0u64;
            for r in 0..RINGS {
                let d = u64::from(now.impressions[r] - before.impressions[r]);
                rec.ring_impressions[r] += d;
                self.ring_age_sum[r] += d as f64 * age;
                delta += d;
            }
            self.creator_impressions[author] += delta;
            rec.impressions += delta;
            rec.tier_impressions[FollowerTier::of(world.creators.followers[author]) as usize] += delta;
            let reads = u64::from(now.reads - before.reads);
            let engagements = now.engagements() - before.engagements();
            self.creator_reads[author] += reads;
            self.creator_engagements[author] += engagements;
            rec.reads += reads;
            rec.engagements += engagements;
            if let Ok(i) = self.institutions.binary_search(&(author as u32)) {
                self.institution_ticks.last_mut().expect("pushed above")[i] += delta;
            }
        }
        let totals: Vec<f64> = self.creator_impressions.iter().map(|&x| x as f64).collect();
        rec.creator_impressions_gini = metrics::concentration::gini(&totals);
        rec.top10_share = metrics::concentration::top_k_share(&totals, 10);
        rec.interest_rank_corr = self.interest_rank_corr();
        self.records.push(rec);
        clock.lap(&mut self.phase_seconds.account);
        self.ticks_done = tick + 1;
    }

    /// Mean Kendall tau-b between estimated and true interest rows of sampled users.
    fn interest_rank_corr(&self) -> f64 {
        let users = &self.world.users;
        let t = users.topics;
        let stride = users.count.div_ceil(SAMPLE_USERS / 4).max(1);
        let (mut sum, mut n) = (0.0, 0usize);
        let (mut est, mut truth) = (vec![0.0; t], vec![0.0; t]);
        for u in (0..users.count).step_by(stride) {
            for k in 0..t {
                est[k] = f64::from(self.estimates.values[u * t + k]);
                truth[k] = f64::from(users.interest[u * t + k]);
            }
            if let Some(tau) = metrics::stats::kendall_tau_b(&est, &truth) {
                sum += tau;
                n += 1;
            }
        }
        if n == 0 { 0.0 } else { sum / n as f64 }
    }

    /// Phase 3: every user's feed decisions for the tick, in parallel chunks.
    fn users_act<F: FeedPolicy>(
        &mut self,
        feed: &F,
        pools: &Pools,
        cutoffs: &[[f32; 2]],
        tick: u32,
    ) -> Vec<ChunkOutcome> {
        let world = self.world;
        let p = self.params;
        let t = world.users.topics;
        let notes = &self.notes;
        let follows = &self.follows_gained;
        let ctx = SessionCtx { world, params: p, pools, cutoffs, notes, follows, feed, tick };
        self.estimates
            .values
            .par_chunks_mut(CHUNK_USERS * t)
            .enumerate()
            .map(|(ci, est)| {
                let mut out = ChunkOutcome { draws: vec![0; pools.len()], read_interest: 0.0, reads: 0 };
                let mut weights = vec![0.0; t];
                for (i, row) in est.chunks_mut(t).enumerate() {
                    ctx.session(ci * CHUNK_USERS + i, row, &mut weights, &mut out);
                }
                out
            })
            .collect()
    }

    /// Final outputs of the variant.
    pub fn finish(self, name: &str) -> VariantOutput {
        let creators = &self.world.creators;
        let followers_end = self.followers_now();
        let rows: Vec<CreatorRow> = (0..creators.count)
            .map(|c| CreatorRow {
                variant: name.to_string(),
                creator: c as u32,
                group: creators.groups[creators.group[c] as usize].name.clone(),
                kind: creators.kind[c].as_str(),
                followers_start: creators.followers[c],
                followers_end: followers_end[c].round() as u64,
                notes: self.creator_notes[c],
                impressions: self.creator_impressions[c],
                reads: self.creator_reads[c],
                engagements: self.creator_engagements[c],
            })
            .collect();
        let reached_stage: [u64; 2] =
            [0, 1].map(|s| self.staging.entered.iter().filter(|e| e[s] != u32::MAX).count() as u64);
        let metrics = metrics::variant_metrics(&metrics::VariantTotals {
            ticks: &self.records,
            creators: &rows,
            notes_posted: self.notes.len() as u64,
            reached_stage,
            ring_age_sum: self.ring_age_sum,
            institution_ticks: &self.institution_ticks,
            spec: &self.params.metrics,
        });
        VariantOutput {
            name: name.to_string(),
            metrics,
            ticks: self.records,
            creators: rows,
            phase_seconds: self.phase_seconds,
        }
    }
}

/// Read-only context of the user phase.
struct SessionCtx<'a, F> {
    world: &'a World,
    params: &'a Params,
    pools: &'a Pools,
    cutoffs: &'a [[f32; 2]],
    notes: &'a Notes,
    follows: &'a [AtomicU32],
    feed: &'a F,
    tick: u32,
}

/// Unnormalised topic weights est^sharpness; returns their sum.
#[inline]
fn topic_weights(row: &[f32], sharpness: f64, out: &mut [f64]) -> f64 {
    let mut total = 0.0;
    for (w, &e) in out.iter_mut().zip(row) {
        *w = f64::from(e.max(1e-6)).powf(sharpness);
        total += *w;
    }
    total
}

/// The ring a user is served from for a topic.
#[inline]
fn user_ring(audience: Audience, estimate: f32, cut: [f32; 2]) -> usize {
    match audience {
        Audience::CrowdRings => ring_of(estimate, cut[0], cut[1]),
        Audience::TrafficPools => 0,
    }
}

impl<F: FeedPolicy> SessionCtx<'_, F> {
    /// One user's tick: a Poisson number of feed decisions.
    fn session(&self, u: usize, est: &mut [f32], weights: &mut [f64], out: &mut ChunkOutcome) {
        let users = &self.world.users;
        let p = self.params;
        let f = &p.feed;
        let mut rng = stream(p.seed, self.tick, u as u64, Purpose::Session);
        let mean = f64::from(users.activity[u]);
        let steps = if mean > 0.0 { Poisson::new(mean).map_or(0.0, |d| d.sample(&mut rng)) as u32 } else { 0 };
        if steps == 0 {
            return;
        }
        let total = topic_weights(est, f.interest_sharpness, weights);
        let truth = users.interest_row(u);
        let (core, hp) = (p.crowd.core_interest as f32, p.crowd.high_potential_interest as f32);
        let k = self.feed.slate_size();
        let mut slate = [0u32; MAX_SLATE as usize];
        let mut covers = [CoverView::default(); MAX_SLATE as usize];
        let mut consumed = 0u32;
        for _ in 0..steps {
            let mut len = 0;
            for _ in 0..k {
                // Up to three tries to find a note not already on the slate.
                for _ in 0..3 {
                    let topic = draw_topic(&mut rng, weights, total, f.exploration);
                    let ring = user_ring(f.audience, est[topic], self.cutoffs[topic]);
                    out.draws[self.pools.index(topic, ring)] += 1;
                    if let Some(n) = self.pools.draw(topic, ring, unit(&mut rng))
                        && !slate[..len].contains(&n)
                    {
                        slate[len] = n;
                        len += 1;
                        break;
                    }
                }
            }
            for i in 0..len {
                let n = slate[i] as usize;
                let interest = truth[self.notes.topic[n] as usize];
                covers[i] = CoverView { interest, appeal: self.notes.appeal[n], quality: self.notes.quality[n] };
                self.notes.counters[n].impressions[ring_of(interest, core, hp)].fetch_add(1, Relaxed);
            }
            if len == 0 {
                continue;
            }
            let chosen = self.feed.choose(&p.response, &covers[..len], consumed, &mut rng);
            if let Some(i) = chosen {
                consumed += 1;
                let n = slate[i] as usize;
                let c = &self.notes.counters[n];
                c.reads.fetch_add(1, Relaxed);
                out.read_interest += f64::from(covers[i].interest);
                out.reads += 1;
                let acts = engage(&p.response, &covers[i], &mut rng);
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
                    self.follows[self.notes.author[n] as usize].fetch_add(1, Relaxed);
                }
            }
            // The recommender learns from every slot it showed (S5).
            for (i, &n) in slate[..len].iter().enumerate() {
                let topic = self.notes.topic[n as usize] as usize;
                let e = &mut est[topic];
                match self.feed.observe(chosen, i, f.signal_noise, &mut rng) {
                    Signal::Positive => *e += (f.learning_rate as f32) * (1.0 - *e),
                    Signal::Negative => *e -= (f.skip_learning_rate as f32) * *e,
                }
            }
        }
    }
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
