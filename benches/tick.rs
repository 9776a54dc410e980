//! One simulated tick of each feed at 100 k users.
//!
//! The world is built once from `scenarios/quickstart.toml` with `world.users=100000`.
//! Each variant is benchmarked separately: a [`VariantRun`] is warmed up with ticks
//! 0..3 (so notes, pools and demand exist), then every timed iteration is one
//! `step(tick)` with an ever-increasing tick. When the tick reaches the scenario's
//! `ticks` (30, as shipped) the run is rebuilt and warmed up again outside the timing,
//! so the figure is the mean cost of ticks 3..30, the same ticks `feedsim run` does.
//!
//! Throughput is the mean impressions per tick over ticks 3..30, read from one untimed
//! full run of the variant (`VariantRun` exposes per-tick records only through
//! `finish`).
//!
//! Run: `cargo bench --bench tick` (see benches/README.md).

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use feedsim::engine::VariantRun;
use feedsim::model::world::World;
use feedsim::scenario::{Params, load_file};

const USERS: u32 = 100_000;
/// Ticks run untimed before timing starts.
const WARMUP_TICKS: u32 = 3;

/// A run warmed up to `WARMUP_TICKS`; returns it and the next tick.
fn warm<'w>(world: &'w World, params: &'w Params) -> (VariantRun<'w>, u32) {
    let mut run = VariantRun::new(world, params);
    for tick in 0..WARMUP_TICKS {
        run.step(tick);
    }
    (run, WARMUP_TICKS)
}

/// Mean impressions per tick over ticks `WARMUP_TICKS..ticks` of one full run.
fn impressions_per_tick(world: &World, params: &Params) -> u64 {
    let mut run = VariantRun::new(world, params);
    for tick in 0..params.ticks {
        run.step(tick);
    }
    let out = run.finish("throughput");
    let timed = &out.ticks[WARMUP_TICKS as usize..];
    let total: u64 = timed.iter().map(|r| r.impressions).sum();
    total / timed.len().max(1) as u64
}

fn tick(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/quickstart.toml");
    let overrides = vec![format!("world.users={USERS}")];
    let scenario = load_file(&path, &overrides).expect("scenarios/quickstart.toml loads");
    let world = World::build(scenario.world_params());

    let mut group = c.benchmark_group("tick_100k_users");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(3));
    group.measurement_time(Duration::from_secs(10));
    for spec in &scenario.variants {
        let params = &spec.params;
        assert!(params.ticks > WARMUP_TICKS, "the scenario must run more than {WARMUP_TICKS} ticks");
        group.throughput(Throughput::Elements(impressions_per_tick(&world, params)));
        let (mut run, mut next) = warm(&world, params);
        group.bench_function(spec.name.as_str(), |b| {
            b.iter_custom(|iters| {
                let mut timed = Duration::ZERO;
                for _ in 0..iters {
                    if next >= params.ticks {
                        (run, next) = warm(&world, params);
                    }
                    let started = Instant::now();
                    run.step(black_box(next));
                    timed += started.elapsed();
                    next += 1;
                }
                timed
            });
        });
    }
    group.finish();
}

criterion_group!(benches, tick);
criterion_main!(benches);
