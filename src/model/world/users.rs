//! Users as struct-of-arrays columns indexed by the user's id (a `u32`).
//!
//! Invariant: every column has a row for each held user (all `count` users in one
//! process, a rank's range under MPI). A user's true interests (one value in [0, 1] per
//! topic) are the largest per-user column (48 B at 12 topics, 480 MB at 10 M users), so
//! they are held only up to [`HELD_INTERESTS_MAX_BYTES`]; beyond, a session draws its
//! user's row again from the user's own stream ([`Users::interest_into`]): the same
//! values, so the same results, for a few per cent more CPU per impression.

/// The most bytes of true interests held as a column (5.6 M users at 12 topics). Drawing
/// a user's row at each session instead saves 4 B per user and topic, which is what lets
/// a month at 10 M users fit in 2 GiB, and costs CPU: at 10 M users × 2 ticks the user
/// phase took 1.6 % / 4.1 % more per two- / single-column impression, and the world's
/// build 8.8 s instead of 6.7 (visits of every user that read interests draw them).
pub const HELD_INTERESTS_MAX_BYTES: usize = 256 << 20;

use std::ops::Range;
use std::sync::OnceLock;

use rand_distr::{Distribution, LogNormal};
use rand_pcg::Pcg64Mcg;
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
    /// Number of topics (length of an interest row).
    pub topics: usize,
    /// True interest in each topic, row-major `local × topics`, when held
    /// ([`Users::holds_interests`]); see [`Users::interest_into`].
    interest: Option<Vec<f32>>,
    /// Demographic segment.
    pub segment: Rows<Segment>,
    /// Mean feed decisions per tick.
    pub activity: Rows<f32>,
    /// The topic of strongest interest.
    pub primary: Rows<u8>,
    /// How any user's traits are drawn (to visit users whose rows are not held).
    draw: UserDraw,
    /// Each segment's mean true interest per topic, once asked for
    /// ([`Users::segment_means`]; every variant starts its estimates from them).
    segment_means: OnceLock<Vec<f32>>,
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
            interest: None,
            segment: Rows::new(local.start, vec![Segment(0); len]),
            activity: Rows::new(local.start, vec![0.0; len]),
            primary: Rows::new(local.start, vec![0; len]),
            draw,
            segment_means: OnceLock::new(),
        };
        let first = local.start;
        let draw = &users.draw;
        let columns = users
            .segment
            .data
            .par_iter_mut()
            .zip(users.activity.data.par_iter_mut())
            .zip(users.primary.data.par_iter_mut());
        if Users::holds_interests(len, t) {
            let mut rows = vec![0.0; len * t];
            rows.par_chunks_mut(t.max(1)).zip(columns).enumerate().for_each(|(i, (row, ((seg, act), prim)))| {
                (*seg, *act, *prim) = draw.user(first + i, row);
            });
            users.interest = Some(rows);
        } else {
            columns.enumerate().for_each_init(
                || vec![0.0; t],
                |row, (i, ((seg, act), prim))| {
                    (*seg, *act, *prim) = draw.user(first + i, row);
                },
            );
        }
        users
    }

    /// Whether `held` users' true interests over `topics` topics are held as a column
    /// (at most [`HELD_INTERESTS_MAX_BYTES`]) rather than drawn at each session.
    pub fn holds_interests(held: usize, topics: usize) -> bool {
        held.saturating_mul(topics).saturating_mul(4) <= HELD_INTERESTS_MAX_BYTES
    }

    /// The users whose rows are held.
    pub fn local(&self) -> Range<usize> {
        self.segment.range()
    }

    /// Writes a held user's true interest per topic to `row` (`topics` values): the held
    /// row, or drawn again from the user's stream, the values it was generated with.
    #[inline]
    pub fn interest_into(&self, u: usize, row: &mut [f32]) {
        match &self.interest {
            Some(rows) => {
                let (i, t) = (u - self.segment.first, self.topics);
                row.copy_from_slice(&rows[i * t..(i + 1) * t]);
            }
            None => self.draw.interest(u, row),
        }
    }

    /// Each segment's mean true interest per topic, `segments × topics`: the row every
    /// user of the segment starts from in the platform's estimates. Summed over all users
    /// in id order, so the same bits on every rank; computed once, as a visit of every
    /// user draws the interests again where they are not held.
    pub fn segment_means(&self) -> &[f32] {
        self.segment_means.get_or_init(|| {
            let t = self.topics;
            let segs = Segment::COUNT;
            let mut sum = vec![0.0f64; segs * t];
            let mut count = vec![0u64; segs];
            self.scan(|_, tr| {
                let s = tr.segment.0 as usize;
                count[s] += 1;
                for (k, &x) in tr.interest.iter().enumerate() {
                    sum[s * t + k] += f64::from(x);
                }
            });
            (0..segs * t).map(|i| (sum[i] / count[i / t.max(1)].max(1) as f64) as f32).collect()
        })
    }

    /// Visits every user of the population in ascending id order with its traits: held
    /// rows are read where the interests are held, the others drawn again from their
    /// streams (in parallel blocks; identical to what their own rank holds). Sums over
    /// all users taken in this order are the same bits on any rank and in one process.
    pub fn scan(&self, f: impl FnMut(usize, Traits)) {
        self.visit(true, f);
    }

    /// [`Users::scan`] for a visit that reads no interest (the traits' `interest` may be
    /// empty): the held users' columns are read, where `scan` would draw their interests
    /// again when they are not held.
    pub fn scan_traits(&self, f: impl FnMut(usize, Traits)) {
        self.visit(false, f);
    }

    fn visit(&self, interests: bool, mut f: impl FnMut(usize, Traits)) {
        const BLOCK: usize = 1 << 15;
        let t = self.topics;
        let local = self.local();
        let read_held = !interests || self.interest.is_some();
        let mut rows = Vec::new();
        let mut traits: Vec<(Segment, f32, u8)> = Vec::new();
        let mut at = 0;
        while at < self.count {
            if read_held && local.contains(&at) {
                for u in local.clone() {
                    let (segment, activity, primary) = (self.segment[u], self.activity[u], self.primary[u]);
                    let i = u - local.start;
                    let interest =
                        self.interest.as_ref().filter(|_| interests).map_or(&[][..], |h| &h[i * t..(i + 1) * t]);
                    f(u, Traits { segment, activity, primary, interest });
                }
                at = local.end;
                continue;
            }
            let held_next = read_held && at < local.start;
            let end = if held_next { (at + BLOCK).min(local.start) } else { (at + BLOCK).min(self.count) };
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
    /// written to `row`, drawn from its stream (the held columns' values where held).
    pub fn traits_of(&self, u: usize, row: &mut [f32]) -> (Segment, f32, u8) {
        self.draw.user(u, row)
    }

    /// Bytes held by the columns.
    pub fn heap_bytes(&self) -> usize {
        self.interest.as_ref().map_or(0, |rows| rows.len() * 4)
            + self.segment.data.len()
            + self.activity.data.len() * 4
            + self.primary.data.len()
    }

    /// Bytes per user of these columns for `held` users over `topics` topics (for memory
    /// planning).
    pub fn bytes_per_user(held: usize, topics: usize) -> usize {
        1 + 4 + 1 + if Users::holds_interests(held, topics) { 4 * topics } else { 0 }
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
        let (mut rng, bits) = self.segment(u);
        let first = self.interests(&mut rng, bits, row);
        (Segment(bits), self.activity.sample(&mut rng) as f32, first as u8)
    }

    /// User `u`'s interests only, to `row`: the same draws as [`UserDraw::user`] up to
    /// them.
    #[inline]
    fn interest(&self, u: usize, row: &mut [f32]) {
        let (mut rng, bits) = self.segment(u);
        self.interests(&mut rng, bits, row);
    }

    /// User `u`'s stream and segment bits, the stream's first draws.
    #[inline]
    fn segment(&self, u: usize) -> (Pcg64Mcg, u8) {
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
        (rng, bits)
    }

    /// Interests drawn for a user of segment `bits` into `row`; returns the primary topic.
    #[inline]
    fn interests(&self, rng: &mut Pcg64Mcg, bits: u8, row: &mut [f32]) -> usize {
        // assumption: background interest U(0, 0.25), secondary U(0.3, 0.6),
        // primary U(0.6, 1.0): rings of a topic are then mostly its primary fans
        // (core), its secondary fans (high-potential) and the rest (general).
        for x in row.iter_mut() {
            *x = (0.25 * unit(rng)) as f32;
        }
        let chooser = &self.choosers[bits as usize];
        let first = chooser.draw(rng);
        row[first] = (0.6 + 0.4 * unit(rng)) as f32;
        let mut placed = 0;
        let mut tries = 0;
        while placed < self.secondary && tries < 64 {
            tries += 1;
            let s = chooser.draw(rng);
            if row[s] < 0.3 {
                row[s] = (0.3 + 0.3 * unit(rng)) as f32;
                placed += 1;
            }
        }
        first
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

#[cfg(test)]
mod tests {
    use super::Users;

    #[test]
    fn drawn_interests_are_the_held_ones() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/quickstart.toml");
        let sets = vec!["world.users=3000".to_string()];
        let p = crate::scenario::load_file(std::path::Path::new(path), &sets).unwrap().variants[0].params.clone();
        let held = Users::generate(&p);
        assert!(held.interest.is_some());
        let drawn = Users { interest: None, ..held.clone() };
        let t = held.topics;
        let (mut a, mut b) = (vec![0.0; t], vec![0.0; t]);
        let mut scanned = 0;
        held.scan(|u, tr| {
            held.interest_into(u, &mut a);
            drawn.interest_into(u, &mut b);
            assert_eq!(a, b, "user {u}");
            assert_eq!(tr.interest, &a[..], "user {u}");
            assert!(a.iter().all(|x| (0.0..=1.0).contains(x)));
            scanned += 1;
        });
        assert_eq!(scanned, 3000);
        let mut rows = [Vec::new(), Vec::new()];
        for (users, rows) in [&held, &drawn].into_iter().zip(&mut rows) {
            users.scan(|u, tr| rows.push((u, tr.segment, tr.activity, tr.primary, tr.interest.to_vec())));
        }
        assert!(rows[0] == rows[1] && rows[0].len() == 3000);
        // Without interests, the same traits in the same order.
        let mut traits = Vec::new();
        drawn.scan_traits(|u, tr| traits.push((u, tr.segment, tr.activity, tr.primary)));
        assert!(traits.iter().zip(&rows[0]).all(|(a, b)| *a == (b.0, b.1, b.2, b.3)) && traits.len() == 3000);
        assert!(held.heap_bytes() > drawn.heap_bytes() + 3000 * t * 4 - 1);
        // A rank's part (users 1000..2000 held) visits every user alike, held or drawn.
        let part = Users::generate_part(&p, 1000..2000);
        let part_drawn = Users { interest: None, ..part.clone() };
        for users in [&part, &part_drawn] {
            let mut visited = Vec::new();
            users.scan(|u, tr| visited.push((u, tr.segment, tr.activity, tr.primary, tr.interest.to_vec())));
            assert!(visited == rows[0]);
            let mut traits = Vec::new();
            users.scan_traits(|u, tr| traits.push((u, tr.segment, tr.activity, tr.primary)));
            assert!(traits.iter().zip(&rows[0]).all(|(a, b)| *a == (b.0, b.1, b.2, b.3)) && traits.len() == 3000);
            users.interest_into(1500, &mut a);
            held.interest_into(1500, &mut b);
            assert_eq!(a, b);
        }
    }

    #[test]
    fn interests_are_held_up_to_their_budget() {
        assert!(Users::holds_interests(5_000_000, 12));
        assert!(!Users::holds_interests(10_000_000, 12));
        assert!(!Users::holds_interests(usize::MAX, 12));
        assert_eq!(Users::bytes_per_user(1_000_000, 12), 54);
        assert_eq!(Users::bytes_per_user(10_000_000, 12), 6);
    }
}
