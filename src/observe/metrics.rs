//! Metrics: every measure defined once, with its formula in its module.
//!
//! - [`concentration`]: Gini, HHI, top-k and top-fraction shares, Lorenz curves.
//! - [`stats`]: means with Student-t intervals, paired differences, Kendall tau, slopes.
//!
//! [`variant_metrics`] turns a finished variant's records into the flat, named map that
//! `summary.json` carries. Every value is finite: degenerate data gives the documented
//! value of the function that computes it.

use crate::model::behaviour::journey;
use crate::model::content::RINGS;
use crate::model::platform::CHANNELS;
use crate::model::world::FollowerTier;
use crate::observe::output::{CreatorRow, NoteRow};
use crate::observe::record::TickRecord;
use crate::observe::registry::key;
use crate::observe::{concentration, stats};
use crate::scenario::{CampaignSpec, MetricsSpec, SegmentFilter};

pub use crate::observe::output::MetricMap;

// The ring names are output names: they live with the other names in the registry.
pub use crate::observe::registry::RING_NAMES;

fn share(part: f64, whole: f64) -> f64 {
    if whole > 0.0 { part / whole } else { 0.0 }
}

/// What a finished variant hands to [`variant_metrics`].
pub struct VariantTotals<'a> {
    /// Per-tick records.
    pub ticks: &'a [TickRecord],
    /// Per-creator totals.
    pub creators: &'a [CreatorRow],
    /// Per-note totals.
    pub notes: &'a [NoteRow],
    /// Notes posted.
    pub notes_posted: u64,
    /// Notes that reached stage 1 and stage 2.
    pub reached_stage: [u64; 2],
    /// Impressions × note age per true crowd ring.
    pub ring_age_sum: [f64; RINGS],
    /// Impressions per tick of each institution.
    pub institution_ticks: &'a [Vec<u64>],
    /// Window settings.
    pub spec: &'a MetricsSpec,
    /// Names of the focal institutions (journeys).
    pub focal: &'a [String],
    /// Conversions per focal institution and segment, `focal × 16`.
    pub conversions: &'a [u64],
    /// The scenario's campaigns.
    pub campaigns: &'a [CampaignSpec],
    /// Simulated users, and the real users each stands for (`platform_users / users`).
    pub users: (u64, f64),
    /// Impressions of each focal institution's notes by true crowd ring, `focal × 3`.
    pub focal_rings: &'a [u64],
    /// Notes each focal institution posted.
    pub focal_notes: &'a [u64],
}

/// The headline metrics of a finished variant.
///
/// Beyond concentration (see [`concentration`]):
/// - `follower_elasticity`: OLS slope of ln(1 + impressions) on ln(1 + followers at the
///   start) across creators (S3: lower means reach depends less on followers); 0 if
///   undefined. The start counts, not the current ones the weights use: followers gained
///   during the run are caused by the reach being measured, and would read reach →
///   followers as followers → reach (with them the slope grew from 0.45 to 0.53 between
///   20 k and 80 k users on the two-column feed, as follows got finer-grained).
/// - `tier_share.<tier>`: share of impressions by the author's follower tier at the tick
///   of the impression.
/// - `ring_mean_age.<ring>`: mean note age (ticks since posting) of impressions in each
///   true crowd ring; an anti-funnel reaches the core young and the general crowd late (S6).
/// - `head_stability.top_kept`: mean share of the top-`head_institutions` institutions (by
///   window reach) still in the top in the next window (S4), from the first window on.
/// - `head_stability.top_kept_chance`: the same statistic's expectation when each window's
///   reach is re-ranked at random among the institutions, `head / institutions` (two
///   random k-subsets of N share k²/N members on average); `head_stability.top_kept_beyond_chance`
///   is `top_kept` minus it, the head's stability beyond chance (C2).
/// - `head_stability.kendall_tau`: mean Kendall tau-b of institutions' window reach
///   between consecutive windows.
/// - `volatility.head_cv` and `volatility.rest_cv`: mean coefficient of variation of
///   window reach of the top institutions (by total reach) and of all others (waist and
///   tail, S4).
pub fn variant_metrics(v: &VariantTotals) -> MetricMap {
    let mut m = MetricMap::new();
    let (ticks, creators) = (v.ticks, v.creators);
    let imps: Vec<f64> = creators.iter().map(|c| c.impressions as f64).collect();
    let total: f64 = imps.iter().sum();
    m.insert(key::IMPRESSIONS.into(), total);
    let reads: u64 = creators.iter().map(|c| c.reads).sum();
    let engagements: u64 = creators.iter().map(|c| c.engagements).sum();
    m.insert("reads".into(), reads as f64);
    m.insert("engagements".into(), engagements as f64);
    m.insert(key::READ_RATE.into(), share(reads as f64, total));
    m.insert("engagements_per_1000_impressions".into(), 1000.0 * share(engagements as f64, total));
    m.insert(key::GINI.into(), concentration::gini(&imps));
    m.insert(key::TOP1PCT_SHARE.into(), concentration::top_fraction_share(&imps, 0.01));
    m.insert(key::TOP10_SHARE.into(), concentration::top_k_share(&imps, 10));
    m.insert("hhi".into(), concentration::hhi(&imps));
    let log_f: Vec<f64> = creators.iter().map(|c| (1.0 + c.followers_start as f64).ln()).collect();
    let log_r: Vec<f64> = imps.iter().map(|x| (1.0 + x).ln()).collect();
    m.insert(key::FOLLOWER_ELASTICITY.into(), stats::ols_slope(&log_f, &log_r).unwrap_or(0.0));
    let mut tiers = [0.0f64; 4];
    for r in ticks {
        for (a, x) in tiers.iter_mut().zip(r.tier_impressions) {
            *a += x as f64;
        }
    }
    for tier in FollowerTier::ALL {
        m.insert(format!("{}.{}", key::TIER_SHARE, tier.as_str()), share(tiers[tier as usize], total));
    }
    let inst: f64 = creators.iter().filter(|c| c.kind.is_institution()).map(|c| c.impressions as f64).sum();
    m.insert(key::INSTITUTION_SHARE.into(), share(inst, total));
    let mut rings = [0u64; RINGS];
    for r in ticks {
        for (a, x) in rings.iter_mut().zip(r.ring_impressions) {
            *a += x;
        }
    }
    let ring_total: u64 = rings.iter().sum();
    for (i, name) in RING_NAMES.iter().enumerate() {
        m.insert(format!("{}.{name}", key::RING_SHARE), share(rings[i] as f64, ring_total as f64));
        m.insert(format!("ring_mean_age.{name}"), share(v.ring_age_sum[i], rings[i] as f64));
    }
    m.insert("notes_posted".into(), v.notes_posted as f64);
    m.insert("notes_promoted_share.stage1".into(), share(v.reached_stage[0] as f64, v.notes_posted as f64));
    m.insert("notes_promoted_share.stage2".into(), share(v.reached_stage[1] as f64, v.notes_posted as f64));
    let last = ticks.last();
    m.insert(key::INTEREST_LEARNED.into(), last.map_or(0.0, |r| r.interest_rank_corr));
    let mean_corr = share(ticks.iter().map(|r| r.interest_rank_corr).sum(), ticks.len() as f64);
    m.insert("interest_rank_corr_mean".into(), mean_corr);
    let reads_w: f64 = ticks.iter().map(|r| r.read_interest * r.reads as f64).sum();
    m.insert("read_interest".into(), share(reads_w, ticks.iter().map(|r| r.reads as f64).sum()));
    head_stability(v.institution_ticks, v.spec, &mut m);
    channels_and_journeys(v, total, &mut m);
    in_platform_units(v.users, &mut m);
    if let Some(what) = v.spec.success {
        item_success(v.notes, what, &mut m);
    }
    m.insert("ticks".into(), ticks.len() as f64);
    m
}

/// Concentration of success over the items that exist (`metrics.success`): every note of
/// the variant, reviews included, and nothing else (a creator who never posts is not an
/// item):
/// - `success.items`: notes; `success.total`: their summed success count;
/// - `success.gini`, `success.hhi`, `success.top10_share`, `success.top1pct_share`: as the
///   creator metrics, over the notes' success counts.
pub fn item_success(notes: &[NoteRow], what: crate::scenario::ItemCount, m: &mut MetricMap) {
    let x: Vec<f64> = notes.iter().map(|n| n.success(what) as f64).collect();
    m.insert("success.items".into(), x.len() as f64);
    m.insert("success.total".into(), x.iter().sum());
    m.insert("success.gini".into(), concentration::gini(&x));
    m.insert("success.hhi".into(), concentration::hhi(&x));
    m.insert("success.top10_share".into(), concentration::top_k_share(&x, 10));
    m.insert("success.top1pct_share".into(), concentration::top_fraction_share(&x, 0.01));
}

/// Counts of simulated users' acts in platform units, and journeys as shares of users:
/// - `platform.<count>`: the count × `platform_users / users` (real users' impressions,
///   reads, engagements, conversions and 5A stage entries);
/// - `user_share.conversions.<focal>` and `user_share.funnel.<focal>.<stage>`: the count
///   over the simulated users, the share of the platform's users it stands for.
fn in_platform_units((users, per_user): (u64, f64), m: &mut MetricMap) {
    let counts: Vec<(String, f64)> = m
        .iter()
        .filter(|(k, _)| {
            matches!(k.as_str(), "impressions" | "reads" | "engagements" | "conversions")
                || k.starts_with("conversions.")
                || k.starts_with("funnel.")
        })
        .map(|(k, &x)| (k.clone(), x))
        .collect();
    for (k, x) in counts {
        m.insert(format!("platform.{k}"), x * per_user);
        if k.starts_with("conversions.") || k.starts_with("funnel.") {
            m.insert(format!("user_share.{k}"), share(x, users as f64));
        }
    }
}

/// Impressions by channel, and per focal institution the 5A funnel and conversions.
///
/// - `channel_share.<channel>`: share of impressions through feed, search, share, follow;
/// - `out_of_ring_share`: share of impressions, through search, shares and follows,
///   outside the crowd rings the note's stage had reached (feed slots, promoted ones
///   included, are not counted);
/// - `funnel.<focal>.<stage>`: users who reached each 5A stage (S7);
/// - `conversions.<focal>` and `conversions_per_1000_impressions.<focal>` (per 1,000
///   impressions of the institution's notes);
/// - `decisions`, and all focal institutions' conversions per 1,000 of their notes'
///   impressions (`conversions_per_1000_focal_impressions`), of their notes' reads
///   (`conversions_per_1000_focal_reads`) and of users' decisions
///   (`conversions_per_1000_decisions`);
/// - `segment_conversions.<focal>`: conversions in `metrics.segment`, when set;
/// - `target_share.<focal>`: share of the impressions of the institution's own notes that
///   reach its target users, the core and high-potential crowds of each note's topic
///   (S3, C6); its advocates' reviews are not its notes and count in neither part;
/// - `target_impressions_per_note.<focal>`: those impressions per note it posted;
/// - `campaign.<name>.target_conversions`: conversions of the campaign group's journey in
///   the campaign's target segment (everyone when untargeted).
fn channels_and_journeys(v: &VariantTotals, total: f64, m: &mut MetricMap) {
    let mut channels = [0u64; 4];
    let (mut promoted, mut out_of_ring) = (0u64, 0u64);
    let focal = v.focal.len();
    let mut entered = vec![0u64; focal * journey::STAGES];
    let mut focal_imps = vec![0u64; focal];
    let mut focal_reads = vec![0u64; focal];
    let mut decisions = 0u64;
    for r in v.ticks {
        decisions += r.decisions;
        for (a, x) in channels.iter_mut().zip(r.channel_impressions) {
            *a += x;
        }
        promoted += r.promoted_impressions;
        out_of_ring += r.out_of_ring_impressions;
        for (a, x) in entered.iter_mut().zip(&r.funnel_entered) {
            *a += x;
        }
        for (a, x) in focal_imps.iter_mut().zip(&r.focal_impressions) {
            *a += x;
        }
        for (a, x) in focal_reads.iter_mut().zip(&r.focal_reads) {
            *a += x;
        }
    }
    m.insert("decisions".into(), decisions as f64);
    for (name, x) in CHANNELS.iter().zip(channels) {
        m.insert(format!("impressions_by_channel.{name}"), x as f64);
        m.insert(format!("channel_share.{name}"), share(x as f64, total));
    }
    m.insert("promoted_impressions".into(), promoted as f64);
    m.insert("out_of_ring_share".into(), share(out_of_ring as f64, total));
    let segments = crate::model::world::Segment::COUNT;
    let mut all_conversions = 0u64;
    let mut all_focal_imps = 0u64;
    for (f, name) in v.focal.iter().enumerate() {
        // A user who skips a stage in one read never does: counts are cumulative entries.
        for (s, stage) in journey::STAGE_NAMES.iter().enumerate() {
            m.insert(format!("funnel.{name}.{stage}"), entered[f * journey::STAGES + s] as f64);
        }
        let conv: u64 = v.conversions[f * segments..(f + 1) * segments].iter().sum();
        all_conversions += conv;
        all_focal_imps += focal_imps[f];
        m.insert(format!("conversions.{name}"), conv as f64);
        m.insert(format!("conversions_per_1000_impressions.{name}"), 1000.0 * share(conv as f64, focal_imps[f] as f64));
        let rings = &v.focal_rings[f * RINGS..(f + 1) * RINGS];
        let target = (rings[0] + rings[1]) as f64;
        m.insert(format!("target_share.{name}"), share(target, rings.iter().sum::<u64>() as f64));
        m.insert(format!("target_impressions_per_note.{name}"), share(target, v.focal_notes[f] as f64));
        if let Some(seg) = &v.spec.segment {
            let c = in_segment(&v.conversions[f * segments..(f + 1) * segments], seg);
            m.insert(format!("segment_conversions.{name}"), c as f64);
        }
    }
    m.insert("conversions".into(), all_conversions as f64);
    // Conversions per unit of attention, three ways (C4): per impression of a focal
    // note, per read of one, and per decision users made (a decision is a K-cover slate
    // on the grid but one video full-screen, so per impression and per decision differ).
    let all_focal_reads: u64 = focal_reads.iter().sum();
    m.insert(
        "conversions_per_1000_focal_impressions".into(),
        1000.0 * share(all_conversions as f64, all_focal_imps as f64),
    );
    m.insert("conversions_per_1000_focal_reads".into(), 1000.0 * share(all_conversions as f64, all_focal_reads as f64));
    m.insert("conversions_per_1000_decisions".into(), 1000.0 * share(all_conversions as f64, decisions as f64));
    for c in v.campaigns {
        if let Some(f) = v.focal.iter().position(|n| n == &c.group) {
            let any = SegmentFilter::default();
            let conv = in_segment(&v.conversions[f * segments..(f + 1) * segments], c.target.as_ref().unwrap_or(&any));
            m.insert(format!("campaign.{}.target_conversions", c.name), conv as f64);
        }
    }
}

/// Sum over the segments a filter admits.
fn in_segment(per_segment: &[u64], filter: &SegmentFilter) -> u64 {
    per_segment
        .iter()
        .enumerate()
        .filter(|(s, _)| crate::model::world::segment_matches(filter, crate::model::world::Segment(*s as u8)))
        .map(|(_, &x)| x)
        .sum()
}

/// Stability of the institutions' head across windows of ticks (S4).
fn head_stability(per_tick: &[Vec<u64>], spec: &MetricsSpec, m: &mut MetricMap) {
    let width = spec.window_ticks.max(1) as usize;
    let institutions = per_tick.first().map_or(0, Vec::len);
    // Full windows only, so every window's reach is comparable.
    let windows: Vec<Vec<f64>> = per_tick
        .chunks_exact(width)
        .map(|w| (0..institutions).map(|i| w.iter().map(|t| t[i] as f64).sum()).collect())
        .collect();
    let head = (spec.head_institutions as usize).min(institutions);
    let top = |reach: &[f64]| -> Vec<usize> {
        let mut idx: Vec<usize> = (0..reach.len()).collect();
        // Ties broken by id so the ranking is deterministic.
        idx.sort_by(|&a, &b| reach[b].total_cmp(&reach[a]).then(a.cmp(&b)));
        idx.truncate(head);
        idx
    };
    let pairs: Vec<(&Vec<f64>, &Vec<f64>)> = windows.iter().zip(windows.iter().skip(1)).collect();
    let kept: Vec<f64> = pairs
        .iter()
        .map(|(a, b)| {
            let (ta, tb) = (top(a), top(b));
            share(ta.iter().filter(|i| tb.contains(i)).count() as f64, head as f64)
        })
        .collect();
    let taus: Vec<f64> = pairs.iter().filter_map(|(a, b)| stats::kendall_tau_b(a, b)).collect();
    let top_kept = share(kept.iter().sum(), kept.len() as f64);
    let null = share(head as f64, institutions as f64);
    m.insert(key::HEAD_TOP_KEPT.into(), top_kept);
    m.insert("head_stability.top_kept_chance".into(), null);
    m.insert("head_stability.top_kept_beyond_chance".into(), top_kept - null);
    m.insert("head_stability.kendall_tau".into(), share(taus.iter().sum(), taus.len() as f64));
    let totals: Vec<f64> = (0..institutions).map(|i| windows.iter().map(|w| w[i]).sum()).collect();
    let head_set = top(&totals);
    let cv_of = |i: usize| {
        let series: Vec<f64> = windows.iter().map(|w| w[i]).collect();
        stats::coefficient_of_variation(&series)
    };
    let mean_cv = |ids: &mut dyn Iterator<Item = usize>| {
        let cvs: Vec<f64> = ids.filter_map(cv_of).collect();
        share(cvs.iter().sum(), cvs.len() as f64)
    };
    m.insert("volatility.head_cv".into(), mean_cv(&mut head_set.iter().copied()));
    m.insert("volatility.rest_cv".into(), mean_cv(&mut (0..institutions).filter(|i| !head_set.contains(i))));
}
