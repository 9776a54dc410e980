//! A variant run split over ranks: each rank acts for a contiguous range of users and
//! the ranks combine the user phase's results once per tick.
//!
//! Every rank holds its own users' rows of the world and of the variant's per-user state
//! (estimates, journeys, follows, inboxes), and the replicated state whole (notes, their
//! counters, stages, per-creator totals); only the user phase is divided. After it:
//!
//! - the integer increments of note counters and creators' follows are exchanged
//!   sparsely, only for the notes and creators this rank's users touched, and added on
//!   every rank (integer sums do not depend on the order of addition);
//! - the chunks' integer outcomes (draws per pool, impressions by channel, journey
//!   entries, conversions) are summed likewise;
//! - the chunks' ordered outcomes (the read-interest float of each chunk, the reviews
//!   in the order users wrote them) are gathered in rank order, which is chunk order
//!   because ranks hold ascending ranges of whole chunks; the engine then merges the
//!   chunks exactly as one process would;
//! - shares travel only to the rank of the friend they are for (all-to-all), again in
//!   chunk order, since a user's inbox is read only by its owner. Friends are mostly
//!   near in id (a rewired ring lattice), so most shares stay on their rank, and those
//!   are never serialized;
//! - the estimate rows of the users sampled for ring cut-offs and learning metrics are
//!   sent to every rank, the only per-user rows another rank reads.
//!
//! At the start of the next tick the advocates' ranks, which hold their friend lists,
//! draw who each review reaches and send the deliveries to the friends' ranks
//! ([`Shard::route`]).
//!
//! So ranks end a tick with the same replicated state but their own pending shares and
//! per-user rows; each rank checkpoints its own state and resumes on the same number of
//! ranks. With one rank nothing is exchanged and nothing is copied but the sampled rows.

use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use super::session::{ChunkOutcome, ReviewPost, ReviewRole};
use crate::cluster::wire::{Reader, Writer};
use crate::cluster::{Comm, Solo};
use crate::model::content::{COUNTERS, EXPECTED, NewNote, Notes};
use crate::model::platform::Sampled;
use crate::scenario::ContentKind;

/// The ranks of a run and the users this rank acts for.
#[derive(Clone)]
pub struct Shard<'c> {
    /// The ranks.
    pub comm: &'c dyn Comm,
    /// The users this rank acts for (whole chunks, ascending by rank).
    pub users: Range<usize>,
    /// Rank `r` acts for users `bounds[r]..bounds[r + 1]`.
    bounds: Vec<usize>,
}

impl std::fmt::Debug for Shard<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "rank {} of {}: users {:?}", self.comm.rank(), self.comm.size(), self.users)
    }
}

impl<'c> Shard<'c> {
    /// One process acting for all `users`.
    pub fn whole(users: usize) -> Shard<'static> {
        Shard { comm: &Solo, users: 0..users, bounds: vec![0, users] }
    }

    /// This rank's share of `users` in chunks of `chunk` users.
    pub fn of(comm: &'c dyn Comm, users: usize, chunk: usize) -> Self {
        let ranks = comm.size();
        let mut bounds: Vec<usize> =
            (0..ranks).map(|r| crate::cluster::user_range(users, chunk, r, ranks).start).collect();
        bounds.push(users);
        Shard { comm, users: crate::cluster::user_range(users, chunk, comm.rank(), ranks), bounds }
    }

    /// The rank acting for user `u`.
    fn owner(&self, u: usize) -> usize {
        // The last rank whose range starts at or before `u` (empty ranges share a start).
        self.bounds[1..].partition_point(|&b| b <= u)
    }

    /// Whether there are other ranks to combine with.
    pub fn is_split(&self) -> bool {
        self.comm.size() > 1
    }
}

/// Writes the count of active notes whose counters moved, then for each its id, a mask of
/// the counters that moved and their increments (`put` writes one, now − before). `now`
/// reads a note's counters; `before` holds them, `K` per note, as they were.
fn write_increments<T: Copy + PartialEq, const K: usize>(
    w: &mut Writer,
    active: Range<usize>,
    before: &[T],
    now: impl Fn(usize) -> [T; K],
    put: impl Fn(&mut Writer, T, T),
) {
    let mut body = Writer::default();
    let mut touched = 0u32;
    for (n, old) in active.zip(before.chunks_exact(K)) {
        let now = now(n);
        let mask = now.iter().zip(old).enumerate().fold(0u16, |m, (i, (a, b))| if a != b { m | 1 << i } else { m });
        if mask != 0 {
            touched += 1;
            body.u32(n as u32);
            body.u16(mask);
            for (&a, &b) in now.iter().zip(old).filter(|(a, b)| a != b) {
                put(&mut body, a, b);
            }
        }
    }
    w.u32(touched);
    w.0.extend_from_slice(&body.0);
}

/// Counters as they were before the user phase, to find what this rank added.
pub struct Before {
    notes: Vec<u32>,
    expected: Vec<u64>,
    follows: Vec<u64>,
}

impl Shard<'_> {
    /// Copies the counters the user phase may change (empty with one rank).
    pub fn before(&self, notes: &Notes, active: Range<usize>, follows_gained: &[AtomicU64]) -> Before {
        if !self.is_split() {
            return Before { notes: Vec::new(), expected: Vec::new(), follows: Vec::new() };
        }
        Before {
            notes: active.clone().flat_map(|n| notes.counters[n].cells().map(|c| c.load(Relaxed))).collect(),
            expected: active.flat_map(|n| notes.counters[n].expected.each_ref().map(|c| c.load(Relaxed))).collect(),
            follows: follows_gained.iter().map(|g| g.load(Relaxed)).collect(),
        }
    }

    /// Adds every rank's increments of note counters and follows to every rank's copy.
    ///
    /// Sparse: each rank sends only the notes (and creators) whose counters its users
    /// changed, as (id, which counters, their increments), and adds what the others sent.
    /// Integer sums do not depend on the order of addition, so every rank ends with the
    /// counters one process would have.
    pub fn sum_counters(&self, before: Before, notes: &Notes, active: Range<usize>, follows_gained: &[AtomicU64]) {
        if !self.is_split() {
            return;
        }
        let mut w = Writer::default();
        // The note counters (u32) and the expected counts (u64), each as (id, which,
        // their increments).
        write_increments::<_, COUNTERS>(
            &mut w,
            active.clone(),
            &before.notes,
            |n| notes.counters[n].cells().map(|c| c.load(Relaxed)),
            |w, now, old| w.u32(now.wrapping_sub(old)),
        );
        write_increments::<_, EXPECTED>(
            &mut w,
            active.clone(),
            &before.expected,
            |n| notes.counters[n].expected.each_ref().map(|c| c.load(Relaxed)),
            |w, now, old| w.u64(now.wrapping_sub(old)),
        );
        let gained: Vec<(u32, u64)> = follows_gained
            .iter()
            .zip(&before.follows)
            .enumerate()
            .filter(|(_, (g, o))| g.load(Relaxed) != **o)
            .map(|(c, (g, &o))| (c as u32, g.load(Relaxed).wrapping_sub(o)))
            .collect();
        w.u32(gained.len() as u32);
        for (c, d) in gained {
            w.u32(c);
            w.u64(d);
        }
        let mine = w.0.len();
        let all = self.comm.gather_bytes(&w.0);
        // Parts arrive in rank order; this rank's own increments are already counted.
        let mut r = Reader(&all);
        for rank in 0..self.comm.size() {
            let at = all.len() - r.0.len();
            let own = rank == self.comm.rank();
            for _ in 0..r.u32() {
                let n = r.u32() as usize;
                let mask = r.u16();
                let cells = notes.counters[n].cells();
                for (i, c) in cells.iter().enumerate() {
                    if mask >> i & 1 == 1 {
                        let d = r.u32();
                        if !own {
                            c.fetch_add(d, Relaxed);
                        }
                    }
                }
            }
            for _ in 0..r.u32() {
                let n = r.u32() as usize;
                let mask = r.u16();
                for (i, c) in notes.counters[n].expected.iter().enumerate() {
                    if mask >> i & 1 == 1 {
                        let d = r.u64();
                        if !own {
                            c.fetch_add(d, Relaxed);
                        }
                    }
                }
            }
            for _ in 0..r.u32() {
                let (c, d) = (r.u32() as usize, r.u64());
                if !own {
                    follows_gained[c].fetch_add(d, Relaxed);
                }
            }
            debug_assert!(!own || all.len() - r.0.len() - at == mine);
        }
        debug_assert!(r.is_empty());
    }

    /// Every rank's chunk outcomes, in global chunk order. The integer totals over all
    /// chunks are carried by the first chunk (sums do not depend on where they are
    /// counted); every chunk keeps its own read interest, shares and reviews, so that
    /// merging in chunk order gives the one-process result bit for bit.
    pub fn gather_outcomes(&self, mut local: Vec<ChunkOutcome>, pools: usize, focal: usize) -> Vec<ChunkOutcome> {
        if !self.is_split() {
            return local;
        }
        let me = self.comm.rank();
        let mut totals = ChunkOutcome::new(pools, focal);
        let mut w = Writer::default();
        w.u32(local.len() as u32);
        // Shares to this rank's users stay here and are never serialized; only those to
        // other ranks' users are.
        let mine = |f: u32| self.users.contains(&(f as usize));
        let away = local.iter().map(|o| o.shares.iter().filter(|&&(f, _)| !mine(f)).count()).sum::<usize>();
        let kept_len = local.iter().map(|o| o.shares.len()).sum::<usize>() - away;
        let mut to_owner: Vec<Writer> =
            if away == 0 { Vec::new() } else { (0..self.comm.size()).map(|_| Writer::default()).collect() };
        for o in &local {
            for (t, &d) in totals.draws.iter_mut().zip(&o.draws) {
                *t += d;
            }
            totals.reads += o.reads;
            totals.add_counts(o);
            add(&mut totals.conversions, &o.conversions);
            write_ordered(&mut w, o);
            for &(friend, note) in o.shares.iter().filter(|&&(f, _)| !mine(f)) {
                let to = &mut to_owner[self.owner(friend as usize)];
                to.u32(friend);
                to.u32(note);
            }
        }
        let mut sums = integer_fields(&totals);
        self.comm.sum_u64(&mut sums);
        let bytes = self.comm.gather_bytes(&w.0);
        drop(w);
        let shares = self.exchange_pairs(to_owner);
        let mut all = Vec::new();
        let mut r = Reader(&bytes);
        while !r.is_empty() {
            for _ in 0..r.u32() {
                all.push(read_ordered(&mut r, pools, focal));
            }
        }
        // Ranks may hold no chunks (more ranks than chunks); the totals need a carrier.
        if all.is_empty() {
            all.push(ChunkOutcome::new(pools, focal));
        }
        set_integer_fields(&mut all[0], &sums);
        // This rank's users' shares, in chunk order (rank order, this rank's own in its
        // place): the first chunk carries them all (the engine appends the chunks' shares
        // in order, so the list is the same).
        // One list at its exact size, filled in rank order (this rank's own shares in
        // its place, moved chunk by chunk), so the shares are never held twice.
        let mut list = Vec::with_capacity(kept_len + shares.iter().map(|(_, p)| p.len()).sum::<usize>());
        for (_, part) in shares.iter().filter(|(from, _)| *from < me) {
            list.extend_from_slice(part);
        }
        for o in &mut local {
            list.extend(std::mem::take(&mut o.shares).into_iter().filter(|&(f, _)| mine(f)));
        }
        for (_, part) in shares.iter().filter(|(from, _)| *from > me) {
            list.extend_from_slice(part);
        }
        all[0].shares = list;
        all
    }

    /// Sends `parts[r]`, (u32, u32) pairs, to rank `r` (no parts: nothing to send) and
    /// returns the pairs each other rank sent here, with its rank, in rank order. Every
    /// part carries its sender and length, so the parts can be told apart.
    fn exchange_pairs(&self, parts: Vec<Writer>) -> Vec<(usize, Vec<(u32, u32)>)> {
        let me = self.comm.rank();
        let mut out: Vec<Vec<u8>> = vec![Vec::new(); self.comm.size()];
        for (r, part) in parts.into_iter().enumerate() {
            if r != me && !part.0.is_empty() {
                let mut w = Writer::default();
                w.u32(me as u32);
                w.u32((part.0.len() / 8) as u32);
                w.0.extend_from_slice(&part.0);
                out[r] = w.0;
            }
        }
        let bytes = self.comm.exchange_bytes(&out);
        drop(out);
        let mut got = Vec::new();
        let mut r = Reader(&bytes);
        while !r.is_empty() {
            let from = r.u32() as usize;
            let pairs = (0..r.u32()).map(|_| (r.u32(), r.u32())).collect();
            got.push((from, pairs));
        }
        got
    }

    /// Fills in the current estimate rows of the sampled users: each rank sends those of
    /// its own users (`estimates` holds its users' rows) to every rank. Rank order is user
    /// order, so the rows arrive as the sampled users ascend. With one rank the rows are
    /// only copied.
    pub fn sample_rows(&self, estimates: &[f32], sampled: &mut Sampled) {
        let t = sampled.topics;
        if !self.is_split() {
            for (&u, row) in sampled.ids.iter().zip(sampled.estimates.chunks_mut(t.max(1))) {
                let i = u as usize - self.users.start;
                row.copy_from_slice(&estimates[i * t..(i + 1) * t]);
            }
            return;
        }
        let mut w = Writer::default();
        for &u in sampled.ids.iter().filter(|&&u| self.users.contains(&(u as usize))) {
            let i = u as usize - self.users.start;
            for &x in &estimates[i * t..(i + 1) * t] {
                w.f32(x);
            }
        }
        let bytes = self.comm.gather_bytes(&w.0);
        let mut r = Reader(&bytes);
        for x in &mut sampled.estimates {
            *x = r.f32();
        }
        debug_assert!(r.is_empty());
    }

    /// Sends each (user, note) delivery to the rank of its user and returns those for
    /// this rank's users: in rank order, each rank's in the order given (with one rank,
    /// the list itself).
    pub fn route(&self, deliveries: Vec<(u32, u32)>) -> Vec<(u32, u32)> {
        if !self.is_split() {
            return deliveries;
        }
        let mut to_owner: Vec<Writer> = (0..self.comm.size()).map(|_| Writer::default()).collect();
        for (user, note) in deliveries {
            let to = &mut to_owner[self.owner(user as usize)];
            to.u32(user);
            to.u32(note);
        }
        let parts: Vec<Vec<u8>> = to_owner.into_iter().map(|w| w.0).collect();
        let bytes = self.comm.exchange_bytes(&parts);
        let mut r = Reader(&bytes);
        let mut mine = Vec::with_capacity(bytes.len() / 8);
        while !r.is_empty() {
            mine.push((r.u32(), r.u32()));
        }
        mine
    }
}

fn add(acc: &mut [u64], x: &[u64]) {
    for (a, b) in acc.iter_mut().zip(x) {
        *a += b;
    }
}

/// The order-free fields of an outcome as one vector (draws, reads, channels, promoted,
/// out of ring, journey entries, conversions, focal impressions and reads).
fn integer_fields(o: &ChunkOutcome) -> Vec<u64> {
    let mut v: Vec<u64> = o.draws.iter().map(|&d| u64::from(d)).collect();
    v.push(o.reads);
    v.push(o.decisions);
    v.extend(o.channel);
    v.push(o.promoted);
    v.push(o.out_of_ring);
    v.extend(&o.entered);
    v.extend(&o.conversions);
    v.extend(&o.focal_impressions);
    v.extend(&o.focal_reads);
    v
}

fn set_integer_fields(o: &mut ChunkOutcome, v: &[u64]) {
    let mut it = v.iter().copied();
    let mut next = || it.next().expect("as many fields as integer_fields wrote");
    for d in &mut o.draws {
        *d = u32::try_from(next()).expect("draws per pool and tick fit in u32");
    }
    o.reads = next();
    o.decisions = next();
    for c in &mut o.channel {
        *c = next();
    }
    o.promoted = next();
    o.out_of_ring = next();
    for x in o.entered.iter_mut().chain(&mut o.conversions).chain(&mut o.focal_impressions).chain(&mut o.focal_reads) {
        *x = next();
    }
}

/// The fields whose merge depends on chunk order and that every rank needs (shares go
/// to their friends' ranks only).
fn write_ordered(w: &mut Writer, o: &ChunkOutcome) {
    w.f64(o.read_interest);
    w.u32(o.reviews.len() as u32);
    for r in &o.reviews {
        let n = &r.note;
        w.u32(r.user);
        w.u32(n.author);
        w.u8(n.topic);
        w.f32(n.quality);
        w.f32(n.appeal);
        w.u32(n.born);
        w.u8(ContentKind::ALL.iter().position(|&k| k == n.kind).expect("a listed kind") as u8);
        w.f32(n.credibility);
        w.u16(n.campaign);
        w.u8(ReviewRole::ALL.iter().position(|&k| k == r.role).expect("a listed role") as u8);
    }
}

fn read_ordered(r: &mut Reader, pools: usize, focal: usize) -> ChunkOutcome {
    let mut o = ChunkOutcome::new(pools, focal);
    o.read_interest = r.f64();
    o.reviews = (0..r.u32())
        .map(|_| ReviewPost {
            user: r.u32(),
            note: NewNote {
                author: r.u32(),
                topic: r.u8(),
                quality: r.f32(),
                appeal: r.f32(),
                born: r.u32(),
                kind: ContentKind::ALL[r.u8() as usize],
                credibility: r.f32(),
                campaign: r.u16(),
            },
            role: ReviewRole::ALL[r.u8() as usize],
        })
        .collect();
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_follow_the_rank_ranges_even_when_some_are_empty() {
        // 3 000 users in 2 chunks over 4 ranks: ranks 0 and 2 act for nobody.
        let bounds: Vec<usize> =
            (0..4).map(|r| crate::cluster::user_range(3000, 2048, r, 4).start).chain([3000]).collect();
        assert_eq!(bounds, [0, 0, 2048, 2048, 3000]);
        let shard = Shard { comm: &Solo, users: 0..0, bounds };
        assert_eq!([0, 2047, 2048, 2999].map(|u| shard.owner(u)), [1, 1, 3, 3]);
    }

    #[test]
    fn ordered_fields_round_trip() {
        let mut o = ChunkOutcome::new(2, 1);
        o.read_interest = 0.1 + 0.2;
        o.reviews = vec![ReviewPost {
            user: 3,
            note: NewNote {
                author: 7,
                topic: 2,
                quality: 0.25,
                appeal: 0.5,
                born: 4,
                kind: ContentKind::Review,
                credibility: 0.9,
                campaign: 1,
            },
            role: ReviewRole::SharesLatest,
        }];
        let mut w = Writer::default();
        write_ordered(&mut w, &o);
        let back = read_ordered(&mut Reader(&w.0), 2, 1);
        assert_eq!(back.read_interest.to_bits(), o.read_interest.to_bits());
        assert_eq!(back.reviews[0].user, 3);
        assert_eq!(back.reviews[0].note.kind, ContentKind::Review);
        assert_eq!(back.reviews[0].note.campaign, 1);
        assert_eq!(back.reviews[0].role, ReviewRole::SharesLatest);
    }

    #[test]
    fn integer_fields_round_trip() {
        let mut o = ChunkOutcome::new(3, 2);
        o.draws = vec![1, 2, 3];
        o.reads = 4;
        o.channel = [5, 6, 7, 8];
        o.entered[9] = 10;
        o.conversions[31] = 11;
        o.focal_impressions[1] = 12;
        let mut back = ChunkOutcome::new(3, 2);
        set_integer_fields(&mut back, &integer_fields(&o));
        assert_eq!(integer_fields(&back), integer_fields(&o));
    }
}
