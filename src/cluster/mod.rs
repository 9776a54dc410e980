//! Running one scenario over several processes (ranks), each acting for a contiguous
//! range of users.
//!
//! The engine talks to the other ranks only through [`Comm`]: element-wise sums of
//! integer vectors and a concatenation of byte strings in rank order. Integer sums do
//! not depend on the order of addition, and concatenation in rank order is concatenation
//! in user order (ranks hold ascending user ranges), so every rank sees exactly what a
//! single process would have computed. [`Solo`] is the one-process communicator used
//! whenever feedsim is not started by an MPI launcher (and always without the `mpi`
//! feature); with it every collective is the identity.
//!
//! Each communicator counts the bytes this rank contributes to collectives (its payload,
//! not the MPI library's internal traffic) so runs can report communication per tick.

#[cfg(feature = "mpi")]
mod mpi_comm;
pub mod wire;

use std::ops::Range;

/// Collectives over the ranks of one run. Every rank must make the same calls in the
/// same order, with the same lengths for the sums. `Sync` because the tick loop runs on
/// a worker of the run's thread pool; only that one thread calls a communicator.
pub trait Comm: Sync {
    /// This process's rank, 0-based.
    fn rank(&self) -> usize;
    /// Number of ranks.
    fn size(&self) -> usize;
    /// Replaces `v` by its element-wise sum over ranks.
    fn sum_u32(&self, v: &mut [u32]);
    /// Replaces `v` by its element-wise sum over ranks.
    fn sum_u64(&self, v: &mut [u64]);
    /// Every rank's `mine`, concatenated in rank order (the same on every rank).
    fn gather_bytes(&self, mine: &[u8]) -> Vec<u8>;
    /// Sends `parts[r]` to rank `r` (one part per rank) and returns what every rank sent
    /// to this one, concatenated in rank order.
    fn exchange_bytes(&self, parts: &[Vec<u8>]) -> Vec<u8>;
    /// Payload bytes this rank has contributed to collectives so far.
    fn bytes_sent(&self) -> u64;

    /// Whether any rank says yes (so that all ranks stop at the same tick).
    fn any(&self, yes: bool) -> bool {
        let mut v = [u32::from(yes)];
        self.sum_u32(&mut v);
        v[0] > 0
    }
}

/// The communicator of a single process: collectives are the identity.
#[derive(Debug, Default, Clone, Copy)]
pub struct Solo;

impl Comm for Solo {
    fn rank(&self) -> usize {
        0
    }
    fn size(&self) -> usize {
        1
    }
    fn sum_u32(&self, _: &mut [u32]) {}
    fn sum_u64(&self, _: &mut [u64]) {}
    fn gather_bytes(&self, mine: &[u8]) -> Vec<u8> {
        mine.to_vec()
    }
    fn exchange_bytes(&self, parts: &[Vec<u8>]) -> Vec<u8> {
        parts[0].clone()
    }
    fn bytes_sent(&self) -> u64 {
        0
    }
}

/// The communicator for this process: MPI's world when the process was started by an
/// MPI launcher (`mpirun`, `srun`) and feedsim was built with the `mpi` feature,
/// otherwise [`Solo`]. Keep it alive for the whole run: dropping it finalizes MPI.
pub fn launch() -> Box<dyn Comm> {
    #[cfg(feature = "mpi")]
    if launched_by_mpi() {
        return Box::new(mpi_comm::MpiComm::init());
    }
    Box::new(Solo)
}

/// Whether an MPI launcher started this process. Checked before initializing MPI, so
/// that a plain `feedsim run` of an MPI build neither needs nor starts an MPI runtime.
pub fn launched_by_mpi() -> bool {
    ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "MPI_LOCALNRANKS"].iter().any(|k| std::env::var_os(k).is_some())
}

/// The users rank `rank` of `ranks` acts for: whole chunks of `chunk` users, split as
/// evenly as chunks allow, in ascending order. Keeping boundaries on chunk boundaries
/// keeps the chunks, and so the order of every floating-point sum over chunks, the
/// same for any number of ranks.
pub fn user_range(users: usize, chunk: usize, rank: usize, ranks: usize) -> Range<usize> {
    let chunks = users.div_ceil(chunk);
    let at = |r: usize| (chunks * r / ranks * chunk).min(users);
    at(rank)..at(rank + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ranges_tile_the_users_on_chunk_boundaries() {
        for users in [0, 1, 2047, 2048, 2049, 10_000, 100_000] {
            for ranks in 1..=5 {
                let ranges: Vec<_> = (0..ranks).map(|r| user_range(users, 2048, r, ranks)).collect();
                assert_eq!(ranges[0].start, 0);
                assert_eq!(ranges[ranks - 1].end, users);
                for w in ranges.windows(2) {
                    assert_eq!(w[0].end, w[1].start);
                }
                for r in &ranges {
                    assert!(r.start.is_multiple_of(2048) || r.start == users);
                }
            }
        }
    }

    #[test]
    fn solo_collectives_are_the_identity() {
        let c = Solo;
        let mut v = [1u32, 2];
        c.sum_u32(&mut v);
        assert_eq!(v, [1, 2]);
        assert_eq!(c.gather_bytes(&[3, 4]), vec![3, 4]);
        assert_eq!(c.exchange_bytes(&[vec![5]]), vec![5]);
        assert!(c.any(true) && !c.any(false));
    }
}
