//! One variant's state and its tick.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::session::{
    CampaignTick, ChunkOutcome, INBOX_LIMIT, NO_NOTE, NoteCard, ReviewPost, ReviewRole, RunFollows, TickView, UserList,
    UserRows, Worker, topic_weights,
};
use super::shard::Shard;
use super::shares::PendingShares;
use crate::model::behaviour::{ResponseGrid, journey};
use crate::model::content::{CHANCE_UNIT, Notes, RINGS};
use crate::model::platform::{
    AliasTable, Estimates, FeedPolicy, Pools, Sampled, SearchIndex, SimUnits, SingleColumnFeed, Staging, TwoColumnFeed,
    rings, user_ring,
};
use crate::model::world::{Rows, World, segment_matches as matches};
use crate::observe::accounting::{self, Accumulators, TickContext};
use crate::observe::output::VariantOutput;
use crate::observe::record::{PhaseClock, TickRecord};
use crate::rng::{Purpose, stream};
use crate::scenario::{Arrival, ItemCount, Layout, Params, SocialSignal};

/// Users per parallel work item. Results do not depend on it (each user has its own
/// random stream); it only sets scheduling granularity, and the unit in which users are
/// split over MPI ranks.
pub(super) const CHUNK_USERS: usize = 2048;

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
    /// Where a simulated user stands for more than one real user, the expected responses
    /// the platform counts with them (the response model is fixed for the run).
    responses: Option<ResponseGrid>,
    /// Focal index of each creator, or [`journey::NOT_FOCAL`].
    focal_of: Vec<u8>,
    /// Each segment's mean true interest per topic (every user's first estimate row).
    segment_means: Vec<f32>,
    /// The estimate rows of the users sampled for ring cut-offs and the learning metric,
    /// refreshed from their ranks after every user phase.
    sampled: Sampled,
    /// Shared notes each of this rank's users sees this tick (CSR over the users, one
    /// more offset than users), rebuilt by every tick from `pending_shares` and
    /// `pending_reviews`.
    inbox_start: Rows<u32>,
    inbox_notes: Vec<u32>,
}

/// Everything of a variant that changes from tick to tick: between ticks it is the whole
/// simulation state besides the world (which is rebuilt from the scenario), so a
/// checkpoint saves it and a resumed run continues from it exactly. Per-user columns
/// hold the rows of the world's held users only (a rank's users under MPI), in id
/// order; notes, stages and per-creator state are whole on every rank. Random streams are
/// keyed by (seed, tick, agent), so there is no generator position to save.
#[derive(Debug, Serialize, Deserialize)]
pub struct VariantState {
    notes: Notes,
    staging: Staging,
    estimates: Estimates,
    /// Expected follows each creator gained during the run, in [`CHANCE_UNIT`]s: per
    /// read by a user not following yet, the read's follow chance.
    follows_gained: Vec<AtomicU64>,
    /// Expected draws per pool for the coming tick (last tick's measured draws).
    demand: Vec<f64>,
    /// Ticks completed; the next tick to run.
    ticks_done: u32,
    /// Journey stage per user and focal institution, `held users × focal`.
    journey: Vec<u8>,
    /// Topic each user last started asking about.
    ask_topic: Vec<u8>,
    /// Creators each held user started following during the run, oldest first (follows
    /// in the world's initial follow graph are not repeated here).
    followed: RunFollows,
    /// Notes each user has read, sorted: one list per user under
    /// `response.once_per_item`, none otherwise.
    #[serde(default)]
    read: Vec<UserList>,
    /// Shares made last tick, delivered this tick.
    pending_shares: PendingShares,
    /// Reviews advocates wrote last tick, posted this tick.
    pending_reviews: Vec<ReviewPost>,
    /// What the accounting phase has measured so far (metric state, not model state).
    measured: Accumulators,
}

impl VariantState {
    /// The state before the first tick.
    pub fn new(world: &World, params: &Params) -> Self {
        let users = &world.users;
        let held = users.local().len();
        let focal = params.journey.focal.len();
        VariantState {
            notes: Notes::default(),
            staging: Staging::default(),
            estimates: Estimates::from_segments(users),
            follows_gained: (0..world.creators.count).map(|_| AtomicU64::new(0)).collect(),
            demand: Vec::new(),
            ticks_done: 0,
            journey: vec![0; held * focal],
            ask_topic: users.primary.data.clone(),
            followed: RunFollows::new(held, world.creators.count),
            // Memory only where a variant keeps it (a list header per user otherwise).
            read: if params.response.once_per_item { vec![UserList::new(); held] } else { Vec::new() },
            pending_shares: PendingShares::default(),
            pending_reviews: Vec::new(),
            measured: Accumulators::new(world.creators.count, focal),
        }
    }

    /// Ticks completed: the next tick to run.
    pub fn ticks_done(&self) -> u32 {
        self.ticks_done
    }

    /// Whether this state fits a world: a checkpoint of another scenario would otherwise
    /// index out of bounds.
    pub fn fits(&self, world: &World, params: &Params) -> bool {
        let held = world.users.local().len();
        self.follows_gained.len() == world.creators.count
            && self.ask_topic.len() == held
            && self.followed.users() == held
            && self.journey.len() == held * params.journey.focal.len()
            && self.estimates.values.len() == held * world.users.topics
            && self.read.len() == if params.response.once_per_item { held } else { 0 }
            && self.ticks_done <= params.ticks
    }
}

impl<'w> VariantRun<'w> {
    /// Fresh state for a variant on a world (built whole, run in one process).
    pub fn new(world: &'w World, params: &'w Params) -> Self {
        Self::resume(world, params, VariantState::new(world, params), Shard::whole(world.users.count))
    }

    /// Continues a variant from a saved state (of the same world and parameters), acting
    /// for the shard's users (those the world holds) and combining with the other ranks
    /// every tick. Every rank calls it at the same point: it gathers the sampled rows.
    pub fn resume(world: &'w World, params: &'w Params, state: VariantState, shard: Shard<'w>) -> Self {
        let users = &world.users;
        assert_eq!(shard.users, users.local(), "the world holds the shard's users");
        let ring_shares = rings::ring_shares(users, &params.crowd);
        // Sums over every user in id order (the same bits on every rank).
        let mut campaign_reach = vec![0.0f64; params.campaigns.len()];
        if !params.campaigns.is_empty() {
            users.scan_traits(|_, tr| {
                for (reach, c) in campaign_reach.iter_mut().zip(&params.campaigns) {
                    if c.target.as_ref().is_none_or(|t| matches(t, tr.segment)) {
                        *reach += f64::from(tr.activity);
                    }
                }
            });
        }
        let n = users.count;
        let strides = [rings::cutoff_sample_stride(n), accounting::interest_sample_stride(n)];
        let mut sampled = Sampled::new(users, &strides);
        shard.sample_rows(&state.estimates.values, &mut sampled);
        let units = SimUnits::new(&params.feed, params.users_per_agent());
        VariantRun {
            world,
            params,
            segment_means: if state.demand.is_empty() { users.segment_means().to_vec() } else { Vec::new() },
            sampled,
            shard,
            state,
            ring_shares,
            institutions: (0..world.creators.count as u32)
                .filter(|&c| world.creators.kind[c as usize].is_institution())
                .collect(),
            campaign_reach,
            responses: units
                .counts_expected()
                .then(|| ResponseGrid::new(&params.response, &params.engagement_weights, params.feed.count_shown)),
            units,
            focal_of: (0..world.creators.count)
                .map(|c| world.creators.group_focal[world.creators.group[c] as usize].unwrap_or(journey::NOT_FOCAL))
                .collect(),
            inbox_start: Rows::new(users.local().start, vec![0; users.local().len() + 1]),
            inbox_notes: Vec::new(),
        }
    }

    /// The state to checkpoint (meaningful between ticks).
    pub fn state(&self) -> &VariantState {
        &self.state
    }

    /// Posts last tick's advocates' reviews and turns last tick's shares (and the
    /// reviews, shared with the advocates' friends) into this tick's inboxes of this
    /// rank's users. Every rank posts every review; the advocate's rank, which holds its
    /// friends, draws who the review reaches and sends each delivery to the friend's rank.
    fn deliver(&mut self, tick: u32) {
        let world = self.world;
        // A note that has left its feed life is no longer delivered: every impression is
        // of an active note, so the tick's accounting credits it.
        let first_active = self.first_active(tick) as u32;
        let mut deliveries = std::mem::take(&mut self.state.pending_shares);
        deliveries.retain(|&(_, note)| note >= first_active);
        let mut reviewed = Vec::new();
        let mut latest = self.latest_reviews(first_active);
        for r in std::mem::take(&mut self.state.pending_reviews) {
            let f = self.focal_of[r.note.author as usize] as usize;
            let id = if r.role == ReviewRole::SharesLatest {
                match latest[f] {
                    Some(id) => id,
                    // No review of the institution is active yet: nothing to share.
                    None => continue,
                }
            } else {
                let id = self.state.notes.len() as u32;
                self.state.notes.push(r.note);
                self.state.measured.count_review(r.note.author);
                latest[f] = Some(id);
                id
            };
            if r.role == ReviewRole::Listed {
                continue;
            }
            if self.params.sharing.enabled && world.social.holds(r.user) {
                // A review reaches at most as many draws as the advocate has friends (a
                // share by a reader draws `friends_per_share` whatever the count).
                let k = self.params.sharing.friends_per_share.min(world.social.neighbors(r.user).len() as u32);
                let mut rng = stream(self.params.seed, tick, u64::from(r.user), Purpose::Variant);
                reviewed.extend(world.draw_friends(r.user, k, &mut rng).map(|f| (f, id)));
            }
        }
        // Reviews are listed in advocates' rank order, so in rank order they still come
        // in review order after the shares, as in one process. Read as one list after
        // the shares rather than appended (which would copy the shares).
        let reviewed = self.shard.route(reviewed);
        self.fill_inboxes(&deliveries, &reviewed);
    }

    /// Each focal institution's newest active review (its advocates' account's newest
    /// note from `first_active` on), which an advocate who posts no note shares.
    fn latest_reviews(&self, first_active: u32) -> Vec<Option<u32>> {
        let accounts = &self.world.creators.advocate_account;
        let mut latest = vec![None; accounts.len()];
        if accounts.is_empty() {
            return latest;
        }
        let authors = &self.state.notes.author[first_active as usize..];
        for (i, &author) in authors.iter().enumerate().rev() {
            // `focal_of` maps an institution's own accounts and its advocates' account
            // alike; only the latter authors reviews.
            let f = self.focal_of[author as usize];
            if f != journey::NOT_FOCAL && accounts[f as usize] == author && latest[f as usize].is_none() {
                let f = f as usize;
                latest[f] = Some(first_active + i as u32);
                if latest.iter().all(Option::is_some) {
                    break;
                }
            }
        }
        latest
    }

    /// The inboxes of this rank's users from the tick's deliveries: each user's first
    /// [`INBOX_LIMIT`] deliveries, in the order listed. A counting sort by user, which is
    /// stable, so the same as sorting the list stably by user, and needs no scratch
    /// beyond one cursor per user. The users are split into one contiguous range per
    /// thread; each thread reads the whole list and writes its own users' rows only.
    fn fill_inboxes(&mut self, shares: &PendingShares, reviewed: &[(u32, u32)]) {
        let local = self.world.users.local();
        let deliveries = || shares.iter().chain(reviewed);
        debug_assert!(deliveries().all(|&(f, _)| local.contains(&(f as usize))));
        let per = local.len().div_ceil(rayon::current_num_threads().max(1)).max(1);
        // The deliveries of a range's users: (index among the range's users, note).
        let of_range = |k: usize| {
            let lo = local.start + k * per;
            deliveries()
                .filter(move |&&(f, _)| (f as usize) >= lo && (f as usize) < lo + per)
                .map(move |&(f, note)| (f as usize - lo, note))
        };
        let start = &mut self.inbox_start.data;
        start[0] = 0;
        // Deliveries per user (capped) at the next user's slot, then their running sum.
        start[1..].par_chunks_mut(per).enumerate().for_each(|(k, counts)| {
            counts.iter_mut().for_each(|c| *c = 0);
            for (i, _) in of_range(k) {
                counts[i] = (counts[i] + 1).min(INBOX_LIMIT as u32);
            }
        });
        for i in 1..start.len() {
            start[i] += start[i - 1];
        }
        let mut cursor: Vec<u32> = start[..start.len() - 1].to_vec();
        self.inbox_notes.clear();
        self.inbox_notes.resize(start[start.len() - 1] as usize, 0);
        // Each range's users' notes are one stretch of the column.
        let mut pieces = Vec::with_capacity(cursor.len().div_ceil(per));
        let mut rest = &mut self.inbox_notes[..];
        for lo in (0..cursor.len()).step_by(per) {
            let hi = (lo + per).min(cursor.len());
            let (piece, tail) = rest.split_at_mut((start[hi] - start[lo]) as usize);
            pieces.push((start[lo], piece));
            rest = tail;
        }
        let start = &*start;
        cursor.par_chunks_mut(per).zip(pieces).enumerate().for_each(|(k, (cursor, (base, notes)))| {
            for (i, note) in of_range(k) {
                let at = cursor[i];
                if at < start[k * per + i + 1] {
                    notes[(at - base) as usize] = note;
                    cursor[i] = at + 1;
                }
            }
        });
    }

    /// Current follower counts of every creator, in platform units (real users).
    ///
    /// A creator starts with `F0` followers of the platform's `P` users. A simulated user
    /// who reads its note stands for `P / users` real readers, of whom the share `F0 / P`
    /// already follow and the read's follow chance `c` would follow: the read adds
    /// `c · (P / users) · (1 − F0 / P)` followers, the expectation over the readers it
    /// stands for, rather than all of them at once when the one simulated user follows
    /// (which made gains come in lumps of `P / users`, coarser the smaller the world).
    /// Chances count while the simulated user does not follow yet, so their sum has the
    /// expectation of its follows: `gained` (expected follows) is about ≤ users, and a
    /// creator never exceeds the platform's users.
    /// `followers = F0 + gained · (P / users) · (1 − F0 / P)`.
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
                let gained = g.load(Relaxed) as f64 / CHANCE_UNIT;
                (f + gained * per_user * (1.0 - f / platform)).min(platform)
            })
            .collect()
    }

    /// The index of the oldest note still within its lifetime at `tick`.
    fn first_active(&self, tick: u32) -> usize {
        let oldest = (tick + 1).saturating_sub(self.params.world.note_lifetime_ticks);
        self.state.notes.born.partition_point(|&b| b < oldest)
    }

    /// Expected draws per pool when nothing has been measured yet (first tick), summed
    /// over every user in id order: a rank reads its users' estimate rows and takes the
    /// others' first rows, their segments' means (no user has acted yet). A user makes
    /// `activity × decisions_scale` decisions, each showing the layout's K feed items
    /// (one on the single-column feed); search and follow-feed decisions are not taken
    /// off, so the plan is an upper bound (from the second tick on, demand is measured).
    fn expected_demand(&self, pools: &Pools, cutoffs: &[[f32; 2]]) -> Vec<f64> {
        let users = &self.world.users;
        let f = &self.params.feed;
        let (decisions_scale, shown) = (self.params.response.decisions_scale, f64::from(f.shown_per_slate()));
        let t = users.topics;
        let local = users.local();
        let mut demand = vec![0.0; pools.len()];
        let mut weights = vec![0.0; t];
        users.scan_traits(|u, tr| {
            let row = if local.contains(&u) {
                let i = u - local.start;
                &self.state.estimates.values[i * t..(i + 1) * t]
            } else {
                let s = tr.segment.0 as usize;
                &self.segment_means[s * t..(s + 1) * t]
            };
            let total = topic_weights(row, f.interest_sharpness, &mut weights);
            let slots = f64::from(tr.activity) * decisions_scale * shown;
            for k in 0..t {
                let p = (1.0 - f.exploration) * weights[k] / total + f.exploration / t as f64;
                demand[pools.index(k, user_ring(f.audience, row[k], cutoffs[k]))] += slots * p;
            }
        });
        demand
    }

    /// Runs one tick: its five phases in order (see the module documentation of
    /// [`crate::engine`]).
    pub fn step(&mut self, tick: u32) {
        let mut clock = PhaseClock::start();
        let posted = self.post(tick);
        clock.lap(&mut self.state.measured.phase_seconds.post);
        let dist = self.distribute(tick);
        clock.lap(&mut self.state.measured.phase_seconds.distribute);
        let acted = self.choose_and_engage(tick, &dist);
        clock.lap(&mut self.state.measured.phase_seconds.choose_engage);
        let review = self.state.staging.review(
            &self.state.notes,
            dist.active.clone(),
            &self.params.feed,
            &self.units,
            &self.params.engagement_weights,
            tick,
        );
        clock.lap(&mut self.state.measured.phase_seconds.review);
        let rec = TickRecord {
            tick,
            impressions: 0,
            reads: 0,
            engagements: 0,
            notes_posted: posted.len() as u64,
            notes_in_pools: dist.pools.listed() as u64,
            promoted: review.promoted,
            stalled: review.stalled,
            creator_impressions_gini: 0.0,
            top10_share: 0.0,
            tier_impressions: [0; 4],
            ring_impressions: [0; RINGS],
            interest_rank_corr: 0.0,
            read_interest: acted.read_interest,
            channel_impressions: acted.merged.channel,
            promoted_impressions: acted.merged.promoted,
            out_of_ring_impressions: acted.merged.out_of_ring,
            funnel_entered: acted.merged.entered,
            focal_impressions: acted.merged.focal_impressions,
            decisions: acted.merged.decisions,
            focal_reads: acted.merged.focal_reads,
        };
        let cx = TickContext {
            notes: &self.state.notes,
            active: dist.active,
            tick,
            followers: &dist.followers,
            focal_of: &self.focal_of,
            institutions: &self.institutions,
        };
        self.state.measured.account(&cx, rec, self.world, &self.sampled);
        clock.lap(&mut self.state.measured.phase_seconds.account);
        self.state.ticks_done = tick + 1;
    }

    /// Phase 1: creators post (every variant gets the same notes), last tick's shares
    /// and reviews are delivered (advocates' reviews are posted then), and new notes
    /// enter their first stage. Returns the ids of the notes posted, reviews included.
    fn post(&mut self, tick: u32) -> std::ops::Range<usize> {
        let before = self.state.notes.len();
        self.state.notes.post(self.params, &self.world.creators, tick);
        self.deliver(tick);
        self.state.staging.grow(&self.state.notes);
        let posted = before..self.state.notes.len();
        self.state.measured.count_posts(&self.state.notes, posted.clone(), &self.focal_of);
        posted
    }

    /// Phase 2: ring cut-offs from the estimates, follower counts, and the candidate
    /// pools every slate samples from.
    fn distribute(&mut self, tick: u32) -> Distribution {
        let p = self.params;
        let world = self.world;
        let t = world.users.topics;
        let active = self.first_active(tick)..self.state.notes.len();
        let cutoffs = rings::cutoffs(world.users.count, &self.sampled, &self.ring_shares);
        let followers = self.followers_now();
        let build = |listed: std::ops::Range<usize>, demand: &[f64]| {
            Pools::build(
                &self.state.notes,
                &self.state.staging,
                (&p.feed, &self.units),
                &p.engagement_weights,
                &followers,
                listed,
                tick,
                t,
                demand,
            )
        };
        if self.state.demand.is_empty() {
            debug_assert_eq!(self.state.ticks_done, 0, "demand is measured from the first tick on");
            let empty = build(0..0, &[]);
            self.state.demand = self.expected_demand(&empty, &cutoffs);
        }
        debug_assert_eq!(self.state.demand.len(), t * Pools::rings(p.feed.audience));
        let pools = build(active.clone(), &self.state.demand);
        Distribution { active, cutoffs, followers, pools }
    }

    /// Phase 3: search results, then every user's decisions (this rank's users in
    /// parallel chunks), combined with the other ranks'. Next tick's demand, shares and
    /// reviews are kept.
    fn choose_and_engage(&mut self, tick: u32, dist: &Distribution) -> Acted {
        let p = self.params;
        let active = dist.active.clone();
        let search = SearchIndex::build(
            (p, &self.units),
            &self.state.notes,
            active.clone(),
            &dist.followers,
            &|c| Some(self.focal_of[c as usize]).filter(|&f| f != journey::NOT_FOCAL),
            &p.engagement_weights,
            tick,
        );
        let before_users = self.shard.before(&self.state.notes, active.clone(), &self.state.follows_gained);
        let mut outcomes = match p.feed.layout {
            Layout::TwoColumn | Layout::Grid | Layout::List => {
                let columns = match p.feed.layout {
                    Layout::TwoColumn => 2,
                    Layout::List => 1,
                    _ => p.feed.columns as usize,
                };
                let feed = TwoColumnFeed { slate_size: p.feed.slate_size as usize, columns };
                self.users_act(&feed, &dist.pools, &search, &dist.cutoffs, active.clone(), tick)
            }
            Layout::SingleColumn => {
                self.users_act(&SingleColumnFeed, &dist.pools, &search, &dist.cutoffs, active.clone(), tick)
            }
        };
        let focal = p.journey.focal.len();
        // The tick's follows, this rank's users' own, in chunk (so user) order.
        let mut follows: Vec<(u32, u32)> = outcomes.iter_mut().flat_map(|o| std::mem::take(&mut o.follows)).collect();
        self.state.followed.append(&mut follows);
        // Other ranks' users: their counts, outcomes, shares to this rank's users and the
        // sampled estimate rows (the strides of the ring cut-offs and the learning metric).
        self.shard.sum_counters(before_users, &self.state.notes, active, &self.state.follows_gained);
        let outcomes = self.shard.gather_outcomes(outcomes, dist.pools.len(), focal);
        self.shard.sample_rows(&self.state.estimates.values, &mut self.sampled);
        let mut draws = vec![0u64; dist.pools.len()];
        let (mut read_interest, mut reads_seen) = (0.0, 0u64);
        let mut merged = ChunkOutcome::new(0, focal);
        for o in outcomes {
            for (d, x) in draws.iter_mut().zip(&o.draws) {
                *d += u64::from(*x);
            }
            read_interest += o.read_interest;
            reads_seen += o.reads;
            merged.add_counts(&o);
            add_into(&mut self.state.measured.conversions, &o.conversions);
            self.state.pending_shares.push(o.shares);
            self.state.pending_reviews.extend(o.reviews);
        }
        self.state.demand = draws.iter().map(|&d| d as f64).collect();
        Acted { merged, read_interest: if reads_seen > 0 { read_interest / reads_seen as f64 } else { 0.0 } }
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
        let snap = self.snapshot(active.clone());
        let campaigns = self.campaign_ticks(active.clone(), tick);
        let trend_boost = self.trend_boost(tick);
        if p.arrival == Arrival::Sequential {
            return self.users_arrive(feed, (pools, search, cutoffs), snap, (&campaigns, &trend_boost), active, tick);
        }
        let notes = &self.state.notes;
        let creators = world.creators.count;
        let view = TickView {
            world,
            params: p,
            feed,
            expected: self.responses.as_ref(),
            tick,
            pools,
            search,
            cutoffs,
            notes,
            stage: &self.state.staging.stage,
            inbox_start: &self.inbox_start,
            inbox_notes: &self.inbox_notes,
            latest_note: &snap.latest_note,
            visible: &snap.visible,
            cards: &snap.cards,
            rank_score: &snap.rank_score,
            focal_of: &self.focal_of,
            campaigns: &campaigns,
            trend_boost: &trend_boost,
            prefetch: super::session::prefetch_pays(active.len(), pools.listed(), rayon::current_num_threads()),
        };
        let columns =
            (&mut self.state.estimates.values[..], &mut self.state.journey[..], &mut self.state.ask_topic[..]);
        let rows = user_rows(columns, (&self.state.followed, &mut self.state.read), (t, focal), self.shard.users.start);
        // One [`Worker`] (count buffer and followed set) per worker thread, made when the
        // thread runs its first chunk (a pool with more threads than chunks makes no more
        // than it uses): a task locks its thread's own (never contended; a task runs on
        // one thread and starts no other task).
        let workers: Vec<Mutex<Option<Worker>>> = (0..rayon::current_num_threads()).map(|_| Mutex::new(None)).collect();
        let outcomes = rows
            .into_par_iter()
            .map(|r| {
                let mut out = ChunkOutcome::new(pools.len(), focal);
                let worker = rayon::current_thread_index().unwrap_or(0) % workers.len();
                let mut worker = workers[worker].lock().expect("a worker's counts are never poisoned");
                let worker = worker.get_or_insert_with(|| Worker::new(active.clone(), creators, t));
                view.run_chunk(r, worker, &mut out);
                out
            })
            .collect();
        for w in workers {
            if let Some(mut w) = w.into_inner().expect("a worker's counts are never poisoned") {
                w.counts.add_into(notes, &self.state.follows_gained);
            }
        }
        outcomes
    }

    /// Phase 3 under sequential arrival: users act one after another, in a random order
    /// drawn for the tick, and the counts shown on covers and the ranking score are
    /// retaken after each user, so each sees what those before left. The pools and the
    /// search index stay the tick's (the recommender rebuilds them once a tick). One
    /// outcome, in arrival order; the same on any thread count (it uses one).
    fn users_arrive<F: FeedPolicy>(
        &mut self,
        feed: &F,
        (pools, search, cutoffs): (&Pools, &SearchIndex, &[[f32; 2]]),
        mut snap: NoteSnapshot,
        (campaigns, trend_boost): (&[CampaignTick], &[f32]),
        active: std::ops::Range<usize>,
        tick: u32,
    ) -> Vec<ChunkOutcome> {
        let (world, p) = (self.world, self.params);
        let (t, focal) = (world.users.topics, p.journey.focal.len());
        let n = world.users.count;
        let mut order: Vec<usize> = (0..n).collect();
        let mut rng = stream(p.seed, tick, 0, Purpose::Arrival);
        for i in (1..n).rev() {
            order.swap(i, (crate::rng::unit(&mut rng) * (i + 1) as f64) as usize % (i + 1));
        }
        let mut out = ChunkOutcome::new(pools.len(), focal);
        let mut worker = Worker::new(active.clone(), world.creators.count, world.users.topics);
        let has_read = !self.state.read.is_empty();
        // One process holds every user (arrival is sequential only there).
        debug_assert_eq!(world.users.local(), 0..n);
        for u in order {
            let s = &mut self.state;
            let view = TickView {
                world,
                params: p,
                feed,
                expected: self.responses.as_ref(),
                tick,
                pools,
                search,
                cutoffs,
                notes: &s.notes,
                stage: &s.staging.stage,
                inbox_start: &self.inbox_start,
                inbox_notes: &self.inbox_notes,
                latest_note: &snap.latest_note,
                visible: &snap.visible,
                cards: &snap.cards,
                rank_score: &snap.rank_score,
                focal_of: &self.focal_of,
                campaigns,
                trend_boost,
                // This loop's one worker.
                prefetch: super::session::prefetch_pays(active.len(), pools.listed(), 1),
            };
            let rows = UserRows {
                first: u,
                est: &mut s.estimates.values[u * t..(u + 1) * t],
                journey: &mut s.journey[u * focal..(u + 1) * focal],
                ask_topic: &mut s.ask_topic[u..u + 1],
                follows: &s.followed,
                held: u,
                read: if has_read { &mut s.read[u..u + 1] } else { &mut [] },
            };
            view.run_chunk(rows, &mut worker, &mut out);
            worker.counts.add_into(&s.notes, &s.follows_gained);
            snap = take_snapshot(p, &self.units, &s.notes, &self.focal_of, active.clone());
        }
        vec![out]
    }

    /// What the users read of the notes this tick, fixed before any of them acts: the
    /// newest note per creator, the visible count signal and the ranking score.
    fn snapshot(&self, active: std::ops::Range<usize>) -> NoteSnapshot {
        take_snapshot(self.params, &self.units, &self.state.notes, &self.focal_of, active)
    }

    /// Each campaign as this tick sees it: running or not, its active notes, the chance
    /// an eligible feed decision carries its promoted slot.
    fn campaign_ticks(&self, active: std::ops::Range<usize>, tick: u32) -> Vec<CampaignTick> {
        let (world, p, notes) = (self.world, self.params, &self.state.notes);
        p.campaigns
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
            .collect()
    }

    /// Added interest per topic from the trends running this tick.
    fn trend_boost(&self, tick: u32) -> Vec<f32> {
        let p = self.params;
        let mut boost = vec![0.0f32; self.world.users.topics];
        for tr in &p.trends {
            if tick >= tr.start_tick
                && tick < tr.end_tick
                && let Some(k) = p.topics.iter().position(|x| x.name == tr.topic)
            {
                boost[k] += tr.interest_boost as f32;
            }
        }
        boost
    }

    /// Final outputs of the variant.
    pub fn finish(self, name: &str) -> VariantOutput {
        let followers_end = self.followers_now();
        let reached_stage: [u64; 2] =
            [0, 1].map(|s| self.state.staging.entered.iter().filter(|e| e[s] != Staging::NEVER).count() as u64);
        let notes_posted = self.state.notes.len() as u64;
        let notes = accounting::note_rows(&self.state.notes, &self.state.staging);
        self.state.measured.into_output(
            name,
            (self.world, self.params),
            notes_posted,
            reached_stage,
            &followers_end,
            notes,
        )
    }
}

/// The snapshot of [`VariantRun::snapshot`] from its parts (also retaken after each user
/// under sequential arrival).
fn take_snapshot(
    p: &Params,
    units: &SimUnits,
    notes: &Notes,
    focal_of: &[u8],
    active: std::ops::Range<usize>,
) -> NoteSnapshot {
    let mut snap = NoteSnapshot {
        latest_note: vec![NO_NOTE; focal_of.len()],
        visible: vec![0.0f32; notes.len()],
        rank_score: vec![0.0f32; notes.len()],
        cards: vec![NoteCard::default(); notes.len()],
    };
    // The sum of the shown counts, for the `share` form of the social signal.
    let shown_total: f64 = if p.feed.show_counts && p.response.social_signal == SocialSignal::Share {
        active.clone().map(|n| units.shown(&notes.counters[n].tally(), p.feed.count_shown)).sum()
    } else {
        0.0
    };
    let upa = p.users_per_agent();
    for n in active {
        snap.latest_note[notes.author[n] as usize] = n as u32;
        let tally = notes.counters[n].tally();
        if p.feed.show_counts {
            snap.visible[n] = social_signal(units.shown(&tally, p.feed.count_shown), p, upa, shown_total);
        }
        snap.rank_score[n] =
            units.smoothed_rate(units.engagement(&tally, &p.engagement_weights), tally.total_impressions()) as f32;
    }
    // Every note, not only the active ones: a share or a search result may show a note
    // that left the pools (its social signal is then 0, as `visible` has it).
    for (n, card) in snap.cards.iter_mut().enumerate() {
        *card = NoteCard {
            appeal: notes.appeal[n],
            quality: notes.quality[n],
            social: snap.visible[n],
            topic: notes.topic[n],
            focal: focal_of[notes.author[n] as usize],
        };
    }
    snap
}

/// A note's social signal as covers show it: its shown count (`feed.count_shown`, as the
/// platform counts it: [`SimUnits::shown`], in simulated units) in the form
/// `response.social_signal` gives (`shown_total`: the sum of the shown counts of the
/// active notes, for `share`).
///
/// Covers show the platform's count, so the simulated count is read in platform units,
/// `upa` (real users per simulated user) times it, as stage quotas and follows are: in
/// simulated units a fourfold world would add ln 4 to every note with engagement and the
/// signal would grow with `world.users` (docs/model.md, *What scales with users*). The
/// `share` form is a ratio of counts and needs no unit.
fn social_signal(c: f64, p: &Params, upa: f64, shown_total: f64) -> f32 {
    if p.feed.count_shown == ItemCount::Likes && p.response.social_signal == SocialSignal::Log {
        // In f32, as it always was: with one participant per simulated user (upa = 1) the
        // count is the drawn likes and the results stay bit-identical.
        return (1.0 + upa as f32 * c as f32).ln();
    }
    match p.response.social_signal {
        SocialSignal::Log => (1.0 + upa * c).ln() as f32,
        SocialSignal::Linear => (upa * c) as f32,
        SocialSignal::Share => {
            if shown_total > 0.0 {
                (c / shown_total) as f32
            } else {
                0.0
            }
        }
    }
}

/// The per-note snapshots of [`VariantRun::snapshot`].
struct NoteSnapshot {
    latest_note: Vec<u32>,
    visible: Vec<f32>,
    rank_score: Vec<f32>,
    cards: Vec<NoteCard>,
}

/// Splits the user-owned columns (estimates, journeys, asked topics, read lists) of the
/// held users, the first of them `first` (a chunk boundary), into chunks of
/// [`CHUNK_USERS`]: each chunk is written by one task, so no two tasks share a row. The
/// run's follows are only read during the phase; every chunk gets all of them.
fn user_rows<'a>(
    (mut est, mut journey, mut ask): (&'a mut [f32], &'a mut [u8], &'a mut [u8]),
    (follows, mut read): (&'a RunFollows, &'a mut [UserList]),
    (t, focal): (usize, usize),
    first: usize,
) -> Vec<UserRows<'a>> {
    debug_assert!(first.is_multiple_of(CHUNK_USERS));
    let n = ask.len();
    let mut rows = Vec::with_capacity(n.div_ceil(CHUNK_USERS));
    let mut done = 0;
    while done < n {
        let len = CHUNK_USERS.min(n - done);
        let (e, e_rest) = std::mem::take(&mut est).split_at_mut(len * t);
        let (j, j_rest) = std::mem::take(&mut journey).split_at_mut(len * focal);
        let (a, a_rest) = std::mem::take(&mut ask).split_at_mut(len);
        // Read lists exist for every user or for none.
        let read_len = if read.is_empty() { 0 } else { len };
        let (r, r_rest) = std::mem::take(&mut read).split_at_mut(read_len);
        (est, journey, ask, read) = (e_rest, j_rest, a_rest, r_rest);
        rows.push(UserRows { first: first + done, est: e, journey: j, ask_topic: a, follows, held: done, read: r });
        done += len;
    }
    rows
}

/// What phase 2 hands to the others.
struct Distribution {
    /// Active notes.
    active: std::ops::Range<usize>,
    /// Estimated-interest ring cut-offs per topic.
    cutoffs: Vec<[f32; 2]>,
    /// Follower counts this tick (platform units).
    followers: Vec<f64>,
    /// Candidate pools.
    pools: Pools,
}

/// What phase 3 measured.
struct Acted {
    /// Counts summed over chunks and ranks.
    merged: ChunkOutcome,
    /// Mean true interest of the topics read.
    read_interest: f64,
}

fn add_into(acc: &mut [u64], x: &[u64]) {
    for (a, b) in acc.iter_mut().zip(x) {
        *a += b;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::content::Tally;

    fn params(sets: &[&str]) -> Params {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/music_lab.toml");
        let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        crate::scenario::load_file(std::path::Path::new(path), &sets).unwrap().variants[0].params.clone()
    }

    /// Before any user has acted, pacing plans the feed items users will be shown: per
    /// user `activity × decisions_scale` decisions of K items each (one on single-column,
    /// where a slate of `slate_size` would plan five times the draws the feed makes).
    #[test]
    fn first_tick_demand_plans_the_items_a_decision_shows() {
        for sets in [
            &[][..],
            &["feed.layout=\"single_column\""],
            &["feed.layout=\"single_column\"", "response.decisions_scale=3"],
        ] {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/quickstart.toml");
            let sets: Vec<String> = sets.iter().chain(&["world.users=2000"]).map(|s| s.to_string()).collect();
            let p = crate::scenario::load_file(std::path::Path::new(path), &sets).unwrap().variants[0].params.clone();
            let world = World::build(&p);
            let mut run = VariantRun::new(&world, &p);
            run.distribute(0);
            let planned: f64 = run.state.demand.iter().sum();
            let mut activity = 0.0;
            world.users.scan_traits(|_, tr| activity += f64::from(tr.activity));
            let want = activity * p.response.decisions_scale * f64::from(p.feed.shown_per_slate());
            assert!((planned - want).abs() <= 1e-9 * want, "{sets:?}: planned {planned}, want {want}");
        }
    }

    /// The signal of a tally's drawn count (one real user per simulated one sees it so).
    fn signal(t: &Tally, p: &Params, upa: f64, shown_total: f64) -> f32 {
        social_signal(t.count(p.feed.count_shown) as f64, p, upa, shown_total)
    }

    #[test]
    fn the_social_signal_takes_the_shown_count_in_the_chosen_form() {
        let t = Tally { impressions: [100, 0, 0], reads: 20, likes: 7, ..Tally::default() };
        assert_eq!(signal(&t, &params(&[]), 1.0, 0.0), 8f32.ln());
        let p = params(&["response.social_signal=\"linear\""]);
        assert_eq!(signal(&t, &p, 1.0, 0.0), 7.0);
        let p = params(&["response.social_signal=\"linear\"", "feed.count_shown=\"reads\""]);
        assert_eq!(signal(&t, &p, 1.0, 0.0), 20.0);
        assert_eq!(signal(&t, &p, 50.0, 0.0), 1000.0, "in platform units");
        let p = params(&["response.social_signal=\"share\"", "feed.count_shown=\"impressions\""]);
        assert_eq!(signal(&t, &p, 1.0, 400.0), 0.25);
        assert_eq!(signal(&t, &p, 50.0, 400.0), 0.25, "a share needs no unit");
        assert_eq!(signal(&t, &p, 1.0, 0.0), 0.0, "no counts yet: no share");
        let p = params(&["feed.count_shown=\"impressions\""]);
        assert!((signal(&t, &p, 1.0, 0.0) - 101f32.ln()).abs() < 1e-6);
    }

    /// Covers show platform counts: a world four times as large, whose simulated users
    /// each stand for a quarter as many real ones and whose notes gather four times the
    /// simulated likes, shows the same signal (in simulated counts it showed ln 4 more).
    #[test]
    fn the_social_signal_does_not_grow_with_the_world() {
        let p = params(&[]);
        for (likes, upa) in [(7u32, 6000.0), (0, 6000.0), (250, 60_000.0)] {
            let small = Tally { likes, ..Tally::default() };
            let large = Tally { likes: 4 * likes, ..Tally::default() };
            let (a, b) = (signal(&small, &p, upa, 0.0), signal(&large, &p, upa / 4.0, 0.0));
            assert_eq!(a, b, "{likes} likes at {upa} real users per simulated one");
        }
    }
}
