//! Anchor boxes over the feature maps of a detector, with torchvision's
//! `AnchorGenerator` semantics: per level, every aspect ratio × size centred on the
//! origin (rounded), shifted to every cell of the level's map.

use crate::{BoxXyxy, Error};

/// Anchors for a feature pyramid: `sizes[l]` (square-root areas, in pixels) and
/// `aspect_ratios[l]` (height / width) of level `l`.
///
/// Base anchors of a level, ratio-major (for each ratio, each size): with
/// `h_r = √ratio`, `w_r = 1/h_r`, the box `[−w_r·s, −h_r·s, w_r·s, h_r·s] / 2`, rounded
/// half to even (PyTorch's `round`). On an `H × W` image with an `h × w` map the
/// stride is `(H / h, W / w)` (integer division) and the anchors are the base anchors
/// shifted to `(x·stride_w, y·stride_h)` for every cell, cell-major (row by row), then
/// level after level.
///
/// ```
/// use derin_vision::AnchorGenerator;
/// let generator = AnchorGenerator::new(vec![vec![32.0]], vec![vec![1.0]]).unwrap();
/// assert_eq!(generator.base_anchors(0), vec![[-16.0, -16.0, 16.0, 16.0]]);
/// let anchors = generator.anchors([64, 64], &[[2, 2]]).unwrap();
/// assert_eq!(anchors[3], [16.0, 16.0, 48.0, 48.0]); // cell (1, 1), stride 32
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct AnchorGenerator {
    sizes: Vec<Vec<f32>>,
    aspect_ratios: Vec<Vec<f32>>,
}

impl AnchorGenerator {
    /// A generator with one list of sizes and one of aspect ratios per level.
    ///
    /// # Errors
    /// [`Error::Option`] when the two lists differ in length, a level has no size or no
    /// ratio, or a size or ratio is not positive and finite.
    pub fn new(sizes: Vec<Vec<f32>>, aspect_ratios: Vec<Vec<f32>>) -> Result<Self, Error> {
        let bad = |what: String| Err(Error::Option { op: "AnchorGenerator", what });
        if sizes.len() != aspect_ratios.len() || sizes.is_empty() {
            return bad(format!("{} levels of sizes and {} of aspect ratios", sizes.len(), aspect_ratios.len()));
        }
        for (l, (s, r)) in sizes.iter().zip(&aspect_ratios).enumerate() {
            if s.is_empty() || r.is_empty() {
                return bad(format!("level {l} needs at least one size and one aspect ratio"));
            }
            if let Some(v) = s.iter().chain(r).find(|v| !(v.is_finite() && **v > 0.0)) {
                return bad(format!("level {l}: sizes and aspect ratios must be positive, got {v}"));
            }
        }
        Ok(AnchorGenerator { sizes, aspect_ratios })
    }

    /// Anchors per feature-map cell of each level (sizes × ratios).
    pub fn num_anchors_per_location(&self) -> Vec<usize> {
        self.sizes.iter().zip(&self.aspect_ratios).map(|(s, r)| s.len() * r.len()).collect()
    }

    /// The anchors of level `level` centred on the origin (torchvision's
    /// `cell_anchors`).
    ///
    /// # Panics
    /// If `level` is not a level of the generator.
    pub fn base_anchors(&self, level: usize) -> Vec<BoxXyxy> {
        let mut out = Vec::new();
        for &ratio in &self.aspect_ratios[level] {
            let h_ratio = ratio.sqrt();
            let w_ratio = 1.0 / h_ratio;
            for &size in &self.sizes[level] {
                let (w, h) = (w_ratio * size, h_ratio * size);
                out.push([-w / 2.0, -h / 2.0, w / 2.0, h / 2.0].map(f32::round_ties_even));
            }
        }
        out
    }

    /// Every anchor of an image of `image_size = [H, W]` whose levels' feature maps have
    /// `feature_sizes` (`[h, w]` each, one per level).
    ///
    /// # Errors
    /// [`Error::Mismatch`] when the number of feature maps is not the number of levels;
    /// [`Error::Option`] for an empty feature map or one larger than the image (a stride
    /// of 0).
    pub fn anchors(&self, image_size: [usize; 2], feature_sizes: &[[usize; 2]]) -> Result<Vec<BoxXyxy>, Error> {
        if feature_sizes.len() != self.sizes.len() {
            let what = format!("{} feature maps for {} levels", feature_sizes.len(), self.sizes.len());
            return Err(Error::Mismatch { op: "anchors", what });
        }
        let mut out = Vec::new();
        for (level, &[h, w]) in feature_sizes.iter().enumerate() {
            if h == 0 || w == 0 || h > image_size[0] || w > image_size[1] {
                let what = format!("feature map {level} of size [{h}, {w}] does not fit the image {image_size:?}");
                return Err(Error::Option { op: "anchors", what });
            }
            let (sy, sx) = ((image_size[0] / h) as f32, (image_size[1] / w) as f32);
            let base = self.base_anchors(level);
            for y in 0..h {
                for x in 0..w {
                    let (dx, dy) = (x as f32 * sx, y as f32 * sy);
                    out.extend(base.iter().map(|b| [b[0] + dx, b[1] + dy, b[2] + dx, b[3] + dy]));
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(boxes: &[BoxXyxy]) -> Vec<f32> {
        boxes.iter().flatten().copied().collect()
    }

    #[test]
    fn anchors_match_torchvision() {
        // torchvision 0.29.2 AnchorGenerator, reference/vision_boxes.py.
        let generator =
            AnchorGenerator::new(vec![vec![16.0, 24.0], vec![48.0]], vec![vec![0.5, 1.0, 2.0], vec![1.0]]).unwrap();
        assert_eq!(generator.num_anchors_per_location(), vec![6, 1]);
        #[rustfmt::skip]
        assert_eq!(flat(&generator.base_anchors(0)), vec![
            -11.0, -6.0, 11.0, 6.0, -17.0, -8.0, 17.0, 8.0, -8.0, -8.0, 8.0, 8.0,
            -12.0, -12.0, 12.0, 12.0, -6.0, -11.0, 6.0, 11.0, -8.0, -17.0, 8.0, 17.0,
        ]);
        assert_eq!(generator.base_anchors(1), vec![[-24.0, -24.0, 24.0, 24.0]]);
        let anchors = generator.anchors([32, 40], &[[4, 5], [2, 3]]).unwrap();
        assert_eq!(anchors.len(), 126);
        #[rustfmt::skip]
        assert_eq!(flat(&anchors[42..48]), vec![
            5.0, 2.0, 27.0, 14.0, -1.0, 0.0, 33.0, 16.0, 8.0, 0.0, 24.0, 16.0,
            4.0, -4.0, 28.0, 20.0, 10.0, -3.0, 22.0, 19.0, 8.0, -9.0, 24.0, 25.0,
        ]);
        // Level 1: strides 32 / 2 = 16 and 40 / 3 = 13.
        #[rustfmt::skip]
        assert_eq!(flat(&anchors[120..]), vec![
            -24.0, -24.0, 24.0, 24.0, -11.0, -24.0, 37.0, 24.0, 2.0, -24.0, 50.0, 24.0,
            -24.0, -8.0, 24.0, 40.0, -11.0, -8.0, 37.0, 40.0, 2.0, -8.0, 50.0, 40.0,
        ]);
    }

    #[test]
    fn bad_settings_are_errors() {
        let err = |r: Result<AnchorGenerator, Error>| r.unwrap_err().to_string();
        assert!(err(AnchorGenerator::new(vec![vec![32.0]], vec![])).contains("1 levels of sizes and 0"));
        assert!(err(AnchorGenerator::new(vec![vec![]], vec![vec![1.0]])).contains("at least one size"));
        assert!(err(AnchorGenerator::new(vec![vec![32.0]], vec![vec![-1.0]])).contains("must be positive"));
        let generator = AnchorGenerator::new(vec![vec![32.0]], vec![vec![1.0]]).unwrap();
        assert!(
            generator
                .anchors([8, 8], &[[4, 4], [2, 2]])
                .unwrap_err()
                .to_string()
                .contains("2 feature maps for 1 levels")
        );
        assert!(generator.anchors([8, 8], &[[16, 4]]).unwrap_err().to_string().contains("does not fit the image"));
    }
}
