//! Loads started ahead of need.
//!
//! Once a tick's active notes outgrow the cache (hundreds of thousands of them), the rows
//! an impression reads at random (a pool slot per retrieval try, the shown note's card and
//! its count row) each miss it, and a decision waited for them nearly one after another: the processor looks ahead only a
//! few hundred instructions. Where the loop knows such an address well before it reads
//! it, [`prefetch`] starts the load then (`engine::session`, `benches/README.md`).
//!
//! A hint never changes results: it reads nothing the program sees and faults on no
//! address.

/// Starts loading the cache line that holds `p` into every cache level, without waiting
/// for it and without any other effect. `p` need not point into the process: an address
/// past an array's end is as harmless as any.
#[inline(always)]
pub fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch reads nothing the program sees and faults on no address.
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>(p.cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// [`prefetch`] of a whole row of type `T` at `p`: its first and its last byte, so a row
/// that straddles two cache lines (a 24-byte pool slot, a 72-byte count row) is loaded
/// whole.
#[inline(always)]
pub fn prefetch_row<T>(p: *const T) {
    prefetch(p);
    prefetch(p.cast::<u8>().wrapping_add(std::mem::size_of::<T>() - 1));
}
