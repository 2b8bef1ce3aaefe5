//! Tests of the upsampling ops: hand-derived values, a per-pixel reference, finite
//! differences, non-contiguous inputs, shape errors.

use crate::Tensor;
use crate::testing::*;

/// Bilinear resizing pixel by pixel, straight from PyTorch's formulas.
fn reference(x: &Tensor, size: [usize; 2], align: bool) -> Vec<f32> {
    let a = x.to_array();
    let (n, c, h, w) = (x.shape()[0], x.shape()[1], x.shape()[2], x.shape()[3]);
    let src = |o: usize, len: usize, out: usize| -> (usize, usize, f32) {
        let s = if align {
            if out > 1 { o as f32 * ((len - 1) as f32 / (out - 1) as f32) } else { 0.0 }
        } else {
            ((len as f32 / out as f32) * (o as f32 + 0.5) - 0.5).max(0.0)
        };
        let i0 = s.floor() as usize;
        let i1 = if i0 < len - 1 { i0 + 1 } else { i0 };
        (i0, i1, s - i0 as f32)
    };
    let mut out = Vec::new();
    for b in 0..n {
        for ch in 0..c {
            for i in 0..size[0] {
                for j in 0..size[1] {
                    let (r0, r1, ly) = src(i, h, size[0]);
                    let (c0, c1, lx) = src(j, w, size[1]);
                    let v = |r: usize, q: usize| a[[b, ch, r, q].as_slice()];
                    out.push(
                        (1.0 - ly) * ((1.0 - lx) * v(r0, c0) + lx * v(r0, c1))
                            + ly * ((1.0 - lx) * v(r1, c0) + lx * v(r1, c1)),
                    );
                }
            }
        }
    }
    out
}

#[test]
fn forward_hand_values() {
    let x = t(&[1.0, 2.0, 3.0, 4.0], &[1, 1, 2, 2]);
    // PyTorch's well-known 2×2 → 4×4 results.
    #[rustfmt::skip]
    close(&x.upsample_bilinear2d([4, 4], false), &[
        1.0, 1.25, 1.75, 2.0,
        1.5, 1.75, 2.25, 2.5,
        2.5, 2.75, 3.25, 3.5,
        3.0, 3.25, 3.75, 4.0,
    ]);
    let third = 1.0 / 3.0;
    #[rustfmt::skip]
    close(&x.upsample_bilinear2d([4, 4], true), &[
        1.0, 1.0 + third, 2.0 - third, 2.0,
        1.0 + 2.0 * third, 2.0, 2.0 + third, 3.0 - third,
        3.0 - 2.0 * third, 3.0 - third, 3.0, 3.0 + third,
        3.0, 3.0 + third, 4.0 - third, 4.0,
    ]);
    // Shrinking to one pixel: the centre without align_corners, the corner with it.
    close(&x.upsample_bilinear2d([1, 1], false), &[2.5]);
    close(&x.upsample_bilinear2d([1, 1], true), &[1.0]);
    close(&x.upsample_nearest2d([1, 3]), &[1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 3.0, 3.0, 3.0, 4.0, 4.0, 4.0]);
    // Same size is the identity either way.
    close(&x.upsample_bilinear2d([2, 2], false), &x.to_vec());
    close(&x.upsample_bilinear2d([2, 2], true), &x.to_vec());
}

#[test]
fn nearest_to_a_size_matches_pytorch() {
    // torch 2.15.0 F.interpolate(mode="nearest"), reference/vision_ops.py.
    let x = Tensor::arange(0.0, 12.0, 1.0).reshape(&[1, 1, 3, 4]);
    #[rustfmt::skip]
    close(&x.upsample_nearest2d_to([5, 7]), &[
        0., 0., 1., 1., 2., 2., 3.,
        0., 0., 1., 1., 2., 2., 3.,
        4., 4., 5., 5., 6., 6., 7.,
        4., 4., 5., 5., 6., 6., 7.,
        8., 8., 9., 9., 10., 10., 11.,
    ]);
    close(&x.upsample_nearest2d_to([2, 3]), &[0., 1., 2., 4., 5., 6.]);
    // Integer factors give what upsample_nearest2d gives.
    let y = away_from_kinks(&[2, 3, 5, 7], -1.0, 1.0, 8);
    assert_eq!(y.upsample_nearest2d_to([15, 14]).to_vec(), y.upsample_nearest2d([3, 2]).to_vec());
}

#[test]
fn bilinear_matches_the_reference() {
    let x = away_from_kinks(&[2, 3, 5, 7], -1.0, 1.0, 1);
    for size in [[9, 14], [3, 4], [5, 11], [1, 8], [16, 3]] {
        for align in [false, true] {
            close(&x.upsample_bilinear2d(size, align), &reference(&x, size, align));
        }
    }
    // Large enough to split over planes in parallel.
    let big = away_from_kinks(&[4, 8, 20, 20], -1.0, 1.0, 2);
    close(&big.upsample_bilinear2d([37, 45], false), &reference(&big, [37, 45], false));
    let near = big.upsample_nearest2d([2, 3]);
    assert_eq!(near.shape(), &[4, 8, 40, 60]);
    let (a, b) = (big.to_vec(), near.to_vec());
    assert_eq!(b[(5 * 40 + 7) * 60 + 31], a[(5 * 20 + 3) * 20 + 10]);
}

#[test]
fn gradients_match_finite_differences() {
    let x = away_from_kinks(&[2, 2, 3, 4], -1.0, 1.0, 3);
    grad_ok("nearest", |v| weighted_sum(&v[0].upsample_nearest2d([2, 3])), &[x.clone()]);
    for size in [[5, 7], [2, 3], [7, 9]] {
        grad_ok(&format!("nearest to {size:?}"), |v| weighted_sum(&v[0].upsample_nearest2d_to(size)), &[x.clone()]);
    }
    for size in [[5, 7], [2, 3], [6, 8]] {
        for align in [false, true] {
            grad_ok(
                &format!("bilinear {size:?} {align}"),
                |v| weighted_sum(&v[0].upsample_bilinear2d(size, align)),
                &[x.clone()],
            );
        }
    }
    let big = away_from_kinks(&[4, 8, 20, 20], -1.0, 1.0, 4).requires_grad();
    // Σ over an upsampled image weighs each input by its replication count.
    let g = big.upsample_nearest2d([2, 2]).sum_all().backward();
    assert!(g.get(&big).unwrap().to_vec().iter().all(|&v| v == 4.0));
}

#[test]
fn non_contiguous_inputs() {
    let x = away_from_kinks(&[2, 4, 3, 2], -1.0, 1.0, 5).permute(&[0, 3, 1, 2]);
    assert!(!x.array().is_standard_layout());
    close(&x.upsample_bilinear2d([5, 7], false), &reference(&x, [5, 7], false));
    grad_ok("bilinear permuted", |v| weighted_sum(&v[0].upsample_bilinear2d([5, 7], true)), &[x.clone()]);
    grad_ok("nearest permuted", |v| weighted_sum(&v[0].upsample_nearest2d([3, 2])), &[x]);
}

#[test]
#[should_panic(expected = "upsample_nearest2d: input must be [N, C, H, W], got shape [2, 3]")]
fn nearest_wants_four_axes() {
    Tensor::zeros(&[2, 3]).upsample_nearest2d([2, 2]);
}

#[test]
#[should_panic(expected = "upsample_nearest2d: scale factors [0, 2] must be positive")]
fn nearest_wants_positive_factors() {
    Tensor::zeros(&[1, 1, 2, 2]).upsample_nearest2d([0, 2]);
}

#[test]
#[should_panic(expected = "upsample_bilinear2d: cannot resize input [1, 1, 2, 2] to size [3, 0]")]
fn bilinear_wants_a_size() {
    Tensor::zeros(&[1, 1, 2, 2]).upsample_bilinear2d([3, 0], false);
}

#[test]
#[should_panic(expected = "upsample_nearest2d_to: cannot resize input [1, 1, 2, 2] to size [0, 3]")]
fn nearest_to_wants_a_size() {
    Tensor::zeros(&[1, 1, 2, 2]).upsample_nearest2d_to([0, 3]);
}
