//! Content kinds and what each offers a reader (S7, S12).

use serde::{Deserialize, Serialize};

/// The kind of a note's content (S12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ContentKind {
    /// Everyday lifestyle content.
    Lifestyle,
    /// Investor education (S12: Jianghai, CICC Wealth).
    Education,
    /// Practical how-to content.
    Practical,
    /// Answers to what users currently ask (S12: deposit rates, gold bars).
    Answer,
    /// Tie-ins to a trending topic (S12).
    Trending,
    /// Events aimed at a segment (S12: pink design, a mascot).
    Event,
    /// A user's review of an institution (S7 advocacy; S12 incentivised reviews).
    Review,
}

impl ContentKind {
    /// All kinds, in index order.
    pub const ALL: [ContentKind; 7] = [
        ContentKind::Lifestyle,
        ContentKind::Education,
        ContentKind::Practical,
        ContentKind::Answer,
        ContentKind::Trending,
        ContentKind::Event,
        ContentKind::Review,
    ];
}

/// What a reader gets from a content kind.
#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KindParams {
    /// How useful the content is for a decision, in [0, 1] (drives appeal → ask → act).
    pub usefulness: f64,
    /// How credible it is, in [0, 1] (drives ask → act, S7).
    pub credibility: f64,
    /// Added to cover appeal.
    pub appeal_bonus: f64,
}

/// Parameters of every content kind.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct KindTable {
    /// Lifestyle.
    pub lifestyle: KindParams,
    /// Investor education.
    pub education: KindParams,
    /// Practical how-to.
    pub practical: KindParams,
    /// Answers to current questions.
    pub answer: KindParams,
    /// Trending tie-ins.
    pub trending: KindParams,
    /// Segment events.
    pub event: KindParams,
    /// User reviews.
    pub review: KindParams,
}

impl KindTable {
    /// The parameters of a kind.
    pub fn get(&self, k: ContentKind) -> &KindParams {
        match k {
            ContentKind::Lifestyle => &self.lifestyle,
            ContentKind::Education => &self.education,
            ContentKind::Practical => &self.practical,
            ContentKind::Answer => &self.answer,
            ContentKind::Trending => &self.trending,
            ContentKind::Event => &self.event,
            ContentKind::Review => &self.review,
        }
    }
}

impl Default for KindTable {
    fn default() -> Self {
        // assumption: S7 says useful, authentic, credible content drives ask to act; S12
        // lists education, practical answers, events and reviews. The sizes are ours.
        let k = |usefulness, credibility, appeal_bonus| KindParams { usefulness, credibility, appeal_bonus };
        KindTable {
            lifestyle: k(0.2, 0.5, 0.0),
            education: k(0.8, 0.8, 0.0),
            practical: k(0.9, 0.7, 0.05),
            answer: k(0.9, 0.8, 0.1),
            trending: k(0.3, 0.5, 0.2),
            event: k(0.4, 0.6, 0.2),
            review: k(0.7, 0.9, 0.0),
        }
    }
}
