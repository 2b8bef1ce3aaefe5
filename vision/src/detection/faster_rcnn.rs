//! `FasterRcnn`: a backbone, a feature pyramid, the region proposal network and the RoI
//! heads, trained through `fit` as a [`TrainStep`] and run by [`FasterRcnn::detect`].

use derin_nn::{Ctx, StepLogs, TrainStep, TrainableModel, prefixed};
use derin_optim::Optimizer;
use derin_tensor::{Param, Rng, Tensor, no_grad};

use super::transform::ImageTransform;
use super::{DetectionBatch, Detections, RegionProposalNetwork, RoiHeads, RoiHeadsConfig, RpnConfig, Target};
use crate::{Backbone, BoxXyxy, Error, FeaturePyramid, Result};

/// How a Faster R-CNN is built; torchvision's `fasterrcnn_resnet50_fpn` defaults except
/// the canvas (a fixed `image_size` here).
#[derive(Clone, Debug, PartialEq)]
pub struct FasterRcnnConfig {
    /// Images are resized to fit this `[height, width]` (aspect kept) and padded to it.
    pub image_size: [usize; 2],
    /// Per-channel mean of the normalization (ImageNet's for three channels).
    pub image_mean: Vec<f32>,
    /// Per-channel standard deviation.
    pub image_std: Vec<f32>,
    /// Channels of every pyramid level (256).
    pub fpn_channels: usize,
    /// The region proposal network.
    pub rpn: RpnConfig,
    /// The RoI heads.
    pub roi_heads: RoiHeadsConfig,
    /// Seed of the new layers' weights and of the samplers.
    pub seed: u64,
}

impl Default for FasterRcnnConfig {
    fn default() -> Self {
        FasterRcnnConfig {
            image_size: [800, 800],
            image_mean: vec![0.485, 0.456, 0.406],
            image_std: vec![0.229, 0.224, 0.225],
            fpn_channels: 256,
            rpn: RpnConfig::default(),
            roi_heads: RoiHeadsConfig::default(),
            seed: 0,
        }
    }
}

/// The four losses of a batch, as torchvision names them.
pub struct DetectionLosses {
    /// RoI heads' classification.
    pub loss_classifier: Tensor,
    /// RoI heads' box regression.
    pub loss_box_reg: Tensor,
    /// RPN's objectness.
    pub loss_objectness: Tensor,
    /// RPN's box regression.
    pub loss_rpn_box_reg: Tensor,
}

impl DetectionLosses {
    /// Their sum, what training minimizes.
    pub fn total(&self) -> Tensor {
        &(&self.loss_classifier + &self.loss_box_reg) + &(&self.loss_objectness + &self.loss_rpn_box_reg)
    }
}

/// Faster R-CNN with a feature pyramid (Ren et al. 2015; Lin et al. 2017).
///
/// The backbone's maps feed a [`FeaturePyramid`] with an extra pooled level; the RPN
/// proposes boxes on every level, the RoI heads classify the proposals pooled from the
/// levels but the pooled one. Classes count the background: `classes = 11` for ten digits.
pub struct FasterRcnn {
    backbone: Backbone,
    fpn: FeaturePyramid,
    rpn: RegionProposalNetwork,
    roi_heads: RoiHeads,
    transform: ImageTransform,
    classes: usize,
    optimizer: Option<Box<dyn Optimizer>>,
    rng: Rng,
}

impl FasterRcnn {
    /// A detector of `classes` classes (background included) on `backbone`.
    ///
    /// # Errors
    /// [`Error::Option`] for fewer than two classes, normalization statistics not one per
    /// input channel, anchor levels other than the pyramid's (the backbone's maps plus the
    /// pooled level), or a canvas smaller than the smallest anchor; errors building the
    /// layers.
    pub fn new(backbone: Backbone, classes: usize, config: FasterRcnnConfig) -> Result<Self> {
        let bad = |what: String| Err(Error::Option { op: "FasterRcnn", what });
        let levels = backbone.channels().len() + 1;
        let channels = backbone.input_shape()[0];
        let smallest = config.rpn.anchor_sizes.iter().flatten().fold(f32::INFINITY, |m, &s| m.min(s));
        if classes < 2 {
            return bad(format!("needs the background and at least one class, got {classes} classes"));
        } else if config.image_mean.len() != channels || config.image_std.len() != channels {
            return bad(format!("image_mean and image_std need {channels} values, one per input channel"));
        } else if config.rpn.anchor_sizes.len() != levels {
            let what = format!(
                "{} anchor levels for a pyramid of {levels} (the backbone's {} maps and a pooled one)",
                config.rpn.anchor_sizes.len(),
                levels - 1
            );
            return bad(what);
        } else if (config.image_size[0].min(config.image_size[1]) as f32) < smallest {
            return bad(format!(
                "image_size {:?} is smaller than the smallest anchor ({smallest} px)",
                config.image_size
            ));
        } else if backbone.input_shape()[1..] != config.image_size {
            let what = format!(
                "image_size {:?} is not the backbone's input {:?}",
                config.image_size,
                &backbone.input_shape()[1..]
            );
            return bad(what);
        }
        let mut rng = Rng::seed(config.seed);
        let fpn = FeaturePyramid::new(&backbone.channels(), config.fpn_channels, true, rng.next_seed())?;
        let rpn = RegionProposalNetwork::new(config.fpn_channels, config.rpn, &mut rng)?;
        let roi_heads = RoiHeads::new(config.fpn_channels, classes, config.roi_heads, &mut rng)?;
        let transform = ImageTransform::new(config.image_size, config.image_mean, config.image_std);
        Ok(FasterRcnn { backbone, fpn, rpn, roi_heads, transform, classes, optimizer: None, rng })
    }

    /// Sets the optimizer `fit` trains with (SGD with momentum, as torchvision's
    /// reference scripts, or Adam).
    pub fn compile(&mut self, optimizer: Box<dyn Optimizer>) {
        self.optimizer = Some(optimizer);
    }

    /// Classes, background included.
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// The backbone.
    pub fn backbone(&self) -> &Backbone {
        &self.backbone
    }

    /// The backbone, to freeze its early layers.
    pub fn backbone_mut(&mut self) -> &mut Backbone {
        &mut self.backbone
    }

    /// The image preparation.
    pub fn transform(&self) -> &ImageTransform {
        &self.transform
    }

    /// Every trainable parameter.
    pub fn params(&self) -> Vec<Param> {
        let mut p = self.backbone.params();
        p.extend(self.heads());
        p
    }

    fn heads(&self) -> Vec<Param> {
        let mut p = self.fpn.weights();
        p.extend(self.rpn.weights());
        p.extend(self.roi_heads.weights());
        p
    }

    /// The pyramid's levels for a prepared batch.
    fn levels(&self, batch: &Tensor, ctx: &mut Ctx) -> Result<Vec<Tensor>> {
        self.fpn.forward(&self.backbone.forward(batch, ctx)?, ctx)
    }

    /// The four losses of `images` with their `targets` (boxes in each image's pixels).
    ///
    /// # Errors
    /// [`Error::Target`] naming the image and the box or label that is wrong (see
    /// [`check_targets`](Self::check_targets)); errors of the layers.
    pub fn losses(&mut self, images: &[Tensor], targets: &[Target], ctx: &mut Ctx) -> Result<DetectionLosses> {
        self.check_targets(images, targets)?;
        let (batch, scales) = self.transform.batch(images)?;
        let targets: Vec<Target> = targets.iter().zip(&scales).map(|(t, &s)| ImageTransform::to_canvas(t, s)).collect();
        let levels = self.levels(&batch, ctx)?;
        let size = self.transform.size;
        let (proposals, rpn) = self.rpn.forward(&levels, size, Some(&targets), ctx, &mut self.rng)?;
        let rpn = rpn.expect("targets were given");
        let roi = self.roi_heads.losses(&levels[..levels.len() - 1], &proposals, &targets, size, ctx, &mut self.rng)?;
        Ok(DetectionLosses {
            loss_classifier: roi.classifier,
            loss_box_reg: roi.box_reg,
            loss_objectness: rpn.objectness,
            loss_rpn_box_reg: rpn.box_reg,
        })
    }

    /// What the detector finds in each image (boxes in the image's pixels), in inference
    /// mode and without a graph.
    ///
    /// # Errors
    /// [`Error::Shape`] for an image of the wrong channels or an empty one; errors of the
    /// layers.
    pub fn detect(&self, images: &[Tensor]) -> Result<Vec<Detections>> {
        no_grad(|| {
            let (batch, scales) = self.transform.batch(images)?;
            let mut ctx = Ctx::eval();
            let levels = self.levels(&batch, &mut ctx)?;
            let size = self.transform.size;
            let (proposals, _) = self.rpn.forward(&levels, size, None, &mut ctx, &mut Rng::seed(0))?;
            let found = self.roi_heads.detect(&levels[..levels.len() - 1], &proposals, size, &mut ctx)?;
            Ok(found
                .into_iter()
                .zip(&scales)
                .map(|(d, &s)| Detections { boxes: ImageTransform::from_canvas(&d.boxes, s), ..d })
                .collect())
        })
    }

    /// Grad-CAM of one detection: the score of class `label` that the RoI heads give the
    /// box `b` (in `image`'s pixels), differentiated against pyramid level `level` (0 is
    /// the finest, P2 on a ResNet), as a heat map `[H, W]` of the image in [0, 1] (the
    /// canvas' heat map cut to the image and resized to it, scaled again).
    ///
    /// # Errors
    /// [`Error::Option`] for a label that is not a class 1.. or a level the RoI heads do
    /// not pool from; [`Error::Target`] for a bad box; errors of the layers.
    pub fn grad_cam(&self, image: &Tensor, b: &BoxXyxy, label: usize, level: usize) -> Result<Tensor> {
        let pooled = self.fpn.levels() - 1;
        if label == 0 || label >= self.classes || level >= pooled {
            let what = format!(
                "label {label} and level {level}: the classes are 1..{}, the levels 0..{pooled}",
                self.classes - 1
            );
            return Err(Error::Option { op: "FasterRcnn::grad_cam", what });
        }
        self.check_targets(std::slice::from_ref(image), &[Target { boxes: vec![*b], labels: vec![label] }])?;
        let (batch, scales) = self.transform.batch(std::slice::from_ref(image))?;
        let [sy, sx] = scales[0];
        let mut ctx = Ctx::eval();
        let levels = self.levels(&batch, &mut ctx)?;
        let size = self.transform.size;
        let on_canvas = vec![[b[0] * sx, b[1] * sy, b[2] * sx, b[3] * sy]];
        let (logits, _) = self.roi_heads.run(&levels[..pooled], &[on_canvas], size, &mut ctx)?;
        let score = logits.narrow(1, label, 1).sum_all();
        let grads = score.backward_keeping(&[&levels[level]]);
        let g = grads.get(&levels[level]).unwrap_or_else(|| levels[level].zeros_like());
        let heat = crate::explain::cam(&levels[level].detach(), &g, size);
        let (h, w) = (image.shape()[1], image.shape()[2]);
        let (ch, cw) = (
            ((h as f32 * sy).round() as usize).clamp(1, size[0]),
            ((w as f32 * sx).round() as usize).clamp(1, size[1]),
        );
        let cut = heat.narrow(0, 0, ch).narrow(1, 0, cw).reshape(&[1, 1, ch, cw]);
        let resized = if [ch, cw] == [h, w] { cut } else { cut.upsample_bilinear2d([h, w], false) };
        Ok(Tensor::from_vec(crate::explain::scaled(&resized.to_vec()), &[h, w]))
    }

    /// `Err` naming the first target that does not fit its image.
    ///
    /// # Errors
    /// [`Error::Mismatch`] for targets not one per image or boxes and labels of different
    /// counts; [`Error::Shape`] for an image that is not `[C, H, W]`; [`Error::Target`] for
    /// a box with a NaN or infinite coordinate, `x2 ≤ x1` or `y2 ≤ y1`, or outside the
    /// image, or a label of 0 (the background) or ≥ the classes.
    pub fn check_targets(&self, images: &[Tensor], targets: &[Target]) -> Result<()> {
        const OP: &str = "FasterRcnn";
        if images.len() != targets.len() {
            return Err(Error::Mismatch {
                op: OP,
                what: format!("{} images but {} targets", images.len(), targets.len()),
            });
        }
        for (i, (image, t)) in images.iter().zip(targets).enumerate() {
            if t.boxes.len() != t.labels.len() {
                let what = format!("image {i} has {} boxes but {} labels", t.boxes.len(), t.labels.len());
                return Err(Error::Mismatch { op: OP, what });
            }
            let (h, w) = match image.shape() {
                [_, h, w] => (*h as f32, *w as f32),
                s => {
                    return Err(Error::Shape {
                        op: OP,
                        what: format!("image {i} has shape {s:?}, expected [C, H, W]"),
                    });
                }
            };
            for (j, (b, &label)) in t.boxes.iter().zip(&t.labels).enumerate() {
                let what = if b.iter().any(|v| !v.is_finite()) {
                    format!("box {j} {b:?} has a NaN or infinite coordinate")
                } else if b[2] <= b[0] || b[3] <= b[1] {
                    format!("box {j} {b:?} has x2 ≤ x1 or y2 ≤ y1")
                } else if b[0] < 0.0 || b[1] < 0.0 || b[2] > w || b[3] > h {
                    format!("box {j} {b:?} lies outside the image of {h}×{w} pixels")
                } else if label == 0 || label >= self.classes {
                    format!("box {j} has label {label}, not a class 1..{}", self.classes - 1)
                } else {
                    continue;
                };
                return Err(Error::Target { op: OP, image: i, what });
            }
        }
        Ok(())
    }
}

fn to_nn(e: Error) -> derin_nn::Error {
    match e {
        Error::Nn(e) => e,
        other => derin_nn::Error::Data { operation: "FasterRcnn", reason: other.to_string() },
    }
}

impl TrainableModel for FasterRcnn {
    fn model_weights(&self) -> Vec<Param> {
        let mut w = prefixed("backbone", self.backbone.weights());
        w.extend(self.heads());
        w
    }
}

impl TrainStep for FasterRcnn {
    type Batch = DetectionBatch;

    /// The four losses, their sum's gradient, one optimizer step; logs `loss` and each
    /// loss by torchvision's name.
    fn train_step(&mut self, batch: &DetectionBatch, ctx: &mut Ctx) -> derin_nn::Result<StepLogs> {
        let losses = self.losses(&batch.images, &batch.targets, ctx).map_err(to_nn)?;
        let total = losses.total();
        let logs = logs(batch.images.len(), &losses, &total);
        let grads = total.backward();
        ctx.apply_updates();
        let params = self.params();
        let Some(optimizer) = self.optimizer.as_mut() else {
            let reason = "no optimizer: call compile first".to_string();
            return Err(derin_nn::Error::Data { operation: "FasterRcnn::train_step", reason });
        };
        optimizer.step(&params, &grads);
        Ok(logs)
    }

    /// The four losses without a graph, batch normalization in inference mode.
    fn test_step(&mut self, batch: &DetectionBatch) -> derin_nn::Result<StepLogs> {
        let mut ctx = Ctx::eval();
        let losses = no_grad(|| self.losses(&batch.images, &batch.targets, &mut ctx)).map_err(to_nn)?;
        Ok(logs(batch.images.len(), &losses, &losses.total()))
    }
}

fn logs(n: usize, l: &DetectionLosses, total: &Tensor) -> StepLogs {
    StepLogs::new(n)
        .with("loss", total.item())
        .with("loss_classifier", l.loss_classifier.item())
        .with("loss_box_reg", l.loss_box_reg.item())
        .with("loss_objectness", l.loss_objectness.item())
        .with("loss_rpn_box_reg", l.loss_rpn_box_reg.item())
}
