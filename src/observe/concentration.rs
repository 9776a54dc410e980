//! Concentration metrics over non-negative amounts held by a set of holders
//! (e.g. impressions per creator, clicks per item).
//!
//! This module owns the inequality / concentration measures used to describe
//! how a feed distributes exposure. For `n` holders with amounts `x_1..x_n`
//! and total `S = sum x_i`:
//!
//! - **Gini coefficient** ([`gini`]): with the amounts sorted ascending,
//!   `x_(1) <= ... <= x_(n)`,
//!   `G = sum_{i=1..n} (2i - n - 1) x_(i) / (n S)`.
//!   Equal shares give `0`; one holder owning everything gives `(n - 1) / n`.
//!   This equals `1 - 2 A`, where `A` is the area under [`lorenz_curve`].
//! - **Herfindahl–Hirschman index** ([`hhi`]): `H = sum_i (x_i / S)^2`,
//!   in `[1/n, 1]`.
//! - **Top-k share** ([`top_k_share`]): `(sum of the k largest x_i) / S`.
//! - **Top-fraction share** ([`top_fraction_share`]): top-k share with
//!   `k = max(1, ceil(fraction * n))`.
//! - **Lorenz curve** ([`lorenz_curve`]): the piecewise-linear curve through
//!   `(k / n, sum_{i<=k} x_(i) / S)` for `k = 0..=n`, sampled at evenly
//!   spaced population shares.
//!
//! # Input conventions (all functions)
//!
//! - Amounts are meant to be non-negative and finite. Any value that is
//!   negative, NaN or infinite is treated as `0.0` (it holds nothing).
//! - Degenerate inputs never produce NaN or infinity: an empty slice, or one
//!   whose (cleaned) amounts are all zero, gives `0.0` for every scalar metric
//!   and the equality line for [`lorenz_curve`].
//! - Amounts are rescaled by their maximum internally, so very large amounts
//!   (near `f64::MAX`) do not overflow the total. All metrics are scale
//!   invariant, so this does not change the results beyond rounding.
//! - Results are clamped to their mathematical range (e.g. `[0, 1]`) to absorb
//!   rounding error.

use std::cmp::Ordering;

/// Replaces negative, NaN and infinite amounts with `0.0`.
fn clean(x: f64) -> f64 {
    if x.is_finite() && x > 0.0 { x } else { 0.0 }
}

/// Cleans the amounts and divides them by their maximum, so every value lies
/// in `[0, 1]` and sums are bounded by `n`. Returns `None` when nothing is
/// held (empty input or all amounts zero after cleaning).
fn normalized(values: &[f64]) -> Option<Vec<f64>> {
    let max = values.iter().copied().map(clean).fold(0.0, f64::max);
    if max > 0.0 { Some(values.iter().map(|&x| clean(x) / max).collect()) } else { None }
}

/// Gini coefficient of the amounts, in `[0, (n - 1) / n]`.
///
/// Computed by sorting (O(n log n)) as
/// `G = sum_{i=1..n} (2i - n - 1) x_(i) / (n S)` with `x_(i)` ascending.
/// Equal amounts give `0.0`; a single holder owning everything among `n`
/// gives `(n - 1) / n`.
///
/// Returns `0.0` for an empty slice or when all amounts are zero. Negative,
/// NaN and infinite amounts are treated as `0.0`. The result is always
/// finite.
pub fn gini(values: &[f64]) -> f64 {
    let Some(mut x) = normalized(values) else {
        return 0.0;
    };
    x.sort_unstable_by(f64::total_cmp);
    let n = x.len() as f64;
    let mut total = 0.0;
    let mut weighted = 0.0;
    for (idx, &v) in x.iter().enumerate() {
        let i = (idx + 1) as f64;
        total += v;
        weighted += (2.0 * i - n - 1.0) * v;
    }
    // total >= 1 because the maximum normalizes to exactly 1.
    (weighted / (n * total)).clamp(0.0, 1.0)
}

/// Herfindahl–Hirschman index: the sum of squared shares `sum_i (x_i / S)^2`.
///
/// For `n` holders with something held the result lies in `[1/n, 1]`: `1/n`
/// for equal amounts, `1` when one holder owns everything.
///
/// Returns `0.0` for an empty slice or when all amounts are zero. Negative,
/// NaN and infinite amounts are treated as `0.0`. The result is always
/// finite.
pub fn hhi(values: &[f64]) -> f64 {
    let max = values.iter().copied().map(clean).fold(0.0, f64::max);
    if max <= 0.0 {
        return 0.0;
    }
    let (sum, sum_sq) = values.iter().fold((0.0, 0.0), |(s, sq), &x| {
        let v = clean(x) / max;
        (s + v, sq + v * v)
    });
    // sum >= 1 because the maximum normalizes to exactly 1.
    (sum_sq / (sum * sum)).clamp(0.0, 1.0)
}

/// Share of the total held by the `k` largest holders, in `[0, 1]`.
///
/// Uses `select_nth_unstable_by` (O(n) on average) to find the top `k`, then
/// sorts only those `k` (O(k log k)) so that they are always summed in the
/// same order: the result is then exactly (not just approximately)
/// non-decreasing in `k`.
///
/// - `k == 0` gives `0.0`.
/// - `k >= n` gives `1.0` when anything is held.
/// - An empty slice or all-zero amounts give `0.0` for every `k`.
///
/// Negative, NaN and infinite amounts are treated as `0.0`. The result is
/// always finite.
pub fn top_k_share(values: &[f64], k: usize) -> f64 {
    let Some(mut x) = normalized(values) else {
        return 0.0;
    };
    if k == 0 {
        return 0.0;
    }
    if k >= x.len() {
        return 1.0;
    }
    // Summed in input order, so the total is the same for every `k`.
    let total: f64 = x.iter().sum();
    let descending = |a: &f64, b: &f64| -> Ordering { b.total_cmp(a) };
    x.select_nth_unstable_by(k - 1, descending);
    let top = &mut x[..k];
    top.sort_unstable_by(descending);
    let top_sum: f64 = top.iter().sum();
    (top_sum / total).clamp(0.0, 1.0)
}

/// Share of the total held by the top `ceil(fraction * n)` holders, in
/// `[0, 1]`.
///
/// `fraction` is clamped to `[0, 1]` (NaN is treated as `0`). At least one
/// holder is always counted when `n > 0`, so `fraction = 0` gives the share
/// of the single largest holder. The product `fraction * n` is rounded up
/// after removing a relative `1e-12` of slack, so that floating-point noise
/// such as `0.07 * 100 = 7.000000000000001` counts 7 holders, not 8.
///
/// An empty slice or all-zero amounts give `0.0`. See [`top_k_share`] for
/// the handling of invalid amounts.
pub fn top_fraction_share(values: &[f64], fraction: f64) -> f64 {
    let n = values.len();
    if n == 0 {
        return 0.0;
    }
    let fraction = if fraction.is_nan() { 0.0 } else { fraction.clamp(0.0, 1.0) };
    let exact = fraction * n as f64;
    let k = (exact * (1.0 - 1e-12)).ceil() as usize;
    top_k_share(values, k.clamp(1, n))
}

/// Lorenz curve sampled at `points + 1` evenly spaced population shares
/// `p = 0, 1/points, ..., 1`.
///
/// Each element is `(p, L(p))`: the cumulative population share (poorest
/// first) and the cumulative share of the total they hold. `L` is the linear
/// interpolation of the exact Lorenz polygon through
/// `(k / n, sum_{i<=k} x_(i) / S)`, so the curve starts at `(0, 0)`, ends at
/// `(1, 1)`, is non-decreasing, and satisfies `0 <= L(p) <= p`.
///
/// - `points == 0` is treated as `1` (just the two end points).
/// - An empty slice or all-zero amounts give the equality line `L(p) = p`
///   (no holder has more than another), consistent with a Gini of `0`.
///
/// Negative, NaN and infinite amounts are treated as `0.0`. All returned
/// values are finite.
pub fn lorenz_curve(values: &[f64], points: usize) -> Vec<(f64, f64)> {
    let points = points.max(1);
    let share = |j: usize| j as f64 / points as f64;
    let Some(mut x) = normalized(values) else {
        return (0..=points).map(|j| (share(j), share(j))).collect();
    };
    x.sort_unstable_by(f64::total_cmp);
    let n = x.len();
    // cumulative[k] = sum of the k smallest amounts.
    let mut cumulative = Vec::with_capacity(n + 1);
    cumulative.push(0.0);
    let mut running = 0.0;
    for &v in &x {
        running += v;
        cumulative.push(running);
    }
    let total = running; // >= 1: the maximum normalizes to exactly 1.

    let mut curve = Vec::with_capacity(points + 1);
    for j in 0..=points {
        let p = share(j);
        // Position along the sorted holders; exact at holder boundaries
        // because j * n is an exactly representable integer for realistic n.
        let t = (j as f64 * n as f64) / points as f64;
        let k = (t.floor() as usize).min(n);
        let within = t - k as f64;
        let held = if k < n { cumulative[k] + within * x[k] } else { cumulative[n] };
        let l = (held / total).clamp(0.0, p);
        curve.push((p, l));
    }
    // Pin the end points exactly.
    curve[0] = (0.0, 0.0);
    curve[points] = (1.0, 1.0);
    curve
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use proptest::prelude::*;

    #[test]
    fn gini_equal_shares_is_zero() {
        assert_eq!(gini(&[5.0; 10]), 0.0);
        assert_eq!(gini(&[1.0]), 0.0);
    }

    #[test]
    fn gini_single_holder() {
        for n in 1..=20 {
            let mut v = vec![0.0; n];
            v[n / 2] = 7.0;
            assert_relative_eq!(gini(&v), (n as f64 - 1.0) / n as f64, epsilon = 1e-12);
        }
    }

    #[test]
    fn gini_hand_computed() {
        // Sorted [1, 2, 3]: weights -2, 0, 2 -> (−2 + 0 + 6) / (3 * 6) = 4/18.
        assert_relative_eq!(gini(&[3.0, 1.0, 2.0]), 2.0 / 9.0, epsilon = 1e-12);
        // [0, 0, 1, 3]: weights -3, -1, 1, 3 -> (1 + 9) / (4 * 4) = 10/16.
        assert_relative_eq!(gini(&[3.0, 0.0, 1.0, 0.0]), 0.625, epsilon = 1e-12);
        // [1, 3]: (-1 + 3) / (2 * 4) = 1/4.
        assert_relative_eq!(gini(&[1.0, 3.0]), 0.25, epsilon = 1e-12);
    }

    #[test]
    fn gini_degenerate() {
        assert_eq!(gini(&[]), 0.0);
        assert_eq!(gini(&[0.0, 0.0, 0.0]), 0.0);
        assert_eq!(gini(&[f64::NAN, -1.0, f64::INFINITY]), 0.0);
        // Invalid amounts count as zero.
        assert_relative_eq!(gini(&[f64::NAN, 4.0]), 0.5, epsilon = 1e-12);
        // Huge amounts do not overflow.
        let g = gini(&[f64::MAX, f64::MAX, 0.0]);
        assert_relative_eq!(g, 1.0 / 3.0, epsilon = 1e-12);
    }

    #[test]
    fn hhi_known_values() {
        for n in 1..=20 {
            assert_relative_eq!(hhi(&vec![2.5; n]), 1.0 / n as f64, epsilon = 1e-12);
        }
        assert_relative_eq!(hhi(&[0.0, 9.0, 0.0]), 1.0, epsilon = 1e-12);
        // Shares 1/4, 3/4: 1/16 + 9/16 = 10/16.
        assert_relative_eq!(hhi(&[1.0, 3.0]), 0.625, epsilon = 1e-12);
        // Shares 0.5, 0.3, 0.2: 0.25 + 0.09 + 0.04 = 0.38.
        assert_relative_eq!(hhi(&[5.0, 3.0, 2.0]), 0.38, epsilon = 1e-12);
        assert_eq!(hhi(&[]), 0.0);
        assert_eq!(hhi(&[0.0, 0.0]), 0.0);
        assert_relative_eq!(hhi(&[f64::MAX, f64::MAX]), 0.5, epsilon = 1e-12);
    }

    #[test]
    fn top_k_known_values() {
        let v = [5.0, 1.0, 3.0, 1.0];
        assert_eq!(top_k_share(&v, 0), 0.0);
        assert_relative_eq!(top_k_share(&v, 1), 0.5, epsilon = 1e-12);
        assert_relative_eq!(top_k_share(&v, 2), 0.8, epsilon = 1e-12);
        assert_relative_eq!(top_k_share(&v, 3), 0.9, epsilon = 1e-12);
        assert_eq!(top_k_share(&v, 4), 1.0);
        assert_eq!(top_k_share(&v, 100), 1.0);
        assert_eq!(top_k_share(&[], 3), 0.0);
        assert_eq!(top_k_share(&[0.0, 0.0], 5), 0.0);
        assert_eq!(top_k_share(&[0.0, 0.0], 1), 0.0);
    }

    #[test]
    fn top_fraction_known_values() {
        let v: Vec<f64> = (1..=10).map(f64::from).collect(); // total 55
        // ceil(0.1 * 10) = 1 -> 10 / 55.
        assert_relative_eq!(top_fraction_share(&v, 0.1), 10.0 / 55.0, epsilon = 1e-12);
        // 0.07 * 100 is 7.000000000000001 in f64; must count 7 holders.
        let w: Vec<f64> = (1..=100).map(f64::from).collect(); // total 5050
        assert_eq!(0.07 * 100.0, 7.000000000000001);
        assert_relative_eq!(top_fraction_share(&w, 0.07), (94..=100).sum::<i32>() as f64 / 5050.0, epsilon = 1e-12);
        // ceil(0.25 * 10) = 3 -> 27 / 55.
        assert_relative_eq!(top_fraction_share(&v, 0.25), 27.0 / 55.0, epsilon = 1e-12);
        // Zero, negative and NaN fractions still count one holder.
        assert_relative_eq!(top_fraction_share(&v, 0.0), 10.0 / 55.0, epsilon = 1e-12);
        assert_relative_eq!(top_fraction_share(&v, -3.0), 10.0 / 55.0, epsilon = 1e-12);
        assert_relative_eq!(top_fraction_share(&v, f64::NAN), 10.0 / 55.0, epsilon = 1e-12);
        assert_eq!(top_fraction_share(&v, 1.0), 1.0);
        assert_eq!(top_fraction_share(&v, 7.0), 1.0);
        assert_eq!(top_fraction_share(&[], 0.5), 0.0);
        assert_eq!(top_fraction_share(&[0.0; 4], 0.5), 0.0);
    }

    #[test]
    fn lorenz_known_values() {
        // Sorted [0, 0, 1, 3]: polygon (0,0) (.25,0) (.5,0) (.75,.25) (1,1).
        let c = lorenz_curve(&[3.0, 0.0, 1.0, 0.0], 8);
        let expected = [
            (0.0, 0.0),
            (0.125, 0.0),
            (0.25, 0.0),
            (0.375, 0.0),
            (0.5, 0.0),
            (0.625, 0.125),
            (0.75, 0.25),
            (0.875, 0.625),
            (1.0, 1.0),
        ];
        assert_eq!(c.len(), expected.len());
        for (got, want) in c.iter().zip(expected) {
            assert_relative_eq!(got.0, want.0, epsilon = 1e-12);
            assert_relative_eq!(got.1, want.1, epsilon = 1e-12);
        }
    }

    #[test]
    fn lorenz_degenerate() {
        let eq = lorenz_curve(&[], 4);
        assert_eq!(eq, vec![(0.0, 0.0), (0.25, 0.25), (0.5, 0.5), (0.75, 0.75), (1.0, 1.0)]);
        assert_eq!(lorenz_curve(&[0.0, 0.0], 4), eq);
        assert_eq!(lorenz_curve(&[1.0, 2.0], 0), vec![(0.0, 0.0), (1.0, 1.0)]);
        // Equal shares give the equality line.
        for (p, l) in lorenz_curve(&[2.0; 7], 13) {
            assert_relative_eq!(p, l, epsilon = 1e-12);
        }
    }

    /// Amounts in a realistic range, including exact zeros.
    fn amounts() -> impl Strategy<Value = Vec<f64>> {
        prop::collection::vec(prop_oneof![1 => Just(0.0), 4 => 0.0f64..1e6], 1..60)
    }

    /// Area under the Lorenz polygon by the trapezoid rule, sampled at every
    /// holder boundary (exact for the polygon).
    fn lorenz_area(values: &[f64]) -> f64 {
        let c = lorenz_curve(values, values.len());
        c.windows(2).map(|w| (w[1].0 - w[0].0) * (w[1].1 + w[0].1) / 2.0).sum()
    }

    proptest! {
        #[test]
        fn prop_permutation_invariance(v in amounts(), seed in any::<u64>()) {
            let mut p = v.clone();
            // Deterministic Fisher–Yates shuffle driven by a simple LCG.
            let mut s = seed;
            for i in (1..p.len()).rev() {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let j = (s >> 33) as usize % (i + 1);
                p.swap(i, j);
            }
            prop_assert!((gini(&v) - gini(&p)).abs() < 1e-12);
            prop_assert!((hhi(&v) - hhi(&p)).abs() < 1e-12);
            for k in 0..=v.len() {
                prop_assert!((top_k_share(&v, k) - top_k_share(&p, k)).abs() < 1e-12);
            }
            for (a, b) in lorenz_curve(&v, 10).iter().zip(lorenz_curve(&p, 10)) {
                prop_assert!((a.1 - b.1).abs() < 1e-12);
            }
        }

        #[test]
        fn prop_scale_invariance(v in amounts(), c in 1e-6f64..1e6) {
            let scaled: Vec<f64> = v.iter().map(|x| x * c).collect();
            prop_assert!((gini(&v) - gini(&scaled)).abs() < 1e-9);
            prop_assert!((hhi(&v) - hhi(&scaled)).abs() < 1e-9);
            let k = v.len() / 2;
            prop_assert!((top_k_share(&v, k) - top_k_share(&scaled, k)).abs() < 1e-9);
        }

        #[test]
        fn prop_gini_bounds_and_finite(v in amounts()) {
            let g = gini(&v);
            let n = v.len() as f64;
            prop_assert!(g.is_finite());
            prop_assert!((0.0..=1.0).contains(&g));
            prop_assert!(g <= (n - 1.0) / n + 1e-12);
        }

        #[test]
        fn prop_gini_finite_on_arbitrary_f64(v in prop::collection::vec(any::<f64>(), 0..40)) {
            let g = gini(&v);
            prop_assert!(g.is_finite() && (0.0..=1.0).contains(&g));
            let h = hhi(&v);
            prop_assert!(h.is_finite() && (0.0..=1.0).contains(&h));
            let t = top_k_share(&v, v.len() / 3);
            prop_assert!(t.is_finite() && (0.0..=1.0).contains(&t));
            for (p, l) in lorenz_curve(&v, 7) {
                prop_assert!(p.is_finite() && l.is_finite());
            }
        }

        #[test]
        fn prop_hhi_bounds(v in amounts()) {
            let h = hhi(&v);
            if v.iter().all(|&x| x == 0.0) {
                prop_assert_eq!(h, 0.0);
            } else {
                let n = v.len() as f64;
                prop_assert!(h >= 1.0 / n - 1e-12 && h <= 1.0);
            }
        }

        #[test]
        fn prop_top_k_monotone(v in amounts()) {
            let mut prev = 0.0;
            for k in 0..=v.len() + 1 {
                let s = top_k_share(&v, k);
                prop_assert!((0.0..=1.0).contains(&s));
                // Exactly monotone, no tolerance.
                prop_assert!(s >= prev, "k={} share={} prev={}", k, s, prev);
                prev = s;
            }
        }

        #[test]
        fn prop_top_fraction_matches_top_k(v in amounts(), f in 0.0f64..=1.0) {
            let n = v.len();
            let k = ((f * n as f64) - 1e-9).ceil().max(1.0) as usize;
            prop_assert_eq!(top_fraction_share(&v, f), top_k_share(&v, k.min(n)));
        }

        #[test]
        fn prop_lorenz_monotone_below_diagonal(v in amounts(), points in 1usize..50) {
            let c = lorenz_curve(&v, points);
            prop_assert_eq!(c.len(), points + 1);
            prop_assert_eq!(c[0], (0.0, 0.0));
            prop_assert_eq!(c[points], (1.0, 1.0));
            for w in c.windows(2) {
                prop_assert!(w[1].0 > w[0].0);
                prop_assert!(w[1].1 >= w[0].1);
            }
            for &(p, l) in &c {
                prop_assert!((0.0..=p).contains(&l));
            }
        }

        #[test]
        fn prop_gini_is_one_minus_twice_lorenz_area(v in amounts()) {
            prop_assert!((gini(&v) - (1.0 - 2.0 * lorenz_area(&v))).abs() < 1e-9);
        }
    }
}
