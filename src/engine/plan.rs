//! Memory planning: what a run will hold at its peak, from the scenario alone.
//!
//! A run's resident memory peaks in one of two phases, and the plan is the larger:
//!
//! - **building the world** (once per scenario): the user columns, then the social graph
//!   built from an edge list of 8 B per directed edge (allocated at its exact size) that
//!   lives next to the CSR being built from it (4 B per edge, 4 B per row while the
//!   edges fit in a u32), then the follow graph the same way while the social CSR is
//!   kept.
//! - **running a variant** (variants run one at a time), which sets the peak at any size
//!   with the quickstart's activity: the world's columns and CSRs; per user the
//!   platform's interest estimates (an f32 per topic), the journey stages, the ask topic,
//!   the inbox offset and the creators followed during the run (8 B plus 2 B per follow
//!   while creators fit a u16, one array for all users); every note posted so far
//!   (columns, counters, stage state, the credited counters and the tick's per-note
//!   snapshots, 206 B per note in quickstart); the pools of the active notes and each worker thread's counts of them;
//!   per-creator totals and output rows; and one tick's share deliveries at their peak
//!   (the end of the user phase: the chunks' lists, held as the pending shares, and the
//!   inbox), about 16 B each, with the deliveries per tick taken from the response
//!   model's share chance.
//!
//! On top comes a fixed base: the binary, its libraries, the thread pool and allocator
//! arenas. Measured with `bench.json`'s `peak_rss_bytes` (VmHWM) on the quickstart
//! scenario (5 ticks, 2 threads, full activity), peak / plan was 0.93 to 0.99 at 100 k users,
//! 1.06 at 1 M and 1.03 at 10 M (run phase; share deliveries are about a fifth of the
//! peak), 0.86 at 10 M over 2 ticks after the user lists and CSR rows narrowed (1.88 GiB
//! measured); with `world.steps_per_tick = 1` 0.98 at 200 k and 1 M users; at 2 k
//! users and 300 ticks (400 k notes) 1.10, and 0.87 with a campaign adding 300 k notes.
//! Over a month of full activity, where each user follows about 11 creators, 0.91 at 1 M
//! users and 0.85 at 200 k (after the follows were remeasured; 1.32 and 1.13 before).
//! Since the run's follows are one array (4 B each, not a list per user) and blocks of
//! 1 MiB and more are mapped apart (`src/main.rs`), peak / plan is: over a month 0.92 at
//! 1 M users (274.8 MiB measured, 371.4 before) and 0.88 at 200 k; 0.97 over 5 ticks at
//! 200 k and 0.99 over 2 at 1 M with `world.steps_per_tick = 1`; 0.92 at 2 k users × 300
//! ticks, with or without a campaign adding 300 k notes. Since a tick's shares wait as
//! the chunks' lists, the run's follows are u16 ids and interests past 256 MiB are drawn
//! again rather than held: over a month 1.00 at 10 M users (1.82 GiB) and 0.95 at 1 M;
//! `tests/memory.rs` measures plan / peak 1.01 at 200 k users × 5 ticks and 1 M × 2,
//! 1.09 at 2 k × 300 ticks and over a month at 200 k. It keeps these within 20 %, and
//! the month at or under its plan.
//!
//! Over MPI ranks ([`MemoryPlan::on_ranks`]) a rank holds its share of everything per
//! user and edge, the replicated notes and creators whole, a few bytes per user of the
//! whole population while the world is built, and the MPI library's own base.
//!
//! `validate` prints the plan (`--json` for the whole struct) and `run` refuses a plan
//! that does not fit in available memory or `--max-memory` (under MPI, each rank its own).

use serde::Serialize;

use crate::model::behaviour::sigmoid;
use crate::model::content::Notes;
use crate::model::world::Users;
use crate::scenario::{ActLogit, Params, Scenario};

/// The planned footprint of a run.
#[derive(Debug, Clone, Serialize)]
pub struct MemoryPlan {
    /// Simulated users.
    pub users: u64,
    /// Creator accounts.
    pub creators: u64,
    /// Expected notes posted over the run, campaigns' included (per variant; variants run
    /// one at a time).
    pub notes: u64,
    /// Expected social-graph edges (directed, both directions).
    pub social_edges: u64,
    /// Expected follow edges.
    pub follow_edges: u64,
    /// Bytes per user held while variants run (columns, estimates, graph rows).
    pub bytes_per_user: u64,
    /// Bytes per note held while variants run.
    pub bytes_per_note: u64,
    /// Planned peak bytes while the world is built.
    pub build_bytes: u64,
    /// Planned peak bytes while a variant runs.
    pub run_bytes: u64,
    /// Planned peak bytes of the whole run: the larger phase plus the base.
    pub total_bytes: u64,
    /// The ranks the plan is for (1: one process); the bytes are those of the rank
    /// holding most users.
    pub ranks: u64,
}

/// Fixed overhead of the process: binary and libraries (about 4 MiB resident before any
/// work), the rayon workers' stacks (only the touched pages) and the allocator's arenas.
/// Measured as the intercept of peak memory against users (7.7 MiB at 2 threads).
const BASE_BYTES: f64 = 8.0 * 1024.0 * 1024.0;
/// Bytes per social edge while the social graph is built: its edge list, allocated at its
/// exact size (8 B per (u32, u32)), and the CSR column filled from it (4 B).
const SOCIAL_EDGE_BUILD_BYTES: f64 = 8.0 + 4.0;
/// Bytes per follow edge while the follow graph is built: the edge list (8 B, plus 10 %
/// for rayon's piecewise collect, measured) and the CSR column filled from it (4 B).
const FOLLOW_EDGE_BUILD_BYTES: f64 = 8.0 * 1.1 + 4.0;
/// Bytes per user while the social graph is built: the (segment, topic) order (u32).
const ORDER_BYTES: f64 = 4.0;
/// Bytes per edge of a built CSR (its column of u32 targets). The column is grown by
/// pushing, so its capacity is the next power of two, but the slack is never written
/// and, being mapped apart (large blocks are `mmap`ed and grown with `mremap`), never
/// becomes resident.
const EDGE_BYTES: f64 = 4.0;
/// Bytes per node of a built CSR: its row offsets, u32 while the graph's edges fit in one
/// (8 B beyond, [`row_bytes`]).
const ROW_BYTES: f64 = 4.0;
/// Stage state (1 + 1 + 4 + 8) and credited counters (a tally: 44 B of counts, padded
/// to 48, and three expected counts, 24 B) per note.
const NOTE_STATE_BYTES: f64 = 14.0 + 72.0;
/// The tick's snapshots over every note posted so far (not only the active ones): the
/// visible count and the ranking score (f32 each) and the note's card (16 B) the
/// sessions read.
const NOTE_SNAPSHOT_BYTES: f64 = 4.0 + 4.0 + 16.0;
/// Bytes per active note in a tick's candidate pools: a retrieval slot (24 B: its draw
/// threshold, its note and alias, both scores) in up to three ring pools, besides the
/// alias table it is built from (16 B a slot, freed per pool).
const POOL_BYTES: f64 = 72.0;
/// Bytes per active note and worker thread of the user phase's count buffers
/// ([`crate::model::content::LocalCounts`]: a 72 B row per note for each worker, 44 B of
/// counts and 24 B of expected counts).
const LOCAL_COUNT_BYTES: f64 = 72.0;
/// Bytes per creator and worker thread of the same buffers (expected follows, a u64).
const LOCAL_FOLLOW_BYTES: f64 = 8.0;

/// The worker threads planned for: every core (`--threads 0`, the default), which also
/// covers a run on fewer threads.
fn planned_workers() -> f64 {
    std::thread::available_parallelism().map_or(1, usize::from) as f64
}

/// Bytes per creator: columns, run totals, current followers, the newest-note snapshot
/// and one output row per variant (a row with its group name is about 100 B).
const CREATOR_BYTES: f64 = 64.0;
/// Bytes per creator and variant (the `creators.csv` rows kept until written).
const CREATOR_ROW_BYTES: f64 = 100.0;
/// Bytes per note and variant of the `notes.csv` rows kept until written (a `NoteRow`,
/// collected into an exact-size vector).
const NOTE_ROW_BYTES: f64 = 56.0;
/// Bytes per user of a variant's state besides the estimates and the journey: the ask
/// topic (u8), the share inbox's row offset (u32) and where the user's row of creators
/// followed during the run starts (a u64 of [`RunFollows`](crate::engine::RunFollows)).
const USER_STATE_BYTES: f64 = 1.0 + 4.0 + 8.0;
/// Bytes per follow made during the run: a creator id in one array of every user's
/// follows, grown by exactly each tick's follows; a u16 while the world has at most
/// 65 536 creators, a u32 beyond ([`RunFollows`](crate::engine::RunFollows)).
fn follow_bytes(creators: f64) -> f64 {
    if creators <= 65_536.0 { 2.0 } else { 4.0 }
}
/// Bytes per follow made in one tick while they are added after its user phase: the
/// chunks' lists of (user, creator) pairs with their capacity ahead, and the merged list.
const NEW_FOLLOW_BYTES: f64 = 8.0 * 2.0 + 8.0;
/// Bytes per share delivery of one tick, held at its peak (the end of the user phase):
/// the chunks' outcome lists (8 B per (friend, note), grown by doubling, so half as much
/// again on average), which are the pending shares until the next tick delivers them
/// ([`PendingShares`](super::shares::PendingShares)), and the inbox column of the tick's
/// deliveries (4 B, kept at its capacity from tick to tick). The inboxes are filled by a
/// counting sort, with no scratch beyond a cursor per user.
const DELIVERY_BYTES: f64 = 8.0 * 1.5 + 4.0;
/// Interest at which the share logit is evaluated, with the mean quality of posted
/// notes: users share what interests them. Calibrated on a month, whose busiest tick sets
/// the peak: it plans 2.83 deliveries per user a tick for quickstart, where the
/// two-column variant at 200 k users delivers 2.52 on average over 30 ticks (8.2 % of
/// reads shared, 10.5 reads per user a tick) and about 2.87 in its busiest ticks, as the
/// recommender learns what users like. The earlier calibration at 1.0, on ticks 3 to 4
/// (7.6 % of reads), planned 2.37.
const SHARE_INTEREST: f64 = 1.1;
/// Interest at which the follow logit is evaluated, with the mean quality of posted
/// notes: users follow, as they share, the authors of what interests them. Calibrated on
/// a month, where follows are many enough to matter: it gives the two-column variant's
/// measured rate in quickstart at 200 k users, 3.7 % of reads (3.8 % over 5 ticks, 3.7 %
/// over 30; 11.1 follows per user after 30 ticks). The plan counts `steps_per_tick` reads
/// a tick, while the first ticks read fewer (1.6 per user in tick 0, when the platform
/// knows nobody yet), so a short run is planned a few follows per user high: a few bytes
/// per user. The earlier calibration at 0.5, on 5 ticks of an older model, planned a
/// month's follows at 38 % of what a run makes.
const FOLLOW_INTEREST: f64 = 1.0;

/// Bytes per user of once-per-item memory (`response.once_per_item`), for the variant that
/// keeps most: a list header (8 B), its block's length and capacity (16 B) and 4 B per
/// note read, doubled for a pushed vector's capacity; a user reads at most one note per
/// decision (about 0.9 measured) and each note once.
fn read_memory_bytes(s: &Scenario, notes: f64) -> f64 {
    s.variants
        .iter()
        .filter(|v| v.params.response.once_per_item)
        .map(|v| {
            let reads = (v.params.world.steps_per_tick * f64::from(v.params.ticks)).min(notes);
            8.0 + 16.0 + 8.0 * reads
        })
        .fold(0.0, f64::max)
}

/// Bytes per row of a CSR holding `edges` edges ([`ROW_BYTES`], doubled past `u32`).
fn row_bytes(edges: f64) -> f64 {
    if edges <= f64::from(u32::MAX) { ROW_BYTES } else { 2.0 * ROW_BYTES }
}

/// Fixed overhead an MPI rank has beyond [`BASE_BYTES`]: the MPI library, its runtime
/// and shared-memory transport. Measured: 23 MB peak for a rank of a tiny run against 13
/// MB for one process (Open MPI 4, one machine).
const MPI_BASE_BYTES: f64 = 10.0 * 1024.0 * 1024.0;
/// Bytes per user of the whole population a rank holds while building its rows of the
/// social graph, besides the order ([`ORDER_BYTES`]): every user's (segment, primary
/// topic), to order the lattice.
const KEY_BYTES: f64 = 2.0;

impl MemoryPlan {
    /// Plans a scenario's run in one process. Computed in floating point and saturated,
    /// so absurd sizes plan as absurd (and are refused), never overflow.
    pub fn of(s: &Scenario) -> MemoryPlan {
        MemoryPlan::on_ranks(s, 1)
    }

    /// Plans the rank holding most users of a run over `ranks` MPI ranks. A rank holds
    /// its share of everything per user (columns, graph rows, per-user state, share
    /// deliveries) and the replicated state whole (notes, pools, creators), and while
    /// building the world a few bytes per user of the whole population (the lattice
    /// order and keys, one bit per user and topic for the follow graph).
    pub fn on_ranks(s: &Scenario, ranks: usize) -> MemoryPlan {
        let p = s.world_params();
        let all = f64::from(p.world.users);
        let ranks = ranks.max(1);
        let split = ranks > 1;
        // Ranks hold whole chunks of users; the first ranks hold the extra chunk.
        let chunk = super::variant::CHUNK_USERS as f64;
        let share = if split { ((all / chunk).ceil() / ranks as f64).ceil() * chunk / all.max(1.0) } else { 1.0 };
        let share = share.min(1.0);
        // The users this rank holds.
        let users = all * share;
        let topics = p.topics.len();
        let creators: f64 = p.creators.iter().map(|g| f64::from(g.count)).sum();
        let (notes, active_notes) = planned_notes(s);
        // Each user ties to friends_mean / 2 others, both directions stored.
        let social_edges = all * f64::from(p.world.friends_mean / 2) * 2.0;
        let follow_edges = planned_follow_edges(p, all);
        let variants = s.variants.len() as f64;
        let (deliveries, follows_per_user) = planned_shares_and_follows(s, all, creators);

        let columns = Users::bytes_per_user(users as usize, topics) as f64;
        let creator_bytes = creators * (CREATOR_BYTES + CREATOR_ROW_BYTES * variants);
        // Build: users' columns, then the social graph from its edge list (with the users'
        // order), then the follow graph from its edge list next to the finished social graph.
        let order = all * (ORDER_BYTES + if split { KEY_BYTES } else { 0.0 });
        // Whether each user is interested enough in each topic, one bit per user and
        // topic of the whole population (interests are drawn again, not held).
        let interest_bits = all * topics as f64 / 8.0;
        let (social_row, follow_row) = (row_bytes(share * social_edges), row_bytes(share * follow_edges));
        let social_build = share * social_edges * SOCIAL_EDGE_BUILD_BYTES + users * social_row + order;
        let social_built = share * social_edges * EDGE_BYTES + users * social_row;
        let follow_rows = if split { users } else { users + creators };
        let follow_build = share * follow_edges * FOLLOW_EDGE_BUILD_BYTES + follow_rows * follow_row + interest_bits;
        let build = users * columns + creator_bytes + social_build.max(social_built + follow_build);

        // Run: the built world, the variant's per-user state, the notes, the active pools
        // and the tick's share deliveries.
        // Per user while running: columns, estimates (f32 per topic), graph rows, a stage
        // byte per focal institution, the rest of the user's state and the follows made
        // during the run.
        let follows =
            follows_per_user * follow_bytes(creators) + follows_per_user / f64::from(p.ticks.max(1)) * NEW_FOLLOW_BYTES;
        let per_user = columns
            + 4.0 * topics as f64
            + social_row
            + follow_row
            + p.journey.focal.len() as f64
            + USER_STATE_BYTES
            + follows
            + read_memory_bytes(s, notes);
        // No slack per note: the columns grow by pushing, but their unwritten capacity is
        // never resident, as `feedsim` maps blocks of 1 MiB and more apart (`src/main.rs`).
        // Under glibc's default, which kept blocks of up to 32 MiB on its heap where a
        // growing column's old blocks stayed resident, 2 k users over 300 ticks (394 k
        // notes) peaked 49 B per note higher (141.4 MiB against 122.9).
        let per_note = Notes::BYTES_PER_NOTE as f64 + NOTE_STATE_BYTES + NOTE_SNAPSHOT_BYTES;
        let deliveries = share * deliveries;
        let shares = deliveries * DELIVERY_BYTES;
        let run = users * per_user
            + share * (social_edges + follow_edges) * EDGE_BYTES
            + notes * per_note
            + active_notes * (POOL_BYTES + LOCAL_COUNT_BYTES * planned_workers())
            + creators * LOCAL_FOLLOW_BYTES * planned_workers()
            + creator_bytes
            + notes * NOTE_ROW_BYTES * variants
            + shares;
        let base = BASE_BYTES + if split { MPI_BASE_BYTES } else { 0.0 };
        let total = base + build.max(run);
        MemoryPlan {
            users: all as u64,
            creators: creators as u64,
            notes: notes as u64,
            social_edges: social_edges as u64,
            follow_edges: follow_edges.ceil() as u64,
            bytes_per_user: per_user.round() as u64,
            bytes_per_note: per_note.round() as u64,
            build_bytes: (base + build) as u64,
            run_bytes: (base + run) as u64,
            total_bytes: total as u64,
            ranks: ranks as u64,
        }
    }
}

/// Notes posted over the run and notes active at once. Campaigns post extra notes while
/// they last; they may differ between variants, so the variant whose campaigns post most
/// sets the plan. Reviews that prize winners post are not planned (a few per campaign).
fn planned_notes(s: &Scenario) -> (f64, f64) {
    let p = s.world_params();
    let posts_per_tick: f64 = p.creators.iter().map(|g| f64::from(g.count) * g.posts_per_tick).sum();
    let campaign_notes = s
        .variants
        .iter()
        .map(|v| {
            let ticks = v.params.ticks;
            v.params
                .campaigns
                .iter()
                .map(|c| c.posts_per_tick * f64::from(c.end_tick.min(ticks).saturating_sub(c.start_tick)))
                .sum::<f64>()
        })
        .fold(0.0, f64::max);
    let campaign_rate =
        s.variants.iter().map(|v| v.params.campaigns.iter().map(|c| c.posts_per_tick).sum::<f64>()).fold(0.0, f64::max);
    // A catalogue's items are all planned as active at once (they are posted early and
    // an experiment keeps them for the whole run).
    let catalogue = p.catalogue.len() as f64;
    let notes = (posts_per_tick * f64::from(p.ticks) + campaign_notes).ceil() + catalogue;
    let active_notes =
        (posts_per_tick + campaign_rate) * f64::from(p.world.note_lifetime_ticks.min(p.ticks)) + catalogue;
    (notes, active_notes)
}

/// Edges of the initial follow graph: followers at platform scale, scaled to the world; a
/// log-normal's mean is its median times exp(sigma^2 / 2). A creator cannot have more
/// followers than users.
fn planned_follow_edges(p: &Params, users: f64) -> f64 {
    let scale = users / p.world.platform_users.max(1) as f64;
    p.creators
        .iter()
        .map(|g| {
            let mean = g.followers.map_or_else(
                || g.followers_median.unwrap_or(0.0) * (g.followers_sigma.unwrap_or(1.0).powi(2) / 2.0).exp(),
                |f| f as f64,
            );
            f64::from(g.count) * (mean * scale).min(users)
        })
        .sum()
}

/// Share deliveries per tick and follows per user of the variant that makes most: a user
/// makes up to one read per decision (measured 0.9), and shares or follows a read as the
/// response model says at [`SHARE_INTEREST`] or [`FOLLOW_INTEREST`] and the mean quality
/// of posted notes.
fn planned_shares_and_follows(s: &Scenario, users: f64, creators: f64) -> (f64, f64) {
    s.variants
        .iter()
        .map(|v| {
            let q = &v.params;
            let posts: f64 = q.creators.iter().map(|g| f64::from(g.count) * g.posts_per_tick).sum();
            let quality = if posts > 0.0 {
                q.creators.iter().map(|g| f64::from(g.count) * g.posts_per_tick * g.quality).sum::<f64>() / posts
            } else {
                0.5
            };
            let chance =
                |a: &ActLogit, interest: f64| sigmoid(a.intercept + a.interest * interest + a.quality * quality);
            let reads = users * q.world.steps_per_tick;
            let shares = if q.sharing.enabled { reads * chance(&q.response.share, SHARE_INTEREST) } else { 0.0 };
            let follows = q.world.steps_per_tick * f64::from(q.ticks) * chance(&q.response.follow, FOLLOW_INTEREST);
            (shares * f64::from(q.sharing.friends_per_share), follows.min(creators))
        })
        .fold((0.0, 0.0), |(d, f), (d2, f2)| (f64::max(d, d2), f64::max(f, f2)))
}

/// Memory available to a new allocation now (`MemAvailable`), if known.
pub fn available_bytes() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    line.split_whitespace().nth(1)?.parse::<u64>().ok().map(|kb| kb * 1024)
}

/// Formats bytes as MiB or GiB for people.
pub fn human_bytes(b: u64) -> String {
    let b = b as f64;
    if b >= (1u64 << 30) as f64 {
        format!("{:.2} GiB", b / (1u64 << 30) as f64)
    } else {
        format!("{:.1} MiB", b / (1u64 << 20) as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::MemoryPlan;

    #[test]
    fn a_rank_plans_its_share_of_the_users_and_the_replicated_rest() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/quickstart.toml");
        let sets = vec!["world.users=2000000".to_string()];
        let s = crate::scenario::load_file(std::path::Path::new(path), &sets).unwrap();
        let one = MemoryPlan::of(&s);
        assert_eq!(MemoryPlan::on_ranks(&s, 1).total_bytes, one.total_bytes);
        let [two, four] = [2, 4].map(|r| MemoryPlan::on_ranks(&s, r).total_bytes as f64 / one.total_bytes as f64);
        assert!(two < 0.6 && four < 0.35 && four < two, "2 ranks {two:.2}, 4 ranks {four:.2} of one process");
    }
}
