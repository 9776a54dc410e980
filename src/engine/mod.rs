//! The tick loop.
//!
//! Each variant runs on the shared, read-only [`World`]. A tick has fixed phases:
//!
//! 1. **post**: creators post; every variant gets the same notes.
//! 2. **distribute**: ring cut-offs and candidate [`Pools`] are built from a snapshot of
//!    note counters and stages.
//! 3. **choose and engage**: users act in parallel chunks. A user reads only the
//!    snapshot and writes only its own estimate row and integer atomic counters, so
//!    the outcome is the same for any thread count or chunk size.
//! 4. **review**: notes that used their stage quota are promoted or stalled.
//! 5. **account**: per-creator totals and the tick's metrics, computed sequentially.
//!
//! Work per tick is O(active users × slate size + active notes).

mod session;
mod variant;

use std::time::Instant;

use crate::report::{RunOutput, VariantOutput};
use crate::scenario::Scenario;
use crate::world::World;

pub use session::{CHANNELS, matches as segment_matches};
pub use variant::{PhaseSeconds, TickRecord, VariantRun};

/// How to run: threads and a progress callback.
pub struct RunOptions<'a> {
    /// Worker threads (0 = all cores).
    pub threads: usize,
    /// Called after every tick with (variant index, ticks done in that variant).
    pub on_tick: &'a (dyn Fn(usize, u32) + Sync),
    /// Returns true when the run should stop after the current tick.
    pub should_stop: &'a (dyn Fn() -> bool + Sync),
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
}

/// Builds the world and runs every variant of the scenario on a pool of `opts.threads`.
pub fn run(scenario: &Scenario, opts: &RunOptions) -> Result<RunOutput, EngineError> {
    let pool = thread_pool(opts.threads)?;
    let threads = pool.current_num_threads();
    Ok(pool.install(|| run_here(scenario, opts, threads)))
}

/// A rayon pool of `threads` workers (0 = all cores).
pub fn thread_pool(threads: usize) -> Result<rayon::ThreadPool, EngineError> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|source| EngineError::Threads { threads, source })
}

/// Runs the scenario on the current rayon pool (`threads` is only reported).
pub fn run_here(scenario: &Scenario, opts: &RunOptions, threads: usize) -> RunOutput {
    let started = Instant::now();
    let world = World::build(scenario.world_params());
    let world_bytes = world.heap_bytes();
    let mut variants: Vec<VariantOutput> = Vec::with_capacity(scenario.variants.len());
    let mut stopped = false;
    for (vi, spec) in scenario.variants.iter().enumerate() {
        let mut run = VariantRun::new(&world, &spec.params);
        for tick in 0..spec.params.ticks {
            if stopped {
                break;
            }
            run.step(tick);
            (opts.on_tick)(vi, tick + 1);
            stopped = (opts.should_stop)();
        }
        variants.push(run.finish(&spec.name));
        if stopped {
            break;
        }
    }
    let wall = started.elapsed().as_secs_f64();
    RunOutput::new(scenario, variants, wall, threads, world_bytes, stopped)
}
