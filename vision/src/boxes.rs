//! Box operations with torchvision's semantics: areas, pairwise IoU, non-maximum
//! suppression (plain and per class), clipping to the image, dropping small boxes.

use derin_tensor::ndarray::Array2;

use crate::Error;

/// A box `[x1, y1, x2, y2]`: top-left and bottom-right corners in pixels.
pub type BoxXyxy = [f32; 4];

/// `Err` naming the first box with a non-finite coordinate or inverted corners.
pub(crate) fn check_boxes(op: &'static str, boxes: &[BoxXyxy]) -> Result<(), Error> {
    for (index, b) in boxes.iter().enumerate() {
        let reason = if b.iter().any(|v| !v.is_finite()) {
            "has a NaN or infinite coordinate"
        } else if b[2] < b[0] || b[3] < b[1] {
            "has x2 < x1 or y2 < y1"
        } else {
            continue;
        };
        return Err(Error::InvalidBox { op, index, value: *b, reason });
    }
    Ok(())
}

/// `(x2 − x1)·(y2 − y1)` of each box.
///
/// # Errors
/// [`Error::InvalidBox`] for a box with a non-finite coordinate or inverted corners.
///
/// ```
/// assert_eq!(derin_vision::box_area(&[[1.0, 2.0, 4.0, 6.0]]).unwrap(), vec![12.0]);
/// ```
pub fn box_area(boxes: &[BoxXyxy]) -> Result<Vec<f32>, Error> {
    check_boxes("box_area", boxes)?;
    Ok(boxes.iter().map(area).collect())
}

fn area(b: &BoxXyxy) -> f32 {
    (b[2] - b[0]) * (b[3] - b[1])
}

/// Intersection over union of two boxes; 0 when both are empty (torchvision gives NaN
/// there).
fn iou(a: &BoxXyxy, b: &BoxXyxy) -> f32 {
    let w = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
    let h = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    let inter = w * h;
    let union = area(a) + area(b) - inter;
    if union > 0.0 { inter / union } else { 0.0 }
}

/// Pairwise intersection over union (torchvision's `box_iou`): `iou[i, j]` of `a[i]` and
/// `b[j]`, an `N × M` array. Two empty boxes have IoU 0.
///
/// # Errors
/// [`Error::InvalidBox`] for a box with a non-finite coordinate or inverted corners.
///
/// ```
/// let iou = derin_vision::box_iou(&[[0.0, 0.0, 2.0, 2.0]], &[[1.0, 0.0, 3.0, 2.0], [5.0, 5.0, 6.0, 6.0]]).unwrap();
/// assert_eq!(iou.shape(), &[1, 2]);
/// assert_eq!(iou[[0, 0]], 2.0 / 6.0);
/// assert_eq!(iou[[0, 1]], 0.0);
/// ```
pub fn box_iou(a: &[BoxXyxy], b: &[BoxXyxy]) -> Result<Array2<f32>, Error> {
    check_boxes("box_iou", a)?;
    check_boxes("box_iou", b)?;
    Ok(Array2::from_shape_fn((a.len(), b.len()), |(i, j)| iou(&a[i], &b[j])))
}

/// Non-maximum suppression (torchvision's `nms`): boxes in decreasing score order, each
/// kept unless it overlaps an already kept box with IoU **greater than**
/// `iou_threshold`. Returns the kept indices in decreasing score order; equal scores keep
/// their input order (a stable sort), so the result does not depend on the sort
/// algorithm.
///
/// # Errors
/// [`Error::Mismatch`] when `boxes` and `scores` differ in length, [`Error::InvalidBox`]
/// or [`Error::InvalidScore`] (NaN) for bad input, [`Error::Option`] for a threshold
/// that is NaN.
///
/// ```
/// let boxes = [[0.0, 0.0, 10.0, 10.0], [0.0, 0.0, 10.0, 10.0], [20.0, 0.0, 30.0, 10.0]];
/// // Equal scores: the first of the identical pair stays.
/// assert_eq!(derin_vision::nms(&boxes, &[0.5, 0.5, 0.9], 0.5).unwrap(), vec![2, 0]);
/// ```
pub fn nms(boxes: &[BoxXyxy], scores: &[f32], iou_threshold: f32) -> Result<Vec<usize>, Error> {
    check_scored("nms", boxes, scores, iou_threshold)?;
    Ok(suppress(boxes, scores, iou_threshold, |_, _| true))
}

/// Non-maximum suppression within each category (torchvision's `batched_nms`): boxes of
/// different `categories` never suppress each other. Returns the kept indices in
/// decreasing score order (equal scores in input order).
///
/// # Errors
/// As [`nms`], and [`Error::Mismatch`] when `categories` differs in length.
///
/// ```
/// let boxes = [[0.0, 0.0, 10.0, 10.0], [0.0, 0.0, 10.0, 10.0]];
/// assert_eq!(derin_vision::batched_nms(&boxes, &[0.9, 0.8], &[0, 1], 0.5).unwrap(), vec![0, 1]);
/// assert_eq!(derin_vision::batched_nms(&boxes, &[0.9, 0.8], &[3, 3], 0.5).unwrap(), vec![0]);
/// ```
pub fn batched_nms(
    boxes: &[BoxXyxy],
    scores: &[f32],
    categories: &[usize],
    iou_threshold: f32,
) -> Result<Vec<usize>, Error> {
    check_scored("batched_nms", boxes, scores, iou_threshold)?;
    if categories.len() != boxes.len() {
        let what = format!("{} categories for {} boxes", categories.len(), boxes.len());
        return Err(Error::Mismatch { op: "batched_nms", what });
    }
    Ok(suppress(boxes, scores, iou_threshold, |i, j| categories[i] == categories[j]))
}

fn check_scored(op: &'static str, boxes: &[BoxXyxy], scores: &[f32], iou_threshold: f32) -> Result<(), Error> {
    if boxes.len() != scores.len() {
        return Err(Error::Mismatch { op, what: format!("{} boxes but {} scores", boxes.len(), scores.len()) });
    }
    if iou_threshold.is_nan() {
        return Err(Error::Option { op, what: "iou_threshold is NaN".into() });
    }
    check_boxes(op, boxes)?;
    match scores.iter().position(|s| s.is_nan()) {
        Some(index) => Err(Error::InvalidScore { op, index }),
        None => Ok(()),
    }
}

/// Greedy suppression in decreasing score order, where box `j` can suppress box `i` only
/// when `rivals(i, j)`.
fn suppress(boxes: &[BoxXyxy], scores: &[f32], threshold: f32, rivals: impl Fn(usize, usize) -> bool) -> Vec<usize> {
    let mut order: Vec<usize> = (0..boxes.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let mut keep: Vec<usize> = Vec::new();
    for i in order {
        if keep.iter().all(|&j| !rivals(i, j) || iou(&boxes[i], &boxes[j]) <= threshold) {
            keep.push(i);
        }
    }
    keep
}

/// Clamps every box into an image of `size = [height, width]` (torchvision's
/// `clip_boxes_to_image`): x into `[0, width]`, y into `[0, height]`.
///
/// # Errors
/// [`Error::InvalidBox`] for a box with a non-finite coordinate or inverted corners.
///
/// ```
/// let clipped = derin_vision::clip_boxes_to_image(&[[-5.0, 3.0, 70.0, 90.0]], [50, 64]).unwrap();
/// assert_eq!(clipped, vec![[0.0, 3.0, 64.0, 50.0]]);
/// ```
pub fn clip_boxes_to_image(boxes: &[BoxXyxy], size: [usize; 2]) -> Result<Vec<BoxXyxy>, Error> {
    check_boxes("clip_boxes_to_image", boxes)?;
    let (h, w) = (size[0] as f32, size[1] as f32);
    Ok(boxes.iter().map(|b| [b[0].clamp(0.0, w), b[1].clamp(0.0, h), b[2].clamp(0.0, w), b[3].clamp(0.0, h)]).collect())
}

/// The indices of the boxes at least `min_size` wide and high (torchvision's
/// `remove_small_boxes`), in input order.
///
/// # Errors
/// [`Error::InvalidBox`] for a bad box, [`Error::Option`] for a negative or NaN
/// `min_size`.
///
/// ```
/// let boxes = [[0.0, 0.0, 1.0, 5.0], [0.0, 0.0, 2.0, 2.0]];
/// assert_eq!(derin_vision::remove_small_boxes(&boxes, 2.0).unwrap(), vec![1]);
/// ```
pub fn remove_small_boxes(boxes: &[BoxXyxy], min_size: f32) -> Result<Vec<usize>, Error> {
    if min_size.is_nan() || min_size < 0.0 {
        return Err(Error::Option {
            op: "remove_small_boxes", what: format!("min_size must be ≥ 0, got {min_size}")
        });
    }
    check_boxes("remove_small_boxes", boxes)?;
    Ok((0..boxes.len())
        .filter(|&i| boxes[i][2] - boxes[i][0] >= min_size && boxes[i][3] - boxes[i][1] >= min_size)
        .collect())
}

#[cfg(test)]
mod tests;
