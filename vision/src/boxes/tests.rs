//! The box operations against torchvision 0.29.2 (reference/vision_boxes.py), their
//! orders and their errors.

use super::*;

/// The boxes and scores of the reference script's NMS cases.
fn scored() -> (Vec<BoxXyxy>, Vec<f32>) {
    let boxes = vec![
        [0.0, 0.0, 10.0, 10.0],
        [1.0, 1.0, 11.0, 11.0],
        [0.0, 0.0, 10.0, 10.0],
        [50.0, 50.0, 60.0, 60.0],
        [52.0, 50.0, 62.0, 60.0],
        [0.5, 0.0, 10.5, 10.0],
        [100.0, 100.0, 110.0, 110.0],
    ];
    (boxes, vec![0.9, 0.8, 0.9, 0.7, 0.75, 0.6, 0.3])
}

#[test]
fn box_iou_matches_torchvision() {
    let a = [[0.0, 0.0, 10.0, 10.0], [5.0, 5.0, 15.0, 15.0], [20.0, 20.0, 30.0, 40.0]];
    let b = [[0.0, 0.0, 10.0, 10.0], [2.0, 3.0, 12.0, 9.0], [100.0, 100.0, 101.0, 101.0], [25.0, 0.0, 35.0, 30.0]];
    let want = [1.0, 0.428_571_43, 0.0, 0.0, 0.142_857_15, 0.212_121_22, 0.0, 0.0, 0.0, 0.0, 0.0, 0.111_111_11];
    let got = box_iou(&a, &b).unwrap();
    assert_eq!(got.shape(), &[3, 4]);
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() < 1e-6, "{got:?}");
    }
    // Two empty boxes: 0, where torchvision divides 0 by 0.
    assert_eq!(box_iou(&[[1.0, 1.0, 1.0, 1.0]], &[[1.0, 1.0, 1.0, 1.0]]).unwrap()[[0, 0]], 0.0);
    assert_eq!(box_area(&a).unwrap(), vec![100.0, 100.0, 200.0]);
}

#[test]
fn nms_matches_torchvision_with_ties_in_input_order() {
    let (boxes, scores) = scored();
    assert_eq!(nms(&boxes, &scores, 0.5).unwrap(), vec![0, 4, 6]);
    assert_eq!(nms(&boxes, &scores, 0.7).unwrap(), vec![0, 1, 4, 3, 6]);
    assert_eq!(nms(&boxes, &scores, 0.0).unwrap(), vec![0, 4, 6]);
    // "Greater than": a box exactly at the threshold stays (IoU of boxes 3 and 4 is 2/3).
    let pair = [boxes[3], boxes[4]];
    assert_eq!(nms(&pair, &[0.7, 0.75], 2.0 / 3.0).unwrap(), vec![1, 0]);
    assert_eq!(nms(&[], &[], 0.5).unwrap(), Vec::<usize>::new());
}

#[test]
fn batched_nms_matches_torchvision() {
    let (boxes, scores) = scored();
    assert_eq!(batched_nms(&boxes, &scores, &[0, 0, 1, 1, 1, 0, 2], 0.5).unwrap(), vec![0, 2, 4, 6]);
    // One category is plain NMS.
    assert_eq!(batched_nms(&boxes, &scores, &[5; 7], 0.7).unwrap(), nms(&boxes, &scores, 0.7).unwrap());
}

#[test]
fn clipping_and_small_boxes_match_torchvision() {
    let clipped = clip_boxes_to_image(&[[-5.0, 3.0, 70.0, 90.0], [10.0, -1.0, 20.0, 5.0]], [50, 64]).unwrap();
    assert_eq!(clipped, vec![[0.0, 3.0, 64.0, 50.0], [10.0, 0.0, 20.0, 5.0]]);
    let small = [[0.0, 0.0, 1.0, 5.0], [0.0, 0.0, 2.0, 2.0], [3.0, 3.0, 3.5, 9.0], [0.0, 0.0, 4.0, 1.99]];
    assert_eq!(remove_small_boxes(&small, 2.0).unwrap(), vec![1]);
    assert_eq!(remove_small_boxes(&small, 0.0).unwrap(), vec![0, 1, 2, 3]);
}

#[test]
fn bad_input_is_an_error_naming_what_is_wrong() {
    let good = [0.0, 0.0, 1.0, 1.0];
    let err = |r: Result<Vec<usize>, Error>| r.unwrap_err().to_string();
    let inverted = err(nms(&[good, [5.0, 0.0, 1.0, 1.0]], &[0.5, 0.4], 0.5));
    assert_eq!(inverted, "nms: box 1 [5.0, 0.0, 1.0, 1.0] has x2 < x1 or y2 < y1");
    let nan = err(nms(&[[0.0, f32::NAN, 1.0, 1.0]], &[0.5], 0.5));
    assert!(nan.contains("box 0") && nan.contains("NaN or infinite"), "{nan}");
    let inf = box_iou(&[good], &[[0.0, 0.0, f32::INFINITY, 1.0]]).unwrap_err().to_string();
    assert!(inf.starts_with("box_iou: box 0"), "{inf}");
    assert_eq!(err(nms(&[good], &[f32::NAN], 0.5)), "nms: score 0 is NaN");
    assert_eq!(err(nms(&[good, good], &[0.5], 0.5)), "nms: 2 boxes but 1 scores");
    assert_eq!(err(nms(&[good], &[0.5], f32::NAN)), "nms: iou_threshold is NaN");
    assert_eq!(err(batched_nms(&[good], &[0.5], &[0, 1], 0.5)), "batched_nms: 2 categories for 1 boxes");
    assert!(err(remove_small_boxes(&[good], -1.0)).contains("min_size must be ≥ 0"));
    assert!(clip_boxes_to_image(&[[2.0, 2.0, 1.0, 3.0]], [4, 4]).is_err());
}
