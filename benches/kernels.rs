//! The hot kernels of a tick, one by one, on realistic sizes.
//!
//! - `pool_draw`: one weighted draw from a candidate pool of 1 500 notes (the size of a
//!   quickstart pool) with an alias table, against the binary search over cumulative
//!   weights it replaced (kept here as the reference).
//! - `slate`: filling a five-cover slate from a pool (up to three tries per slot to avoid
//!   a duplicate), as a user's feed decision does.
//! - `choice`: the two-column logit choice among five covers and the single-column
//!   watch-or-swipe.
//! - `engage`: the five engagement acts after a read.
//! - `ring_review`: the end-of-tick stage review of 20 000 active notes.
//! - `metrics_1m_creators`: Gini, top-10 share and top-1 % share over 1 M creators.
//!
//! Each bench is short (1 s warm-up, 2–3 s measurement). Run: `cargo bench --bench
//! kernels` (see benches/README.md).

use std::hint::black_box;
use std::path::Path;
use std::sync::atomic::AtomicU32;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use feedsim::model::behaviour::{CoverView, engage};
use feedsim::model::content::{NoteCounters, Notes};
use feedsim::model::platform::{AliasTable, FeedPolicy, SimUnits, SingleColumnFeed, Staging, TwoColumnFeed};
use feedsim::observe::concentration::{gini, top_fraction_share, top_k_share};
use feedsim::rng::{Purpose, stream, unit};
use feedsim::scenario::{Params, load_file};

const POOL: usize = 1_500;
const DRAWS: u64 = 100_000;

/// The quickstart variants: (name, parameters).
fn params() -> Vec<(String, Params)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/quickstart.toml");
    let s = load_file(&path, &[]).expect("scenarios/quickstart.toml loads");
    s.variants.into_iter().map(|v| (v.name, v.params)).collect()
}

/// Note weights spread like a pool's: log-normal with σ = 1.5.
fn weights(n: usize) -> Vec<f64> {
    let mut rng = stream(1, 0, 0, Purpose::Variant);
    (0..n)
        .map(|_| {
            // Box–Muller from two uniforms.
            let (a, b) = (unit(&mut rng).max(1e-300), unit(&mut rng));
            let z = (-2.0 * a.ln()).sqrt() * (std::f64::consts::TAU * b).cos();
            (1.5 * z).exp()
        })
        .collect()
}

/// The replaced implementation: binary search over cumulative weights.
struct Cumulative {
    items: Vec<u32>,
    cumulative: Vec<f64>,
}

impl Cumulative {
    fn draw(&self, u: f64) -> Option<u32> {
        let total = *self.cumulative.last()?;
        let i = self.cumulative.partition_point(|&c| c <= u * total).min(self.items.len() - 1);
        Some(self.items[i])
    }
}

fn short<'c>(c: &'c mut Criterion, name: &str) -> criterion::BenchmarkGroup<'c, criterion::measurement::WallTime> {
    let mut g = c.benchmark_group(name);
    g.sample_size(20);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(2));
    g
}

fn pool_draw(c: &mut Criterion) {
    let items: Vec<u32> = (0..POOL as u32).map(|i| i * 7).collect();
    let w = weights(POOL);
    let alias = AliasTable::new(&items, &w);
    let mut acc = 0.0;
    let cumulative = Cumulative {
        items: items.clone(),
        cumulative: w
            .iter()
            .map(|x| {
                acc += x;
                acc
            })
            .collect(),
    };
    let mut g = short(c, "pool_draw");
    g.throughput(Throughput::Elements(DRAWS));
    g.bench_function("alias_table", |b| {
        let mut rng = stream(2, 0, 0, Purpose::Session);
        b.iter(|| {
            let mut sum = 0u64;
            for _ in 0..DRAWS {
                sum += u64::from(alias.draw(unit(&mut rng)).unwrap_or(0));
            }
            sum
        });
    });
    g.bench_function("cumulative_binary_search", |b| {
        let mut rng = stream(2, 0, 0, Purpose::Session);
        b.iter(|| {
            let mut sum = 0u64;
            for _ in 0..DRAWS {
                sum += u64::from(cumulative.draw(unit(&mut rng)).unwrap_or(0));
            }
            sum
        });
    });
    g.bench_function("alias_build_1500", |b| b.iter(|| AliasTable::new(black_box(&items), black_box(&w))));
    g.finish();
}

fn slate(c: &mut Criterion) {
    let items: Vec<u32> = (0..POOL as u32).collect();
    let alias = AliasTable::new(&items, &weights(POOL));
    const SLATES: u64 = 20_000;
    let mut g = short(c, "slate");
    g.throughput(Throughput::Elements(SLATES * 5));
    g.bench_function("five_covers", |b| {
        let mut rng = stream(3, 0, 0, Purpose::Session);
        b.iter(|| {
            let mut filled = 0usize;
            for _ in 0..SLATES {
                let mut slate = [0u32; 5];
                let mut len = 0;
                for _ in 0..5 {
                    for _ in 0..3 {
                        if let Some(n) = alias.draw(unit(&mut rng))
                            && !slate[..len].contains(&n)
                        {
                            slate[len] = n;
                            len += 1;
                            break;
                        }
                    }
                }
                filled += len;
            }
            filled
        });
    });
    g.finish();
}

// The update keeps the bench compiling when CoverView gains fields (they stay default).
#[allow(clippy::needless_update)]
fn covers(rng: &mut rand_pcg::Pcg64Mcg) -> [CoverView; 5] {
    [(); 5].map(|_| CoverView {
        interest: unit(rng) as f32,
        appeal: unit(rng) as f32,
        quality: unit(rng) as f32,
        ..CoverView::default()
    })
}

fn choice(c: &mut Criterion) {
    let ps = params();
    let response = &ps[0].1.response;
    const N: u64 = 100_000;
    let slates: Vec<[CoverView; 5]> = {
        let mut rng = stream(4, 0, 0, Purpose::Variant);
        (0..1024).map(|_| covers(&mut rng)).collect()
    };
    let mut g = short(c, "choice");
    g.throughput(Throughput::Elements(N));
    g.bench_function("two_column_logit_5", |b| {
        let feed = TwoColumnFeed { slate_size: 5, columns: 2 };
        let mut rng = stream(5, 0, 0, Purpose::Session);
        b.iter(|| {
            let mut chosen = 0usize;
            for i in 0..N as usize {
                chosen +=
                    feed.choose(response, &slates[i & 1023], (i & 7) as u32, &mut rng, &mut []).map_or(0, |k| k + 1);
            }
            chosen
        });
    });
    g.bench_function("single_column_watch", |b| {
        let mut rng = stream(5, 0, 0, Purpose::Session);
        b.iter(|| {
            let mut watched = 0usize;
            for i in 0..N as usize {
                watched +=
                    SingleColumnFeed.choose(response, &slates[i & 1023][..1], 0, &mut rng, &mut []).map_or(0, |_| 1);
            }
            watched
        });
    });
    g.bench_function("engage_5_acts", |b| {
        let mut rng = stream(6, 0, 0, Purpose::Session);
        b.iter(|| {
            let mut acts = 0usize;
            for i in 0..N as usize {
                let a = engage(response, &slates[i & 1023][0], &mut rng);
                acts += usize::from(a.like) + usize::from(a.follow);
            }
            acts
        });
    });
    g.finish();
}

/// 20 000 active notes, a quarter of them at their stage quota.
fn review_notes(p: &Params) -> (Notes, Staging) {
    const N: usize = 20_000;
    let mut notes = Notes::default();
    let mut rng = stream(7, 0, 0, Purpose::Variant);
    let units = SimUnits::new(&p.feed, p.users_per_agent());
    let quota = units.stage_quotas.first().map_or(200, |&q| q.ceil() as u32);
    for n in 0..N {
        notes.author.push((n % 4000) as u32);
        notes.topic.push((n % 12) as u8);
        notes.quality.push(0.5);
        notes.appeal.push(0.5);
        notes.born.push(0);
        let imps = if n % 4 == 0 { quota + 10 } else { quota / 2 };
        let counters = NoteCounters { impressions: [imps, 0, 0].map(AtomicU32::new), ..NoteCounters::default() };
        counters.likes.store((unit(&mut rng) * f64::from(imps) * 0.2) as u32, std::sync::atomic::Ordering::Relaxed);
        notes.counters.push(counters);
    }
    let mut staging = Staging::default();
    staging.grow(&notes);
    (notes, staging)
}

fn ring_review(c: &mut Criterion) {
    let ps = params();
    let mut g = short(c, "ring_review");
    g.throughput(Throughput::Elements(20_000));
    for (name, p) in &ps {
        let (notes, staging) = review_notes(p);
        let units = SimUnits::new(&p.feed, p.users_per_agent());
        let name = format!("{name}_20k_notes");
        g.bench_function(name, |b| {
            b.iter_batched(
                || staging.clone(),
                |mut s| s.review(&notes, 0..notes.len(), &p.feed, &units, &p.engagement_weights, 3),
                BatchSize::LargeInput,
            );
        });
    }
    g.finish();
}

fn metrics(c: &mut Criterion) {
    const CREATORS: usize = 1_000_000;
    // Creator impressions: heavy-tailed, with ties at zero like a real tail.
    let values: Vec<f64> = weights(CREATORS).iter().map(|w| if *w < 0.3 { 0.0 } else { (w * 100.0).floor() }).collect();
    let mut g = c.benchmark_group("metrics_1m_creators");
    g.sample_size(10);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(3));
    g.throughput(Throughput::Elements(CREATORS as u64));
    g.bench_function("gini", |b| b.iter(|| gini(black_box(&values))));
    g.bench_function("top10_share", |b| b.iter(|| top_k_share(black_box(&values), 10)));
    g.bench_function("top1pct_share", |b| b.iter(|| top_fraction_share(black_box(&values), 0.01)));
    g.finish();
}

criterion_group!(benches, pool_draw, slate, choice, ring_review, metrics);
criterion_main!(benches);
