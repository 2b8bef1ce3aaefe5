//! Tests of `BatchNormalization`: values and moving statistics against PyTorch
//! (reference/normalization.py, torch 2.15.0), inference and frozen modes, gradient
//! checks, shape errors.

use super::kernel::batch_norm_train;
use super::*;
use derin_tensor::check_gradients;

/// The slow reference the fused kernel is tested against: training-mode batch normalisation of `x` along `axis` with `[C]` `gamma` and `beta`:
/// the output, and the batch mean and biased variance (reduced axes kept as size 1).
fn normalize_batch(
    x: &Tensor,
    axis: usize,
    gamma: Option<&Tensor>,
    beta: Option<&Tensor>,
    epsilon: f32,
) -> (Tensor, Tensor, Tensor) {
    let ndim = x.ndim();
    let reduce: Vec<usize> = (0..ndim).filter(|&a| a != axis).collect();
    let mean = x.mean(&reduce, true);
    let centred = x - &mean;
    let var = centred.square().mean(&reduce, true);
    let mut y = centred * var.add_scalar(epsilon).powf(-0.5);
    if let Some(g) = gamma {
        y = y * along(g, axis, ndim);
    }
    if let Some(b) = beta {
        y = y + along(b, axis, ndim);
    }
    (y, mean, var)
}

/// `sin(0.7 i) · scale + 0.05 i`, the inputs reference/normalization.py rebuilds.
pub(crate) fn wave(n: usize, scale: f64) -> Vec<f32> {
    (0..n).map(|i| ((0.7 * i as f64).sin() * scale + 0.05 * i as f64) as f32).collect()
}

pub(crate) fn assert_close(got: &[f32], want: &[f32], tol: f32) {
    assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
    for (i, (a, b)) in got.iter().zip(want).enumerate() {
        assert!((a - b).abs() <= tol, "at {i}: {a} vs {b}\n got {got:?}\nwant {want:?}");
    }
}

fn set(p: Option<&Param>, values: Vec<f32>) {
    let p = p.unwrap();
    let shape = p.shape();
    p.set(Tensor::from_vec(values, &shape).to_array());
}

/// The [4, 3] case of reference/normalization.py.
fn features() -> (BatchNormalization, Tensor, Tensor) {
    let mut bn = BatchNormalization::new();
    bn.build(&[3], &mut Rng::seed(0)).unwrap();
    set(bn.gamma(), vec![1.5, 0.8, -0.5]);
    set(bn.beta(), vec![0.1, -0.2, 0.3]);
    set(bn.moving_mean(), vec![0.2, -0.1, 0.0]);
    set(bn.moving_variance(), vec![1.0, 2.0, 0.5]);
    let x = Tensor::from_vec(vec![0.5, -1.2, 2.0, 1.5, 0.3, -0.4, -0.7, 2.2, 1.1, 0.9, -0.5, 0.6], &[4, 3]);
    let w = Tensor::from_vec(vec![0.3, -0.2, 0.5, 0.1, 0.4, -0.3, -0.6, 0.2, 0.7, 0.25, -0.35, 0.15], &[4, 3]);
    (bn, x, w)
}

#[test]
fn training_forward_and_moving_statistics_match_pytorch() {
    let (bn, x, w) = features();
    let x = x.requires_grad();
    let mut ctx = Ctx::train(0);
    let y = bn.forward(&x, &mut ctx);
    // torch 2.15.0, F.batch_norm(training=True, momentum=0.01, eps=1e-3)
    let want_y = [
        0.006866395,
        -1.081043,
        -0.37709,
        1.869538,
        -0.1370683,
        1.005902,
        -2.228339,
        1.058634,
        0.1415321,
        0.7519349,
        -0.6405218,
        0.4296556,
    ];
    assert_close(&y.to_vec(), &want_y, 2e-5);
    let grads = (&y * &w).sum_all().backward();
    let want_dx = [
        0.5684596,
        -0.002200264,
        0.1135511,
        -0.4629032,
        0.2344653,
        0.06307334,
        -0.3173507,
        -0.06990246,
        -0.1935015,
        0.2117946,
        -0.1623626,
        0.01687695,
    ];
    assert_close(&grads.array(&x).unwrap().iter().copied().collect::<Vec<_>>(), &want_dx, 2e-5);
    let g = |p: Option<&Param>| grads.param(p.unwrap()).unwrap().iter().copied().collect::<Vec<_>>();
    assert_close(&g(bn.gamma()), &[1.139334, 0.7591134, 1.28359], 2e-5);
    assert_close(&g(bn.beta()), &[0.05, 0.05, 1.05], 2e-5);
    assert!(grads.param(bn.moving_mean().unwrap()).is_none());
    // Nothing changes until the training loop applies the updates.
    assert_eq!(bn.moving_mean().unwrap().value().to_vec(), vec![0.2, -0.1, 0.0]);
    assert_eq!(ctx.apply_updates(), 2);
    // torch running_mean; Keras' moving variance 0.99·mv + 0.01·(biased batch variance)
    assert_close(&bn.moving_mean().unwrap().value().to_vec(), &[0.2035, -0.097, 0.00825], 1e-6);
    assert_close(&bn.moving_variance().unwrap().value().to_vec(), &[0.996475, 1.99615, 0.5025188], 1e-6);
}

#[test]
fn channels_of_an_image_batch_are_normalised_separately() {
    let mut bn = BatchNormalization::new();
    bn.build(&[2, 2, 2], &mut Rng::seed(0)).unwrap();
    set(bn.gamma(), vec![0.7, 1.3]);
    set(bn.beta(), vec![-0.1, 0.2]);
    let x = Tensor::from_vec(wave(16, 2.0), &[2, 2, 2, 2]);
    let mut ctx = Ctx::train(0);
    let y = bn.forward(&x, &mut ctx);
    // torch 2.15.0, reference/normalization.py
    let want = [
        -0.839747, 0.01682196, 0.4855827, 0.3611193, 1.075698, -0.2385604, -1.22468, -1.395487, -1.391749, -0.5302359,
        0.3211556, 0.7770522, 2.506987, 1.491613, 0.1777404, -0.7933108,
    ];
    assert_close(&y.to_vec(), &want, 2e-5);
    // Per channel the output has mean beta_c (and gamma_c² · σ²/(σ² + ε) variance).
    let means = y.mean(&[0, 2, 3], false).to_vec();
    assert_close(&means, &[-0.1, 0.2], 1e-5);
    ctx.apply_updates();
    assert_close(&bn.moving_mean().unwrap().value().to_vec(), &[0.01155895, -0.0001057528], 1e-6);
    assert_close(&bn.moving_variance().unwrap().value().to_vec(), &[1.001954, 1.007078], 1e-6);
}

#[test]
fn unbiased_moving_variance_matches_pytorch_running_var() {
    let mut bn = BatchNormalization::new().with_unbiased_variance(true);
    assert!(bn.unbiased_variance() && !BatchNormalization::new().unbiased_variance());
    bn.build(&[2, 2, 2], &mut Rng::seed(0)).unwrap();
    let x = Tensor::from_vec(wave(16, 2.0), &[2, 2, 2, 2]);
    let mut ctx = Ctx::train(0);
    let biased = {
        let mut keras = BatchNormalization::new();
        keras.build(&[2, 2, 2], &mut Rng::seed(0)).unwrap();
        let mut ctx = Ctx::train(0);
        let y = keras.forward(&x, &mut ctx).to_vec();
        ctx.apply_updates();
        (y, keras.moving_variance().unwrap().value().to_vec())
    };
    // The batch itself is normalized the same way; only the moving variance differs.
    assert_eq!(bn.forward(&x, &mut ctx).to_vec(), biased.0);
    ctx.apply_updates();
    // torch 2.15.0 BatchNorm2d(momentum=0.01).running_var, reference/vision_ops.py:
    // 0.99 + 0.01·σ²·8/7 with 8 values per channel.
    assert_close(&bn.moving_variance().unwrap().value().to_vec(), &[1.0036614, 1.0095176], 1e-6);
    assert!(bn.moving_variance().unwrap().value().to_vec()[0] > biased.1[0]);
}

#[test]
fn inference_uses_the_moving_statistics() {
    let (bn, x, _) = features();
    let mut ctx = Ctx::eval();
    let y = bn.forward(&x, &mut ctx).to_vec();
    assert_eq!(ctx.apply_updates(), 0);
    // y = gamma · (x − mm) / √(mv + 0.001) + beta, e.g. row 0:
    // 1.5 · 0.3 / √1.001 + 0.1 = 0.549775, 0.8 · (−1.1) / √2.001 − 0.2 = −0.822097,
    // −0.5 · 2.0 / √0.501 + 0.3 = −1.412801 + 0.3 = −1.112801
    assert_close(&y[..3], &[0.549775, -0.822098, -1.112801], 1e-5);
    for (i, &v) in y.iter().enumerate() {
        let (mm, mv, g, b) =
            ([0.2, -0.1, 0.0][i % 3], [1.0, 2.0, 0.5][i % 3], [1.5, 0.8, -0.5][i % 3], [0.1, -0.2, 0.3][i % 3]);
        let want = g * (x.to_vec()[i] - mm) / (mv + 1e-3f32).sqrt() + b;
        assert!((v - want).abs() < 1e-5, "{i}: {v} vs {want}");
    }
}

#[test]
fn a_frozen_layer_runs_in_inference_mode_while_training() {
    let (mut bn, x, _) = features();
    let eval = bn.forward(&x, &mut Ctx::eval()).to_vec();
    bn.set_trainable(false);
    let mut ctx = Ctx::train(0);
    let y = bn.forward(&x, &mut ctx);
    assert_eq!(y.to_vec(), eval);
    assert_eq!(ctx.apply_updates(), 0);
    assert!(y.sum_all().backward().param(bn.gamma().unwrap()).is_none());
    assert!(bn.params().is_empty());
    let names: Vec<String> = bn.non_trainable_params().iter().map(|p| p.name().to_string()).collect();
    assert_eq!(
        names,
        [
            "batch_normalization/gamma",
            "batch_normalization/beta",
            "batch_normalization/moving_mean",
            "batch_normalization/moving_variance"
        ]
    );
}

/// `Σ y · w` of the fused kernel, for gradient checks: inputs `[x, gamma, beta]` or
/// `[x, gamma]`.
fn fused_loss(xs: &[Tensor], axis: usize, w: &Tensor) -> Tensor {
    (batch_norm_train(&xs[0], axis, xs.get(1), xs.get(2), 1e-3).0 * w).sum_all()
}

#[test]
fn training_mode_gradients_pass_finite_differences() {
    let x = Tensor::from_vec(vec![0.5, -1.2, 2.0, 1.5, 0.3, -0.4, -0.7, 2.2, 1.1, 0.9, -0.5, 0.6], &[4, 3]);
    let w = Tensor::from_vec(wave(12, 1.0), &[4, 3]);
    let (gamma, beta) = (Tensor::from_vec(vec![1.5, 0.8, -0.5], &[3]), Tensor::from_vec(vec![0.1, -0.2, 0.3], &[3]));
    check_gradients(|xs| fused_loss(xs, 1, &w), &[x.clone(), gamma.clone(), beta.clone()]).unwrap();
    // The same on a transposed (non-contiguous) input.
    let xt = Tensor::from_vec(vec![0.5, 1.5, -0.7, 0.9, -1.2, 0.3, 2.2, -0.5, 2.0, -0.4, 1.1, 0.6], &[3, 4]).t();
    assert_eq!(xt.to_vec(), x.to_vec());
    check_gradients(|xs| fused_loss(xs, 1, &w), &[xt, gamma.clone(), beta.clone()]).unwrap();
    // 4-D with channel axis 1, and a channels-last axis without beta.
    let x4 = Tensor::from_vec(wave(24, 1.5), &[2, 3, 2, 2]);
    let w4 = Tensor::from_vec(wave(24, 0.8).iter().rev().copied().collect(), &[2, 3, 2, 2]);
    check_gradients(|xs| fused_loss(xs, 1, &w4), &[x4, gamma.clone(), beta.clone()]).unwrap();
    let x3 = Tensor::from_vec(wave(24, 1.5), &[2, 4, 3]);
    let w3 = w4.reshape(&[2, 4, 3]);
    check_gradients(|xs| fused_loss(xs, 2, &w3), &[x3, gamma]).unwrap();
    // Only x: no gamma, no beta.
    check_gradients(|xs| fused_loss(xs, 1, &w), &[x]).unwrap();
}

#[test]
fn fused_kernel_matches_the_composite_reference() {
    let cases: [(&[usize], usize); 4] = [(&[5, 3], 1), (&[3, 4, 2, 5], 1), (&[2, 3, 4], 2), (&[4, 2, 3], 1)];
    for (shape, axis) in cases {
        let n: usize = shape.iter().product();
        let c = shape[axis];
        let x = Tensor::from_vec(wave(n, 2.0), shape).requires_grad();
        let w = Tensor::from_vec(wave(n, 1.0).iter().rev().copied().collect(), shape);
        let gamma = Tensor::from_vec(wave(c, 0.5).iter().map(|v| v + 1.0).collect(), &[c]).requires_grad();
        let beta = Tensor::from_vec(wave(c, 0.3), &[c]).requires_grad();
        let (y, mean, var) = batch_norm_train(&x, axis, Some(&gamma), Some(&beta), 1e-3);
        let (y_ref, mean_ref, var_ref) = normalize_batch(&x, axis, Some(&gamma), Some(&beta), 1e-3);
        assert_close(&y.to_vec(), &y_ref.to_vec(), 1e-5);
        assert_close(&mean, &mean_ref.to_vec(), 1e-5);
        assert_close(&var, &var_ref.to_vec(), 1e-5);
        let g = (y * &w).sum_all().backward();
        let g_ref = (y_ref * &w).sum_all().backward();
        for t in [&x, &gamma, &beta] {
            let flat = |g: &derin_tensor::Gradients| g.array(t).unwrap().iter().copied().collect::<Vec<_>>();
            assert_close(&flat(&g), &flat(&g_ref), 1e-4);
        }
    }
}

#[test]
fn gradients_of_the_layer_reach_input_gamma_and_beta_in_both_modes() {
    let (bn, x, w) = features();
    for mut ctx in [Ctx::train(0), Ctx::eval()] {
        let x = x.clone().requires_grad();
        let grads = (bn.forward(&x, &mut ctx) * &w).sum_all().backward();
        assert!(grads.array(&x).is_some());
        assert!(grads.param(bn.gamma().unwrap()).is_some() && grads.param(bn.beta().unwrap()).is_some());
    }
    // Inference: y = x · s + shift is linear, so ∂(Σ y·w)/∂x = w · gamma/√(mv + ε).
    let x = x.requires_grad();
    let grads = (bn.forward(&x, &mut Ctx::eval()) * &w).sum_all().backward();
    let dx = grads.array(&x).unwrap();
    assert!((dx[[0, 0]] - 0.3 * 1.5 / 1.001f32.sqrt()).abs() < 1e-6);
}

#[test]
fn channels_last_axis_and_without_scale_or_center() {
    let mut bn = BatchNormalization::new().with_axis(-1).without_scale().without_center();
    bn.build(&[2, 2], &mut Rng::seed(0)).unwrap();
    assert!(bn.weights().is_empty());
    assert_eq!(bn.state_weights().len(), 2);
    // [N=1, T=2, F=2]: feature 0 is {1, 3} → ∓1/√1.001, feature 1 is {5, 5} → 0
    let x = Tensor::from_vec(vec![1.0, 5.0, 3.0, 5.0], &[1, 2, 2]);
    let y = bn.forward(&x, &mut Ctx::train(0)).to_vec();
    let r = 1.0 / 1.001f32.sqrt();
    assert_close(&y, &[-r, 0.0, r, 0.0], 1e-6);
}

#[test]
fn shape_and_hyperparameter_errors_name_the_layer() {
    let err = BatchNormalization::new().with_axis(3).output_shape(&[4, 5]).unwrap_err().to_string();
    assert!(
        err.contains("batch_normalization (BatchNormalization)") && err.contains("axis 3") && err.contains("[4, 5]"),
        "{err}"
    );
    assert!(BatchNormalization::new().output_shape(&[]).is_err());
    assert!(BatchNormalization::new().with_axis(-3).output_shape(&[4, 5]).is_err());
    assert!(BatchNormalization::new().with_axis(-2).output_shape(&[4, 5]).is_ok());
    let mut bn = BatchNormalization::new();
    bn.build(&[3, 8], &mut Rng::seed(0)).unwrap();
    assert_eq!(bn.output_shape(&[3, 16]).unwrap(), vec![3, 16]);
    let err = bn.output_shape(&[4, 8]).unwrap_err().to_string();
    assert!(err.contains("3 channels") && err.contains("[4, 8]"), "{err}");
    let err = BatchNormalization::new().with_epsilon(0.0).build(&[2], &mut Rng::seed(0)).unwrap_err();
    assert!(matches!(err, Error::Hyperparameter { .. }) && err.to_string().contains("epsilon"), "{err}");
}

#[test]
fn weights_are_named_as_in_keras() {
    let mut bn = BatchNormalization::new().named("bn");
    bn.build(&[4], &mut Rng::seed(0)).unwrap();
    let names = |ps: Vec<Param>| ps.iter().map(|p| p.name().to_string()).collect::<Vec<_>>();
    assert_eq!(names(bn.weights()), ["bn/gamma", "bn/beta"]);
    assert_eq!(names(bn.params()), ["bn/gamma", "bn/beta"]);
    assert_eq!(names(bn.non_trainable_params()), ["bn/moving_mean", "bn/moving_variance"]);
}

#[test]
#[should_panic(
    expected = "batch_normalization (BatchNormalization): input of shape [2, 4] has 4 channels, the layer was built for 3"
)]
fn forward_with_another_channel_count_panics_naming_the_layer() {
    let (bn, _, _) = features();
    bn.forward(&Tensor::zeros(&[2, 4]), &mut Ctx::train(0));
}
