//! Memory planning: what a run will hold, from the scenario alone.
//!
//! The estimate adds the world's columns, the social and follow graphs (with the
//! transient edge list that building a CSR needs), the interest estimates, and every
//! note a run will post with its counters and stage state. `validate` prints it and
//! `run` refuses a plan that does not fit in available memory.

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
    /// Expected notes posted over the run (per variant; variants run one at a time).
    pub notes: u64,
    /// Expected social-graph edges (directed, both directions).
    pub social_edges: u64,
    /// Expected follow edges.
    pub follow_edges: u64,
    /// Bytes per user (columns, estimates, graph rows and edges).
    pub bytes_per_user: u64,
    /// Bytes per note (columns, counters, stage state, pools).
    pub bytes_per_note: u64,
    /// Planned peak bytes of the whole run.
    pub total_bytes: u64,
}

/// Fixed overhead of the process: binary, thread stacks, allocator slack.
const BASE_BYTES: u64 = 16 << 20;

impl MemoryPlan {
    /// Plans a scenario's run.
    pub fn of(s: &Scenario) -> MemoryPlan {
        let p = s.world_params();
        let users = u64::from(p.world.users);
        let topics = p.topics.len() as u64;
        let creators: u64 = p.creators.iter().map(|g| u64::from(g.count)).sum();
        let notes: f64 =
            p.creators.iter().map(|g| f64::from(g.count) * g.posts_per_tick).sum::<f64>() * f64::from(p.ticks);
        let notes = notes.ceil() as u64;
        let social_edges = users * u64::from(p.world.friends_mean / 2) * 2;
        let scale = users as f64 / p.world.platform_users as f64;
        let follow_edges: f64 = p
            .creators
            .iter()
            .map(|g| {
                f64::from(g.count) * g.followers.map_or_else(|| g.followers_median.unwrap_or(0.0) * 1.65, |f| f as f64)
            })
            .sum::<f64>()
            * scale;
        let follow_edges = follow_edges.ceil() as u64;
        // Per user: columns, estimates (f32 per topic), CSR row offsets of both graphs.
        let bytes_per_user = Users::bytes_per_user(topics as usize) as u64 + 4 * topics + 2 * 8;
        // Per note: columns and counters, stage state (1 + 1 + 4 + 8), credit (8), and a
        // pool entry per ring (4 + 8) × 3.
        let bytes_per_note = Notes::BYTES_PER_NOTE as u64 + 14 + 8 + 36;
        // Edges: CSR column (4) plus the sorted edge list held while building (8).
        let edge_bytes = (social_edges + follow_edges) * 12;
        let total_bytes = BASE_BYTES + users * bytes_per_user + notes * bytes_per_note + edge_bytes + creators * 64;
        MemoryPlan { users, creators, notes, social_edges, follow_edges, bytes_per_user, bytes_per_note, total_bytes }
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
