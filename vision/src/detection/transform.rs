//! Preparing images for a detector (torchvision's `GeneralizedRCNNTransform` with a fixed
//! canvas): resize keeping the aspect ratio to fit, normalize per channel, pad to the
//! canvas; and mapping boxes between an image and the canvas.

use derin_tensor::{PadMode, Tensor};

use super::Target;
use crate::{BoxXyxy, Error, Result};

/// Resizes each image (bilinear) by the largest factor that fits it in `size`, normalizes
/// `(x − mean) / std` per channel and pads bottom and right with zeros.
///
/// ```
/// use derin_tensor::Tensor;
/// use derin_vision::ImageTransform;
/// let t = ImageTransform::new([64, 64], vec![0.5], vec![0.25]);
/// let (batch, scales) = t.batch(&[Tensor::ones(&[1, 16, 32])]).unwrap();
/// assert_eq!(batch.shape(), &[1, 1, 64, 64]);
/// assert_eq!(scales, vec![[2.0, 2.0]]); // 16×32 → 32×64, then padded to 64×64
/// let v = batch.to_vec();
/// assert_eq!((v[0], v[40 * 64]), (2.0, 0.0)); // (1 − 0.5) / 0.25 inside, 0 in the padding
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ImageTransform {
    /// The canvas `[height, width]`.
    pub size: [usize; 2],
    /// Per-channel mean subtracted.
    pub mean: Vec<f32>,
    /// Per-channel standard deviation divided by.
    pub std: Vec<f32>,
}

impl ImageTransform {
    /// A canvas of `size` with the given per-channel statistics.
    pub fn new(size: [usize; 2], mean: Vec<f32>, std: Vec<f32>) -> Self {
        ImageTransform { size, mean, std }
    }

    /// The batch `[N, C, H, W]` of the canvas and each image's `[y, x]` scale factors
    /// (canvas pixels per image pixel).
    ///
    /// # Errors
    /// [`Error::Shape`] for an image that is not `[C, H, W]` with `C` the statistics'
    /// channels, or an empty one.
    pub fn batch(&self, images: &[Tensor]) -> Result<(Tensor, Vec<[f32; 2]>)> {
        let [ch, cw] = self.size;
        let mut planes = Vec::with_capacity(images.len());
        let mut scales = Vec::with_capacity(images.len());
        for (i, image) in images.iter().enumerate() {
            let s = image.shape();
            if s.len() != 3 || s[0] != self.mean.len() || s[1] == 0 || s[2] == 0 {
                let what = format!("image {i} has shape {s:?}, expected [{}, H, W] with H, W > 0", self.mean.len());
                return Err(Error::Shape { op: "ImageTransform", what });
            }
            let f = (ch as f32 / s[1] as f32).min(cw as f32 / s[2] as f32);
            let (h, w) =
                (((s[1] as f32 * f).round() as usize).clamp(1, ch), ((s[2] as f32 * f).round() as usize).clamp(1, cw));
            let x = image.reshape(&[1, s[0], s[1], s[2]]);
            let x = if [h, w] == [s[1], s[2]] { x } else { x.upsample_bilinear2d([h, w], false) };
            let mean = Tensor::from_vec(self.mean.clone(), &[1, s[0], 1, 1]);
            let std = Tensor::from_vec(self.std.clone(), &[1, s[0], 1, 1]);
            let x = (x - mean) / std;
            planes.push(x.pad(&[(0, 0), (0, 0), (0, ch - h), (0, cw - w)], PadMode::Constant(0.0)));
            scales.push([h as f32 / s[1] as f32, w as f32 / s[2] as f32]);
        }
        let refs: Vec<&Tensor> = planes.iter().collect();
        let batch =
            if refs.is_empty() { Tensor::zeros(&[0, self.mean.len(), ch, cw]) } else { Tensor::concat(&refs, 0) };
        Ok((batch, scales))
    }

    /// `target`'s boxes on the canvas.
    pub(crate) fn to_canvas(target: &Target, [sy, sx]: [f32; 2]) -> Target {
        Target {
            boxes: target.boxes.iter().map(|b| [b[0] * sx, b[1] * sy, b[2] * sx, b[3] * sy]).collect(),
            labels: target.labels.clone(),
        }
    }

    /// Canvas boxes back in the image's pixels.
    pub(crate) fn from_canvas(boxes: &[BoxXyxy], [sy, sx]: [f32; 2]) -> Vec<BoxXyxy> {
        boxes.iter().map(|b| [b[0] / sx, b[1] / sy, b[2] / sx, b[3] / sy]).collect()
    }
}
