//! Follows: a user follows a creator at most once, and no creator ends with more
//! followers than the platform has users (S1), however eagerly users follow.

mod common;

/// A month on a small world where every read makes the reader follow the author: without
/// the once-per-user rule, busy authors would collect one follow per read.
#[test]
fn follows_are_once_per_user_and_bounded_by_the_platform() {
    let s = common::load(
        "quickstart.toml",
        &["world.users=3000", "ticks=30", "response.follow.intercept=20.0", "response.follow.quality=0.0"],
    );
    let p = &s.variants[0].params;
    let (platform, users) = (p.world.platform_users as f64, f64::from(p.world.users));
    let out = common::run_on(&s, 2);
    let mut saturated = 0;
    for v in &out.variants {
        for c in &v.creators {
            let (f0, end) = (c.followers_start as f64, c.followers_end as f64);
            assert!(end <= platform, "{} creator {}: {end} followers > {platform} platform users", v.name, c.creator);
            // Each expected follow adds (P / users) · (1 − F0 / P); chances count until a
            // user follows, so about `users` of them at most.
            let per_follow = platform / users * (1.0 - f0 / platform);
            // followers_end is rounded to a whole follower: a thousandth of a follow.
            let gained = (end - f0) / per_follow;
            assert!(gained <= users + 1e-3, "{} creator {}: {gained} follows from {users} users", v.name, c.creator);
            // Fewer distinct followers than reads for a creator read more often than there
            // are users.
            if c.reads as f64 > users {
                saturated += 1;
                assert!(gained < c.reads as f64, "{}: {gained} follows from {} reads", v.name, c.reads);
            }
        }
    }
    // The single-column feed's head is read more often than there are users.
    assert!(saturated > 0, "no creator was read more often than there are users");
}
