//! The accounting phase (phase 5 of the tick) and what it accumulates: each note's new
//! impressions, reads and acts since the last accounting, credited to its author, its
//! crowd ring, its follower tier and its institution; the tick's record; and at the end
//! the variant's creator rows and metrics.
//!
//! This is metric state, kept apart from the model's state: nothing the users or the
//! recommender decide reads it. A checkpoint saves it with the model state, so a resumed
//! run reports the same numbers.

use serde::{Deserialize, Serialize};

use crate::model::behaviour::journey::NOT_FOCAL;
use crate::model::content::{Notes, RINGS, Tally};
use crate::model::platform::rings::SAMPLE_USERS;
use crate::model::platform::{Sampled, Staging};
use crate::model::world::{FollowerTier, Segment, World};
use crate::observe::output::{CreatorRow, NoteRow, VariantOutput};
use crate::observe::record::{PhaseSeconds, TickRecord};
use crate::observe::{concentration, metrics, stats};
use crate::scenario::{ContentKind, Params};

/// What the accounting phase has measured so far in a variant.
#[derive(Debug, Serialize, Deserialize)]
pub struct Accumulators {
    /// Each note's counters as of the last accounting (deltas are credited to authors).
    pub credited: Vec<Tally>,
    /// Impressions × note age, by the viewer's true ring (mean age of reach per ring).
    pub ring_age_sum: [f64; RINGS],
    /// Impressions per tick (outer) of each institution (inner, as the institutions'
    /// ascending creator ids).
    pub institution_ticks: Vec<Vec<u64>>,
    /// Impressions per creator.
    pub creator_impressions: Vec<u64>,
    /// Reads per creator.
    pub creator_reads: Vec<u64>,
    /// Engagement acts per creator.
    pub creator_engagements: Vec<u64>,
    /// Notes posted per creator, reviews included (counted when they are posted).
    pub creator_notes: Vec<u64>,
    /// One record per tick run.
    pub records: Vec<TickRecord>,
    /// Wall-clock seconds per phase (perf only).
    pub phase_seconds: PhaseSeconds,
    /// Conversions per focal institution and segment, `focal × 16`.
    pub conversions: Vec<u64>,
    /// Impressions of each focal institution's notes by the viewer's true ring, `focal × 3`.
    pub focal_rings: Vec<u64>,
    /// Notes each focal institution posted (reviews by its advocates excluded).
    pub focal_notes: Vec<u64>,
}

/// What the accounting of one tick needs to know about the world and the tick.
pub struct TickContext<'a> {
    /// The notes and their live counters.
    pub notes: &'a Notes,
    /// Active notes this tick.
    pub active: std::ops::Range<usize>,
    /// The tick.
    pub tick: u32,
    /// Follower counts the weights saw this tick (platform units).
    pub followers: &'a [f64],
    /// Focal index of each creator, or [`NOT_FOCAL`].
    pub focal_of: &'a [u8],
    /// Institution creator ids, ascending.
    pub institutions: &'a [u32],
}

impl Accumulators {
    /// Nothing measured yet, for `creators` creators and `focal` focal institutions.
    pub fn new(creators: usize, focal: usize) -> Self {
        Accumulators {
            credited: Vec::new(),
            ring_age_sum: [0.0; RINGS],
            institution_ticks: Vec::new(),
            creator_impressions: vec![0; creators],
            creator_reads: vec![0; creators],
            creator_engagements: vec![0; creators],
            creator_notes: vec![0; creators],
            records: Vec::new(),
            phase_seconds: PhaseSeconds::default(),
            conversions: vec![0; focal * Segment::COUNT],
            focal_rings: vec![0; focal * RINGS],
            focal_notes: vec![0; focal],
        }
    }

    /// Counts the notes `posted` (a range of note ids) for their authors; reviews are
    /// counted where they are posted ([`Accumulators::count_review`]).
    pub fn count_posts(&mut self, notes: &Notes, posted: std::ops::Range<usize>, focal_of: &[u8]) {
        self.credited.resize(notes.len(), Tally::default());
        for n in posted {
            if notes.kind[n] != ContentKind::Review {
                let author = notes.author[n] as usize;
                self.creator_notes[author] += 1;
                if focal_of[author] != NOT_FOCAL {
                    self.focal_notes[focal_of[author] as usize] += 1;
                }
            }
        }
    }

    /// Counts a review posted for its author.
    pub fn count_review(&mut self, author: u32) {
        self.creator_notes[author as usize] += 1;
    }

    /// Credits every active note's counters since the last accounting and finishes the
    /// tick's record (`rec` comes with what the other phases measured).
    pub fn account(&mut self, cx: &TickContext, mut rec: TickRecord, world: &World, sampled: &Sampled) {
        let notes = cx.notes;
        let inst_row = cx.institutions.iter().map(|_| 0u64).collect::<Vec<_>>();
        self.institution_ticks.push(inst_row);
        for n in cx.active.clone() {
            let now = notes.counters[n].tally();
            let before = std::mem::replace(&mut self.credited[n], now);
            let author = notes.author[n] as usize;
            let age = f64::from(cx.tick - notes.born[n]);
            let own_focal = if notes.kind[n] == ContentKind::Review { NOT_FOCAL } else { cx.focal_of[author] };
            let mut delta = 0u64;
            for r in 0..RINGS {
                let d = u64::from(now.impressions[r] - before.impressions[r]);
                rec.ring_impressions[r] += d;
                self.ring_age_sum[r] += d as f64 * age;
                // The institution's own notes (its advocates' reviews are not its posts).
                if own_focal != NOT_FOCAL {
                    self.focal_rings[own_focal as usize * RINGS + r] += d;
                }
                delta += d;
            }
            self.creator_impressions[author] += delta;
            rec.impressions += delta;
            // The tier of the follower count the weights saw this tick.
            rec.tier_impressions[FollowerTier::of(cx.followers[author] as u64) as usize] += delta;
            let reads = u64::from(now.reads - before.reads);
            let engagements = now.engagements() - before.engagements();
            self.creator_reads[author] += reads;
            self.creator_engagements[author] += engagements;
            rec.reads += reads;
            rec.engagements += engagements;
            if let Ok(i) = cx.institutions.binary_search(&(author as u32)) {
                self.institution_ticks.last_mut().expect("pushed above")[i] += delta;
            }
        }
        let totals: Vec<f64> = self.creator_impressions.iter().map(|&x| x as f64).collect();
        rec.creator_impressions_gini = concentration::gini(&totals);
        rec.top10_share = concentration::top_k_share(&totals, 10);
        rec.interest_rank_corr = interest_rank_corr(world.users.count, sampled);
        self.records.push(rec);
    }

    /// The variant's outputs: a row per creator and the metrics of `summary.json`.
    /// `reached_stage` counts the notes that entered each stage after the first.
    pub fn into_output(
        self,
        name: &str,
        (world, params): (&World, &Params),
        notes_posted: u64,
        reached_stage: [u64; 2],
        followers_end: &[f64],
        notes: Vec<NoteRow>,
    ) -> VariantOutput {
        let creators = &world.creators;
        let rows: Vec<CreatorRow> = (0..creators.count)
            .map(|c| CreatorRow {
                variant: name.to_string(),
                creator: c as u32,
                group: creators.groups[creators.group[c] as usize].name.clone(),
                kind: creators.kind[c],
                followers_start: creators.followers[c],
                followers_end: followers_end[c].round() as u64,
                notes: self.creator_notes[c],
                impressions: self.creator_impressions[c],
                reads: self.creator_reads[c],
                engagements: self.creator_engagements[c],
            })
            .collect();
        let metrics = metrics::variant_metrics(&metrics::VariantTotals {
            ticks: &self.records,
            creators: &rows,
            notes: &notes,
            notes_posted,
            reached_stage,
            ring_age_sum: self.ring_age_sum,
            institution_ticks: &self.institution_ticks,
            spec: &params.metrics,
            focal: &params.journey.focal,
            conversions: &self.conversions,
            campaigns: &params.campaigns,
            users: (world.users.count as u64, params.users_per_agent()),
            focal_rings: &self.focal_rings,
            focal_notes: &self.focal_notes,
        });
        VariantOutput {
            name: name.to_string(),
            metrics,
            ticks: self.records,
            creators: rows,
            notes,
            topics: params.topics.iter().map(|t| t.name.clone()).collect(),
            phase_seconds: self.phase_seconds,
        }
    }
}

/// One row per note of a variant (`notes.csv`), from the notes' final counters and
/// stages: counters only grow and an inactive note gets no impressions, so the final
/// tallies are the run's totals.
pub fn note_rows(notes: &Notes, staging: &Staging) -> Vec<NoteRow> {
    (0..notes.len())
        .map(|n| {
            let t = notes.counters[n].tally();
            NoteRow {
                note: n as u32,
                author: notes.author[n],
                topic: notes.topic[n],
                kind: notes.kind[n],
                born: notes.born[n],
                quality: notes.quality[n],
                appeal: notes.appeal[n],
                impressions: t.total_impressions(),
                reads: t.reads,
                likes: t.likes,
                collects: t.collects,
                comments: t.comments,
                shares: t.shares,
                follows: t.follows,
                stage: staging.stage.get(n).copied().unwrap_or(0),
                stalled: staging.stalled.get(n).copied().unwrap_or(false),
            }
        })
        .collect()
}

/// Users between two sampled users of [`interest_rank_corr`] (a quarter of the ring
/// cut-offs' sample).
pub fn interest_sample_stride(users: usize) -> usize {
    users.div_ceil(SAMPLE_USERS / 4).max(1)
}

/// Mean Kendall tau-b between estimated and true interest rows of sampled users (of
/// `users` in all).
pub fn interest_rank_corr(users: usize, sampled: &Sampled) -> f64 {
    let t = sampled.topics;
    let stride = interest_sample_stride(users);
    let (mut sum, mut n) = (0.0, 0usize);
    let (mut est, mut truth) = (vec![0.0; t], vec![0.0; t]);
    for i in sampled.at_stride(stride) {
        let (e, x) = (sampled.estimate(i), sampled.interest(i));
        for k in 0..t {
            est[k] = f64::from(e[k]);
            truth[k] = f64::from(x[k]);
        }
        if let Some(tau) = stats::kendall_tau_b(&est, &truth) {
            sum += tau;
            n += 1;
        }
    }
    if n == 0 { 0.0 } else { sum / n as f64 }
}
