//! Computer vision on Derin. So far: the box operations every detector is built from,
//! with torchvision's semantics and names (`box_iou`, `nms`, `batched_nms`,
//! `clip_boxes_to_image`, `remove_small_boxes`) the R-CNN box coder ([`BoxCoder`]) and anchors over
//! a feature pyramid ([`AnchorGenerator`]).
//!
//! Boxes are `[x1, y1, x2, y2]` in pixels, `x1 ≤ x2` and `y1 ≤ y2` (torchvision's
//! `xyxy`). Functions that read boxes check them and return [`Error`] naming the first
//! bad one instead of panicking.
//!
//! ```
//! use derin_vision::{box_iou, nms};
//! let boxes = [[0.0, 0.0, 10.0, 10.0], [1.0, 1.0, 11.0, 11.0], [50.0, 50.0, 60.0, 60.0]];
//! let keep = nms(&boxes, &[0.9, 0.8, 0.7], 0.5).unwrap();
//! assert_eq!(keep, vec![0, 2]); // box 1 overlaps box 0 with IoU 81/119 > 0.5
//! assert!((box_iou(&boxes[..1], &boxes[1..2]).unwrap()[[0, 0]] - 81.0 / 119.0).abs() < 1e-6);
//! ```

mod anchors;
mod annotations;
mod backbone;
mod boxes;
mod coder;
mod detection;
mod draw;
mod error;
mod eval;
mod explain;
mod fpn;
mod roi_align;
mod synthetic;

pub use anchors::AnchorGenerator;
pub use annotations::{Annotation, CocoDataset, parse_coco, parse_voc, read_coco, read_voc};
pub use backbone::{Backbone, ResNet, ResNetDepth, lenet5, vgg};
pub use boxes::{BoxXyxy, batched_nms, box_area, box_iou, clip_boxes_to_image, nms, remove_small_boxes};
pub use coder::BoxCoder;
pub use detection::{
    DetectionBatch, DetectionLosses, Detections, FasterRcnn, FasterRcnnConfig, ImageTransform, RegionProposalNetwork,
    RoiHeads, RoiHeadsConfig, RoiLosses, RpnConfig, RpnLosses, Target,
};
pub use draw::Picture;
pub use error::{Error, Result};
pub use eval::{DetectionMetrics, evaluate};
pub use explain::{Explainer, filter_grid, gradient_image, map_grid};
pub use fpn::FeaturePyramid;
pub use roi_align::{LevelMapper, MultiScaleRoiAlign, RoiAlignOptions, roi_align, rois_from_boxes};
pub use synthetic::{CollateDetections, DetectionSet, DigitCanvas};
