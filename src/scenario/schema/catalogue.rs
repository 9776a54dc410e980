//! A fixed catalogue: items listed one by one (or in a CSV file), or exactly N items
//! drawn at tick 0, for controlled experiments where every world shows the same set of
//! items (the multi-world social-influence experiments).
//!
//! Catalogue items are notes like any other: they are posted by creator accounts, live
//! `world.note_lifetime_ticks` ticks and decay with `feed.freshness_half_life`. An item
//! that never ages out is a run with `note_lifetime_ticks` of at least `ticks` and
//! `freshness_half_life = inf`.

use serde::{Deserialize, Serialize};

use super::ContentKind;

/// The `[catalogue]` table. Empty by default: creators' posting is then the only source
/// of notes, as before.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogueSpec {
    /// Items listed one by one, posted at their `born` tick in list order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<CatalogueItem>,
    /// A CSV file of items (path relative to the scenario file; columns `author,topic,
    /// quality,appeal` and optionally `kind,born`). Loading reads it into `items`, so a
    /// resolved scenario is self-contained and this is `None` after loading.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Exactly this many items at tick 0, drawn from `group`'s distribution (topic,
    /// quality, cover appeal and kind as the group's posts), one per account of the
    /// group in turn. 0 (the default): none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub count: u32,
    /// The creator group whose accounts author the `count` items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// The seed of the `count` items' draws (default: the world's seed). Fixing it keeps
    /// the drawn catalogue while `seed` or `world.seed` redraw the people
    /// (`compare --fixed-items` sets it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
}

fn is_zero(x: &u32) -> bool {
    *x == 0
}

impl CatalogueSpec {
    /// Whether the scenario has no catalogue (the default).
    pub fn is_empty(&self) -> bool {
        self.items.is_empty() && self.file.is_none() && self.count == 0 && self.group.is_none() && self.seed.is_none()
    }
    /// Items the catalogue posts over the run.
    pub fn len(&self) -> usize {
        self.items.len() + self.count as usize
    }
}

/// One listed item (a row of `catalogue.items` or of the catalogue's CSV file).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogueItem {
    /// The creator group that posts it: the k-th item naming a group goes to the group's
    /// account k (modulo its count), so a group of N accounts and N items gives each item
    /// its own author (and `creators.csv` a row per item).
    pub author: String,
    /// Topic name.
    pub topic: String,
    /// Latent quality in [0, 1] (drives reads and engagement).
    pub quality: f64,
    /// Cover appeal in [0, 1] (drives the two-column choice); the kind's appeal bonus is
    /// not added: the value is the item's.
    pub appeal: f64,
    /// Content kind (default lifestyle).
    #[serde(default = "lifestyle")]
    pub kind: ContentKind,
    /// Tick it is posted (default 0).
    #[serde(default)]
    pub born: u32,
}

fn lifestyle() -> ContentKind {
    ContentKind::Lifestyle
}
