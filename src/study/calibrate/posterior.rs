//! The posterior over the evaluated points: each point's distance in noise units, its
//! importance weight against the rounds' proposals, the bandwidth, and the summary that
//! fills `best`, `fit` and `uncertainty`.

use super::design::{Proposal, latin_hypercube, round_rng};
use super::*;

/// What the history says so far: noise units, distances, weights and the bandwidth.
pub(crate) struct Posterior {
    pub(crate) noise: Vec<f64>,
    pub(crate) distance: Vec<f64>,
    pub(crate) weight: Vec<f64>,
    pub(crate) bandwidth: f64,
    pub(crate) ess: f64,
}

pub(crate) fn median(mut xs: Vec<f64>) -> Option<f64> {
    xs.retain(|x| x.is_finite());
    if xs.is_empty() {
        return None;
    }
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    Some(if n % 2 == 1 { xs[n / 2] } else { 0.5 * (xs[n / 2 - 1] + xs[n / 2]) })
}

pub(crate) fn ess(w: &[f64]) -> f64 {
    let s: f64 = w.iter().sum();
    let s2: f64 = w.iter().map(|x| x * x).sum();
    if s2 > 0.0 { s * s / s2 } else { 0.0 }
}

/// Fixed inputs of the method.
pub(crate) struct Setup<'a> {
    pub(crate) params: &'a [ParamRange],
    pub(crate) targets: &'a [Target],
    pub(crate) terms: &'a [Term],
    pub(crate) replicates: usize,
    pub(crate) sizes: &'a [usize],
}

impl Setup<'_> {
    pub(crate) fn unit(&self, p: &PointDoc) -> Vec<f64> {
        self.params.iter().map(|r| (p.point[&r.key] - r.lo) / (r.hi - r.lo)).collect()
    }

    /// The posterior over `history` (points of rounds whose proposals `proposals` hold;
    /// `proposals[t]` is round t + 2's).
    pub(crate) fn posterior(&self, history: &[PointDoc], proposals: &[Proposal]) -> Posterior {
        let n_rep = self.replicates as f64;
        let noise: Vec<f64> = self
            .terms
            .iter()
            .enumerate()
            .map(|(k, term)| {
                let t = &self.targets[term.target];
                let s =
                    median(history.iter().filter(|p| p.round == 1).map(|p| p.simulated[k].sd).collect()).unwrap_or(0.0);
                let var = match t.se {
                    Some(se) => se * se + s * s / n_rep,
                    None => s * s * (1.0 + 1.0 / n_rep),
                };
                // A metric that does not vary between replicates has no noise to measure
                // in; a floor of 0.1 % of the target (or 1e-12) keeps the distance finite.
                var.sqrt().max(1e-3 * t.value.abs()).max(1e-12)
            })
            .collect();
        let distance: Vec<f64> = history
            .iter()
            .map(|p| {
                self.terms
                    .iter()
                    .enumerate()
                    .map(|(k, term)| {
                        let t = &self.targets[term.target];
                        let z = (p.simulated[k].mean - t.value) / noise[k];
                        t.weight * z * z
                    })
                    .sum::<f64>()
            })
            // A point where a metric is missing (no replicate wrote it) is as far as can be.
            .map(|d: f64| if d.is_nan() { f64::INFINITY } else { d })
            .collect();
        // ln(prior / q_mix): the prior is 1 on the unit box; q_mix averages the rounds'
        // proposal densities by their number of points.
        let mut counts = vec![0usize; self.sizes.len()];
        for p in history {
            counts[p.round - 1] += 1;
        }
        let total = history.len().max(1) as f64;
        let log_iw: Vec<f64> = history
            .iter()
            .map(|p| {
                let u = self.unit(p);
                let mut q = counts[0] as f64 / total;
                for (t, prop) in proposals.iter().enumerate() {
                    let c = counts.get(t + 1).copied().unwrap_or(0);
                    if c > 0 {
                        q += c as f64 / total * prop.density(&u);
                    }
                }
                -q.max(1e-300).ln()
            })
            .collect();
        let weights_at = |h: f64| -> Vec<f64> {
            let lw: Vec<f64> = distance.iter().zip(&log_iw).map(|(d, l)| l - d / (2.0 * h * h)).collect();
            let top = lw.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let w: Vec<f64> = lw.iter().map(|l| (l - top).exp()).collect();
            let s: f64 = w.iter().sum();
            w.into_iter().map(|x| x / s).collect()
        };
        let d = self.params.len() as f64;
        let wanted = (history.len() as f64 / 4.0).clamp(d + 1.0, 50.0).min(history.len() as f64);
        let mut h = 1.0;
        if ess(&weights_at(1.0)) < wanted {
            // Bisection on ln h: the effective sample size grows as the kernel widens.
            let (mut lo, mut hi) = (0.0f64, 12.0f64);
            for _ in 0..60 {
                let mid = 0.5 * (lo + hi);
                if ess(&weights_at(mid.exp())) >= wanted { hi = mid } else { lo = mid }
            }
            h = hi.exp();
        }
        let weight = weights_at(h);
        Posterior { noise, distance, ess: ess(&weight), weight, bandwidth: h }
    }

    /// The proposal of the round after `history`, from its posterior.
    pub(crate) fn proposal(&self, history: &[PointDoc], post: &Posterior) -> Proposal {
        let units: Vec<Vec<f64>> = history.iter().map(|p| self.unit(p)).collect();
        let d = self.params.len();
        let sd = (0..d)
            .map(|j| {
                let m: f64 = units.iter().zip(&post.weight).map(|(u, w)| w * u[j]).sum();
                let v: f64 = units.iter().zip(&post.weight).map(|(u, w)| w * (u[j] - m).powi(2)).sum();
                // Twice the posterior variance (Beaumont et al. 2009), kept between 2 %
                // and half of the range so the kernel neither collapses on one point
                // nor spreads past the box.
                (2.0 * v).sqrt().clamp(0.02, 0.5)
            })
            .collect();
        Proposal { centres: units, probs: post.weight.clone(), sd }
    }

    /// The points of round `round` (1-based), given the complete earlier rounds.
    pub(crate) fn design(&self, seed: u64, round: usize, proposals: &[Proposal]) -> Vec<Vec<f64>> {
        let mut rng = round_rng(seed, round);
        let n = self.sizes[round - 1];
        if round == 1 {
            latin_hypercube(n, self.params.len(), &mut rng)
        } else {
            let prop = &proposals[round - 2];
            (0..n).map(|_| prop.draw(&mut rng)).collect()
        }
    }
}

pub(crate) fn weighted_quantile(values: &[f64], weights: &[f64], q: f64) -> f64 {
    let mut idx: Vec<usize> = (0..values.len()).collect();
    idx.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    // Each point's weight is centred on its value (the midpoint rule), so two equal
    // weights give the midpoint as the median.
    let mut acc = 0.0;
    let mut prev: Option<(f64, f64)> = None;
    for &i in &idx {
        let mid = acc + 0.5 * weights[i];
        acc += weights[i];
        if mid >= q {
            return match prev {
                Some((pm, pv)) if mid > pm => pv + (values[i] - pv) * (q - pm) / (mid - pm),
                _ => values[i],
            };
        }
        prev = Some((mid, values[i]));
    }
    prev.map_or(f64::NAN, |(_, v)| v)
}

/// Fills `best`, `fit`, `uncertainty`, `posterior_draws`, `noise` and every point's
/// distance and weight from the history.
pub(crate) fn summarise(doc: &mut CalibrationDoc, setup: &Setup, proposals: &[Proposal]) {
    doc.history.sort_by_key(|p| p.index);
    if doc.history.is_empty() {
        return;
    }
    let post = setup.posterior(&doc.history, proposals);
    for (i, p) in doc.history.iter_mut().enumerate() {
        p.distance = post.distance[i];
        p.weight = post.weight[i];
    }
    doc.noise = post.noise.clone();
    let best =
        (0..doc.history.len()).min_by(|&a, &b| post.distance[a].total_cmp(&post.distance[b])).expect("non-empty");
    let bp = &doc.history[best];
    doc.best = bp.point.clone();
    for r in &doc.params {
        if r.integer {
            doc.best.insert(r.key.clone(), bp.point[&r.key].round());
        }
    }
    doc.best_distance = Some(bp.distance);
    doc.fit = doc
        .terms
        .iter()
        .enumerate()
        .map(|(k, term)| {
            let t = &doc.targets[term.target];
            let s = bp.simulated[k];
            FitRow {
                variant: term.variant.clone(),
                metric: term.metric.clone(),
                target: t.value,
                mean: s.mean,
                ci_low: s.ci_low,
                ci_high: s.ci_high,
                z: (s.mean - t.value) / post.noise[k],
                source: t.source.clone(),
            }
        })
        .collect();
    let params = doc
        .params
        .iter()
        .map(|r| {
            let xs: Vec<f64> = doc.history.iter().map(|p| p.point[&r.key]).collect();
            let w = &post.weight;
            let mean: f64 = xs.iter().zip(w).map(|(x, w)| x * w).sum();
            let var: f64 = xs.iter().zip(w).map(|(x, w)| w * (x - mean).powi(2)).sum();
            let (low, high) = (weighted_quantile(&xs, w, 0.025), weighted_quantile(&xs, w, 0.975));
            let range_share = (high - low) / (r.hi - r.lo);
            let u = ParamUncertainty {
                median: weighted_quantile(&xs, w, 0.5),
                mean,
                sd: var.sqrt(),
                low,
                high,
                range_share,
                identified: range_share <= IDENTIFIED_MAX_SHARE,
            };
            (r.key.clone(), u)
        })
        .collect();
    doc.uncertainty = Some(UncertaintyDoc {
        kind: "importance-weighted ABC posterior over every evaluated point: 2.5-97.5 % quantiles \
               (low, high), median, mean and sd per key"
            .into(),
        bandwidth: post.bandwidth,
        effective_points: post.ess,
        params,
    });
    // Systematic resampling: deterministic, and each draw stands for 1/M of the mass.
    let m = POSTERIOR_DRAWS.min(doc.history.len());
    let mut draws = Vec::with_capacity(m);
    let (mut acc, mut i) = (post.weight[0], 0);
    for j in 0..m {
        let u = (j as f64 + 0.5) / m as f64;
        while acc < u && i + 1 < doc.history.len() {
            i += 1;
            acc += post.weight[i];
        }
        let mut d = doc.history[i].point.clone();
        for r in &doc.params {
            if r.integer {
                d.insert(r.key.clone(), d[&r.key].round());
            }
        }
        draws.push(d);
    }
    doc.posterior_draws = draws;
}
