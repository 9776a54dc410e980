//! The shares a tick's users made, held until the next tick delivers them.

use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A tick's shares, `(friend, note)`, as the chunks of users listed them, in chunk
/// order: read in order, the pieces are the tick's deliveries in the order they were
/// made. Kept as the chunks' own lists rather than copied into one, because at large
/// worlds the shares are the largest thing a tick makes (about 28 M deliveries a tick at
/// 10 M users in quickstart) and a merged copy held them twice at the tick's memory peak.
///
/// A checkpoint stores them as one list, as it did when they were one.
#[derive(Debug, Default)]
pub struct PendingShares {
    pieces: Vec<Vec<(u32, u32)>>,
}

impl PendingShares {
    /// Adds a chunk's shares after those added before, at their exact size (a chunk's
    /// list grew by doubling; the slack would be held for a tick).
    pub fn push(&mut self, mut piece: Vec<(u32, u32)>) {
        if !piece.is_empty() {
            piece.shrink_to_fit();
            self.pieces.push(piece);
        }
    }

    /// Keeps the shares `keep` accepts, in order.
    pub fn retain(&mut self, mut keep: impl FnMut(&(u32, u32)) -> bool) {
        self.pieces.iter_mut().for_each(|p| p.retain(&mut keep));
        self.pieces.retain(|p| !p.is_empty());
    }

    /// Every share, in the order made.
    pub fn iter(&self) -> impl Iterator<Item = &(u32, u32)> + Clone {
        self.pieces.iter().flatten()
    }

    /// How many shares are held.
    fn len(&self) -> usize {
        self.pieces.iter().map(Vec::len).sum()
    }
}

impl Serialize for PendingShares {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.len()))?;
        for share in self.iter() {
            seq.serialize_element(share)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for PendingShares {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut shares = PendingShares::default();
        shares.push(Vec::deserialize(d)?);
        Ok(shares)
    }
}

#[cfg(test)]
mod tests {
    use super::PendingShares;

    fn pieces(lists: &[&[(u32, u32)]]) -> PendingShares {
        let mut s = PendingShares::default();
        lists.iter().for_each(|l| s.push(l.to_vec()));
        s
    }

    #[test]
    fn shares_read_in_the_order_the_chunks_made_them() {
        let mut s = pieces(&[&[(3, 1), (1, 2)], &[], &[(2, 7), (3, 9), (5, 1)]]);
        assert_eq!(s.len(), 5);
        assert_eq!(s.iter().copied().collect::<Vec<_>>(), [(3, 1), (1, 2), (2, 7), (3, 9), (5, 1)]);
        s.retain(|&(_, note)| note != 1);
        assert_eq!(s.iter().copied().collect::<Vec<_>>(), [(1, 2), (2, 7), (3, 9)]);
        s.retain(|_| false);
        assert!(s.pieces.is_empty() && s.len() == 0);
    }

    #[test]
    fn a_checkpoint_holds_one_list_as_before() {
        let s = pieces(&[&[(3, 1)], &[(2, 7), (5, 1)]]);
        let bytes = postcard::to_stdvec(&s).unwrap();
        let one: Vec<(u32, u32)> = vec![(3, 1), (2, 7), (5, 1)];
        assert_eq!(bytes, postcard::to_stdvec(&one).unwrap());
        let back: PendingShares = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(back.iter().copied().collect::<Vec<_>>(), one);
    }
}
