//! The 5A journey (S7): aware → appeal → ask → act → advocate, per user and focal
//! institution, stored as one byte per (user, focal institution).
//!
//! - an impression of the institution's note makes an unaware user aware with chance
//!   `aware_per_impression`;
//! - a read moves an unaware or aware user to appeal with chance
//!   `appeal_per_read × quality × interest`;
//! - a read moves a user from appeal to ask (the user starts searching, S7, S9) with
//!   chance `ask_per_read × usefulness × interest`;
//! - a read moves a user from ask to act (a conversion: opening an account, buying a
//!   fund, booking a deposit) with chance `act_per_read × credibility × usefulness ×
//!   interest`: the key moment the seed names is carried by credible, useful content,
//!   and by readers who care about its topic, the note's core crowd (S6, S8);
//!
//! `interest` is the reader's true interest in the note's topic, so every stage after
//! awareness favours the core crowd: content stimulates *that* crowd to act (S6).
//! - the caller decides advocacy after an act (prizes change its chance).

use rand_pcg::Pcg64Mcg;

use crate::rng::unit;
use crate::scenario::JourneySpec;

/// Not yet aware of the institution.
pub const UNAWARE: u8 = 0;
/// Aware.
pub const AWARE: u8 = 1;
/// Attracted (appeal).
pub const APPEAL: u8 = 2;
/// Actively asking: searching for information.
pub const ASK: u8 = 3;
/// Acted: converted.
pub const ACT: u8 = 4;
/// Advocating: posted a review and recommended it.
pub const ADVOCATE: u8 = 5;
/// Names of the stages after unaware, in order (index = stage − 1).
pub const STAGE_NAMES: [&str; STAGES] = ["aware", "appeal", "ask", "act", "advocate"];
/// Stages a user can enter (aware … advocate): the stride of every per-focal funnel array.
pub const STAGES: usize = 5;
/// The focal index of a creator that is not a focal institution.
pub const NOT_FOCAL: u8 = u8::MAX;

/// What the reader perceives of a focal note.
#[derive(Debug, Clone, Copy)]
pub struct Exposure {
    /// True interest in the note's topic (trend boosts included).
    pub interest: f64,
    /// Note quality.
    pub quality: f64,
    /// The content kind's usefulness.
    pub usefulness: f64,
    /// The note's credibility.
    pub credibility: f64,
}

/// An impression: may make the user aware. Returns the stage entered, if any.
#[inline]
pub fn on_impression(stage: &mut u8, j: &JourneySpec, rng: &mut Pcg64Mcg) -> Option<u8> {
    if *stage == UNAWARE && unit(rng) < j.aware_per_impression {
        *stage = AWARE;
        return Some(AWARE);
    }
    None
}

/// A read: may move the user one stage on. Returns the stage entered, if any.
#[inline]
pub fn on_read(stage: &mut u8, j: &JourneySpec, e: &Exposure, rng: &mut Pcg64Mcg) -> Option<u8> {
    let (next, chance) = match *stage {
        UNAWARE | AWARE => (APPEAL, j.appeal_per_read * e.quality * e.interest),
        APPEAL => (ASK, j.ask_per_read * e.usefulness * e.interest),
        ASK => (ACT, j.act_per_read * e.credibility * e.usefulness * e.interest),
        _ => return None,
    };
    if unit(rng) < chance {
        *stage = next;
        Some(next)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Purpose, stream};

    /// Share of `n` reads from stage `from` that move the reader on.
    fn share_moving(from: u8, interest: f64, credibility: f64) -> f64 {
        let j = JourneySpec::default();
        let mut rng = stream(1, 0, 0, Purpose::Variant);
        let e = Exposure { interest, quality: 0.7, usefulness: 0.9, credibility };
        let n = 20_000;
        let moved = (0..n)
            .filter(|_| {
                let mut s = from;
                on_read(&mut s, &j, &e, &mut rng).is_some()
            })
            .count();
        moved as f64 / n as f64
    }

    #[test]
    fn credible_content_converts_more_at_the_key_moment() {
        assert!(share_moving(ASK, 0.8, 0.9) > 1.5 * share_moving(ASK, 0.8, 0.3));
    }

    #[test]
    fn the_core_crowd_moves_on_at_every_stage_after_awareness() {
        // Interest 0.9 (core crowd) against 0.3 (general crowd): three times the chance
        // at appeal, ask and act alike (S6: content stimulates the core crowd to act).
        for from in [AWARE, APPEAL, ASK] {
            let (core, general) = (share_moving(from, 0.9, 0.8), share_moving(from, 0.3, 0.8));
            assert!(core > 2.4 * general && core < 3.6 * general, "stage {from}: {core} vs {general}");
        }
    }

    #[test]
    fn stages_only_move_forward_one_at_a_time() {
        let j = JourneySpec { appeal_per_read: 1.0, ask_per_read: 1.0, act_per_read: 1.0, ..Default::default() };
        let e = Exposure { interest: 1.0, quality: 1.0, usefulness: 1.0, credibility: 1.0 };
        let mut rng = stream(2, 0, 0, Purpose::Variant);
        let mut s = UNAWARE;
        let seen: Vec<u8> = (0..5).filter_map(|_| on_read(&mut s, &j, &e, &mut rng)).collect();
        assert_eq!(seen, vec![APPEAL, ASK, ACT]);
    }
}
