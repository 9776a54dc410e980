//! [`Comm`] over MPI's world communicator (rsmpi).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use mpi::collective::SystemOperation;
use mpi::datatype::{Partition, PartitionMut};
use mpi::environment::Universe;
use mpi::topology::SimpleCommunicator;
use mpi::traits::*;

use super::Comm;

/// The MPI world of this process. Owns the MPI environment: dropping it finalizes MPI.
pub struct MpiComm {
    world: SimpleCommunicator,
    sent: AtomicU64,
    // Declared last so the communicator is released before MPI is finalized.
    _universe: Universe,
}

impl MpiComm {
    /// Initializes MPI at the "serialized" threading level: the tick loop calls MPI from
    /// a worker thread of the run's pool (not the main thread), never two calls at once.
    pub fn init() -> Self {
        let (universe, _level) = mpi::initialize_with_threading(mpi::Threading::Serialized)
            .expect("MPI is initialized once, at the start of the run");
        MpiComm { world: universe.world(), sent: AtomicU64::new(0), _universe: universe }
    }

    fn count(&self, bytes: usize) {
        self.sent.fetch_add(bytes as u64, Relaxed);
    }
}

// SAFETY: MPI is initialized at the serialized threading level, and a run calls its
// communicator from one thread at a time (the thread running the tick loop); the
// communicator handle itself is an immutable MPI object.
unsafe impl Sync for MpiComm {}

impl Comm for MpiComm {
    fn rank(&self) -> usize {
        self.world.rank() as usize
    }

    fn size(&self) -> usize {
        self.world.size() as usize
    }

    fn sum_u32(&self, v: &mut [u32]) {
        if v.is_empty() {
            return;
        }
        self.count(std::mem::size_of_val(v));
        let send = v.to_vec();
        self.world.all_reduce_into(&send[..], v, SystemOperation::sum());
    }

    fn sum_u64(&self, v: &mut [u64]) {
        if v.is_empty() {
            return;
        }
        self.count(std::mem::size_of_val(v));
        let send = v.to_vec();
        self.world.all_reduce_into(&send[..], v, SystemOperation::sum());
    }

    fn gather_bytes(&self, mine: &[u8]) -> Vec<u8> {
        let ranks = self.world.size() as usize;
        let len = i32::try_from(mine.len()).expect("a rank's share of a tick's exchange is below 2 GiB");
        let mut counts = vec![0i32; ranks];
        self.world.all_gather_into(&len, &mut counts[..]);
        let displs = offsets(&counts);
        let total: usize = counts.iter().map(|&c| c as usize).sum();
        let mut all = buffer(total);
        {
            let mine = backed(mine);
            let mut parts = PartitionMut::new(&mut all[..], counts, &displs[..]);
            self.world.all_gather_varcount_into(&mine[..], &mut parts);
        }
        self.count(mine.len() + std::mem::size_of::<i32>());
        all
    }

    fn exchange_bytes(&self, parts: &[Vec<u8>]) -> Vec<u8> {
        let me = self.rank();
        let send_counts: Vec<i32> = parts
            .iter()
            .map(|p| i32::try_from(p.len()).expect("a rank's share of a tick's exchange is below 2 GiB"))
            .collect();
        let mut recv_counts = vec![0i32; parts.len()];
        self.world.all_to_all_into(&send_counts[..], &mut recv_counts[..]);
        let send = backed(&parts.concat());
        let total: usize = recv_counts.iter().map(|&c| c as usize).sum();
        let mut all = buffer(total);
        {
            let send_displs = offsets(&send_counts);
            let recv_displs = offsets(&recv_counts);
            let parts_out = Partition::new(&send[..], send_counts, &send_displs[..]);
            let mut parts_in = PartitionMut::new(&mut all[..], recv_counts, &recv_displs[..]);
            self.world.all_to_all_varcount_into(&parts_out, &mut parts_in);
        }
        // What stays on this rank is a local copy, not communication.
        let away: usize = parts.iter().enumerate().filter(|&(r, _)| r != me).map(|(_, p)| p.len()).sum();
        self.count(away + std::mem::size_of::<i32>() * (parts.len() - 1));
        all
    }

    fn bytes_sent(&self) -> u64 {
        self.sent.load(Relaxed)
    }
}

/// Displacements of consecutive blocks of `counts` elements.
fn offsets(counts: &[i32]) -> Vec<i32> {
    counts
        .iter()
        .scan(0i32, |at, &c| {
            let d = *at;
            *at += c;
            Some(d)
        })
        .collect()
}

/// A zeroed buffer of `len` bytes whose pointer is a real allocation even when empty: an
/// empty Vec's dangling pointer (address 1 for bytes) is Open MPI's `MPI_IN_PLACE`.
fn buffer(len: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(len.max(1));
    v.resize(len, 0);
    v
}

/// `bytes` in a buffer with a real allocation (see [`buffer`]).
fn backed(bytes: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(bytes.len().max(1));
    v.extend_from_slice(bytes);
    v
}
