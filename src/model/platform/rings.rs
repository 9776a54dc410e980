//! The crowd rings of the anti-funnel (S4): a note's audience widens from the core crowd
//! (users most interested in its topic) to the high-potential crowd to the general crowd.
//!
//! A user's *true* ring for a topic follows from their true interest and the scenario's
//! thresholds; the platform locates rings by its *estimates*, with per-topic cut-offs that
//! select crowds of the true rings' sizes ([`ring_shares`], then the engine's sampled
//! cut-offs). Which ring a note may reach is its stage ([`super::Staging`]); the
//! candidate lists per ring are [`super::Pools`].

use crate::model::world::Users;
use crate::scenario::{Audience, CrowdSpec};

pub use crate::model::content::RINGS;

/// Which ring an interest value falls in, given cut-offs (0 = core, 1 = high-potential,
/// 2 = general).
#[inline]
pub fn ring_of(value: f32, core: f32, high_potential: f32) -> usize {
    if value >= core {
        0
    } else if value >= high_potential {
        1
    } else {
        2
    }
}

/// The ring a user is served from for a topic.
#[inline]
pub fn user_ring(audience: Audience, estimate: f32, cut: [f32; 2]) -> usize {
    match audience {
        Audience::CrowdRings => ring_of(estimate, cut[0], cut[1]),
        Audience::TrafficPools => 0,
    }
}

/// Each topic's true ring sizes as shares of users: `[core, core + high-potential]`.
pub fn ring_shares(users: &Users, crowd: &CrowdSpec) -> Vec<[f64; 2]> {
    let (core, hp) = (crowd.core_interest as f32, crowd.high_potential_interest as f32);
    (0..users.topics)
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
        .collect()
}
