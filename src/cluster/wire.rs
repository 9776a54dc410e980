//! A plain little-endian byte encoding for what ranks exchange. Floats travel as their
//! bit patterns, so a value decoded on another rank is the same value.

/// Appends values to a byte buffer.
#[derive(Debug, Default)]
pub struct Writer(pub Vec<u8>);

impl Writer {
    /// Appends a byte.
    pub fn u8(&mut self, x: u8) {
        self.0.push(x);
    }
    /// Appends a u16.
    pub fn u16(&mut self, x: u16) {
        self.0.extend_from_slice(&x.to_le_bytes());
    }
    /// Appends a u32.
    pub fn u32(&mut self, x: u32) {
        self.0.extend_from_slice(&x.to_le_bytes());
    }
    /// Appends a u64.
    pub fn u64(&mut self, x: u64) {
        self.0.extend_from_slice(&x.to_le_bytes());
    }
    /// Appends an f32 (its bits).
    pub fn f32(&mut self, x: f32) {
        self.u32(x.to_bits());
    }
    /// Appends an f64 (its bits).
    pub fn f64(&mut self, x: f64) {
        self.u64(x.to_bits());
    }
}

/// Reads values back in the order they were written.
#[derive(Debug)]
pub struct Reader<'a>(pub &'a [u8]);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> [u8; N] {
        let (head, rest) = self.0.split_at(N);
        self.0 = rest;
        head.try_into().expect("split at N")
    }
    /// Whether everything was read.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Reads a byte.
    pub fn u8(&mut self) -> u8 {
        self.take::<1>()[0]
    }
    /// Reads a u16.
    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.take())
    }
    /// Reads a u32.
    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.take())
    }
    /// Reads a u64.
    pub fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.take())
    }
    /// Reads an f32.
    pub fn f32(&mut self) -> f32 {
        f32::from_bits(self.u32())
    }
    /// Reads an f64.
    pub fn f64(&mut self) -> f64 {
        f64::from_bits(self.u64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_bit_for_bit() {
        let mut w = Writer::default();
        w.u8(7);
        w.u16(65_000);
        w.u32(u32::MAX);
        w.u64(1 << 40);
        w.f32(-0.1);
        w.f64(std::f64::consts::PI);
        let mut r = Reader(&w.0);
        assert_eq!((r.u8(), r.u16(), r.u32(), r.u64()), (7, 65_000, u32::MAX, 1 << 40));
        assert_eq!(r.f32().to_bits(), (-0.1f32).to_bits());
        assert_eq!(r.f64().to_bits(), std::f64::consts::PI.to_bits());
        assert!(r.is_empty());
    }
}
