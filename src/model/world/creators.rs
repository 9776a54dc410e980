//! Creator accounts as struct-of-arrays columns indexed by the creator's id (a `u32`).
//!
//! Groups in the scenario expand into accounts in file order, so creator ids are stable
//! for a scenario. Follower counts are at platform scale (S10 gives real counts); the
//! engine converts in-world follows with the world's users-per-agent factor.

use rand_distr::{Distribution, LogNormal};

use crate::rng::{Purpose, stream};
use crate::scenario::{CreatorGroup, CreatorKind, Params};

/// Follower tiers used to report where traffic goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FollowerTier {
    /// Under 1 k followers: most institutions (S10) and ordinary users.
    Tail,
    /// 1 k to 10 k.
    Small,
    /// 10 k to 100 k: the "waist" (S3, S10).
    Waist,
    /// 100 k and more: the head.
    Head,
}

impl FollowerTier {
    /// All tiers, smallest first.
    pub const ALL: [FollowerTier; 4] =
        [FollowerTier::Tail, FollowerTier::Small, FollowerTier::Waist, FollowerTier::Head];

    /// The tier of a follower count.
    pub fn of(followers: u64) -> FollowerTier {
        match followers {
            0..1_000 => FollowerTier::Tail,
            1_000..10_000 => FollowerTier::Small,
            10_000..100_000 => FollowerTier::Waist,
            _ => FollowerTier::Head,
        }
    }

    /// Name used in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            FollowerTier::Tail => "tail_lt_1k",
            FollowerTier::Small => "small_1k_10k",
            FollowerTier::Waist => "waist_10k_100k",
            FollowerTier::Head => "head_ge_100k",
        }
    }
}

/// The creator accounts.
#[derive(Debug, Clone)]
pub struct Creators {
    /// Number of accounts.
    pub count: usize,
    /// The scenario group each account belongs to.
    pub group: Vec<u16>,
    /// Account kind.
    pub kind: Vec<CreatorKind>,
    /// Followers at the start, platform scale.
    pub followers: Vec<u64>,
    /// The groups, as given in the scenario.
    pub groups: Vec<CreatorGroup>,
    /// Each group's topic ids (indices into the scenario's topics).
    pub group_topics: Vec<Vec<u8>>,
    /// For each group, the index of the focal institution it is (journeys, S7).
    pub group_focal: Vec<Option<u8>>,
    /// For each focal institution, the account that authors its advocates' reviews:
    /// a pseudo-creator `advocates:<group>` standing for the users who post them.
    pub advocate_account: Vec<u32>,
}

impl Creators {
    /// Expands the scenario's groups into accounts and draws their follower counts.
    pub fn generate(p: &Params) -> Creators {
        let mut groups = p.creators.clone();
        let mut group_focal: Vec<Option<u8>> =
            groups.iter().map(|g| p.journey.focal.iter().position(|f| f == &g.name).map(|i| i as u8)).collect();
        // One pseudo-creator per focal institution authors its advocates' reviews (UGC, S2).
        for (fi, name) in p.journey.focal.iter().enumerate() {
            let base = groups.iter().find(|g| &g.name == name).expect("validated focal group").clone();
            groups.push(CreatorGroup {
                name: format!("advocates:{name}"),
                kind: CreatorKind::Ordinary,
                count: 1,
                followers: Some(0),
                followers_median: None,
                followers_sigma: None,
                posts_per_tick: 0.0,
                kinds: Default::default(),
                ..base
            });
            group_focal.push(Some(fi as u8));
        }
        let mut c = Creators {
            count: 0,
            group: Vec::new(),
            kind: Vec::new(),
            followers: Vec::new(),
            group_focal,
            advocate_account: Vec::new(),
            group_topics: groups
                .iter()
                .map(|g| {
                    g.topics
                        .iter()
                        .map(|name| p.topics.iter().position(|t| &t.name == name).expect("validated topic") as u8)
                        .collect()
                })
                .collect(),
            groups: Vec::new(),
        };
        for (gi, g) in groups.iter().enumerate() {
            if gi >= p.creators.len() {
                c.advocate_account.push(c.count as u32);
            }
            for _ in 0..g.count {
                let id = c.count as u64;
                let followers = match (g.followers, g.followers_median) {
                    (Some(f), _) => f,
                    (None, Some(median)) => {
                        let mut rng = stream(p.world_seed(), 0, id, Purpose::CreatorTraits);
                        let sigma = g.followers_sigma.unwrap_or(1.0);
                        let d = LogNormal::new(median.max(1e-9).ln(), sigma).expect("validated sigma");
                        d.sample(&mut rng).round().min(1e10) as u64
                    }
                    (None, None) => 0,
                };
                c.group.push(gi as u16);
                c.kind.push(g.kind);
                c.followers.push(followers);
                c.count += 1;
            }
        }
        c.groups = groups;
        c
    }

    /// Bytes held by the columns.
    pub fn heap_bytes(&self) -> usize {
        self.count * (2 + 1 + 8)
    }
}
