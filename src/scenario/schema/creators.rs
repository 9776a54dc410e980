//! Creator groups: institutions, KOLs and posting users, and how they post.

use serde::{Deserialize, Serialize};

use super::ContentKind;

/// The kind of creator account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum CreatorKind {
    /// A bank's account.
    Bank,
    /// A securities broker's account.
    Broker,
    /// A fund company's account.
    Fund,
    /// An individual key opinion leader.
    Kol,
    /// An ordinary user who posts (UGC).
    Ordinary,
}

impl CreatorKind {
    /// Name as written in files.
    pub fn as_str(self) -> &'static str {
        match self {
            CreatorKind::Bank => "bank",
            CreatorKind::Broker => "broker",
            CreatorKind::Fund => "fund",
            CreatorKind::Kol => "kol",
            CreatorKind::Ordinary => "ordinary",
        }
    }
    /// Banks, brokers and fund companies.
    pub fn is_institution(self) -> bool {
        matches!(self, CreatorKind::Bank | CreatorKind::Broker | CreatorKind::Fund)
    }
}

/// A group of creators that share a posting policy.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CreatorGroup {
    /// Group name (an institution's name, or a class like `finance_kols`).
    pub name: String,
    /// Account kind.
    pub kind: CreatorKind,
    /// Number of accounts in the group.
    #[serde(default = "one_u32")]
    pub count: u32,
    /// Exact follower count at the start (platform scale). Give this or the median.
    #[serde(default)]
    pub followers: Option<u64>,
    /// Median of a log-normal follower distribution (platform scale).
    #[serde(default)]
    pub followers_median: Option<f64>,
    /// Log-normal sigma of followers (with `followers_median`).
    #[serde(default)]
    pub followers_sigma: Option<f64>,
    /// Topics the group posts about, by name; a note picks one uniformly.
    pub topics: Vec<String>,
    /// Mean notes per account per tick.
    pub posts_per_tick: f64,
    /// Mean note quality in [0, 1].
    pub quality: f64,
    /// Spread of note quality.
    #[serde(default = "default_quality_sd")]
    pub quality_sd: f64,
    /// How cover appeal follows quality: 1 = covers are honest, 0 = unrelated.
    #[serde(default = "default_cover_honesty")]
    pub cover_honesty: f64,
    /// Mix of content kinds the group posts (relative weights); empty means lifestyle.
    #[serde(default)]
    pub kinds: std::collections::BTreeMap<ContentKind, f64>,
}

fn one_u32() -> u32 {
    1
}
fn default_quality_sd() -> f64 {
    0.15 // assumption
}
fn default_cover_honesty() -> f64 {
    0.7 // assumption: covers mostly reflect content
}
