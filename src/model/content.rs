//! Notes (the items of a feed) and how creators post them.
//!
//! Posting draws from each creator's (seed, tick) stream and reads nothing a feed
//! changes, so every variant of a scenario sees exactly the same notes: differences
//! between variants come from distribution alone (common random numbers).
//!
//! Counters are integers, so their totals do not depend on the order of increments.
//! During the user phase each worker thread counts in its own [`LocalCounts`], added to
//! the notes' atomic counters after the phase. Nobody reads them while users act: the
//! feed reads a snapshot taken at the tick's start.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};

use rand_distr::{Distribution, Normal, Poisson};
use serde::{Deserialize, Serialize};

use crate::model::world::Creators;
use crate::rng::{Purpose, stream, unit};
use crate::scenario::{ContentKind, EngagementWeights, Params};

/// Crowd rings of a topic, innermost first (S6).
pub const RINGS: usize = 3;

/// Engagement counters of one note, updated concurrently during a tick.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct NoteCounters {
    /// Impressions by the viewer's true crowd ring for the note's topic.
    pub impressions: [AtomicU32; RINGS],
    /// Reads (two-column click) or completions (single-column).
    pub reads: AtomicU32,
    /// Likes.
    pub likes: AtomicU32,
    /// Collects (saves).
    pub collects: AtomicU32,
    /// Comments.
    pub comments: AtomicU32,
    /// Shares.
    pub shares: AtomicU32,
    /// Follows of the author gained from this note.
    pub follows: AtomicU32,
    /// Feed slots of the note whose outcome the recommender observed.
    pub observed: AtomicU32,
    /// Of those, the ones it observed as positive (chosen, or seen as completed).
    pub positives: AtomicU32,
    /// The responses' chances summed over the note's impressions, in [`CHANCE_UNIT`]s, in
    /// [`EXPECTED`] order: what the real users a simulated user stands for do, besides
    /// the one whose act was drawn ([`crate::model::platform::SimUnits::observed`]).
    pub expected: [AtomicU64; EXPECTED],
}

/// How many expected counts a note has.
pub const EXPECTED: usize = 3;
/// Index of the expected engagement score (CES) in [`NoteCounters::expected`].
pub const EXPECTED_ENGAGEMENT: usize = 0;
/// Index of the expected positive signals (of observed feed slots).
pub const EXPECTED_POSITIVES: usize = 1;
/// Index of the expected count covers show (`feed.count_shown`).
pub const EXPECTED_SHOWN: usize = 2;

/// A plain copy of a note's counters.
#[derive(Debug, Default, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Tally {
    /// Impressions by ring.
    pub impressions: [u32; RINGS],
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
    /// Feed slots observed by the recommender.
    pub observed: u32,
    /// Observed positive signals.
    pub positives: u32,
    /// The expected counts, in [`EXPECTED`] order (as counts, not [`CHANCE_UNIT`]s).
    pub expected: [f64; EXPECTED],
}

impl Tally {
    /// All impressions.
    pub fn total_impressions(&self) -> u64 {
        self.impressions.iter().map(|&x| u64::from(x)).sum()
    }
    /// Engagement score (CES) with the scenario's weights.
    pub fn engagement_score(&self, w: &EngagementWeights) -> f64 {
        w.like * f64::from(self.likes)
            + w.collect * f64::from(self.collects)
            + w.comment * f64::from(self.comments)
            + w.share * f64::from(self.shares)
            + w.follow * f64::from(self.follows)
    }
    /// One of the counts, as `metrics.success` and `feed.count_shown` name them.
    pub fn count(&self, what: crate::scenario::ItemCount) -> u64 {
        use crate::scenario::ItemCount as C;
        match what {
            C::Impressions => self.total_impressions(),
            C::Reads => u64::from(self.reads),
            C::Likes => u64::from(self.likes),
            C::Collects => u64::from(self.collects),
            C::Comments => u64::from(self.comments),
            C::Shares => u64::from(self.shares),
            C::Follows => u64::from(self.follows),
        }
    }
    /// Engagement acts (likes, collects, comments, shares, follows).
    pub fn engagements(&self) -> u64 {
        [self.likes, self.collects, self.comments, self.shares, self.follows].iter().map(|&x| u64::from(x)).sum()
    }
}

/// How many counters a note has ([`NoteCounters::cells`] lists them).
pub const COUNTERS: usize = 11;
/// Index of the first of the [`RINGS`] impression counters in [`NoteCounters::cells`].
pub const IMPRESSIONS: usize = 0;
/// Index of `reads` in [`NoteCounters::cells`].
pub const READS: usize = 3;
/// Index of `likes` in [`NoteCounters::cells`].
pub const LIKES: usize = 4;
/// Index of `collects` in [`NoteCounters::cells`].
pub const COLLECTS: usize = 5;
/// Index of `comments` in [`NoteCounters::cells`].
pub const COMMENTS: usize = 6;
/// Index of `shares` in [`NoteCounters::cells`].
pub const SHARES: usize = 7;
/// Index of `follows` in [`NoteCounters::cells`].
pub const FOLLOWS: usize = 8;
/// Index of `observed` in [`NoteCounters::cells`].
pub const OBSERVED: usize = 9;
/// Index of `positives` in [`NoteCounters::cells`].
pub const POSITIVES: usize = 10;

impl NoteCounters {
    /// The counters in a fixed order: impressions by ring, reads, likes, collects,
    /// comments, shares, follows, observed, positives (the indices above).
    pub fn cells(&self) -> [&AtomicU32; COUNTERS] {
        let [a, b, d] = &self.impressions;
        [
            a,
            b,
            d,
            &self.reads,
            &self.likes,
            &self.collects,
            &self.comments,
            &self.shares,
            &self.follows,
            &self.observed,
            &self.positives,
        ]
    }

    /// A snapshot of the counters (call only between parallel phases).
    pub fn tally(&self) -> Tally {
        Tally {
            impressions: [0, 1, 2].map(|r| self.impressions[r].load(Relaxed)),
            reads: self.reads.load(Relaxed),
            likes: self.likes.load(Relaxed),
            collects: self.collects.load(Relaxed),
            comments: self.comments.load(Relaxed),
            shares: self.shares.load(Relaxed),
            follows: self.follows.load(Relaxed),
            observed: self.observed.load(Relaxed),
            positives: self.positives.load(Relaxed),
            expected: self.expected.each_ref().map(|e| e.load(Relaxed) as f64 / CHANCE_UNIT),
        }
    }
}

/// Expected follows and a note's expected counts are counted in 2⁻³² of an event:
/// integer sums, so their totals do not depend on the order of addition, and 2³² events
/// per creator or note before they overflow.
pub const CHANCE_UNIT: f64 = 4_294_967_296.0;

/// One worker's increments of the notes' counters during the user phase, as plain
/// integers: a locked add on a shared counter costs several times a plain one, and two
/// workers counting the same popular notes would pass their cache lines back and forth.
/// [`LocalCounts::add_into`] adds them to the notes' counters after the phase; integer
/// sums do not depend on the order of addition, so neither do the results.
///
/// It covers a range of notes (the tick's active ones); a count of a note outside it goes
/// straight to that note's atomic counter.
#[derive(Debug, Default)]
pub struct LocalCounts {
    first: usize,
    /// One row per note of the range: its counts and expected counts side by side, so
    /// that an impression's counting touches one place.
    rows: Vec<LocalRow>,
    /// Expected follows gained per creator, in [`CHANCE_UNIT`]s.
    follows: Vec<u64>,
}

/// A note's row in [`LocalCounts`]: its counts in [`NoteCounters::cells`] order and its
/// expected counts in [`CHANCE_UNIT`]s (72 B).
#[derive(Debug, Default, Clone, Copy)]
struct LocalRow {
    cells: [u32; COUNTERS],
    expected: [u64; EXPECTED],
}

/// `x.round() as u64` for 0 ≤ x < 2⁵² without a call into libm (the baseline x86-64
/// has no rounding instruction, and every impression calls this three times): with
/// `m = trunc(2x)` (2x is exact), `round(x) = floor(x + ½) = ⌊(m + 1) / 2⌋`, halves
/// rounding up, as `round` rounds them away from zero. One conversion and an integer
/// shift, where `trunc(x)`, its conversion back and a comparison made a chain twice as
/// long.
///
/// Through i64, whose conversion is one instruction where u64's takes a branchy
/// sequence on x86-64 (the same values below 2⁶³).
#[inline]
fn round_units(x: f64) -> u64 {
    (((x * 2.0) as i64 + 1) >> 1) as u64
}

impl LocalCounts {
    /// Bytes of one note's row.
    pub const ROW_BYTES: usize = std::mem::size_of::<LocalRow>();

    /// Zero counts for the notes `notes` and `creators` creators.
    pub fn new(notes: std::ops::Range<usize>, creators: usize) -> LocalCounts {
        LocalCounts { first: notes.start, rows: vec![LocalRow::default(); notes.len()], follows: vec![0; creators] }
    }

    /// Counts `chance` of expected count `which` ([`NoteCounters::expected`]) of note `n`.
    #[inline]
    pub fn add_chance(&mut self, notes: &Notes, n: usize, which: usize, chance: f64) {
        let units = round_units(chance * CHANCE_UNIT);
        match self.rows.get_mut(n.wrapping_sub(self.first)) {
            Some(row) => row.expected[which] += units,
            None => {
                notes.counters[n].expected[which].fetch_add(units, Relaxed);
            }
        }
    }

    /// Counts `chance` of a follow of `creator` (a read by a user who stands for many).
    #[inline]
    pub fn add_follow_chance(&mut self, creator: usize, chance: f64) {
        self.follows[creator] += round_units(chance * CHANCE_UNIT);
    }

    /// Starts loading note `n`'s row (both of its cache lines), to be counted soon: a
    /// hint that changes no count.
    #[inline(always)]
    pub fn prefetch(&self, n: usize) {
        if let Some(row) = self.rows.get(n.wrapping_sub(self.first)) {
            crate::memory::prefetch_row(row);
        }
    }

    /// Counts one event of counter `cell` ([`NoteCounters::cells`]) of note `n`.
    #[inline]
    pub fn add(&mut self, notes: &Notes, n: usize, cell: usize) {
        match self.rows.get_mut(n.wrapping_sub(self.first)) {
            Some(row) => row.cells[cell] += 1,
            None => {
                notes.counters[n].cells()[cell].fetch_add(1, Relaxed);
            }
        }
    }

    /// Adds the counts to the notes' counters and the creators' expected follows
    /// (`follows`, in [`CHANCE_UNIT`]s) and zeroes them.
    pub fn add_into(&mut self, notes: &Notes, follows: &[AtomicU64]) {
        for (x, f) in self.follows.iter_mut().zip(follows) {
            if *x != 0 {
                f.fetch_add(std::mem::take(x), Relaxed);
            }
        }
        for (row, c) in self.rows.iter_mut().zip(&notes.counters[self.first..]) {
            if row.cells.iter().any(|&x| x != 0) {
                for (cell, x) in c.cells().into_iter().zip(row.cells.iter_mut()) {
                    if *x != 0 {
                        cell.fetch_add(std::mem::take(x), Relaxed);
                    }
                }
            }
            for (cell, x) in c.expected.iter().zip(row.expected.iter_mut()) {
                if *x != 0 {
                    cell.fetch_add(std::mem::take(x), Relaxed);
                }
            }
        }
    }
}

/// All notes posted so far, as columns indexed by the note's id (a `u32`, its posting order). Notes are never removed;
/// `first_active` marks the oldest note still within its lifetime.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Notes {
    /// Author creator id.
    pub author: Vec<u32>,
    /// Topic id.
    pub topic: Vec<u8>,
    /// Latent quality in [0, 1]: drives reads and engagement.
    pub quality: Vec<f32>,
    /// Cover appeal in [0, 1]: drives the two-column choice.
    pub appeal: Vec<f32>,
    /// Tick the note was posted.
    pub born: Vec<u32>,
    /// Content kind.
    pub kind: Vec<ContentKind>,
    /// Credibility in [0, 1]: the kind's, lowered for prize reviews.
    pub credibility: Vec<f32>,
    /// Campaign index, or [`NO_CAMPAIGN`].
    pub campaign: Vec<u16>,
    /// Concurrent counters.
    pub counters: Vec<NoteCounters>,
}

/// Marks a note posted outside any campaign.
pub const NO_CAMPAIGN: u16 = u16::MAX;

/// A note to append: everything but the counters.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct NewNote {
    /// Author creator id.
    pub author: u32,
    /// Topic id.
    pub topic: u8,
    /// Quality in [0, 1].
    pub quality: f32,
    /// Cover appeal in [0, 1].
    pub appeal: f32,
    /// Tick posted.
    pub born: u32,
    /// Content kind.
    pub kind: ContentKind,
    /// Credibility in [0, 1].
    pub credibility: f32,
    /// Campaign index or [`NO_CAMPAIGN`].
    pub campaign: u16,
}

impl Notes {
    /// Number of notes.
    pub fn len(&self) -> usize {
        self.author.len()
    }
    /// Whether there are no notes.
    pub fn is_empty(&self) -> bool {
        self.author.is_empty()
    }
    /// Bytes per note of all columns (for memory planning).
    pub const BYTES_PER_NOTE: usize = 4 + 1 + 4 + 4 + 4 + 1 + 4 + 2 + std::mem::size_of::<NoteCounters>();

    /// Appends one note.
    pub fn push(&mut self, n: NewNote) {
        self.author.push(n.author);
        self.topic.push(n.topic);
        self.quality.push(n.quality);
        self.appeal.push(n.appeal);
        self.born.push(n.born);
        self.kind.push(n.kind);
        self.credibility.push(n.credibility);
        self.campaign.push(n.campaign);
        self.counters.push(NoteCounters::default());
    }

    /// Appends the notes posted in `tick`: the catalogue's items born then (listed
    /// items in list order, then at tick 0 the `catalogue.count` drawn ones), the notes
    /// creators post, in creator order, then the extra notes of running campaigns in
    /// campaign order.
    pub fn post(&mut self, p: &Params, creators: &Creators, tick: u32) {
        if !p.catalogue.is_empty() {
            for note in catalogue_notes(p, creators, tick) {
                self.push(note);
            }
        }
        for c in 0..creators.count {
            let g = &creators.groups[creators.group[c] as usize];
            if g.posts_per_tick <= 0.0 {
                continue;
            }
            let mut rng = stream(p.world_seed(), tick, c as u64, Purpose::Posting);
            let k = Poisson::new(g.posts_per_tick).map_or(0.0, |d| d.sample(&mut rng)) as usize;
            for _ in 0..k {
                let kind = draw_kind(&g.kinds, &mut rng);
                let note = compose(p, creators, c, kind, NO_CAMPAIGN, tick, &mut rng);
                self.push(note);
            }
        }
        for (ci, camp) in p.campaigns.iter().enumerate() {
            if tick < camp.start_tick || tick >= camp.end_tick || camp.posts_per_tick <= 0.0 {
                continue;
            }
            let Some(gi) = creators.groups.iter().position(|g| g.name == camp.group) else { continue };
            let accounts: Vec<usize> = (0..creators.count).filter(|&c| creators.group[c] as usize == gi).collect();
            if accounts.is_empty() {
                continue;
            }
            let mut rng = stream(p.world_seed(), tick, ci as u64, Purpose::Campaign);
            let k = Poisson::new(camp.posts_per_tick).map_or(0.0, |d| d.sample(&mut rng)) as usize;
            let topic = camp.topic.as_ref().and_then(|t| p.topics.iter().position(|x| &x.name == t));
            for _ in 0..k {
                let c = accounts[(unit(&mut rng) * accounts.len() as f64) as usize % accounts.len()];
                let mut note = compose(p, creators, c, camp.kind, ci as u16, tick, &mut rng);
                if let Some(t) = topic {
                    note.topic = t as u8;
                }
                self.push(note);
            }
        }
    }
}

/// The catalogue's items posted in `tick`. A listed item's author is its group's next
/// account in turn (the k-th item naming a group goes to account k modulo the group's
/// size); drawn items go to the group's accounts in turn, each from its own stream
/// (catalogue seed, item), so the catalogue is the same in every variant and in every
/// world with the same catalogue seed.
fn catalogue_notes(p: &Params, creators: &Creators, tick: u32) -> Vec<NewNote> {
    let accounts = |group: &str| -> Vec<usize> {
        let gi = creators.groups.iter().position(|g| g.name == group);
        (0..creators.count).filter(|&c| Some(creators.group[c] as usize) == gi).collect()
    };
    let cat = &p.catalogue;
    let mut out = Vec::new();
    let mut taken: std::collections::BTreeMap<&str, (Vec<usize>, usize)> = std::collections::BTreeMap::new();
    for item in &cat.items {
        let (authors, k) = taken.entry(item.author.as_str()).or_insert_with(|| (accounts(&item.author), 0));
        let author = authors[*k % authors.len()];
        *k += 1;
        if item.born != tick {
            continue;
        }
        let topic = p.topics.iter().position(|t| t.name == item.topic).expect("validated topic");
        out.push(NewNote {
            author: author as u32,
            topic: topic as u8,
            quality: item.quality as f32,
            appeal: item.appeal as f32,
            born: tick,
            kind: item.kind,
            credibility: p.kinds.get(item.kind).credibility as f32,
            campaign: NO_CAMPAIGN,
        });
    }
    if let (Some(group), 0) = (&cat.group, tick) {
        let authors = accounts(group);
        for i in 0..cat.count as usize {
            let c = authors[i % authors.len()];
            let mut rng = stream(p.catalogue_seed(), 0, i as u64, Purpose::Catalogue);
            let g = &creators.groups[creators.group[c] as usize];
            let kind = draw_kind(&g.kinds, &mut rng);
            out.push(compose(p, creators, c, kind, NO_CAMPAIGN, 0, &mut rng));
        }
    }
    out
}

/// Draws a content kind from a group's mix (lifestyle when the mix is empty).
fn draw_kind(mix: &std::collections::BTreeMap<ContentKind, f64>, rng: &mut rand_pcg::Pcg64Mcg) -> ContentKind {
    let total: f64 = mix.values().sum();
    if mix.is_empty() || total <= 0.0 {
        return ContentKind::Lifestyle;
    }
    let mut x = unit(rng) * total;
    for (&k, &w) in mix {
        if x < w {
            return k;
        }
        x -= w;
    }
    *mix.keys().next_back().expect("non-empty mix")
}

/// A creator's note: topic from the group's list, quality around the group's mean, and
/// a cover that is an honest signal of quality to the degree `cover_honesty`.
fn compose(
    p: &Params,
    creators: &Creators,
    c: usize,
    kind: ContentKind,
    campaign: u16,
    tick: u32,
    rng: &mut rand_pcg::Pcg64Mcg,
) -> NewNote {
    let g = &creators.groups[creators.group[c] as usize];
    let topics = &creators.group_topics[creators.group[c] as usize];
    let noise = Normal::new(0.0, g.quality_sd.max(1e-12)).expect("validated sd");
    let topic = topics[(unit(rng) * topics.len() as f64) as usize % topics.len()];
    let quality = (g.quality + noise.sample(rng)).clamp(0.0, 1.0);
    let kp = p.kinds.get(kind);
    let appeal = (g.cover_honesty * quality + (1.0 - g.cover_honesty) * unit(rng) + kp.appeal_bonus).clamp(0.0, 1.0);
    NewNote {
        author: c as u32,
        topic,
        quality: quality as f32,
        appeal: appeal as f32,
        born: tick,
        kind,
        credibility: kp.credibility as f32,
        campaign,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expected follows are summed in fixed point per worker and added whole: two workers'
    /// sums in either order give the same total, and one chance of 1 is one follow.
    #[test]
    fn follow_chances_sum_in_any_order() {
        let notes = Notes::default();
        let chances = [[0.3, 0.25, 1.0], [0.012_345, 0.5, 0.0]];
        let total = |order: [usize; 2]| {
            let follows: Vec<AtomicU64> = (0..2).map(|_| AtomicU64::new(0)).collect();
            for w in order {
                let mut c = LocalCounts::new(0..0, 2);
                for (i, &x) in chances[w].iter().enumerate() {
                    c.add_follow_chance(i % 2, x);
                }
                c.add_into(&notes, &follows);
            }
            follows.iter().map(|f| f.load(Relaxed)).collect::<Vec<_>>()
        };
        let (a, b) = (total([0, 1]), total([1, 0]));
        assert_eq!(a, b);
        let expected = [0.3 + 1.0 + 0.012_345, 0.25 + 0.5];
        for (got, want) in a.iter().zip(expected) {
            assert!((*got as f64 / CHANCE_UNIT - want).abs() < 1e-9, "{got} vs {want}");
        }
    }

    /// A note's expected counts, from workers holding it in their range or not, sum to the
    /// same units in either order.
    #[test]
    fn expected_counts_sum_in_any_order() {
        let mut notes = Notes::default();
        for _ in 0..3 {
            notes.counters.push(NoteCounters::default());
        }
        let adds = [(0, EXPECTED_ENGAGEMENT, 0.37), (2, EXPECTED_SHOWN, 0.004), (0, EXPECTED_ENGAGEMENT, 1.25)];
        let total = |order: [usize; 2]| {
            for c in &notes.counters {
                c.expected.iter().for_each(|e| e.store(0, Relaxed));
            }
            for w in order {
                // Worker 0 holds notes 0..2 in its range; worker 1 none (straight to the note).
                let mut c = LocalCounts::new(if w == 0 { 0..2 } else { 0..0 }, 0);
                for &(n, which, x) in &adds {
                    c.add_chance(&notes, n, which, x);
                }
                c.add_into(&notes, &[]);
            }
            notes.counters.iter().map(|c| c.tally().expected).collect::<Vec<_>>()
        };
        let (a, b) = (total([0, 1]), total([1, 0]));
        assert_eq!(a, b);
        assert!((a[0][EXPECTED_ENGAGEMENT] - 2.0 * (0.37 + 1.25)).abs() < 1e-9);
        assert!((a[2][EXPECTED_SHOWN] - 2.0 * 0.004).abs() < 1e-9);
        assert_eq!(a[1], [0.0; EXPECTED]);
    }

    #[test]
    fn follow_units_round_as_round_does() {
        let halves = [0.0, 0.49999999999999994, 0.5, 1.5, 2.5, 4_294_967_295.5, 4_294_967_296.0];
        let mut x = 1e-9f64;
        let mut xs: Vec<f64> = halves.to_vec();
        while x < 4.3e9 {
            xs.push(x);
            xs.push(x.next_up());
            xs.push(x.floor() + 0.5);
            // Just below and above a half: where a rounding of 2x or of x + ½ would slip.
            xs.push((x.floor() + 0.5).next_down());
            xs.push((x.floor() + 0.5).next_up());
            x *= 1.37;
        }
        for x in xs {
            assert_eq!(round_units(x), x.round() as u64, "{x}");
        }
    }
}
