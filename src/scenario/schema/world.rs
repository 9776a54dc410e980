//! The world: its size and users' activity, demographics, crowd rings, topics and the
//! segment filters that select users.

use serde::{Deserialize, Serialize};

/// A segment filter: each field, when given, must match.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SegmentFilter {
    /// Women (true) or men (false).
    pub female: Option<bool>,
    /// Tier-1/2 city residents.
    pub high_tier_city: Option<bool>,
    /// Born after 1995.
    pub born_after_1995: Option<bool>,
}

/// World size and user activity.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WorldSpec {
    /// Simulated users.
    pub users: u32,
    /// Users of the real platform the world stands for (seed: S1, 300 M); each simulated
    /// user represents `platform_users / users` real ones, which converts follower counts.
    #[serde(default = "default_platform_users")]
    pub platform_users: u64,
    /// Mean feed decisions (slates or swipes) per active user per tick.
    #[serde(default = "default_steps")]
    pub steps_per_tick: f64,
    /// Log-normal sigma of per-user activity (assumption: heavy-tailed usage).
    #[serde(default = "default_activity_sigma")]
    pub activity_sigma: f64,
    /// Mean friends per user in the social graph (assumption).
    #[serde(default = "default_friends")]
    pub friends_mean: u32,
    /// Share of friendships rewired to random users (small-world graph; assumption).
    #[serde(default = "default_rewire")]
    pub friend_rewire: f64,
    /// Ticks a note stays eligible for distribution (assumption).
    #[serde(default = "default_lifetime")]
    pub note_lifetime_ticks: u32,
    /// Secondary interests per user besides the primary one (assumption).
    #[serde(default = "default_secondary")]
    pub secondary_topics: u32,
    /// Seed of the world and the posted notes, when they should stay fixed while `seed`
    /// varies (replicates of behaviour on identical inputs); absent means `seed`.
    #[serde(default)]
    pub seed: Option<u64>,
}

fn default_platform_users() -> u64 {
    300_000_000 // seed: S1
}
fn default_steps() -> f64 {
    10.0 // assumption: ten feed decisions a day for an average user
}
fn default_activity_sigma() -> f64 {
    0.8 // assumption
}
fn default_friends() -> u32 {
    10 // assumption
}
fn default_rewire() -> f64 {
    0.1 // assumption: Watts-Strogatz small world
}
fn default_lifetime() -> u32 {
    14 // assumption: a note's feed life is about two weeks
}
fn default_secondary() -> u32 {
    2 // assumption
}

/// Demographic shares (seed: S8).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Demographics {
    /// Share born after 1995 (includes those born after 2000).
    pub born_after_1995: f64,
    /// Share born after 2000.
    pub born_after_2000: f64,
    /// Share living in tier-1 or tier-2 cities.
    pub high_tier_city: f64,
    /// Share of women.
    pub female: f64,
}

impl Default for Demographics {
    fn default() -> Self {
        // seed: S8 (50 % after 1995, 35 % after 2000, 50 % tier-1/2, male:female 3:7)
        Self { born_after_1995: 0.50, born_after_2000: 0.35, high_tier_city: 0.50, female: 0.70 }
    }
}

/// Interest thresholds defining a topic's crowd rings.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CrowdSpec {
    /// Interest at or above which a user is in a topic's core crowd.
    pub core_interest: f64,
    /// Interest at or above which a user is in the high-potential crowd.
    pub high_potential_interest: f64,
}

impl Default for CrowdSpec {
    fn default() -> Self {
        // assumption: primary interests are drawn in [0.6, 1], secondary in [0.3, 0.6]
        Self { core_interest: 0.6, high_potential_interest: 0.3 }
    }
}

/// A topic notes can be about.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TopicSpec {
    /// Topic name, referenced by creators.
    pub name: String,
    /// Relative chance of being a user's primary or secondary interest.
    pub popularity: f64,
    /// Multiplier on popularity for women (S8 segments).
    #[serde(default = "one")]
    pub female_lift: f64,
    /// Multiplier on popularity for users born after 1995.
    #[serde(default = "one")]
    pub young_lift: f64,
    /// Multiplier on popularity for tier-1/2 city users.
    #[serde(default = "one")]
    pub high_tier_lift: f64,
}

fn one() -> f64 {
    1.0
}
