//! The 5A journey towards focal institutions (S7).

use serde::{Deserialize, Serialize};

/// The 5A journey (S7): aware → appeal → ask → act → advocate, per focal institution.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct JourneySpec {
    /// Creator groups whose journeys are tracked (at most 4).
    pub focal: Vec<String>,
    /// Chance an impression of a focal note makes an unaware user aware.
    pub aware_per_impression: f64,
    /// Chance a read moves a user to appeal, times the note's quality × the reader's interest.
    pub appeal_per_read: f64,
    /// Chance a read moves a user from appeal to ask, times usefulness × interest.
    pub ask_per_read: f64,
    /// Chance a read moves a user from ask to act, times credibility × usefulness × interest.
    pub act_per_read: f64,
    /// Chance a user who acts advocates: posts a review and shares it with friends.
    pub advocate_rate: f64,
    /// The platform's reviews one review note in the world stands for (platform units).
    /// A simulated advocate stands for `users_per_agent` real ones, so it posts
    /// `users_per_agent / reviews_per_note` notes (rounded at random, at most 1 000):
    /// the notes that meet the audience are as many at any `world.users`, as the
    /// creators' are.
    pub reviews_per_note: f64,
}

impl Default for JourneySpec {
    fn default() -> Self {
        // assumption: rates that give per-mille conversion per impression, near commonly
        // reported finance-content funnels.
        JourneySpec {
            focal: Vec::new(),
            aware_per_impression: 0.3,
            appeal_per_read: 0.5,
            ask_per_read: 0.4,
            act_per_read: 0.3,
            advocate_rate: 0.2,
            // assumption: the resolution the shipped scenarios run at (20 k of S1's 300 M
            // users), where one simulated advocate's review is one note.
            reviews_per_note: 15_000.0,
        }
    }
}
