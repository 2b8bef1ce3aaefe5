//! Tests of the poolings: hand-derived values, a direct reference by loops (forward and
//! gradient), finite differences, ties, non-contiguous inputs, shape errors.

use ndarray::{Array4, ArrayRefD, Ix4};

use crate::testing::*;
use crate::{Padding, Padding1d, Pool1dOptions, Pool2dOptions, Tensor};

#[derive(Clone, Copy)]
enum Kind {
    Max,
    Avg(bool),
}

/// Pooling by its definition: `(y, dx)` with `dx` the gradient of `Σ y·dy`.
fn naive(x: &Tensor, k: [usize; 2], s: [usize; 2], p: [usize; 4], kind: Kind, dy: &ArrayRefD<f32>) -> [Array4<f32>; 2] {
    let x = x.to_array().into_dimensionality::<Ix4>().unwrap();
    let dy = dy.to_owned().into_dimensionality::<Ix4>().unwrap();
    let (n, c, h, w) = x.dim();
    let out = [0, 1].map(|i| ([h, w][i] + p[2 * i] + p[2 * i + 1] - k[i]) / s[i] + 1);
    let mut y = Array4::<f32>::zeros((n, c, out[0], out[1]));
    let mut dx = Array4::<f32>::zeros(x.dim());
    for (b, ch, i, j) in itertools(n, c, out[0], out[1]) {
        let mut cells = Vec::new();
        for a in 0..k[0] {
            for e in 0..k[1] {
                let (r, q) = ((i * s[0] + a) as isize - p[0] as isize, (j * s[1] + e) as isize - p[2] as isize);
                if r >= 0 && q >= 0 && (r as usize) < h && (q as usize) < w {
                    cells.push([b, ch, r as usize, q as usize]);
                }
            }
        }
        let g = dy[[b, ch, i, j]];
        match kind {
            Kind::Max => {
                let best = cells.iter().fold(cells[0], |m, &c| if x[c] > x[m] { c } else { m });
                y[[b, ch, i, j]] = x[best];
                dx[best] += g;
            }
            Kind::Avg(include_pad) => {
                let div = if include_pad { (k[0] * k[1]) as f32 } else { cells.len() as f32 };
                y[[b, ch, i, j]] = cells.iter().map(|&c| x[c]).sum::<f32>() / div;
                cells.iter().for_each(|&c| dx[c] += g / div);
            }
        }
    }
    [y, dx]
}

fn itertools(n: usize, c: usize, h: usize, w: usize) -> impl Iterator<Item = (usize, usize, usize, usize)> {
    (0..n).flat_map(move |b| (0..c).flat_map(move |ch| (0..h).flat_map(move |i| (0..w).map(move |j| (b, ch, i, j)))))
}

#[track_caller]
fn all_close(got: &ArrayRefD<f32>, want: &Array4<f32>, what: &str) {
    assert_eq!(got.shape(), want.shape(), "{what}: shape");
    for (g, w) in got.iter().zip(want.iter()) {
        assert!((g - w).abs() <= 1e-5 * (1.0 + w.abs()), "{what}: {g} vs {w}");
    }
}

#[test]
fn forward_hand_values() {
    let x = Tensor::arange(0.0, 16.0, 1.0).reshape(&[1, 1, 4, 4]);
    let o = Pool2dOptions { stride: Some([1, 2]), ..Default::default() };
    close(&x.max_pool2d([3, 2], &o), &[9.0, 11.0, 13.0, 15.0]);
    close(&x.avg_pool2d([3, 2], &o), &[4.5, 6.5, 8.5, 10.5]);
    // Padding 1 around a 2×2 plane with 3×3 windows, stride 2: one window, all four values.
    let small = t(&[1.0, 2.0, 3.0, 6.0], &[1, 1, 2, 2]);
    let pad = Pool2dOptions { padding: Padding::Explicit([1, 1]), ..Default::default() };
    close(&small.avg_pool2d([3, 3], &pad), &[12.0 / 9.0]);
    close(&small.avg_pool2d([3, 3], &Pool2dOptions { count_include_pad: false, ..pad }), &[3.0]);
    close(&small.max_pool2d([3, 3], &pad), &[6.0]);
    // Negative values: padding never wins a max.
    close(&small.neg().max_pool2d([3, 3], &pad), &[-1.0]);
    // 1-D, explicit padding with count_include_pad off.
    let line = t(&[2.0, 4.0, 6.0], &[1, 1, 3]);
    let o1 = Pool1dOptions { stride: Some(2), padding: Padding1d::Explicit(1), count_include_pad: false };
    close(&line.avg_pool1d(2, &o1), &[2.0, 5.0]);
    close(&line.max_pool1d(2, &o1), &[2.0, 6.0]);
}

#[test]
fn forward_and_gradients_match_the_definition() {
    let cases: Vec<([usize; 4], [usize; 2], Option<[usize; 2]>, Padding)> = vec![
        ([2, 3, 6, 7], [2, 2], None, Padding::Valid),
        ([2, 2, 7, 6], [3, 2], Some([2, 1]), Padding::Explicit([1, 1])),
        ([1, 3, 5, 8], [3, 3], Some([2, 3]), Padding::Same),
        ([2, 2, 6, 5], [2, 3], Some([1, 1]), Padding::Asymmetric([1, 0, 0, 1])),
        ([4, 8, 48, 48], [3, 3], Some([2, 2]), Padding::Same),
        // The 2×2 / stride 2 fast path, above the threading threshold.
        ([4, 16, 64, 66], [2, 2], Some([2, 2]), Padding::Valid),
    ];
    for (i, (shape, k, stride, padding)) in cases.into_iter().enumerate() {
        let x = away_from_kinks(&shape, -1.0, 1.0, 200 + i as u64).requires_grad();
        for kind in [Kind::Max, Kind::Avg(true), Kind::Avg(false)] {
            let o = Pool2dOptions { stride, padding, count_include_pad: matches!(kind, Kind::Avg(true)) };
            let y = match kind {
                Kind::Max => x.max_pool2d(k, &o),
                Kind::Avg(_) => x.avg_pool2d(k, &o),
            };
            let s = stride.unwrap_or(k);
            let p = padding.resolve([shape[2], shape[3]], k, s, [1, 1]);
            let dy = away_from_kinks(y.shape(), -1.0, 1.0, 300 + i as u64);
            let [want_y, want_dx] = naive(&x, k, s, p, kind, dy.array());
            all_close(y.array(), &want_y, &format!("case {i} forward"));
            let g = (&y * &dy).sum_all().backward();
            all_close(g.get(&x).unwrap().array(), &want_dx, &format!("case {i} gradient"));
        }
    }
}

#[test]
fn gradients_match_finite_differences() {
    let x = away_from_kinks(&[2, 2, 5, 6], -1.0, 1.0, 1);
    let o = Pool2dOptions { stride: Some([2, 1]), padding: Padding::Explicit([1, 1]), count_include_pad: true };
    grad_ok("max_pool2d", |v| weighted_sum(&v[0].max_pool2d([3, 2], &o)), &[x.clone()]);
    grad_ok("avg_pool2d", |v| weighted_sum(&v[0].avg_pool2d([3, 2], &o)), &[x.clone()]);
    let keras = Pool2dOptions { padding: Padding::Same, count_include_pad: false, stride: None };
    grad_ok("avg_pool2d same", |v| weighted_sum(&v[0].avg_pool2d([2, 4], &keras)), &[x.clone()]);
    grad_ok("adaptive_avg_pool2d", |v| weighted_sum(&v[0].adaptive_avg_pool2d([3, 4])), &[x.clone()]);
    grad_ok("global_avg_pool2d", |v| weighted_sum(&v[0].global_avg_pool2d()), &[x.clone()]);
    let l = away_from_kinks(&[2, 3, 7], -1.0, 1.0, 2);
    let o1 = Pool1dOptions { stride: Some(2), padding: Padding1d::Same, count_include_pad: true };
    grad_ok("max_pool1d", |v| weighted_sum(&v[0].max_pool1d(3, &o1)), &[l.clone()]);
    grad_ok("avg_pool1d", |v| weighted_sum(&v[0].avg_pool1d(3, &o1)), &[l.clone()]);
    grad_ok("adaptive_avg_pool1d", |v| weighted_sum(&v[0].adaptive_avg_pool1d(4)), &[l.clone()]);
    grad_ok("global_avg_pool1d", |v| weighted_sum(&v[0].global_avg_pool1d()), &[l]);
}

#[test]
fn adaptive_bins_follow_pytorch() {
    // 5 columns into 3 bins: [0, 2), [1, 4), [3, 5).
    let x = t(&[1.0, 2.0, 3.0, 4.0, 5.0], &[1, 1, 1, 5]);
    close(&x.adaptive_avg_pool2d([1, 3]), &[1.5, 3.0, 4.5]);
    // More bins than inputs repeat values; the 1-D version agrees.
    close(&x.reshape(&[1, 1, 5]).adaptive_avg_pool1d(7), &[1.0, 1.5, 2.5, 3.0, 3.5, 4.5, 5.0]);
    let big = away_from_kinks(&[2, 3, 9, 7], -1.0, 1.0, 3);
    close(&big.adaptive_avg_pool2d([1, 1]).reshape(&[2, 3]), &big.global_avg_pool2d().to_vec());
    close(&big.adaptive_avg_pool2d([9, 7]), &big.to_vec());
}

#[test]
fn max_ties_send_the_gradient_to_the_first() {
    let x = Tensor::ones(&[1, 1, 2, 2]).requires_grad();
    let g = x.max_pool2d([2, 2], &Default::default()).sum_all().backward();
    assert_eq!(g.get(&x).unwrap().to_vec(), vec![1.0, 0.0, 0.0, 0.0]);
    let l = t(&[0.0, 3.0, 1.0, 3.0], &[1, 1, 4]).requires_grad();
    let g = l.max_pool1d(4, &Default::default()).sum_all().backward();
    assert_eq!(g.get(&l).unwrap().to_vec(), vec![0.0, 1.0, 0.0, 0.0]);
}

#[test]
fn max_skips_nan_unless_the_window_is_all_nan() {
    let x = t(&[f32::NAN, 1.0, 2.0, f32::NAN, f32::NAN, f32::NAN], &[1, 1, 6]);
    let y = x.max_pool1d(3, &Default::default()).to_vec();
    assert_eq!(y[0], 2.0);
    assert!(y[1].is_nan());
    // The same rule on the 2×2 fast path: windows [NaN, 1, NaN, 3] and all NaN.
    let x = t(&[f32::NAN, 1.0, f32::NAN, f32::NAN, f32::NAN, 3.0, f32::NAN, f32::NAN], &[1, 1, 2, 4]);
    let y = x.max_pool2d([2, 2], &Default::default()).to_vec();
    assert_eq!(y[0], 3.0);
    assert!(y[1].is_nan());
}

#[test]
fn non_contiguous_inputs() {
    let x = away_from_kinks(&[2, 6, 5, 3], -1.0, 1.0, 4).permute(&[0, 3, 1, 2]);
    assert!(!x.array().is_standard_layout());
    let c = Tensor::from_array(x.to_array().as_standard_layout().to_owned());
    let o = Pool2dOptions { padding: Padding::Same, stride: Some([2, 2]), ..Default::default() };
    close(&x.max_pool2d([3, 3], &o), &c.max_pool2d([3, 3], &o).to_vec());
    close(&x.avg_pool2d([3, 3], &o), &c.avg_pool2d([3, 3], &o).to_vec());
    grad_ok("max_pool2d permuted", |v| weighted_sum(&v[0].max_pool2d([3, 3], &o)), &[x.clone()]);
    grad_ok("avg_pool2d permuted", |v| weighted_sum(&v[0].avg_pool2d([3, 3], &o)), &[x.clone()]);
    grad_ok("adaptive permuted", |v| weighted_sum(&v[0].adaptive_avg_pool2d([2, 3])), &[x]);
    let l = away_from_kinks(&[2, 7, 3], -1.0, 1.0, 5).transpose(1, 2);
    grad_ok("max_pool1d transposed", |v| weighted_sum(&v[0].max_pool1d(2, &Default::default())), &[l.clone()]);
    grad_ok("avg_pool1d transposed", |v| weighted_sum(&v[0].avg_pool1d(2, &Default::default())), &[l]);
}

#[test]
#[should_panic(expected = "max_pool2d: input must be [N, C, H, W], got shape [3, 4, 4]")]
fn max_pool2d_wants_four_axes() {
    Tensor::zeros(&[3, 4, 4]).max_pool2d([2, 2], &Default::default());
}

#[test]
#[should_panic(expected = "avg_pool2d: padding [2, 2, 0, 0] must be at most half the kernel [3, 3]")]
fn padding_at_most_half_the_kernel() {
    let o = Pool2dOptions { padding: Padding::Explicit([2, 0]), ..Default::default() };
    Tensor::zeros(&[1, 1, 4, 4]).avg_pool2d([3, 3], &o);
}

#[test]
#[should_panic(expected = "max_pool1d: kernel 5 is larger than input [1, 2, 3] with padding [0, 0]")]
fn kernel_larger_than_input() {
    Tensor::zeros(&[1, 2, 3]).max_pool1d(5, &Default::default());
}

#[test]
#[should_panic(expected = "avg_pool1d: causal padding is only for convolutions")]
fn no_causal_pooling() {
    let o = Pool1dOptions { padding: Padding1d::Causal, ..Default::default() };
    Tensor::zeros(&[1, 2, 3]).avg_pool1d(2, &o);
}

#[test]
#[should_panic(expected = "adaptive_avg_pool2d: cannot pool input [1, 1, 3, 3] to output size [0, 2]")]
fn adaptive_needs_a_size() {
    Tensor::zeros(&[1, 1, 3, 3]).adaptive_avg_pool2d([0, 2]);
}

#[test]
#[should_panic(expected = "global_avg_pool1d: input must be [N, C, L], got shape [2, 3, 4, 5]")]
fn global_pool_checks_the_rank() {
    Tensor::zeros(&[2, 3, 4, 5]).global_avg_pool1d();
}
