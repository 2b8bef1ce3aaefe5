//! Tests of `conv1d`/`conv2d`: hand-derived values, a direct seven-loop reference (forward
//! and both gradients), finite-difference checks, non-contiguous inputs, shape errors.

use ndarray::{Array4, ArrayRefD, Ix4};

use crate::testing::*;
use crate::{Conv1dOptions, Conv2dOptions, Padding, Padding1d, Tensor};

/// Geometry of a reference convolution.
#[derive(Clone, Copy, Debug)]
pub(super) struct Spec {
    pub stride: [usize; 2],
    pub pads: [usize; 4],
    pub dil: [usize; 2],
    pub groups: usize,
}

fn four(a: &ArrayRefD<f32>) -> Array4<f32> {
    a.to_owned().into_dimensionality::<Ix4>().unwrap()
}

/// Calls `f(n, o, i, j, c, a, b, ih, iw)` for every term `w[o, c, a, b]·x[n, ci, ih, iw]`
/// of the convolution that reads inside the input (`ci` is `g·cig + c`, passed as `c`).
pub(super) fn each_term(
    x: [usize; 4],
    w: [usize; 4],
    out: [usize; 2],
    s: Spec,
    mut f: impl FnMut([usize; 4], [usize; 4], [usize; 4]),
) {
    let (cog, cig) = (w[0] / s.groups, w[1]);
    for n in 0..x[0] {
        for o in 0..w[0] {
            let g = o / cog;
            for i in 0..out[0] {
                for j in 0..out[1] {
                    for c in 0..cig {
                        for a in 0..w[2] {
                            for b in 0..w[3] {
                                let ih = (i * s.stride[0] + a * s.dil[0]) as isize - s.pads[0] as isize;
                                let iw = (j * s.stride[1] + b * s.dil[1]) as isize - s.pads[2] as isize;
                                if ih >= 0 && iw >= 0 && (ih as usize) < x[2] && (iw as usize) < x[3] {
                                    let xi = [n, g * cig + c, ih as usize, iw as usize];
                                    f([n, o, i, j], xi, [o, c, a, b]);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Output size of the reference convolution.
pub(super) fn out_size(x: &[usize], w: &[usize], s: Spec) -> [usize; 2] {
    [0, 1].map(|d| (x[2 + d] + s.pads[2 * d] + s.pads[2 * d + 1] - s.dil[d] * (w[2 + d] - 1) - 1) / s.stride[d] + 1)
}

/// The convolution by its definition: `(y, dx, dw)` where `dx`, `dw` are the gradients of
/// `Σ y·dy`.
pub(super) fn naive(x: &Tensor, w: &Tensor, s: Spec, dy: Option<&ArrayRefD<f32>>) -> [Array4<f32>; 3] {
    let (xa, wa) = (four(&x.to_array()), four(&w.to_array()));
    let (xs, ws) = ([0, 1, 2, 3].map(|i| x.shape()[i]), [0, 1, 2, 3].map(|i| w.shape()[i]));
    let out = out_size(x.shape(), w.shape(), s);
    let mut y = Array4::<f64>::zeros((xs[0], ws[0], out[0], out[1]));
    let dy = dy.map(four).unwrap_or_else(|| Array4::zeros(y.dim()));
    let mut dx = Array4::<f32>::zeros(xa.dim());
    let mut dw = Array4::<f32>::zeros(wa.dim());
    each_term(xs, ws, out, s, |yi, xi, wi| {
        y[yi] += (xa[xi] * wa[wi]) as f64;
        dx[xi] += wa[wi] * dy[yi];
        dw[wi] += xa[xi] * dy[yi];
    });
    [y.mapv(|v| v as f32), dx, dw]
}

fn opts(s: Spec) -> Conv2dOptions {
    Conv2dOptions { stride: s.stride, padding: Padding::Asymmetric(s.pads), dilation: s.dil, groups: s.groups }
}

#[track_caller]
fn all_close(got: &ArrayRefD<f32>, want: &Array4<f32>, what: &str) {
    assert_eq!(got.shape(), want.shape(), "{what}: shape");
    for (g, w) in got.iter().zip(want.iter()) {
        assert!((g - w).abs() <= 1e-4 * (1.0 + w.abs()), "{what}: {g} vs {w}");
    }
}

const PLAIN: Spec = Spec { stride: [1, 1], pads: [0; 4], dil: [1, 1], groups: 1 };

#[test]
fn forward_hand_values() {
    let x = Tensor::arange(0.0, 9.0, 1.0).reshape(&[1, 1, 3, 3]);
    close(&x.conv2d(&Tensor::ones(&[1, 1, 2, 2]), None, &Conv2dOptions::default()), &[8.0, 12.0, 20.0, 24.0]);
    // Two output channels, bias, stride 2 with padding 1: windows centred on (0,0), (0,2), (2,0), (2,2).
    let w =
        t(&[0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0], &[2, 1, 3, 3]);
    let o = Conv2dOptions { stride: [2, 2], padding: Padding::Explicit([1, 1]), ..Default::default() };
    let y = x.conv2d(&w, Some(&t(&[0.5, -1.0], &[2])), &o);
    assert_eq!(y.shape(), &[1, 2, 2, 2]);
    close(&y, &[0.5, 2.5, 6.5, 8.5, 7.0, 11.0, 19.0, 23.0]);
    // Same with stride 2 on 4 columns: out 2, total pad max(2 + 3 − 4, 0) = 1, all on the right.
    let row = Tensor::arange(1.0, 5.0, 1.0).reshape(&[1, 1, 1, 4]);
    let same = Conv2dOptions { stride: [1, 2], padding: Padding::Same, ..Default::default() };
    close(&row.conv2d(&Tensor::ones(&[1, 1, 1, 3]), None, &same), &[6.0, 7.0]);
    // conv1d with dilation 2: y[t] = x[t] + x[t + 2].
    let s = Tensor::arange(1.0, 6.0, 1.0).reshape(&[1, 1, 5]);
    let dil = Conv1dOptions { dilation: 2, ..Default::default() };
    close(&s.conv1d(&t(&[1.0, 1.0], &[1, 1, 2]), None, &dil), &[4.0, 6.0, 8.0]);
}

/// Shapes and options that cover every path of the kernels: strides, dilation, groups,
/// asymmetric padding, the 1×1 fast path, sizes that run in parallel (one image cut
/// into pixel blocks and its input gradient into channel ranges, then several images),
/// more output channels than one GEMM call takes, and the direct stride-1 kernel.
fn cases() -> Vec<([usize; 4], [usize; 4], Spec)> {
    let s = |stride, pads, dil, groups| Spec { stride, pads, dil, groups };
    vec![
        ([2, 3, 5, 6], [4, 3, 3, 3], PLAIN),
        ([2, 3, 7, 6], [2, 3, 3, 2], s([2, 3], [1, 0, 2, 1], [1, 1], 1)),
        ([1, 2, 7, 7], [3, 2, 3, 3], s([1, 1], [2, 2, 2, 2], [2, 3], 1)),
        ([2, 4, 5, 5], [6, 2, 2, 3], s([2, 1], [1, 1, 0, 2], [1, 1], 2)),
        ([2, 4, 4, 5], [4, 1, 3, 3], s([1, 1], [1, 1, 1, 1], [1, 1], 4)),
        ([2, 6, 4, 5], [4, 6, 1, 1], PLAIN),
        ([1, 4, 5, 5], [3, 4, 1, 1], s([2, 2], [0; 4], [1, 1], 1)),
        ([1, 8, 40, 39], [16, 8, 3, 3], s([1, 1], [1, 1, 1, 1], [1, 1], 1)),
        ([5, 16, 30, 30], [8, 16, 3, 3], s([1, 1], [1, 1, 1, 1], [1, 1], 1)),
        // More output channels than one GEMM call of the forward pass takes (48).
        ([2, 3, 6, 7], [100, 3, 3, 3], s([1, 1], [1, 1, 1, 1], [1, 1], 1)),
        // Stride 1 with enough channels for the direct kernel (forward, and the input
        // gradient as the forward pass of the flipped kernel), with dilation, asymmetric
        // padding and groups.
        ([2, 16, 9, 20], [16, 8, 3, 3], s([1, 1], [2, 1, 0, 2], [2, 1], 2)),
    ]
}

#[test]
fn forward_and_gradients_match_the_definition() {
    for (i, (xs, ws, s)) in cases().into_iter().enumerate() {
        let x = away_from_kinks(&xs, -1.0, 1.0, 10 + i as u64);
        let w = away_from_kinks(&ws, -1.0, 1.0, 20 + i as u64).requires_grad();
        let x = x.requires_grad();
        let y = x.conv2d(&w, None, &opts(s));
        let dy = away_from_kinks(y.shape(), -1.0, 1.0, 30 + i as u64);
        let [want_y, want_dx, want_dw] = naive(&x, &w, s, Some(dy.array()));
        all_close(y.array(), &want_y, &format!("case {i} forward"));
        let grads = (&y * &dy).sum_all().backward();
        all_close(grads.get(&x).unwrap().array(), &want_dx, &format!("case {i} dx"));
        all_close(grads.get(&w).unwrap().array(), &want_dw, &format!("case {i} dw"));
    }
}

/// The CNN benchmark's second convolution, scaled down: 14×14 images with "same"
/// padding, so every block is one image of 196 pixels, not a multiple of the SIMD width
/// (the forward pass pads the block); with a bias, and the gradients through it.
#[test]
fn padded_blocks_with_bias_match_the_definition() {
    let s = Spec { pads: [1; 4], ..PLAIN };
    let x = away_from_kinks(&[3, 5, 14, 14], -1.0, 1.0, 41).requires_grad();
    let w = away_from_kinks(&[50, 5, 3, 3], -1.0, 1.0, 42).requires_grad();
    let b = away_from_kinks(&[50], -1.0, 1.0, 43).requires_grad();
    let y = x.conv2d(&w, Some(&b), &opts(s));
    let dy = away_from_kinks(y.shape(), -1.0, 1.0, 44);
    let [mut want_y, want_dx, want_dw] = naive(&x, &w, s, Some(dy.array()));
    let bv = b.to_vec();
    want_y.indexed_iter_mut().for_each(|((_, o, _, _), v)| *v += bv[o]);
    all_close(y.array(), &want_y, "forward");
    let grads = (&y * &dy).sum_all().backward();
    all_close(grads.get(&x).unwrap().array(), &want_dx, "dx");
    all_close(grads.get(&w).unwrap().array(), &want_dw, "dw");
    let dya = four(dy.array());
    let want_db = Array4::from_shape_fn((1, 1, 1, 50), |(_, _, _, o)| dya.index_axis(ndarray::Axis(1), o).sum());
    all_close(
        &grads.get(&b).unwrap().array().clone().into_shape_with_order(vec![1, 1, 1, 50]).unwrap(),
        &want_db,
        "db",
    );
}

#[test]
fn gradients_match_finite_differences() {
    for (i, (xs, ws, s)) in cases().into_iter().take(7).enumerate() {
        let x = away_from_kinks(&xs, -1.0, 1.0, 40 + i as u64);
        let w = away_from_kinks(&ws, -1.0, 1.0, 50 + i as u64);
        let b = away_from_kinks(&[ws[0]], -1.0, 1.0, 60 + i as u64);
        let o = opts(s);
        grad_ok(&format!("conv2d case {i}"), |v| weighted_sum(&v[0].conv2d(&v[1], Some(&v[2]), &o)), &[x, w, b]);
    }
    let x = away_from_kinks(&[2, 3, 5, 5], -1.0, 1.0, 1);
    let w = away_from_kinks(&[2, 3, 3, 2], -1.0, 1.0, 2);
    let same = Conv2dOptions { stride: [2, 2], padding: Padding::Same, dilation: [1, 2], groups: 1 };
    grad_ok("conv2d same", |v| weighted_sum(&v[0].conv2d(&v[1], None, &same)), &[x, w]);
}

#[test]
fn non_contiguous_inputs() {
    // x built as [N, H, W, C] and permuted to [N, C, H, W]; w transposed twice.
    let nhwc = away_from_kinks(&[2, 5, 4, 3], -1.0, 1.0, 3);
    let x = nhwc.permute(&[0, 3, 1, 2]);
    assert!(!x.array().is_standard_layout());
    let w = away_from_kinks(&[3, 4, 3, 2], -1.0, 1.0, 4).transpose(0, 1);
    assert!(!w.array().is_standard_layout());
    let b = away_from_kinks(&[4], -1.0, 1.0, 5);
    let o = Conv2dOptions { padding: Padding::Explicit([1, 0]), ..Default::default() };
    let want = naive(&x, &w, Spec { pads: [1, 1, 0, 0], ..PLAIN }, None)[0].clone();
    let y = x.conv2d(&w, None, &o);
    all_close(y.array(), &want, "permuted forward");
    grad_ok("conv2d permuted", |v| weighted_sum(&v[0].conv2d(&v[1], Some(&v[2]), &o)), &[x, w, b]);
    let nlc = away_from_kinks(&[2, 6, 3], -1.0, 1.0, 6);
    let w1 = away_from_kinks(&[2, 3, 3], -1.0, 1.0, 7);
    let o1 = Conv1dOptions { padding: Padding1d::Same, stride: 2, ..Default::default() };
    grad_ok("conv1d permuted", |v| weighted_sum(&v[0].conv1d(&v[1], None, &o1)), &[nlc.transpose(1, 2), w1]);
}

#[test]
fn conv1d_matches_conv2d_on_one_row() {
    let x = away_from_kinks(&[2, 4, 9], -1.0, 1.0, 8);
    let w = away_from_kinks(&[6, 2, 3], -1.0, 1.0, 9);
    let b = away_from_kinks(&[6], -1.0, 1.0, 10);
    for padding in
        [Padding1d::Valid, Padding1d::Same, Padding1d::Causal, Padding1d::Explicit(2), Padding1d::Asymmetric([0, 3])]
    {
        let o = Conv1dOptions { stride: 2, padding, dilation: 2, groups: 2 };
        let [l, r] = padding.resolve(9, 3, 2, 2);
        let o2 =
            Conv2dOptions { stride: [1, 2], padding: Padding::Asymmetric([0, 0, l, r]), dilation: [1, 2], groups: 2 };
        let y = x.conv1d(&w, Some(&b), &o);
        let y2 = x.unsqueeze(2).conv2d(&w.unsqueeze(2), Some(&b), &o2).squeeze(2);
        close(&y, &y2.to_vec());
        grad_ok(
            &format!("conv1d {padding:?}"),
            |v| weighted_sum(&v[0].conv1d(&v[1], Some(&v[2]), &o)),
            &[x.clone(), w.clone(), b.clone()],
        );
    }
    // Causal keeps the length and never looks ahead: changing x[t] leaves y[..t] alone.
    let causal = Conv1dOptions { padding: Padding1d::Causal, dilation: 2, ..Default::default() };
    let w1 = away_from_kinks(&[1, 1, 3], -1.0, 1.0, 11);
    let a = Tensor::arange(0.0, 8.0, 1.0).reshape(&[1, 1, 8]);
    let mut v = a.to_vec();
    v[5] = 100.0;
    let (ya, yb) = (a.conv1d(&w1, None, &causal).to_vec(), t(&v, &[1, 1, 8]).conv1d(&w1, None, &causal).to_vec());
    assert_eq!(ya.len(), 8);
    assert_eq!(ya[..5], yb[..5]);
    assert_ne!(ya[5], yb[5]);
}

#[test]
#[should_panic(
    expected = "conv2d: input has 3 channels, weight expects 1 (input [1, 3, 5, 5], weight [2, 1, 3, 3], groups 1)"
)]
fn channel_mismatch_names_both_shapes() {
    Tensor::zeros(&[1, 3, 5, 5]).conv2d(&Tensor::zeros(&[2, 1, 3, 3]), None, &Conv2dOptions::default());
}

#[test]
#[should_panic(
    expected = "conv1d: input has 2 channels, weight expects 4 (input [1, 2, 5], weight [2, 2, 3], groups 2)"
)]
fn conv1d_channel_mismatch() {
    let o = Conv1dOptions { groups: 2, ..Default::default() };
    Tensor::zeros(&[1, 2, 5]).conv1d(&Tensor::zeros(&[2, 2, 3]), None, &o);
}

#[test]
#[should_panic(expected = "conv2d: bias [3] does not match the 2 output channels of weight [2, 1, 3, 3]")]
fn bias_mismatch() {
    Tensor::zeros(&[1, 1, 5, 5]).conv2d(&Tensor::zeros(&[2, 1, 3, 3]), Some(&Tensor::zeros(&[3])), &Default::default());
}

#[test]
#[should_panic(
    expected = "conv2d: the kernel of weight [1, 1, 3, 3] (dilation [2, 2]) is larger than input [1, 1, 4, 4]"
)]
fn kernel_larger_than_input() {
    let o = Conv2dOptions { dilation: [2, 2], ..Default::default() };
    Tensor::zeros(&[1, 1, 4, 4]).conv2d(&Tensor::zeros(&[1, 1, 3, 3]), None, &o);
}

#[test]
#[should_panic(expected = "conv2d: groups 2 do not divide the 3 output channels of weight [3, 1, 3, 3]")]
fn groups_must_divide_the_outputs() {
    let o = Conv2dOptions { groups: 2, ..Default::default() };
    Tensor::zeros(&[1, 2, 5, 5]).conv2d(&Tensor::zeros(&[3, 1, 3, 3]), None, &o);
}

#[test]
#[should_panic(expected = "conv1d: input must be [N, C, L], got shape [3, 5]")]
fn conv1d_wants_three_axes() {
    Tensor::zeros(&[3, 5]).conv1d(&Tensor::zeros(&[1, 3, 1]), None, &Default::default());
}
