//! The crowd rings of the anti-funnel (S4): a note's audience widens from the core crowd
//! (users most interested in its topic) to the high-potential crowd to the general crowd.
//!
//! A user's *true* ring for a topic follows from their true interest and the scenario's
//! thresholds; the platform locates rings by its *estimates*, with per-topic cut-offs that
//! select crowds of the true rings' sizes ([`ring_shares`], then the engine's sampled
//! cut-offs). Which ring a note may reach is its stage ([`super::Staging`]); the
//! candidate lists per ring are [`super::Pools`].

use super::Sampled;
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

/// Each topic's true ring sizes as shares of users: `[core, core + high-potential]`,
/// counted over every user (integer counts: the same on any rank).
pub fn ring_shares(users: &Users, crowd: &CrowdSpec) -> Vec<[f64; 2]> {
    let (core, hp) = (crowd.core_interest as f32, crowd.high_potential_interest as f32);
    let mut counts = vec![(0u64, 0u64); users.topics];
    users.scan(|_, tr| {
        for ((c, h), &x) in counts.iter_mut().zip(tr.interest) {
            *c += u64::from(x >= core);
            *h += u64::from(x >= hp);
        }
    });
    let n = users.count.max(1) as f64;
    counts.into_iter().map(|(c, h)| [c as f64 / n, h as f64 / n]).collect()
}

/// Users sampled to place the ring cut-offs (a fixed stride keeps it deterministic and
/// cheap); the learning metric samples a quarter as many.
pub const SAMPLE_USERS: usize = 4096;

/// Users between two sampled users of [`cutoffs`].
pub fn cutoff_sample_stride(users: usize) -> usize {
    users.div_ceil(SAMPLE_USERS).max(1)
}

/// Estimated-interest cut-offs per topic that select crowds of the true ring sizes
/// (`shares`, from [`ring_shares`]) among sampled users' estimates (`users` in all).
pub fn cutoffs(users: usize, sampled: &Sampled, shares: &[[f64; 2]]) -> Vec<[f32; 2]> {
    let t = sampled.topics;
    let stride = cutoff_sample_stride(users);
    let mut column: Vec<f32> = Vec::with_capacity(SAMPLE_USERS);
    (0..t)
        .map(|k| {
            column.clear();
            column.extend(sampled.at_stride(stride).map(|i| sampled.estimate(i)[k]));
            column.sort_unstable_by(|a, b| b.total_cmp(a));
            let at = |share: f64| {
                let i = ((share * column.len() as f64).ceil() as usize).clamp(1, column.len());
                column[i - 1]
            };
            [at(shares[k][0]), at(shares[k][1])]
        })
        .collect()
}
