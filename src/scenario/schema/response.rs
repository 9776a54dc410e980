//! How users respond to what they are shown, and the engagement score's weights.

use serde::{Deserialize, Serialize};

/// Logistic coefficients of one engagement act given a read.
#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ActLogit {
    /// Intercept (log-odds at zero interest and quality).
    pub intercept: f64,
    /// Coefficient on the user's true interest in the topic.
    pub interest: f64,
    /// Coefficient on note quality.
    pub quality: f64,
}

/// The user-response model, shared by every feed so that differences come from feeds.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseModel {
    /// Utility weight of a cover's appeal in the two-column choice.
    pub cover_appeal_weight: f64,
    /// Utility weight of interest in the two-column choice.
    pub cover_interest_weight: f64,
    /// Utility of choosing none of the covers.
    pub outside_option: f64,
    /// Utility lost per row further down the two-column slate (position bias).
    pub row_penalty: f64,
    /// Utility lost per note already consumed this tick.
    pub fatigue: f64,
    /// Utility per unit of the social signal when counts are shown (social influence).
    #[serde(default = "default_social_influence")]
    pub social_influence: f64,
    /// Multiplier on every user's mean decisions per tick (their activity, drawn with
    /// the world). 1 keeps the world's activity; a comparison of a K-cover slate with a
    /// one-item feed at equal impressions gives the one-item variant K (C5).
    #[serde(default = "one")]
    pub decisions_scale: f64,
    /// Utility lost per column to the right in a grid (position attention across a row).
    /// Default 0 (assumption: both columns of a phone screen are seen alike).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub column_penalty: f64,
    /// The social signal's form, of the count covers show (`feed.count_shown`): `log`,
    /// ln(1 + count) (the default); `linear`, the count; `share`, the count over the sum
    /// of the counts of all active notes (the market share the item shows).
    #[serde(default, skip_serializing_if = "SocialSignal::is_log")]
    pub social_signal: SocialSignal,
    /// Once-per-item memory: a user reads each note at most once over the run; a note
    /// the user read before can still be shown but is never chosen (two-column, search)
    /// or completed (single-column) again. Default false (assumption: a feed user may
    /// reopen a note).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub once_per_item: bool,
    /// Log-odds of watching a full-screen item to completion.
    pub completion: ActLogit,
    /// Like given a read.
    pub like: ActLogit,
    /// Collect given a read.
    pub collect: ActLogit,
    /// Comment given a read.
    pub comment: ActLogit,
    /// Share given a read.
    pub share: ActLogit,
    /// Follow the author given a read.
    pub follow: ActLogit,
}

impl Default for ResponseModel {
    fn default() -> Self {
        // assumption: chosen so that about 10 % of covers are clicked, a third of reads
        // are liked and a few per cent shared, near commonly reported XHS rates.
        let act = |intercept, interest, quality| ActLogit { intercept, interest, quality };
        Self {
            cover_appeal_weight: 2.0,
            cover_interest_weight: 3.0,
            outside_option: 2.0,
            row_penalty: 0.3,
            fatigue: 0.02,
            social_influence: default_social_influence(),
            decisions_scale: one(),
            column_penalty: 0.0,
            social_signal: SocialSignal::Log,
            once_per_item: false,
            completion: act(-2.5, 3.0, 2.0),
            like: act(-3.0, 2.0, 2.5),
            collect: act(-4.0, 2.0, 2.5),
            comment: act(-5.0, 1.5, 2.0),
            share: act(-5.5, 2.0, 2.0),
            follow: act(-6.5, 2.0, 2.5),
        }
    }
}

fn one() -> f64 {
    1.0 // assumption: activity as the world draws it; other values are experimental controls
}

fn default_social_influence() -> f64 {
    0.1 // assumption: counts nudge choices (multi-world music-market experiments show the effect)
}

/// Weights of the commonly reported engagement score (CES).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EngagementWeights {
    /// Weight of a like.
    pub like: f64,
    /// Weight of a collect.
    pub collect: f64,
    /// Weight of a comment.
    pub comment: f64,
    /// Weight of a share.
    pub share: f64,
    /// Weight of a follow.
    pub follow: f64,
}

impl Default for EngagementWeights {
    fn default() -> Self {
        // assumption: commonly reported CES weights (like 1, collect 1, comment 4,
        // share 4, follow 8)
        Self { like: 1.0, collect: 1.0, comment: 4.0, share: 4.0, follow: 8.0 }
    }
}

/// How a shown count enters the cover choice (`response.social_signal`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SocialSignal {
    /// ln(1 + count).
    #[default]
    Log,
    /// The count itself.
    Linear,
    /// The count over the sum over active notes.
    Share,
}

impl SocialSignal {
    /// Whether it is the default form.
    pub fn is_log(&self) -> bool {
        *self == SocialSignal::Log
    }
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}
