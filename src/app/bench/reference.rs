//! The bare reference kernel `feedsim bench` times beside the full model, so that a
//! figure from another machine can be compared: the simplest feed there is, written
//! as tightly as a per-impression loop gets.
//!
//! Per user, one counter-seeded random stream ([`crate::rng::stream`]); per decision,
//! four items drawn uniformly from the catalogue, four score reads, a multinomial logit
//! draw among them and an outside option (`fastmath::exp`), and one counter increment
//! for the chosen item. One thread, one million users, 100 000 items: the loop that
//! `benches/reference_numpy.py` writes in numpy, so the two can be set side by side.
//!
//! Nothing of the model is here (no rings, pools, journeys, search or learning): the
//! ratio of the model's impressions per second to this kernel's says how much the
//! model's work and memory traffic cost against a bare loop on the same machine.

use std::hint::black_box;
use std::time::Instant;

use crate::fastmath::exp;
use crate::rng::{Purpose, stream, unit};

/// Users the kernel runs.
pub const USERS: usize = 1_000_000;
/// Items in its catalogue.
pub const ITEMS: usize = 100_000;
/// Covers per decision.
pub const SLATE: usize = 4;
/// Decisions per user.
pub const DECISIONS: usize = 5;
/// Utility weight of an item's score (the model's `cover_interest_weight`).
const SCORE_WEIGHT: f64 = 3.0;
/// Utility of choosing nothing (the model's `outside_option`).
const OUTSIDE: f64 = 2.0;

/// What one pass of the kernel did.
#[derive(Debug, Clone, Copy)]
pub struct KernelRun {
    /// Impressions shown (covers per decision × decisions × users).
    pub impressions: u64,
    /// Items chosen (a read each).
    pub reads: u64,
    /// Wall seconds of the loop (the catalogue's scores drawn beforehand, untimed).
    pub seconds: f64,
}

impl KernelRun {
    /// Impressions per wall second.
    pub fn impressions_per_second(&self) -> f64 {
        if self.seconds > 0.0 { self.impressions as f64 / self.seconds } else { 0.0 }
    }
}

/// Runs the kernel over `users` users and `items` items with `seed`, on the calling
/// thread.
pub fn run(users: usize, items: usize, seed: u64) -> KernelRun {
    let mut catalogue = stream(seed, 0, 0, Purpose::Variant);
    let scores: Vec<f32> = (0..items).map(|_| unit(&mut catalogue) as f32).collect();
    let mut counts = vec![0u32; items];
    let outside = exp(OUTSIDE);
    let start = Instant::now();
    let mut reads = 0u64;
    for u in 0..users {
        let mut rng = stream(seed, 0, u as u64, Purpose::Session);
        for _ in 0..DECISIONS {
            let mut shown = [0usize; SLATE];
            let mut weight = [0f64; SLATE];
            let mut total = outside;
            for (slot, w) in shown.iter_mut().zip(&mut weight) {
                // A uniform item: the integer part of u · items.
                *slot = ((unit(&mut rng) * items as f64) as usize).min(items - 1);
                *w = exp(SCORE_WEIGHT * f64::from(scores[*slot]));
                total += *w;
            }
            let mut x = unit(&mut rng) * total;
            for (slot, w) in shown.iter().zip(weight) {
                if x < w {
                    counts[*slot] += 1;
                    reads += 1;
                    break;
                }
                x -= w;
            }
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    black_box(&counts);
    KernelRun { impressions: (users * DECISIONS * SLATE) as u64, reads, seconds }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kernel_shows_four_covers_per_decision_and_reads_by_logit() {
        let k = run(20_000, 1_000, 7);
        assert_eq!(k.impressions, 20_000 * 5 * 4);
        // Scores uniform in [0, 1): E[e^{3s}] = (e³ − 1)/3 ≈ 6.36 per cover against the
        // outside option's e² ≈ 7.39, so about 25.4 / (25.4 + 7.4) ≈ 77 % of decisions read.
        let share = k.reads as f64 / (20_000.0 * 5.0);
        assert!((0.72..0.82).contains(&share), "read share {share}");
        assert_eq!(run(20_000, 1_000, 7).reads, k.reads, "the same seed reads the same");
    }
}
