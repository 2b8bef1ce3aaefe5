//! SeparableConv2D against Keras' output, its gradients, config and weights.

use derin_tensor::{Padding, Rng, Tensor, check_gradients};

use super::*;
use crate::layer_from_config;

/// Keras 3.15.1 `separable` output, shape [2, 5, 6, 4] (channels-last), reference/keras_depthwise.py.
#[rustfmt::skip]
const SEPARABLE: [f32; 240] = [6.179182, 5.680473, 4.27705, 2.198375, 5.012325, 5.308742, 4.75913, 3.458158, 2.059586, 3.065046, 3.578709, 3.527373, 0.0, 0.0, 1.148142, 2.381841, 0.0, 0.0, 0.0, 0.421731, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.415841, 3.962249, 0.0, 0.0, 0.0, 0.411811, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.891266, 1.848751, 0.506464, 0.0, 0.0, 0.0, 0.0, 0.0, 1.604982, 0.0, 0.0, 0.0, 5.035091, 2.864115, 0.233063, 0.0, 6.671365, 5.698823, 3.818669, 1.33563, 5.942206, 6.525302, 6.070303, 4.656937, 0.333507, 1.703166, 2.796038, 3.447478, 6.449646, 6.507527, 5.530118, 3.679626, 4.234509, 5.784186, 6.412774, 6.028926, 0.505201, 3.022795, 5.055262, 6.289615, 0.0, 0.0, 1.931803, 4.370627, 0.0, 0.0, 0.0, 0.94232, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.727239, 2.831997, 0.0, 0.0, 0.0, 0.521129, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.554881, 0.0, 0.0, 0.0, 3.888109, 3.121862, 1.854849, 0.294996, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.296281, 0.022223, 0.0, 0.0, 4.509836, 3.305629, 1.571643, 0.0, 6.113042, 5.416818, 3.857503, 1.689173, 3.166752, 3.972182, 4.142597, 3.658987, 6.177219, 4.563972, 2.222282, 0.0, 6.584622, 6.422749, 5.238971, 3.228075, 4.656895, 6.020408, 6.425538, 5.816216, 1.067447, 3.497499, 5.367479, 6.390052, 0.0, 0.0, 2.434405, 4.749125, 0.0, 0.0, 0.0, 0.0, 0.0, 1.050146, 3.567488, 5.521603, 0.0, 0.0, 0.0, 2.680417, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.720685, 0.450837, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 3.087147, 0.549353, 0.0, 0.0, 5.934222, 4.155901, 1.713561, 0.0, 6.673368, 6.293207, 4.911592, 2.754546, 1.743148, 2.885259, 3.563957, 3.679985, 3.416605, 2.415944, 1.025965, 0.0, 2.352437, 2.63576, 2.49506, 1.960446, 0.431562, 1.917362, 3.09256, 3.77951, 0.0, 0.511708, 2.609739, 4.295749, 0.0, 0.0, 1.215261, 3.328825, 0.0, 0.0, 0.0, 0.0];

fn set(p: &Param, shape: &[usize], f: impl Fn(usize) -> f32) {
    let n: usize = shape.iter().product();
    p.set(Tensor::from_vec((0..n).map(f).collect(), shape).to_array());
}

#[test]
fn output_matches_keras() {
    let mut sep = SeparableConv2D::new(4, [3, 2], Activation::Relu)
        .with_depth_multiplier(2)
        .with_padding(Padding::Same)
        .with_data_format(DataFormat::ChannelsLast);
    sep.build(&[5, 6, 3], &mut Rng::seed(0)).unwrap();
    // The formulas of the reference script, in Derin's layouts.
    set(sep.depthwise_kernel().unwrap(), &[3, 2, 3, 2], |i| {
        let (c, m, a, b) = (i / 12, i / 6 % 2, i / 2 % 3, i % 2);
        (0.3 * (7 * a + 5 * b + 3 * c + m) as f32).sin()
    });
    set(sep.pointwise_kernel().unwrap(), &[4, 6, 1, 1], |i| (0.7 * (i % 6) as f32 - 0.4 * (i / 6) as f32).cos());
    set(sep.bias().unwrap(), &[4], |q| 0.05 * q as f32 - 0.1);
    let x: Vec<f32> = (0..180)
        .map(|k| {
            let (n, i, j, c) = (k / 90, k / 18 % 5, k / 3 % 6, k % 3);
            (0.2 * (50 * n + 11 * i + 3 * j + c) as f32).cos()
        })
        .collect();
    let y = sep.forward(&Tensor::from_vec(x, &[2, 5, 6, 3]), &mut Ctx::eval());
    assert_eq!(y.shape(), &[2, 5, 6, 4]);
    for (i, (a, b)) in y.to_vec().iter().zip(SEPARABLE).enumerate() {
        assert!((a - b).abs() < 2e-5, "element {i}: {a} vs {b}");
    }
}

#[test]
fn gradients_reach_the_input_and_every_weight() {
    let mut sep =
        SeparableConv2D::new(3, [3, 3], Activation::Tanh).with_depth_multiplier(2).with_padding(Padding::Same);
    sep.build(&[2, 4, 4], &mut Rng::seed(2)).unwrap();
    let x = Tensor::from_vec((0..32).map(|i| (i as f32 * 0.41).sin()).collect(), &[1, 2, 4, 4]);
    let w = Tensor::from_vec((0..48).map(|i| (i as f32 * 0.23).cos()).collect(), &[1, 3, 4, 4]);
    check_gradients(|v| (sep.forward(&v[0], &mut Ctx::eval()) * &w).sum_all(), &[x.clone()]).unwrap();
    // The formula with the weights as inputs, finite-difference checked, and the layer's
    // parameter gradients equal to it.
    let depth = derin_tensor::Conv2dOptions { padding: Padding::Same, groups: 2, ..Default::default() };
    let formula = |v: &[Tensor]| {
        let mid = x.conv2d(&v[0].reshape(&[4, 1, 3, 3]), None, &depth);
        (mid.conv2d(&v[1], Some(&v[2]), &Default::default()).tanh() * &w).sum_all()
    };
    let params = sep.weights();
    let values: Vec<Tensor> = params.iter().map(|p| p.value().detach().requires_grad()).collect();
    check_gradients(formula, &values).unwrap();
    let want = formula(&values).backward();
    let got = (sep.forward(&x, &mut Ctx::train(0)) * &w).sum_all().backward();
    for (p, v) in params.iter().zip(&values) {
        let (a, b): (Vec<f32>, Vec<f32>) =
            (got.param(p).unwrap().iter().copied().collect(), want.get(v).unwrap().to_vec());
        assert!(a.len() == b.len() && a.iter().zip(&b).all(|(a, b)| (a - b).abs() < 1e-5), "{}", p.name());
    }
}

#[test]
fn keras_config_and_weights() {
    let sep = SeparableConv2D::new(8, [3, 3], Activation::Relu)
        .with_strides([2, 2])
        .with_padding(Padding::Same)
        .with_depth_multiplier(2)
        .named("sep");
    let config = sep.keras_config().unwrap();
    assert_eq!((config["filters"].clone(), config["depth_multiplier"].clone()), (8.into(), 2.into()));
    let mut back = layer_from_config("SeparableConv2D", &config).unwrap();
    assert_eq!(back.keras_config().unwrap(), config);
    assert_eq!(back.output_shape(&[4, 9, 9]).unwrap(), vec![8, 5, 5]);
    back.build(&[4, 9, 9], &mut Rng::seed(0)).unwrap();
    let names: Vec<String> = back.weights().iter().map(|p| p.name().to_string()).collect();
    assert_eq!(names, ["sep/depthwise_kernel", "sep/pointwise_kernel", "sep/bias"]);
    assert_eq!(back.weights()[1].shape(), vec![8, 8, 1, 1]);
    assert_eq!(
        (back.keras_weight_axes(0), back.keras_weight_axes(1)),
        (Some(vec![2, 3, 0, 1]), Some(vec![2, 3, 1, 0]))
    );
    let mut frozen = SeparableConv2D::new(2, [1, 1], Activation::Linear);
    frozen.build(&[2, 3, 3], &mut Rng::seed(0)).unwrap();
    frozen.set_trainable(false);
    let g = frozen.forward(&Tensor::ones(&[1, 2, 3, 3]), &mut Ctx::train(0)).sum_all().backward();
    assert!(frozen.weights().iter().all(|p| g.param(p).is_none()), "a frozen layer's weights get no gradient");
    let bad =
        serde_json::json!({"name": "s", "filters": 2, "kernel_size": 3, "pointwise_regularizer": {"class_name": "L2"}});
    let err = layer_from_config("SeparableConv2D", &bad).err().unwrap().to_string();
    assert!(err.contains("pointwise_regularizer"), "{err}");
}
