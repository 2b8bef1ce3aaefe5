//! `Conv1D`, `Conv2D`, `Conv2DTranspose` and the poolings: forward values against PyTorch
//! (reference/conv_layers.py), channels-last, gradients, masked global pooling,
//! a CNN in a `Sequential`, and a tiny CNN that trains.

use derin_data::Targets;
use derin_nn::{
    Activation, AveragePooling1D, AveragePooling2D, Conv1D, Conv2D, Conv2DTranspose, Ctx, DataFormat, Dense, Error,
    FitOptions, Flatten, GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalMaxPooling1D, GlobalMaxPooling2D, Loss,
    MaxPooling1D, MaxPooling2D, Metric, Module, Padding, Padding1d, Sequential,
};
use derin_tensor::{Rng, Tensor, check_gradients};

// Values printed by `python reference/conv_layers.py` with PyTorch 2.15.0+cu132; inputs and
// weights are `ramp(...)` with the arguments the script uses.
#[rustfmt::skip]
mod reference {
    // shape [1, 3, 3, 3]
    pub const CONV2D_STRIDE2_SAME: [f32; 27] = [0.0999999, -0.8, -0.3, 0.3, 0.35, -0.2, 1.55, -0.05, -0.15, -0.6, -0.55, 0.95, -0.75, 1.45, -1.2, -1.3, -0.45, -0.7, 1.6, -0.2, -0.15, 0.4, -0.5, -1.05, -0.9, 1.35, 0.25];
    // shape [1, 3, 5, 5]
    pub const CONV2D_DILATED_SAME: [f32; 75] = [0.8, -0.25, 0.15, 0.0, 0.05, 1.65, 0.35, -2.0, 1.7, 1.05, -0.9, 1.8, 0.55, -0.7, 0.65, -0.7, 1.05, 0.35, -2.0, 0.25, 0.0, -1.85, 0.9, 0.9, -0.5, -0.35, -0.25, 0.35, 0.95, 0.05, -0.1, -1.1, 1.05, -0.65, -1.1, -0.55, -0.8, -1.4, 0.75, -0.9, -0.45, 0.05, -1.1, 1.05, -0.7, -0.2, 0.5, -0.15, -1.35, 0.45, -0.35, 0.55, -0.05, -0.1, 0.15, -0.7, 0.7, 1.05, -0.8, 0.0, 0.95, -0.85, 0.6, -0.15, 0.1, 0.95, 0.9, 0.7, 1.05, 0.2, 0.4, 1.2, -0.05, 0.35, 0.45];
    // shape [1, 4, 3, 3]
    pub const CONV2D_GROUPS2: [f32; 36] = [2.95, -1.1, -1.3, -0.25, 1.2, -1.75, -1.25, 2.95, -1.1, -1.05, 0.05, 1.15, 0.05, -1.05, 1.15, -0.5, -1.05, 0.05, 1.4, -0.05, -0.95, -0.9, 3.15, -1.05, -1.55, 1.4, -0.05, -1.2, -1.35, 0.7, 0.8, -1.55, 1.05, 2.25, -1.2, -1.35];
    // shape [1, 3, 4]
    pub const CONV1D_STRIDE2_SAME: [f32; 12] = [-0.5, 0.6, 1.7, -0.9, 0.75, -0.85, -1.15, 0.4, 1.86265e-08, 0.6, -0.05, 1.1];
    // shape [1, 3, 3]
    pub const CONV1D_DILATED: [f32; 9] = [1.05, -0.6, 1.05, 1.0, -0.8, -1.5, 7.45058e-09, 0.5, -0.1];
    // shape [1, 4, 7]
    pub const CONV1D_GROUPS2_CAUSAL: [f32; 28] = [0.0, 0.05, 1.1, -0.4, -0.25, 1.0, -0.5, -0.4, 0.6, -0.75, -0.9, 0.6, -0.65, -0.8, 0.75, -0.15, -0.35, 1.1, -0.2, 1.25, -0.05, -0.85, -0.4, 0.55, -0.5, -0.45, -0.95, -0.9];
    // shape [1, 3, 7, 7]
    pub const CONV2DT_VALID: [f32; 147] = [0.3, 0.3, -1.25, 0.65, 0.55, 0.45, -0.15, -0.05, 0.65, 0.5, -0.75, 0.15, 0.05, 0.5, -0.1, -0.65, 0.7, 0.1, 0.8, 0.3, 7.45058e-09, 0.5, 0.3, -1.1, -0.55, 0.2, 0.25, 0.55, 1.0, -0.6, -0.65, 0.15, 0.55, 0.35, -0.25, 0.5, 0.5, -1.05, -0.35, 0.25, 0.45, 0.6, 0.5, 0.5, -0.9, -0.2, 0.15, 0.2, 0.35, -1.05, -0.35, 0.9, -0.35, -1.3, -0.35, -0.25, 0.35, -0.7, 0.2, 0.0, -0.3, -0.4, -0.3, 0.6, -0.65, 0.75, 0.2, -1.1, -0.6, -0.2, -1.25, 0.3, 0.35, -0.1, -0.15, -0.5, -0.2, -0.75, 0.8, 1.25, 1.49012e-08, -1.15, -0.8, 1.49012e-08, -1.2, 0.2, 0.5, -0.2, -1.49012e-08, -0.6, -0.1, -1.2, 0.2, 0.65, -0.05, -0.1, -0.85, -0.35, 0.85, 0.85, -1.05, 0.5, 0.45, 0.7, 0.1, 0.5, 0.5, -1.05, 0.85, 0.75, 0.65, 0.05, 0.35, -0.2, 0.55, -0.3, 0.6, 0.7, 0.4, 0.6, -0.65, 0.5, 0.8, 0.65, 0.6, -0.15, 1.1, -0.5, -0.95, -0.05, 0.75, 0.95, 0.35, 0.7, -0.7, 0.4, 0.75, 0.55, 0.55, -0.35, 0.7, 0.7, -0.85, -0.15, 0.45, 0.65, 0.8];
    // shape [1, 3, 6, 6]
    pub const CONV2DT_SAME: [f32; 108] = [0.3, 0.3, -1.25, 0.65, 0.55, 0.45, -0.05, 0.65, 0.5, -0.75, 0.15, 0.05, -0.1, -0.65, 0.7, 0.1, 0.8, 0.3, 0.5, 0.3, -1.1, -0.55, 0.2, 0.25, 1.0, -0.6, -0.65, 0.15, 0.55, 0.35, 0.5, 0.5, -1.05, -0.35, 0.25, 0.45, -1.05, -0.35, 0.9, -0.35, -1.3, -0.35, 0.35, -0.7, 0.2, 0.0, -0.3, -0.4, 0.6, -0.65, 0.75, 0.2, -1.1, -0.6, -1.25, 0.3, 0.35, -0.1, -0.15, -0.5, -0.75, 0.8, 1.25, 1.49012e-08, -1.15, -0.8, -1.2, 0.2, 0.5, -0.2, -1.49012e-08, -0.6, 0.85, 0.85, -1.05, 0.5, 0.45, 0.7, 0.5, 0.5, -1.05, 0.85, 0.75, 0.65, 0.35, -0.2, 0.55, -0.3, 0.6, 0.7, 0.6, -0.65, 0.5, 0.8, 0.65, 0.6, 1.1, -0.5, -0.95, -0.05, 0.75, 0.95, 0.7, -0.7, 0.4, 0.75, 0.55, 0.55];
    // shape [1, 3, 9, 9]
    pub const CONV2DT_K2_S3: [f32; 243] = [-0.2, -0.2, 0.1, -0.2, 0.85, 0.1, -0.2, 0.25, 0.1, 0.5, -0.55, 0.1, 0.15, 0.15, 0.1, 0.35, -0.25, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.9, -0.35, 0.1, -0.2, 0.7, 0.1, -0.2, 0.1, 0.1, -0.55, 1.0, 0.1, 0.2, 0.05, 0.1, 0.4, -0.35, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.9, -0.5, 0.1, -0.2, 0.55, 0.1, -0.2, -0.05, 0.1, -0.5, 0.9, 0.1, 0.25, -0.05, 0.1, 0.45, -0.45, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, -0.15, -0.15, -0.2, -0.85, 0.2, -0.2, -0.45, 0.0, -0.2, 0.55, -0.5, -0.2, -0.5, -0.5, -0.2, 0.1, -0.5, -0.2, -0.2, -0.2, -0.2, -0.2, -0.2, -0.2, -0.2, -0.2, -0.2, 0.5, -0.75, -0.2, -0.75, 0.15, -0.2, -0.35, -0.05, -0.2, -0.95, 0.6, -0.2, -0.35, -0.5, -0.2, 0.25, -0.5, -0.2, -0.2, -0.2, -0.2, -0.2, -0.2, -0.2, -0.2, -0.2, -0.2, 0.6, -0.8, -0.2, -0.65, 0.1, -0.2, -0.25, -0.1, -0.2, -0.8, 0.6, -0.2, -0.2, -0.5, -0.2, 0.4, -0.5, -0.2, -0.2, -0.2, -0.2, -0.2, -0.2, -0.2, -0.2, -0.2, -0.2, 0.0, 0.7, 0.3, 1.05, 0.35, 0.3, 0.45, 0.55, 0.3, -0.35, 0.35, 0.3, 0.35, -0.35, 0.3, -0.05, 0.05, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, -0.15, -0.35, 0.3, 0.9, 0.4, 0.3, 0.3, 0.6, 0.3, 1.2, 1.0, 0.3, 0.25, -0.25, 0.3, -0.15, 0.15, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, -0.3, -0.3, 0.3, 0.75, 0.45, 0.3, 0.15, 0.65, 0.3, 1.1, 1.1, 0.3, 0.15, -0.15, 0.3, -0.25, 0.25, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3];
    // shape [1, 2, 2, 2]
    pub const MAXPOOL2D_2: [f32; 8] = [1.25, 0.75, 1.0, 1.25, 1.0, 0.5, 0.75, 1.0];
    // shape [1, 2, 3, 3]
    pub const MAXPOOL2D_3_S2_SAME: [f32; 18] = [1.25, 1.25, 1.0, 1.0, 1.25, 0.75, 1.0, 1.25, 1.25, 1.0, 1.0, 1.25, 0.75, 1.0, 1.25, 1.25, 1.0, 1.0];
    // shape [1, 2, 3, 3]
    pub const AVGPOOL2D_2_SAME: [f32; 18] = [-0.0625, 0.0, -0.125, 0.25, 0.3125, -0.5, -0.375, 0.375, 0.25, -0.3125, -0.25, 1.0, 0.0, 0.0625, -0.75, 0.75, 0.125, 0.0];
    // shape [1, 2, 3, 3]
    pub const AVGPOOL2D_3_S2_SAME: [f32; 18] = [-0.0625, 0.0416667, -0.3125, 0.0, 0.0277778, -0.25, 0.0625, 0.166667, 0.5, -0.3125, -0.208333, 0.125, -0.25, -0.222222, -0.0416667, 0.5, -0.0833333, 0.25];
    // shape [1, 2, 3]
    pub const MAXPOOL1D_2: [f32; 6] = [1.25, 0.25, 1.0, 0.75, 0.5, 1.25];
    // shape [1, 2, 4]
    pub const AVGPOOL1D_3_S2_SAME: [f32; 8] = [0.375, 0.25, 0.0833333, -0.5, 0.25, -0.333333, 0.416667, 0.75];
}
use reference::*;

/// `((i·a + b) mod m − c) / d` at flat index `i`, as `ramp` in the reference script.
fn ramp(shape: &[usize], a: usize, b: usize, m: usize, c: f32, d: f32) -> Tensor {
    let n: usize = shape.iter().product();
    Tensor::from_vec((0..n).map(|i| ((i * a + b) % m) as f32 - c).map(|v| v / d).collect(), shape)
}

/// The script's image `[1, 2, 5, 5]` and signal `[1, 2, 7]`.
fn image() -> Tensor {
    ramp(&[1, 2, 5, 5], 7, 3, 11, 5.0, 4.0)
}

fn signal() -> Tensor {
    ramp(&[1, 2, 7], 7, 3, 11, 5.0, 4.0)
}

/// The script's weights of `shape`.
fn weight(shape: &[usize]) -> Tensor {
    ramp(shape, 5, 1, 7, 3.0, 5.0)
}

fn bias(n: usize) -> Tensor {
    Tensor::from_vec(vec![0.1, -0.2, 0.3, -0.4][..n].to_vec(), &[n])
}

#[track_caller]
fn close(got: &Tensor, want: &[f32]) {
    let got = got.to_vec();
    assert_eq!(got.len(), want.len(), "{got:?}");
    for (i, (a, b)) in got.iter().zip(want).enumerate() {
        assert!((a - b).abs() < 1e-5, "index {i}: {a} vs {b}\n{got:?}");
    }
}

/// `layer` built for `input` with the script's weights of `kernel` shape and `filters` biases.
fn built<L: Module>(mut layer: L, input: &[usize], kernel: &[usize], filters: usize) -> L {
    layer.build(input, &mut Rng::seed(0)).unwrap();
    let ws = layer.weights();
    assert_eq!(ws[0].shape(), kernel, "{}", layer.label());
    ws[0].set(weight(kernel).to_array());
    ws[1].set(bias(filters).to_array());
    layer
}

fn run(layer: &dyn Module, x: &Tensor) -> Tensor {
    let y = layer.forward(x, &mut Ctx::eval());
    let mut expected = vec![x.shape()[0]];
    expected.extend(layer.output_shape(&x.shape()[1..]).unwrap());
    assert_eq!(y.shape(), expected, "{}: forward and output_shape disagree", layer.label());
    y
}

#[test]
fn conv2d_matches_pytorch() {
    let lin = Activation::Linear;
    let conv = Conv2D::new(3, [3, 3], lin).with_strides([2, 2]).with_padding(Padding::Same);
    close(&run(&built(conv, &[2, 5, 5], &[3, 2, 3, 3], 3), &image()), &CONV2D_STRIDE2_SAME);
    let conv = Conv2D::new(3, [2, 2], lin).with_dilation_rate([2, 2]).with_padding(Padding::Same);
    close(&run(&built(conv, &[2, 5, 5], &[3, 2, 2, 2], 3), &image()), &CONV2D_DILATED_SAME);
    let conv = Conv2D::new(4, [3, 3], lin).with_groups(2);
    close(&run(&built(conv, &[2, 5, 5], &[4, 1, 3, 3], 4), &image()), &CONV2D_GROUPS2);
}

#[test]
fn conv1d_matches_pytorch() {
    let lin = Activation::Linear;
    let conv = Conv1D::new(3, 3, lin).with_strides(2).with_padding(Padding1d::Same);
    close(&run(&built(conv, &[2, 7], &[3, 2, 3], 3), &signal()), &CONV1D_STRIDE2_SAME);
    let conv = Conv1D::new(3, 3, lin).with_dilation_rate(2);
    close(&run(&built(conv, &[2, 7], &[3, 2, 3], 3), &signal()), &CONV1D_DILATED);
    let conv = Conv1D::new(4, 3, lin).with_groups(2).with_padding(Padding1d::Causal);
    close(&run(&built(conv, &[2, 7], &[4, 1, 3], 4), &signal()), &CONV1D_GROUPS2_CAUSAL);
}

#[test]
fn conv2d_transpose_matches_pytorch_with_keras_sizes() {
    let x = ramp(&[1, 2, 3, 3], 7, 3, 11, 5.0, 4.0);
    let up = |k: usize, s: usize| Conv2DTranspose::new(3, [k, k], Activation::Linear).with_strides([s, s]);
    close(&run(&built(up(3, 2), &[2, 3, 3], &[2, 3, 3, 3], 3), &x), &CONV2DT_VALID); // (3 − 1)·2 + 3
    let same = up(3, 2).with_padding(Padding::Same);
    close(&run(&built(same, &[2, 3, 3], &[2, 3, 3, 3], 3), &x), &CONV2DT_SAME); // 3·2
    // Kernel 2 < stride 3: Keras' valid output is 3·3 = 9, the last row/column bias only.
    close(&run(&built(up(2, 3), &[2, 3, 3], &[2, 3, 2, 2], 3), &x), &CONV2DT_K2_S3);
}

#[test]
fn poolings_match_pytorch() {
    let x = image();
    close(&run(&MaxPooling2D::new([2, 2]), &x), &MAXPOOL2D_2);
    let same = MaxPooling2D::new([3, 3]).with_strides([2, 2]).with_padding(Padding::Same);
    close(&run(&same, &x), &MAXPOOL2D_3_S2_SAME);
    // Same padding [0, 1] on each axis; averages do not count the padding.
    close(&run(&AveragePooling2D::new([2, 2]).with_padding(Padding::Same), &x), &AVGPOOL2D_2_SAME);
    let same = AveragePooling2D::new([3, 3]).with_strides([2, 2]).with_padding(Padding::Same);
    close(&run(&same, &x), &AVGPOOL2D_3_S2_SAME);
    close(&run(&MaxPooling1D::new(2), &signal()), &MAXPOOL1D_2);
    let same = AveragePooling1D::new(3).with_strides(2).with_padding(Padding1d::Same);
    close(&run(&same, &signal()), &AVGPOOL1D_3_S2_SAME);
}

#[test]
fn channels_last_gives_the_permuted_channels_first_result() {
    let last = DataFormat::ChannelsLast;
    let (x2, x1) = (image().permute(&[0, 2, 3, 1]), signal().permute(&[0, 2, 1]));
    let conv = Conv2D::new(3, [3, 3], Activation::Linear).with_strides([2, 2]).with_padding(Padding::Same);
    let conv = built(conv.with_data_format(last), &[5, 5, 2], &[3, 2, 3, 3], 3);
    close(&run(&conv, &x2).permute(&[0, 3, 1, 2]), &CONV2D_STRIDE2_SAME);
    let conv = Conv1D::new(4, 3, Activation::Linear).with_groups(2).with_padding(Padding1d::Causal);
    let conv = built(conv.with_data_format(last), &[7, 2], &[4, 1, 3], 4);
    close(&run(&conv, &x1).permute(&[0, 2, 1]), &CONV1D_GROUPS2_CAUSAL);
    let up = Conv2DTranspose::new(3, [3, 3], Activation::Linear).with_strides([2, 2]).with_data_format(last);
    let up = built(up, &[3, 3, 2], &[2, 3, 3, 3], 3);
    let xt = ramp(&[1, 2, 3, 3], 7, 3, 11, 5.0, 4.0).permute(&[0, 2, 3, 1]);
    close(&run(&up, &xt).permute(&[0, 3, 1, 2]), &CONV2DT_VALID);
    let pool = MaxPooling2D::new([3, 3]).with_strides([2, 2]).with_padding(Padding::Same).with_data_format(last);
    close(&run(&pool, &x2).permute(&[0, 3, 1, 2]), &MAXPOOL2D_3_S2_SAME);
    let pool = AveragePooling2D::new([2, 2]).with_padding(Padding::Same).with_data_format(last);
    close(&run(&pool, &x2).permute(&[0, 3, 1, 2]), &AVGPOOL2D_2_SAME);
    let pool = AveragePooling1D::new(3).with_strides(2).with_padding(Padding1d::Same).with_data_format(last);
    close(&run(&pool, &x1).permute(&[0, 2, 1]), &AVGPOOL1D_3_S2_SAME);
    let gap = GlobalAveragePooling2D::new().with_data_format(last);
    close(&run(&gap, &x2), &GlobalAveragePooling2D::new().forward(&image(), &mut Ctx::eval()).to_vec());
}

/// Distinct values away from 0 (no ties for max pooling, no kinks).
fn distinct(shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    Tensor::from_vec((0..n).map(|i| ((i * 37 + 11) % 101) as f32 / 40.0 - 1.23).collect(), shape)
}

/// Finite-difference checks of the gradient of `Σ c·layer(x)` (fixed coefficients `c`)
/// with respect to the input and to every weight of `layer`.
fn check_layer(layer: &dyn Module, x: Tensor) {
    let y_shape = layer.forward(&x, &mut Ctx::eval()).shape().to_vec();
    let c = distinct(&y_shape);
    let f = |x: &Tensor| layer.forward(x, &mut Ctx::eval()).mul(&c).sum_all();
    check_gradients(|xs| f(&xs[0]), std::slice::from_ref(&x)).unwrap_or_else(|e| panic!("{}: {e}", layer.label()));
    let grads = f(&x).backward();
    for p in layer.weights() {
        let analytic = grads.param(&p).unwrap_or_else(|| panic!("{}: no gradient", p.name())).clone();
        let base = p.value().to_array();
        for (i, a) in analytic.iter().enumerate() {
            let at = |d: f32| {
                let mut moved = base.clone();
                moved.as_slice_mut().unwrap()[i] += d;
                p.set(moved);
                f(&x).item()
            };
            let numeric = (at(1e-2) - at(-1e-2)) / 2e-2;
            p.set(base.clone());
            assert!((a - numeric).abs() < 1e-2 * (1.0 + a.abs()), "{} [{i}]: {a} vs {numeric}", p.name());
        }
    }
}

#[test]
fn gradients_reach_inputs_and_weights() {
    let rng = &mut Rng::seed(1);
    let tanh = Activation::Tanh;
    let mut conv = Conv2D::new(4, [3, 3], tanh).with_strides([2, 1]).with_padding(Padding::Same).with_groups(2);
    conv.build(&[2, 5, 4], rng).unwrap();
    check_layer(&conv, distinct(&[2, 2, 5, 4]));
    let mut conv = Conv1D::new(3, 2, tanh).with_dilation_rate(2).with_data_format(DataFormat::ChannelsLast);
    conv.build(&[6, 2], rng).unwrap();
    check_layer(&conv, distinct(&[2, 6, 2]));
    let mut up = Conv2DTranspose::new(2, [3, 2], tanh).with_strides([2, 3]).with_padding(Padding::Same);
    up.build(&[2, 3, 2], rng).unwrap();
    check_layer(&up, distinct(&[1, 2, 3, 2]));
    let x = distinct(&[2, 2, 5, 5]);
    check_layer(&MaxPooling2D::new([3, 3]).with_strides([2, 2]).with_padding(Padding::Same), x.clone());
    check_layer(&AveragePooling2D::new([2, 2]).with_padding(Padding::Same), x.clone());
    check_layer(&GlobalAveragePooling2D::new(), x.clone());
    check_layer(&GlobalMaxPooling2D::new().with_keepdims(true), x);
    let x = distinct(&[2, 3, 7]);
    check_layer(&MaxPooling1D::new(2).with_data_format(DataFormat::ChannelsLast), x.permute(&[0, 2, 1]));
    check_layer(&AveragePooling1D::new(3).with_strides(2).with_padding(Padding1d::Same), x.clone());
    check_layer(&GlobalAveragePooling1D::new(), x.clone());
    check_layer(&GlobalMaxPooling1D::new(), x);
}

#[test]
fn masked_global_pooling_uses_the_kept_steps_only() {
    // x [batch 3, time 3, features 2] (channels-last, as Embedding gives):
    // sample 0 steps (1, 2), (3, −4), (5, 6); sample 1 steps (−1, 0.5), (2, −3), (7, 7);
    // sample 2 steps (4, 4), (4, 4), (4, 4).
    let x = Tensor::from_vec(
        vec![1.0, 2.0, 3.0, -4.0, 5.0, 6.0, -1.0, 0.5, 2.0, -3.0, 7.0, 7.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0],
        &[3, 3, 2],
    );
    // Keep steps {0, 1}, {0}, none.
    let mask = Tensor::from_vec(vec![1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0], &[3, 3]);
    let last = DataFormat::ChannelsLast;
    let pooled = |layer: &dyn Module, x: &Tensor| {
        let mut ctx = Ctx::eval();
        ctx.set_mask(Some(mask.clone()));
        let y = layer.forward(x, &mut ctx);
        assert!(ctx.mask().is_none(), "{} consumes the mask", layer.label());
        y
    };
    // Averages: ((1+3)/2, (2−4)/2), (−1/1, 0.5/1), nothing kept → 0.
    let avg = [2.0, -1.0, -1.0, 0.5, 0.0, 0.0];
    // Maxima: (max(1, 3), max(2, −4)), (−1, 0.5), nothing kept → 0.
    let max = [3.0, 2.0, -1.0, 0.5, 0.0, 0.0];
    close(&pooled(&GlobalAveragePooling1D::new().with_data_format(last), &x), &avg);
    close(&pooled(&GlobalMaxPooling1D::new().with_data_format(last), &x), &max);
    // Channels-first [batch, features, time]: the same numbers.
    let first = x.permute(&[0, 2, 1]);
    close(&pooled(&GlobalAveragePooling1D::new(), &first), &avg);
    let kept = pooled(&GlobalMaxPooling1D::new().with_keepdims(true), &first);
    assert_eq!(kept.shape(), &[3, 2, 1]);
    close(&kept, &max);
    // Gradients: 1/kept count on the kept steps of the average, 0 on masked ones.
    let mut ctx = Ctx::eval();
    ctx.set_mask(Some(mask.clone()));
    let xg = x.clone().requires_grad();
    let g = GlobalAveragePooling1D::new().with_data_format(last).forward(&xg, &mut ctx).sum_all().backward();
    let want = [0.5, 0.5, 0.5, 0.5, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
    assert_eq!(g.array(&xg).unwrap().iter().copied().collect::<Vec<f32>>(), want);
    // Finite differences through the masked poolings (distinct values: no ties).
    for layer in [&GlobalAveragePooling1D::new() as &dyn Module, &GlobalMaxPooling1D::new()] {
        let f = |xs: &[Tensor]| {
            let mut ctx = Ctx::eval();
            ctx.set_mask(Some(mask.clone()));
            layer.forward(&xs[0], &mut ctx).mul(&distinct(&[3, 2])).sum_all()
        };
        check_gradients(f, &[distinct(&[3, 2, 3])]).unwrap_or_else(|e| panic!("{}: {e}", layer.label()));
    }
    // Without a mask every step counts; 2-D pooling leaves a mask alone.
    close(
        &GlobalMaxPooling1D::new().with_data_format(last).forward(&x, &mut Ctx::eval()),
        &[5.0, 6.0, 7.0, 7.0, 4.0, 4.0],
    );
    let mut ctx = Ctx::eval();
    ctx.set_mask(Some(mask.clone()));
    GlobalMaxPooling2D::new().forward(&x.reshape(&[3, 1, 3, 2]), &mut ctx);
    assert!(ctx.mask().is_some());
    Flatten::new().forward(&x, &mut ctx);
    assert!(ctx.mask().is_none(), "Flatten clears the mask");
}

fn cnn(input: &[usize]) -> Result<Sequential, Error> {
    Sequential::with_seed(input, 3)
        .add(Conv2D::new(4, [3, 3], Activation::Relu))?
        .add(MaxPooling2D::new([2, 2]))?
        .add(Flatten::new())?
        .add(Dense::new(2, Activation::Softmax))
}

#[test]
fn a_cnn_in_a_sequential_builds_with_keras_shapes_and_counts() {
    let model = cnn(&[1, 10, 10]).unwrap();
    let shapes: Vec<Vec<usize>> = model.layer_shapes().to_vec();
    assert_eq!(shapes, vec![vec![4, 8, 8], vec![4, 4, 4], vec![64], vec![2]]);
    // conv2d: 4·1·3·3 + 4 = 40; dense: 64·2 + 2 = 130.
    assert_eq!(model.count_params(), 170);
    let names: Vec<String> = model.params().iter().map(|p| p.name().to_string()).collect();
    assert_eq!(names, ["conv2d/kernel", "conv2d/bias", "dense/kernel", "dense/bias"]);
    assert_eq!(model.params()[0].shape(), vec![4, 1, 3, 3]);
    let s = model.summary();
    assert!(s.contains("conv2d (Conv2D)") && s.contains("max_pooling2d (MaxPooling2D)"), "{s}");
    assert!(s.contains("(None, 4, 8, 8)"), "{s}");
    let y = model.predict(&Tensor::ones(&[3, 1, 10, 10]), 2).unwrap();
    assert_eq!(y.shape(), &[3, 2]);
    // An input without a channel axis: the error names the layer and both shapes.
    let err = cnn(&[10, 10]).err().unwrap();
    assert!(matches!(err, Error::Incompatible { .. }));
    let msg = err.to_string();
    assert!(
        msg.contains("conv2d (Conv2D)") && msg.contains("[10, 10]") && msg.contains("[channels, height, width]"),
        "{msg}"
    );
    // An image smaller than the kernel with valid padding.
    let msg = cnn(&[1, 2, 2]).err().unwrap().to_string();
    assert!(msg.contains("conv2d (Conv2D)") && msg.contains("[1, 2, 2]") && msg.contains("[3, 3]"), "{msg}");
}

#[test]
fn built_layers_check_channels_and_hyperparameters() {
    let mut conv = Conv2D::new(2, [3, 3], Activation::Linear);
    conv.build(&[3, 8, 8], &mut Rng::seed(0)).unwrap();
    let err = conv.output_shape(&[1, 8, 8]).unwrap_err().to_string();
    assert!(err.contains("conv2d (Conv2D)") && err.contains("3 channels") && err.contains("[1, 8, 8]"), "{err}");
    let err = Conv1D::new(3, 2, Activation::Linear).with_groups(2).output_shape(&[4, 8]).unwrap_err();
    assert!(matches!(err, Error::Hyperparameter { .. }) && err.to_string().contains("groups 2"), "{err}");
    let err = Conv1D::new(4, 2, Activation::Linear).with_groups(2).output_shape(&[3, 8]).unwrap_err();
    assert!(err.to_string().contains("divisible by groups = 2"), "{err}");
    let err = Conv2D::new(1, [3, 3], Activation::Linear).with_strides([0, 1]).output_shape(&[1, 8, 8]).unwrap_err();
    assert!(err.to_string().contains("strides [0, 1]"), "{err}");
    let mut up = Conv2DTranspose::new(2, [3, 3], Activation::Linear);
    up.build(&[5, 4, 4], &mut Rng::seed(0)).unwrap();
    assert!(up.output_shape(&[4, 4, 4]).unwrap_err().to_string().contains("5 channels"));
    let crop = Conv2DTranspose::new(1, [2, 2], Activation::Linear).with_padding(Padding::Explicit([1, 1]));
    assert!(crop.output_shape(&[1, 1, 1]).is_err()); // (1 − 1) + 2 − 2 = 0 rows
    assert_eq!(crop.output_shape(&[1, 3, 3]).unwrap(), vec![1, 2, 2]); // 4 − 2
    let err = GlobalAveragePooling1D::new().output_shape(&[3, 4, 5]).unwrap_err().to_string();
    assert!(err.contains("global_average_pooling1d (GlobalAveragePooling1D)") && err.contains("[3, 4, 5]"), "{err}");
}

#[test]
fn kernels_use_keras_glorot_fans_and_freeze() {
    // Conv2D(6, 3×3, groups 2) on 4 channels: fan_in = 4/2·9 = 18, fan_out = 6·9 = 54.
    let mut conv = Conv2D::new(6, [3, 3], Activation::Linear).with_groups(2);
    conv.build(&[4, 5, 5], &mut Rng::seed(0)).unwrap();
    let limit = (6.0f32 / (18.0 + 54.0)).sqrt();
    let k = conv.kernel().unwrap().value().to_vec();
    assert!(k.iter().all(|v| v.abs() <= limit) && k.iter().any(|v| v.abs() > 0.9 * limit));
    // Conv2DTranspose(5, 2×2) on 3 channels, kernel [3, 5, 2, 2]: Keras' fans 5·4 and 3·4.
    let mut up = Conv2DTranspose::new(5, [2, 2], Activation::Linear);
    up.build(&[3, 4, 4], &mut Rng::seed(0)).unwrap();
    assert_eq!(up.kernel().unwrap().shape(), vec![3, 5, 2, 2]);
    let limit = (6.0f32 / (20.0 + 12.0)).sqrt();
    let k = up.kernel().unwrap().value().to_vec();
    assert!(k.iter().all(|v| v.abs() <= limit) && k.iter().any(|v| v.abs() > 0.9 * limit));
    // Frozen: no trainable weights, no gradient reaches the kernel.
    conv.set_trainable(false);
    assert!(conv.params().is_empty() && conv.non_trainable_params().len() == 2);
    let grads = conv.forward(&Tensor::ones(&[1, 4, 5, 5]), &mut Ctx::train(0)).sum_all().backward();
    assert!(grads.param(conv.kernel().unwrap()).is_none());
}

/// 6×6 images with one bright bar: class 0 horizontal, class 1 vertical.
fn bars(n: usize) -> (Tensor, Targets) {
    let mut pixels = vec![0.0; n * 36];
    let mut labels = Vec::with_capacity(n);
    for s in 0..n {
        let (class, line) = (s % 2, (s / 2) % 6);
        for t in 0..6 {
            let (r, c) = if class == 0 { (line, t) } else { (t, line) };
            pixels[s * 36 + r * 6 + c] = 1.0;
        }
        labels.push(class);
    }
    (Tensor::from_vec(pixels, &[n, 1, 6, 6]), Targets::Labels(labels))
}

#[test]
fn a_tiny_cnn_learns_to_tell_bars_apart() {
    let (x, y) = bars(24);
    let mut model = Sequential::with_seed(&[1, 6, 6], 7)
        .add(Conv2D::new(4, [3, 3], Activation::Relu).with_padding(Padding::Same))
        .unwrap()
        .add(MaxPooling2D::new([2, 2]))
        .unwrap()
        .add(Flatten::new())
        .unwrap()
        .add(Dense::new(2, Activation::Softmax))
        .unwrap();
    let adam = derin_optim::Adam::try_new(derin_optim::AdamConfig {
        learning_rate: 0.02,
        ..derin_optim::AdamConfig::default()
    })
    .unwrap();
    model.compile(Box::new(adam), Loss::SparseCategoricalCrossentropy { from_logits: false }, vec![Metric::Accuracy]);
    let h = model.fit(&x, &y, FitOptions { epochs: 30, batch_size: 8, ..FitOptions::default() }).unwrap();
    let loss = h.loss();
    assert!(loss[29] < 0.3 * loss[0], "{loss:?}");
    assert!(h.metric(Metric::Accuracy)[29] >= 0.95, "{:?}", h.metric(Metric::Accuracy));
}

#[test]
fn convolutions_and_poolings_stop_a_mask_as_keras_does() {
    // Keras 3.15 drops the mask at Conv1D and MaxPooling1D (they do not support masking):
    // Embedding(mask_zero=True) → Conv1D(same) → GlobalAveragePooling1D predicts exactly
    // what the same model with mask_zero=False predicts (checked in Keras: identical).
    let ids = Tensor::from_vec(vec![3.0, 4.0, 5.0, 0.0, 0.0, 0.0], &[1, 6]);
    let last = DataFormat::ChannelsLast;
    let model = |mask_zero: bool, middle: Box<dyn Module>, pool: Box<dyn Module>| {
        Sequential::with_seed(&[6], 3)
            .add(derin_nn::Embedding::new(10, 3).unwrap().with_mask_zero(mask_zero))
            .unwrap()
            .add_boxed(middle)
            .unwrap()
            .add_boxed(pool)
            .unwrap()
    };
    let conv = || Box::new(Conv1D::new(3, 2, Activation::Linear).with_padding(Padding1d::Same).with_data_format(last));
    let pool = || Box::new(MaxPooling1D::new(2).with_data_format(last));
    let avg = || Box::new(GlobalAveragePooling1D::new().with_data_format(last));
    let max = || Box::new(GlobalMaxPooling1D::new().with_data_format(last));
    let predict = |m: Sequential| m.predict(&ids, 1).unwrap().to_vec();
    assert_eq!(predict(model(true, conv(), avg())), predict(model(false, conv(), avg())));
    // Pooling shortens the sequence: the mask must not reach the global pooling (this
    // used to panic on the length mismatch).
    assert_eq!(predict(model(true, pool(), max())), predict(model(false, pool(), max())));
    assert_eq!(predict(model(true, pool(), avg())), predict(model(false, pool(), avg())));
    // Without the convolution the mask does reach the pooling and changes the average.
    let direct = |mask_zero| {
        Sequential::with_seed(&[6], 3)
            .add(derin_nn::Embedding::new(10, 3).unwrap().with_mask_zero(mask_zero))
            .unwrap()
            .add(GlobalAveragePooling1D::new().with_data_format(last))
            .unwrap()
    };
    assert_ne!(predict(direct(true)), predict(direct(false)));
}
