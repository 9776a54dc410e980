//! The social graph (friends) and the follow graph, as petgraph CSR.
//!
//! Both are built from edge lists generated per agent in parallel, sorted once and handed
//! to `Csr::from_sorted_edges` (never `add_edge` in a loop). Generation draws from each
//! agent's own stream, so the graphs do not depend on the thread count.

use petgraph::Directed;
use petgraph::csr::Csr;
use rayon::prelude::*;

use super::{Creators, Users};
use crate::rng::{Purpose, stream, unit};
use crate::scenario::Params;

/// A directed graph in compressed sparse rows with `u32` node ids.
#[derive(Debug)]
pub struct Graph {
    csr: Csr<(), (), Directed, u32>,
    nodes: usize,
}

impl Graph {
    /// Builds a graph of `nodes` nodes from edges sorted by (source, target), deduplicated.
    pub fn from_sorted(nodes: usize, edges: &[(u32, u32)]) -> Graph {
        let mut csr = Csr::from_sorted_edges(edges).expect("edges are sorted");
        while csr.node_count() < nodes {
            csr.add_node(());
        }
        Graph { csr, nodes }
    }

    /// Out-neighbours of a node.
    #[inline]
    pub fn neighbors(&self, v: u32) -> &[u32] {
        if (v as usize) < self.csr.node_count() { self.csr.neighbors_slice(v) } else { &[] }
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.nodes
    }

    /// Number of directed edges.
    pub fn edge_count(&self) -> usize {
        self.csr.edge_count()
    }

    /// Bytes held by the rows and columns.
    pub fn heap_bytes(&self) -> usize {
        self.edge_count() * 4 + (self.nodes + 1) * 8
    }
}

/// A homophilous small world: users ordered by (segment, primary topic) each tie to their
/// next `friends_mean / 2` neighbours in that order, each tie rewired to a uniform user
/// with probability `friend_rewire` (Watts-Strogatz on a sorted ring; assumption: friends
/// resemble each other). Symmetric.
pub fn social_graph(p: &Params, users: &Users) -> Graph {
    let n = users.count;
    let half = (p.world.friends_mean / 2) as usize;
    if n < 2 || half == 0 {
        return Graph::from_sorted(n, &[]);
    }
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.par_sort_unstable_by_key(|&u| (users.segment[u as usize].0, users.primary[u as usize], u));
    let rewire = p.world.friend_rewire;
    let order = &order;
    // Filled in place at its exact size: collecting an iterator of unknown length would
    // double the buffer while growing, and this list is the largest thing a build holds.
    let k = half.min(n - 1);
    let mut edges = vec![(0u32, 0u32); n * k * 2];
    edges.par_chunks_mut(k * 2).enumerate().for_each(|(i, out)| {
        let a = order[i];
        let mut rng = stream(p.world_seed(), 0, u64::from(a), Purpose::SocialTies);
        for j in 1..=k {
            let b = if unit(&mut rng) < rewire { (unit(&mut rng) * n as f64) as u32 } else { order[(i + j) % n] };
            out[2 * (j - 1)] = (a, b);
            out[2 * (j - 1) + 1] = (b, a);
        }
    });
    edges.retain(|(a, b)| a != b);
    edges.par_sort_unstable();
    edges.dedup();
    Graph::from_sorted(n, &edges)
}

/// Follow edges user → creator. Creator `c` gets about `followers × users / platform
/// users` in-world followers (stochastically rounded), drawn from users interested in its
/// first topic (interest ≥ the high-potential threshold) when such users can be found.
pub fn follow_graph(p: &Params, users: &Users, creators: &Creators) -> Graph {
    let n = users.count;
    let scale = f64::from(p.world.users) / p.world.platform_users as f64;
    let hp = p.crowd.high_potential_interest as f32;
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
                    if users.interest[u * users.topics + topic] >= hp {
                        break;
                    }
                    u = (unit(&mut rng) * n as f64) as usize;
                }
                out.push((u as u32, node));
            }
            out
        })
        .collect();
    edges.par_sort_unstable();
    edges.dedup();
    Graph::from_sorted(n + creators.count, &edges)
}
