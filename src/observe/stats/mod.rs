//! Summary statistics for comparing simulation runs: confidence intervals of
//! means, paired differences, rank correlation, trend slope and relative
//! spread.
//!
//! Formulas, for samples `x_1..x_n`:
//!
//! - **Mean interval** ([`mean_interval`]): mean `m = sum x_i / n`, sample
//!   standard deviation `s = sqrt(sum (x_i - m)^2 / (n - 1))`, and the
//!   two-sided 95 % Student t interval `m ± t_{0.975, n-1} · s / sqrt(n)`.
//! - **t quantile** ([`t_quantile_975`]): exact table for `df = 1..=30`; for
//!   larger `df` the Cornish–Fisher expansion
//!   `t = z + g1/ν + g2/ν² + g3/ν³ + g4/ν⁴` with `z = 1.959963984540054`,
//!   `g1 = (z³ + z)/4`, `g2 = (5z⁵ + 16z³ + 3z)/96`,
//!   `g3 = (3z⁷ + 19z⁵ + 17z³ − 15z)/384`,
//!   `g4 = (79z⁹ + 776z⁷ + 1482z⁵ − 1920z³ − 945z)/92160`
//!   (Abramowitz & Stegun 26.7.5; absolute error below `3e-8` for `df > 30`).
//! - **Any t quantile** ([`t_quantile`]): bisection on the tail
//!   `P(T > t) = I_{ν/(ν+t²)}(ν/2, 1/2) / 2` (regularised incomplete beta by
//!   Lentz's continued fraction, log-gamma by Lanczos), for the far tails of
//!   Bonferroni-split tests.
//! - **Paired difference** ([`paired_difference`]): the mean interval of
//!   `d_i = a_i − b_i`.
//! - **Kendall's tau-b** ([`kendall_tau_b`]): over all `n0 = n(n−1)/2` pairs,
//!   with `C` concordant and `D` discordant pairs, `n1` pairs tied in `x` and
//!   `n2` pairs tied in `y`: `tau_b = (C − D) / sqrt((n0 − n1)(n0 − n2))`.
//! - **OLS slope** ([`ols_slope`]):
//!   `b = sum (x_i − mx)(y_i − my) / sum (x_i − mx)^2`.
//! - **Coefficient of variation** ([`coefficient_of_variation`]): `s / m`.
//! - **Median interval** ([`median_interval`]): the sample median with the
//!   distribution-free interval `[x_(k), x_(n+1−k)]` of the order statistics, `k`
//!   the largest with `P(Bin(n, ½) ≤ k − 1) ≤ 0.025` (the sign test's interval;
//!   coverage at least 95 % whatever the distribution, so one wild replicate
//!   cannot move it the way it moves a mean: the statistic for heavy tails).
//!
//! No function returns NaN or infinity. Where a statistic has no meaningful
//! value (empty input, mismatched lengths, zero variance, NaN or infinite
//! inputs, or a result that would overflow `f64`), the function returns
//! `None`; the remaining conventions are documented on each function.

mod student_t;

pub use student_t::{t_quantile, t_quantile_975};

/// A sample mean with its two-sided 95 % confidence interval (Student t).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// Number of samples.
    pub n: usize,
    /// Sample mean.
    pub mean: f64,
    /// Sample standard deviation (divisor `n - 1`); `0.0` when `n == 1`.
    pub sd: f64,
    /// Lower bound of the 95 % confidence interval.
    pub low: f64,
    /// Upper bound of the 95 % confidence interval.
    pub high: f64,
}

impl Interval {
    /// Half the width of the interval, `(high - low) / 2`.
    pub fn half_width(&self) -> f64 {
        (self.high - self.low) / 2.0
    }
}

/// Power of two close to the largest magnitude in `values` (1 if there is
/// nothing to scale). Dividing by a power of two is exact, so rescaling by it
/// avoids overflow in sums of very large values without changing the result.
fn pow2_scale(values: &[f64]) -> f64 {
    let max = values.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    if max.is_normal() {
        // Keep only the exponent bits: 2^floor(log2(max)).
        f64::from_bits(max.to_bits() & 0x7ff0_0000_0000_0000)
    } else {
        1.0
    }
}

/// Sample mean and sample standard deviation (divisor `n - 1`, `0.0` for
/// `n == 1`). `None` if empty, if any value is NaN or infinite, or if a
/// result overflows.
fn mean_sd(samples: &[f64]) -> Option<(f64, f64)> {
    if samples.is_empty() || samples.iter().any(|x| !x.is_finite()) {
        return None;
    }
    let n = samples.len() as f64;
    let scale = pow2_scale(samples);
    let mean_scaled = samples.iter().map(|x| x / scale).sum::<f64>() / n;
    let sd_scaled = if samples.len() == 1 {
        0.0
    } else {
        let ss: f64 = samples
            .iter()
            .map(|x| {
                let d = x / scale - mean_scaled;
                d * d
            })
            .sum();
        (ss / (n - 1.0)).sqrt()
    };
    let mean = mean_scaled * scale;
    let sd = sd_scaled * scale;
    (mean.is_finite() && sd.is_finite()).then_some((mean, sd))
}

/// Mean of `samples` with its two-sided 95 % Student t confidence interval
/// `mean ± t_{0.975, n-1} · sd / sqrt(n)`.
///
/// Returns `None` when `samples` is empty, contains NaN or an infinity, or
/// when the mean, sd or bounds would overflow `f64` (magnitudes near
/// `f64::MAX`).
///
/// With a single sample there is no spread to estimate: `sd = 0.0` and
/// `low = high = mean`.
pub fn mean_interval(samples: &[f64]) -> Option<Interval> {
    let (mean, sd) = mean_sd(samples)?;
    let n = samples.len();
    let half = if n == 1 { 0.0 } else { t_quantile_975(n - 1) * sd / (n as f64).sqrt() };
    let low = mean - half;
    let high = mean + half;
    (low.is_finite() && high.is_finite()).then_some(Interval { n, mean, sd, low, high })
}

/// Mean interval (see [`mean_interval`]) of the paired differences
/// `a_i - b_i`, e.g. the same seeds run under two policies.
///
/// Returns `None` when the lengths differ, the inputs are empty, any value is
/// NaN or infinite, or a difference or the interval overflows `f64`. Pairing
/// a slice with itself gives `mean = sd = low = high = 0.0`.
pub fn paired_difference(a: &[f64], b: &[f64]) -> Option<Interval> {
    if a.len() != b.len() || a.is_empty() {
        return None;
    }
    let diffs: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    mean_interval(&diffs)
}

/// A sample median with its distribution-free interval (see [`median_interval`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MedianInterval {
    /// Number of samples.
    pub n: usize,
    /// Sample median (the mean of the two middle values when `n` is even).
    pub median: f64,
    /// Lower bound: the k-th smallest sample.
    pub low: f64,
    /// Upper bound: the k-th largest sample.
    pub high: f64,
    /// The interval's exact coverage, `1 − 2 · P(Bin(n, ½) ≤ k − 1)`, at least 0.95.
    pub coverage: f64,
}

/// The median of `samples` with the sign test's interval `[x_(k), x_(n+1−k)]`, which
/// covers the population median with chance at least 95 % for any continuous
/// distribution: heavy tails and outliers do not widen it the way they widen a t
/// interval.
///
/// Returns `None` for fewer than 6 samples (no order statistics reach 95 %) or when
/// any value is NaN or infinite.
pub fn median_interval(samples: &[f64]) -> Option<MedianInterval> {
    let n = samples.len();
    if n < 6 || samples.iter().any(|x| !x.is_finite()) {
        return None;
    }
    let mut x = samples.to_vec();
    x.sort_by(f64::total_cmp);
    let median = if n % 2 == 1 { x[n / 2] } else { (x[n / 2 - 1] + x[n / 2]) / 2.0 };
    // P(Bin(n, ½) = j) in log space (n may be large): ln C(n, j) − n ln 2.
    let ln_half_n = -(n as f64) * std::f64::consts::LN_2;
    let (mut ln_choose, mut cdf, mut k) = (0.0f64, 0.0f64, 0usize);
    for j in 0..n / 2 {
        let next = cdf + (ln_choose + ln_half_n).exp();
        if next > 0.025 {
            break;
        }
        (cdf, k) = (next, j + 1);
        ln_choose += ((n - j) as f64).ln() - ((j + 1) as f64).ln();
    }
    if k == 0 {
        return None;
    }
    Some(MedianInterval { n, median, low: x[k - 1], high: x[n - k], coverage: 1.0 - 2.0 * cdf })
}

/// Kendall's rank correlation tau-b, with the tie correction
/// `tau_b = (C - D) / sqrt((n0 - n1)(n0 - n2))`, in `[-1, 1]`.
///
/// Counts every pair directly (O(n²); fine for `n` up to a few thousand).
/// A pair is concordant when `x` and `y` order it the same way, discordant
/// when opposite; a pair tied in `x` (or `y`) counts towards `n1` (or `n2`)
/// and is neither. Identical rankings give `1.0`, reversed rankings `-1.0`.
///
/// Returns `None` when the lengths differ, `n < 2`, either side contains
/// NaN, or either side is all ties (the denominator is zero). Infinities are
/// ordered normally.
pub fn kendall_tau_b(x: &[f64], y: &[f64]) -> Option<f64> {
    let n = x.len();
    if n != y.len() || n < 2 || x.iter().chain(y).any(|v| v.is_nan()) {
        return None;
    }
    let mut concordant: u64 = 0;
    let mut discordant: u64 = 0;
    let mut tied_x: u64 = 0;
    let mut tied_y: u64 = 0;
    for i in 0..n {
        for j in (i + 1)..n {
            // No NaN, so partial_cmp always succeeds.
            let ox = x[i].partial_cmp(&x[j])?;
            let oy = y[i].partial_cmp(&y[j])?;
            if ox.is_eq() {
                tied_x += 1;
            }
            if oy.is_eq() {
                tied_y += 1;
            }
            if ox.is_ne() && oy.is_ne() {
                if ox == oy {
                    concordant += 1;
                } else {
                    discordant += 1;
                }
            }
        }
    }
    let pairs = (n as u64) * (n as u64 - 1) / 2;
    let untied_x = pairs - tied_x;
    let untied_y = pairs - tied_y;
    if untied_x == 0 || untied_y == 0 {
        return None;
    }
    // sqrt of the product (not the product of square roots) so that
    // identical rankings give exactly 1.0.
    let denom = (untied_x as f64 * untied_y as f64).sqrt();
    let tau = (concordant as f64 - discordant as f64) / denom;
    Some(tau.clamp(-1.0, 1.0))
}

/// Least-squares slope of `y` on `x`:
/// `sum (x_i - mx)(y_i - my) / sum (x_i - mx)^2`.
///
/// Returns `None` when the lengths differ, `n < 2`, all `x` are equal
/// (zero variance; checked exactly, not after rounding), any value is NaN or
/// infinite, or the result overflows `f64`.
pub fn ols_slope(x: &[f64], y: &[f64]) -> Option<f64> {
    let n = x.len();
    if n != y.len() || n < 2 || x.iter().chain(y).any(|v| !v.is_finite()) {
        return None;
    }
    if x.iter().all(|&v| v == x[0]) {
        return None;
    }
    // Rescale each side by a power of two (exact) to keep sums in range; the
    // slope is then multiplied by sy / sx.
    let sx = pow2_scale(x);
    let sy = pow2_scale(y);
    let nf = n as f64;
    let mx = x.iter().map(|v| v / sx).sum::<f64>() / nf;
    let my = y.iter().map(|v| v / sy).sum::<f64>() / nf;
    let (sxy, sxx) = x.iter().zip(y).fold((0.0, 0.0), |(sxy, sxx), (xi, yi)| {
        let dx = xi / sx - mx;
        let dy = yi / sy - my;
        (sxy + dx * dy, sxx + dx * dx)
    });
    if sxx <= 0.0 {
        return None;
    }
    let slope = (sxy / sxx) * (sy / sx);
    slope.is_finite().then_some(slope)
}

/// Coefficient of variation: sample standard deviation divided by the mean,
/// `s / m`.
///
/// The sign follows the mean (a negative mean gives a negative value). With
/// a single sample `s = 0`, so the result is `0.0`.
///
/// Returns `None` when `samples` is empty, the mean is exactly `0.0`, any
/// value is NaN or infinite, or the ratio overflows `f64` (a mean that is
/// tiny relative to the spread).
pub fn coefficient_of_variation(samples: &[f64]) -> Option<f64> {
    let (mean, sd) = mean_sd(samples)?;
    if mean == 0.0 {
        return None;
    }
    let cv = sd / mean;
    cv.is_finite().then_some(cv)
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use proptest::prelude::*;

    #[test]
    fn median_interval_uses_the_sign_test_order_statistics() {
        // n = 20: P(Bin(20, ½) ≤ 5) = 0.0207 ≤ 0.025 < P(≤ 6) = 0.0577, so k = 6.
        let x: Vec<f64> = (1..=20).map(f64::from).collect();
        let m = median_interval(&x).unwrap();
        assert_eq!((m.median, m.low, m.high), (10.5, 6.0, 15.0));
        assert!((m.coverage - (1.0 - 2.0 * 21700.0 / 1_048_576.0)).abs() < 1e-12, "{}", m.coverage);
        // n = 6: only the extremes reach 95 % (1 − 2/64).
        let m = median_interval(&[3.0, 1.0, 2.0, 6.0, 5.0, 4.0]).unwrap();
        assert_eq!((m.low, m.high, m.coverage), (1.0, 6.0, 1.0 - 2.0 / 64.0));
        assert_eq!(median_interval(&[1.0; 5]), None);
        assert_eq!(median_interval(&[1.0, 2.0, 3.0, 4.0, 5.0, f64::NAN]), None);
    }

    #[test]
    fn median_interval_ignores_one_wild_sample() {
        let mut x: Vec<f64> = (1..=20).map(f64::from).collect();
        let calm = median_interval(&x).unwrap();
        x[19] = 1e9;
        let wild = median_interval(&x).unwrap();
        assert_eq!((calm.low, calm.median, calm.high), (wild.low, wild.median, wild.high));
        assert!(mean_interval(&x).unwrap().half_width() > 1e7);
    }

    #[test]
    fn mean_interval_hand_computed() {
        let iv = mean_interval(&[1.0, 2.0, 3.0, 4.0, 5.0]).unwrap();
        assert_eq!(iv.n, 5);
        assert_relative_eq!(iv.mean, 3.0, epsilon = 1e-12);
        assert_relative_eq!(iv.sd, 2.5f64.sqrt(), epsilon = 1e-12);
        let half = 2.776445105197793 * 2.5f64.sqrt() / 5f64.sqrt();
        assert_relative_eq!(iv.half_width(), half, epsilon = 1e-12);
        assert_relative_eq!(iv.low, 3.0 - half, epsilon = 1e-12);
        assert_relative_eq!(iv.high, 3.0 + half, epsilon = 1e-12);
        // Brief's rounded figures: 2.776 * 1.5811 / sqrt(5) ≈ 1.963.
        assert_relative_eq!(iv.half_width(), 1.963, epsilon = 1e-3);
    }

    #[test]
    fn mean_interval_degenerate() {
        assert_eq!(mean_interval(&[]), None);
        assert_eq!(mean_interval(&[4.5]), Some(Interval { n: 1, mean: 4.5, sd: 0.0, low: 4.5, high: 4.5 }));
        let c = mean_interval(&[2.0; 6]).unwrap();
        assert_eq!((c.sd, c.low, c.high), (0.0, 2.0, 2.0));
        assert_eq!(mean_interval(&[1.0, f64::NAN]), None);
        assert_eq!(mean_interval(&[1.0, f64::INFINITY]), None);
        // Large but representable: the sum would overflow without rescaling.
        let big = mean_interval(&[f64::MAX, f64::MAX]).unwrap();
        assert_eq!(big.mean, f64::MAX);
        assert_eq!(big.sd, 0.0);
        // Spread itself not representable.
        assert_eq!(mean_interval(&[-f64::MAX, f64::MAX]), None);
    }

    #[test]
    fn paired_difference_hand_computed() {
        let a = [3.0, 5.0, 4.0, 8.0];
        let b = [1.0, 2.0, 2.0, 5.0];
        // Differences 2, 3, 2, 3: mean 2.5, sd sqrt(1/3).
        let iv = paired_difference(&a, &b).unwrap();
        assert_relative_eq!(iv.mean, 2.5, epsilon = 1e-12);
        assert_relative_eq!(iv.sd, (1.0f64 / 3.0).sqrt(), epsilon = 1e-12);
        let half = 3.182446305283708 * (1.0f64 / 3.0).sqrt() / 2.0;
        assert_relative_eq!(iv.half_width(), half, epsilon = 1e-12);
        assert_eq!(paired_difference(&a, &b[..3]), None);
        assert_eq!(paired_difference(&[], &[]), None);
        assert_eq!(paired_difference(&[f64::MAX], &[-f64::MAX]), None);
    }

    #[test]
    fn kendall_hand_computed() {
        let x = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(kendall_tau_b(&x, &x), Some(1.0));
        assert_eq!(kendall_tau_b(&x, &[50.0, 40.0, 30.0, 20.0, 10.0]), Some(-1.0));
        // Pairs of [1,2,3,4] vs [1,3,2,4]: 5 concordant, 1 discordant -> 4/6.
        assert_relative_eq!(
            kendall_tau_b(&[1.0, 2.0, 3.0, 4.0], &[1.0, 3.0, 2.0, 4.0]).unwrap(),
            2.0 / 3.0,
            epsilon = 1e-12
        );
        // With ties: x = [1,1,2,3], y = [1,2,2,3]. n0 = 6, n1 = 1 (pair 1-2),
        // n2 = 1 (pair 2-3). Pair (1,2): x tie. (1,3): C. (1,4): C.
        // (2,3): y tie. (2,4): C. (3,4): C. -> C = 4, D = 0 -> 4 / sqrt(5*5).
        assert_relative_eq!(kendall_tau_b(&[1.0, 1.0, 2.0, 3.0], &[1.0, 2.0, 2.0, 3.0]).unwrap(), 0.8, epsilon = 1e-12);
    }

    #[test]
    fn kendall_degenerate() {
        assert_eq!(kendall_tau_b(&[1.0], &[1.0]), None);
        assert_eq!(kendall_tau_b(&[], &[]), None);
        assert_eq!(kendall_tau_b(&[1.0, 2.0], &[1.0]), None);
        assert_eq!(kendall_tau_b(&[3.0, 3.0, 3.0], &[1.0, 2.0, 3.0]), None);
        assert_eq!(kendall_tau_b(&[1.0, 2.0, 3.0], &[0.0, 0.0, 0.0]), None);
        assert_eq!(kendall_tau_b(&[1.0, f64::NAN], &[1.0, 2.0]), None);
        assert_eq!(kendall_tau_b(&[f64::NEG_INFINITY, 0.0, f64::INFINITY], &[1.0, 2.0, 3.0]), Some(1.0));
    }

    #[test]
    fn ols_hand_computed() {
        let x = [0.0, 1.0, 2.0, 3.0, 4.0];
        let y: Vec<f64> = x.iter().map(|v| 2.0 * v + 1.0).collect();
        assert_relative_eq!(ols_slope(&x, &y).unwrap(), 2.0, epsilon = 1e-12);
        // x = [1,2,3], y = [1,3,2]: sxy = (-1)(-1) + 0 + (1)(0) = 1, sxx = 2.
        assert_relative_eq!(ols_slope(&[1.0, 2.0, 3.0], &[1.0, 3.0, 2.0]).unwrap(), 0.5, epsilon = 1e-12);
        assert_eq!(ols_slope(&[1.0, 2.0, 3.0], &[4.0, 4.0, 4.0]), Some(0.0));
    }

    #[test]
    fn ols_degenerate() {
        assert_eq!(ols_slope(&[1.0], &[2.0]), None);
        assert_eq!(ols_slope(&[1.0, 2.0], &[2.0]), None);
        // Constant x, including a value whose mean does not round-trip.
        assert_eq!(ols_slope(&[0.1, 0.1, 0.1], &[1.0, 2.0, 3.0]), None);
        assert_eq!(ols_slope(&[1.0, f64::NAN], &[1.0, 2.0]), None);
        // Huge values still work thanks to power-of-two rescaling.
        let s = ols_slope(&[0.0, f64::MAX / 2.0], &[0.0, f64::MAX]).unwrap();
        assert_relative_eq!(s, 2.0, epsilon = 1e-12);
    }

    #[test]
    fn cv_hand_computed() {
        // [2, 4, 6]: mean 4, sd 2 -> 0.5.
        assert_relative_eq!(coefficient_of_variation(&[2.0, 4.0, 6.0]).unwrap(), 0.5, epsilon = 1e-12);
        assert_relative_eq!(coefficient_of_variation(&[-2.0, -4.0, -6.0]).unwrap(), -0.5, epsilon = 1e-12);
        assert_eq!(coefficient_of_variation(&[7.0]), Some(0.0));
        assert_eq!(coefficient_of_variation(&[]), None);
        assert_eq!(coefficient_of_variation(&[-1.0, 1.0]), None);
        assert_eq!(coefficient_of_variation(&[0.0, 0.0]), None);
        assert_eq!(coefficient_of_variation(&[f64::NAN, 1.0]), None);
    }

    fn samples() -> impl Strategy<Value = Vec<f64>> {
        prop::collection::vec(-1e6f64..1e6, 1..80)
    }

    proptest! {
        #[test]
        fn prop_interval_contains_mean(v in samples()) {
            let iv = mean_interval(&v).unwrap();
            prop_assert_eq!(iv.n, v.len());
            prop_assert!(iv.low <= iv.mean && iv.mean <= iv.high);
            prop_assert!(iv.low <= iv.high);
            prop_assert!(iv.sd >= 0.0);
            for f in [iv.mean, iv.sd, iv.low, iv.high] {
                prop_assert!(f.is_finite());
            }
        }

        #[test]
        fn prop_interval_arbitrary_f64_never_nonfinite(v in prop::collection::vec(any::<f64>(), 0..20)) {
            if let Some(iv) = mean_interval(&v) {
                for f in [iv.mean, iv.sd, iv.low, iv.high] {
                    prop_assert!(f.is_finite());
                }
                prop_assert!(iv.low <= iv.mean && iv.mean <= iv.high);
            }
            if let Some(cv) = coefficient_of_variation(&v) {
                prop_assert!(cv.is_finite());
            }
            let half = v.len() / 2;
            if let Some(s) = ols_slope(&v[..half], &v[half..2 * half]) {
                prop_assert!(s.is_finite());
            }
            if let Some(t) = kendall_tau_b(&v[..half], &v[half..2 * half]) {
                prop_assert!((-1.0..=1.0).contains(&t));
            }
            if let Some(iv) = paired_difference(&v[..half], &v[half..2 * half]) {
                prop_assert!(iv.low.is_finite() && iv.high.is_finite());
            }
        }

        #[test]
        fn prop_paired_with_self_zero_width(v in samples()) {
            let iv = paired_difference(&v, &v).unwrap();
            prop_assert_eq!(iv.mean, 0.0);
            prop_assert_eq!(iv.sd, 0.0);
            prop_assert_eq!(iv.low, iv.high);
        }

        #[test]
        fn prop_paired_shift(v in samples(), c in -1e3f64..1e3) {
            let b: Vec<f64> = v.iter().map(|x| x - c).collect();
            let iv = paired_difference(&v, &b).unwrap();
            prop_assert!((iv.mean - c).abs() < 1e-6);
            prop_assert!(iv.low <= iv.high);
        }

        #[test]
        fn prop_tau_bounds_and_symmetry(
            pairs in prop::collection::vec((-50i32..50, -50i32..50), 2..60)
        ) {
            let x: Vec<f64> = pairs.iter().map(|p| f64::from(p.0)).collect();
            let y: Vec<f64> = pairs.iter().map(|p| f64::from(p.1)).collect();
            if let Some(t) = kendall_tau_b(&x, &y) {
                prop_assert!(t.is_finite() && (-1.0..=1.0).contains(&t));
                prop_assert_eq!(kendall_tau_b(&y, &x), Some(t));
                let neg: Vec<f64> = y.iter().map(|v| -v).collect();
                let tn = kendall_tau_b(&x, &neg).unwrap();
                prop_assert!((tn + t).abs() < 1e-12);
                // Invariant under a strictly increasing transform.
                let cubed: Vec<f64> = x.iter().map(|v| v * v * v + 3.0).collect();
                prop_assert_eq!(kendall_tau_b(&cubed, &y), Some(t));
            }
        }

        #[test]
        fn prop_tau_self_is_one(v in prop::collection::vec(-1e6f64..1e6, 2..60)) {
            if v.iter().any(|&a| a != v[0]) {
                prop_assert_eq!(kendall_tau_b(&v, &v), Some(1.0));
            }
        }

        #[test]
        fn prop_ols_recovers_line(
            x in prop::collection::vec(-1e3f64..1e3, 2..60),
            a in -100.0f64..100.0,
            b in -100.0f64..100.0,
        ) {
            let y: Vec<f64> = x.iter().map(|v| a * v + b).collect();
            match ols_slope(&x, &y) {
                Some(s) => {
                    prop_assert!(s.is_finite());
                    prop_assert!((s - a).abs() < 1e-6 * (1.0 + a.abs()));
                }
                None => prop_assert!(x.iter().all(|&v| v == x[0])),
            }
        }

        #[test]
        fn prop_cv_finite_and_scale_invariant(v in samples(), c in 0.01f64..100.0) {
            if let Some(cv) = coefficient_of_variation(&v) {
                prop_assert!(cv.is_finite());
                let scaled: Vec<f64> = v.iter().map(|x| x * c).collect();
                let cv2 = coefficient_of_variation(&scaled).unwrap();
                prop_assert!((cv - cv2).abs() <= 1e-6 * (1.0 + cv.abs()));
            }
        }
    }
}
