//! Computer vision on Derin: CNN backbones (ours and any Keras model's), a feature
//! pyramid, RoI Align, Faster R-CNN trained through `fit`, detection data and metrics,
//! and pictures of what a network sees.
//!
//! - **Boxes** with torchvision's semantics and names: [`box_iou`], [`nms`],
//!   [`batched_nms`], [`clip_boxes_to_image`], [`remove_small_boxes`], the R-CNN
//!   [`BoxCoder`], anchors over a pyramid ([`AnchorGenerator`]). Boxes are
//!   `[x1, y1, x2, y2]` in pixels; bad ones (NaN, infinite, inverted) are errors naming them.
//! - **Backbones**: [`ResNet`] 18/34/50 with torchvision's topology and a width multiplier,
//!   [`vgg`], [`lenet5`], or any `nn` model tapped at named layers ([`Backbone::new`]);
//!   [`FeaturePyramid`]; [`roi_align`] (a differentiable op) and [`MultiScaleRoiAlign`]
//!   with the FPN [`LevelMapper`].
//! - **Detection**: [`FasterRcnn`] (RPN, RoI heads, image resize and normalization) as a
//!   `TrainStep`, so `derin_nn::fit` trains it; [`DigitCanvas`] makes a synthetic set of
//!   MNIST digits on canvases; [`read_voc`] and [`read_coco`] read your own annotations;
//!   [`evaluate`] gives VOC mAP@0.5 and COCO mAP@[.5:.95] (pycocotools' numbers);
//!   [`draw_detections`] draws boxes and labels on a [`Picture`] (PNG).
//! - **Seeing inside**: [`Explainer`] (feature maps, deconvnet, guided backpropagation,
//!   Grad-CAM), [`filter_grid`], [`map_grid`], [`FasterRcnn::grad_cam`] for one detection.
//!
//! Grad-CAM on a CNN saved by Keras:
//!
//! ```
//! use derin_nn::load_model;
//! use derin_tensor::Tensor;
//! use derin_vision::{Explainer, Picture};
//!
//! let cnn = load_model(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data/keras_mnist_cnn.h5"))?;
//! let digit = Tensor::zeros(&[1, 28, 28]); // or derin_data::read_image(path, ColorMode::Gray)?
//! let heat = Explainer::keras(&cnn).grad_cam(&digit, "conv2", 7)?; // class 7, layer conv2
//! Picture::from_tensor(&digit)?.overlay(&heat, 0.5)?.save_png(std::env::temp_dir().join("grad_cam.png"))?;
//! assert_eq!(heat.shape(), &[28, 28]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
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
pub use derin_data::Picture;
pub use detection::{
    DetectionBatch, DetectionLosses, Detections, FasterRcnn, FasterRcnnConfig, ImageTransform, RegionProposalNetwork,
    RoiHeads, RoiHeadsConfig, RoiLosses, RpnConfig, RpnLosses, Target,
};
pub use draw::draw_detections;
pub use error::{Error, Result};
pub use eval::{DetectionMetrics, evaluate};
pub use explain::{Explainer, filter_grid, gradient_image, map_grid};
pub use fpn::FeaturePyramid;
pub use roi_align::{LevelMapper, MultiScaleRoiAlign, RoiAlignOptions, roi_align, rois_from_boxes};
pub use synthetic::{CollateDetections, DetectionSet, DigitCanvas};
