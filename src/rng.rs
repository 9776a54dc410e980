//! Counter-based random streams.
//!
//! Every draw in the model comes from a stream keyed by (scenario seed, tick, agent id,
//! purpose). A stream is a PCG-64 MCG generator (`rand_pcg::Pcg64Mcg`) whose 128-bit state
//! is a SplitMix64 hash of the key. Because no stream is shared between agents or
//! threads, results do not depend on the number of threads, the chunk size or the order
//! in which work is scheduled. Nothing here touches a thread-local or OS-seeded RNG.

use rand_pcg::Pcg64Mcg;

/// What a stream is used for; part of the key so that streams never collide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub enum Purpose {
    /// A user's demographics, interests and activity.
    UserTraits = 1,
    /// A user's friendships in the social graph.
    SocialTies = 2,
    /// A creator's follower count and in-world followers.
    CreatorTraits = 3,
    /// A creator's posting in one tick.
    Posting = 4,
    /// A user's feed session in one tick.
    Session = 5,
    /// Anything a variant draws on its own (kept apart from shared streams).
    Variant = 6,
    /// A campaign's extra posts in one tick.
    Campaign = 7,
    /// A catalogue item drawn from a group's distribution (`catalogue.count`).
    Catalogue = 8,
    /// The order users arrive in, one tick of sequential arrival.
    Arrival = 9,
}

/// SplitMix64 finaliser: a bijective avalanche on 64 bits.
#[inline]
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The stream for one (seed, tick, agent, purpose) key.
#[inline]
pub fn stream(seed: u64, tick: u32, agent: u64, purpose: Purpose) -> Pcg64Mcg {
    let a = mix64(seed ^ mix64((purpose as u64) << 32 | u64::from(tick)));
    let hi = mix64(a ^ mix64(agent));
    let lo = mix64(hi ^ 0xD1B5_4A32_D192_ED03);
    // An MCG state must be odd.
    Pcg64Mcg::new((u128::from(hi) << 64 | u128::from(lo)) | 1)
}

/// A uniform draw in [0, 1) from 53 random bits.
#[inline]
pub fn unit(rng: &mut Pcg64Mcg) -> f64 {
    use rand::Rng;
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn same_key_same_stream_and_keys_differ() {
        let a = stream(7, 3, 11, Purpose::Session).next_u64();
        assert_eq!(a, stream(7, 3, 11, Purpose::Session).next_u64());
        assert_ne!(a, stream(7, 3, 12, Purpose::Session).next_u64());
        assert_ne!(a, stream(7, 4, 11, Purpose::Session).next_u64());
        assert_ne!(a, stream(8, 3, 11, Purpose::Session).next_u64());
        assert_ne!(a, stream(7, 3, 11, Purpose::Posting).next_u64());
    }

    #[test]
    fn unit_draws_are_uniform_enough() {
        let mut r = stream(1, 0, 0, Purpose::Variant);
        let n = 100_000;
        let mean = (0..n).map(|_| unit(&mut r)).sum::<f64>() / n as f64;
        assert!((mean - 0.5).abs() < 0.01, "mean {mean}");
    }
}
