//! The world every variant shares: users, creators and their graphs. Under MPI each rank
//! builds only its users' rows ([`World::build_part`]); creators are always whole.
//!
//! Built once per scenario from the scenario seed, in parallel and deterministically (each
//! agent draws from its own stream). Variants then run on clones of nothing: the world is
//! read-only during a run; per-variant state (notes, estimates, follows gained) lives in
//! the engine.

mod creators;
mod graph;
mod users;

pub use creators::{Creators, FollowerTier};
pub use graph::Graph;
pub use users::{Rows, Segment, Traits, Users};

use crate::scenario::Params;

/// Users, creators, the social graph and the follow graph.
#[derive(Debug)]
pub struct World {
    /// The user population.
    pub users: Users,
    /// The creator accounts.
    pub creators: Creators,
    /// Friendships among users (symmetric), for word of mouth: the held users' rows.
    pub social: Graph,
    /// Follow edges from users to creators: node ids `0..users` are users and
    /// `users + c` is creator `c`; the held users' rows.
    pub follows: Graph,
    /// Real platform users each simulated user stands for (S1 scale factor).
    pub users_per_agent: f64,
}

impl World {
    /// Builds the world for a scenario's parameters.
    pub fn build(p: &Params) -> World {
        World::build_part(p, 0..p.world.users as usize)
    }

    /// Builds the part of the world an MPI rank holds: the rows of users `local` (their
    /// traits, their rows of the social and follow graphs, with global ids for the
    /// other ends) and every creator. Each held row is the same as in [`World::build`].
    pub fn build_part(p: &Params, local: std::ops::Range<usize>) -> World {
        let users = Users::generate_part(p, local);
        let creators = Creators::generate(p);
        let social = graph::social_graph(p, &users);
        let follows = graph::follow_graph(p, &users, &creators);
        let users_per_agent = p.world.platform_users as f64 / f64::from(p.world.users);
        World { users, creators, social, follows, users_per_agent }
    }

    /// Bytes held by the world's arrays (measured from their lengths).
    pub fn heap_bytes(&self) -> usize {
        self.users.heap_bytes() + self.creators.heap_bytes() + self.social.heap_bytes() + self.follows.heap_bytes()
    }
}

/// Whether a segment passes a filter.
pub fn segment_matches(filter: &crate::scenario::SegmentFilter, seg: Segment) -> bool {
    let ok = |want: Option<bool>, bit: u8| want.is_none_or(|w| seg.has(bit) == w);
    ok(filter.female, Segment::FEMALE)
        && ok(filter.high_tier_city, Segment::HIGH_TIER)
        && ok(filter.born_after_1995, Segment::AFTER_1995)
}

impl World {
    /// `k` friends of `user` drawn uniformly with replacement, one uniform each (none for
    /// a user without friends): who a share or a review reaches.
    pub fn draw_friends<'a>(
        &'a self,
        user: u32,
        k: u32,
        rng: &'a mut rand_pcg::Pcg64Mcg,
    ) -> impl Iterator<Item = u32> + 'a {
        debug_assert!(self.social.holds(user), "the friends of user {user} are held by its rank");
        let friends = self.social.neighbors(user);
        let k = if friends.is_empty() { 0 } else { k };
        (0..k).map(move |_| {
            let i = ((crate::rng::unit(rng) * friends.len() as f64) as usize).min(friends.len() - 1);
            friends[i]
        })
    }
}
