//! The Region Proposal Network (Ren et al. 2015) as torchvision's: a shared head over the
//! pyramid's levels scores every anchor and regresses a box from it; the best boxes after
//! per-level top-n, clipping and NMS are the proposals; anchors matched to objects train it.

use derin_nn::{Activation, Conv2D, Ctx, Module, Padding};
use derin_tensor::ndarray::Array2;
use derin_tensor::{Param, Rng, Tensor};

use super::matcher::{Match, Matcher, sample};
use super::{Target, flat_rows};
use crate::{
    AnchorGenerator, BoxCoder, BoxXyxy, Result, batched_nms, box_iou, clip_boxes_to_image, remove_small_boxes,
};

/// The RPN's settings, torchvision's defaults (those of `fasterrcnn_resnet50_fpn`).
#[derive(Clone, Debug, PartialEq)]
pub struct RpnConfig {
    /// Anchor sizes (square-root areas, pixels) per pyramid level.
    pub anchor_sizes: Vec<Vec<f32>>,
    /// Anchor aspect ratios (height / width) per level.
    pub aspect_ratios: Vec<Vec<f32>>,
    /// Best-scoring anchors kept per level before NMS, training (2000) and inference (1000).
    pub pre_nms_top_n: [usize; 2],
    /// Proposals kept per image after NMS, training (2000) and inference (1000).
    pub post_nms_top_n: [usize; 2],
    /// NMS IoU threshold (0.7).
    pub nms_thresh: f32,
    /// Anchors with IoU ≥ this are objects (0.7) …
    pub fg_iou_thresh: f32,
    /// … below this background (0.3).
    pub bg_iou_thresh: f32,
    /// Anchors in the loss per image (256) …
    pub batch_size_per_image: usize,
    /// … at most this fraction of them objects (0.5).
    pub positive_fraction: f32,
    /// Proposals with objectness probability below this are dropped (0).
    pub score_thresh: f32,
}

impl Default for RpnConfig {
    fn default() -> Self {
        RpnConfig {
            anchor_sizes: vec![vec![32.0], vec![64.0], vec![128.0], vec![256.0], vec![512.0]],
            aspect_ratios: vec![vec![0.5, 1.0, 2.0]; 5],
            pre_nms_top_n: [2000, 1000],
            post_nms_top_n: [2000, 1000],
            nms_thresh: 0.7,
            fg_iou_thresh: 0.7,
            bg_iou_thresh: 0.3,
            batch_size_per_image: 256,
            positive_fraction: 0.5,
            score_thresh: 0.0,
        }
    }
}

/// The RPN's two losses for a batch: objectness (binary cross-entropy over the sampled
/// anchors) and box regression (smooth L1, β = 1/9, summed over sampled objects and
/// divided by the number of sampled anchors).
pub struct RpnLosses {
    /// `loss_objectness`.
    pub objectness: Tensor,
    /// `loss_rpn_box_reg`.
    pub box_reg: Tensor,
}

/// The head and everything around it: anchors, proposal selection, training targets.
pub struct RegionProposalNetwork {
    conv: Conv2D,
    cls_logits: Conv2D,
    bbox_pred: Conv2D,
    anchors: AnchorGenerator,
    coder: BoxCoder,
    config: RpnConfig,
}

impl RegionProposalNetwork {
    /// A head for levels of `channels` channels: a 3×3 convolution with ReLU shared by the
    /// levels, then 1×1 convolutions to one logit and four box deltas per anchor
    /// (`rpn_conv`, `rpn_cls_logits`, `rpn_bbox_pred`).
    ///
    /// # Errors
    /// [`crate::Error::Option`] for anchor lists that do not fit each other (see
    /// [`AnchorGenerator::new`]) or levels with different numbers of anchors.
    pub fn new(channels: usize, config: RpnConfig, rng: &mut Rng) -> Result<Self> {
        let anchors = AnchorGenerator::new(config.anchor_sizes.clone(), config.aspect_ratios.clone())?;
        let per_cell = anchors.num_anchors_per_location();
        if per_cell.iter().any(|&a| a != per_cell[0]) {
            let what = format!("every level needs as many anchors per cell (one shared head), got {per_cell:?}");
            return Err(crate::Error::Option { op: "RegionProposalNetwork", what });
        }
        let a = per_cell[0];
        let mut conv =
            Conv2D::new(channels, [3, 3], Activation::Relu).with_padding(Padding::Explicit([1, 1])).named("rpn_conv");
        let mut cls_logits = Conv2D::new(a, [1, 1], Activation::Linear).named("rpn_cls_logits");
        let mut bbox_pred = Conv2D::new(4 * a, [1, 1], Activation::Linear).named("rpn_bbox_pred");
        conv.build(&[channels, 3, 3], rng)?;
        cls_logits.build(&[channels, 1, 1], rng)?;
        bbox_pred.build(&[channels, 1, 1], rng)?;
        // torchvision: weights N(0, 0.01²), biases 0.
        for layer in [&conv, &cls_logits, &bbox_pred] {
            for p in layer.weights() {
                let v = if p.name().ends_with("kernel") {
                    Tensor::normal(p.value().shape(), 0.0, 0.01, rng)
                } else {
                    p.value().zeros_like()
                };
                p.set(v.to_array());
            }
        }
        Ok(RegionProposalNetwork { conv, cls_logits, bbox_pred, anchors, coder: BoxCoder::new([1.0; 4]), config })
    }

    /// The head's weights.
    pub fn weights(&self) -> Vec<Param> {
        [&self.conv, &self.cls_logits, &self.bbox_pred].iter().flat_map(|c| c.weights()).collect()
    }

    /// The settings.
    pub fn config(&self) -> &RpnConfig {
        &self.config
    }

    /// Proposals for each image of `levels` (the pyramid, `[N, C, Hₗ, Wₗ]`) on images of
    /// `image_size`, best first, and with `targets` the losses. `ctx` in training mode picks
    /// the training top-n; `rng` draws the sampled anchors.
    ///
    /// # Errors
    /// Errors of the anchor generator (a map larger than the image) or of decoding (a
    /// non-finite box delta: the network has diverged).
    pub(crate) fn forward(
        &self,
        levels: &[Tensor],
        image_size: [usize; 2],
        targets: Option<&[Target]>,
        ctx: &mut Ctx,
        rng: &mut Rng,
    ) -> Result<(Vec<Vec<BoxXyxy>>, Option<RpnLosses>)> {
        let n = levels.first().map_or(0, |l| l.shape()[0]);
        let sizes: Vec<[usize; 2]> = levels.iter().map(|l| [l.shape()[2], l.shape()[3]]).collect();
        let anchors = self.anchors.anchors(image_size, &sizes)?;
        let mut logits = Vec::new();
        let mut deltas = Vec::new();
        for level in levels {
            let t = self.conv.forward(level, ctx);
            let (s, b) = (self.cls_logits.forward(&t, ctx), self.bbox_pred.forward(&t, ctx));
            let [_, a, h, w] = s.shape().try_into().expect("4-D");
            logits.push(s.permute(&[0, 2, 3, 1]).reshape(&[n, h * w * a]));
            deltas.push(b.reshape(&[n, a, 4, h, w]).permute(&[0, 3, 4, 1, 2]).reshape(&[n, h * w * a, 4]));
        }
        let per_level: Vec<usize> = logits.iter().map(|l| l.shape()[1]).collect();
        let (logits, deltas) = (
            Tensor::concat(&logits.iter().collect::<Vec<_>>(), 1),
            Tensor::concat(&deltas.iter().collect::<Vec<_>>(), 1),
        );
        let total = anchors.len();
        let (scores, codes) = (logits.to_vec(), deltas.to_vec());
        let phase = usize::from(!ctx.is_training());
        let mut proposals = Vec::with_capacity(n);
        for i in 0..n {
            let codes: Vec<[f32; 4]> = flat_rows(&codes[i * total * 4..(i + 1) * total * 4]);
            proposals.push(self.select(
                &scores[i * total..(i + 1) * total],
                &codes,
                &anchors,
                &per_level,
                image_size,
                phase,
            )?);
        }
        let losses = match targets {
            Some(targets) => Some(self.losses(&logits, &deltas, &anchors, targets, rng)?),
            None => None,
        };
        Ok((proposals, losses))
    }

    /// One image's proposals: top-n per level, decoded, clipped, small and low-scoring
    /// ones dropped, NMS within each level, the best post-NMS top-n.
    fn select(
        &self,
        scores: &[f32],
        codes: &[[f32; 4]],
        anchors: &[BoxXyxy],
        per_level: &[usize],
        image_size: [usize; 2],
        phase: usize,
    ) -> Result<Vec<BoxXyxy>> {
        let mut picked = Vec::new();
        let mut level_of = Vec::new();
        let mut start = 0;
        for (l, &count) in per_level.iter().enumerate() {
            let mut idx: Vec<usize> = (start..start + count).collect();
            idx.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
            idx.truncate(self.config.pre_nms_top_n[phase]);
            level_of.extend(std::iter::repeat_n(l, idx.len()));
            picked.extend(idx);
            start += count;
        }
        let refs: Vec<BoxXyxy> = picked.iter().map(|&j| anchors[j]).collect();
        let boxes = self.coder.decode(&picked.iter().map(|&j| codes[j]).collect::<Vec<_>>(), &refs)?;
        let boxes = clip_boxes_to_image(&boxes, image_size)?;
        let probs: Vec<f32> = picked.iter().map(|&j| 1.0 / (1.0 + (-scores[j]).exp())).collect();
        let keep: Vec<usize> =
            remove_small_boxes(&boxes, 1e-3)?.into_iter().filter(|&k| probs[k] >= self.config.score_thresh).collect();
        let (b, s, l): (Vec<BoxXyxy>, Vec<f32>, Vec<usize>) = (
            keep.iter().map(|&k| boxes[k]).collect(),
            keep.iter().map(|&k| probs[k]).collect(),
            keep.iter().map(|&k| level_of[k]).collect(),
        );
        let mut kept = batched_nms(&b, &s, &l, self.config.nms_thresh)?;
        kept.truncate(self.config.post_nms_top_n[phase]);
        Ok(kept.into_iter().map(|k| b[k]).collect())
    }

    /// Objectness and box losses over anchors sampled per image.
    fn losses(
        &self,
        logits: &Tensor,
        deltas: &Tensor,
        anchors: &[BoxXyxy],
        targets: &[Target],
        rng: &mut Rng,
    ) -> Result<RpnLosses> {
        let total = anchors.len();
        let matcher =
            Matcher { high: self.config.fg_iou_thresh, low: self.config.bg_iou_thresh, allow_low_quality: true };
        let (mut chosen, mut labels, mut pos_rows, mut goals) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (i, target) in targets.iter().enumerate() {
            let iou =
                if target.boxes.is_empty() { Array2::zeros((0, total)) } else { box_iou(&target.boxes, anchors)? };
            let matches = matcher.assign(&iou);
            let (pos, neg) = sample(&matches, self.config.batch_size_per_image, self.config.positive_fraction, rng);
            let matched: Vec<BoxXyxy> = pos
                .iter()
                .map(|&j| match matches[j] {
                    Match::Object(g) => target.boxes[g],
                    _ => unreachable!("positives are objects"),
                })
                .collect();
            goals.extend(self.coder.encode(&matched, &pos.iter().map(|&j| anchors[j]).collect::<Vec<_>>())?);
            pos_rows.extend(pos.iter().map(|&j| i * total + j));
            chosen.extend(pos.iter().chain(&neg).map(|&j| i * total + j));
            labels.extend(std::iter::repeat_n(1.0, pos.len()).chain(std::iter::repeat_n(0.0, neg.len())));
        }
        let sampled = chosen.len().max(1) as f32;
        let picked = logits.reshape(&[logits.len()]).index_select(0, &chosen);
        let objectness =
            derin_nn::losses::binary_crossentropy(&picked, &Tensor::from_vec(labels, &[chosen.len()]), true);
        let pred = deltas.reshape(&[deltas.len() / 4, 4]).index_select(0, &pos_rows);
        let goal = Tensor::from_vec(goals.concat(), &[pos_rows.len(), 4]);
        let box_reg = pred.smooth_l1(&goal, 1.0 / 9.0).sum_all() / sampled;
        Ok(RpnLosses { objectness, box_reg })
    }
}
