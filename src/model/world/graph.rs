//! The social graph (friends) and the follow graph, in compressed sparse rows.
//!
//! Both are built from edge lists generated per agent in parallel, sorted once and turned
//! into rows (never an edge at a time). Generation draws from each
//! agent's own stream, so the graphs do not depend on the thread count.

use rayon::prelude::*;

use super::{Creators, Users};
use crate::rng::{Purpose, stream, unit};
use crate::scenario::Params;

/// A directed graph in compressed sparse rows with `u32` node ids, holding the rows of a
/// contiguous range of source nodes (all of them in one process, a rank's users under
/// MPI). Targets are global ids. Rows are indexed from the first held node, so a rank
/// holds offsets for its own rows only, whatever ids its edges point to.
#[derive(Debug)]
pub struct Graph {
    /// The first node whose row is held.
    first: u32,
    /// Row `i` (node `first + i`) is `targets[offsets[i]..offsets[i + 1]]`.
    offsets: Offsets,
    /// Every row's targets, sorted within a row.
    targets: Vec<u32>,
}

impl Graph {
    /// Builds a graph of `nodes` nodes from edges sorted by (source, target), deduplicated.
    pub fn from_sorted(nodes: usize, edges: &[(u32, u32)]) -> Graph {
        Graph::rows_from_sorted(0, nodes, edges)
    }

    /// The rows of nodes `first..first + nodes` from their edges, sorted by (source,
    /// target) and deduplicated, with sources counted from `first` (targets global).
    fn rows_from_sorted(first: u32, nodes: usize, edges: &[(u32, u32)]) -> Graph {
        debug_assert!(edges.windows(2).all(|w| w[0] < w[1]), "edges are sorted and unique");
        let targets = edges.iter().map(|&(_, t)| t).collect();
        let offsets = if u32::try_from(edges.len()).is_ok() {
            Offsets::Narrow(row_offsets(nodes, edges))
        } else {
            Offsets::Wide(row_offsets(nodes, edges))
        };
        Graph { first, offsets, targets }
    }

    /// Out-neighbours of a node (none for a node whose row is not held).
    #[inline]
    pub fn neighbors(&self, v: u32) -> &[u32] {
        let i = v.wrapping_sub(self.first) as usize;
        match &self.offsets {
            Offsets::Narrow(o) if i + 1 < o.len() => &self.targets[o[i] as usize..o[i + 1] as usize],
            Offsets::Wide(o) if i + 1 < o.len() => &self.targets[o[i] as usize..o[i + 1] as usize],
            _ => &[],
        }
    }

    /// Whether node `v`'s row is held.
    pub fn holds(&self, v: u32) -> bool {
        (v.wrapping_sub(self.first) as usize) < self.node_count()
    }

    /// Number of rows held.
    pub fn node_count(&self) -> usize {
        self.offsets.len() - 1
    }

    /// Number of directed edges held.
    pub fn edge_count(&self) -> usize {
        self.targets.len()
    }

    /// Bytes held by the rows and columns.
    pub fn heap_bytes(&self) -> usize {
        self.edge_count() * 4 + self.offsets.heap_bytes()
    }
}

/// A CSR's row offsets: 4 B a row while the edges held fit in a `u32` (every scenario up
/// to some 400 M users at the quickstart's ten friends a user, and any follow graph), 8 B
/// beyond.
#[derive(Debug)]
enum Offsets {
    Narrow(Vec<u32>),
    Wide(Vec<u64>),
}

impl Offsets {
    fn len(&self) -> usize {
        match self {
            Offsets::Narrow(o) => o.len(),
            Offsets::Wide(o) => o.len(),
        }
    }

    fn heap_bytes(&self) -> usize {
        match self {
            Offsets::Narrow(o) => o.len() * 4,
            Offsets::Wide(o) => o.len() * 8,
        }
    }
}

/// Row offsets of `nodes` rows from their edges sorted by source (counted from the first
/// row), in an integer type that holds the edge count.
fn row_offsets<T>(nodes: usize, edges: &[(u32, u32)]) -> Vec<T>
where
    T: Copy + Default + std::ops::AddAssign + From<u32>,
{
    let mut offsets = vec![T::default(); nodes + 1];
    for &(s, _) in edges {
        offsets[s as usize + 1] += T::from(1);
    }
    for i in 1..offsets.len() {
        let previous = offsets[i - 1];
        offsets[i] += previous;
    }
    offsets
}

/// Positions of the ring lattice generated per parallel task.
const TIES_BLOCK: usize = 4096;

/// A homophilous small world: users ordered by (segment, primary topic) each tie to their
/// next `friends_mean / 2` neighbours in that order, each tie rewired to a uniform user
/// with probability `friend_rewire` (Watts-Strogatz on a sorted ring; assumption: friends
/// resemble each other). Symmetric.
///
/// Only the rows of the held users are kept, but every user's ties are drawn (a tie to a
/// held user can come from anyone, rewired ties from anywhere), so the rows are the same
/// as in the whole graph. The ties are drawn twice, to count and then to fill the edge
/// list at its exact size: collecting an iterator of unknown length would double the
/// buffer while growing, and this list is the largest thing a build holds.
pub fn social_graph(p: &Params, users: &Users) -> Graph {
    let n = users.count;
    let local = users.local();
    let half = (p.world.friends_mean / 2) as usize;
    if n < 2 || half == 0 {
        return Graph::rows_from_sorted(local.start as u32, local.len(), &[]);
    }
    let mut key = vec![(0u8, 0u8); n];
    users.scan_traits(|u, tr| key[u] = (tr.segment.0, tr.primary));
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.par_sort_unstable_by_key(|&u| (key[u as usize], u));
    drop(key);
    let rewire = p.world.friend_rewire;
    let order = &order;
    let k = half.min(n - 1);
    let (lo, hi) = (local.start as u32, local.end as u32);
    let held = |v: u32| v >= lo && v < hi;
    // The ties of lattice positions `block`, kept where the source is held (no loops).
    let ties = |block: usize, keep: &mut dyn FnMut(u32, u32)| {
        for i in block * TIES_BLOCK..((block + 1) * TIES_BLOCK).min(n) {
            let a = order[i];
            let mut rng = stream(p.world_seed(), 0, u64::from(a), Purpose::SocialTies);
            for j in 1..=k {
                let b = if unit(&mut rng) < rewire { (unit(&mut rng) * n as f64) as u32 } else { order[(i + j) % n] };
                if a != b {
                    for (s, t) in [(a, b), (b, a)] {
                        if held(s) {
                            keep(s - lo, t);
                        }
                    }
                }
            }
        }
    };
    let blocks = n.div_ceil(TIES_BLOCK);
    let counts: Vec<usize> = (0..blocks)
        .into_par_iter()
        .map(|b| {
            let mut c = 0;
            ties(b, &mut |_, _| c += 1);
            c
        })
        .collect();
    let mut edges = vec![(0u32, 0u32); counts.iter().sum()];
    let mut parts = Vec::with_capacity(blocks);
    let mut rest = &mut edges[..];
    for &c in &counts {
        let (part, tail) = rest.split_at_mut(c);
        parts.push(part);
        rest = tail;
    }
    parts.into_par_iter().enumerate().for_each(|(b, out)| {
        let mut at = 0;
        ties(b, &mut |s, t| {
            out[at] = (s, t);
            at += 1;
        });
    });
    edges.par_sort_unstable();
    edges.dedup();
    Graph::rows_from_sorted(lo, local.len(), &edges)
}

/// Follow edges user → creator. Creator `c` gets about `followers × users / platform
/// users` in-world followers (stochastically rounded), drawn from users interested in its
/// first topic (interest ≥ the high-potential threshold) when such users can be found.
/// Node `users + c` is creator `c`; only the held users' rows are kept (every creator's
/// draws are made, so the rows are those of the whole graph).
pub fn follow_graph(p: &Params, users: &Users, creators: &Creators) -> Graph {
    let n = users.count;
    let t = users.topics;
    let local = users.local();
    let scale = f64::from(p.world.users) / p.world.platform_users as f64;
    let hp = p.crowd.high_potential_interest as f32;
    // Whether each user is interested enough, one bit per user and topic (interests are
    // not held: drawn again from the users' streams).
    let mut bits = vec![0u64; (n * t).div_ceil(64)];
    users.scan(|u, tr| {
        for (k, &x) in tr.interest.iter().enumerate() {
            if x >= hp {
                bits[(u * t + k) / 64] |= 1 << ((u * t + k) % 64);
            }
        }
    });
    let interested = |u: usize, k: usize| bits[(u * t + k) / 64] >> ((u * t + k) % 64) & 1 == 1;
    let mut edges: Vec<(u32, u32)> = (0..creators.count)
        .into_par_iter()
        .flat_map_iter(|c| {
            let mut rng = stream(p.world_seed(), 1, c as u64, Purpose::CreatorTraits);
            let expected = creators.followers[c] as f64 * scale;
            let mut k = expected.floor() as usize;
            if unit(&mut rng) < expected.fract() {
                k += 1;
            }
            let k = k.min(n);
            let topic = creators.group_topics[creators.group[c] as usize][0] as usize;
            let node = (n + c) as u32;
            let mut out = Vec::with_capacity(k);
            for _ in 0..k {
                let mut u = (unit(&mut rng) * n as f64) as usize;
                for _ in 0..16 {
                    if interested(u, topic) {
                        break;
                    }
                    u = (unit(&mut rng) * n as f64) as usize;
                }
                if local.contains(&u) {
                    out.push(((u - local.start) as u32, node));
                }
            }
            out
        })
        .collect();
    edges.par_sort_unstable();
    edges.dedup();
    // One process holds the creators' (empty) rows too, as it always did.
    let rows = if local.len() == n { n + creators.count } else { local.len() };
    Graph::rows_from_sorted(local.start as u32, rows, &edges)
}
