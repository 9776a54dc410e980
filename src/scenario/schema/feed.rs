//! The feed: layout, staged distribution and the recommender's parameters.

use serde::{Deserialize, Serialize};

/// How a feed presents items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Layout {
    /// A slate of covers; the user chooses one or none (S5).
    TwoColumn,
    /// A grid of covers in `feed.columns` columns (a catalogue page); the choice and what
    /// the recommender observes are the two-column feed's.
    Grid,
    /// A ranked list: one column of `slate_size` covers in the slate's order, attention
    /// falling by `response.row_penalty` per rank.
    List,
    /// One full-screen item at a time; the user watches or swipes (S5).
    SingleColumn,
}

/// Who a note at a distribution stage may be shown to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// Stage s reaches crowd rings 0..=s of the note's topic (core, high-potential,
    /// general): the anti-funnel (S6).
    CrowdRings,
    /// Every stage is open to any user interested enough to draw the topic: staged
    /// traffic pools (S4).
    TrafficPools,
}

/// The feed: layout, distribution and recommender.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FeedSpec {
    /// Two-column slate or single-column stream.
    pub layout: Layout,
    /// Covers per slate on the two-column layout (K); a single-column layout shows one
    /// item whatever this says (its K is 1: the layout and its K are one mechanism, S5).
    pub slate_size: u32,
    /// Candidates the recommender retrieves per decision and ranks, showing the top K
    /// (C ≥ K). Absent: as many as the slate shows, with no ranking stage (each slot is
    /// then one weighted draw).
    #[serde(default)]
    pub candidates: Option<u32>,
    /// Scale of the Gumbel noise added to each candidate's score before the top K are
    /// taken: 0 shows the top of the ranking; T > 0 samples K without replacement from
    /// softmax(score / T) (exploration within the ranking).
    #[serde(default)]
    pub ranking_temperature: f64,
    /// Weight of a note's observed feedback rate in its score, relative to the mean of
    /// active notes: the platform's positive signals per observed slot (a chosen cover
    /// among K on two_column, a completion seen through `signal_noise` on single_column,
    /// S5). 0: the score does not learn from feedback.
    #[serde(default)]
    pub feedback_weight: f64,
    /// Crowd rings or traffic pools.
    pub audience: Audience,
    /// Impressions a note may get in each stage before review, in platform impressions
    /// (real users' impressions: a simulated impression counts `platform_users / users`);
    /// one entry per stage but the last, which is open-ended.
    pub stage_quotas: Vec<f64>,
    /// Engagement score per impression a note needs to pass each review, read as
    /// `threshold_basis` says.
    pub stage_thresholds: Vec<f64>,
    /// What a stage threshold is compared with.
    #[serde(default)]
    pub threshold_basis: ThresholdBasis,
    /// Weight multiplier of a note in each stage (one entry per stage).
    pub stage_boost: Vec<f64>,
    /// Exponent on (1 + author followers) in a note's weight (S3, S4).
    pub follower_weight: f64,
    /// Exponent on (1 + accumulated engagement score) in a note's weight (S4).
    pub popularity_weight: f64,
    /// Weight of the note's smoothed engagement rate in its log-weight.
    pub quality_weight: f64,
    /// Pseudo-impressions (platform impressions) that shrink a young note's engagement
    /// rate towards zero: a note's observed rate counts half once it has had this many.
    /// The follower and popularity terms are priors of the same weight: their share of
    /// the score is `prior / (prior + impressions)`, so they fade as evidence accumulates.
    #[serde(default = "default_rate_prior")]
    pub rate_prior_impressions: f64,
    /// Ticks for a note's weight to halve with age; `inf` for notes that never fade.
    pub freshness_half_life: f64,
    /// Chance a slot's topic is drawn uniformly rather than from the user's estimate.
    pub exploration: f64,
    /// Exponent on the estimated interest when drawing a slot's topic.
    pub interest_sharpness: f64,
    /// Step size of the interest estimate towards an observed positive signal.
    pub learning_rate: f64,
    /// Step size towards zero for a skipped or swiped item.
    pub skip_learning_rate: f64,
    /// Chance that the observed signal is flipped (watch time is a noisy signal).
    pub signal_noise: f64,
    /// Order of items in a slate.
    #[serde(default)]
    pub slate_order: SlateOrder,
    /// Whether covers show engagement counts (then they enter the choice through
    /// `response.social_influence`).
    #[serde(default = "yes")]
    pub show_counts: bool,
    /// Covers per row of a `grid` layout (1 to 16; default 2, the two-column feed's).
    #[serde(default = "two", skip_serializing_if = "is_two")]
    pub columns: u32,
    /// Which count covers show when `show_counts` is on: `likes` (the default),
    /// `impressions`, `reads`, `collects`, `comments`, `shares` or `follows`.
    #[serde(default = "likes", skip_serializing_if = "is_likes")]
    pub count_shown: super::ItemCount,
    /// The neutral recommender: every engagement signal in distribution off (quality,
    /// feedback, popularity and follower weights 0, random slate order, one open stage on
    /// traffic pools, no reviews; see `scenario/neutral.rs`), applied when the scenario
    /// loads. Default false (assumption: the platform distributes by engagement, S5).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub neutral: bool,
}

impl FeedSpec {
    /// Items a feed slate shows (K): `slate_size`, or one on the single-column layout. A
    /// ranking stage needs C ≥ K.
    pub fn shown_per_slate(&self) -> u32 {
        match self.layout {
            Layout::SingleColumn => 1,
            Layout::TwoColumn | Layout::Grid | Layout::List => self.slate_size,
        }
    }
}

fn yes() -> bool {
    true
}

fn two() -> u32 {
    2 // seed: S5 (two columns of covers)
}

fn is_two(c: &u32) -> bool {
    *c == 2
}

fn likes() -> super::ItemCount {
    super::ItemCount::Likes // assumption: Xiaohongshu covers show likes (S5)
}

fn is_likes(c: &super::ItemCount) -> bool {
    *c == super::ItemCount::Likes
}

/// assumption: 20 simulated impressions at the quickstart's 20 k users standing for 300 M
/// (S1), the value the engine used before the prior was put in platform units.
fn default_rate_prior() -> f64 {
    300_000.0
}

/// What a stage threshold is compared with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ThresholdBasis {
    /// The note's engagement score per impression itself.
    #[default]
    PerImpression,
    /// The note's engagement score per impression over the mean of active notes: the same
    /// threshold is then as selective on layouts whose rates per impression differ.
    RelativeToMean,
}

/// How a slate's items are ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SlateOrder {
    /// By the recommender's weight, best first.
    #[default]
    Ranked,
    /// In draw order (random).
    Random,
    /// By visible like counts, most first.
    Popularity,
}
