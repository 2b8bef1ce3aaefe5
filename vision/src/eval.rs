//! Detection metrics: Pascal VOC's mAP at IoU 0.5 (all-point interpolation, the
//! VOC2010–2012 rule) and COCO's mAP averaged over IoU 0.50:0.05:0.95 with 101-point
//! interpolation (pycocotools' `COCOeval`, bounding boxes, all areas, 100 detections).

use std::collections::BTreeSet;

use crate::boxes::check_boxes;
use crate::{BoxXyxy, Detections, Error, Result, Target};

/// The metrics of a set of detections against ground truth.
#[derive(Clone, Debug, PartialEq)]
pub struct DetectionMetrics {
    /// VOC mAP at IoU > 0.5, all-point interpolation.
    pub voc_map50: f32,
    /// COCO mAP@[.5:.95] (pycocotools' `AP`).
    pub coco_map: f32,
    /// COCO AP at IoU 0.5 (101 points; pycocotools' `AP50`).
    pub coco_map50: f32,
    /// COCO AP at IoU 0.75.
    pub coco_map75: f32,
    /// VOC AP at 0.5 of each class that has ground truth, `(class, AP)`.
    pub per_class_ap50: Vec<(usize, f32)>,
}

/// VOC and COCO mAPs of `detections` (one per image) against `targets`.
///
/// Classes are those of the ground truth; detections of other classes count nowhere.
/// A class's AP is the area under its precision–recall curve made monotone: VOC sums it
/// over every recall step, COCO averages the precision at the 101 recalls 0, 0.01, …, 1.
/// Matching is greedy by score: a detection takes the unmatched ground-truth box of its
/// class it overlaps most (COCO: at IoU ≥ t; VOC: the most overlapped box of any state,
/// a true positive if IoU > 0.5 and not yet taken).
///
/// # Errors
/// [`Error::Mismatch`] for lists not one per image or boxes, scores and labels of
/// different counts; [`Error::InvalidBox`] for a bad box; [`Error::InvalidScore`] for a
/// NaN score.
///
/// ```
/// use derin_vision::{Detections, Target, evaluate};
/// let truth = vec![Target { boxes: vec![[0.0, 0.0, 10.0, 10.0], [20.0, 20.0, 30.0, 30.0]], labels: vec![1, 1] }];
/// // One exact hit, ranked above one miss: precision 1 at recall ½, then nothing more.
/// let found = vec![Detections { boxes: vec![[0.0, 0.0, 10.0, 10.0], [50.0, 50.0, 60.0, 60.0]], scores: vec![0.9, 0.8], labels: vec![1, 1] }];
/// let m = evaluate(&found, &truth).unwrap();
/// assert_eq!(m.voc_map50, 0.5);
/// assert!((m.coco_map - 51.0 / 101.0).abs() < 1e-6); // recalls 0..=0.5 have precision 1
/// ```
pub fn evaluate(detections: &[Detections], targets: &[Target]) -> Result<DetectionMetrics> {
    check(detections, targets)?;
    let classes: BTreeSet<usize> = targets.iter().flat_map(|t| t.labels.iter().copied()).collect();
    let mut per_class_ap50 = Vec::new();
    let (mut coco, mut coco50, mut coco75) = (0.0, 0.0, 0.0);
    for &c in &classes {
        let (images, positives) = of_class(detections, targets, c);
        per_class_ap50.push((c, voc_ap(&images, positives)));
        // pycocotools' thresholds np.linspace(0.5, 0.95, 10), computed as numpy does.
        let step = (0.95 - 0.5) / 9.0;
        let aps: Vec<f32> = (0..10).map(|t| coco_ap(&images, positives, 0.5 + t as f64 * step)).collect();
        coco += aps.iter().sum::<f32>() / 10.0;
        coco50 += aps[0];
        coco75 += aps[5];
    }
    let n = classes.len().max(1) as f32;
    let voc_map50 = per_class_ap50.iter().map(|p| p.1).sum::<f32>() / n;
    Ok(DetectionMetrics {
        voc_map50,
        coco_map: coco / n,
        coco_map50: coco50 / n,
        coco_map75: coco75 / n,
        per_class_ap50,
    })
}

fn check(detections: &[Detections], targets: &[Target]) -> Result<()> {
    const OP: &str = "evaluate";
    let mismatch = |what: String| Err(Error::Mismatch { op: OP, what });
    if detections.len() != targets.len() {
        return mismatch(format!("{} detection lists for {} images", detections.len(), targets.len()));
    }
    for (i, (d, t)) in detections.iter().zip(targets).enumerate() {
        if d.scores.len() != d.boxes.len() || d.labels.len() != d.boxes.len() || t.labels.len() != t.boxes.len() {
            return mismatch(format!("image {i}: boxes, scores and labels differ in count"));
        }
        check_boxes(OP, &d.boxes)?;
        check_boxes(OP, &t.boxes)?;
        if let Some(index) = d.scores.iter().position(|s| s.is_nan()) {
            return Err(Error::InvalidScore { op: OP, index });
        }
    }
    Ok(())
}

/// One image's detections of a class (score, box) and its ground-truth boxes.
type ClassImage = (Vec<(f32, BoxXyxy)>, Vec<BoxXyxy>);

/// Per image: class `c`'s detections, best first (ties in given order), at most 100, and
/// its ground truth.
fn of_class(detections: &[Detections], targets: &[Target], c: usize) -> (Vec<ClassImage>, usize) {
    let mut total = 0;
    let images = detections
        .iter()
        .zip(targets)
        .map(|(d, t)| {
            let mut dets: Vec<(f32, BoxXyxy)> =
                (0..d.boxes.len()).filter(|&k| d.labels[k] == c).map(|k| (d.scores[k], d.boxes[k])).collect();
            dets.sort_by(|a, b| b.0.total_cmp(&a.0));
            dets.truncate(100);
            let truth: Vec<BoxXyxy> = (0..t.boxes.len()).filter(|&k| t.labels[k] == c).map(|k| t.boxes[k]).collect();
            total += truth.len();
            (dets, truth)
        })
        .collect();
    (images, total)
}

/// `(score, true positive)` of every detection over all images, best first (stable).
fn ranked(
    images: &[ClassImage],
    mut matcher: impl FnMut(&[(f32, BoxXyxy)], &[BoxXyxy]) -> Vec<bool>,
) -> Vec<(f32, bool)> {
    let mut all: Vec<(f32, bool)> = images.iter().flat_map(|(d, t)| d.iter().map(|x| x.0).zip(matcher(d, t))).collect();
    all.sort_by(|a, b| b.0.total_cmp(&a.0));
    all
}

/// Recall and precision after each ranked detection.
fn curve(ranked: &[(f32, bool)], positives: usize) -> (Vec<f64>, Vec<f64>) {
    let (mut tp, mut fp) = (0.0f64, 0.0f64);
    let mut rec = Vec::with_capacity(ranked.len());
    let mut prec = Vec::with_capacity(ranked.len());
    for &(_, hit) in ranked {
        if hit {
            tp += 1.0
        } else {
            fp += 1.0
        }
        rec.push(tp / positives as f64);
        prec.push(tp / (tp + fp).max(f64::EPSILON));
    }
    // Precision made monotone: the best precision at this recall or beyond.
    for i in (1..prec.len()).rev() {
        prec[i - 1] = prec[i - 1].max(prec[i]);
    }
    (rec, prec)
}

/// VOC AP at IoU > 0.5: each detection against its image's most overlapped box, a hit
/// if that box is not taken yet; the area under the monotone curve over every recall step.
fn voc_ap(images: &[ClassImage], positives: usize) -> f32 {
    let ranked = ranked(images, |dets, truth| {
        let mut taken = vec![false; truth.len()];
        dets.iter()
            .map(|(_, b)| {
                let ious = ious(b, truth);
                let best = (0..truth.len()).fold(None, |m: Option<usize>, g| match m {
                    Some(k) if ious[k] >= ious[g] => Some(k),
                    _ => Some(g),
                });
                match best {
                    Some(g) if ious[g] > 0.5 && !taken[g] => {
                        taken[g] = true;
                        true
                    }
                    _ => false,
                }
            })
            .collect()
    });
    let (rec, prec) = curve(&ranked, positives);
    let mut ap = 0.0;
    let mut last = 0.0;
    for (r, p) in rec.iter().zip(&prec) {
        ap += (r - last) * p;
        last = *r;
    }
    ap as f32
}

/// COCO AP at IoU threshold `t`: each detection takes the free box it overlaps most at
/// IoU ≥ t (a later box on a tie, as pycocotools); precision at recalls 0, 0.01, …, 1.
fn coco_ap(images: &[ClassImage], positives: usize, t: f64) -> f32 {
    let ranked = ranked(images, |dets, truth| {
        let mut taken = vec![false; truth.len()];
        dets.iter()
            .map(|(_, b)| {
                let ious = ious(b, truth);
                let mut best = (None, t.min(1.0 - 1e-10));
                for g in (0..truth.len()).filter(|&g| !taken[g]) {
                    if ious[g] >= best.1 {
                        best = (Some(g), ious[g]);
                    }
                }
                best.0.map(|g| taken[g] = true).is_some()
            })
            .collect()
    });
    let (rec, prec) = curve(&ranked, positives);
    let points = (0..=100).map(|i| {
        // pycocotools' recall thresholds (np.linspace(0, 1, 101): i·0.01 in f64) and the
        // first detection whose recall reaches one (np.searchsorted, side left).
        let r = i as f64 * 0.01;
        rec.iter().position(|&x| x >= r).map_or(0.0, |k| prec[k])
    });
    (points.sum::<f64>() / 101.0) as f32
}

/// IoU of `b` with each box of `truth`, in f64 as pycocotools computes it (an IoU of
/// exactly 0.6 meets the threshold 0.6, where f32 rounding could move either).
fn ious(b: &BoxXyxy, truth: &[BoxXyxy]) -> Vec<f64> {
    let area = |b: &BoxXyxy| (b[2] as f64 - b[0] as f64) * (b[3] as f64 - b[1] as f64);
    truth
        .iter()
        .map(|t| {
            let w = (b[2].min(t[2]) as f64 - b[0].max(t[0]) as f64).max(0.0);
            let h = (b[3].min(t[3]) as f64 - b[1].max(t[1]) as f64).max(0.0);
            let union = area(b) + area(t) - w * h;
            if union > 0.0 { w * h / union } else { 0.0 }
        })
        .collect()
}
