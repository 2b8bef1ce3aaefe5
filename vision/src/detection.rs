//! Object detection: Faster R-CNN with a feature pyramid (region proposals, RoI heads,
//! image preparation), its training batches and its results.

mod faster_rcnn;
mod matcher;
mod roi_heads;
mod rpn;
#[cfg(test)]
mod tests;
mod transform;

use derin_tensor::Tensor;

use crate::BoxXyxy;
pub use faster_rcnn::{DetectionLosses, FasterRcnn, FasterRcnnConfig};
pub use roi_heads::{RoiHeads, RoiHeadsConfig, RoiLosses};
pub use rpn::{RegionProposalNetwork, RpnConfig, RpnLosses};
pub use transform::ImageTransform;

/// The objects of one image: boxes in its pixels and their classes, `1..classes`
/// (class 0 is the background, as in torchvision).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Target {
    /// `[x1, y1, x2, y2]` of each object.
    pub boxes: Vec<BoxXyxy>,
    /// Each object's class.
    pub labels: Vec<usize>,
}

/// What a detector found in one image, best first, in the image's pixels.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Detections {
    /// `[x1, y1, x2, y2]` of each detection.
    pub boxes: Vec<BoxXyxy>,
    /// Its class probability.
    pub scores: Vec<f32>,
    /// Its class (`1..classes`).
    pub labels: Vec<usize>,
}

/// A training batch of a detector: images `[C, H, W]` (any sizes) and their objects.
#[derive(Clone, Debug, Default)]
pub struct DetectionBatch {
    /// The images.
    pub images: Vec<Tensor>,
    /// Each image's objects.
    pub targets: Vec<Target>,
}

/// Rows of four from a flat slice.
pub(crate) fn flat_rows(v: &[f32]) -> Vec<[f32; 4]> {
    v.chunks_exact(4).map(|c| [c[0], c[1], c[2], c[3]]).collect()
}
