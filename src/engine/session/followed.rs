//! The creators the acting user follows, as a bit set over creators: whether a reader
//! follows a cover's author decides whether the follow act counts, which every impression
//! asks when the platform counts expected responses.

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
