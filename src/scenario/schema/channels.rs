//! The channels besides the discovery feed: search (S9), word of mouth (S6) and the
//! follow feed.

use serde::{Deserialize, Serialize};

/// The search channel (S9).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SearchSpec {
    /// Whether users can search.
    pub enabled: bool,
    /// Chance a decision is a search for a user in the ask stage of a focal journey.
    pub ask_search_rate: f64,
    /// Chance a decision is a search for anyone else.
    pub base_search_rate: f64,
    /// Share of searches the user starts (their own question); the rest follow the
    /// platform's suggestion (seed: S9, 88 %).
    pub user_initiated_share: f64,
    /// Chance an asking user searches the institution by name rather than the topic
    /// (S9: terms get more specific as the decision nears).
    pub by_name_share: f64,
    /// Results shown per search.
    pub results: u32,
    /// Exponent on (1 + author followers) in search ranking.
    pub follower_weight: f64,
    /// Weight of the relative engagement rate in search ranking.
    pub quality_weight: f64,
}

impl Default for SearchSpec {
    fn default() -> Self {
        SearchSpec {
            enabled: true,
            ask_search_rate: 0.3,       // assumption: asking users search often (S7 ask)
            base_search_rate: 0.05,     // assumption
            user_initiated_share: 0.88, // seed: S9
            by_name_share: 0.5,         // assumption
            results: 4,                 // assumption: a screen of results
            follower_weight: 0.1,       // assumption: relevance and quality rank results (S9)
            quality_weight: 2.0,        // assumption
        }
    }
}

/// Word of mouth (S6).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SharingSpec {
    /// Whether shares and advocates' reviews reach friends.
    pub enabled: bool,
    /// Friends who receive one share.
    pub friends_per_share: u32,
}

impl Default for SharingSpec {
    fn default() -> Self {
        SharingSpec { enabled: true, friends_per_share: 3 } // assumption
    }
}

/// Notes from followed creators.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct FollowFeedSpec {
    /// Chance a decision of a user who follows someone is served from the follow feed.
    pub share: f64,
}

impl Default for FollowFeedSpec {
    fn default() -> Self {
        FollowFeedSpec { share: 0.1 } // assumption: most browsing is the discovery feed
    }
}
