//! Range and consistency checks on resolved parameters.
//!
//! Each check names the dotted key and what would be valid. A variant's checks are rule
//! tables, one line a key in the order messages are reported: `PARAMS` for the
//! parameters, and one table per kind of array element (`TOPIC`, `CREATOR`, ...). A new
//! key's range is one line, `range("table.key", lo, hi, |p| p.table.key)`; checks that
//! relate keys or show values in their message are `holds` and `explained` lines.
//!
//! Keys that build the world (world, demographics, crowd, topics, creators, seed, ticks)
//! must be the same in every variant: variants compare feeds on one world.

use serde_json::Value as Json;

use super::Scenario;
use super::schema::{
    ActLogit, Audience, CampaignSpec, CatalogueItem, ContentKind, CreatorGroup, KindParams, Layout, Params, TopicSpec,
    TrendSpec,
};

/// One failed check.
#[derive(Debug)]
pub struct Violation {
    /// Index of the variant whose value failed, when the scenario has several variants.
    pub variant: Option<usize>,
    /// Another variant the value was compared with (the first one, for keys that must be
    /// the same in every variant); the key may be set in its block instead.
    pub compared_with: Option<usize>,
    /// Dotted key path.
    pub key: String,
    /// What is wrong and what is valid.
    pub message: String,
}

/// Largest slate the engine supports (slates live in fixed arrays on the stack): a
/// catalogue page.
pub const MAX_SLATE: u32 = 64;
/// Most candidates a ranking stage retrieves per decision.
pub const MAX_CANDIDATES: u32 = 128;
/// Largest number of topics (topic ids are bytes and per-user rows stay small).
pub const MAX_TOPICS: usize = 64;

/// Checks every variant; the first violation found is returned.
pub fn validate(s: &Scenario) -> Result<(), Violation> {
    for (i, v) in s.variants.iter().enumerate() {
        check_params(&v.params).map_err(|(key, message)| Violation {
            // Name the variant whenever there are several: a base value can be valid in
            // one variant and not in another (a slate size with a single-column layout).
            variant: (s.variants.len() > 1).then_some(i),
            compared_with: None,
            key,
            message,
        })?;
    }
    let first = &s.variants[0];
    let world = |p: &Params| {
        [
            ("world", serde_json::to_value(&p.world)),
            ("demographics", serde_json::to_value(&p.demographics)),
            ("crowd", serde_json::to_value(&p.crowd)),
            ("topics", serde_json::to_value(&p.topics)),
            ("creators", serde_json::to_value(&p.creators)),
            ("catalogue", serde_json::to_value(&p.catalogue)),
            ("seed", serde_json::to_value(p.seed)),
            ("ticks", serde_json::to_value(p.ticks)),
            // Focal institutions get advocate accounts in the world's creator table.
            ("journey.focal", serde_json::to_value(&p.journey.focal)),
        ]
        .map(|(k, v)| (k, v.unwrap_or_default()))
    };
    let first_world = world(&first.params);
    for (i, v) in s.variants.iter().enumerate().skip(1) {
        for ((key, a), (_, b)) in first_world.iter().zip(world(&v.params)) {
            if let Some((key, this, that)) = first_difference(key, a, &b) {
                return Err(Violation {
                    variant: Some(i),
                    compared_with: Some(0),
                    key,
                    message: format!(
                        "{this} but {that} in the first variant `{}`: variants share one world, so only \
                         [feed], [response], [engagement_weights], [metrics], the journey's rates, \
                         [search], [sharing], [follow_feed], [kinds], [[campaigns]] and [[trends]] \
                         may differ between them; give a different world its own scenario file",
                        first.name
                    ),
                });
            }
        }
    }
    Ok(())
}

/// The first leaf where `b` differs from `a`: its dotted path, how `b` is ("= 5", "has 3
/// entries") and how `a` is ("20000", "2").
fn first_difference(path: &str, a: &Json, b: &Json) -> Option<(String, String, String)> {
    match (a, b) {
        (Json::Object(x), Json::Object(y)) => {
            x.iter().find_map(|(k, va)| first_difference(&format!("{path}.{k}"), va, y.get(k).unwrap_or(&Json::Null)))
        }
        (Json::Array(x), Json::Array(y)) if x.len() == y.len() => {
            x.iter().zip(y).enumerate().find_map(|(i, (va, vb))| first_difference(&format!("{path}[{i}]"), va, vb))
        }
        (Json::Array(x), Json::Array(y)) => {
            Some((path.to_string(), format!("has {} entries", y.len()), x.len().to_string()))
        }
        _ if a == b => None,
        _ => Some((path.to_string(), format!("= {b}"), a.to_string())),
    }
}

type Check = Result<(), (String, String)>;

fn fail(key: impl Into<String>, message: impl Into<String>) -> Check {
    Err((key.into(), message.into()))
}

/// The message for a value outside `lo..=hi` (or not finite), `None` inside.
fn out_of_range(v: f64, lo: f64, hi: f64) -> Option<String> {
    (!(v.is_finite() && v >= lo && v <= hi)).then(|| format!("= {v} is out of range: valid values are {lo} to {hi}"))
}

fn in_range(key: &str, v: f64, lo: f64, hi: f64) -> Check {
    out_of_range(v, lo, hi).map_or(Ok(()), |message| fail(key, message))
}

/// A value under check and where it sits: element `i` of `all`, in the parameters
/// `params`. The parameters themselves are the one element of their own list, so one
/// rule type serves the top level and every array.
struct At<'a, T> {
    params: &'a Params,
    all: &'a [T],
    i: usize,
}

impl<T> std::ops::Deref for At<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.all[self.i]
    }
}

impl<T> At<'_, T> {
    /// The elements before this one, for names that must be unique.
    fn earlier(&self) -> &[T] {
        &self.all[..self.i]
    }
}

/// What a rule finds valid at its key.
enum Valid<T> {
    /// A finite number from `lo` to `hi` (whole-number keys are read as `f64`, which
    /// shows them as they are).
    Range(f64, f64, fn(&At<T>) -> f64),
    /// Every element of an array from `lo` to `hi`, each named `key[i]`.
    EachInRange(f64, f64, for<'x, 'y> fn(&'x At<'y, T>) -> &'x [f64]),
    /// A condition, and what is wrong when it does not hold.
    Holds(fn(&At<T>) -> bool, &'static str),
    /// A check whose message shows values: the message when it fails.
    Explained(fn(&At<T>) -> Option<String>),
    /// A rule table of its own for each element under the key (arrays, and tables of
    /// entries alike); it is given the key.
    Each(fn(&At<T>, &str) -> Check),
}

/// One line of a rule table: a key (relative to the table's prefix; empty for the
/// element itself) and what is valid there.
struct Rule<T> {
    key: &'static str,
    valid: Valid<T>,
}

const fn range<T>(key: &'static str, lo: f64, hi: f64, value: fn(&At<T>) -> f64) -> Rule<T> {
    Rule { key, valid: Valid::Range(lo, hi, value) }
}

const fn each_in_range<T>(
    key: &'static str,
    lo: f64,
    hi: f64,
    values: for<'x, 'y> fn(&'x At<'y, T>) -> &'x [f64],
) -> Rule<T> {
    Rule { key, valid: Valid::EachInRange(lo, hi, values) }
}

const fn holds<T>(key: &'static str, ok: fn(&At<T>) -> bool, message: &'static str) -> Rule<T> {
    Rule { key, valid: Valid::Holds(ok, message) }
}

const fn explained<T>(key: &'static str, check: fn(&At<T>) -> Option<String>) -> Rule<T> {
    Rule { key, valid: Valid::Explained(check) }
}

const fn each<T>(key: &'static str, check: fn(&At<T>, &str) -> Check) -> Rule<T> {
    Rule { key, valid: Valid::Each(check) }
}

/// Applies a rule table in order; the first rule that fails is the result, so a rule
/// may rely on every rule above it holding (finite values, non-empty arrays).
fn apply<T>(rules: &[Rule<T>], at: &At<T>, prefix: &str) -> Check {
    for rule in rules {
        let key = match (prefix, rule.key) {
            ("", k) => k.to_string(),
            (p, "") => p.to_string(),
            (p, k) => format!("{p}.{k}"),
        };
        match &rule.valid {
            Valid::Range(lo, hi, value) => in_range(&key, value(at), *lo, *hi)?,
            Valid::EachInRange(lo, hi, values) => {
                for (i, v) in values(at).iter().enumerate() {
                    in_range(&format!("{key}[{i}]"), *v, *lo, *hi)?;
                }
            }
            Valid::Holds(ok, message) if !ok(at) => fail(key, *message)?,
            Valid::Holds(..) => {}
            Valid::Explained(check) => check(at).map_or(Ok(()), |message| fail(key, message))?,
            Valid::Each(check) => check(at, &key)?,
        }
    }
    Ok(())
}

/// Applies `rules` to every element of `all`, element `i` under the key `name(i)`.
fn for_each<T>(params: &Params, all: &[T], name: impl Fn(usize) -> String, rules: &[Rule<T>]) -> Check {
    (0..all.len()).try_for_each(|i| apply(rules, &At { params, all, i }, &name(i)))
}

/// The checks of one variant's parameters: the first rule that fails.
fn check_params(p: &Params) -> Check {
    apply(PARAMS, &At { params: p, all: std::slice::from_ref(p), i: 0 }, "")
}

fn topic_names(p: &Params) -> Vec<&str> {
    p.topics.iter().map(|t| t.name.as_str()).collect()
}

fn group_names(p: &Params) -> Vec<&str> {
    p.creators.iter().map(|g| g.name.as_str()).collect()
}

/// A content kind as files spell it.
fn kind_name(k: ContentKind) -> String {
    serde_json::to_string(&k).unwrap_or_default().trim_matches('"').to_string()
}

/// The message for a name that is not a creator group.
fn not_a_group(name: &str, p: &Params) -> Option<String> {
    let groups = group_names(p);
    (!groups.contains(&name)).then(|| format!("`{name}` is not a creator group; groups are: {}", groups.join(", ")))
}

/// The message for a group that has no accounts to author items.
fn without_accounts(name: &str, p: &Params) -> Option<String> {
    p.creators
        .iter()
        .find(|g| g.name == name && g.count == 0)
        .map(|_| format!("`{name}` has count = 0: a catalogue's items need a group with at least one account"))
}

/// The message for a name that is not a topic.
fn not_a_topic(name: &str, p: &Params) -> Option<String> {
    let topics = topic_names(p);
    (!topics.contains(&name)).then(|| format!("`{name}` is not a topic; topics are: {}", topics.join(", ")))
}

/// The message for a period that ends before it starts (the end is exclusive).
fn ends_after_start(start_tick: u32, end_tick: u32) -> Option<String> {
    (start_tick >= end_tick).then(|| format!("= {end_tick} must be after start_tick = {start_tick}"))
}

/// The parameters' rules, in the order messages are reported: a value is checked once
/// every rule above it holds.
static PARAMS: &[Rule<Params>] = &[
    range("ticks", 1.0, 100_000.0, |p| f64::from(p.ticks)),
    holds("world.users", |p| p.world.users > 0, "= 0: a world needs at least 1 user"),
    explained("world.platform_users", |p| {
        let w = &p.world;
        (w.platform_users < u64::from(w.users)).then(|| {
            format!(
                "= {} is smaller than world.users = {}: each simulated user stands for at least one real user",
                w.platform_users, w.users
            )
        })
    }),
    range("world.steps_per_tick", 0.0, 10_000.0, |p| p.world.steps_per_tick),
    range("world.activity_sigma", 0.0, 3.0, |p| p.world.activity_sigma),
    range("world.friend_rewire", 0.0, 1.0, |p| p.world.friend_rewire),
    range("world.friends_mean", 0.0, 1000.0, |p| f64::from(p.world.friends_mean)),
    holds("world.note_lifetime_ticks", |p| p.world.note_lifetime_ticks > 0, "= 0: notes must live at least 1 tick"),
    explained("world.secondary_topics", |p| {
        let s = p.world.secondary_topics;
        (s > 0 && s as usize >= p.topics.len().max(1))
            .then(|| format!("= {s} must be smaller than the number of topics ({})", p.topics.len()))
    }),
    range("demographics.born_after_1995", 0.0, 1.0, |p| p.demographics.born_after_1995),
    range("demographics.born_after_2000", 0.0, 1.0, |p| p.demographics.born_after_2000),
    range("demographics.high_tier_city", 0.0, 1.0, |p| p.demographics.high_tier_city),
    range("demographics.female", 0.0, 1.0, |p| p.demographics.female),
    // Both shares are finite here (checked above), so `<=` is the negation of `>`.
    holds(
        "demographics.born_after_2000",
        |p| p.demographics.born_after_2000 <= p.demographics.born_after_1995,
        "must not exceed born_after_1995 (those born after 2000 are a subset)",
    ),
    range("crowd.core_interest", 0.0, 1.0, |p| p.crowd.core_interest),
    explained("crowd.high_potential_interest", |p| {
        out_of_range(p.crowd.high_potential_interest, 0.0, p.crowd.core_interest)
    }),
    explained("topics", |p| {
        let n = p.topics.len();
        (n == 0 || n > MAX_TOPICS).then(|| format!("has {n} entries: valid is 1 to {MAX_TOPICS} [[topics]] tables"))
    }),
    each("topics", |p, key| for_each(p.params, &p.topics, |i| format!("{key}[{i}]"), TOPIC)),
    holds("creators", |p| !p.creators.is_empty(), "is empty: give at least one [[creators]] group"),
    each("creators", |p, key| for_each(p.params, &p.creators, |i| format!("{key}[{i}]"), CREATOR)),
    explained("creators", |p| {
        let total: u64 = p.creators.iter().map(|g| u64::from(g.count)).sum();
        (total == 0 || total > u64::from(u32::MAX / 2))
            .then(|| format!("hold {total} accounts in all: valid is 1 to {}", u32::MAX / 2))
    }),
    each("catalogue.items", |p, key| for_each(p.params, &p.catalogue.items, |i| format!("{key}[{i}]"), CATALOGUE_ITEM)),
    holds(
        "catalogue.file",
        |p| p.catalogue.file.is_none(),
        "is read only where a scenario file gives it (the base or a file it extends), not in a \
         [[variants]] block or a --set: the catalogue is part of the world every variant shares",
    ),
    range("catalogue.count", 0.0, 10_000_000.0, |p| f64::from(p.catalogue.count)),
    explained("catalogue.group", |p| match (&p.catalogue.group, p.catalogue.count) {
        (None, 0) => None,
        (None, n) => Some(format!(
            "is missing: catalogue.count = {n} needs the creator group whose accounts author the items; \
             groups are: {}",
            group_names(p).join(", ")
        )),
        (Some(g), 0) => Some(format!("= \"{g}\" but catalogue.count = 0: give the number of items (1 or more)")),
        (Some(g), _) => not_a_group(g, p).or_else(|| without_accounts(g, p)),
    }),
    holds(
        "creators",
        |p| !p.catalogue.is_empty() || p.creators.iter().any(|g| g.count > 0 && g.posts_per_tick != 0.0),
        "post no notes: every group has posts_per_tick = 0 (or count = 0), so the feeds would have \
         nothing to show; give at least one group a posts_per_tick above 0, or a [catalogue] of items",
    ),
    range("response.cover_appeal_weight", -50.0, 50.0, |p| p.response.cover_appeal_weight),
    range("response.cover_interest_weight", -50.0, 50.0, |p| p.response.cover_interest_weight),
    range("response.outside_option", -50.0, 50.0, |p| p.response.outside_option),
    range("response.row_penalty", -50.0, 50.0, |p| p.response.row_penalty),
    range("response.fatigue", -50.0, 50.0, |p| p.response.fatigue),
    range("response.decisions_scale", 0.01, 100.0, |p| p.response.decisions_scale),
    range("response.social_influence", -50.0, 50.0, |p| p.response.social_influence),
    each("response", |p, key| {
        const ACTS: [&str; 6] = ["completion", "like", "collect", "comment", "share", "follow"];
        let r = &p.response;
        let acts = [r.completion, r.like, r.collect, r.comment, r.share, r.follow];
        for_each(p.params, &acts, |i| format!("{key}.{}", ACTS[i]), ACT)
    }),
    range("engagement_weights.like", 0.0, 1000.0, |p| p.engagement_weights.like),
    range("engagement_weights.collect", 0.0, 1000.0, |p| p.engagement_weights.collect),
    range("engagement_weights.comment", 0.0, 1000.0, |p| p.engagement_weights.comment),
    range("engagement_weights.share", 0.0, 1000.0, |p| p.engagement_weights.share),
    range("engagement_weights.follow", 0.0, 1000.0, |p| p.engagement_weights.follow),
    holds(
        "engagement_weights",
        |p| {
            let e = &p.engagement_weights;
            [e.like, e.collect, e.comment, e.share, e.follow].iter().any(|&w| w != 0.0)
        },
        "are all 0: every note's engagement score would be 0, so reviews and popularity could not \
         tell notes apart; give at least one weight above 0",
    ),
    range("feed.slate_size", 1.0, MAX_SLATE as f64, |p| f64::from(p.feed.slate_size)),
    explained("feed.candidates", |p| {
        let k = p.feed.shown_per_slate();
        let shown = if p.feed.layout == Layout::SingleColumn {
            "1, the one item a single-column slate shows,".to_string()
        } else {
            format!("feed.slate_size ({k})")
        };
        p.feed
            .candidates
            .filter(|&c| c < k || c > MAX_CANDIDATES)
            .map(|c| format!("= {c} is out of range: valid values are {shown} to {MAX_CANDIDATES}"))
    }),
    range("feed.columns", 1.0, 16.0, |p| f64::from(p.feed.columns)),
    explained("feed.columns", |p| {
        (p.feed.layout != Layout::Grid && p.feed.columns != 2).then(|| {
            format!(
                "= {} applies to layout = \"grid\" only (two_column has 2 columns, list 1, single_column one item)",
                p.feed.columns
            )
        })
    }),
    range("response.column_penalty", -50.0, 50.0, |p| p.response.column_penalty),
    range("feed.ranking_temperature", 0.0, 100.0, |p| p.feed.ranking_temperature),
    range("feed.feedback_weight", -100.0, 100.0, |p| p.feed.feedback_weight),
    explained("feed.stage_boost", |p| {
        let stages = p.feed.stage_boost.len();
        (stages == 0 || stages > 16)
            .then(|| format!("has {stages} entries: give one weight per distribution stage (1 to 16)"))
    }),
    explained("feed.stage_boost", |p| {
        let stages = p.feed.stage_boost.len();
        (p.feed.audience == Audience::CrowdRings && stages != 3).then(|| {
            format!(
                "has {stages} entries: crowd_rings distribution has exactly 3 stages (core, high-potential, general)"
            )
        })
    }),
    explained("feed.stage_quotas", |p| one_per_stage_but_last(p.feed.stage_quotas.len(), p.feed.stage_boost.len())),
    explained("feed.stage_thresholds", |p| {
        one_per_stage_but_last(p.feed.stage_thresholds.len(), p.feed.stage_boost.len())
    }),
    each_in_range("feed.stage_quotas", 1.0, 1e15, |p| &p.feed.stage_quotas),
    range("feed.rate_prior_impressions", 0.0, 1e15, |p| p.feed.rate_prior_impressions),
    each_in_range("feed.stage_thresholds", 0.0, 1000.0, |p| &p.feed.stage_thresholds),
    each_in_range("feed.stage_boost", 0.0, 1e6, |p| &p.feed.stage_boost),
    holds(
        "feed.stage_boost",
        |p| p.feed.stage_boost.iter().any(|&b| b != 0.0),
        "are all 0: every note would have weight 0 and the feed could show nothing; give at least \
         one stage a boost above 0",
    ),
    range("feed.follower_weight", 0.0, 3.0, |p| p.feed.follower_weight),
    range("feed.popularity_weight", 0.0, 3.0, |p| p.feed.popularity_weight),
    range("feed.quality_weight", 0.0, 50.0, |p| p.feed.quality_weight),
    explained("feed.freshness_half_life", |p| {
        // inf: notes never fade (a fixed catalogue whose items stay as they are).
        let h = p.feed.freshness_half_life;
        (h != f64::INFINITY && out_of_range(h, 0.01, 1e6).is_some())
            .then(|| format!("= {h} is out of range: valid values are 0.01 to 1000000, or inf (notes never fade)"))
    }),
    range("feed.exploration", 0.0, 1.0, |p| p.feed.exploration),
    range("feed.interest_sharpness", 0.0, 10.0, |p| p.feed.interest_sharpness),
    range("feed.learning_rate", 0.0, 1.0, |p| p.feed.learning_rate),
    range("feed.skip_learning_rate", 0.0, 1.0, |p| p.feed.skip_learning_rate),
    range("feed.signal_noise", 0.0, 0.5, |p| p.feed.signal_noise),
    holds(
        "metrics.window_ticks",
        |p| p.metrics.window_ticks > 0,
        "= 0: valid values are 1 or more (stability needs two full windows)",
    ),
    holds("metrics.head_institutions", |p| p.metrics.head_institutions > 0, "= 0: valid values are 1 or more"),
    // Journeys, search, sharing, campaigns and trends (issue 4 keys).
    explained("journey.focal", |p| {
        let n = p.journey.focal.len();
        (n > 4).then(|| format!("names {n} groups: at most 4 focal institutions are tracked"))
    }),
    each("journey.focal", |p, key| for_each(p.params, &p.journey.focal, |i| format!("{key}[{i}]"), FOCAL)),
    range("journey.aware_per_impression", 0.0, 1.0, |p| p.journey.aware_per_impression),
    range("journey.appeal_per_read", 0.0, 1.0, |p| p.journey.appeal_per_read),
    range("journey.ask_per_read", 0.0, 1.0, |p| p.journey.ask_per_read),
    range("journey.act_per_read", 0.0, 1.0, |p| p.journey.act_per_read),
    range("journey.advocate_rate", 0.0, 1.0, |p| p.journey.advocate_rate),
    range("journey.reviews_per_note", 1.0, 1e12, |p| p.journey.reviews_per_note),
    range("search.ask_search_rate", 0.0, 1.0, |p| p.search.ask_search_rate),
    range("search.base_search_rate", 0.0, 1.0, |p| p.search.base_search_rate),
    range("search.user_initiated_share", 0.0, 1.0, |p| p.search.user_initiated_share),
    range("search.by_name_share", 0.0, 1.0, |p| p.search.by_name_share),
    range("search.results", 1.0, MAX_SLATE as f64, |p| f64::from(p.search.results)),
    range("search.follower_weight", 0.0, 3.0, |p| p.search.follower_weight),
    range("search.quality_weight", 0.0, 50.0, |p| p.search.quality_weight),
    range("follow_feed.share", 0.0, 1.0, |p| p.follow_feed.share),
    holds(
        "follow_feed.share",
        // The three rates are finite here (checked above), so `<=` is the negation of `>`.
        |p| {
            let share = p.follow_feed.share;
            p.search.ask_search_rate + share <= 1.0 && p.search.base_search_rate + share <= 1.0
        },
        "plus a search rate exceeds 1: a decision is a search, a follow-feed look or a feed slate",
    ),
    range("sharing.friends_per_share", 0.0, 100.0, |p| f64::from(p.sharing.friends_per_share)),
    each("kinds", |p, key| {
        let kinds = ContentKind::ALL.map(|k| *p.kinds.get(k));
        for_each(p.params, &kinds, |i| format!("{key}.{}", kind_name(ContentKind::ALL[i])), KIND)
    }),
    // After the kinds table: a group's mix is checked once every kind's parameters are.
    each("creators", |p, key| {
        for (i, g) in p.creators.iter().enumerate() {
            for (k, w) in &g.kinds {
                in_range(&format!("{key}[{i}].kinds.{}", kind_name(*k)), *w, 0.0, 1e6)?;
            }
        }
        Ok(())
    }),
    each("campaigns", |p, key| for_each(p.params, &p.campaigns, |i| format!("{key}[{i}]"), CAMPAIGN)),
    each("trends", |p, key| for_each(p.params, &p.trends, |i| format!("{key}[{i}]"), TREND)),
];

/// "has N entries: it needs one per stage but the last, so M", unless N = M.
fn one_per_stage_but_last(entries: usize, stages: usize) -> Option<String> {
    (entries + 1 != stages)
        .then(|| format!("has {entries} entries: it needs one per stage but the last, so {}", stages - 1))
}

static TOPIC: &[Rule<TopicSpec>] = &[
    explained("name", |t| {
        (t.name.is_empty() || t.earlier().iter().any(|o| o.name == t.name))
            .then(|| format!("`{}` must be non-empty and unique", t.name))
    }),
    range("popularity", 1e-9, 1e9, |t| t.popularity),
    range("female_lift", 0.0, 1e3, |t| t.female_lift),
    range("young_lift", 0.0, 1e3, |t| t.young_lift),
    range("high_tier_lift", 0.0, 1e3, |t| t.high_tier_lift),
];

static CREATOR: &[Rule<CreatorGroup>] = &[
    explained("followers", |g| {
        (g.followers.is_some() == g.followers_median.is_some()).then(|| {
            format!("group `{}`: give exactly one of `followers` (exact) or `followers_median` (log-normal)", g.name)
        })
    }),
    // Only the log-normal form has a median and a sigma (the rule above holds here).
    explained("followers_median", |g| g.followers_median.and_then(|m| out_of_range(m, 0.0, 1e10))),
    explained("followers_sigma", |g| {
        g.followers_median.and_then(|_| out_of_range(g.followers_sigma.unwrap_or(1.0), 0.0, 5.0))
    }),
    holds("topics", |g| !g.topics.is_empty(), "is empty: name at least one topic"),
    explained("topics", |g| {
        let names = topic_names(g.params);
        g.topics
            .iter()
            .find(|t| !names.contains(&t.as_str()))
            .map(|t| format!("names `{t}`, which is not a topic; topics are: {}", names.join(", ")))
    }),
    range("posts_per_tick", 0.0, 100.0, |g| g.posts_per_tick),
    range("quality", 0.0, 1.0, |g| g.quality),
    range("quality_sd", 0.0, 1.0, |g| g.quality_sd),
    range("cover_honesty", 0.0, 1.0, |g| g.cover_honesty),
];

static CATALOGUE_ITEM: &[Rule<CatalogueItem>] = &[
    explained("author", |c| not_a_group(&c.author, c.params).or_else(|| without_accounts(&c.author, c.params))),
    explained("topic", |c| not_a_topic(&c.topic, c.params)),
    range("quality", 0.0, 1.0, |c| c.quality),
    range("appeal", 0.0, 1.0, |c| c.appeal),
    explained("born", |c| {
        (c.born >= c.params.ticks)
            .then(|| format!("= {} is out of range: valid values are 0 to ticks − 1 ({})", c.born, c.params.ticks - 1))
    }),
];

static ACT: &[Rule<ActLogit>] = &[
    range("intercept", -50.0, 50.0, |a| a.intercept),
    range("interest", -50.0, 50.0, |a| a.interest),
    range("quality", -50.0, 50.0, |a| a.quality),
];

static FOCAL: &[Rule<String>] = &[
    explained("", |f| not_a_group(f, f.params)),
    explained("", |f| f.earlier().contains(f).then(|| format!("`{}` is named twice", **f))),
];

static KIND: &[Rule<KindParams>] = &[
    range("usefulness", 0.0, 1.0, |k| k.usefulness),
    range("credibility", 0.0, 1.0, |k| k.credibility),
    range("appeal_bonus", -1.0, 1.0, |k| k.appeal_bonus),
];

static CAMPAIGN: &[Rule<CampaignSpec>] = &[
    explained("group", |c| not_a_group(&c.group, c.params)),
    explained("end_tick", |c| ends_after_start(c.start_tick, c.end_tick)),
    explained("topic", |c| c.topic.as_deref().and_then(|t| not_a_topic(t, c.params))),
    range("posts_per_tick", 0.0, 1e4, |c| c.posts_per_tick),
    range("promoted_per_tick", 0.0, 1e15, |c| c.promoted_per_tick),
    range("prize_advocacy", 0.0, 1.0, |c| c.prize_advocacy),
    range("prize_credibility_drop", 0.0, 1.0, |c| c.prize_credibility_drop),
    explained("name", |c| c.earlier().iter().any(|o| o.name == c.name).then(|| format!("`{}` is used twice", c.name))),
];

static TREND: &[Rule<TrendSpec>] = &[
    explained("topic", |t| not_a_topic(&t.topic, t.params)),
    explained("end_tick", |t| ends_after_start(t.start_tick, t.end_tick)),
    range("interest_boost", 0.0, 1.0, |t| t.interest_boost),
];
