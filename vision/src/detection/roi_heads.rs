//! The second stage of Faster R-CNN as torchvision's `RoIHeads`: proposals pooled by
//! multi-scale RoI Align, a two-layer MLP, class scores and class-specific boxes; sampled
//! proposals train it, and inference keeps confident boxes after per-class NMS.

use derin_nn::{Activation, Ctx, Dense, Module};
use derin_tensor::ndarray::Array2;
use derin_tensor::{Param, Rng, Tensor};

use super::matcher::{Match, Matcher, sample};
use super::{Detections, Target, flat_rows};
use crate::{
    BoxCoder, BoxXyxy, MultiScaleRoiAlign, Result, batched_nms, box_iou, clip_boxes_to_image, remove_small_boxes,
};

/// The RoI heads' settings, torchvision's defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct RoiHeadsConfig {
    /// RoI Align output side (7) …
    pub pool_size: usize,
    /// … and samples per bin and axis (2).
    pub sampling_ratio: i32,
    /// Units of the two hidden layers (1024).
    pub representation_size: usize,
    /// Proposals with IoU ≥ this are objects (0.5) …
    pub fg_iou_thresh: f32,
    /// … below this background (0.5).
    pub bg_iou_thresh: f32,
    /// Proposals in the loss per image (512) …
    pub batch_size_per_image: usize,
    /// … at most this fraction of them objects (0.25).
    pub positive_fraction: f32,
    /// Detections scoring at or below this are dropped (0.05).
    pub score_thresh: f32,
    /// Per-class NMS threshold (0.5).
    pub nms_thresh: f32,
    /// Detections kept per image (100).
    pub detections_per_img: usize,
}

impl Default for RoiHeadsConfig {
    fn default() -> Self {
        RoiHeadsConfig {
            pool_size: 7,
            sampling_ratio: 2,
            representation_size: 1024,
            fg_iou_thresh: 0.5,
            bg_iou_thresh: 0.5,
            batch_size_per_image: 512,
            positive_fraction: 0.25,
            score_thresh: 0.05,
            nms_thresh: 0.5,
            detections_per_img: 100,
        }
    }
}

/// The RoI heads' two losses: classification (cross-entropy over the sampled proposals)
/// and box regression (smooth L1, β = 1/9, of the true class's box, summed over objects
/// and divided by the number of sampled proposals).
pub struct RoiLosses {
    /// `loss_classifier`.
    pub classifier: Tensor,
    /// `loss_box_reg`.
    pub box_reg: Tensor,
}

/// Pooling, the MLP (`fc6`, `fc7`) and the predictor (`cls_score`, `bbox_pred`).
pub struct RoiHeads {
    pool: MultiScaleRoiAlign,
    fc6: Dense,
    fc7: Dense,
    cls_score: Dense,
    bbox_pred: Dense,
    classes: usize,
    coder: BoxCoder,
    config: RoiHeadsConfig,
}

impl RoiHeads {
    /// Heads for pyramid levels of `channels` channels and `classes` classes, background
    /// (class 0) included.
    ///
    /// # Errors
    /// `nn` errors building the layers.
    pub fn new(channels: usize, classes: usize, config: RoiHeadsConfig, rng: &mut Rng) -> Result<Self> {
        let p = config.pool_size;
        let r = config.representation_size;
        let mut fc6 = Dense::new(r, Activation::Relu).named("fc6");
        let mut fc7 = Dense::new(r, Activation::Relu).named("fc7");
        let mut cls_score = Dense::new(classes, Activation::Linear).named("cls_score");
        let mut bbox_pred = Dense::new(4 * classes, Activation::Linear).named("bbox_pred");
        fc6.build(&[channels * p * p], rng)?;
        fc7.build(&[r], rng)?;
        cls_score.build(&[r], rng)?;
        bbox_pred.build(&[r], rng)?;
        let pool = MultiScaleRoiAlign::new([p, p], config.sampling_ratio);
        Ok(RoiHeads {
            pool,
            fc6,
            fc7,
            cls_score,
            bbox_pred,
            classes,
            coder: BoxCoder::new([10.0, 10.0, 5.0, 5.0]),
            config,
        })
    }

    /// The layers' weights.
    pub fn weights(&self) -> Vec<Param> {
        [&self.fc6, &self.fc7, &self.cls_score, &self.bbox_pred].iter().flat_map(|d| d.weights()).collect()
    }

    /// The settings.
    pub fn config(&self) -> &RoiHeadsConfig {
        &self.config
    }

    /// Class logits `[R, classes]` and box deltas `[R, 4·classes]` of the boxes `rois`
    /// (per image) pooled from `levels`.
    pub(super) fn run(
        &self,
        levels: &[Tensor],
        rois: &[Vec<BoxXyxy>],
        image_size: [usize; 2],
        ctx: &mut Ctx,
    ) -> Result<(Tensor, Tensor)> {
        let pooled = self.pool.forward(levels, rois, &vec![image_size; rois.len()])?;
        let features: usize = pooled.shape()[1..].iter().product();
        let x = pooled.reshape(&[pooled.shape()[0], features]);
        let x = self.fc7.forward(&self.fc6.forward(&x, ctx), ctx);
        Ok((self.cls_score.forward(&x, ctx), self.bbox_pred.forward(&x, ctx)))
    }

    /// Training: proposals and ground-truth boxes matched, sampled, pooled, scored.
    pub(crate) fn losses(
        &self,
        levels: &[Tensor],
        proposals: &[Vec<BoxXyxy>],
        targets: &[Target],
        image_size: [usize; 2],
        ctx: &mut Ctx,
        rng: &mut Rng,
    ) -> Result<RoiLosses> {
        let matcher =
            Matcher { high: self.config.fg_iou_thresh, low: self.config.bg_iou_thresh, allow_low_quality: false };
        let (mut rois, mut labels, mut goals) = (Vec::new(), Vec::new(), Vec::new());
        for (props, target) in proposals.iter().zip(targets) {
            let candidates: Vec<BoxXyxy> = props.iter().chain(&target.boxes).copied().collect();
            let iou = if target.boxes.is_empty() {
                Array2::zeros((0, candidates.len()))
            } else {
                box_iou(&target.boxes, &candidates)?
            };
            let matches = matcher.assign(&iou);
            let (pos, neg) = sample(&matches, self.config.batch_size_per_image, self.config.positive_fraction, rng);
            let object = |j: usize| match matches[j] {
                Match::Object(g) => g,
                _ => unreachable!("positives are objects"),
            };
            let refs: Vec<BoxXyxy> = pos.iter().map(|&j| candidates[j]).collect();
            goals.push(self.coder.encode(&pos.iter().map(|&j| target.boxes[object(j)]).collect::<Vec<_>>(), &refs)?);
            labels.push(
                pos.iter()
                    .map(|&j| target.labels[object(j)])
                    .chain(std::iter::repeat_n(0, neg.len()))
                    .collect::<Vec<_>>(),
            );
            rois.push(pos.iter().chain(&neg).map(|&j| candidates[j]).collect::<Vec<_>>());
        }
        let (logits, deltas) = self.run(levels, &rois, image_size, ctx)?;
        let all_labels: Vec<usize> = labels.concat();
        let sampled = all_labels.len().max(1) as f32;
        let classifier = derin_nn::losses::sparse_categorical_crossentropy(&logits, &all_labels, true);
        // The true class's four deltas of every positive (positives lead each image's rows).
        let (mut rows, mut row0) = (Vec::new(), 0);
        for (l, g) in labels.iter().zip(&goals) {
            for (k, &label) in l.iter().enumerate().take(g.len()) {
                rows.extend((0..4).map(|c| ((row0 + k) * self.classes + label) * 4 + c));
            }
            row0 += l.len();
        }
        let pred = deltas.reshape(&[deltas.len()]).index_select(0, &rows);
        let goal = Tensor::from_vec(goals.concat().concat(), &[rows.len()]);
        let box_reg = pred.smooth_l1(&goal, 1.0 / 9.0).sum_all() / sampled;
        Ok(RoiLosses { classifier, box_reg })
    }

    /// Inference: each proposal's class probabilities and class boxes, kept when above
    /// the score threshold, not tiny, and not suppressed by a better box of its class.
    pub(crate) fn detect(
        &self,
        levels: &[Tensor],
        proposals: &[Vec<BoxXyxy>],
        image_size: [usize; 2],
        ctx: &mut Ctx,
    ) -> Result<Vec<Detections>> {
        let (logits, deltas) = self.run(levels, proposals, image_size, ctx)?;
        let probs = logits.softmax(1).to_vec();
        let codes: Vec<[f32; 4]> = flat_rows(&deltas.to_vec());
        let k = self.classes;
        let mut out = Vec::with_capacity(proposals.len());
        let mut row = 0;
        for props in proposals {
            let (mut boxes, mut scores, mut labels) = (Vec::new(), Vec::new(), Vec::new());
            // Every proposal's box for every class but the background, decoded at once.
            let pairs: Vec<(usize, usize)> = (0..props.len()).flat_map(|r| (1..k).map(move |c| (r, c))).collect();
            let refs: Vec<BoxXyxy> = pairs.iter().map(|&(r, _)| props[r]).collect();
            let own: Vec<[f32; 4]> = pairs.iter().map(|&(r, c)| codes[(row + r) * k + c]).collect();
            let decoded = clip_boxes_to_image(&self.coder.decode(&own, &refs)?, image_size)?;
            for (&(r, c), b) in pairs.iter().zip(decoded) {
                let s = probs[(row + r) * k + c];
                if s > self.config.score_thresh {
                    boxes.push(b);
                    scores.push(s);
                    labels.push(c);
                }
            }
            row += props.len();
            let big = remove_small_boxes(&boxes, 1e-2)?;
            let (boxes, scores, labels): (Vec<BoxXyxy>, Vec<f32>, Vec<usize>) = (
                big.iter().map(|&i| boxes[i]).collect(),
                big.iter().map(|&i| scores[i]).collect(),
                big.iter().map(|&i| labels[i]).collect(),
            );
            let mut keep = batched_nms(&boxes, &scores, &labels, self.config.nms_thresh)?;
            keep.truncate(self.config.detections_per_img);
            out.push(Detections {
                boxes: keep.iter().map(|&i| boxes[i]).collect(),
                scores: keep.iter().map(|&i| scores[i]).collect(),
                labels: keep.iter().map(|&i| labels[i]).collect(),
            });
        }
        Ok(out)
    }
}
