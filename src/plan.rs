//! Memory planning: what a run will hold at its peak, from the scenario alone.
//!
//! A run's resident memory peaks in one of two phases, and the plan is the larger:
//!
//! - **building the world** (once per scenario): the user columns, then the social graph
//!   built from an edge list of 8 B per directed edge that lives next to the CSR being
//!   built from it (4 B per edge, 8 B per row), then the follow graph the same way while
//!   the social CSR is kept. Rayon collects the edge list in per-thread pieces appended
//!   into one list, which costs about 10 % more than the list itself (measured).
//! - **running a variant** (variants run one at a time): the world's columns and CSRs,
//!   the platform's interest estimates (an f32 per user and topic), every note posted so
//!   far (columns, counters, stage state and the credited counters, plus the growth of
//!   those vectors as notes are pushed, measured at 135 to 185 B per note in all), the pools of
//!   the active notes, and per-creator totals and output rows.
//!
//! On top comes a fixed base: the binary, its libraries, the thread pool and allocator
//! arenas. Measured with `perf.json`'s `peak_rss_bytes` (VmHWM) on the quickstart
//! scenario at 2 threads, the plan was 2 % under at 200 k users and within 1 % at 1 M
//! users (build phase), 8 % under at 2 k users and 300 ticks (400 k notes, run phase) and
//! 17 % over with a campaign adding 300 k notes; `tests/memory.rs` keeps these within 20 %.
//!
//! `validate` prints the plan (`--json` for the whole struct) and `run` refuses a plan
//! that does not fit in available memory or `--max-memory`.

use serde::Serialize;

use crate::content::Notes;
use crate::scenario::Scenario;
use crate::world::Users;

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
}

/// Fixed overhead of the process: binary and libraries (about 4 MiB resident before any
/// work), thread stacks and allocator arenas. Measured as the intercept of peak memory
/// against users (7.7 MiB at 2 threads).
const BASE_BYTES: f64 = 8.0 * 1024.0 * 1024.0;
/// Bytes per edge while a graph is built: the edge list (8 B per (u32, u32), plus 10 %
/// for rayon's piecewise collect) and the CSR column being filled from it (4 B).
const EDGE_BUILD_BYTES: f64 = 8.0 * 1.1 + 4.0;
/// Bytes per edge of a built CSR (its column of u32 targets).
const EDGE_BYTES: f64 = 4.0;
/// Bytes per node of a built CSR (its row offsets, usize).
const ROW_BYTES: f64 = 8.0;
/// Measured bytes per note held while a variant runs: [`Notes::BYTES_PER_NOTE`] of
/// columns and counters, 14 B of stage state and 36 B of credited counters, about 110 B
/// with today's columns, and the slack of vectors grown by pushing (the allocator keeps
/// some freed blocks). Measured 135 to 185 B in all, depending on the feed, activity and
/// how notes are spread over accounts.
const NOTE_SLACK_BYTES: f64 = 50.0;
/// Stage state (1 + 1 + 4 + 8) and credited counters (a tally, 36 B) per note.
const NOTE_STATE_BYTES: f64 = 14.0 + 36.0;
/// Bytes per active note in a tick's candidate pools: an id and a cumulative weight
/// (4 + 8) in up to three ring pools.
const POOL_BYTES: f64 = 36.0;
/// Bytes per creator: columns, run totals, current followers and one output row per
/// variant (a row with its group name is about 100 B).
const CREATOR_BYTES: f64 = 64.0;
/// Bytes per creator and variant (the `creators.csv` rows kept until written).
const CREATOR_ROW_BYTES: f64 = 100.0;

impl MemoryPlan {
    /// Plans a scenario's run. Computed in floating point and saturated, so absurd sizes
    /// plan as absurd (and are refused), never overflow.
    pub fn of(s: &Scenario) -> MemoryPlan {
        let p = s.world_params();
        let users = f64::from(p.world.users);
        let topics = p.topics.len();
        let creators: f64 = p.creators.iter().map(|g| f64::from(g.count)).sum();
        let posts_per_tick: f64 = p.creators.iter().map(|g| f64::from(g.count) * g.posts_per_tick).sum();
        // Campaigns post extra notes while they last; they may differ between variants,
        // so the variant whose campaigns post most sets the plan.
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
        let campaign_rate = s
            .variants
            .iter()
            .map(|v| v.params.campaigns.iter().map(|c| c.posts_per_tick).sum::<f64>())
            .fold(0.0, f64::max);
        // Reviews that prize winners post are not planned (a few per campaign).
        let notes = (posts_per_tick * f64::from(p.ticks) + campaign_notes).ceil();
        let active_notes = (posts_per_tick + campaign_rate) * f64::from(p.world.note_lifetime_ticks.min(p.ticks));
        // Each user ties to friends_mean / 2 others, both directions stored.
        let social_edges = users * f64::from(p.world.friends_mean / 2) * 2.0;
        // Followers at platform scale, scaled to the world; a log-normal's mean is its
        // median times exp(sigma^2 / 2). A creator cannot have more followers than users.
        let scale = users / p.world.platform_users.max(1) as f64;
        let follow_edges: f64 = p
            .creators
            .iter()
            .map(|g| {
                let mean = g.followers.map_or_else(
                    || g.followers_median.unwrap_or(0.0) * (g.followers_sigma.unwrap_or(1.0).powi(2) / 2.0).exp(),
                    |f| f as f64,
                );
                f64::from(g.count) * (mean * scale).min(users)
            })
            .sum();
        let variants = s.variants.len() as f64;

        let columns = Users::bytes_per_user(topics) as f64;
        let creator_bytes = creators * (CREATOR_BYTES + CREATOR_ROW_BYTES * variants);
        // Build: users' columns, then the social graph from its edge list, then the
        // follow graph from its edge list next to the finished social graph.
        let social_build = social_edges * EDGE_BUILD_BYTES + users * ROW_BYTES;
        let social_built = social_edges * EDGE_BYTES + users * ROW_BYTES;
        let follow_build = follow_edges * EDGE_BUILD_BYTES + (users + creators) * ROW_BYTES;
        let build = users * columns + creator_bytes + social_build.max(social_built + follow_build);

        // Run: the built world, the estimates, the notes and the active pools.
        // Per user while running: columns, estimates (f32 per topic), graph rows, and the
        // journey state: a stage byte per focal institution, the ask topic, four recent
        // follows (u32) and the share inbox's row offset (u32).
        let journeys = p.journey.focal.len() as f64 + 1.0 + 16.0 + 4.0;
        let per_user = columns + 4.0 * topics as f64 + 2.0 * ROW_BYTES + journeys;
        let per_note = Notes::BYTES_PER_NOTE as f64 + NOTE_STATE_BYTES + NOTE_SLACK_BYTES;
        let run = users * per_user
            + (social_edges + follow_edges) * EDGE_BYTES
            + notes * per_note
            + active_notes * POOL_BYTES
            + creator_bytes;
        let total = BASE_BYTES + build.max(run);
        MemoryPlan {
            users: users as u64,
            creators: creators as u64,
            notes: notes as u64,
            social_edges: social_edges as u64,
            follow_edges: follow_edges.ceil() as u64,
            bytes_per_user: per_user.round() as u64,
            bytes_per_note: per_note.round() as u64,
            build_bytes: (BASE_BYTES + build) as u64,
            run_bytes: (BASE_BYTES + run) as u64,
            total_bytes: total as u64,
        }
    }
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
