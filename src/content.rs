//! Notes (the items of a feed) and how creators post them.
//!
//! Posting draws from each creator's (seed, tick) stream and reads nothing a feed
//! changes, so every variant of a scenario sees exactly the same notes: differences
//! between variants come from distribution alone (common random numbers).
//!
//! Counters are atomics so users on any thread can count what they see without locks;
//! they are integers, so their totals do not depend on the order of increments. Nobody
//! reads them while users act: the feed reads a snapshot taken at the tick's start.

use std::sync::atomic::{AtomicU32, Ordering::Relaxed};

use rand_distr::{Distribution, Normal, Poisson};

use crate::rng::{Purpose, stream, unit};
use crate::scenario::{EngagementWeights, Params};
use crate::world::Creators;

/// A note's index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NoteId(pub u32);

/// Crowd rings of a topic, innermost first (S6).
pub const RINGS: usize = 3;

/// Engagement counters of one note, updated concurrently during a tick.
#[derive(Debug, Default)]
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
}

/// A plain copy of a note's counters.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
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
    /// Engagement acts (likes, collects, comments, shares, follows).
    pub fn engagements(&self) -> u64 {
        [self.likes, self.collects, self.comments, self.shares, self.follows].iter().map(|&x| u64::from(x)).sum()
    }
}

impl NoteCounters {
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
        }
    }
}

/// All notes posted so far, as columns indexed by [`NoteId`]. Notes are never removed;
/// `first_active` marks the oldest note still within its lifetime.
#[derive(Debug, Default)]
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
    /// Concurrent counters.
    pub counters: Vec<NoteCounters>,
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
    pub const BYTES_PER_NOTE: usize = 4 + 1 + 4 + 4 + 4 + std::mem::size_of::<NoteCounters>();

    /// Appends the notes creators post in `tick`, in creator order.
    pub fn post(&mut self, p: &Params, creators: &Creators, tick: u32) {
        for c in 0..creators.count {
            let g = &creators.groups[creators.group[c] as usize];
            if g.posts_per_tick <= 0.0 {
                continue;
            }
            let mut rng = stream(p.seed, tick, c as u64, Purpose::Posting);
            let k = Poisson::new(g.posts_per_tick).map_or(0.0, |d| d.sample(&mut rng)) as usize;
            let topics = &creators.group_topics[creators.group[c] as usize];
            let noise = Normal::new(0.0, g.quality_sd.max(1e-12)).expect("validated sd");
            for _ in 0..k {
                let topic = topics[(unit(&mut rng) * topics.len() as f64) as usize % topics.len()];
                let quality = (g.quality + noise.sample(&mut rng)).clamp(0.0, 1.0);
                // A cover is an honest signal of quality to the degree `cover_honesty`.
                let appeal = (g.cover_honesty * quality + (1.0 - g.cover_honesty) * unit(&mut rng)).clamp(0.0, 1.0);
                self.author.push(c as u32);
                self.topic.push(topic);
                self.quality.push(quality as f32);
                self.appeal.push(appeal as f32);
                self.born.push(tick);
                self.counters.push(NoteCounters::default());
            }
        }
    }
}
