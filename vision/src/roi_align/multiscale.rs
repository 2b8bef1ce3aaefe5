//! RoI Align over a feature pyramid: the FPN paper's level mapper picks each box's level
//! from its size, as torchvision's `MultiScaleRoIAlign` and `LevelMapper` do.

use derin_tensor::Tensor;

use super::{Plan, RoiAlignOptions, apply, check_levels};
use crate::boxes::check_boxes;
use crate::{BoxXyxy, Error, Result};

/// Which pyramid level a box is pooled from: `k = ⌊k₀ + log₂(√area / s₀) + 10⁻⁶⌋`
/// clamped to `[k_min, k_max]` (Lin et al., FPN, eq. 1; `s₀ = 224`, `k₀ = 4` by default).
///
/// ```
/// use derin_vision::LevelMapper;
/// let m = LevelMapper::new(2, 5);
/// // A 224×224 box sits on level 4, index 2 counting from k_min = 2; a 112×112 box one lower.
/// assert_eq!(m.level(&[0.0, 0.0, 224.0, 224.0]), 2);
/// assert_eq!(m.level(&[0.0, 0.0, 112.0, 112.0]), 1);
/// assert_eq!(m.level(&[0.0, 0.0, 4.0, 4.0]), 0);
/// assert_eq!(m.level(&[0.0, 0.0, 4000.0, 4000.0]), 3);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LevelMapper {
    /// The finest level (`log₂` of its stride).
    pub k_min: i32,
    /// The coarsest level.
    pub k_max: i32,
    /// `s₀`: the box side that maps to the canonical level.
    pub canonical_scale: f32,
    /// `k₀`.
    pub canonical_level: i32,
}

impl LevelMapper {
    /// Levels `k_min..=k_max` with torchvision's canonical scale 224 at level 4.
    pub fn new(k_min: i32, k_max: i32) -> Self {
        LevelMapper { k_min, k_max, canonical_scale: 224.0, canonical_level: 4 }
    }

    /// The level of box `b`, counted from `k_min` (0 is the finest).
    pub fn level(&self, b: &BoxXyxy) -> usize {
        let side = ((b[2] - b[0]) * (b[3] - b[1])).sqrt();
        let k = (self.canonical_level as f32 + (side / self.canonical_scale).log2() + 1e-6).floor();
        // A zero-area box has k = −∞, which `as` saturates and the clamp lifts to k_min.
        ((k as i32).clamp(self.k_min, self.k_max) - self.k_min) as usize
    }
}

/// RoI Align over the levels of a feature pyramid, each box pooled from the level its
/// size maps to: torchvision's `MultiScaleRoIAlign` (with `aligned` false, as there).
///
/// Each level's scale is inferred from its size against the largest image, rounded to a
/// power of two (a map of 16×12 for a 64×48 image has scale 1/4).
///
/// ```
/// use derin_tensor::Tensor;
/// use derin_vision::MultiScaleRoiAlign;
/// let p2 = Tensor::ones(&[1, 8, 16, 16]);
/// let p3 = Tensor::full(&[1, 8, 8, 8], 2.0);
/// let pool = MultiScaleRoiAlign::new([7, 7], 2).canonical(32.0, 3);
/// let boxes = vec![vec![[0.0, 0.0, 8.0, 8.0], [0.0, 0.0, 60.0, 60.0]]];
/// let out = pool.forward(&[p2, p3], &boxes, &[[64, 64]]).unwrap();
/// assert_eq!(out.shape(), &[2, 8, 7, 7]);
/// // The small box reads P2 (all ones), the large one P3 (all twos).
/// let v = out.to_vec();
/// assert!((v[0] - 1.0).abs() < 1e-6 && (v[8 * 49] - 2.0).abs() < 1e-6);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MultiScaleRoiAlign {
    /// Output bins `[height, width]`.
    pub output_size: [usize; 2],
    /// Samples per bin along each axis (0 or less: adaptive).
    pub sampling_ratio: i32,
    /// The level mapper's `s₀` (224).
    pub canonical_scale: f32,
    /// The level mapper's `k₀` (4).
    pub canonical_level: i32,
}

impl MultiScaleRoiAlign {
    /// Pools to `output_size` with `sampling_ratio` samples per bin and axis; the level
    /// mapper's canonical box side 224 at level 4, as torchvision's.
    pub fn new(output_size: [usize; 2], sampling_ratio: i32) -> Self {
        MultiScaleRoiAlign { output_size, sampling_ratio, canonical_scale: 224.0, canonical_level: 4 }
    }

    /// Sets the level mapper's canonical box side and its level.
    pub fn canonical(mut self, scale: f32, level: i32) -> Self {
        self.canonical_scale = scale;
        self.canonical_level = level;
        self
    }

    /// Pools `boxes[i]` (image `i`'s boxes, in its pixels) from `features`, finest level
    /// first; `image_sizes` are the `[height, width]` of the images before batching.
    ///
    /// # Shapes
    /// Each feature map `[N, C, Hₗ, Wₗ]`, `N` lists of boxes → `[K, C, out_h, out_w]`, `K`
    /// the number of boxes, in the order given.
    ///
    /// # Errors
    /// [`Error::Shape`] for maps that are not 4-D or disagree in batch or channels;
    /// [`Error::Mismatch`] for box lists or image sizes not one per image;
    /// [`Error::InvalidBox`] for a bad box; [`Error::Option`] for a map whose height and
    /// width ratios to the image round to different powers of two, or bad output options.
    pub fn forward(&self, features: &[Tensor], boxes: &[Vec<BoxXyxy>], image_sizes: &[[usize; 2]]) -> Result<Tensor> {
        const OP: &str = "MultiScaleRoiAlign";
        let levels: Vec<&Tensor> = features.iter().collect();
        if levels.is_empty() {
            return Err(Error::Mismatch { op: OP, what: "no feature maps".into() });
        }
        let (n, c, shapes) = check_levels(OP, &levels)?;
        if boxes.len() != n || image_sizes.len() != n {
            let what = format!(
                "{n} images in the feature maps, {} box lists and {} image sizes",
                boxes.len(),
                image_sizes.len()
            );
            return Err(Error::Mismatch { op: OP, what });
        }
        let largest = [0, 1].map(|a| image_sizes.iter().map(|s| s[a]).max().unwrap_or(0));
        let scales =
            shapes.iter().enumerate().map(|(l, s)| infer_scale(OP, l, *s, largest)).collect::<Result<Vec<f32>>>()?;
        let (k_min, k_max) = (-scales[0].log2().round() as i32, -scales[scales.len() - 1].log2().round() as i32);
        let mapper =
            LevelMapper { k_min, k_max, canonical_scale: self.canonical_scale, canonical_level: self.canonical_level };
        let mut rows = Vec::new();
        let mut level = Vec::new();
        for (i, list) in boxes.iter().enumerate() {
            check_boxes(OP, list)?;
            for b in list {
                rows.push([i as f32, b[0], b[1], b[2], b[3]]);
                level.push(mapper.level(b));
            }
        }
        let options = RoiAlignOptions::new(self.output_size).sampling_ratio(self.sampling_ratio);
        options.check(OP)?;
        let plan = Plan::new(OP, n, &shapes, &scales, &rows, &level, options)?;
        Ok(apply(plan, &levels, c))
    }
}

/// torchvision's `_infer_scale`: `2^round(log₂(map side / image side))`, both axes alike.
fn infer_scale(op: &'static str, l: usize, map: [usize; 2], image: [usize; 2]) -> Result<f32> {
    let [sh, sw] = [0, 1].map(|a| 2f32.powf((map[a] as f32 / image[a] as f32).log2().round()));
    if sh == sw && sh.is_finite() && sh > 0.0 {
        Ok(sh)
    } else {
        let what = format!("feature map {l} is {map:?} for images up to {image:?}: no common power-of-two scale");
        Err(Error::Option { op, what })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roi_align::tests::{assert_close, features, reference};

    #[test]
    fn matches_torchvision_over_two_levels() {
        let p2 = features(&[1, 2, 16, 12]);
        let p3 = &features(&[1, 2, 8, 6]) * 0.5;
        let boxes =
            vec![vec![[4.0, 4.0, 12.0, 12.0], [0.0, 0.0, 44.0, 60.0], [10.0, 20.0, 30.0, 50.0], [1.0, 2.0, 3.0, 5.0]]];
        let pool = MultiScaleRoiAlign::new([2, 2], 2).canonical(32.0, 3);
        let mapper = LevelMapper { k_min: 2, k_max: 3, canonical_scale: 32.0, canonical_level: 3 };
        assert_eq!(boxes[0].iter().map(|b| mapper.level(b)).collect::<Vec<_>>(), vec![0, 1, 0, 0]);
        let out = pool.forward(&[p2, p3], &boxes, &[[64, 48]]).unwrap();
        assert_eq!(out.shape(), &[4, 2, 2, 2]);
        assert_close(&out.to_vec(), &reference("multiscale"), "multi-scale output");
    }

    #[test]
    fn gradients_reach_each_level_from_its_boxes() {
        let p2 = features(&[2, 1, 8, 8]).requires_grad();
        let p3 = features(&[2, 1, 4, 4]).requires_grad();
        let pool = MultiScaleRoiAlign::new([2, 2], 2).canonical(16.0, 3);
        // Image 0 has a small box (P2), image 1 a large one (P3).
        let boxes = vec![vec![[1.0, 1.0, 5.0, 6.0]], vec![[0.0, 0.0, 30.0, 28.0]]];
        let out = pool.forward(&[p2.clone(), p3.clone()], &boxes, &[[32, 32], [32, 32]]).unwrap();
        let grads = out.sum_all().backward();
        let (g2, g3) = (grads.get(&p2).unwrap().to_vec(), grads.get(&p3).unwrap().to_vec());
        // Each box's four bins average to one: its gradient sums to four, on its own image.
        assert!((g2[..64].iter().sum::<f32>() - 4.0).abs() < 1e-5 && g2[64..].iter().all(|&v| v == 0.0));
        assert!((g3[16..].iter().sum::<f32>() - 4.0).abs() < 1e-5 && g3[..16].iter().all(|&v| v == 0.0));
        let check = |xs: &[Tensor]| pool.forward(xs, &boxes, &[[32, 32], [32, 32]]).unwrap().square().sum_all();
        derin_tensor::check_gradients(check, &[features(&[2, 1, 8, 8]), features(&[2, 1, 4, 4])]).unwrap();
    }

    #[test]
    fn bad_input_is_an_error() {
        let pool = MultiScaleRoiAlign::new([2, 2], 2);
        let p = [features(&[1, 1, 8, 8])];
        let e = pool.forward(&p, &[vec![], vec![]], &[[32, 32]]).unwrap_err().to_string();
        assert_eq!(e, "MultiScaleRoiAlign: 1 images in the feature maps, 2 box lists and 1 image sizes");
        let e = pool.forward(&p, &[vec![[3.0, 0.0, 1.0, 1.0]]], &[[32, 32]]).unwrap_err().to_string();
        assert_eq!(e, "MultiScaleRoiAlign: box 0 [3.0, 0.0, 1.0, 1.0] has x2 < x1 or y2 < y1");
        let e = pool.forward(&p, &[vec![]], &[[32, 8]]).unwrap_err().to_string();
        assert_eq!(
            e,
            "MultiScaleRoiAlign: feature map 0 is [8, 8] for images up to [32, 8]: no common power-of-two scale"
        );
        let e = pool.forward(&[p[0].clone(), features(&[1, 2, 4, 4])], &[vec![]], &[[32, 32]]).unwrap_err().to_string();
        assert!(e.contains("batch and channels must agree"), "{e}");
    }
}
