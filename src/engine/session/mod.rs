//! Phase 3 of a tick: one user's day.
//!
//! A user first sees what friends shared with them (share channel), then makes a Poisson
//! number of decisions. Each decision is a search (S9; likelier for users asking about a
//! focal institution, S7), a look at the follow feed, or a feed slate, which may carry a
//! campaign's promoted slot (S12). Every impression is counted by channel; every read may
//! move the user's 5A journey (S7), lead to a follow, or a share to friends (S6).
//!
//! The user reads only the tick's snapshot ([`TickView`]) and writes only its own rows
//! ([`UserRows`]), its worker's integer counts of note events and expected follows
//! ([`LocalCounts`]) and its chunk's [`ChunkOutcome`], so results do not depend on
//! threads or scheduling.

mod followed;
mod respond;
mod slate;

use followed::FollowRow;
use followed::FollowedSet;
pub use followed::RunFollows;
use slate::{SlateTopics, TopicDraw};

use rand_distr::{Distribution, Normal, Poisson};
use rand_pcg::Pcg64Mcg;

use crate::model::behaviour::journey::{self, ASK};
use crate::model::content::{LocalCounts, NewNote, Notes};
use crate::model::platform::channel::{FEED, FOLLOW, SEARCH, SHARE};
use crate::model::platform::{AliasTable, FeedPolicy, Pools, SearchIndex, user_ring};
use crate::model::world::{Segment, World, segment_matches as matches};
use crate::rng::{Purpose, stream, unit};
use crate::scenario::{Audience, MAX_SLATE, Params, SegmentFilter};

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

/// What a worker thread keeps over the chunks it runs in a tick: its counts of note
/// events and the set of followed creators each session fills and clears. Made once per
/// worker, not per chunk: at 10 M creators the set is 1.25 MiB, and one per chunk of
/// 2 048 users was a fresh mapping, and its page faults, 4 883 times a tick.
pub struct Worker {
    /// The worker's counts of note events (added to the notes' counters after the phase).
    pub counts: LocalCounts,
    followed: FollowedSet,
    /// The acting user's true interest per topic, drawn at its session's start.
    truth: Vec<f32>,
}

impl Worker {
    /// A worker counting the notes `active`, over `creators` creators and `topics` topics.
    pub fn new(active: std::ops::Range<usize>, creators: usize, topics: usize) -> Worker {
        Worker {
            counts: LocalCounts::new(active, creators),
            followed: FollowedSet::new(creators),
            truth: vec![0.0; topics],
        }
    }
}

/// Read-only state of the tick: everything a user's session reads. It is fixed before
/// any user acts (the counters in `notes` are only incremented), so
/// no user sees another's decisions of the same tick.
pub struct TickView<'a, F> {
    /// Users, creators and their graphs.
    pub world: &'a World,
    /// The variant's parameters.
    pub params: &'a Params,
    /// The layout: slate size, how a user decides, what the recommender observes.
    pub feed: &'a F,
    /// Where a simulated user stands for more than one real user, the grid of expected
    /// responses by which each impression also counts their chances
    /// ([`crate::model::platform::SimUnits::observed`]).
    pub expected: Option<&'a crate::model::behaviour::ResponseGrid>,
    /// The tick being run.
    pub tick: u32,
    /// The candidate pools slates sample from.
    pub pools: &'a Pools,
    /// Search results by topic.
    pub search: &'a SearchIndex,
    /// Estimated-interest ring cut-offs per topic (`[core, high-potential]`).
    pub cutoffs: &'a [[f32; 2]],
    /// The notes; their counters take this tick's impressions, reads and acts (through
    /// each worker's [`LocalCounts`]).
    pub notes: &'a Notes,
    /// Each note's stage (crowd ring reach) at the tick's start.
    pub stage: &'a [u8],
    /// Shared notes per user: `inbox_notes[inbox_start[u]..inbox_start[u + 1]]`.
    pub inbox_start: &'a crate::model::world::Rows<u32>,
    /// See `inbox_start`.
    pub inbox_notes: &'a [u32],
    /// Each creator's newest active note, or [`NO_NOTE`].
    pub latest_note: &'a [u32],
    /// The social signal per note as covers show it, ln(1 + the platform's likes) by default
    /// (0 when counts are hidden).
    pub visible: &'a [f32],
    /// What covers show and responses read of each active note, packed (one row per
    /// cover instead of one per column).
    pub cards: &'a [NoteCard],
    /// The recommender's ranking score per note (smoothed engagement rate).
    pub rank_score: &'a [f32],
    /// Focal index of each creator, or [`journey::NOT_FOCAL`].
    pub focal_of: &'a [u8],
    /// The scenario's campaigns as this tick sees them.
    pub campaigns: &'a [CampaignTick],
    /// Interest added to each topic by running trends.
    pub trend_boost: &'a [f32],
    /// Whether to start loading a decision's pool slots, cards and count rows ahead of
    /// their reads ([`prefetch_pays`]); a hint that never changes results.
    pub prefetch: bool,
}

/// From how many bytes of rows that impressions read at random (the tick's note cards and
/// pool slots and every worker's note count rows) the loop's prefetch hints pay for their
/// instructions: about where those rows stop fitting the last-level cache (32 MiB on the
/// machine measured, a 2 vCPU EPYC). Measured late in quickstart's runs (ticks 15–16,
/// `benches/README.md`): its single-column feed at 1 M users (3.4 MiB of such rows) ran
/// 13 % slower with the hints, at 10 M users (66 MiB, when every simulated advocate
/// posted a review note, so that reviews grew with the users) 23 % faster; the
/// two-column feed at 10 M (7 MiB) the same either way. Since reviews are listed in
/// platform units (`journey.reviews_per_note`) a world's notes no longer grow with its
/// users; large catalogues and creator sets still cross it.
pub const PREFETCH_FROM_BYTES: usize = 32 << 20;

/// Whether the prefetch hints pay at `active` active notes, `listed` pool slots and
/// `workers` worker threads ([`PREFETCH_FROM_BYTES`]).
pub fn prefetch_pays(active: usize, listed: usize, workers: usize) -> bool {
    let rows =
        active * (std::mem::size_of::<NoteCard>() + workers * LocalCounts::ROW_BYTES) + listed * Pools::SLOT_BYTES;
    rows >= PREFETCH_FROM_BYTES
}

/// A note as the tick's covers show it: the columns an impression reads, in one 16-byte
/// row (the note's columns stay the record; this is the tick's copy).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoteCard {
    /// The cover's appeal.
    pub appeal: f32,
    /// The note's quality.
    pub quality: f32,
    /// The social signal covers show (the tick's `visible`).
    pub social: f32,
    /// The note's topic.
    pub topic: u8,
    /// Focal index of its author, or [`journey::NOT_FOCAL`].
    pub focal: u8,
}

/// A user's list of notes read (once-per-item memory): a pointer-sized header,
/// 8 B against a `Vec`'s 24 B, since most users' lists stay empty and allocate nothing.
pub type UserList = thin_vec::ThinVec<u32>;

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
    /// Creators each held user started following before this tick (read only: the
    /// tick's new follows go to [`ChunkOutcome::follows`]).
    pub follows: &'a RunFollows,
    /// The chunk's first user's row in `follows` (its index among the held users).
    pub held: usize,
    /// Notes each user has read, sorted (under `response.once_per_item`; empty, one
    /// entry per user or none at all, otherwise).
    pub read: &'a mut [UserList],
}

/// A review an advocate will post next tick, with who posted it (to share with friends).
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub struct ReviewPost {
    /// The note to post (author: the focal institution's advocate account). Under
    /// [`ReviewRole::SharesLatest`] only its author is read.
    pub note: NewNote,
    /// The advocate.
    pub user: u32,
    /// Whether the note is posted, and whether the advocate shares it.
    pub role: ReviewRole,
}

/// What a simulated advocate's review becomes. A simulated advocate stands for
/// `users_per_agent` real advocates, whose reviews the world lists one note per
/// `journey.reviews_per_note`: an advocate may post several notes, or none. Every
/// advocate shares one review with friends, whatever the count, so word of mouth per
/// advocate does not depend on `world.users` either.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ReviewRole {
    /// Posted, and shared with the advocate's friends (the advocate's first note).
    Shared,
    /// Posted only (the advocate's further notes).
    Listed,
    /// Not posted: the advocate shares the newest active review of the institution,
    /// posted before it (this tick, in list order, or earlier), which stands for it.
    SharesLatest,
}

impl ReviewRole {
    /// All roles, in their wire order.
    pub const ALL: [ReviewRole; 3] = [ReviewRole::Shared, ReviewRole::Listed, ReviewRole::SharesLatest];
}

/// What a chunk of users did in a tick (merged in chunk order).
#[derive(Debug, Default)]
pub struct ChunkOutcome {
    pub draws: Vec<u32>,
    pub read_interest: f64,
    pub reads: u64,
    /// Decisions users made (feed slates, searches, follow-feed looks).
    pub decisions: u64,
    pub channel: [u64; 4],
    pub promoted: u64,
    pub out_of_ring: u64,
    /// Users entering each journey stage, `focal × 5` (aware … advocate).
    pub entered: Vec<u64>,
    /// Conversions (acts) per focal institution and segment, `focal × 16`.
    pub conversions: Vec<u64>,
    /// Impressions of each focal institution's notes.
    pub focal_impressions: Vec<u64>,
    /// Reads of each focal institution's notes.
    pub focal_reads: Vec<u64>,
    /// (friend, note) share deliveries for next tick.
    pub shares: Vec<(u32, u32)>,
    /// (held user, creator) follows made this tick, each user's in the order made (for
    /// [`RunFollows::append`]; this rank's users only, never sent to other ranks).
    pub follows: Vec<(u32, u32)>,
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
            focal_reads: vec![0; focal],
            ..Default::default()
        }
    }

    /// Adds another outcome's order-free counts: channels, decisions, promoted and
    /// out-of-ring impressions, journey entries and focal impressions and reads.
    pub fn add_counts(&mut self, o: &ChunkOutcome) {
        for (a, b) in self.channel.iter_mut().zip(o.channel) {
            *a += b;
        }
        self.decisions += o.decisions;
        self.promoted += o.promoted;
        self.out_of_ring += o.out_of_ring;
        for (acc, x) in [
            (&mut self.entered, &o.entered),
            (&mut self.focal_impressions, &o.focal_impressions),
            (&mut self.focal_reads, &o.focal_reads),
        ] {
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

/// One user's mutable view while acting.
struct Actor<'r> {
    u: usize,
    seg: Segment,
    /// The user's true interest per topic.
    truth: &'r [f32],
    est: &'r mut [f32],
    journey: &'r mut [u8],
    ask_topic: &'r mut u8,
    /// Creators followed during the run before this tick, oldest first.
    follows: FollowRow<'r>,
    /// Creators followed in this session, in the order followed.
    new_follows: &'r mut Vec<u32>,
    /// Notes read before, sorted (`None` without once-per-item memory).
    read: Option<&'r mut UserList>,
    consumed: u32,
    rng: Pcg64Mcg,
    /// The worker's counts of note events (added to the notes' counters after the phase).
    counts: &'r mut LocalCounts,
    /// The creators this user follows (initial and since), for the session.
    followed: &'r mut FollowedSet,
}

impl<'a, F: FeedPolicy> TickView<'a, F> {
    /// Runs a chunk of users on worker `w`. Their note events are counted in its
    /// `counts`, which the caller adds to the notes' counters after the phase
    /// ([`LocalCounts::add_into`]).
    pub fn run_chunk(&self, rows: UserRows, w: &mut Worker, out: &mut ChunkOutcome) {
        let t = self.world.users.topics;
        let focal = self.params.journey.focal.len();
        let n = rows.ask_topic.len();
        let (mut est, mut journey) = (rows.est, rows.journey);
        let mut read = rows.read.iter_mut();
        let (counts, followed, truth) = (&mut w.counts, &mut w.followed, &mut w.truth);
        debug_assert!(followed.is_empty());
        let mut new_follows = Vec::new();
        for (i, ask) in rows.ask_topic.iter_mut().enumerate() {
            let (e, rest) = est.split_at_mut(t);
            est = rest;
            let (j, rest) = journey.split_at_mut(focal);
            journey = rest;
            let u = rows.first + i;
            let held = rows.held + i;
            let before = rows.follows.row(held);
            let initial = self.initial_follows(u);
            self.world.users.interest_into(u, truth);
            followed.insert_all(initial.clone().chain(before.iter()));
            let mut actor = Actor {
                u,
                seg: self.world.users.segment[u],
                truth,
                est: e,
                journey: j,
                ask_topic: ask,
                follows: before,
                new_follows: &mut new_follows,
                read: read.next(),
                consumed: 0,
                rng: stream(self.params.seed, self.tick, u as u64, Purpose::Session),
                counts: &mut *counts,
                followed: &mut *followed,
            };
            self.session(&mut actor, out);
            followed.remove_all(initial.chain(before.iter()).chain(new_follows.iter().copied()));
            debug_assert!(followed.is_empty());
            out.follows.extend(new_follows.drain(..).map(|c| (held as u32, c)));
        }
        debug_assert!(n == 0 || est.is_empty());
    }

    /// The creators user `u` follows in the world's initial follow graph.
    fn initial_follows(&self, u: usize) -> impl Iterator<Item = u32> + Clone + 'a {
        let creators = self.world.users.count as u32;
        self.world.follows.neighbors(u as u32).iter().map(move |&node| node - creators)
    }

    fn session(&self, a: &mut Actor, out: &mut ChunkOutcome) {
        let users = &self.world.users;
        let p = self.params;
        let f = &p.feed;
        // Shared notes arrive whether or not the user opens the feed today.
        let inbox = &self.inbox_notes[self.inbox_start[a.u] as usize..self.inbox_start[a.u + 1] as usize];
        for &n in inbox {
            self.show(a, &[n], SHARE, None, out);
        }
        let mean = f64::from(users.activity[a.u]) * p.response.decisions_scale;
        let steps = if mean > 0.0 { Poisson::new(mean).map_or(0.0, |d| d.sample(&mut a.rng)) as u32 } else { 0 };
        if steps == 0 {
            return;
        }
        out.decisions += u64::from(steps);
        let topics = TopicDraw::new(a.est, f.interest_sharpness, f.exploration);
        let mut view = SlateTopics::new(self, a.est);
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
                self.show(a, &slate[..len], SEARCH, None, out);
                continue;
            }
            if x < search_chance + p.follow_feed.share
                && let Some(n) = self.followed_note(a)
            {
                self.show(a, &[n], FOLLOW, None, out);
                continue;
            }
            let mut len = self.fill_slate(a, k, (&topics, &mut view), &mut slate, out);
            len = self.promote(a, k, &mut slate, len, out);
            self.order(&mut slate[..len]);
            self.show(a, &slate[..len], FEED, Some(&mut view), out);
        }
    }
}

/// The index of a row's largest value (the first of equals).
fn argmax(row: &[f32]) -> usize {
    row.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(&a.0))).map_or(0, |(i, _)| i)
}
