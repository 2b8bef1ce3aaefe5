//! Choosing the next point of a Bayesian search: expected improvement maximized over many random
//! candidates and perturbations of the best points seen, then a short greedy refinement.

use derin_tensor::Rng;
use rayon::prelude::*;

use super::acquisition::expected_improvement;
use super::gp::GaussianProcess;
use super::space::SearchSpace;

/// Perturbation scales (unit-cube standard deviations) cycled through around the best points.
const LOCAL_SCALES: [f64; 3] = [0.1, 0.03, 0.01];
/// How many of the best candidates are refined, for how many rounds of how many perturbations.
const REFINE_STARTS: usize = 5;
const REFINE_ROUNDS: usize = 4;
const REFINE_SAMPLES: usize = 20;
/// Fewest candidates worth scoring on rayon's pool (below this, threads cost more than they save).
const PARALLEL_MIN: usize = 256;

/// Expected improvement of a fitted GP over the space.
pub(crate) struct Proposer<'a> {
    pub(crate) space: &'a SearchSpace,
    pub(crate) gp: &'a GaussianProcess,
    /// Smallest loss seen.
    pub(crate) best: f64,
    /// Exploration margin, in loss units.
    pub(crate) xi: f64,
    pub(crate) parallel: bool,
}

impl Proposer<'_> {
    fn ei(&self, unit: &[f64]) -> f64 {
        let (mean, std) = self.gp.predict(&self.space.features(unit));
        expected_improvement(mean, std, self.best, self.xi)
    }

    /// EI of each candidate, in order (on rayon's pool when asked and worth it).
    fn score_all(&self, candidates: &[Vec<f64>]) -> Vec<f64> {
        if self.parallel && candidates.len() >= PARALLEL_MIN {
            candidates.par_iter().map(|u| self.ei(u)).collect()
        } else {
            candidates.iter().map(|u| self.ei(u)).collect()
        }
    }

    /// The unit vector with the largest EI found among: `n_random` uniform candidates;
    /// `max(n_random/20, 10)` perturbations of each incumbent (the best points seen, best first) at
    /// scales 0.1, 0.03, 0.01; then, from each of the 5 best candidates, 4 rounds of 20 perturbations
    /// (scale 0.05, halved after a round without gain) keeping the best. Ties go to the earliest
    /// candidate, so the choice depends only on the generator, never on the thread count.
    pub(crate) fn propose(&self, n_random: usize, incumbents: &[&[f64]], rng: &mut Rng) -> Vec<f64> {
        let mut candidates: Vec<Vec<f64>> = (0..n_random).map(|_| self.space.sample_unit(rng)).collect();
        let per_incumbent = (n_random / 20).max(10);
        for inc in incumbents {
            for j in 0..per_incumbent {
                candidates.push(self.space.perturb(inc, LOCAL_SCALES[j % LOCAL_SCALES.len()], rng));
            }
        }
        let scores = self.score_all(&candidates);
        let mut order: Vec<usize> = (0..candidates.len()).collect();
        order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
        let (mut best, mut best_score) = (candidates[order[0]].clone(), scores[order[0]]);
        for &start in order.iter().take(REFINE_STARTS) {
            let (mut u, mut s, mut scale) = (candidates[start].clone(), scores[start], 0.05);
            for _ in 0..REFINE_ROUNDS {
                let local: Vec<Vec<f64>> = (0..REFINE_SAMPLES).map(|_| self.space.perturb(&u, scale, rng)).collect();
                let local_scores = self.score_all(&local);
                let k = argmax(&local_scores);
                if local_scores[k] > s {
                    (u, s) = (local[k].clone(), local_scores[k]);
                } else {
                    scale *= 0.5;
                }
            }
            if s > best_score {
                (best, best_score) = (u, s);
            }
        }
        best
    }
}

/// Index of the largest value, the first one on ties.
fn argmax(values: &[f64]) -> usize {
    values.iter().enumerate().fold(0, |best, (i, v)| if *v > values[best] { i } else { best })
}
