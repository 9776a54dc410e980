//! What a run produced: the result structs. Their `Serialize` derive is the documented
//! schema of `summary.json`, `creators.csv` and `perf.json`; the writers live in
//! [`crate::io::run_folder`].

use serde::Serialize;

use crate::observe::record::{PhaseSeconds, TickRecord};
use crate::scenario::Scenario;

/// Named metrics of one variant, sorted by name.
pub type MetricMap = std::collections::BTreeMap<String, f64>;

/// One creator's totals in one variant (a row of `creators.csv`).
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct CreatorRow {
    /// Variant name.
    pub variant: String,
    /// Creator id.
    pub creator: u32,
    /// Scenario group name.
    pub group: String,
    /// Account kind.
    pub kind: crate::scenario::CreatorKind,
    /// Followers at the start (platform scale).
    pub followers_start: u64,
    /// Followers at the end (platform scale).
    pub followers_end: u64,
    /// Notes posted.
    pub notes: u64,
    /// Impressions received.
    pub impressions: u64,
    /// Reads received.
    pub reads: u64,
    /// Engagement acts received.
    pub engagements: u64,
}

/// One note's totals in one variant (a row of `notes.csv`): who posted it, what it is,
/// and what the variant's users did with it. Reviews posted by advocates are notes too.
/// Plain numbers (56 B, no strings): a run keeps one per note and variant until it
/// writes them; the writer adds the variant's and the topic's names.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct NoteRow {
    /// Note id (posting order; the same note has the same id in every variant, reviews
    /// aside, which depend on the variant's conversions).
    pub note: u32,
    /// Author creator id (as in `creators.csv`).
    pub author: u32,
    /// Topic id (index into the scenario's topics).
    pub topic: u8,
    /// Content kind.
    pub kind: crate::scenario::ContentKind,
    /// The highest distribution stage the note reached (0 = the first).
    pub stage: u8,
    /// Whether a review stalled it (it got no more feed traffic after).
    pub stalled: bool,
    /// Tick the note was posted.
    pub born: u32,
    /// Latent quality in [0, 1].
    pub quality: f32,
    /// Cover appeal in [0, 1].
    pub appeal: f32,
    /// Impressions, all rings and channels.
    pub impressions: u64,
    /// Reads (two-column clicks, single-column completions).
    pub reads: u32,
    /// Likes.
    pub likes: u32,
    /// Collects.
    pub collects: u32,
    /// Comments.
    pub comments: u32,
    /// Shares.
    pub shares: u32,
    /// Follows of the author from this note.
    pub follows: u32,
}

/// A row of `notes.csv` as written: a [`NoteRow`] with its variant's and topic's names,
/// the columns in file order.
#[derive(Debug, Serialize)]
pub struct NoteCsvRow<'a> {
    /// Variant name.
    pub variant: &'a str,
    /// Note id.
    pub note: u32,
    /// Author creator id.
    pub author: u32,
    /// Topic name.
    pub topic: &'a str,
    /// Content kind.
    pub kind: crate::scenario::ContentKind,
    /// Tick posted.
    pub born: u32,
    /// Quality.
    pub quality: f32,
    /// Cover appeal.
    pub appeal: f32,
    /// Impressions.
    pub impressions: u64,
    /// Reads.
    pub reads: u32,
    /// Likes.
    pub likes: u32,
    /// Collects.
    pub collects: u32,
    /// Comments.
    pub comments: u32,
    /// Shares.
    pub shares: u32,
    /// Follows.
    pub follows: u32,
    /// Highest stage reached.
    pub stage: u8,
    /// Stalled by a review.
    pub stalled: bool,
}

impl<'a> NoteCsvRow<'a> {
    /// The written row of `n` in `variant`, its topic named from `topics`.
    pub fn of(variant: &'a str, topics: &'a [String], n: &NoteRow) -> Self {
        NoteCsvRow {
            variant,
            note: n.note,
            author: n.author,
            topic: topics.get(n.topic as usize).map_or("", String::as_str),
            kind: n.kind,
            born: n.born,
            quality: n.quality,
            appeal: n.appeal,
            impressions: n.impressions,
            reads: n.reads,
            likes: n.likes,
            collects: n.collects,
            comments: n.comments,
            shares: n.shares,
            follows: n.follows,
            stage: n.stage,
            stalled: n.stalled,
        }
    }
}

impl NoteRow {
    /// The note's count that `metrics.success` names.
    pub fn success(&self, what: crate::scenario::ItemCount) -> u64 {
        use crate::scenario::ItemCount as S;
        match what {
            S::Impressions => self.impressions,
            S::Reads => u64::from(self.reads),
            S::Likes => u64::from(self.likes),
            S::Collects => u64::from(self.collects),
            S::Comments => u64::from(self.comments),
            S::Shares => u64::from(self.shares),
            S::Follows => u64::from(self.follows),
        }
    }
}

/// A finished variant.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct VariantOutput {
    /// Variant name.
    pub name: String,
    /// Headline metrics.
    pub metrics: MetricMap,
    /// Per-tick records.
    pub ticks: Vec<TickRecord>,
    /// Per-creator rows.
    pub creators: Vec<CreatorRow>,
    /// Per-note rows.
    #[serde(default)]
    pub notes: Vec<NoteRow>,
    /// Topic names, by topic id (for the rows' topics).
    #[serde(default)]
    pub topics: Vec<String>,
    /// Wall-clock seconds per tick phase (perf only).
    pub phase_seconds: PhaseSeconds,
}

/// The `summary.json` document.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Scenario name.
    pub scenario: String,
    /// Master seed.
    pub seed: u64,
    /// feedsim version that produced it.
    pub feedsim_version: &'static str,
    /// Simulated users.
    pub users: u32,
    /// Ticks requested per variant.
    pub ticks: u32,
    /// True when the run was interrupted before all ticks finished.
    pub partial: bool,
    /// Per-variant metrics, in scenario order.
    pub variants: Vec<VariantSummary>,
}

/// A variant's entry in `summary.json`.
#[derive(Debug, Clone, Serialize)]
pub struct VariantSummary {
    /// Variant name.
    pub name: String,
    /// Metric name → value.
    pub metrics: MetricMap,
}

/// The `perf.json` document: how fast and how big the run was.
#[derive(Debug, Clone, Serialize)]
pub struct Perf {
    /// Wall-clock seconds, world building included.
    pub wall_seconds: f64,
    /// Impressions over all variants.
    pub impressions: u64,
    /// Impressions per wall-clock second.
    pub impressions_per_second: f64,
    /// Peak resident memory of the process (VmHWM), bytes; 0 where unknown.
    pub peak_rss_bytes: u64,
    /// Worker threads.
    pub threads: usize,
    /// Simulated users.
    pub users: u32,
    /// Ticks per variant.
    pub ticks: u32,
    /// Variants run.
    pub variants: usize,
    /// Bytes held by the world's arrays.
    pub world_bytes: usize,
    /// Seconds per tick phase, summed over variants (world building excluded).
    pub phase_seconds: PhaseSeconds,
    /// MPI ranks the users were split over (1 without MPI); the other figures are
    /// rank 0's.
    pub ranks: usize,
    /// Payload bytes rank 0 contributed to the ranks' collectives, per tick run (0 on
    /// one rank).
    pub bytes_exchanged_per_tick: u64,
    /// The same figure for every rank, in rank order (`[0]` on one rank).
    pub bytes_exchanged_per_tick_by_rank: Vec<u64>,
}

/// Everything a run produced.
#[derive(Debug, Clone)]
pub struct RunOutput {
    /// The summary document.
    pub summary: Summary,
    /// Variants in order.
    pub variants: Vec<VariantOutput>,
    /// Performance figures.
    pub perf: Perf,
}

impl RunOutput {
    /// Assembles outputs after a run.
    pub fn new(
        scenario: &Scenario,
        variants: Vec<VariantOutput>,
        wall_seconds: f64,
        threads: usize,
        world_bytes: usize,
        partial: bool,
    ) -> RunOutput {
        let p = scenario.world_params();
        let impressions: u64 =
            variants.iter().map(|v| v.metrics.get("impressions").copied().unwrap_or(0.0) as u64).sum();
        let summary = Summary {
            scenario: scenario.name.clone(),
            seed: scenario.seed,
            feedsim_version: env!("CARGO_PKG_VERSION"),
            users: p.world.users,
            ticks: p.ticks,
            partial: partial || variants.len() < scenario.variants.len(),
            variants: variants
                .iter()
                .map(|v| VariantSummary { name: v.name.clone(), metrics: v.metrics.clone() })
                .collect(),
        };
        let perf = Perf {
            wall_seconds,
            impressions,
            impressions_per_second: if wall_seconds > 0.0 { impressions as f64 / wall_seconds } else { 0.0 },
            peak_rss_bytes: peak_rss_bytes(),
            threads,
            users: p.world.users,
            ticks: p.ticks,
            variants: variants.len(),
            world_bytes,
            phase_seconds: variants.iter().fold(PhaseSeconds::default(), |mut acc, v| {
                acc.add(&v.phase_seconds);
                acc
            }),
            ranks: 1,
            bytes_exchanged_per_tick: 0,
            bytes_exchanged_per_tick_by_rank: vec![0],
        };
        RunOutput { summary, variants, perf }
    }
}

/// Peak resident set size of this process from `/proc/self/status` (0 elsewhere).
pub fn peak_rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}
