//! Metrics: every measure defined once, with its formula in its module.
//!
//! - [`concentration`]: Gini, HHI, top-k and top-fraction shares, Lorenz curves.
//! - [`stats`]: means with Student-t intervals, paired differences, Kendall tau, slopes.
//!
//! [`variant_metrics`] turns a finished variant's records into the flat, named map that
//! `summary.json` carries. Every value is finite: degenerate data gives the documented
//! value of the function that computes it.

pub mod concentration;
pub mod stats;

use std::collections::BTreeMap;

use crate::content::RINGS;
use crate::engine::TickRecord;
use crate::report::CreatorRow;
use crate::scenario::Params;
use crate::world::FollowerTier;

/// Named metrics of one variant, sorted by name.
pub type MetricMap = BTreeMap<String, f64>;

/// Names of the crowd rings in outputs.
pub const RING_NAMES: [&str; RINGS] = ["core", "high_potential", "general"];

fn share(part: f64, whole: f64) -> f64 {
    if whole > 0.0 { part / whole } else { 0.0 }
}

/// The headline metrics of a finished variant.
pub fn variant_metrics(
    ticks: &[TickRecord],
    creators: &[CreatorRow],
    notes_posted: u64,
    reached_stage: [u64; 2],
    ticks_done: u32,
    _params: &Params,
) -> MetricMap {
    let mut m = MetricMap::new();
    let imps: Vec<f64> = creators.iter().map(|c| c.impressions as f64).collect();
    let total: f64 = imps.iter().sum();
    m.insert("impressions".into(), total);
    let reads: u64 = creators.iter().map(|c| c.reads).sum();
    let engagements: u64 = creators.iter().map(|c| c.engagements).sum();
    m.insert("reads".into(), reads as f64);
    m.insert("engagements".into(), engagements as f64);
    m.insert("read_rate".into(), share(reads as f64, total));
    m.insert("engagements_per_1000_impressions".into(), 1000.0 * share(engagements as f64, total));
    m.insert("creator_impressions_gini".into(), concentration::gini(&imps));
    m.insert("top1pct_share".into(), concentration::top_fraction_share(&imps, 0.01));
    m.insert("top10_share".into(), concentration::top_k_share(&imps, 10));
    m.insert("hhi".into(), concentration::hhi(&imps));
    let mut tiers = [0.0f64; 4];
    for c in creators {
        tiers[FollowerTier::of(c.followers_start) as usize] += c.impressions as f64;
    }
    for tier in FollowerTier::ALL {
        m.insert(format!("tier_share.{}", tier.as_str()), share(tiers[tier as usize], total));
    }
    let inst: f64 =
        creators.iter().filter(|c| matches!(c.kind, "bank" | "broker" | "fund")).map(|c| c.impressions as f64).sum();
    m.insert("institution_share".into(), share(inst, total));
    let mut rings = [0u64; RINGS];
    for r in ticks {
        for (a, x) in rings.iter_mut().zip(r.ring_impressions) {
            *a += x;
        }
    }
    let ring_total: u64 = rings.iter().sum();
    for (i, name) in RING_NAMES.iter().enumerate() {
        m.insert(format!("ring_share.{name}"), share(rings[i] as f64, ring_total as f64));
    }
    m.insert("notes_posted".into(), notes_posted as f64);
    m.insert("notes_promoted_share.stage1".into(), share(reached_stage[0] as f64, notes_posted as f64));
    m.insert("notes_promoted_share.stage2".into(), share(reached_stage[1] as f64, notes_posted as f64));
    let last = ticks.last();
    m.insert("interest_rank_corr".into(), last.map_or(0.0, |r| r.interest_rank_corr));
    let reads_w: f64 = ticks.iter().map(|r| r.read_interest * r.reads as f64).sum();
    m.insert("read_interest".into(), share(reads_w, ticks.iter().map(|r| r.reads as f64).sum()));
    m.insert("ticks".into(), f64::from(ticks_done));
    m
}
