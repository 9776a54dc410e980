//! The tick loop.
//!
//! Each variant runs on the shared, read-only [`World`]. A tick has fixed phases:
//!
//! 1. **post**: creators post; every variant gets the same notes.
//! 2. **distribute**: ring cut-offs and candidate [`Pools`](crate::model::platform::Pools) are built from a snapshot of
//!    note counters and stages.
//! 3. **choose and engage**: users act in parallel chunks. A user reads only the
//!    snapshot and writes only its own estimate row and its worker's integer note
//!    counts (added to the notes' counters after the phase), so the outcome is the same
//!    for any thread count or chunk size.
//! 4. **review**: notes that used their stage quota are promoted or stalled.
//! 5. **account**: per-creator totals and the tick's metrics, computed sequentially.
//!
//! Work per tick is O(active users × slate size + active notes).

pub mod plan;
mod session;
mod shard;
mod shares;
mod variant;

use std::time::Instant;

use crate::cluster::{Comm, Solo};
use crate::model::world::World;
use crate::observe::output::{RunOutput, VariantOutput};
use crate::scenario::Scenario;

pub use session::{PREFETCH_FROM_BYTES, prefetch_pays};
pub use shard::Shard;
pub use variant::{VariantRun, VariantState};

/// Where a run's work happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threads {
    /// A pool of its own with this many workers (0 = all cores).
    Pool(usize),
    /// The rayon pool the caller is on (replicates run side by side share one pool).
    Current,
}

/// How to run: where, what to call after each tick, when to stop, where to start from,
/// when to save, and over which ranks. [`RunOptions::new`] gives a plain run.
pub struct RunOptions<'a> {
    /// Worker threads.
    pub threads: Threads,
    /// Called after every tick with (variant index, ticks done in that variant).
    pub on_tick: &'a (dyn Fn(usize, u32) + Sync),
    /// Returns true when the run should stop after the current tick.
    pub should_stop: &'a (dyn Fn() -> bool + Sync),
    /// Where the run starts: nothing done, or what a checkpoint held.
    pub from: Progress,
    /// When and how to save checkpoints (none: never).
    pub checkpoints: Option<&'a Checkpoints<'a>>,
    /// The ranks the users are split over ([`Solo`]: this process alone).
    pub comm: &'a dyn Comm,
}

impl RunOptions<'_> {
    /// A run from the start on a pool of `threads` (0 = all cores), without progress,
    /// stop requests, checkpoints or other ranks.
    pub fn new(threads: usize) -> RunOptions<'static> {
        RunOptions {
            threads: Threads::Pool(threads),
            on_tick: &|_, _| {},
            should_stop: &|| false,
            from: Progress::default(),
            checkpoints: None,
            comm: &Solo,
        }
    }
}

/// Errors of a run itself (bad input is caught before this).
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The thread pool could not start.
    #[error("cannot start {threads} worker threads: {source}")]
    Threads {
        /// Requested threads.
        threads: usize,
        /// The cause.
        source: rayon::ThreadPoolBuildError,
    },
    /// A checkpoint could not be written; the run stops rather than go on unsaved.
    #[error("cannot write a checkpoint after tick {tick} of variant `{variant}`: {source}")]
    Checkpoint {
        /// Variant being run.
        variant: String,
        /// Ticks done in it.
        tick: u32,
        /// The cause.
        source: std::io::Error,
    },
    /// Sequential arrival asked of a run split over MPI ranks.
    #[error(
        "variant `{variant}` has arrival = \"sequential\": users act one after another, which one process \
         does; run it without MPI ranks (on {ranks} ranks now)"
    )]
    SequentialOnRanks {
        /// The variant.
        variant: String,
        /// Ranks the run was started on.
        ranks: usize,
    },
    /// The saved state does not belong to this scenario's world.
    #[error("the saved state of variant `{variant}` does not fit this scenario's world")]
    Mismatch {
        /// Variant whose state did not fit.
        variant: String,
    },
}

/// How far a run has come: nothing yet, or what a checkpoint holds.
#[derive(Debug, Default)]
pub struct Progress {
    /// Variants finished, in scenario order.
    pub finished: Vec<VariantOutput>,
    /// The state of the next variant (index `finished.len()`) between two ticks.
    pub current: Option<VariantState>,
    /// Wall-clock seconds already spent (perf only).
    pub wall_seconds: f64,
}

/// A run between two ticks, as a checkpoint sees it.
pub struct ProgressView<'a> {
    /// Variants finished.
    pub finished: &'a [VariantOutput],
    /// The variant in progress.
    pub current: Option<&'a VariantState>,
    /// Wall-clock seconds spent so far.
    pub wall_seconds: f64,
}

/// When and how to save checkpoints.
pub struct Checkpoints<'a> {
    /// Save after every this many ticks of a variant (0: only when the run is stopped).
    pub every: u32,
    /// Writes one checkpoint.
    pub save: &'a (dyn Fn(&ProgressView) -> std::io::Result<()> + Sync),
}

/// Builds the world and runs every variant of the scenario: the one entry point of the
/// engine. The outputs are the same for any thread count, rank count and any ticks the
/// run was stopped and resumed at.
pub fn run(scenario: &Scenario, opts: RunOptions) -> Result<RunOutput, EngineError> {
    match opts.threads {
        Threads::Pool(threads) => {
            let pool = thread_pool(threads)?;
            let threads = pool.current_num_threads();
            pool.install(|| drive(scenario, opts, threads))
        }
        Threads::Current => drive(scenario, opts, 0),
    }
}

/// A rayon pool of `threads` workers (0 = all cores).
pub fn thread_pool(threads: usize) -> Result<rayon::ThreadPool, EngineError> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|source| EngineError::Threads { threads, source })
}

/// The variant loop, from any point a checkpoint can hold, as one of the ranks of `comm`.
/// `threads` is only reported.
fn drive(scenario: &Scenario, opts: RunOptions, threads: usize) -> Result<RunOutput, EngineError> {
    let RunOptions { on_tick, should_stop, from, checkpoints, comm, .. } = opts;
    let started = Instant::now();
    if comm.size() > 1
        && let Some(v) = scenario.variants.iter().find(|v| v.params.arrival == crate::scenario::Arrival::Sequential)
    {
        return Err(EngineError::SequentialOnRanks { variant: v.name.clone(), ranks: comm.size() });
    }
    // This rank's users: it builds only their rows of the world and of every variant's
    // per-user state (with one process, every user).
    let params = scenario.world_params();
    let shard = Shard::of(comm, params.world.users as usize, variant::CHUNK_USERS);
    let world = World::build_part(params, shard.users.clone());
    let world_bytes = world.heap_bytes();
    let spent = from.wall_seconds;
    let mut variants = from.finished;
    let mut current = from.current;
    let mut stopped = false;
    let mut ticks_run = 0u64;
    for (vi, spec) in scenario.variants.iter().enumerate().skip(variants.len()) {
        let state = match current.take() {
            Some(state) if state.fits(&world, &spec.params) => state,
            Some(_) => return Err(EngineError::Mismatch { variant: spec.name.clone() }),
            None => VariantState::new(&world, &spec.params),
        };
        let mut run = VariantRun::resume(&world, &spec.params, state, shard.clone());
        let ticks = spec.params.ticks;
        (on_tick)(vi, run.state().ticks_done());
        for tick in run.state().ticks_done()..ticks {
            run.step(tick);
            ticks_run += 1;
            (on_tick)(vi, tick + 1);
            let last = vi + 1 == scenario.variants.len() && tick + 1 == ticks;
            // Every rank stops after the same tick.
            stopped = !last && comm.any(should_stop());
            if let Some(c) = checkpoints {
                let due = c.every > 0 && (tick + 1) % c.every == 0 && !last;
                if stopped || due {
                    let view = ProgressView {
                        finished: &variants,
                        current: Some(run.state()),
                        wall_seconds: spent + started.elapsed().as_secs_f64(),
                    };
                    (c.save)(&view).map_err(|source| EngineError::Checkpoint {
                        variant: spec.name.clone(),
                        tick: tick + 1,
                        source,
                    })?;
                }
            }
            if stopped {
                break;
            }
        }
        variants.push(run.finish(&spec.name));
        if stopped {
            break;
        }
    }
    let wall = spent + started.elapsed().as_secs_f64();
    let mut out = RunOutput::new(scenario, variants, wall, threads, world_bytes, stopped);
    out.perf.ranks = comm.size();
    out.perf.bytes_exchanged_per_tick = comm.bytes_sent() / ticks_run.max(1);
    // Every rank's figure, gathered after the last tick (every rank reaches this point:
    // they stop at the same tick).
    let mut by_rank = vec![0u64; comm.size()];
    by_rank[comm.rank()] = out.perf.bytes_exchanged_per_tick;
    comm.sum_u64(&mut by_rank);
    out.perf.bytes_exchanged_per_tick_by_rank = by_rank;
    Ok(out)
}
