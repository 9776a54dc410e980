//! Feed policies and the recommender state behind them.
//!
//! - [`FeedPolicy`]: how items are presented and what the recommender observes
//!   ([`TwoColumnFeed`]: choose among covers, S5; [`SingleColumnFeed`]: watch or swipe).
//! - [`rings`]: the crowd rings of the anti-funnel and how a user is placed in one.
//! - [`Staging`]: each note's distribution stage (crowd ring or traffic pool) and its
//!   review at the end of each tick (S4, S6).
//! - [`Pools`]: per tick, the weighted candidate lists a slate samples from.
//! - [`Estimates`]: the platform's estimate of each user's interests, learned from
//!   observed behaviour.
//!
//! Nothing here knows which real platform a variant stands for: a feed is its parameters.

/// Channels an impression can come through, in the order of every per-channel array.
pub const CHANNELS: [&str; 4] = ["feed", "search", "share", "follow"];

/// Indices into [`CHANNELS`].
pub mod channel {
    /// The recommender's feed (campaign slots included).
    pub const FEED: usize = 0;
    /// Search results.
    pub const SEARCH: usize = 1;
    /// A friend's share.
    pub const SHARE: usize = 2;
    /// A followed creator's new note.
    pub const FOLLOW: usize = 3;
}

mod feeds;
mod pools;
pub mod rings;
mod search;
mod staging;

pub use feeds::{FeedPolicy, Signal, SingleColumnFeed, TwoColumnFeed};
pub(crate) use pools::TWO_32;
pub use pools::{AliasTable, PoolSpan, Pools};
pub use rings::{ring_of, user_ring};
pub use search::SearchIndex;
pub use staging::Staging;

use crate::model::content::{EXPECTED_ENGAGEMENT, EXPECTED_POSITIVES, EXPECTED_SHOWN, Tally};

/// The feed's counts in simulated units. A scenario gives quotas and priors in platform
/// impressions (real users' impressions); one simulated user stands for
/// `platform_users / users` real ones, so dividing by that factor gives the same share of
/// the audience at any world size, and staging and ranking do not depend on how many
/// users a run simulates.
#[derive(Debug, Clone)]
pub struct SimUnits {
    /// Each stage's quota, in simulated impressions.
    pub stage_quotas: Vec<f64>,
    /// Pseudo-impressions of the engagement-rate prior, in simulated impressions.
    pub rate_prior: f64,
    /// The share of the real users a simulated user stands for whose acts are drawn: one
    /// of them, `1 / users_per_agent` ([`Self::observed`]).
    pub drawn_share: f64,
}

impl SimUnits {
    /// A feed's quotas and prior at a scale factor (real users per simulated user).
    pub fn new(feed: &crate::scenario::FeedSpec, users_per_agent: f64) -> SimUnits {
        SimUnits {
            stage_quotas: feed.stage_quotas.iter().map(|q| q / users_per_agent).collect(),
            rate_prior: feed.rate_prior_impressions / users_per_agent,
            drawn_share: 1.0 / users_per_agent,
        }
    }

    /// Whether the platform sees more than the drawn acts: a simulated user stands for
    /// more than one real user, so the others' expected acts count too.
    pub fn counts_expected(&self) -> bool {
        self.drawn_share < 1.0
    }

    /// What the platform counts of a response, in simulated units: a simulated user
    /// stands for `upa` real users, one of whose acts is drawn (`realized`), while the
    /// other `upa − 1` act as often as the response's chance says (`expected`, the
    /// chances summed). Their sum over `upa`, `realized / upa + (1 − 1/upa) · expected`,
    /// has the platform's mean and about its noise: a platform count over many real
    /// users is close to its expectation, where a simulated count of a small world
    /// would be far from it. With one real user per simulated one it is the drawn count.
    #[inline]
    pub fn observed(&self, realized: f64, expected: f64) -> f64 {
        if self.counts_expected() {
            self.drawn_share * realized + (1.0 - self.drawn_share) * expected
        } else {
            realized
        }
    }

    /// The engagement score (CES) the platform counts for a note ([`Self::observed`]).
    pub fn engagement(&self, t: &Tally, weights: &crate::scenario::EngagementWeights) -> f64 {
        self.observed(t.engagement_score(weights), t.expected[EXPECTED_ENGAGEMENT])
    }

    /// The positive signals the platform counts for a note's observed feed slots.
    pub fn positives(&self, t: &Tally) -> f64 {
        self.observed(f64::from(t.positives), t.expected[EXPECTED_POSITIVES])
    }

    /// The count covers show (`feed.count_shown`) as the platform counts it.
    pub fn shown(&self, t: &Tally, what: crate::scenario::ItemCount) -> f64 {
        self.observed(t.count(what) as f64, t.expected[EXPECTED_SHOWN])
    }

    /// A note's engagement score per impression, shrunk towards zero while it has few
    /// impressions: `ces / (impressions + prior)`.
    #[inline]
    pub fn smoothed_rate(&self, ces: f64, impressions: u64) -> f64 {
        ces / (impressions as f64 + self.rate_prior)
    }

    /// The prior's share of a note's evidence, `prior / (prior + impressions)`: 1 for a
    /// note nobody has seen, ½ once its impressions equal the prior's pseudo-impressions.
    #[inline]
    pub fn prior_share(&self, impressions: u64) -> f64 {
        let evidence = impressions as f64 + self.rate_prior;
        if evidence > 0.0 { self.rate_prior / evidence } else { 1.0 }
    }
}

/// The mean engagement score per impression over notes' tallies (1 when nothing was
/// engaged with yet): pools and search weigh a note's rate relative to it, so a quality
/// weight means the same on feeds whose layouts produce different rates per impression.
pub fn mean_engagement_rate(tallies: &[Tally], weights: &crate::scenario::EngagementWeights, units: &SimUnits) -> f64 {
    let (mut ces, mut imps) = (0.0, 0.0);
    for t in tallies {
        ces += units.engagement(t, weights);
        imps += t.total_impressions() as f64;
    }
    if ces > 0.0 { ces / imps } else { 1.0 }
}

/// The mean share of positive signals per observed feed slot over notes' tallies (1 when
/// nothing was observed positive yet).
pub fn mean_feedback_rate(tallies: &[Tally], units: &SimUnits) -> f64 {
    let (mut pos, mut obs) = (0.0, 0.0);
    for t in tallies {
        pos += units.positives(t);
        obs += f64::from(t.observed);
    }
    if pos > 0.0 { pos / obs } else { 1.0 }
}

/// The platform's interest estimates, row-major `users × topics`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Estimates {
    /// Row length.
    pub topics: usize,
    /// Estimated interest in [0, 1].
    pub values: Vec<f32>,
}

impl Estimates {
    /// The platform starts from what demographics tell it: each user's estimate is the
    /// mean true interest of their segment (S8 segments), not the user's own interests.
    /// Rows for the held users only; the means are over every user.
    pub fn from_segments(users: &crate::model::world::Users) -> Estimates {
        let t = users.topics;
        let means = users.segment_means();
        let mut values = vec![0.0f32; users.local().len() * t];
        for (u, row) in users.local().zip(values.chunks_mut(t.max(1))) {
            let s = users.segment[u].0 as usize;
            row.copy_from_slice(&means[s * t..(s + 1) * t]);
        }
        Estimates { topics: t, values }
    }
}

/// The rows of the users sampled for the ring cut-offs and the learning metric (every
/// user whose id is a multiple of one of a few strides), ascending by id: their current
/// estimates (sent by their ranks every tick) and true interests. The only per-user
/// rows every rank reads.
#[derive(Debug, Clone)]
pub struct Sampled {
    /// Row length.
    pub topics: usize,
    /// The sampled users, ascending.
    pub ids: Vec<u32>,
    /// Their estimate rows, `ids × topics`.
    pub estimates: Vec<f32>,
    /// Their true interest rows, `ids × topics`.
    pub interest: Vec<f32>,
}

impl Sampled {
    /// The users of `users` whose id is a multiple of one of `strides`, with their
    /// true interests and estimates still to be filled in.
    pub fn new(users: &crate::model::world::Users, strides: &[usize]) -> Sampled {
        let t = users.topics;
        let ids: Vec<u32> = (0..users.count)
            .filter(|&u| strides.iter().any(|&s| u.is_multiple_of(s.max(1))))
            .map(|u| u as u32)
            .collect();
        let mut interest = vec![0.0f32; ids.len() * t];
        for (&u, row) in ids.iter().zip(interest.chunks_mut(t.max(1))) {
            users.traits_of(u as usize, row);
        }
        Sampled { topics: t, estimates: vec![0.0; interest.len()], ids, interest }
    }

    /// Indices (into `ids`) of the users at `stride` (one of the strides sampled), in
    /// id order: the users `(0..users).step_by(stride)`.
    pub fn at_stride(&self, stride: usize) -> impl Iterator<Item = usize> + '_ {
        self.ids.iter().enumerate().filter(move |&(_, &u)| (u as usize).is_multiple_of(stride)).map(|(i, _)| i)
    }

    /// The estimate row of the `i`-th sampled user.
    pub fn estimate(&self, i: usize) -> &[f32] {
        &self.estimates[i * self.topics..(i + 1) * self.topics]
    }

    /// The true interest row of the `i`-th sampled user.
    pub fn interest(&self, i: usize) -> &[f32] {
        &self.interest[i * self.topics..(i + 1) * self.topics]
    }
}

#[cfg(test)]
mod tests {
    use super::SimUnits;

    /// The platform's count is the drawn one for one real user per simulated user, and
    /// nearly the expectation for many.
    #[test]
    fn the_platform_counts_the_drawn_act_and_the_others_expected_ones() {
        let one = SimUnits { stage_quotas: Vec::new(), rate_prior: 0.0, drawn_share: 1.0 };
        assert!(!one.counts_expected());
        assert_eq!(one.observed(3.0, 2.2), 3.0);
        let four = SimUnits { stage_quotas: Vec::new(), rate_prior: 0.0, drawn_share: 0.25 };
        assert!(four.counts_expected());
        assert_eq!(four.observed(3.0, 2.2), 0.25 * 3.0 + 0.75 * 2.2);
        let many = SimUnits { stage_quotas: Vec::new(), rate_prior: 0.0, drawn_share: 1e-5 };
        assert!((many.observed(3.0, 2.2) - 2.2).abs() < 1e-4);
    }

    #[test]
    fn the_prior_fades_as_impressions_accumulate() {
        let units = SimUnits { stage_quotas: Vec::new(), rate_prior: 20.0, drawn_share: 1.0 };
        assert_eq!(units.prior_share(0), 1.0);
        assert_eq!(units.prior_share(20), 0.5);
        assert_eq!(units.prior_share(180), 0.1);
        assert!((1..1000).all(|n| units.prior_share(n) < units.prior_share(n - 1)));
        // Without a prior there is nothing to fade: evidence counts from the start.
        let none = SimUnits { stage_quotas: Vec::new(), rate_prior: 0.0, drawn_share: 1.0 };
        assert_eq!((none.prior_share(0), none.prior_share(5)), (1.0, 0.0));
    }
}
