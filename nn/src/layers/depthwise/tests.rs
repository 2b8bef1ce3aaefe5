//! DepthwiseConv2D against Keras' outputs, finite differences, configs and shape errors.

use derin_tensor::{Padding, Rng, Tensor, check_gradients};

use super::*;
use crate::layer_from_config;

/// Keras 3.15.1 `same_stride` output, shape [2, 3, 6, 6] (channels-last), reference/keras_depthwise.py.
#[rustfmt::skip]
const SAME_STRIDE: [f32; 216] = [1.529773, 1.046374, 0.031522, -0.551455, -1.347973, -1.611559, 1.905707, 1.599456, 0.769343, 0.267093, -0.412026, -0.761435, 1.615922, 1.628734, 1.308277, 1.097136, 0.807586, 0.529344, 0.76165, 1.123981, 1.460058, 1.648717, 1.884816, 1.809873, -0.358689, 0.261523, 1.171664, 1.729152, 2.443357, 2.632825, -1.262919, -1.026693, -0.528487, -0.032991, 0.848226, 1.355678, -2.493891, -2.493044, -2.188416, -1.677577, -0.80262, 0.039883, -1.622657, -2.071522, -2.432063, -2.385055, -2.014254, -1.428089, -0.184582, -0.891425, -1.756255, -2.154566, -2.38252, -2.222524, 1.317972, 0.635005, -0.397071, -1.066626, -1.778772, -2.065903, 2.360121, 1.974543, 1.170687, 0.498715, -0.413916, -1.012939, 1.236788, 1.497241, 1.594032, 1.570924, 1.352624, 1.108341, 0.349069, 1.112946, 2.011228, 2.422377, 2.484016, 2.40161, -0.437818, 0.234154, 1.004503, 1.513416, 1.771613, 1.986836, -1.071762, -0.691502, -0.283258, 0.180574, 0.580067, 1.052667, -1.331309, -1.340664, -1.402204, -1.110549, -0.674382, -0.074565, -1.125792, -1.48656, -1.961453, -1.908927, -1.553518, -1.001084, 0.621884, 0.29563, -0.409743, -0.700308, -1.059249, -1.038027, -1.903232, -1.386219, -0.341158, 0.369066, 1.259068, 1.808018, -1.640526, -1.438696, -0.892784, -0.46658, 0.04293, 0.527077, -0.804737, -0.953662, -1.062668, -1.034437, -1.048473, -0.763323, 0.31217, -0.100554, -0.791467, -1.136137, -1.633882, -1.612407, 1.320026, 0.822614, -0.173917, -0.736153, -1.508798, -1.723567, 1.544845, 1.567051, 1.195984, 0.909284, 0.215477, -0.102583, 1.672823, 2.305994, 2.840736, 2.973766, 2.778852, 2.377862, 0.24904, 1.150499, 2.2003, 2.782737, 3.186832, 3.207695, -1.261739, -0.371964, 0.861102, 1.724417, 2.621293, 3.091653, -2.331757, -1.729558, -0.709038, 0.168507, 1.279791, 2.070271, -2.587225, -2.448034, -1.961625, -1.341469, -0.369046, 0.500349, -0.533059, -0.791466, -1.040112, -1.087221, -1.024679, -0.785329, 0.406512, -0.0737, -0.654595, -0.962226, -1.012963, -1.015974, 1.051831, 0.856709, 0.630309, 0.361822, 0.166325, -0.097722, 1.329715, 1.522779, 1.764894, 1.664274, 1.427243, 1.029331, 1.143092, 1.691831, 2.352816, 2.490146, 2.329315, 1.971474, 0.557153, 1.30481, 2.188698, 2.550937, 2.557422, 2.399588, -0.847487, -0.347021, 0.514251, 0.999554, 1.47023, 1.704896];

/// Keras 3.15.1 `valid_dilated` output, shape [2, 1, 5, 6] (channels-last), reference/keras_depthwise.py.
#[rustfmt::skip]
const VALID_DILATED: [f32; 60] = [1.689895, 1.868784, 1.501263, 1.196697, 0.060742, -0.315266, 1.596479, 1.56666, 0.750166, 0.413741, -0.513955, -0.678431, 0.945367, 0.752189, -0.19312, -0.408948, -0.769382, -0.629935, -0.035989, -0.29011, -0.999078, -0.983981, -0.61631, -0.186721, -1.004773, -1.196132, -1.386163, -1.110483, -0.108212, 0.496385, -1.612323, -1.390706, -0.38717, 0.151068, 1.295463, 1.671165, -0.980892, -0.592725, 0.554622, 0.978066, 1.566778, 1.640376, -0.006807, 0.447246, 1.372535, 1.568196, 1.430503, 1.21122, 0.969656, 1.365913, 1.780848, 1.715309, 0.934245, 0.533615, 1.60739, 1.842361, 1.636925, 1.368014, 0.251359, -0.155733];

/// The layer of the reference script (`kh = 3`, `kw = 2`, `C = 3`, `M = 2`) with its
/// formula weights, channels-last.
fn keras_like(layer: DepthwiseConv2D) -> DepthwiseConv2D {
    let mut layer = layer.with_depth_multiplier(2).with_data_format(DataFormat::ChannelsLast);
    layer.build(&[5, 6, 3], &mut Rng::seed(0)).unwrap();
    let kernel: Vec<f32> = (0..36)
        .map(|i| {
            let (c, m, a, b) = (i / 12, i / 6 % 2, i / 2 % 3, i % 2);
            (0.3 * (7 * a + 5 * b + 3 * c + m) as f32).sin()
        })
        .collect();
    layer.depthwise_kernel().unwrap().set(Tensor::from_vec(kernel, &[3, 2, 3, 2]).to_array());
    let bias = (0..6).map(|k| 0.1 * k as f32).collect();
    layer.bias().unwrap().set(Tensor::from_vec(bias, &[6]).to_array());
    layer
}

fn input() -> Tensor {
    let x: Vec<f32> = (0..180)
        .map(|k| {
            let (n, i, j, c) = (k / 90, k / 18 % 5, k / 3 % 6, k % 3);
            (0.2 * (50 * n + 11 * i + 3 * j + c) as f32).cos()
        })
        .collect();
    Tensor::from_vec(x, &[2, 5, 6, 3])
}

fn close(got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len());
    for (i, (a, b)) in got.iter().zip(want).enumerate() {
        assert!((a - b).abs() < 2e-5, "element {i}: {a} vs {b}");
    }
}

#[test]
fn outputs_match_keras() {
    let same =
        keras_like(DepthwiseConv2D::new([3, 2], Activation::Linear).with_strides([2, 1]).with_padding(Padding::Same));
    let y = same.forward(&input(), &mut Ctx::eval());
    assert_eq!(y.shape(), &[2, 3, 6, 6]);
    close(&y.to_vec(), &SAME_STRIDE);
    let dilated = keras_like(DepthwiseConv2D::new([3, 2], Activation::Linear).with_dilation_rate([2, 1]));
    let y = dilated.forward(&input(), &mut Ctx::eval());
    assert_eq!(y.shape(), &[2, 1, 5, 6]);
    close(&y.to_vec(), &VALID_DILATED);
}

#[test]
fn gradients_match_finite_differences() {
    let mut layer = DepthwiseConv2D::new([3, 3], Activation::Tanh).with_depth_multiplier(2).with_padding(Padding::Same);
    layer.build(&[2, 4, 5], &mut Rng::seed(1)).unwrap();
    let x = Tensor::from_vec((0..40).map(|i| (i as f32 * 0.41).sin()).collect(), &[1, 2, 4, 5]);
    let w = Tensor::from_vec((0..80).map(|i| (i as f32 * 0.23).cos()).collect(), &[1, 4, 4, 5]);
    check_gradients(|v| (layer.forward(&v[0], &mut Ctx::eval()) * &w).sum_all(), &[x.clone()]).unwrap();
    // The layer's formula with the weights as inputs: [C, M, kh, kw] read as C·M
    // one-channel filters of a grouped convolution.
    let opts = derin_tensor::Conv2dOptions { padding: Padding::Same, groups: 2, ..Default::default() };
    let formula = |v: &[Tensor]| (x.conv2d(&v[0].reshape(&[4, 1, 3, 3]), Some(&v[1]), &opts).tanh() * &w).sum_all();
    let (kernel, bias) = (layer.depthwise_kernel().unwrap(), layer.bias().unwrap());
    check_gradients(formula, &[kernel.value(), bias.value()]).unwrap();
    // The layer's own parameter gradients are the formula's.
    let grads = (layer.forward(&x, &mut Ctx::train(0)) * &w).sum_all().backward();
    let (k, b) = (kernel.value().detach().requires_grad(), bias.value().detach().requires_grad());
    let want = formula(&[k.clone(), b.clone()]).backward();
    let same = |got: Vec<f32>, want: Vec<f32>| {
        got.len() == want.len() && !got.is_empty() && got.iter().zip(&want).all(|(a, b)| (a - b).abs() < 1e-5)
    };
    assert!(same(grads.param(kernel).unwrap().iter().copied().collect(), want.get(&k).unwrap().to_vec()));
    assert!(same(grads.param(bias).unwrap().iter().copied().collect(), want.get(&b).unwrap().to_vec()));
}

#[test]
fn keras_config_weights_and_errors() {
    let layer = DepthwiseConv2D::new([3, 3], Activation::Relu)
        .with_strides([2, 2])
        .with_padding(Padding::Same)
        .with_depth_multiplier(3)
        .named("dw");
    let config = layer.keras_config().unwrap();
    assert_eq!(config["depth_multiplier"], 3);
    let back = layer_from_config("DepthwiseConv2D", &config).unwrap();
    assert_eq!(back.keras_config().unwrap(), config);
    assert_eq!(back.output_shape(&[4, 9, 9]).unwrap(), vec![12, 5, 5]);
    let mut built = layer.clone();
    built.build(&[4, 9, 9], &mut Rng::seed(0)).unwrap();
    let names: Vec<String> = built.weights().iter().map(|p| p.name().to_string()).collect();
    assert_eq!(names, ["dw/depthwise_kernel", "dw/bias"]);
    assert_eq!(built.keras_weight_axes(0), Some(vec![2, 3, 0, 1]));
    let err = built.output_shape(&[5, 9, 9]).unwrap_err().to_string();
    assert!(err.contains("4 channels"), "{err}");
    assert!(DepthwiseConv2D::new([3, 3], Activation::Linear).output_shape(&[4, 2, 9]).is_err());
    let bad =
        serde_json::json!({"name": "dw", "kernel_size": [3, 3], "depthwise_constraint": {"class_name": "NonNeg"}});
    let err = layer_from_config("DepthwiseConv2D", &bad).err().unwrap().to_string();
    assert!(err.contains("depthwise_constraint"), "{err}");
}
