//! Tests of `conv_transpose1d`/`2d`: hand-derived values, PyTorch's and Keras' output
//! sizes, a direct reference (forward and both gradients), finite differences,
//! non-contiguous inputs, shape errors.

use ndarray::{Array4, ArrayD, ArrayRefD, Ix4};

use super::tests::{Spec, each_term};
use crate::testing::*;
use crate::{ConvTranspose1dOptions, ConvTranspose2dOptions, Padding, Padding1d, Tensor};

/// The transposed convolution by its definition, `(y, dx, dw)` for `Σ y·dy`: each term
/// `conv_y[yi] += conv_x[xi]·w[wi]` of the convolution from `y`'s shape to `x`'s becomes
/// `y[xi] += x[yi]·w[wi]`.
fn naive(x: &Tensor, w: &Tensor, s: Spec, out: [usize; 2], dy: &ArrayRefD<f32>) -> [Array4<f32>; 3] {
    let four = |a: ArrayD<f32>| a.into_dimensionality::<Ix4>().unwrap();
    let (xa, wa, dy) = (four(x.to_array()), four(w.to_array()), four(dy.to_owned()));
    let ws = [0, 1, 2, 3].map(|i| w.shape()[i]);
    let ys = [x.shape()[0], ws[1] * s.groups, out[0], out[1]];
    let mut y = Array4::<f32>::zeros(ys);
    let mut dx = Array4::<f32>::zeros(xa.dim());
    let mut dw = Array4::<f32>::zeros(wa.dim());
    each_term(ys, ws, [x.shape()[2], x.shape()[3]], s, |xi, yi, wi| {
        y[yi] += xa[xi] * wa[wi];
        dx[xi] += dy[yi] * wa[wi];
        dw[wi] += dy[yi] * xa[xi];
    });
    [y, dx, dw]
}

#[track_caller]
fn all_close(got: &ArrayRefD<f32>, want: &Array4<f32>, what: &str) {
    assert_eq!(got.shape(), want.shape(), "{what}: shape");
    for (g, w) in got.iter().zip(want.iter()) {
        assert!((g - w).abs() <= 1e-4 * (1.0 + w.abs()), "{what}: {g} vs {w}");
    }
}

#[test]
fn forward_hand_values() {
    // One pixel spreads the kernel; stride 2 places two copies that overlap in one column.
    let x = t(&[1.0, 10.0], &[1, 1, 1, 2]);
    let w = t(&[1.0, 2.0, 3.0], &[1, 1, 1, 3]);
    let o = ConvTranspose2dOptions { stride: [1, 2], ..Default::default() };
    close(&x.conv_transpose2d(&w, None, &o), &[1.0, 2.0, 13.0, 20.0, 30.0]);
    // Padding crops one column at each end; output_padding adds one at the end; bias.
    let o = ConvTranspose2dOptions { stride: [1, 2], padding: Padding::Explicit([0, 1]), output_padding: [0, 1], ..o };
    close(&x.conv_transpose2d(&w, Some(&t(&[0.5], &[1])), &o), &[2.5, 13.5, 20.5, 30.5]);
    // Two input channels, one output channel each (groups 2).
    let x = t(&[1.0, 2.0], &[1, 2, 1]);
    let w = t(&[3.0, 4.0], &[2, 1, 1]);
    let o = ConvTranspose1dOptions { groups: 2, ..Default::default() };
    close(&x.conv_transpose1d(&w, None, &o), &[3.0, 8.0]);
}

#[test]
fn output_sizes_follow_pytorch_and_keras() {
    let x = Tensor::zeros(&[1, 2, 4, 5]);
    let w = Tensor::zeros(&[2, 3, 3, 3]);
    // PyTorch: (in − 1)·s − 2p + d·(k − 1) + output_padding + 1.
    let o = ConvTranspose2dOptions {
        stride: [2, 2],
        padding: Padding::Explicit([1, 1]),
        output_padding: [1, 0],
        ..Default::default()
    };
    assert_eq!(x.conv_transpose2d(&w, None, &o).shape(), &[1, 3, 8, 9]);
    let o = ConvTranspose2dOptions { stride: [3, 1], dilation: [1, 2], ..Default::default() };
    assert_eq!(x.conv_transpose2d(&w, None, &o).shape(), &[1, 3, 12, 9]);
    // Keras `same`: in·stride, for kernels above, at and below the stride.
    for k in [1, 2, 3, 4] {
        let w = Tensor::zeros(&[2, 3, k, k]);
        let o = ConvTranspose2dOptions { stride: [2, 3], padding: Padding::Same, ..Default::default() };
        assert_eq!(x.conv_transpose2d(&w, None, &o).shape(), &[1, 3, 8, 15], "kernel {k}");
    }
    let o = ConvTranspose1dOptions { stride: 2, padding: Padding1d::Same, ..Default::default() };
    assert_eq!(Tensor::zeros(&[1, 2, 5]).conv_transpose1d(&Tensor::zeros(&[2, 1, 3]), None, &o).shape(), &[1, 1, 10]);
}

fn cases() -> Vec<([usize; 4], [usize; 4], ConvTranspose2dOptions)> {
    let o = |stride, padding, output_padding, dilation, groups| ConvTranspose2dOptions {
        stride,
        padding,
        output_padding,
        dilation,
        groups,
    };
    vec![
        ([2, 3, 4, 5], [3, 2, 3, 3], ConvTranspose2dOptions::default()),
        ([2, 3, 4, 4], [3, 2, 3, 3], o([2, 2], Padding::Explicit([1, 1]), [1, 1], [1, 1], 1)),
        ([1, 4, 3, 4], [4, 3, 2, 3], o([3, 2], Padding::Asymmetric([0, 1, 2, 0]), [2, 0], [1, 2], 2)),
        ([2, 2, 5, 3], [2, 2, 4, 2], o([2, 1], Padding::Same, [0, 0], [1, 1], 1)),
        ([2, 4, 3, 3], [4, 1, 3, 3], o([2, 2], Padding::Same, [0, 0], [1, 1], 4)),
        ([2, 6, 4, 4], [6, 3, 1, 1], ConvTranspose2dOptions::default()),
        ([6, 16, 20, 20], [16, 8, 3, 3], o([2, 2], Padding::Explicit([1, 1]), [1, 1], [1, 1], 1)),
    ]
}

#[test]
fn forward_and_gradients_match_the_definition() {
    for (i, (xs, ws, o)) in cases().into_iter().enumerate() {
        let x = away_from_kinks(&xs, -1.0, 1.0, 70 + i as u64).requires_grad();
        let w = away_from_kinks(&ws, -1.0, 1.0, 80 + i as u64).requires_grad();
        let y = x.conv_transpose2d(&w, None, &o);
        let out = [y.shape()[2], y.shape()[3]];
        let pads = o.padding.resolve(out, [ws[2], ws[3]], o.stride, o.dilation);
        let s = Spec { stride: o.stride, pads, dil: o.dilation, groups: o.groups };
        let dy = away_from_kinks(y.shape(), -1.0, 1.0, 90 + i as u64);
        let [want_y, want_dx, want_dw] = naive(&x, &w, s, out, dy.array());
        all_close(y.array(), &want_y, &format!("case {i} forward"));
        let grads = (&y * &dy).sum_all().backward();
        all_close(grads.get(&x).unwrap().array(), &want_dx, &format!("case {i} dx"));
        all_close(grads.get(&w).unwrap().array(), &want_dw, &format!("case {i} dw"));
    }
}

#[test]
fn gradients_match_finite_differences() {
    for (i, (xs, ws, o)) in cases().into_iter().take(6).enumerate() {
        let x = away_from_kinks(&xs, -1.0, 1.0, 100 + i as u64);
        let w = away_from_kinks(&ws, -1.0, 1.0, 110 + i as u64);
        let b = away_from_kinks(&[ws[1] * o.groups], -1.0, 1.0, 120 + i as u64);
        grad_ok(
            &format!("conv_transpose2d case {i}"),
            |v| weighted_sum(&v[0].conv_transpose2d(&v[1], Some(&v[2]), &o)),
            &[x, w, b],
        );
    }
    let x = away_from_kinks(&[2, 4, 5], -1.0, 1.0, 130);
    let w = away_from_kinks(&[4, 1, 3], -1.0, 1.0, 131);
    let b = away_from_kinks(&[2], -1.0, 1.0, 132);
    let o = ConvTranspose1dOptions {
        stride: 2,
        padding: Padding1d::Explicit(1),
        output_padding: 1,
        dilation: 1,
        groups: 2,
    };
    grad_ok("conv_transpose1d", |v| weighted_sum(&v[0].conv_transpose1d(&v[1], Some(&v[2]), &o)), &[x, w, b]);
}

#[test]
fn non_contiguous_inputs() {
    let x = away_from_kinks(&[2, 4, 3, 2], -1.0, 1.0, 140).permute(&[0, 3, 1, 2]);
    let w = away_from_kinks(&[2, 3, 2, 3], -1.0, 1.0, 141).transpose(2, 3);
    assert!(!x.array().is_standard_layout() && !w.array().is_standard_layout());
    let o = ConvTranspose2dOptions { stride: [2, 1], padding: Padding::Same, ..Default::default() };
    let contiguous = Tensor::from_array(x.to_array().as_standard_layout().to_owned());
    close(&x.conv_transpose2d(&w, None, &o), &contiguous.conv_transpose2d(&w, None, &o).to_vec());
    grad_ok("conv_transpose2d permuted", |v| weighted_sum(&v[0].conv_transpose2d(&v[1], None, &o)), &[x, w]);
}

#[test]
#[should_panic(
    expected = "conv_transpose2d: input has 3 channels, weight expects 2 (input [1, 3, 4, 4], weight [2, 1, 3, 3])"
)]
fn channel_mismatch_names_both_shapes() {
    Tensor::zeros(&[1, 3, 4, 4]).conv_transpose2d(&Tensor::zeros(&[2, 1, 3, 3]), None, &Default::default());
}

#[test]
#[should_panic(expected = "conv_transpose2d: output_padding [0, 2] must be smaller than the stride [2, 2]")]
fn output_padding_below_the_stride() {
    let o = ConvTranspose2dOptions { stride: [2, 2], output_padding: [0, 2], ..Default::default() };
    Tensor::zeros(&[1, 1, 4, 4]).conv_transpose2d(&Tensor::zeros(&[1, 1, 3, 3]), None, &o);
}

#[test]
#[should_panic(expected = "conv_transpose1d: causal padding is not defined for a transposed convolution")]
fn no_causal_transpose() {
    let o = ConvTranspose1dOptions { padding: Padding1d::Causal, ..Default::default() };
    Tensor::zeros(&[1, 1, 4]).conv_transpose1d(&Tensor::zeros(&[1, 1, 3]), None, &o);
}

#[test]
#[should_panic(expected = "conv_transpose1d: bias [1] does not match the 2 output channels of weight [1, 2, 3]")]
fn bias_mismatch() {
    Tensor::zeros(&[1, 1, 4]).conv_transpose1d(
        &Tensor::zeros(&[1, 2, 3]),
        Some(&Tensor::zeros(&[1])),
        &Default::default(),
    );
}
