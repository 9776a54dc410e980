//! Range and consistency checks on resolved parameters.
//!
//! Each check names the dotted key and what would be valid. Keys that build the world
//! (world, demographics, crowd, topics, creators, seed, ticks) must be the same in every
//! variant: variants compare feeds on one world.

use serde_json::Value as Json;

use super::Scenario;
use super::schema::{Audience, Params};

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

/// Largest slate the engine supports (slates live in fixed arrays on the stack).
pub const MAX_SLATE: u32 = 12;
/// Most candidates a ranking stage retrieves per decision.
pub const MAX_CANDIDATES: u32 = 32;
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

fn in_range(key: &str, v: f64, lo: f64, hi: f64) -> Check {
    if v.is_finite() && v >= lo && v <= hi {
        Ok(())
    } else {
        fail(key, format!("= {v} is out of range: valid values are {lo} to {hi}"))
    }
}

fn check_params(p: &Params) -> Check {
    if p.ticks == 0 || p.ticks > 100_000 {
        fail("ticks", format!("= {} is out of range: valid values are 1 to 100000", p.ticks))?;
    }
    let w = &p.world;
    if w.users == 0 {
        fail("world.users", "= 0: a world needs at least 1 user")?;
    }
    if w.platform_users < u64::from(w.users) {
        fail(
            "world.platform_users",
            format!(
                "= {} is smaller than world.users = {}: each simulated user stands for at least one real user",
                w.platform_users, w.users
            ),
        )?;
    }
    in_range("world.steps_per_tick", w.steps_per_tick, 0.0, 10_000.0)?;
    in_range("world.activity_sigma", w.activity_sigma, 0.0, 3.0)?;
    in_range("world.friend_rewire", w.friend_rewire, 0.0, 1.0)?;
    if w.friends_mean > 1000 {
        fail("world.friends_mean", format!("= {} is out of range: valid values are 0 to 1000", w.friends_mean))?;
    }
    if w.note_lifetime_ticks == 0 {
        fail("world.note_lifetime_ticks", "= 0: notes must live at least 1 tick")?;
    }
    if w.secondary_topics as usize >= p.topics.len().max(1) && w.secondary_topics > 0 {
        fail(
            "world.secondary_topics",
            format!("= {} must be smaller than the number of topics ({})", w.secondary_topics, p.topics.len()),
        )?;
    }
    let d = &p.demographics;
    for (k, v) in [
        ("demographics.born_after_1995", d.born_after_1995),
        ("demographics.born_after_2000", d.born_after_2000),
        ("demographics.high_tier_city", d.high_tier_city),
        ("demographics.female", d.female),
    ] {
        in_range(k, v, 0.0, 1.0)?;
    }
    if d.born_after_2000 > d.born_after_1995 {
        fail("demographics.born_after_2000", "must not exceed born_after_1995 (those born after 2000 are a subset)")?;
    }
    let c = &p.crowd;
    in_range("crowd.core_interest", c.core_interest, 0.0, 1.0)?;
    in_range("crowd.high_potential_interest", c.high_potential_interest, 0.0, c.core_interest)?;

    if p.topics.is_empty() || p.topics.len() > MAX_TOPICS {
        fail("topics", format!("has {} entries: valid is 1 to {MAX_TOPICS} [[topics]] tables", p.topics.len()))?;
    }
    for (i, t) in p.topics.iter().enumerate() {
        if t.name.is_empty() || p.topics[..i].iter().any(|o| o.name == t.name) {
            fail(format!("topics[{i}].name"), format!("`{}` must be non-empty and unique", t.name))?;
        }
        in_range(&format!("topics[{i}].popularity"), t.popularity, 1e-9, 1e9)?;
        for (k, v) in
            [("female_lift", t.female_lift), ("young_lift", t.young_lift), ("high_tier_lift", t.high_tier_lift)]
        {
            in_range(&format!("topics[{i}].{k}"), v, 0.0, 1e3)?;
        }
    }

    if p.creators.is_empty() {
        fail("creators", "is empty: give at least one [[creators]] group")?;
    }
    let names: Vec<&str> = p.topics.iter().map(|t| t.name.as_str()).collect();
    let mut total: u64 = 0;
    for (i, g) in p.creators.iter().enumerate() {
        let key = |k: &str| format!("creators[{i}].{k}");
        total += u64::from(g.count);
        match (g.followers, g.followers_median) {
            (Some(_), None) => {}
            (None, Some(m)) => {
                in_range(&key("followers_median"), m, 0.0, 1e10)?;
                in_range(&key("followers_sigma"), g.followers_sigma.unwrap_or(1.0), 0.0, 5.0)?;
            }
            _ => fail(
                key("followers"),
                format!(
                    "group `{}`: give exactly one of `followers` (exact) or `followers_median` (log-normal)",
                    g.name
                ),
            )?,
        }
        if g.topics.is_empty() {
            fail(key("topics"), "is empty: name at least one topic")?;
        }
        for t in &g.topics {
            if !names.contains(&t.as_str()) {
                fail(key("topics"), format!("names `{t}`, which is not a topic; topics are: {}", names.join(", ")))?;
            }
        }
        in_range(&key("posts_per_tick"), g.posts_per_tick, 0.0, 100.0)?;
        in_range(&key("quality"), g.quality, 0.0, 1.0)?;
        in_range(&key("quality_sd"), g.quality_sd, 0.0, 1.0)?;
        in_range(&key("cover_honesty"), g.cover_honesty, 0.0, 1.0)?;
    }
    if total == 0 || total > u64::from(u32::MAX / 2) {
        fail("creators", format!("hold {total} accounts in all: valid is 1 to {}", u32::MAX / 2))?;
    }
    if p.creators.iter().all(|g| g.count == 0 || g.posts_per_tick == 0.0) {
        fail(
            "creators",
            "post no notes: every group has posts_per_tick = 0 (or count = 0), so the feeds would have \
             nothing to show; give at least one group a posts_per_tick above 0",
        )?;
    }

    let r = &p.response;
    for (k, v) in [
        ("response.cover_appeal_weight", r.cover_appeal_weight),
        ("response.cover_interest_weight", r.cover_interest_weight),
        ("response.outside_option", r.outside_option),
        ("response.row_penalty", r.row_penalty),
        ("response.fatigue", r.fatigue),
    ] {
        in_range(k, v, -50.0, 50.0)?;
    }
    for (k, a) in [
        ("completion", r.completion),
        ("like", r.like),
        ("collect", r.collect),
        ("comment", r.comment),
        ("share", r.share),
        ("follow", r.follow),
    ] {
        for (f, v) in [("intercept", a.intercept), ("interest", a.interest), ("quality", a.quality)] {
            in_range(&format!("response.{k}.{f}"), v, -50.0, 50.0)?;
        }
    }
    let e = &p.engagement_weights;
    for (k, v) in
        [("like", e.like), ("collect", e.collect), ("comment", e.comment), ("share", e.share), ("follow", e.follow)]
    {
        in_range(&format!("engagement_weights.{k}"), v, 0.0, 1000.0)?;
    }
    if [e.like, e.collect, e.comment, e.share, e.follow].iter().all(|&w| w == 0.0) {
        fail(
            "engagement_weights",
            "are all 0: every note's engagement score would be 0, so reviews and popularity could not \
             tell notes apart; give at least one weight above 0",
        )?;
    }

    let f = &p.feed;
    if f.slate_size == 0 || f.slate_size > MAX_SLATE {
        fail("feed.slate_size", format!("= {} is out of range: valid values are 1 to {MAX_SLATE}", f.slate_size))?;
    }
    if let Some(c) = f.candidates
        && (c < f.slate_size || c > MAX_CANDIDATES)
    {
        fail(
            "feed.candidates",
            format!("= {c} is out of range: valid values are feed.slate_size ({}) to {MAX_CANDIDATES}", f.slate_size),
        )?;
    }
    in_range("feed.ranking_temperature", f.ranking_temperature, 0.0, 100.0)?;
    in_range("feed.feedback_weight", f.feedback_weight, -100.0, 100.0)?;
    let stages = f.stage_boost.len();
    if stages == 0 || stages > 16 {
        fail("feed.stage_boost", format!("has {stages} entries: give one weight per distribution stage (1 to 16)"))?;
    }
    if f.audience == Audience::CrowdRings && stages != 3 {
        fail(
            "feed.stage_boost",
            format!(
                "has {stages} entries: crowd_rings distribution has exactly 3 stages (core, high-potential, general)"
            ),
        )?;
    }
    if f.stage_quotas.len() + 1 != stages {
        fail(
            "feed.stage_quotas",
            format!("has {} entries: it needs one per stage but the last, so {}", f.stage_quotas.len(), stages - 1),
        )?;
    }
    if f.stage_thresholds.len() + 1 != stages {
        fail(
            "feed.stage_thresholds",
            format!("has {} entries: it needs one per stage but the last, so {}", f.stage_thresholds.len(), stages - 1),
        )?;
    }
    for (i, q) in f.stage_quotas.iter().enumerate() {
        in_range(&format!("feed.stage_quotas[{i}]"), *q, 1.0, 1e15)?;
    }
    in_range("feed.rate_prior_impressions", f.rate_prior_impressions, 0.0, 1e15)?;
    for (i, t) in f.stage_thresholds.iter().enumerate() {
        in_range(&format!("feed.stage_thresholds[{i}]"), *t, 0.0, 1000.0)?;
    }
    for (i, b) in f.stage_boost.iter().enumerate() {
        in_range(&format!("feed.stage_boost[{i}]"), *b, 0.0, 1e6)?;
    }
    if f.stage_boost.iter().all(|&b| b == 0.0) {
        fail(
            "feed.stage_boost",
            "are all 0: every note would have weight 0 and the feed could show nothing; give at least \
             one stage a boost above 0",
        )?;
    }
    in_range("feed.follower_weight", f.follower_weight, 0.0, 3.0)?;
    in_range("feed.popularity_weight", f.popularity_weight, 0.0, 3.0)?;
    in_range("feed.quality_weight", f.quality_weight, 0.0, 50.0)?;
    in_range("feed.freshness_half_life", f.freshness_half_life, 0.01, 1e6)?;
    in_range("feed.exploration", f.exploration, 0.0, 1.0)?;
    in_range("feed.interest_sharpness", f.interest_sharpness, 0.0, 10.0)?;
    in_range("feed.learning_rate", f.learning_rate, 0.0, 1.0)?;
    in_range("feed.skip_learning_rate", f.skip_learning_rate, 0.0, 1.0)?;
    in_range("feed.signal_noise", f.signal_noise, 0.0, 0.5)?;
    if p.metrics.window_ticks == 0 {
        fail("metrics.window_ticks", "= 0: valid values are 1 or more (stability needs two full windows)")?;
    }
    if p.metrics.head_institutions == 0 {
        fail("metrics.head_institutions", "= 0: valid values are 1 or more")?;
    }
    check_journeys(p)?;
    Ok(())
}

/// Journeys, search, sharing, campaigns and trends (issue 4 keys).
fn check_journeys(p: &Params) -> Check {
    let groups: Vec<&str> = p.creators.iter().map(|g| g.name.as_str()).collect();
    let topics: Vec<&str> = p.topics.iter().map(|t| t.name.as_str()).collect();
    if p.journey.focal.len() > 4 {
        fail(
            "journey.focal",
            format!("names {} groups: at most 4 focal institutions are tracked", p.journey.focal.len()),
        )?;
    }
    for (i, f) in p.journey.focal.iter().enumerate() {
        if !groups.contains(&f.as_str()) {
            fail(
                format!("journey.focal[{i}]"),
                format!("`{f}` is not a creator group; groups are: {}", groups.join(", ")),
            )?;
        }
        if p.journey.focal[..i].contains(f) {
            fail(format!("journey.focal[{i}]"), format!("`{f}` is named twice"))?;
        }
    }
    let j = &p.journey;
    for (k, v) in [
        ("aware_per_impression", j.aware_per_impression),
        ("appeal_per_read", j.appeal_per_read),
        ("ask_per_read", j.ask_per_read),
        ("act_per_read", j.act_per_read),
        ("advocate_rate", j.advocate_rate),
    ] {
        in_range(&format!("journey.{k}"), v, 0.0, 1.0)?;
    }
    let s = &p.search;
    for (k, v) in [
        ("ask_search_rate", s.ask_search_rate),
        ("base_search_rate", s.base_search_rate),
        ("user_initiated_share", s.user_initiated_share),
        ("by_name_share", s.by_name_share),
    ] {
        in_range(&format!("search.{k}"), v, 0.0, 1.0)?;
    }
    if s.results == 0 || s.results > MAX_SLATE {
        fail("search.results", format!("= {} is out of range: valid values are 1 to {MAX_SLATE}", s.results))?;
    }
    in_range("search.follower_weight", s.follower_weight, 0.0, 3.0)?;
    in_range("search.quality_weight", s.quality_weight, 0.0, 50.0)?;
    in_range("follow_feed.share", p.follow_feed.share, 0.0, 1.0)?;
    if s.ask_search_rate + p.follow_feed.share > 1.0 || s.base_search_rate + p.follow_feed.share > 1.0 {
        fail(
            "follow_feed.share",
            "plus a search rate exceeds 1: a decision is a search, a follow-feed look or a feed slate",
        )?;
    }
    if p.sharing.friends_per_share > 100 {
        fail(
            "sharing.friends_per_share",
            format!("= {} is out of range: valid values are 0 to 100", p.sharing.friends_per_share),
        )?;
    }
    for (name, k) in [
        ("lifestyle", &p.kinds.lifestyle),
        ("education", &p.kinds.education),
        ("practical", &p.kinds.practical),
        ("answer", &p.kinds.answer),
        ("trending", &p.kinds.trending),
        ("event", &p.kinds.event),
        ("review", &p.kinds.review),
    ] {
        in_range(&format!("kinds.{name}.usefulness"), k.usefulness, 0.0, 1.0)?;
        in_range(&format!("kinds.{name}.credibility"), k.credibility, 0.0, 1.0)?;
        in_range(&format!("kinds.{name}.appeal_bonus"), k.appeal_bonus, -1.0, 1.0)?;
    }
    for (i, g) in p.creators.iter().enumerate() {
        for (k, w) in &g.kinds {
            in_range(
                &format!("creators[{i}].kinds.{}", serde_json::to_string(k).unwrap_or_default().trim_matches('"')),
                *w,
                0.0,
                1e6,
            )?;
        }
    }
    for (i, c) in p.campaigns.iter().enumerate() {
        let key = |k: &str| format!("campaigns[{i}].{k}");
        if !groups.contains(&c.group.as_str()) {
            fail(key("group"), format!("`{}` is not a creator group; groups are: {}", c.group, groups.join(", ")))?;
        }
        if c.start_tick >= c.end_tick {
            fail(key("end_tick"), format!("= {} must be after start_tick = {}", c.end_tick, c.start_tick))?;
        }
        if let Some(t) = &c.topic
            && !topics.contains(&t.as_str())
        {
            fail(key("topic"), format!("`{t}` is not a topic; topics are: {}", topics.join(", ")))?;
        }
        in_range(&key("posts_per_tick"), c.posts_per_tick, 0.0, 1e4)?;
        in_range(&key("promoted_per_tick"), c.promoted_per_tick, 0.0, 1e15)?;
        in_range(&key("prize_advocacy"), c.prize_advocacy, 0.0, 1.0)?;
        in_range(&key("prize_credibility_drop"), c.prize_credibility_drop, 0.0, 1.0)?;
        if p.campaigns[..i].iter().any(|o| o.name == c.name) {
            fail(key("name"), format!("`{}` is used twice", c.name))?;
        }
    }
    for (i, t) in p.trends.iter().enumerate() {
        if !topics.contains(&t.topic.as_str()) {
            fail(
                format!("trends[{i}].topic"),
                format!("`{}` is not a topic; topics are: {}", t.topic, topics.join(", ")),
            )?;
        }
        if t.start_tick >= t.end_tick {
            fail(
                format!("trends[{i}].end_tick"),
                format!("= {} must be after start_tick = {}", t.end_tick, t.start_tick),
            )?;
        }
        in_range(&format!("trends[{i}].interest_boost"), t.interest_boost, 0.0, 1.0)?;
    }
    Ok(())
}
