//! Where a round evaluates: a Latin hypercube first, then a defensive mixture of Gaussian
//! kernels around the weighted points so far.

use rand_pcg::Pcg64Mcg;

use super::{DEFENSIVE_SHARE, MIN_BUDGET_PER_PARAM};

/// Round sizes for `budget` evaluations of `d` parameters: 2 to 8 rounds of about
/// 6·d points; the first round takes the remainder. `None` below the minimum.
pub fn round_sizes(budget: usize, d: usize) -> Option<Vec<usize>> {
    if budget < MIN_BUDGET_PER_PARAM * d {
        return None;
    }
    let rounds = (budget / (6 * d)).clamp(2, 8);
    let base = budget / rounds;
    let mut sizes = vec![base; rounds];
    sizes[0] += budget - base * rounds;
    Some(sizes)
}

pub(crate) fn round_rng(seed: u64, round: usize) -> Pcg64Mcg {
    // Its own key, so the design's draws share no stream with the model's.
    let hi = crate::rng::mix64(seed ^ crate::rng::mix64(0xCA11_B8A7_E000_0000 ^ round as u64));
    let lo = crate::rng::mix64(hi ^ 0x005E_ED0F_CA11);
    Pcg64Mcg::new((u128::from(hi) << 64 | u128::from(lo)) | 1)
}

pub(crate) fn normal(rng: &mut Pcg64Mcg) -> f64 {
    // Box–Muller from the project's 53-bit uniforms; 1 − u avoids ln 0.
    let u = 1.0 - crate::rng::unit(rng);
    let v = crate::rng::unit(rng);
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

/// The standard normal distribution function (Abramowitz–Stegun 7.1.26 via erfc; error
/// below 1.5e-7, plenty for proposal densities).
pub(crate) fn phi(x: f64) -> f64 {
    let z = x.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * z);
    let poly =
        t * (0.254_829_592 + t * (-0.284_496_736 + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erfc = poly * (-z * z).exp();
    if x >= 0.0 { 1.0 - 0.5 * erfc } else { 0.5 * erfc }
}

/// A later round's proposal in unit coordinates: centres with probabilities, kernel sd.
pub(crate) struct Proposal {
    pub(crate) centres: Vec<Vec<f64>>,
    pub(crate) probs: Vec<f64>,
    pub(crate) sd: Vec<f64>,
}

impl Proposal {
    /// Density at `u` of the defensive mixture (uniform share + truncated kernels).
    pub(crate) fn density(&self, u: &[f64]) -> f64 {
        let mut kernel = 0.0;
        for (c, p) in self.centres.iter().zip(&self.probs) {
            if *p == 0.0 {
                continue;
            }
            let mut k = *p;
            for ((x, m), s) in u.iter().zip(c).zip(&self.sd) {
                let z = (x - m) / s;
                let mass = phi((1.0 - m) / s) - phi(-m / s);
                k *= (-0.5 * z * z).exp() / (s * (std::f64::consts::TAU).sqrt() * mass.max(1e-300));
            }
            kernel += k;
        }
        DEFENSIVE_SHARE + (1.0 - DEFENSIVE_SHARE) * kernel
    }

    pub(crate) fn draw(&self, rng: &mut Pcg64Mcg) -> Vec<f64> {
        let d = self.sd.len();
        if crate::rng::unit(rng) < DEFENSIVE_SHARE {
            return (0..d).map(|_| crate::rng::unit(rng)).collect();
        }
        let pick = crate::rng::unit(rng);
        let mut acc = 0.0;
        let mut ci = self.centres.len() - 1;
        for (i, p) in self.probs.iter().enumerate() {
            acc += p;
            if pick < acc {
                ci = i;
                break;
            }
        }
        let c = &self.centres[ci];
        (0..d)
            .map(|j| {
                // Redrawn until inside the box; the centre is inside, so each try lands
                // inside with probability at least 1/2 and this ends.
                loop {
                    let x = c[j] + self.sd[j] * normal(rng);
                    if (0.0..=1.0).contains(&x) {
                        break x;
                    }
                }
            })
            .collect()
    }
}

pub(crate) fn latin_hypercube(n: usize, d: usize, rng: &mut Pcg64Mcg) -> Vec<Vec<f64>> {
    let mut points = vec![vec![0.0; d]; n];
    for j in 0..d {
        let mut perm: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            let k = ((crate::rng::unit(rng) * (i + 1) as f64) as usize).min(i);
            perm.swap(i, k);
        }
        for (i, p) in points.iter_mut().enumerate() {
            p[j] = (perm[i] as f64 + crate::rng::unit(rng)) / n as f64;
        }
    }
    points
}
