//! The neutral recommender (`feed.neutral = true`) and the warning for controls that
//! still use engagement.
//!
//! A neutral market shows items without any signal of what others did with them. Hiding
//! counts (`feed.show_counts = false`) removes the signal users see; the recommender
//! still distributes by engagement unless every such term is off. `feed.neutral` turns
//! them all off in one switch, when the scenario loads, so `validate --resolved` shows
//! the values the variant runs with.

use super::schema::{Audience, Params, SlateOrder};
use super::{Scenario, VariantSpec};

/// Turns off every engagement signal in distribution, when `feed.neutral` is set:
/// - quality (engagement-rate), feedback, popularity and follower weights to 0 (followers
///   grow with follows, an engagement act), in the feed and in search;
/// - slates in draw order (`slate_order = "random"`): `ranked` orders by engagement rate,
///   `popularity` by likes;
/// - one open stage on traffic pools (`audience = "traffic_pools"`, no quotas, no
///   reviews): stage reviews promote or stall notes by engagement, and crowd rings tie
///   reach to them.
///
/// What is left is topic choice from the user's estimated interests and freshness.
pub(super) fn apply_neutral(p: &mut Params) {
    if !p.feed.neutral {
        return;
    }
    let f = &mut p.feed;
    f.quality_weight = 0.0;
    f.feedback_weight = 0.0;
    f.popularity_weight = 0.0;
    f.follower_weight = 0.0;
    f.slate_order = SlateOrder::Random;
    f.audience = Audience::TrafficPools;
    f.stage_quotas.clear();
    f.stage_thresholds.clear();
    f.stage_boost = vec![1.0];
    p.search.quality_weight = 0.0;
    p.search.follower_weight = 0.0;
}

/// The engagement signals a variant's distribution still uses, as `key = value`.
pub fn engagement_signals(p: &Params) -> Vec<String> {
    let f = &p.feed;
    let mut on = Vec::new();
    let mut weight = |key: &str, w: f64| {
        if w != 0.0 {
            on.push(format!("{key} = {w}"));
        }
    };
    weight("feed.quality_weight", f.quality_weight);
    weight("feed.feedback_weight", f.feedback_weight);
    weight("feed.popularity_weight", f.popularity_weight);
    weight("feed.follower_weight", f.follower_weight);
    if p.search.base_search_rate > 0.0 || p.search.ask_search_rate > 0.0 {
        weight("search.quality_weight", p.search.quality_weight);
        weight("search.follower_weight", p.search.follower_weight);
    }
    match f.slate_order {
        SlateOrder::Random => {}
        SlateOrder::Ranked => on.push("feed.slate_order = \"ranked\" (by engagement rate)".into()),
        SlateOrder::Popularity => on.push("feed.slate_order = \"popularity\" (by likes)".into()),
    }
    if !f.stage_quotas.is_empty() {
        on.push(format!("feed.stage_quotas ({} stage reviews by engagement)", f.stage_quotas.len()));
    }
    on
}

/// Whether a variant looks meant as a control: named so (`neutral`, `control`), or
/// hiding counts on random slates.
fn meant_as_control(v: &VariantSpec) -> bool {
    let name = v.name.to_lowercase();
    let named = name.contains("neutral") || name.contains("control");
    named || (!v.params.feed.show_counts && v.params.feed.slate_order == SlateOrder::Random)
}

/// One warning per variant that looks meant as a control but whose distribution still
/// uses engagement (for `feedsim validate`).
pub fn control_warnings(s: &Scenario) -> Vec<String> {
    s.variants
        .iter()
        .filter(|v| meant_as_control(v))
        .filter_map(|v| {
            let on = engagement_signals(&v.params);
            (!on.is_empty()).then(|| {
                format!(
                    "variant `{}` looks meant as a control (a neutral market) but its recommender still uses \
                     engagement: {}; set feed.neutral = true in it to turn every engagement signal off",
                    v.name,
                    on.join(", ")
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quickstart() -> Scenario {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/neutral_market.toml");
        super::super::load_file(std::path::Path::new(path), &[]).unwrap()
    }

    #[test]
    fn the_neutral_market_control_is_warned_about_until_it_is_neutral() {
        let s = quickstart();
        let w = control_warnings(&s);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].contains("`neutral`") && w[0].contains("feed.quality_weight = 2"), "{}", w[0]);
        assert!(w[0].contains("feed.popularity_weight = 0.2") && w[0].contains("stage reviews"), "{}", w[0]);
        let mut p = s.variants[1].params.clone();
        p.feed.neutral = true;
        apply_neutral(&mut p);
        assert!(engagement_signals(&p).is_empty(), "{:?}", engagement_signals(&p));
    }

    #[test]
    fn a_ranked_variant_with_counts_is_not_a_control() {
        let s = quickstart();
        assert!(!meant_as_control(&s.variants[0]));
        assert!(!engagement_signals(&s.variants[0].params).is_empty());
    }
}
