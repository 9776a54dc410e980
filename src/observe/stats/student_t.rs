//! Quantiles of Student's t: the tabulated two-sided 95 % one for confidence intervals,
//! and any other (far tails of Bonferroni-split tests) from the incomplete beta function.

/// Two-sided 95 % quantiles of Student's t (the 0.975 quantile) for
/// `df = 1..=30`, index `df - 1`.
const T_975: [f64; 30] = [
    12.706204736174707,
    4.302652729749464,
    3.182446305283708,
    2.776445105197793,
    2.570581835636314,
    2.446911851144969,
    2.364624251592785,
    2.306004135204166,
    2.262157162798205,
    2.228138851986274,
    2.20098516009164,
    2.178812829667228,
    2.160368656462793,
    2.144786687917802,
    2.131449545559775,
    2.119905299221255,
    2.109815577833317,
    2.100922040241037,
    2.093024054408309,
    2.085963447265865,
    2.07961384472768,
    2.073873067904032,
    2.068657610419049,
    2.063898561628026,
    2.059538552753297,
    2.055529438642871,
    2.051830516480283,
    2.048407141795246,
    2.045229642132703,
    2.042272456301236,
];

/// The 0.975 quantile of Student's t distribution with `df` degrees of
/// freedom, i.e. the multiplier of the standard error for a two-sided 95 %
/// confidence interval.
///
/// Exact (to ~15 digits) for `df = 1..=30` from a table; for `df > 30` the
/// four-term Cornish–Fisher expansion around `z = 1.959963984540054`, whose
/// absolute error is below `3e-8` (e.g. `df = 40 → 2.02108`,
/// `df = 60 → 2.00030`, `df = 120 → 1.97993`). The result tends to `z` as
/// `df → ∞`.
///
/// `df = 0` has no t distribution; it is treated as `df = 1` (returns
/// `12.706…`) so the result is always finite.
pub fn t_quantile_975(df: usize) -> f64 {
    const Z: f64 = 1.959963984540054;
    if df <= 30 {
        return T_975[df.max(1) - 1];
    }
    let z2 = Z * Z;
    let z3 = z2 * Z;
    let z5 = z3 * z2;
    let z7 = z5 * z2;
    let z9 = z7 * z2;
    let g1 = (z3 + Z) / 4.0;
    let g2 = (5.0 * z5 + 16.0 * z3 + 3.0 * Z) / 96.0;
    let g3 = (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * Z) / 384.0;
    let g4 = (79.0 * z9 + 776.0 * z7 + 1482.0 * z5 - 1920.0 * z3 - 945.0 * Z) / 92160.0;
    let v = df as f64;
    Z + (g1 + (g2 + (g3 + g4 / v) / v) / v) / v
}

fn ln_gamma(x: f64) -> f64 {
    // Lanczos approximation (g = 7, n = 9), accurate to ~1e-15 for x > 0.
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let t = x + 7.5;
    let s = C[1..].iter().enumerate().fold(C[0], |acc, (i, c)| acc + c / (x + i as f64 + 1.0));
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + s.ln()
}

/// Continued fraction of the regularised incomplete beta function (modified Lentz).
fn beta_cf(a: f64, b: f64, x: f64) -> f64 {
    let tiny = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < tiny {
        d = tiny;
    }
    d = 1.0 / d;
    let mut h = d;
    // One Lentz step with the partial numerator `aa`: updates `c` and `d` (kept away from
    // 0) and returns the factor that multiplies `h`. Every term has an even and an odd
    // step.
    let mut step = |aa: f64| {
        d = 1.0 + aa * d;
        d = if d.abs() < tiny { tiny } else { d };
        c = 1.0 + aa / c;
        c = if c.abs() < tiny { tiny } else { c };
        d = 1.0 / d;
        d * c
    };
    for m in 1..=300 {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        h *= step(m * (b - m) * x / ((qam + m2) * (a + m2)));
        let del = step(-(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)));
        h *= del;
        if (del - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

/// Regularised incomplete beta I_x(a, b).
fn inc_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front = (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln()).exp();
    if x < (a + 1.0) / (a + b + 2.0) { front * beta_cf(a, b, x) / a } else { 1.0 - front * beta_cf(b, a, 1.0 - x) / b }
}

/// Upper tail P(T > t) of Student's t with `df` degrees of freedom, for t ≥ 0.
fn t_upper(t: f64, df: f64) -> f64 {
    0.5 * inc_beta(df / 2.0, 0.5, df / (df + t * t))
}

/// The `p` quantile (p in (0.5, 1)) of Student's t with `df` degrees of freedom, for
/// any tail (e.g. a Bonferroni-split 1 − α / (2M)) and any real `df > 0`: the root of
/// `P(T > t) = 1 − p` by bisection, with the tail from the regularised incomplete beta
/// function `P(T > t) = I_{df/(df+t²)}(df/2, 1/2) / 2`. [`t_quantile_975`] is the fast,
/// tabulated special case used for confidence intervals.
pub fn t_quantile(p: f64, df: f64) -> f64 {
    let tail = 1.0 - p;
    let (mut lo, mut hi) = (0.0, 1.0);
    while t_upper(hi, df) > tail && hi < 1e12 {
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if t_upper(mid, df) > tail {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

#[cfg(test)]
mod tests {
    use approx::assert_relative_eq;

    use super::*;

    #[test]
    fn t_quantile_table_and_expansion() {
        assert_relative_eq!(t_quantile_975(1), 12.706, epsilon = 1e-3);
        assert_relative_eq!(t_quantile_975(2), 4.303, epsilon = 1e-3);
        assert_relative_eq!(t_quantile_975(4), 2.776, epsilon = 1e-3);
        assert_relative_eq!(t_quantile_975(10), 2.228, epsilon = 1e-3);
        assert_relative_eq!(t_quantile_975(30), 2.042, epsilon = 1e-3);
        assert_relative_eq!(t_quantile_975(40), 2.021, epsilon = 1e-3);
        assert_relative_eq!(t_quantile_975(60), 2.000, epsilon = 1e-3);
        assert_relative_eq!(t_quantile_975(120), 1.980, epsilon = 1e-3);
        // Tighter checks against high-precision reference values.
        assert_relative_eq!(t_quantile_975(31), 2.039513446396, epsilon = 1e-7);
        assert_relative_eq!(t_quantile_975(40), 2.021075390306, epsilon = 1e-7);
        assert_relative_eq!(t_quantile_975(60), 2.000297822014, epsilon = 1e-7);
        assert_relative_eq!(t_quantile_975(120), 1.979930405082, epsilon = 1e-7);
        assert_relative_eq!(t_quantile_975(1000), 1.962339080826, epsilon = 1e-9);
        assert_relative_eq!(t_quantile_975(usize::MAX), 1.959963984540054, epsilon = 1e-12);
        assert_eq!(t_quantile_975(0), t_quantile_975(1));
    }

    #[test]
    fn t_quantile_matches_the_table() {
        for df in [1usize, 2, 4, 7, 10, 15, 30, 60, 120] {
            let a = t_quantile(0.975, df as f64);
            assert!((a - t_quantile_975(df)).abs() < 2e-3, "df {df}: {a} vs {}", t_quantile_975(df));
        }
        // Far tails: t(0.9995, 10) = 4.5869, t(0.99995, 15) = 5.2391 (published tables).
        assert!((t_quantile(0.9995, 10.0) - 4.5869).abs() < 1e-3);
        assert!((t_quantile(0.99995, 15.0) - 5.2391).abs() < 2e-3);
    }

    #[test]
    fn t_quantile_decreasing() {
        let mut prev = f64::INFINITY;
        for df in 1..=5000 {
            let t = t_quantile_975(df);
            assert!(t < prev, "df={df}");
            assert!(t > 1.959963984540054);
            prev = t;
        }
    }
}
