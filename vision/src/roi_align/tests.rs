//! RoI Align against torchvision 0.29.2 (reference/vision_roi_align.py, which writes
//! tests/fixtures/roi_align.safetensors): values and input gradients for both `aligned`
//! modes, fixed and adaptive sampling; finite differences; a non-contiguous input; empty
//! boxes; the errors.

use derin_tensor::{Tensor, check_gradients, load_safetensors};

use super::*;

/// Value `i` of the script's feature maps: sin(0.3 i) + 0.1 cos(1.7 i), in f64.
pub(crate) fn features(shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    let v = (0..n).map(|i| ((0.3 * i as f64).sin() + 0.1 * (1.7 * i as f64).cos()) as f32).collect();
    Tensor::from_vec(v, shape)
}

/// The script's loss weights G: cos(0.5 j).
pub(crate) fn weights(shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    Tensor::from_vec((0..n).map(|j| (0.5 * j as f64).cos() as f32).collect(), shape)
}

fn script_boxes() -> Tensor {
    let rows = [
        [0.0, 1.0, 0.5, 9.0, 7.5],
        [1.0, -3.0, -2.0, 5.0, 4.0],
        [0.0, 10.0, 8.0, 10.4, 8.3],
        [1.0, 11.0, 2.0, 30.0, 20.0],
        [0.0, 2.0, 2.0, 2.0, 2.0],
    ];
    Tensor::from_vec(rows.concat(), &[5, 5])
}

/// torchvision's `key` from the fixture, flat.
pub(crate) fn reference(key: &str) -> Vec<f32> {
    let path = format!("{}/tests/fixtures/roi_align.safetensors", env!("CARGO_MANIFEST_DIR"));
    load_safetensors(path).unwrap().tensors[key].iter().copied().collect()
}

pub(crate) fn assert_close(got: &[f32], want: &[f32], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= 2e-6 + 1e-5 * w.abs(), "{what}[{i}]: got {g}, torchvision {w}");
    }
}

/// Case `case` of the script: its options, compared with its output and gradient.
fn check_against_torchvision(options: RoiAlignOptions, case: usize) {
    let (out, grad) = (&reference(&format!("out/{case}")), &reference(&format!("grad/{case}")));
    let x = features(&[2, 2, 6, 7]).requires_grad();
    let y = roi_align(&x, &script_boxes(), options).unwrap();
    assert_eq!(y.shape(), &[5, 2, 2, 3]);
    assert_close(&y.to_vec(), out, &format!("{options:?} output"));
    let grads = (&y * &weights(y.shape())).sum_all().backward();
    assert_close(&grads.get(&x).unwrap().to_vec(), grad, &format!("{options:?} gradient"));
}

#[test]
fn matches_torchvision_with_two_samples_per_axis() {
    check_against_torchvision(RoiAlignOptions::new([2, 3]).spatial_scale(0.5).sampling_ratio(2), 0);
}

#[test]
fn matches_torchvision_with_adaptive_sampling() {
    check_against_torchvision(RoiAlignOptions::new([2, 3]).spatial_scale(0.5), 1);
}

#[test]
fn matches_torchvision_aligned() {
    let o = RoiAlignOptions::new([2, 3]).spatial_scale(0.5).aligned(true);
    check_against_torchvision(o.sampling_ratio(2), 2);
    check_against_torchvision(o.sampling_ratio(0), 3);
}

#[test]
fn matches_torchvision_at_full_scale_with_one_sample() {
    check_against_torchvision(RoiAlignOptions::new([2, 3]).sampling_ratio(1), 4);
}

#[test]
fn gradient_agrees_with_finite_differences() {
    let boxes =
        Tensor::from_vec(vec![0.0, 0.3, 0.6, 4.1, 3.7, 1.0, 1.5, 0.2, 5.5, 4.9, 0.0, -0.7, 2.2, 2.9, 6.3], &[3, 5]);
    for options in [RoiAlignOptions::new([2, 2]), RoiAlignOptions::new([3, 2]).sampling_ratio(2).aligned(true)] {
        let x = features(&[2, 3, 5, 6]);
        let g = weights(&[3, 3, options.output_size[0], options.output_size[1]]);
        let report = check_gradients(|xs| (&roi_align(&xs[0], &boxes, options).unwrap() * &g).sum_all(), &[x]).unwrap();
        assert_eq!(report.checked, 180, "{options:?}");
    }
}

#[test]
fn reads_a_non_contiguous_input_as_its_values() {
    let boxes = script_boxes();
    let options = RoiAlignOptions::new([2, 3]).spatial_scale(0.5).sampling_ratio(2);
    // The same values, stored as [N, C, W, H] and seen through a transpose.
    let stored = Tensor::from_array(
        features(&[2, 2, 6, 7]).to_array().permuted_axes(vec![0, 1, 3, 2]).as_standard_layout().into_owned(),
    );
    let x = stored.transpose(2, 3);
    assert_close(&roi_align(&x, &boxes, options).unwrap().to_vec(), &reference("out/0"), "transposed input");
}

#[test]
fn no_boxes_give_an_empty_output_and_a_zero_gradient() {
    let x = features(&[1, 3, 4, 4]).requires_grad();
    let y = roi_align(&x, &Tensor::zeros(&[0, 5]), RoiAlignOptions::new([7, 7])).unwrap();
    assert_eq!(y.shape(), &[0, 3, 7, 7]);
    let grads = (y.sum_all() + (&x * 0.0).sum_all()).backward();
    assert!(grads.get(&x).unwrap().to_vec().iter().all(|&v| v == 0.0));
}

#[test]
fn rois_from_boxes_numbers_the_images() {
    let rois = rois_from_boxes(&[vec![[1.0, 0.5, 9.0, 7.5]], vec![[-3.0, -2.0, 5.0, 4.0], [11.0, 2.0, 30.0, 20.0]]]);
    assert_eq!(rois.shape(), &[3, 5]);
    assert_eq!(
        rois.to_vec(),
        [[0.0, 1.0, 0.5, 9.0, 7.5], [1.0, -3.0, -2.0, 5.0, 4.0], [1.0, 11.0, 2.0, 30.0, 20.0]].concat()
    );
}

#[test]
fn bad_input_is_an_error_naming_it() {
    let x = features(&[2, 1, 4, 4]);
    let o = RoiAlignOptions::new([2, 2]);
    let err = |x: &Tensor, rows: &[f32], o: RoiAlignOptions| {
        let boxes = Tensor::from_vec(rows.to_vec(), &[rows.len() / 5, 5]);
        roi_align(x, &boxes, o).unwrap_err().to_string()
    };
    let ok = [0.0, 1.0, 1.0, 2.0, 2.0];
    assert_eq!(err(&features(&[1, 4, 4]), &ok, o), "roi_align: feature map 0 must be [N, C, H, W], got [1, 4, 4]");
    let four = roi_align(&x, &Tensor::zeros(&[2, 4]), o).unwrap_err().to_string();
    assert_eq!(four, "roi_align: boxes must be [K, 5] rows of (batch index, x1, y1, x2, y2), got [2, 4]");
    assert_eq!(
        err(&x, &[2.0, 1.0, 1.0, 2.0, 2.0], o),
        "roi_align: roi 0 [2.0, 1.0, 1.0, 2.0, 2.0] has batch index 2, not an image of the 2 in the input"
    );
    assert!(err(&x, &[0.5, 1.0, 1.0, 2.0, 2.0], o).contains("has batch index 0.5"));
    assert_eq!(
        err(&x, &[ok, [1.0, 3.0, 1.0, 2.0, 2.0]].concat(), o),
        "roi_align: roi 1 [1.0, 3.0, 1.0, 2.0, 2.0] has x2 < x1 or y2 < y1"
    );
    assert!(err(&x, &[0.0, f32::NAN, 1.0, 2.0, 2.0], o).ends_with("has a NaN or infinite value"));
    assert!(err(&x, &[0.0, 0.0, 0.0, f32::INFINITY, 2.0], o).ends_with("has a NaN or infinite value"));
    assert_eq!(err(&x, &ok, RoiAlignOptions::new([0, 2])), "roi_align: output_size [0, 2] has a zero side");
    assert_eq!(err(&x, &ok, o.spatial_scale(0.0)), "roi_align: spatial_scale must be positive and finite, got 0");
    assert!(err(&x, &[0.0, 0.0, 0.0, 1e9, 1e9], o).contains("sampling grid per bin"));
}
