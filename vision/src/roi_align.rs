//! RoI Align (He et al., Mask R-CNN) as a differentiable op with torchvision's
//! signature and semantics: every output bin averages bilinear samples of the feature map
//! on a regular grid inside the bin, with no rounding of the box to the pixel grid.

mod multiscale;
mod plan;
#[cfg(test)]
mod tests;

use derin_tensor::ndarray::ArrayD;
use derin_tensor::{BackwardCtx, Tensor};
use rayon::prelude::*;

use crate::{BoxXyxy, Error, Result};
pub use multiscale::{LevelMapper, MultiScaleRoiAlign};
pub(crate) use plan::Plan;

/// Options of [`roi_align`]: torchvision's arguments after `input` and `boxes`.
///
/// ```
/// use derin_vision::RoiAlignOptions;
/// let o = RoiAlignOptions::new([7, 7]).spatial_scale(0.25).sampling_ratio(2);
/// assert_eq!((o.output_size, o.spatial_scale, o.sampling_ratio, o.aligned), ([7, 7], 0.25, 2, false));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RoiAlignOptions {
    /// Output bins `[height, width]`.
    pub output_size: [usize; 2],
    /// Box coordinates are multiplied by this to reach the feature map (1/stride).
    pub spatial_scale: f32,
    /// Samples per bin along each axis; 0 or less: `ceil(box side / output side)`, adaptive.
    pub sampling_ratio: i32,
    /// `true`: shift boxes by −0.5 pixel so that sample positions line up with pixel
    /// centres (Detectron2's convention); `false`: torchvision's default, with boxes
    /// smaller than one pixel widened to one.
    pub aligned: bool,
}

impl RoiAlignOptions {
    /// Output of the given `[height, width]`, with torchvision's defaults: scale 1,
    /// adaptive sampling, `aligned` false.
    pub fn new(output_size: [usize; 2]) -> Self {
        RoiAlignOptions { output_size, spatial_scale: 1.0, sampling_ratio: -1, aligned: false }
    }

    /// Sets [`spatial_scale`](Self::spatial_scale).
    pub fn spatial_scale(mut self, scale: f32) -> Self {
        self.spatial_scale = scale;
        self
    }

    /// Sets [`sampling_ratio`](Self::sampling_ratio).
    pub fn sampling_ratio(mut self, ratio: i32) -> Self {
        self.sampling_ratio = ratio;
        self
    }

    /// Sets [`aligned`](Self::aligned).
    pub fn aligned(mut self, aligned: bool) -> Self {
        self.aligned = aligned;
        self
    }

    pub(crate) fn check(&self, op: &'static str) -> Result<()> {
        let what = if self.output_size.contains(&0) {
            format!("output_size {:?} has a zero side", self.output_size)
        } else if !(self.spatial_scale.is_finite() && self.spatial_scale > 0.0) {
            format!("spatial_scale must be positive and finite, got {}", self.spatial_scale)
        } else {
            return Ok(());
        };
        Err(Error::Option { op, what })
    }
}

/// RoI Align of `boxes` on `input`, as `torchvision.ops.roi_align`.
///
/// Box `k` = `[b, x1, y1, x2, y2]` reads image `b`; its corners are multiplied by the
/// spatial scale (and shifted by −½ when `aligned`); output bin `(i, j)` of channel `c`
/// is the mean over a `g_h × g_w` grid of points inside the bin of the bilinearly
/// interpolated feature value, points more than one pixel outside the map counting as 0.
/// The gradient flows to `input` (not to the boxes, as in torchvision).
///
/// # Shapes
/// `input` `[N, C, H, W]`, `boxes` `[K, 5]` → `[K, C, output_h, output_w]`.
///
/// # Errors
/// [`Error::Shape`] for an input that is not 4-D or boxes that are not `[K, 5]`;
/// [`Error::InvalidRoi`] for a batch index that is not an image of `input`, a coordinate
/// that is NaN or infinite, or `x2 < x1` / `y2 < y1`; [`Error::Option`] for a zero output
/// side, a scale that is not positive, or a box so large that its sampling grid would
/// exceed a million points per bin.
///
/// ```
/// use derin_tensor::Tensor;
/// use derin_vision::{RoiAlignOptions, roi_align};
/// // A 4×4 ramp x + 4y; the box covers pixels 1..3 in both directions.
/// let x = Tensor::from_vec((0..16).map(|v| v as f32).collect(), &[1, 1, 4, 4]);
/// let boxes = Tensor::from_vec(vec![0.0, 1.0, 1.0, 3.0, 3.0], &[1, 5]);
/// let out = roi_align(&x, &boxes, RoiAlignOptions::new([1, 1]).aligned(true)).unwrap();
/// // Shifted by −½ to 0.5..2.5, the one bin's 2×2 samples sit at 1 and 2 on each axis:
/// // a linear map averages to its value at the centre (1.5, 1.5).
/// assert!((out.item() - (1.5 + 4.0 * 1.5)).abs() < 1e-6);
/// ```
pub fn roi_align(input: &Tensor, boxes: &Tensor, options: RoiAlignOptions) -> Result<Tensor> {
    const OP: &str = "roi_align";
    options.check(OP)?;
    let (n, c, _) = check_levels(OP, &[input])?;
    let rois = rois_from_tensor(OP, boxes, n)?;
    let plan = Plan::new(
        OP,
        n,
        &[input.shape()[2..].try_into().expect("4-D")],
        &[options.spatial_scale],
        &rois,
        &vec![0; rois.len()],
        options,
    )?;
    Ok(apply(plan, &[input], c))
}

/// Rows `[batch index, x1, y1, x2, y2]` of per-image box lists, as torchvision's
/// `convert_boxes_to_roi_format`: the input that [`roi_align`] takes.
///
/// ```
/// let rois = derin_vision::rois_from_boxes(&[vec![[1.0, 2.0, 3.0, 4.0]], vec![], vec![[0.0; 4]]]);
/// assert_eq!(rois.shape(), &[2, 5]);
/// assert_eq!(rois.to_vec(), vec![0.0, 1.0, 2.0, 3.0, 4.0, 2.0, 0.0, 0.0, 0.0, 0.0]);
/// ```
pub fn rois_from_boxes(boxes: &[Vec<BoxXyxy>]) -> Tensor {
    let rows: Vec<f32> = boxes
        .iter()
        .enumerate()
        .flat_map(|(b, list)| list.iter().flat_map(move |x| [b as f32, x[0], x[1], x[2], x[3]]))
        .collect();
    let k = rows.len() / 5;
    Tensor::from_vec(rows, &[k, 5])
}

/// `(N, C, level shapes)` of feature maps that must share batch and channels.
pub(crate) fn check_levels(op: &'static str, levels: &[&Tensor]) -> Result<(usize, usize, Vec<[usize; 2]>)> {
    let mut shapes = Vec::with_capacity(levels.len());
    for (i, t) in levels.iter().enumerate() {
        let s = t.shape();
        if s.len() != 4 {
            return Err(Error::Shape { op, what: format!("feature map {i} must be [N, C, H, W], got {s:?}") });
        }
        let first = levels[0].shape();
        if s[..2] != first[..2] {
            let what =
                format!("feature map {i} has shape {s:?} but map 0 has {first:?}: batch and channels must agree");
            return Err(Error::Shape { op, what });
        }
        shapes.push([s[2], s[3]]);
    }
    let s = levels.first().map_or(&[0, 0][..], |t| t.shape());
    Ok((s[0], s[1], shapes))
}

/// The rows of a `[K, 5]` boxes tensor, each checked.
pub(crate) fn rois_from_tensor(op: &'static str, boxes: &Tensor, images: usize) -> Result<Vec<[f32; 5]>> {
    if boxes.ndim() != 2 || boxes.shape()[1] != 5 {
        let what = format!("boxes must be [K, 5] rows of (batch index, x1, y1, x2, y2), got {:?}", boxes.shape());
        return Err(Error::Shape { op, what });
    }
    let flat = boxes.to_vec();
    let rois: Vec<[f32; 5]> = flat.chunks_exact(5).map(|r| [r[0], r[1], r[2], r[3], r[4]]).collect();
    for (index, r) in rois.iter().enumerate() {
        let b = r[0];
        let reason = if r.iter().any(|v| !v.is_finite()) {
            "has a NaN or infinite value".to_string()
        } else if b < 0.0 || b.fract() != 0.0 || b as usize >= images {
            format!("has batch index {b}, not an image of the {images} in the input")
        } else if r[3] < r[1] || r[4] < r[2] {
            "has x2 < x1 or y2 < y1".to_string()
        } else {
            continue;
        };
        return Err(Error::InvalidRoi { op, index, value: *r, reason });
    }
    Ok(rois)
}

/// The op: gathers the planned taps of every bin forward, scatters them backward.
pub(crate) fn apply(plan: Plan, levels: &[&Tensor], channels: usize) -> Tensor {
    let c = channels;
    let bins = plan.bins;
    let k = plan.rois.len();
    let [oh, ow] = plan.output_size;
    // Borrowed as they are when contiguous (the usual case), copied only otherwise.
    let inputs: Vec<_> = levels.iter().map(|t| t.array().as_standard_layout()).collect();
    let mut out = vec![0.0f32; k * c * bins];
    derin_tensor::install(|| {
        out.par_chunks_mut((c * bins).max(1)).enumerate().for_each(|(r, out_r)| {
            let roi = plan.rois[r];
            let x = inputs[roi.level].as_slice().expect("standard layout");
            let plane = plan.plane(roi.level);
            for (ch, out_c) in out_r.chunks_exact_mut(bins).enumerate() {
                let p = &x[(roi.image * c + ch) * plane..][..plane];
                for (b, o) in out_c.iter_mut().enumerate() {
                    *o = plan.taps(r * bins + b).iter().map(|&(off, w)| p[off as usize] * w).sum();
                }
            }
        })
    });
    let out = ArrayD::from_shape_vec(vec![k, c, oh, ow], out).expect("sized above");
    Tensor::from_op("roi_align", out, levels, move |ctx: &BackwardCtx<'_>| {
        let g = ctx.grad.as_standard_layout();
        let g = g.as_slice().expect("standard layout");
        (0..ctx.inputs.len()).map(|l| ctx.needs(l).then(|| plan.scatter(l, c, g))).collect()
    })
}
