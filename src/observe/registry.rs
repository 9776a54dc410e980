//! The names a run reports under, in one place.
//!
//! - [`key`], [`HEADLINE`] and [`label`]: the headline metrics of the metric map (the keys of
//!   `summary.json`'s `metrics`) and their human labels, used by the HTML report and the
//!   tables the commands print;
//! - [`TICK_SERIES`] and [`TickRows`]: the per-tick series of `timeseries.csv`, in file
//!   order, and how each is read from a [`TickRecord`];
//! - [`series`]: the names of the series the report looks for.
//!
//! The CSV writer and the report both take their names from here, so a series cannot be
//! renamed in the file and keep its old name in the report (the report would silently
//! drop the chart). The metric map itself is built in [`crate::observe::metrics`], whose
//! keys are the ones [`HEADLINE`] lists.

use crate::model::behaviour::journey::{STAGE_NAMES, STAGES};
use crate::model::content::RINGS;
use crate::model::platform::CHANNELS;
use crate::model::world::FollowerTier;
use crate::observe::record::TickRecord;

/// Names of the crowd rings in outputs.
pub const RING_NAMES: [&str; RINGS] = ["core", "high_potential", "general"];

/// Keys of the headline metrics in the metric map: [`crate::observe::metrics`] inserts
/// them and [`HEADLINE`] labels them, so neither can be renamed without the other.
pub mod key {
    /// Impressions.
    pub const IMPRESSIONS: &str = "impressions";
    /// Reads per impression.
    pub const READ_RATE: &str = "read_rate";
    /// Gini of creators' impressions.
    pub const GINI: &str = "creator_impressions_gini";
    /// Share of impressions of the top 1 % of creators.
    pub const TOP1PCT_SHARE: &str = "top1pct_share";
    /// Share of impressions of the 10 most-seen creators.
    pub const TOP10_SHARE: &str = "top10_share";
    /// Slope of log reach on log followers at the start.
    pub const FOLLOWER_ELASTICITY: &str = "follower_elasticity";
    /// Share of impressions of institutions' notes.
    pub const INSTITUTION_SHARE: &str = "institution_share";
    /// Kendall tau between estimated and true interests, last tick.
    pub const INTEREST_LEARNED: &str = "interest_rank_corr";
    /// Share of the top institutions kept from window to window.
    pub const HEAD_TOP_KEPT: &str = "head_stability.top_kept";
    /// Family: share of impressions by follower tier, `tier_share.<tier>`.
    pub const TIER_SHARE: &str = "tier_share";
    /// Family: share of impressions by true crowd ring, `ring_share.<ring>`.
    pub const RING_SHARE: &str = "ring_share";
}

/// Headline metrics shown in tables and interval charts: (key, label). The family members
/// are spelt out: `concat!` takes literals only, not the [`key`] constants.
pub const HEADLINE: [(&str, &str); 12] = [
    (key::GINI, "creator Gini"),
    (key::TOP1PCT_SHARE, "top 1 % share"),
    (key::TOP10_SHARE, "top 10 share"),
    (key::FOLLOWER_ELASTICITY, "follower elasticity"),
    ("tier_share.head_ge_100k", "head (≥100k) share"),
    ("tier_share.waist_10k_100k", "waist (10k–100k) share"),
    (key::INSTITUTION_SHARE, "institutions' share"),
    ("ring_share.core", "core-crowd share"),
    (key::HEAD_TOP_KEPT, "top-10 inst. kept"),
    (key::READ_RATE, "reads / impression"),
    (key::INTEREST_LEARNED, "interest learned (tau)"),
    (key::IMPRESSIONS, "impressions"),
];

/// The label of a metric key (the key itself when it is not a headline metric).
pub fn label(key: &str) -> &str {
    HEADLINE.iter().find(|(k, _)| *k == key).map_or(key, |(_, l)| l)
}

/// Names of the per-tick series the report charts; families name `<family>.<member>`.
pub mod series {
    /// Gini of creators' cumulative impressions.
    pub const GINI: &str = "creator_impressions_gini";
    /// Mean Kendall tau between estimated and true interests.
    pub const INTEREST_LEARNING: &str = "interest_rank_corr";
    /// Family: impressions by creator follower tier.
    pub const TIERS: &str = "tier_impressions";
    /// Family: impressions by true crowd ring.
    pub const RINGS: &str = "ring_impressions";
    /// Family: users who have reached each 5A stage so far.
    pub const FUNNEL: &str = "funnel";
    /// Family: impressions by channel.
    pub const CHANNELS: &str = "channel_impressions";
}

/// How a per-tick series is read from a [`TickRecord`].
#[derive(Clone, Copy)]
pub enum TickRead {
    /// One value, named as the series.
    One(fn(&TickRecord) -> f64),
    /// A family: `count` values, member `i` named `<series>.<member(i)>`.
    Each {
        /// Members.
        count: usize,
        /// The name of member `i`.
        member: fn(usize) -> &'static str,
        /// The value of member `i`.
        value: fn(&TickRecord, usize) -> f64,
    },
    /// A family per 5A stage: the users who have reached the stage so far, summed over
    /// focal institutions. Cumulative, unlike the record's own per-tick entries, so it
    /// needs the records before it: [`TickRows`] keeps the running totals.
    Reached,
}

/// One series (or family of series) of `timeseries.csv`.
#[derive(Clone, Copy)]
pub struct TickSeries {
    /// The name, or the family's prefix (without the dot).
    pub name: &'static str,
    /// How its values are read.
    pub read: TickRead,
}

const fn one(name: &'static str, read: fn(&TickRecord) -> f64) -> TickSeries {
    TickSeries { name, read: TickRead::One(read) }
}

/// The series of `timeseries.csv`, in the order each tick's rows are written.
pub const TICK_SERIES: [TickSeries; 17] = [
    one("impressions", |r| r.impressions as f64),
    one("reads", |r| r.reads as f64),
    one("engagements", |r| r.engagements as f64),
    one("notes_posted", |r| r.notes_posted as f64),
    one("notes_in_pools", |r| r.notes_in_pools as f64),
    one("notes_promoted", |r| f64::from(r.promoted)),
    one("notes_stalled", |r| f64::from(r.stalled)),
    one(series::GINI, |r| r.creator_impressions_gini),
    one("top10_share", |r| r.top10_share),
    TickSeries {
        name: series::TIERS,
        read: TickRead::Each {
            count: FollowerTier::ALL.len(),
            member: |i| FollowerTier::ALL[i].as_str(),
            value: |r, i| r.tier_impressions[FollowerTier::ALL[i] as usize] as f64,
        },
    },
    TickSeries {
        name: series::RINGS,
        read: TickRead::Each { count: RINGS, member: |i| RING_NAMES[i], value: |r, i| r.ring_impressions[i] as f64 },
    },
    one(series::INTEREST_LEARNING, |r| r.interest_rank_corr),
    TickSeries {
        name: series::CHANNELS,
        read: TickRead::Each {
            count: CHANNELS.len(),
            member: |i| CHANNELS[i],
            value: |r, i| r.channel_impressions[i] as f64,
        },
    },
    one("promoted_impressions", |r| r.promoted_impressions as f64),
    one("out_of_ring_impressions", |r| r.out_of_ring_impressions as f64),
    TickSeries { name: series::FUNNEL, read: TickRead::Reached },
    one("read_interest", |r| r.read_interest),
];

/// Reads the rows of one variant's ticks, in tick order (the funnel is cumulative).
#[derive(Debug, Default)]
pub struct TickRows {
    /// Users who have entered each stage so far, `focal × STAGES`.
    reached: Vec<u64>,
}

impl TickRows {
    /// A reader for a variant's first tick.
    pub fn new() -> TickRows {
        TickRows::default()
    }

    /// Calls `row(name, value)` for every series of `r`, in [`TICK_SERIES`] order; call it
    /// once per tick, in tick order.
    pub fn read<E>(&mut self, r: &TickRecord, mut row: impl FnMut(&str, f64) -> Result<(), E>) -> Result<(), E> {
        self.reached.resize(r.funnel_entered.len(), 0);
        for (a, x) in self.reached.iter_mut().zip(&r.funnel_entered) {
            *a += x;
        }
        for s in &TICK_SERIES {
            match s.read {
                TickRead::One(value) => row(s.name, value(r))?,
                TickRead::Each { count, member, value } => {
                    for i in 0..count {
                        row(&format!("{}.{}", s.name, member(i)), value(r, i))?;
                    }
                }
                TickRead::Reached => {
                    let focal = r.focal_impressions.len();
                    for (st, stage) in STAGE_NAMES.iter().enumerate() {
                        let all: u64 = (0..focal).map(|f| self.reached[f * STAGES + st]).sum();
                        row(&format!("{}.{stage}", s.name), all as f64)?;
                    }
                }
            }
        }
        Ok(())
    }
}
