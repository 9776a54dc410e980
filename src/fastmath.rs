//! Fast, pure replacements for libm functions on the hot path.
//!
//! `exp` here is a table-driven exponential (64-entry table of 2^(j/64) and a degree-5
//! polynomial on |r| ≤ ln 2 / 128), accurate to about 1 ulp over the range the model
//! uses. It is a pure function of its argument, inlined, with no global state, so every
//! thread computes bit-identical values and results stay independent of the thread
//! count. It is several times cheaper than a call into libm's `exp` and lets the
//! compiler interleave the exponentials of a slate.

/// 2^(j/64) for j in 0..64, correctly rounded (generated with 60-digit decimals).
const EXP2_TABLE: [u64; 64] = [
    0x3ff0000000000000,
    0x3ff02c9a3e778061,
    0x3ff059b0d3158574,
    0x3ff0874518759bc8,
    0x3ff0b5586cf9890f,
    0x3ff0e3ec32d3d1a2,
    0x3ff11301d0125b51,
    0x3ff1429aaea92de0,
    0x3ff172b83c7d517b,
    0x3ff1a35beb6fcb75,
    0x3ff1d4873168b9aa,
    0x3ff2063b88628cd6,
    0x3ff2387a6e756238,
    0x3ff26b4565e27cdd,
    0x3ff29e9df51fdee1,
    0x3ff2d285a6e4030b,
    0x3ff306fe0a31b715,
    0x3ff33c08b26416ff,
    0x3ff371a7373aa9cb,
    0x3ff3a7db34e59ff7,
    0x3ff3dea64c123422,
    0x3ff4160a21f72e2a,
    0x3ff44e086061892d,
    0x3ff486a2b5c13cd0,
    0x3ff4bfdad5362a27,
    0x3ff4f9b2769d2ca7,
    0x3ff5342b569d4f82,
    0x3ff56f4736b527da,
    0x3ff5ab07dd485429,
    0x3ff5e76f15ad2148,
    0x3ff6247eb03a5585,
    0x3ff6623882552225,
    0x3ff6a09e667f3bcd,
    0x3ff6dfb23c651a2f,
    0x3ff71f75e8ec5f74,
    0x3ff75feb564267c9,
    0x3ff7a11473eb0187,
    0x3ff7e2f336cf4e62,
    0x3ff82589994cce13,
    0x3ff868d99b4492ed,
    0x3ff8ace5422aa0db,
    0x3ff8f1ae99157736,
    0x3ff93737b0cdc5e5,
    0x3ff97d829fde4e50,
    0x3ff9c49182a3f090,
    0x3ffa0c667b5de565,
    0x3ffa5503b23e255d,
    0x3ffa9e6b5579fdbf,
    0x3ffae89f995ad3ad,
    0x3ffb33a2b84f15fb,
    0x3ffb7f76f2fb5e47,
    0x3ffbcc1e904bc1d2,
    0x3ffc199bdd85529c,
    0x3ffc67f12e57d14b,
    0x3ffcb720dcef9069,
    0x3ffd072d4a07897c,
    0x3ffd5818dcfba487,
    0x3ffda9e603db3285,
    0x3ffdfc97337b9b5f,
    0x3ffe502ee78b3ff6,
    0x3ffea4afa2a490da,
    0x3ffefa1bee615a27,
    0x3fff50765b6e4540,
    0x3fffa7c1819e90d8,
];

/// 1.5 · 2^52: adding it rounds a double to the nearest integer held in its low bits.
const ROUND_SHIFT: f64 = 6_755_399_441_055_744.0;
/// 64 / ln 2.
const INV_LN2_64: f64 = 92.332_482_616_893_66;
/// ln 2 / 64 split into a high part with trailing zero bits (k · hi is exact for
/// |k| < 2^20) and the rest.
const LN2_64_HI: f64 = 6.931_471_803_691_238e-1 / 64.0;
const LN2_64_LO: f64 = 1.908_214_929_270_587_7e-10 / 64.0;

/// e^x. Below −708 it returns 0 and above 709 infinity (libm would give values within
/// a factor e^0.8 of the extreme doubles there); NaN gives NaN.
#[inline]
pub fn exp(x: f64) -> f64 {
    if x < -708.0 {
        return 0.0;
    }
    if x.is_nan() {
        return x;
    }
    if x > 709.0 {
        return f64::INFINITY;
    }
    let z = x * INV_LN2_64 + ROUND_SHIFT;
    let k = z.to_bits().wrapping_sub(ROUND_SHIFT.to_bits()) as i64;
    let kf = z - ROUND_SHIFT;
    let r = (x - kf * LN2_64_HI) - kf * LN2_64_LO;
    // e^r − 1 on |r| ≤ 0.0055: the omitted r^6/720 is below 4e-17.
    let p = r * (1.0 + r * (0.5 + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0)))));
    let scale = f64::from_bits(EXP2_TABLE[(k & 63) as usize].wrapping_add(((k >> 6) as u64) << 52));
    scale + scale * p
}

/// x^y with the common sharpness exponents (1, 2, 3, 4) as multiplications and libm's
/// `powf` otherwise.
#[inline]
pub fn pow(x: f64, y: f64) -> f64 {
    if y == 2.0 {
        x * x
    } else if y == 1.0 {
        x
    } else if y == 3.0 {
        x * x * x
    } else if y == 4.0 {
        let s = x * x;
        s * s
    } else {
        x.powf(y)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_matches_libm_to_a_few_ulp() {
        let mut worst = 0.0f64;
        let mut x = -707.9;
        while x < 708.9 {
            let (a, b) = (exp(x), x.exp());
            worst = worst.max(((a - b) / b).abs());
            x += 0.000_731_7;
        }
        assert!(worst < 4.0 * f64::EPSILON, "worst relative error {worst:e}");
        for x in [0.0, 1.0, -1.0, 1e-300, -1e-300, 0.5, -0.5, 3.5, -3.5, 10.0, -20.0] {
            let (a, b) = (exp(x), x.exp());
            assert!(((a - b) / b).abs() < 4.0 * f64::EPSILON, "exp({x}) = {a} vs {b}");
        }
        assert_eq!(exp(0.0), 1.0);
    }

    #[test]
    fn exp_extremes() {
        assert_eq!(exp(-1e6), 0.0);
        assert_eq!(exp(f64::NEG_INFINITY), 0.0);
        assert_eq!(exp(1e6), f64::INFINITY);
        assert_eq!(exp(f64::INFINITY), f64::INFINITY);
        assert!(exp(f64::NAN).is_nan());
        assert!(exp(-708.0) > 0.0 && exp(709.0).is_finite());
    }

    #[test]
    fn pow_matches_powf() {
        for x in [0.0, 1e-6, 0.3, 0.5, 0.99, 1.0, 2.5] {
            for y in [1.0, 2.0, 3.0, 4.0, 1.5, 0.5, 2.2] {
                let (a, b): (f64, f64) = (pow(x, y), x.powf(y));
                assert!((a - b).abs() <= 2.0 * f64::EPSILON * b.abs(), "{x}^{y}: {a} vs {b}");
            }
        }
    }
}
