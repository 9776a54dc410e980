//! The creators users follow: the run's follows of every held user, kept between ticks
//! ([`RunFollows`]), and those of the acting user as a bit set over creators
//! ([`FollowedSet`]): whether a reader follows a cover's author decides whether the
//! follow act counts, which every impression asks when the platform counts expected
//! responses.

use serde::{Deserialize, Serialize};

/// The creators each held user started following during the run, oldest first (follows
/// in the world's initial follow graph are not repeated here): every user's row in one
/// array, 2 B per follow while the world has at most 65 536 creators (4 B beyond) and 8 B
/// per user. A list per user took a pointer per user and a heap block per list that
/// grows by doubling, about 18 B per follow over a month, the largest per-user state of a
/// long run; at 10 M users a month's follows (about 11 a user) are still 440 MB as u32.
/// Read-only while users act; the follows a tick made are added after its user phase
/// ([`RunFollows::append`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunFollows {
    /// Where each held user's row starts in `creators`, one entry more than users.
    start: Vec<u64>,
    creators: CreatorIds,
}

/// Creator ids in the narrowest type that holds every creator of the world.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum CreatorIds {
    Narrow(Vec<u16>),
    Wide(Vec<u32>),
}

/// One user's row of [`RunFollows`], oldest follow first.
#[derive(Debug, Clone, Copy)]
pub enum FollowRow<'a> {
    Narrow(&'a [u16]),
    Wide(&'a [u32]),
}

impl<'a> FollowRow<'a> {
    /// Follows in the row.
    #[inline]
    pub fn len(self) -> usize {
        match self {
            FollowRow::Narrow(r) => r.len(),
            FollowRow::Wide(r) => r.len(),
        }
    }

    /// The `j`-th creator followed.
    #[inline]
    pub fn get(self, j: usize) -> u32 {
        match self {
            FollowRow::Narrow(r) => u32::from(r[j]),
            FollowRow::Wide(r) => r[j],
        }
    }

    /// The creators followed, oldest first.
    pub fn iter(self) -> impl Iterator<Item = u32> + Clone + 'a {
        (0..self.len()).map(move |j| self.get(j))
    }
}

impl RunFollows {
    /// No follows for `users` held users of a world with `creators` creators.
    pub fn new(users: usize, creators: usize) -> RunFollows {
        let creators = if creators <= usize::from(u16::MAX) + 1 {
            CreatorIds::Narrow(Vec::new())
        } else {
            CreatorIds::Wide(Vec::new())
        };
        RunFollows { start: vec![0; users + 1], creators }
    }

    /// Users held.
    pub fn users(&self) -> usize {
        self.start.len() - 1
    }

    /// The creators held user `i` (counted from the first held user) followed, oldest first.
    #[inline]
    pub fn row(&self, i: usize) -> FollowRow<'_> {
        let span = self.start[i] as usize..self.start[i + 1] as usize;
        match &self.creators {
            CreatorIds::Narrow(ids) => FollowRow::Narrow(&ids[span]),
            CreatorIds::Wide(ids) => FollowRow::Wide(&ids[span]),
        }
    }

    /// Adds follows made since, `(held user, creator)` with each user's follows in the
    /// order made, to the ends of their rows.
    pub fn append(&mut self, added: &mut [(u32, u32)]) {
        if added.is_empty() {
            return;
        }
        // Stable: a user's follows keep the order they were made in.
        added.sort_by_key(|&(user, _)| user);
        match &mut self.creators {
            CreatorIds::Narrow(ids) => append_rows(&mut self.start, ids, added, |c| {
                u16::try_from(c).expect("a creator id beyond the narrow ids the world was sized for")
            }),
            CreatorIds::Wide(ids) => append_rows(&mut self.start, ids, added, |c| c),
        }
    }
}

/// Adds `added`, sorted by user, to the ends of the users' rows in `ids`. In place: the
/// array grows by exactly the new follows and rows move right, the last first, so a
/// month's follows never sit in memory twice.
fn append_rows<T: Copy + Default>(start: &mut [u64], ids: &mut Vec<T>, added: &[(u32, u32)], id: impl Fn(u32) -> T) {
    let users = start.len() - 1;
    let old_len = ids.len();
    ids.reserve_exact(added.len());
    ids.resize(old_len + added.len(), T::default());
    let (mut write, mut old_end, mut pending) = (ids.len(), old_len, added.len());
    for user in (0..users).rev() {
        if pending == 0 {
            // No follows left to add: the rows before stay where they are.
            break;
        }
        let old_start = start[user] as usize;
        start[user + 1] = write as u64;
        let mut first = pending;
        while first > 0 && added[first - 1].0 as usize == user {
            first -= 1;
        }
        for &(_, creator) in added[first..pending].iter().rev() {
            write -= 1;
            ids[write] = id(creator);
        }
        pending = first;
        let len = old_end - old_start;
        ids.copy_within(old_start..old_end, write - len);
        write -= len;
        old_end = old_start;
    }
    debug_assert!(pending == 0, "follows of users not held");
}

/// One bit per creator, set for the creators the acting user follows (the world's
/// initial follows and the run's) and cleared when the user's session ends. One set per
/// chunk of users: a test is one load and a shift, where the sorted follow list took a
/// binary search and the run's list a scan.
pub struct FollowedSet {
    words: Vec<u64>,
}

impl FollowedSet {
    /// An empty set over `creators` creators.
    pub fn new(creators: usize) -> FollowedSet {
        FollowedSet { words: vec![0; creators.div_ceil(64)] }
    }

    /// Sets the bits of `creators`.
    pub fn insert_all(&mut self, creators: impl IntoIterator<Item = u32>) {
        for c in creators {
            self.insert(c);
        }
    }

    /// Clears the bits of `creators` (the ones a session set), leaving the set empty.
    pub fn remove_all(&mut self, creators: impl IntoIterator<Item = u32>) {
        for c in creators {
            self.words[c as usize / 64] = 0;
        }
    }

    /// Sets the bit of `creator`.
    #[inline]
    pub fn insert(&mut self, creator: u32) {
        self.words[creator as usize / 64] |= 1 << (creator % 64);
    }

    /// Whether the bit of `creator` is set.
    #[inline]
    pub fn contains(&self, creator: u32) -> bool {
        self.words[creator as usize / 64] >> (creator % 64) & 1 == 1
    }

    /// Whether no bit is set (between sessions).
    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|&w| w == 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appended_follows_end_their_users_rows_in_order() {
        // Narrow ids (100 creators) and wide ones (a creator past u16).
        for creators in [100, 70_000] {
            let mut f = RunFollows::new(5, creators);
            f.append(&mut [(3, 30), (1, 10), (3, 31)]);
            f.append(&mut []);
            f.append(&mut [(4, 40), (0, 1), (3, 32), (1, 11), (4, 41)]);
            let rows: Vec<Vec<u32>> = (0..5).map(|i| row(&f, i)).collect();
            assert_eq!(rows, [&[1][..], &[10, 11], &[], &[30, 31, 32], &[40, 41]]);
            assert_eq!(f.row(3).len(), 3);
            assert_eq!(f.row(3).get(1), 31);
            // The last user untouched and the first ones alone.
            f.append(&mut [(0, 2)]);
            assert_eq!(row(&f, 0), [1, 2]);
            assert_eq!(row(&f, 4), [40, 41]);
            assert_eq!(row(&f, 3), [30, 31, 32]);
        }
        let mut wide = RunFollows::new(2, 70_000);
        wide.append(&mut [(1, 69_999)]);
        assert_eq!(row(&wide, 1), [69_999]);
        assert!(matches!(wide.creators, CreatorIds::Wide(_)));
        assert!(matches!(RunFollows::new(2, 65_536).creators, CreatorIds::Narrow(_)));
    }

    fn row(f: &RunFollows, i: usize) -> Vec<u32> {
        f.row(i).iter().collect()
    }

    #[test]
    fn appending_matches_a_list_per_user() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(7);
        let users = 50;
        let (mut f, mut lists) = (RunFollows::new(users, 1000), vec![Vec::new(); users]);
        for _ in 0..20 {
            let mut added: Vec<(u32, u32)> = (0..rng.next_u32() % 40)
                .map(|_| ((rng.next_u32() as usize % users) as u32, rng.next_u32() % 1000))
                .collect();
            for &(u, c) in &added {
                lists[u as usize].push(c);
            }
            f.append(&mut added);
            for (u, list) in lists.iter().enumerate() {
                assert_eq!(row(&f, u), *list, "user {u}");
            }
        }
    }

    #[test]
    fn holds_what_was_inserted_and_empties_again() {
        let mut s = FollowedSet::new(200);
        s.insert_all([3, 64, 199]);
        s.insert(65);
        for c in 0..200 {
            assert_eq!(s.contains(c), [3, 64, 65, 199].contains(&c), "creator {c}");
        }
        s.remove_all([3, 64, 199, 65]);
        assert!(s.is_empty());
    }
}
