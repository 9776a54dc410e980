//! Campaigns (S12) and trends: what happens in a scenario for a limited time.

use serde::{Deserialize, Serialize};

use super::{ContentKind, SegmentFilter};

/// A campaign: a creator group posts extra notes of one kind and buys promoted slots,
/// optionally only for a segment, optionally with prizes for reviews (S12).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignSpec {
    /// Campaign name.
    pub name: String,
    /// The creator group running it.
    pub group: String,
    /// Kind of the campaign's notes.
    pub kind: ContentKind,
    /// Topic of the campaign's notes (a trending topic, say); absent means the group's
    /// usual topics.
    #[serde(default)]
    pub topic: Option<String>,
    /// First tick (inclusive).
    pub start_tick: u32,
    /// Last tick (exclusive).
    pub end_tick: u32,
    /// Extra notes per tick the group posts (spread over its accounts).
    #[serde(default)]
    pub posts_per_tick: f64,
    /// Promoted impressions bought per tick (the budget), in platform impressions (the
    /// engine divides by the real users one simulated user stands for).
    #[serde(default)]
    pub promoted_per_tick: f64,
    /// Who the promoted slots go to; absent means everyone.
    #[serde(default)]
    pub target: Option<SegmentFilter>,
    /// Whether users who act during the campaign get a prize for posting a review.
    #[serde(default)]
    pub review_prize: bool,
    /// Added chance to advocate for prize winners.
    #[serde(default)]
    pub prize_advocacy: f64,
    /// Share of credibility prize reviews lose (readers discount paid praise).
    #[serde(default)]
    pub prize_credibility_drop: f64,
}

/// A temporary surge of interest in a topic.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TrendSpec {
    /// The topic.
    pub topic: String,
    /// First tick (inclusive).
    pub start_tick: u32,
    /// Last tick (exclusive).
    pub end_tick: u32,
    /// Added to every user's interest in the topic while it lasts (capped at 1).
    pub interest_boost: f64,
}
