//! Users as struct-of-arrays columns indexed by the user's id (a `u32`).
//!
//! Invariant: every column has a row for each held user (all `count` users in one
//! process, a rank's range under MPI); `interest` has `topics` entries per held user,
//! row-major, each in [0, 1].

use std::ops::Range;

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

/// The user population, or the contiguous range of it this process holds (an MPI
/// rank holds only its users' rows). Columns are indexed by the global user id: row
/// `u` of a column is `column[u]` for `u` in [`Users::local`].
#[derive(Debug, Clone)]
pub struct Users {
    /// Number of users of the whole population (not only the rows held).
    pub count: usize,
    /// Number of topics (row length of `interest`).
    pub topics: usize,
    /// True interest in each topic, row-major `local × topics`, in [0, 1]; see
    /// [`Users::interest_row`].
    pub interest: Vec<f32>,
    /// Demographic segment.
    pub segment: Rows<Segment>,
    /// Mean feed decisions per tick.
    pub activity: Rows<f32>,
    /// The topic of strongest interest.
    pub primary: Rows<u8>,
    /// How any user's traits are drawn (to visit users whose rows are not held).
    draw: UserDraw,
}

impl Users {
    /// Draws the whole population: demographics to S8 shares, interests from
    /// segment-lifted topic popularity, activity log-normal around the scenario's mean.
    pub fn generate(p: &Params) -> Users {
        Users::generate_part(p, 0..p.world.users as usize)
    }

    /// Draws the rows of users `local` only, exactly as [`Users::generate`] draws them
    /// (every user draws from its own stream).
    pub fn generate_part(p: &Params, local: Range<usize>) -> Users {
        let n = p.world.users as usize;
        assert!(local.end <= n, "users {local:?} of {n}");
        let t = p.topics.len();
        let draw = UserDraw::new(p);
        let len = local.len();
        let mut users = Users {
            count: n,
            topics: t,
            interest: vec![0.0; len * t],
            segment: Rows::new(local.start, vec![Segment(0); len]),
            activity: Rows::new(local.start, vec![0.0; len]),
            primary: Rows::new(local.start, vec![0; len]),
            draw,
        };
        let first = local.start;
        let draw = &users.draw;
        users
            .interest
            .par_chunks_mut(t.max(1))
            .zip(users.segment.data.par_iter_mut())
            .zip(users.activity.data.par_iter_mut())
            .zip(users.primary.data.par_iter_mut())
            .enumerate()
            .for_each(|(i, (((row, seg), act), prim))| {
                (*seg, *act, *prim) = draw.user(first + i, row);
            });
        users
    }

    /// The users whose rows are held.
    pub fn local(&self) -> Range<usize> {
        self.segment.range()
    }

    /// The interest row of a held user.
    #[inline]
    pub fn interest_row(&self, u: usize) -> &[f32] {
        let i = u - self.segment.first;
        &self.interest[i * self.topics..(i + 1) * self.topics]
    }

    /// Visits every user of the population in ascending id order with its traits: held
    /// rows are read, the others drawn again from their streams (in parallel blocks;
    /// identical to what their own rank holds). Sums over all users taken in this order
    /// are the same bits on any rank and in one process.
    pub fn scan(&self, mut f: impl FnMut(usize, Traits)) {
        const BLOCK: usize = 1 << 15;
        let t = self.topics;
        let local = self.local();
        let mut rows = Vec::new();
        let mut traits: Vec<(Segment, f32, u8)> = Vec::new();
        let mut at = 0;
        while at < self.count {
            if local.contains(&at) {
                for u in local.clone() {
                    let (segment, activity, primary) = (self.segment[u], self.activity[u], self.primary[u]);
                    f(u, Traits { segment, activity, primary, interest: self.interest_row(u) });
                }
                at = local.end;
                continue;
            }
            let end = if at < local.start { (at + BLOCK).min(local.start) } else { (at + BLOCK).min(self.count) };
            rows.resize((end - at) * t, 0.0);
            traits.resize(end - at, (Segment(0), 0.0, 0));
            let draw = &self.draw;
            rows.par_chunks_mut(t.max(1))
                .zip(traits.par_iter_mut())
                .enumerate()
                .for_each(|(i, (row, tr))| *tr = draw.user(at + i, row));
            for (i, &(segment, activity, primary)) in traits.iter().enumerate() {
                f(at + i, Traits { segment, activity, primary, interest: &rows[i * t..(i + 1) * t] });
            }
            at = end;
        }
    }

    /// The traits of any user (segment, activity, primary topic) with its interest row
    /// written to `row`: the held row's values, drawn again when not held.
    pub fn traits_of(&self, u: usize, row: &mut [f32]) -> (Segment, f32, u8) {
        if self.local().contains(&u) {
            row.copy_from_slice(self.interest_row(u));
            (self.segment[u], self.activity[u], self.primary[u])
        } else {
            self.draw.user(u, row)
        }
    }

    /// Bytes held by the columns.
    pub fn heap_bytes(&self) -> usize {
        self.interest.len() * 4 + self.segment.data.len() + self.activity.data.len() * 4 + self.primary.data.len()
    }

    /// Bytes per user of these columns for `topics` topics (for memory planning).
    pub fn bytes_per_user(topics: usize) -> usize {
        topics * 4 + 1 + 4 + 1
    }
}

/// One user's traits, as [`Users::scan`] visits them.
#[derive(Debug, Clone, Copy)]
pub struct Traits<'a> {
    /// Demographic segment.
    pub segment: Segment,
    /// Mean feed decisions per tick.
    pub activity: f32,
    /// The topic of strongest interest.
    pub primary: u8,
    /// True interest per topic.
    pub interest: &'a [f32],
}

/// A per-user column held for a contiguous range of users and indexed by the global
/// user id (`column[u]` is the row of user `u`), so code that acts for a user reads the
/// same expression whichever users a process holds.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Rows<T> {
    /// The first user held.
    pub first: usize,
    /// The rows of users `first..first + data.len()`.
    pub data: Vec<T>,
}

impl<T> Rows<T> {
    /// Rows of users `first..first + data.len()`.
    pub fn new(first: usize, data: Vec<T>) -> Self {
        Rows { first, data }
    }

    /// The users held.
    pub fn range(&self) -> Range<usize> {
        self.first..self.first + self.data.len()
    }
}

impl<T> std::ops::Index<usize> for Rows<T> {
    type Output = T;
    #[inline]
    fn index(&self, u: usize) -> &T {
        &self.data[u - self.first]
    }
}

impl<T> std::ops::IndexMut<usize> for Rows<T> {
    #[inline]
    fn index_mut(&mut self, u: usize) -> &mut T {
        &mut self.data[u - self.first]
    }
}

/// How one user's traits are drawn from its own stream: the same for any user on any
/// rank, so a rank can draw again the traits of users it does not hold.
#[derive(Debug, Clone)]
struct UserDraw {
    seed: u64,
    female: f64,
    high_tier_city: f64,
    born_after_1995: f64,
    born_after_2000: f64,
    choosers: Vec<TopicChooser>,
    activity: LogNormal<f64>,
    secondary: usize,
}

impl UserDraw {
    fn new(p: &Params) -> Self {
        let d = &p.demographics;
        let sigma = p.world.activity_sigma;
        UserDraw {
            seed: p.world_seed(),
            female: d.female,
            high_tier_city: d.high_tier_city,
            born_after_1995: d.born_after_1995,
            born_after_2000: d.born_after_2000,
            choosers: (0..Segment::COUNT).map(|s| TopicChooser::new(p, Segment(s as u8))).collect(),
            // Log-normal with the scenario's mean: mu = ln(mean) - sigma^2 / 2.
            activity: LogNormal::new(p.world.steps_per_tick.max(1e-9).ln() - sigma * sigma / 2.0, sigma)
                .expect("validated sigma"),
            secondary: p.world.secondary_topics as usize,
        }
    }

    /// User `u`'s segment, activity and primary topic; its interests go to `row`.
    fn user(&self, u: usize, row: &mut [f32]) -> (Segment, f32, u8) {
        let mut rng = stream(self.seed, 0, u as u64, Purpose::UserTraits);
        let mut bits = 0u8;
        if unit(&mut rng) < self.female {
            bits |= Segment::FEMALE;
        }
        if unit(&mut rng) < self.high_tier_city {
            bits |= Segment::HIGH_TIER;
        }
        let age = unit(&mut rng);
        if age < self.born_after_1995 {
            bits |= Segment::AFTER_1995;
        }
        if age < self.born_after_2000 {
            bits |= Segment::AFTER_2000;
        }
        // assumption: background interest U(0, 0.25), secondary U(0.3, 0.6),
        // primary U(0.6, 1.0): rings of a topic are then mostly its primary fans
        // (core), its secondary fans (high-potential) and the rest (general).
        for x in row.iter_mut() {
            *x = (0.25 * unit(&mut rng)) as f32;
        }
        let chooser = &self.choosers[bits as usize];
        let first = chooser.draw(&mut rng);
        row[first] = (0.6 + 0.4 * unit(&mut rng)) as f32;
        let mut placed = 0;
        let mut tries = 0;
        while placed < self.secondary && tries < 64 {
            tries += 1;
            let s = chooser.draw(&mut rng);
            if row[s] < 0.3 {
                row[s] = (0.3 + 0.3 * unit(&mut rng)) as f32;
                placed += 1;
            }
        }
        (Segment(bits), self.activity.sample(&mut rng) as f32, first as u8)
    }
}

/// Categorical draw of a topic, weighted by popularity times the segment's lifts.
#[derive(Debug, Clone)]
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
