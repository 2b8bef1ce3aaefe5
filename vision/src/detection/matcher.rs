//! Matching boxes to ground truth by IoU and drawing a balanced sample of positives and
//! negatives: torchvision's `Matcher` and `BalancedPositiveNegativeSampler`.

use derin_tensor::Rng;
use derin_tensor::ndarray::Array2;

/// What a candidate box (anchor or proposal) was matched to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Match {
    /// Ground-truth box `g` (IoU at or above the high threshold, or a low-quality match).
    Object(usize),
    /// Background: best IoU below the low threshold.
    Background,
    /// Between the thresholds: neither, left out of the loss.
    Ignored,
}

/// IoU thresholds: `high` and above matches, below `low` is background; with
/// `allow_low_quality`, every ground-truth box also keeps the candidates it overlaps
/// most (torchvision's RPN setting).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Matcher {
    pub(crate) high: f32,
    pub(crate) low: f32,
    pub(crate) allow_low_quality: bool,
}

impl Matcher {
    /// Matches for each candidate (column) of `iou` (`[ground truth, candidates]`); all
    /// background when there is no ground truth.
    pub(crate) fn assign(&self, iou: &Array2<f32>) -> Vec<Match> {
        let (g, n) = iou.dim();
        if g == 0 {
            return vec![Match::Background; n];
        }
        // Best ground truth per candidate; ties go to the first, as torch.max does.
        let best: Vec<(usize, f32)> = (0..n)
            .map(|j| {
                (0..g).fold(
                    (0, f32::NEG_INFINITY),
                    |(bi, bv), i| if iou[[i, j]] > bv { (i, iou[[i, j]]) } else { (bi, bv) },
                )
            })
            .collect();
        let mut out: Vec<Match> = best
            .iter()
            .map(|&(i, v)| {
                if v < self.low {
                    Match::Background
                } else if v < self.high {
                    Match::Ignored
                } else {
                    Match::Object(i)
                }
            })
            .collect();
        if self.allow_low_quality {
            // Candidates tied for a ground-truth box's best IoU get back their own best
            // match (torchvision restores `all_matches`, which need not be that box).
            for i in 0..g {
                let top = iou.row(i).fold(f32::NEG_INFINITY, |m, &v| m.max(v));
                for j in (0..n).filter(|&j| iou[[i, j]] == top) {
                    out[j] = Match::Object(best[j].0);
                }
            }
        }
        out
    }
}

/// Indices of at most `size` candidates: positives (`Object`) up to `size · fraction`,
/// then negatives (`Background`) to fill, each drawn at random; positives first.
pub(crate) fn sample(matches: &[Match], size: usize, fraction: f32, rng: &mut Rng) -> (Vec<usize>, Vec<usize>) {
    let mut pos: Vec<usize> = (0..matches.len()).filter(|&j| matches!(matches[j], Match::Object(_))).collect();
    let mut neg: Vec<usize> = (0..matches.len()).filter(|&j| matches[j] == Match::Background).collect();
    let n_pos = pos.len().min((size as f32 * fraction) as usize);
    let n_neg = neg.len().min(size - n_pos);
    rng.shuffle(&mut pos);
    rng.shuffle(&mut neg);
    pos.truncate(n_pos);
    neg.truncate(n_neg);
    (pos, neg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use derin_tensor::ndarray::array;

    #[test]
    fn thresholds_split_candidates_as_torchvision() {
        let iou = array![[0.8, 0.5, 0.2, 0.0], [0.1, 0.6, 0.25, 0.0]];
        let strict = Matcher { high: 0.7, low: 0.3, allow_low_quality: false };
        assert_eq!(strict.assign(&iou), vec![Match::Object(0), Match::Ignored, Match::Background, Match::Background]);
        // Box 1's best candidate (column 1, IoU 0.6) is kept although under 0.7.
        let rpn = Matcher { allow_low_quality: true, ..strict };
        assert_eq!(rpn.assign(&iou), vec![Match::Object(0), Match::Object(1), Match::Background, Match::Background]);
        assert_eq!(rpn.assign(&Array2::zeros((0, 3))), vec![Match::Background; 3]);
    }

    #[test]
    fn a_low_quality_match_returns_the_candidates_own_best() {
        // Column 0 is box 1's best (0.4) but box 0 overlaps it more (0.5): it goes to box 0.
        let iou = array![[0.5, 0.9], [0.4, 0.1]];
        let m = Matcher { high: 0.95, low: 0.3, allow_low_quality: true };
        assert_eq!(m.assign(&iou), vec![Match::Object(0), Match::Object(0)]);
    }

    #[test]
    fn samples_keep_the_positive_fraction() {
        let mut matches = vec![Match::Background; 100];
        for j in 0..30 {
            matches[j * 3] = Match::Object(0);
        }
        matches[1] = Match::Ignored;
        let (pos, neg) = sample(&matches, 16, 0.25, &mut Rng::seed(0));
        assert_eq!((pos.len(), neg.len()), (4, 12));
        let object = |j: usize| j.is_multiple_of(3) && j < 90;
        assert!(pos.iter().all(|&j| object(j)) && neg.iter().all(|&j| !object(j) && j != 1));
        // Few positives: negatives fill the rest; few of both: all of them.
        let (pos, neg) = sample(&matches[..7], 64, 0.5, &mut Rng::seed(0));
        assert_eq!((pos.len(), neg.len()), (3, 3));
    }
}
