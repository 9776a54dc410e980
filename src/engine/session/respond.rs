//! How a user responds to what a decision showed: the impression counted by channel and
//! ring, the cover choice or watch-through, what the recommender learns, and after a
//! read the engagement acts, the 5A journey (S7), a follow, an advocate's review and
//! shares to friends (S6).

use super::slate::SlateTopics;
use super::*;
use crate::model::behaviour::journey::{self, ACT, ADVOCATE, Exposure};
use crate::model::behaviour::{CoverView, ResponseGrid, choose_cover, engage, follow_chance};
use crate::model::content::{
    COLLECTS, COMMENTS, EXPECTED_ENGAGEMENT, EXPECTED_POSITIVES, EXPECTED_SHOWN, FOLLOWS, IMPRESSIONS, LIKES,
    NO_CAMPAIGN, NewNote, OBSERVED, POSITIVES, READS, SHARES,
};
use crate::model::platform::channel::{FEED, SEARCH};
use crate::model::platform::{FeedPolicy, Signal, ring_of};
use crate::rng::unit;
use crate::scenario::{ContentKind, ItemCount};

impl<F: FeedPolicy> TickView<'_, F> {
    /// Shows items to the user through a channel; the user may read one. With `learn`
    /// (a feed slate) the recommender learns from every slot and marks what the user's
    /// next slates are drawn with stale.
    pub(super) fn show(
        &self,
        a: &mut Actor,
        items: &[u32],
        channel: usize,
        learn: Option<&mut SlateTopics>,
        out: &mut ChunkOutcome,
    ) {
        // Cover arrays sized to the slate: one for a single item (single column, shares,
        // follows), small ones for the usual slates, a large one for catalogue pages.
        match items.len() {
            0..=1 => self.show_in::<1>(a, items, channel, learn, out),
            2..=8 => self.show_in::<8>(a, items, channel, learn, out),
            9..=16 => self.show_in::<16>(a, items, channel, learn, out),
            _ => self.show_in::<{ MAX_SLATE as usize }>(a, items, channel, learn, out),
        }
    }

    fn show_in<const N: usize>(
        &self,
        a: &mut Actor,
        items: &[u32],
        channel: usize,
        learn: Option<&mut SlateTopics>,
        out: &mut ChunkOutcome,
    ) {
        if items.is_empty() {
            return;
        }
        let p = self.params;
        let truth = a.truth;
        let (core, hp) = (p.crowd.core_interest as f32, p.crowd.high_potential_interest as f32);
        let mut covers = [CoverView::default(); N];
        for (i, &n) in items.iter().enumerate() {
            let n = n as usize;
            let card = self.cards[n];
            let topic = card.topic as usize;
            // `min(1.0)` as a comparison: the same value for every input, NaN included,
            // in one instruction where `f32::min` takes several.
            let boosted = truth[topic] + self.trend_boost[topic];
            let interest = if boosted < 1.0 { boosted } else { 1.0 };
            covers[i] = CoverView {
                interest,
                appeal: card.appeal,
                quality: card.quality,
                social: card.social,
                read_before: a.read.as_ref().is_some_and(|r| r.binary_search(&(n as u32)).is_ok()),
            };
            a.counts.add(self.notes, n, IMPRESSIONS + ring_of(truth[topic], core, hp));
            out.channel[channel] += 1;
            // Feed slots are drawn from the rings the note reached (promoted ones are
            // counted apart): only search, shares and follows reach beyond them.
            if channel != FEED
                && p.feed.audience == Audience::CrowdRings
                && user_ring(p.feed.audience, a.est[topic], self.cutoffs[topic]) > self.stage[n] as usize
            {
                out.out_of_ring += 1;
            }
            let fi = card.focal;
            if fi != journey::NOT_FOCAL {
                out.focal_impressions[fi as usize] += 1;
                if let Some(s) = journey::on_impression(&mut a.journey[fi as usize], &p.journey, &mut a.rng) {
                    out.entered[fi as usize * journey::STAGES + s as usize - 1] += 1;
                }
            }
        }
        let covers = &covers[..items.len()];
        // Each cover's chance to be read, when the platform counts expected responses.
        let mut chances = [0.0f64; N];
        let wanted = if self.expected.is_some() { items.len() } else { 0 };
        let chosen = if channel == SEARCH {
            // Results are a grid on either app (assumption): a choice among covers.
            choose_cover(&p.response, covers, 2, a.consumed, &mut a.rng, &mut chances[..wanted])
        } else {
            self.feed.choose(&p.response, covers, a.consumed, &mut a.rng, &mut chances[..wanted])
        };
        if let Some(grid) = self.expected {
            self.count_chances(grid, a, items, covers, &chances[..items.len()]);
        }
        if let Some(i) = chosen {
            self.read(a, items[i], &covers[i], out);
        }
        if let Some(view) = learn {
            // The recommender learns from every slot it showed (S5).
            let f = &p.feed;
            // What it observes also updates the note's feedback counts, the `feedback`
            // term of its score.
            for (i, &n) in items.iter().enumerate() {
                let topic = self.cards[n as usize].topic as usize;
                let e = &mut a.est[topic];
                a.counts.add(self.notes, n as usize, OBSERVED);
                if self.expected.is_some() {
                    // The chance the recommender observes this slot as positive.
                    let (c, noise) = (chances[i], f.signal_noise);
                    a.counts.add_chance(
                        self.notes,
                        n as usize,
                        EXPECTED_POSITIVES,
                        c * (1.0 - noise) + (1.0 - c) * noise,
                    );
                }
                match self.feed.observe(chosen, i, f.signal_noise, &mut a.rng) {
                    Signal::Positive => {
                        *e += (f.learning_rate as f32) * (1.0 - *e);
                        a.counts.add(self.notes, n as usize, POSITIVES);
                    }
                    Signal::Negative => *e -= (f.skip_learning_rate as f32) * *e,
                }
                view.mark_stale(topic);
            }
        }
    }

    /// Counts what the real users a simulated user stands for are expected to do with the
    /// items shown (each item's read chance in `chances`): the engagement score its read
    /// brings and the count covers show ([`crate::model::platform::SimUnits::observed`]).
    // Always inlined into its one caller: as a call its prologue and epilogue took about
    // 20 instructions per single-column impression (cachegrind).
    #[inline(always)]
    fn count_chances(&self, grid: &ResponseGrid, a: &mut Actor, items: &[u32], covers: &[CoverView], chances: &[f64]) {
        let p = self.params;
        // Whether the follow act is possible matters only where it is counted.
        let by_follow = p.engagement_weights.follow != 0.0 || p.feed.count_shown == ItemCount::Follows;
        let impressions = p.feed.count_shown == ItemCount::Impressions;
        for ((&n, cover), &c) in items.iter().zip(covers).zip(chances) {
            let follows = by_follow && self.follows_already(a, self.notes.author[n as usize]);
            let (engagement, shown) = grid.read(cover, follows);
            let n = n as usize;
            a.counts.add_chance(self.notes, n, EXPECTED_ENGAGEMENT, c * engagement);
            a.counts.add_chance(self.notes, n, EXPECTED_SHOWN, if impressions { 1.0 } else { c * shown });
        }
    }

    /// A read (click or completed watch): engagement, follows, shares, journey.
    pub(super) fn read(&self, a: &mut Actor, note: u32, view: &CoverView, out: &mut ChunkOutcome) {
        let p = self.params;
        let n = note as usize;
        a.consumed += 1;
        a.counts.add(self.notes, n, READS);
        if let Some(read) = a.read.as_mut()
            && let Err(at) = read.binary_search(&note)
        {
            read.insert(at, note);
        }
        out.read_interest += f64::from(view.interest);
        out.reads += 1;
        let mut acts = engage(&p.response, view, &mut a.rng);
        let author = self.notes.author[n];
        // A user follows a creator at most once: a follower cannot follow again. Until
        // then, each read adds its follow chance to the author's expected follows (the
        // real readers this user stands for follow in that share).
        let follows = self.follows_already(a, author);
        if !follows {
            a.counts.add_follow_chance(author as usize, follow_chance(&p.response, view));
        }
        acts.follow &= !follows;
        for (hit, cell) in [
            (acts.like, LIKES),
            (acts.collect, COLLECTS),
            (acts.comment, COMMENTS),
            (acts.share, SHARES),
            (acts.follow, FOLLOWS),
        ] {
            if hit {
                a.counts.add(self.notes, n, cell);
            }
        }
        if acts.follow {
            a.new_follows.push(author);
            a.followed.insert(author);
        }
        if acts.share {
            self.share_with_friends(a, note, out);
        }
        let fi = self.focal_of[author as usize];
        if fi == journey::NOT_FOCAL {
            return;
        }
        let f = fi as usize;
        out.focal_reads[f] += 1;
        let kind = p.kinds.get(self.notes.kind[n]);
        let exposure = Exposure {
            interest: f64::from(view.interest),
            quality: f64::from(view.quality),
            usefulness: kind.usefulness,
            credibility: f64::from(self.notes.credibility[n]),
        };
        let Some(stage) = journey::on_read(&mut a.journey[f], &p.journey, &exposure, &mut a.rng) else { return };
        out.entered[f * journey::STAGES + stage as usize - 1] += 1;
        if stage == ASK {
            *a.ask_topic = self.notes.topic[n];
        }
        if stage == ACT {
            out.conversions[f * Segment::COUNT + a.seg.0 as usize] += 1;
            self.maybe_advocate(a, f, n, out);
        }
    }

    /// Whether the user follows a creator: in the world's initial follow graph or since.
    #[inline]
    pub(super) fn follows_already(&self, a: &Actor, creator: u32) -> bool {
        a.followed.contains(creator)
    }

    /// After an act: the user may advocate (S7), posting a review and sharing it; a
    /// running prize campaign of the institution raises the chance and lowers the
    /// review's credibility (S12).
    pub(super) fn maybe_advocate(&self, a: &mut Actor, f: usize, n: usize, out: &mut ChunkOutcome) {
        let p = self.params;
        let prize = self.campaigns.iter().position(|c| c.active && c.review_prize && c.focal == Some(f as u8));
        let chance = p.journey.advocate_rate + prize.map_or(0.0, |c| self.campaigns[c].prize_advocacy);
        if unit(&mut a.rng) >= chance {
            return;
        }
        a.journey[f] = ADVOCATE;
        out.entered[f * journey::STAGES + ADVOCATE as usize - 1] += 1;
        let review = p.kinds.get(ContentKind::Review);
        let drop = prize.map_or(0.0, |c| self.campaigns[c].prize_credibility_drop);
        let mut note = NewNote {
            author: self.world.creators.advocate_account[f],
            topic: self.notes.topic[n],
            quality: 0.0,
            appeal: 0.0,
            born: self.tick + 1,
            kind: ContentKind::Review,
            credibility: (review.credibility * (1.0 - drop)) as f32,
            campaign: prize.map_or(NO_CAMPAIGN, |c| c as u16),
        };
        let user = a.u as u32;
        let listed = review_notes(p.users_per_agent() / p.journey.reviews_per_note, &mut a.rng);
        if listed == 0 {
            out.reviews.push(ReviewPost { note, user, role: ReviewRole::SharesLatest });
            return;
        }
        for copy in 0..listed {
            // assumption: reviews by ordinary users vary around middling quality.
            let quality: f64 =
                (0.5 + Normal::<f64>::new(0.0, 0.15).expect("fixed sd").sample(&mut a.rng)).clamp(0.0, 1.0);
            let appeal = (0.5 * quality + 0.5 * unit(&mut a.rng) + review.appeal_bonus).clamp(0.0, 1.0);
            note.quality = quality as f32;
            note.appeal = appeal as f32;
            let role = if copy == 0 { ReviewRole::Shared } else { ReviewRole::Listed };
            out.reviews.push(ReviewPost { note, user, role });
        }
    }

    /// Sends a note to a few friends' inboxes for next tick (word of mouth, S6).
    pub(super) fn share_with_friends(&self, a: &mut Actor, note: u32, out: &mut ChunkOutcome) {
        if !self.params.sharing.enabled {
            return;
        }
        for friend in self.world.draw_friends(a.u as u32, self.params.sharing.friends_per_share, &mut a.rng) {
            out.shares.push((friend, note));
        }
    }
}

/// Most notes one simulated advocate's review becomes. Only a world coarser than any
/// meant for study reaches it (quickstart below 20 users: a simulated user standing for
/// 15 M real ones); there its reviews stop scaling rather than flood the note arrays.
const MOST_REVIEW_NOTES: f64 = 1000.0;

/// How many notes one simulated advocate's review becomes when it stands for `mean`
/// listed notes (`users_per_agent / journey.reviews_per_note`, at most
/// [`MOST_REVIEW_NOTES`]): the whole part, and one more with the chance of the
/// fraction, so the mean is exact and the count varies as little as it can. A whole
/// `mean` draws nothing (a world at the resolution the scenario's notes were counted at
/// keeps its random streams).
fn review_notes(mean: f64, rng: &mut Pcg64Mcg) -> u32 {
    let mean = mean.min(MOST_REVIEW_NOTES);
    let whole = mean.floor();
    let fraction = mean - whole;
    whole as u32 + u32::from(fraction > 0.0 && unit(rng) < fraction)
}

#[cfg(test)]
mod tests {
    use super::{MOST_REVIEW_NOTES, review_notes};
    use crate::rng::{Purpose, stream};

    #[test]
    fn a_whole_mean_is_that_many_notes_up_to_the_most_and_draws_nothing() {
        let mut rng = stream(1, 2, 3, Purpose::Session);
        let before = rng.clone();
        assert_eq!(review_notes(1.0, &mut rng), 1);
        assert_eq!(review_notes(4.0, &mut rng), 4);
        assert_eq!(review_notes(1e9, &mut rng), MOST_REVIEW_NOTES as u32);
        assert_eq!(rng, before, "a whole mean drew a random number");
    }

    #[test]
    fn a_fractional_mean_is_met_on_average_within_one_of_it() {
        for mean in [0.05, 0.75, 2.4] {
            let mut rng = stream(7, 0, 0, Purpose::Session);
            let draws: Vec<u32> = (0..20_000).map(|_| review_notes(mean, &mut rng)).collect();
            assert!(draws.iter().all(|&n| f64::from(n) >= mean.floor() && f64::from(n) <= mean.ceil()));
            let average = draws.iter().map(|&n| f64::from(n)).sum::<f64>() / draws.len() as f64;
            // Binomial standard error at 20 000 draws is at most 0.0036.
            assert!((average - mean).abs() < 0.015, "mean {mean}: average {average}");
        }
    }
}
