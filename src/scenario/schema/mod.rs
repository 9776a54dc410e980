//! The scenario schema: raw serde structs mirroring the TOML file.
//!
//! Every struct denies unknown fields, so a misspelt key is an error, not a silent
//! default. Defaults carry their provenance in comments: `seed: Sx` for a fact from the
//! source article, `assumption:` with a reason otherwise.

mod campaigns;
mod catalogue;
mod channels;
mod content;
mod creators;
mod feed;
mod journey;
mod response;
mod world;

pub use campaigns::*;
pub use catalogue::*;
pub use channels::*;
pub use content::*;
pub use creators::*;
pub use feed::*;
pub use journey::*;
pub use response::*;
pub use world::*;

use serde::{Deserialize, Serialize};

/// All parameters of one variant (the base file minus `variants`, after merging).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Scenario name.
    pub name: String,
    /// What question the scenario answers.
    #[serde(default)]
    pub description: String,
    /// Master seed.
    pub seed: u64,
    /// Number of ticks to simulate; one tick is one simulated day.
    pub ticks: u32,
    /// How users act within a tick: `synchronous` (the default: all at once against the
    /// tick's snapshot) or `sequential` (one after another in a random order drawn per
    /// tick, each seeing the counts left by those before).
    #[serde(default, skip_serializing_if = "Arrival::is_synchronous")]
    pub arrival: Arrival,
    /// World size and user behaviour rates.
    pub world: WorldSpec,
    /// Demographic shares of the user population.
    #[serde(default)]
    pub demographics: Demographics,
    /// Thresholds that define a topic's crowd rings from interest.
    #[serde(default)]
    pub crowd: CrowdSpec,
    /// The topics notes and interests range over.
    pub topics: Vec<TopicSpec>,
    /// Creator groups: institutions, KOLs and posting users.
    pub creators: Vec<CreatorGroup>,
    /// A fixed catalogue of items (none by default).
    #[serde(default, skip_serializing_if = "CatalogueSpec::is_empty")]
    pub catalogue: CatalogueSpec,
    /// How users respond to what they are shown; shared by every feed.
    #[serde(default)]
    pub response: ResponseModel,
    /// Weights of the engagement score (CES).
    #[serde(default)]
    pub engagement_weights: EngagementWeights,
    /// The feed: layout, distribution and recommender parameters.
    pub feed: FeedSpec,
    /// How metrics are windowed.
    #[serde(default)]
    pub metrics: MetricsSpec,
    /// What each content kind offers a reader (S7, S12).
    #[serde(default)]
    pub kinds: KindTable,
    /// The 5A journey towards focal institutions (S7).
    #[serde(default)]
    pub journey: JourneySpec,
    /// The search channel (S9).
    #[serde(default)]
    pub search: SearchSpec,
    /// Word of mouth over the social graph (S6).
    #[serde(default)]
    pub sharing: SharingSpec,
    /// The follow channel: notes from followed creators.
    #[serde(default)]
    pub follow_feed: FollowFeedSpec,
    /// Paid or incentivised campaigns (S12).
    #[serde(default)]
    pub campaigns: Vec<CampaignSpec>,
    /// Temporary surges of interest in a topic (trending topics, S12; questions of the
    /// day such as deposit rates).
    #[serde(default)]
    pub trends: Vec<TrendSpec>,
}

/// How users act within a tick (`arrival`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Arrival {
    /// Every user acts against the counts at the tick's start (in parallel).
    #[default]
    Synchronous,
    /// Users act one after another (a random order per tick, drawn from the variant's
    /// seed), each seeing the counts and the ranking left by those before: the
    /// multi-world experiments' participants arriving one at a time. Runs on one thread
    /// and one rank.
    Sequential,
}

impl Arrival {
    /// Whether it is the default.
    pub fn is_synchronous(&self) -> bool {
        *self == Arrival::Synchronous
    }
}

/// Metric settings.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSpec {
    /// Ticks per window for head-stability measures (rank changes between windows).
    #[serde(default = "default_window_ticks")]
    pub window_ticks: u32,
    /// Institutions counted as the head when measuring stability (S4 speaks of the top 10).
    #[serde(default = "default_head_institutions")]
    pub head_institutions: u32,
    /// A segment whose conversions are reported apart (`segment_conversions.<focal>`).
    #[serde(default)]
    pub segment: Option<SegmentFilter>,
    /// What counts as an item's success. When set, the `success.*` metrics give the
    /// concentration of that count over the notes that exist (not over creators, so
    /// accounts that never post do not count), and `compare` keeps per-item rows per
    /// replicate and, on fixed items, the items' unpredictability. Absent (the default):
    /// only the creator-impression metrics, as before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success: Option<ItemCount>,
}

/// One of an item's counts: what measures its success (`metrics.success`), and what
/// covers show (`feed.count_shown`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemCount {
    /// Times shown.
    Impressions,
    /// Reads (two-column clicks, single-column completions).
    Reads,
    /// Likes.
    Likes,
    /// Collects.
    Collects,
    /// Comments.
    Comments,
    /// Shares.
    Shares,
    /// Follows of the author from the item.
    Follows,
}

impl ItemCount {
    /// The name files use.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemCount::Impressions => "impressions",
            ItemCount::Reads => "reads",
            ItemCount::Likes => "likes",
            ItemCount::Collects => "collects",
            ItemCount::Comments => "comments",
            ItemCount::Shares => "shares",
            ItemCount::Follows => "follows",
        }
    }
}

fn default_window_ticks() -> u32 {
    7 // assumption: weekly windows
}
fn default_head_institutions() -> u32 {
    10 // seed: S4 (the industry's top-10 institutions)
}

impl Default for MetricsSpec {
    fn default() -> Self {
        Self {
            window_ticks: default_window_ticks(),
            head_institutions: default_head_institutions(),
            segment: None,
            success: None,
        }
    }
}

impl Params {
    /// The seed of the world (users, creators, graphs) and of creators' posting.
    pub fn world_seed(&self) -> u64 {
        self.world.seed.unwrap_or(self.seed)
    }

    /// The seed of the catalogue's drawn items (`catalogue.count`).
    pub fn catalogue_seed(&self) -> u64 {
        self.catalogue.seed.unwrap_or_else(|| self.world_seed())
    }

    /// Real platform users each simulated user stands for (S1 scale factor): the factor
    /// between simulated counts and platform units.
    pub fn users_per_agent(&self) -> f64 {
        self.world.platform_users as f64 / f64::from(self.world.users.max(1))
    }
}
