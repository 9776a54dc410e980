//! The scenario schema: raw serde structs mirroring the TOML file.
//!
//! Every struct denies unknown fields, so a misspelt key is an error, not a silent
//! default. Defaults carry their provenance in comments: `seed: Sx` for a fact from the
//! source article, `assumption:` with a reason otherwise.

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

/// The 5A journey (S7): aware → appeal → ask → act → advocate, per focal institution.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct JourneySpec {
    /// Creator groups whose journeys are tracked (at most 4).
    pub focal: Vec<String>,
    /// Chance an impression of a focal note makes an unaware user aware.
    pub aware_per_impression: f64,
    /// Chance a read moves a user to appeal, times the note's quality.
    pub appeal_per_read: f64,
    /// Chance a read moves a user from appeal to ask, times usefulness × interest.
    pub ask_per_read: f64,
    /// Chance a read moves a user from ask to act, times credibility × usefulness.
    pub act_per_read: f64,
    /// Chance a user who acts advocates: posts a review and shares it with friends.
    pub advocate_rate: f64,
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
        }
    }
}

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

/// Metric settings.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSpec {
    /// Ticks per window for head-stability measures (rank changes between windows).
    pub window_ticks: u32,
    /// Institutions counted as the head when measuring stability (S4 speaks of the top 10).
    pub head_institutions: u32,
    /// A segment whose conversions are reported apart (`segment_conversions.<focal>`).
    #[serde(default)]
    pub segment: Option<SegmentFilter>,
}

impl Default for MetricsSpec {
    fn default() -> Self {
        // assumption: weekly windows; seed: S4 (the industry's top-10 institutions)
        Self { window_ticks: 7, head_institutions: 10, segment: None }
    }
}

impl Params {
    /// The seed of the world (users, creators, graphs) and of creators' posting.
    pub fn world_seed(&self) -> u64 {
        self.world.seed.unwrap_or(self.seed)
    }

    /// Real platform users each simulated user stands for (S1 scale factor): the factor
    /// between simulated counts and platform units.
    pub fn users_per_agent(&self) -> f64 {
        self.world.platform_users as f64 / f64::from(self.world.users.max(1))
    }
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
    /// Utility per unit of ln(1 + visible likes) when counts are shown (social influence).
    #[serde(default = "default_social_influence")]
    pub social_influence: f64,
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
            completion: act(-2.5, 3.0, 2.0),
            like: act(-3.0, 2.0, 2.5),
            collect: act(-4.0, 2.0, 2.5),
            comment: act(-5.0, 1.5, 2.0),
            share: act(-5.5, 2.0, 2.0),
            follow: act(-6.5, 2.0, 2.5),
        }
    }
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

/// How a feed presents items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Layout {
    /// A slate of covers; the user chooses one or none (S5).
    TwoColumn,
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
    #[serde(default = "default_rate_prior")]
    pub rate_prior_impressions: f64,
    /// Ticks for a note's weight to halve with age.
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
}

fn yes() -> bool {
    true
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
