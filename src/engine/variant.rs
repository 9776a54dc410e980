//! One variant's state and its tick.

use std::sync::atomic::{AtomicU32, Ordering::Relaxed};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::session::{CampaignTick, ChunkOutcome, INBOX_LIMIT, NO_NOTE, ReviewPost, TickView, UserRows, topic_weights};
use super::shard::Shard;
use crate::model::behaviour::journey;
use crate::model::content::{Notes, RINGS, Tally};
use crate::model::platform::{
    AliasTable, Estimates, FeedPolicy, Pools, SearchIndex, SimUnits, SingleColumnFeed, Staging, TwoColumnFeed, rings,
    user_ring,
};
use crate::model::world::{FollowerTier, Segment, World, segment_matches as matches};
use crate::observe::concentration;
use crate::observe::metrics;
use crate::observe::output::{CreatorRow, VariantOutput};
use crate::observe::record::{PhaseClock, PhaseSeconds, TickRecord};
use crate::observe::stats;
use crate::rng::{Purpose, stream};
use crate::scenario::{Layout, Params};

/// Users per parallel work item. Results do not depend on it (each user has its own
/// random stream); it only sets scheduling granularity, and the unit in which users are
/// split over MPI ranks.
pub(super) const CHUNK_USERS: usize = 2048;
/// Users sampled for learning metrics and ring cut-offs (a fixed stride keeps it
/// deterministic and cheap).
const SAMPLE_USERS: usize = 4096;

/// A variant in progress: its resumable [`VariantState`] and what is derived from the
/// world and parameters alone.
pub struct VariantRun<'w> {
    world: &'w World,
    params: &'w Params,
    /// The users this process acts for, and the ranks it combines with.
    shard: Shard<'w>,
    state: VariantState,
    /// Each topic's true ring sizes as shares of users (the platform targets crowds of
    /// these sizes, located by its estimates).
    ring_shares: Vec<[f64; 2]>,
    /// Institution creator ids, ascending.
    institutions: Vec<u32>,
    /// Each campaign's eligible activity (expected feed decisions per tick).
    campaign_reach: Vec<f64>,
    /// The feed's quotas and rate prior in simulated impressions.
    units: SimUnits,
    /// Focal index of each creator, or [`journey::NOT_FOCAL`].
    focal_of: Vec<u8>,
    /// Shared notes each user sees this tick (CSR over users), rebuilt by every tick
    /// from `pending_shares` and `pending_reviews`.
    inbox_start: Vec<u32>,
    inbox_notes: Vec<u32>,
}

/// Everything of a variant that changes from tick to tick: between ticks it is the whole
/// simulation state besides the world (which is rebuilt from the scenario), so a
/// checkpoint saves it and a resumed run continues from it exactly. Random streams are
/// keyed by (seed, tick, agent), so there is no generator position to save.
#[derive(Debug, Serialize, Deserialize)]
pub struct VariantState {
    notes: Notes,
    staging: Staging,
    estimates: Estimates,
    /// Users who started following each creator during the run (at most once each).
    follows_gained: Vec<AtomicU32>,
    /// Expected draws per pool for the coming tick (last tick's measured draws).
    demand: Vec<f64>,
    /// Each note's counters as of the last accounting (deltas are credited to authors).
    credited: Vec<Tally>,
    /// Impressions × note age, by the viewer's true ring (mean age of reach per ring).
    ring_age_sum: [f64; RINGS],
    /// Impressions per tick (outer) of each institution (inner, as `institutions`).
    institution_ticks: Vec<Vec<u64>>,
    creator_impressions: Vec<u64>,
    creator_reads: Vec<u64>,
    creator_engagements: Vec<u64>,
    creator_notes: Vec<u64>,
    records: Vec<TickRecord>,
    /// Ticks completed; the next tick to run.
    ticks_done: u32,
    phase_seconds: PhaseSeconds,
    /// Journey stage per user and focal institution, `users × focal`.
    journey: Vec<u8>,
    /// Topic each user last started asking about.
    ask_topic: Vec<u8>,
    /// Creators each user started following during the run, oldest first (follows in
    /// the world's initial follow graph are not repeated here).
    followed: Vec<Vec<u32>>,
    /// Shares made last tick, delivered this tick.
    pending_shares: Vec<(u32, u32)>,
    /// Reviews advocates wrote last tick, posted this tick.
    pending_reviews: Vec<ReviewPost>,
    /// Conversions per focal institution and segment, `focal × 16`.
    conversions: Vec<u64>,
    /// Impressions of each focal institution's notes by the viewer's true ring, `focal × 3`.
    focal_rings: Vec<u64>,
    /// Notes each focal institution posted (reviews by its advocates excluded).
    focal_notes: Vec<u64>,
}

impl VariantState {
    /// The state before the first tick.
    pub fn new(world: &World, params: &Params) -> Self {
        let users = &world.users;
        let focal = params.journey.focal.len();
        VariantState {
            notes: Notes::default(),
            staging: Staging::default(),
            estimates: Estimates::from_segments(users),
            follows_gained: (0..world.creators.count).map(|_| AtomicU32::new(0)).collect(),
            demand: Vec::new(),
            credited: Vec::new(),
            ring_age_sum: [0.0; RINGS],
            institution_ticks: Vec::new(),
            creator_impressions: vec![0; world.creators.count],
            creator_reads: vec![0; world.creators.count],
            creator_engagements: vec![0; world.creators.count],
            creator_notes: vec![0; world.creators.count],
            records: Vec::new(),
            ticks_done: 0,
            phase_seconds: PhaseSeconds::default(),
            journey: vec![0; users.count * focal],
            ask_topic: users.primary.clone(),
            followed: vec![Vec::new(); users.count],
            pending_shares: Vec::new(),
            pending_reviews: Vec::new(),
            conversions: vec![0; focal * Segment::COUNT],
            focal_rings: vec![0; focal * RINGS],
            focal_notes: vec![0; focal],
        }
    }

    /// Ticks completed: the next tick to run.
    pub fn ticks_done(&self) -> u32 {
        self.ticks_done
    }

    /// Whether this state fits a world: a checkpoint of another scenario would otherwise
    /// index out of bounds.
    pub fn fits(&self, world: &World, params: &Params) -> bool {
        self.follows_gained.len() == world.creators.count
            && self.ask_topic.len() == world.users.count
            && self.journey.len() == world.users.count * params.journey.focal.len()
            && self.estimates.values.len() == world.users.count * world.users.topics
            && self.ticks_done <= params.ticks
    }
}

impl<'w> VariantRun<'w> {
    /// Fresh state for a variant on a world.
    pub fn new(world: &'w World, params: &'w Params) -> Self {
        Self::resume(world, params, VariantState::new(world, params))
    }

    /// Continues a variant from a saved state (of the same world and parameters).
    pub fn resume(world: &'w World, params: &'w Params, state: VariantState) -> Self {
        let users = &world.users;
        let ring_shares = rings::ring_shares(users, &params.crowd);
        VariantRun {
            world,
            params,
            shard: Shard::whole(users.count),
            state,
            ring_shares,
            institutions: (0..world.creators.count as u32)
                .filter(|&c| world.creators.kind[c as usize].is_institution())
                .collect(),
            campaign_reach: params
                .campaigns
                .iter()
                .map(|c| {
                    (0..users.count)
                        .filter(|&u| c.target.as_ref().is_none_or(|t| matches(t, users.segment[u])))
                        .map(|u| f64::from(users.activity[u]))
                        .sum()
                })
                .collect(),
            units: SimUnits::new(&params.feed, params.users_per_agent()),
            focal_of: (0..world.creators.count)
                .map(|c| world.creators.group_focal[world.creators.group[c] as usize].unwrap_or(journey::NOT_FOCAL))
                .collect(),
            inbox_start: vec![0; users.count + 1],
            inbox_notes: Vec::new(),
        }
    }

    /// Acts only for the shard's users and combines with the other ranks every tick.
    pub fn on_shard(mut self, shard: Shard<'w>) -> Self {
        self.shard = shard;
        self
    }

    /// The state to checkpoint (meaningful between ticks).
    pub fn state(&self) -> &VariantState {
        &self.state
    }

    /// Posts last tick's advocates' reviews and turns last tick's shares (and the
    /// reviews, shared with the advocates' friends) into this tick's inboxes.
    fn deliver(&mut self, tick: u32) {
        let world = self.world;
        // A note that has left its feed life is no longer delivered: every impression is
        // of an active note, so the tick's accounting credits it.
        let first_active = self.first_active(tick) as u32;
        let mut deliveries = std::mem::take(&mut self.state.pending_shares);
        deliveries.retain(|&(_, note)| note >= first_active);
        for r in std::mem::take(&mut self.state.pending_reviews) {
            let id = self.state.notes.len() as u32;
            self.state.notes.push(r.note);
            self.state.creator_notes[r.note.author as usize] += 1;
            if self.params.sharing.enabled {
                // A review reaches at most as many draws as the advocate has friends (a
                // share by a reader draws `friends_per_share` whatever the count).
                let k = self.params.sharing.friends_per_share.min(world.social.neighbors(r.user).len() as u32);
                let mut rng = stream(self.params.seed, tick, u64::from(r.user), Purpose::Variant);
                deliveries.extend(world.draw_friends(r.user, k, &mut rng).map(|f| (f, id)));
            }
        }
        // Stable: deliveries keep their (deterministic) order within a user.
        deliveries.sort_by_key(|&(friend, _)| friend);
        let n = world.users.count;
        self.inbox_start.iter_mut().for_each(|x| *x = 0);
        self.inbox_notes.clear();
        let mut i = 0;
        for u in 0..n {
            self.inbox_start[u] = self.inbox_notes.len() as u32;
            let mut taken = 0;
            while i < deliveries.len() && deliveries[i].0 as usize == u {
                if taken < INBOX_LIMIT {
                    self.inbox_notes.push(deliveries[i].1);
                    taken += 1;
                }
                i += 1;
            }
        }
        self.inbox_start[n] = self.inbox_notes.len() as u32;
    }

    /// Current follower counts of every creator, in platform units (real users).
    ///
    /// A creator starts with `F0` followers of the platform's `P` users. A simulated user
    /// who starts following it stands for `P / users` real users, of whom the share
    /// `F0 / P` already followed, so each new follower adds `(P / users) · (1 − F0 / P)`:
    /// `followers = F0 + gained · (P / users) · (1 − F0 / P)`. Each user follows a creator
    /// at most once, so `gained ≤ users` and a creator never exceeds the platform's users.
    fn followers_now(&self) -> Vec<f64> {
        let platform = self.params.world.platform_users as f64;
        let per_user = self.params.users_per_agent();
        self.world
            .creators
            .followers
            .iter()
            .zip(&self.state.follows_gained)
            .map(|(&f, g)| {
                let f = (f as f64).min(platform);
                (f + f64::from(g.load(Relaxed)) * per_user * (1.0 - f / platform)).min(platform)
            })
            .collect()
    }

    /// The index of the oldest note still within its lifetime at `tick`.
    fn first_active(&self, tick: u32) -> usize {
        let oldest = (tick + 1).saturating_sub(self.params.world.note_lifetime_ticks);
        self.state.notes.born.partition_point(|&b| b < oldest)
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
                column.extend((0..users.count).step_by(stride).map(|u| self.state.estimates.values[u * t + k]));
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
            let row = &self.state.estimates.values[u * t..(u + 1) * t];
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
        let before = self.state.notes.len();
        self.state.notes.post(p, &world.creators, tick);
        self.deliver(tick);
        self.state.staging.grow(&self.state.notes);
        self.state.credited.resize(self.state.notes.len(), Tally::default());
        for n in before..self.state.notes.len() {
            if self.state.notes.kind[n] != crate::scenario::ContentKind::Review {
                let author = self.state.notes.author[n] as usize;
                self.state.creator_notes[author] += 1;
                if self.focal_of[author] != journey::NOT_FOCAL {
                    self.state.focal_notes[self.focal_of[author] as usize] += 1;
                }
            }
        }
        clock.lap(&mut self.state.phase_seconds.post);
        // 2. distribute
        let active = self.first_active(tick)..self.state.notes.len();
        let cutoffs = self.ring_cutoffs();
        let followers = self.followers_now();
        let rings = Pools::rings(p.feed.audience);
        if self.state.demand.is_empty() {
            let empty = Pools::build(
                &self.state.notes,
                &self.state.staging,
                (&p.feed, &self.units),
                &p.engagement_weights,
                &followers,
                0..0,
                tick,
                t,
                &[],
            );
            self.state.demand = self.expected_demand(&empty, &cutoffs);
        }
        debug_assert_eq!(self.state.demand.len(), t * rings);
        let pools = Pools::build(
            &self.state.notes,
            &self.state.staging,
            (&p.feed, &self.units),
            &p.engagement_weights,
            &followers,
            active.clone(),
            tick,
            t,
            &self.state.demand,
        );
        clock.lap(&mut self.state.phase_seconds.distribute);
        // 3. choose and engage
        let search = SearchIndex::build(
            (p, &self.units),
            &self.state.notes,
            active.clone(),
            &followers,
            &|c| Some(self.focal_of[c as usize]).filter(|&f| f != journey::NOT_FOCAL),
            &p.engagement_weights,
            tick,
        );
        let before_users = self.shard.before(&self.state.notes, active.clone(), &self.state.follows_gained);
        let outcomes = match p.feed.layout {
            Layout::TwoColumn => self.users_act(
                &TwoColumnFeed { slate_size: p.feed.slate_size as usize },
                &pools,
                &search,
                &cutoffs,
                active.clone(),
                tick,
            ),
            Layout::SingleColumn => self.users_act(&SingleColumnFeed, &pools, &search, &cutoffs, active.clone(), tick),
        };
        let focal = p.journey.focal.len();
        // Other ranks' users: their counts, outcomes, shares to this rank's users and the
        // sampled estimate rows (the strides of `ring_cutoffs` and `interest_rank_corr`).
        self.shard.sum_counters(before_users, &self.state.notes, active.clone(), &self.state.follows_gained);
        let outcomes = self.shard.gather_outcomes(outcomes, pools.len(), focal);
        let n = world.users.count;
        let strides = [n.div_ceil(SAMPLE_USERS).max(1), n.div_ceil(SAMPLE_USERS / 4).max(1)];
        self.shard.share_sampled_rows(&mut self.state.estimates.values, t, &strides);
        let mut draws = vec![0u64; pools.len()];
        let (mut read_interest, mut reads_seen) = (0.0, 0u64);
        let mut merged = ChunkOutcome::new(0, focal);
        for o in outcomes {
            for (d, x) in draws.iter_mut().zip(&o.draws) {
                *d += u64::from(*x);
            }
            read_interest += o.read_interest;
            reads_seen += o.reads;
            merged.add_counts(&o);
            add_into(&mut self.state.conversions, &o.conversions);
            self.state.pending_shares.extend(o.shares);
            self.state.pending_reviews.extend(o.reviews);
        }
        self.state.demand = draws.iter().map(|&d| d as f64).collect();
        clock.lap(&mut self.state.phase_seconds.choose_engage);
        // 4. review
        let review = self.state.staging.review(
            &self.state.notes,
            active.clone(),
            &p.feed,
            &self.units,
            &p.engagement_weights,
            tick,
        );
        clock.lap(&mut self.state.phase_seconds.review);
        // 5. account
        let mut rec = TickRecord {
            tick,
            impressions: 0,
            reads: 0,
            engagements: 0,
            notes_posted: (self.state.notes.len() - before) as u64,
            notes_in_pools: pools.listed() as u64,
            promoted: review.promoted,
            stalled: review.stalled,
            creator_impressions_gini: 0.0,
            top10_share: 0.0,
            tier_impressions: [0; 4],
            ring_impressions: [0; RINGS],
            interest_rank_corr: 0.0,
            read_interest: if reads_seen > 0 { read_interest / reads_seen as f64 } else { 0.0 },
            channel_impressions: merged.channel,
            promoted_impressions: merged.promoted,
            out_of_ring_impressions: merged.out_of_ring,
            funnel_entered: merged.entered,
            focal_impressions: merged.focal_impressions,
        };
        let inst_row = self.institutions.iter().map(|_| 0u64).collect::<Vec<_>>();
        self.state.institution_ticks.push(inst_row);
        for n in active {
            let now = self.state.notes.counters[n].tally();
            let before = std::mem::replace(&mut self.state.credited[n], now);
            let author = self.state.notes.author[n] as usize;
            let age = f64::from(tick - self.state.notes.born[n]);
            let own_focal = if self.state.notes.kind[n] == crate::scenario::ContentKind::Review {
                journey::NOT_FOCAL
            } else {
                self.focal_of[author]
            };
            let mut delta = 0u64;
            for r in 0..RINGS {
                let d = u64::from(now.impressions[r] - before.impressions[r]);
                rec.ring_impressions[r] += d;
                self.state.ring_age_sum[r] += d as f64 * age;
                // The institution's own notes (its advocates' reviews are not its posts).
                if own_focal != journey::NOT_FOCAL {
                    self.state.focal_rings[own_focal as usize * RINGS + r] += d;
                }
                delta += d;
            }
            self.state.creator_impressions[author] += delta;
            rec.impressions += delta;
            // The tier of the follower count the weights saw this tick.
            rec.tier_impressions[FollowerTier::of(followers[author] as u64) as usize] += delta;
            let reads = u64::from(now.reads - before.reads);
            let engagements = now.engagements() - before.engagements();
            self.state.creator_reads[author] += reads;
            self.state.creator_engagements[author] += engagements;
            rec.reads += reads;
            rec.engagements += engagements;
            if let Ok(i) = self.institutions.binary_search(&(author as u32)) {
                self.state.institution_ticks.last_mut().expect("pushed above")[i] += delta;
            }
        }
        let totals: Vec<f64> = self.state.creator_impressions.iter().map(|&x| x as f64).collect();
        rec.creator_impressions_gini = concentration::gini(&totals);
        rec.top10_share = concentration::top_k_share(&totals, 10);
        rec.interest_rank_corr = self.interest_rank_corr();
        self.state.records.push(rec);
        clock.lap(&mut self.state.phase_seconds.account);
        self.state.ticks_done = tick + 1;
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
                est[k] = f64::from(self.state.estimates.values[u * t + k]);
                truth[k] = f64::from(users.interest[u * t + k]);
            }
            if let Some(tau) = stats::kendall_tau_b(&est, &truth) {
                sum += tau;
                n += 1;
            }
        }
        if n == 0 { 0.0 } else { sum / n as f64 }
    }

    /// Phase 3: every user's decisions for the tick, in parallel chunks of users.
    fn users_act<F: FeedPolicy>(
        &mut self,
        feed: &F,
        pools: &Pools,
        search: &SearchIndex,
        cutoffs: &[[f32; 2]],
        active: std::ops::Range<usize>,
        tick: u32,
    ) -> Vec<ChunkOutcome> {
        let world = self.world;
        let p = self.params;
        let t = world.users.topics;
        let focal = p.journey.focal.len();
        let notes = &self.state.notes;
        // Snapshots the session reads: newest note per creator, visible counts, ranks.
        let mut latest_note = vec![NO_NOTE; world.creators.count];
        let mut visible = vec![0.0f32; notes.len()];
        let mut rank_score = vec![0.0f32; notes.len()];
        for n in active.clone() {
            latest_note[notes.author[n] as usize] = n as u32;
            let tally = notes.counters[n].tally();
            if p.feed.show_counts {
                visible[n] = (1.0 + tally.likes as f32).ln();
            }
            rank_score[n] =
                self.units.smoothed_rate(tally.engagement_score(&p.engagement_weights), tally.total_impressions())
                    as f32;
        }
        let campaigns: Vec<CampaignTick> = p
            .campaigns
            .iter()
            .enumerate()
            .map(|(ci, c)| {
                let items: Vec<u32> = active
                    .clone()
                    .filter(|&n| {
                        notes.campaign[n] == ci as u16 && notes.kind[n] != crate::scenario::ContentKind::Review
                    })
                    .map(|n| n as u32)
                    .collect();
                let list = AliasTable::new(&items, &vec![1.0; items.len()]);
                let group = world.creators.groups.iter().position(|g| g.name == c.group);
                CampaignTick {
                    active: tick >= c.start_tick && tick < c.end_tick,
                    notes: list,
                    // The budget is in platform impressions.
                    slot_chance: (c.promoted_per_tick / p.users_per_agent() / self.campaign_reach[ci].max(1e-9))
                        .min(1.0),
                    target: c.target.clone(),
                    focal: group.and_then(|g| world.creators.group_focal[g]),
                    prize_advocacy: c.prize_advocacy,
                    prize_credibility_drop: c.prize_credibility_drop,
                    review_prize: c.review_prize,
                }
            })
            .collect();
        let mut trend_boost = vec![0.0f32; t];
        for tr in &p.trends {
            if tick >= tr.start_tick
                && tick < tr.end_tick
                && let Some(k) = p.topics.iter().position(|x| x.name == tr.topic)
            {
                trend_boost[k] += tr.interest_boost as f32;
            }
        }
        let view = TickView {
            world,
            params: p,
            feed,
            tick,
            pools,
            search,
            cutoffs,
            notes,
            stage: &self.state.staging.stage,
            follows_gained: &self.state.follows_gained,
            inbox_start: &self.inbox_start,
            inbox_notes: &self.inbox_notes,
            latest_note: &latest_note,
            visible: &visible,
            rank_score: &rank_score,
            focal_of: &self.focal_of,
            campaigns: &campaigns,
            trend_boost: &trend_boost,
        };
        // Split the user-owned columns into chunks: each chunk is written by one task.
        let n = world.users.count;
        let mut rows = Vec::with_capacity(n.div_ceil(CHUNK_USERS));
        let (mut est, mut journey) = (&mut self.state.estimates.values[..], &mut self.state.journey[..]);
        let (mut ask, mut follows) = (&mut self.state.ask_topic[..], &mut self.state.followed[..]);
        let mut first = 0;
        while first < n {
            let len = CHUNK_USERS.min(n - first);
            let (e, e_rest) = std::mem::take(&mut est).split_at_mut(len * t);
            let (j, j_rest) = std::mem::take(&mut journey).split_at_mut(len * focal);
            let (a, a_rest) = std::mem::take(&mut ask).split_at_mut(len);
            let (f, f_rest) = std::mem::take(&mut follows).split_at_mut(len);
            (est, journey, ask, follows) = (e_rest, j_rest, a_rest, f_rest);
            if self.shard.users.contains(&first) {
                rows.push(UserRows { first, est: e, journey: j, ask_topic: a, follows: f });
            }
            first += len;
        }
        rows.into_par_iter()
            .map(|r| {
                let mut out = ChunkOutcome::new(pools.len(), focal);
                view.run_chunk(r, &mut out);
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
                kind: creators.kind[c],
                followers_start: creators.followers[c],
                followers_end: followers_end[c].round() as u64,
                notes: self.state.creator_notes[c],
                impressions: self.state.creator_impressions[c],
                reads: self.state.creator_reads[c],
                engagements: self.state.creator_engagements[c],
            })
            .collect();
        let reached_stage: [u64; 2] =
            [0, 1].map(|s| self.state.staging.entered.iter().filter(|e| e[s] != Staging::NEVER).count() as u64);
        let metrics = metrics::variant_metrics(&metrics::VariantTotals {
            ticks: &self.state.records,
            creators: &rows,
            notes_posted: self.state.notes.len() as u64,
            reached_stage,
            ring_age_sum: self.state.ring_age_sum,
            institution_ticks: &self.state.institution_ticks,
            spec: &self.params.metrics,
            focal: &self.params.journey.focal,
            conversions: &self.state.conversions,
            campaigns: &self.params.campaigns,
            users: (self.world.users.count as u64, self.params.users_per_agent()),
            focal_rings: &self.state.focal_rings,
            focal_notes: &self.state.focal_notes,
        });
        VariantOutput {
            name: name.to_string(),
            metrics,
            ticks: self.state.records,
            creators: rows,
            phase_seconds: self.state.phase_seconds,
        }
    }
}

fn add_into(acc: &mut [u64], x: &[u64]) {
    for (a, b) in acc.iter_mut().zip(x) {
        *a += b;
    }
}
