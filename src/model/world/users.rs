//! Users as struct-of-arrays columns indexed by the user's id (a `u32`).
//!
//! Invariant: every column has `count` rows; `interest` has `count * topics` entries,
//! row-major, each in [0, 1].

use rand_distr::{Distribution, LogNormal};
use rayon::prelude::*;

use crate::rng::{Purpose, stream, unit};
use crate::scenario::Params;

/// Demographic segment as bits (S8): female, tier-1/2 city, born after 1995, born after
/// 2000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Segment(pub u8);

impl Segment {
    /// Bit for women.
    pub const FEMALE: u8 = 1;
    /// Bit for tier-1/2 city residents.
    pub const HIGH_TIER: u8 = 2;
    /// Bit for those born after 1995.
    pub const AFTER_1995: u8 = 4;
    /// Bit for those born after 2000.
    pub const AFTER_2000: u8 = 8;
    /// Number of distinct segments.
    pub const COUNT: usize = 16;

    /// Whether every bit of `mask` is set.
    pub fn has(self, mask: u8) -> bool {
        self.0 & mask == mask
    }
}

/// The user population.
#[derive(Debug, Clone)]
pub struct Users {
    /// Number of users.
    pub count: usize,
    /// Number of topics (row length of `interest`).
    pub topics: usize,
    /// True interest in each topic, row-major `count × topics`, in [0, 1].
    pub interest: Vec<f32>,
    /// Demographic segment.
    pub segment: Vec<Segment>,
    /// Mean feed decisions per tick.
    pub activity: Vec<f32>,
    /// The topic of strongest interest.
    pub primary: Vec<u8>,
}

impl Users {
    /// Draws the population: demographics to S8 shares, interests from segment-lifted
    /// topic popularity, activity log-normal around the scenario's mean.
    pub fn generate(p: &Params) -> Users {
        let n = p.world.users as usize;
        let t = p.topics.len();
        let d = &p.demographics;
        let choosers: Vec<TopicChooser> = (0..Segment::COUNT).map(|s| TopicChooser::new(p, Segment(s as u8))).collect();
        let sigma = p.world.activity_sigma;
        // Log-normal with the scenario's mean: mu = ln(mean) - sigma^2 / 2.
        let activity_dist = LogNormal::new(p.world.steps_per_tick.max(1e-9).ln() - sigma * sigma / 2.0, sigma)
            .expect("validated sigma");
        let secondary = p.world.secondary_topics as usize;
        let mut users = Users {
            count: n,
            topics: t,
            interest: vec![0.0; n * t],
            segment: vec![Segment(0); n],
            activity: vec![0.0; n],
            primary: vec![0; n],
        };
        users
            .interest
            .par_chunks_mut(t)
            .zip(users.segment.par_iter_mut())
            .zip(users.activity.par_iter_mut())
            .zip(users.primary.par_iter_mut())
            .enumerate()
            .for_each(|(u, (((row, seg), act), prim))| {
                let mut rng = stream(p.world_seed(), 0, u as u64, Purpose::UserTraits);
                let mut bits = 0u8;
                if unit(&mut rng) < d.female {
                    bits |= Segment::FEMALE;
                }
                if unit(&mut rng) < d.high_tier_city {
                    bits |= Segment::HIGH_TIER;
                }
                let age = unit(&mut rng);
                if age < d.born_after_1995 {
                    bits |= Segment::AFTER_1995;
                }
                if age < d.born_after_2000 {
                    bits |= Segment::AFTER_2000;
                }
                *seg = Segment(bits);
                // assumption: background interest U(0, 0.25), secondary U(0.3, 0.6),
                // primary U(0.6, 1.0): rings of a topic are then mostly its primary fans
                // (core), its secondary fans (high-potential) and the rest (general).
                for x in row.iter_mut() {
                    *x = (0.25 * unit(&mut rng)) as f32;
                }
                let chooser = &choosers[bits as usize];
                let first = chooser.draw(&mut rng);
                row[first] = (0.6 + 0.4 * unit(&mut rng)) as f32;
                *prim = first as u8;
                let mut placed = 0;
                let mut tries = 0;
                while placed < secondary && tries < 64 {
                    tries += 1;
                    let s = chooser.draw(&mut rng);
                    if row[s] < 0.3 {
                        row[s] = (0.3 + 0.3 * unit(&mut rng)) as f32;
                        placed += 1;
                    }
                }
                *act = activity_dist.sample(&mut rng) as f32;
            });
        users
    }

    /// The interest row of a user.
    #[inline]
    pub fn interest_row(&self, u: usize) -> &[f32] {
        &self.interest[u * self.topics..(u + 1) * self.topics]
    }

    /// Bytes held by the columns.
    pub fn heap_bytes(&self) -> usize {
        self.interest.len() * 4 + self.segment.len() + self.activity.len() * 4 + self.primary.len()
    }

    /// Bytes per user of these columns for `topics` topics (for memory planning).
    pub fn bytes_per_user(topics: usize) -> usize {
        topics * 4 + 1 + 4 + 1
    }
}

/// Categorical draw of a topic, weighted by popularity times the segment's lifts.
struct TopicChooser {
    cumulative: Vec<f64>,
}

impl TopicChooser {
    fn new(p: &Params, seg: Segment) -> Self {
        let mut acc = 0.0;
        let cumulative = p
            .topics
            .iter()
            .map(|t| {
                let mut w = t.popularity;
                if seg.has(Segment::FEMALE) {
                    w *= t.female_lift;
                }
                if seg.has(Segment::AFTER_1995) {
                    w *= t.young_lift;
                }
                if seg.has(Segment::HIGH_TIER) {
                    w *= t.high_tier_lift;
                }
                acc += w;
                acc
            })
            .collect();
        TopicChooser { cumulative }
    }

    fn draw(&self, rng: &mut rand_pcg::Pcg64Mcg) -> usize {
        let total = *self.cumulative.last().expect("at least one topic");
        if total <= 0.0 {
            return 0;
        }
        let x = unit(rng) * total;
        self.cumulative.partition_point(|&c| c <= x).min(self.cumulative.len() - 1)
    }
}
