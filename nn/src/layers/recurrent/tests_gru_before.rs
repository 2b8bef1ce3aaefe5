//! `GRU` with `reset_after=False` against Keras, plus its config, masks and `Bidirectional`.

use derin_tensor::{Param, Rng, Tensor};

use super::tests::{F, N, T, U, close, input, set, vals};
use super::*;
use crate::layer_from_config;

// Keras 3.15.1 and tf-keras 2.21.0 on TensorFlow 2.21.0 (reference/gru_reset_before.py,
// the same numbers from both): GRU(3, reset_after=False, return_sequences=True), kernel
// seed 4, recurrent kernel seed 5, bias seed 7 `[3U]`; `[N, T, U]`.
const SEQ: [f32; 18] = [
    -0.145155, 0.062177, 0.356031, -0.193588, 0.153313, 0.515681, 0.054339, 0.309037, 0.558530, 0.192912, 0.209173,
    0.128554, 0.318603, 0.376524, 0.178140, 0.401219, 0.504215, 0.177110,
];
const SEQ_BACKWARDS: [f32; 18] = [
    0.190300, 0.190300, 0.190300, -0.058362, 0.186891, 0.414399, -0.123907, 0.143268, 0.593831, 0.196151, 0.228800,
    0.032517, 0.320981, 0.388393, 0.101502, 0.405170, 0.465872, 0.207923,
];
// Gradients of Σ out · probe (probe = vals seed 13, `[N, T, U]`), same script.
const GRAD_X: [f32; 12] = [
    -0.053785, -0.049435, 0.017762, -0.165778, -0.075866, 0.010601, -0.161664, 0.057519, -0.148011, 0.045401,
    -0.060709, 0.054295,
];
const GRAD_KERNEL: [f32; 18] = [
    0.061634, 0.031640, 0.047169, 0.002534, -0.009755, 0.001142, -0.417268, -0.076065, 0.042463, -0.090991, -0.003141,
    -0.058973, 0.004046, 0.013505, -0.014663, 0.818210, -0.084534, -0.178005,
];
const GRAD_RECURRENT: [f32; 27] = [
    0.014028, 0.010998, 0.001264, 0.001107, -0.003885, -0.001441, -0.054798, 0.003671, -0.002313, 0.019750, 0.006039,
    -0.008400, 0.001847, -0.003699, 0.001417, -0.017306, -0.011575, 0.009861, 0.015232, -0.004817, -0.017481, 0.001900,
    -0.000660, 0.004259, 0.026537, -0.000460, 0.047277,
];
const GRAD_BIAS: [f32; 9] =
    [0.208407, 0.061234, -0.204469, 0.009248, -0.008196, 0.008462, -0.021916, -0.132745, 0.377105];

fn keras_gru(backwards: bool) -> GRU {
    let mut gru = GRU::new(U).reset_after(false).return_sequences(true).go_backwards(backwards);
    gru.build(&[T, F], &mut Rng::seed(0)).unwrap();
    set(&gru, [4, 5, 7], &[3 * U]);
    gru
}

#[test]
fn reset_before_matches_keras_forwards_and_backwards() {
    assert_eq!(keras_gru(false).bias().unwrap().shape(), &[3 * U]);
    close(&keras_gru(false).forward(&input(), &mut Ctx::eval()), &SEQ);
    close(&keras_gru(true).forward(&input(), &mut Ctx::eval()), &SEQ_BACKWARDS);
}

#[test]
fn reset_before_gradients_match_keras() {
    let gru = keras_gru(false);
    let x = input().requires_grad();
    let grads = (gru.forward(&x, &mut Ctx::train(0)) * vals(&[N, T, U], 13)).sum_all().backward();
    close(&grads.get(&x).unwrap(), &GRAD_X);
    let of = |p: Option<&Param>| Tensor::from_array(grads.param(p.unwrap()).unwrap().clone());
    close(&of(gru.kernel()), &GRAD_KERNEL);
    close(&of(gru.recurrent_kernel()), &GRAD_RECURRENT);
    close(&of(gru.bias()), &GRAD_BIAS);
}

#[test]
fn reset_before_masked_steps_keep_the_state() {
    // Sample 1's last step is padding: its state is the one after two steps, which is what
    // the unmasked layer gives for the first two steps.
    let gru = keras_gru(false);
    let mask = Tensor::from_vec(vec![1.0, 1.0, 1.0, 1.0, 1.0, 0.0], &[N, T]);
    let out = gru.call_masked(&input(), None, Some(&mask));
    let two = gru.call_masked(&input().narrow(1, 0, 2), None, None);
    let want = two.states[0].narrow(0, 1, 1).to_vec();
    close(&out.states[0].narrow(0, 1, 1), &want);
    close(&out.output.narrow(0, 1, 1).narrow(1, 2, 1), &want); // the previous output repeats
    close(&out.states[0].narrow(0, 0, 1), &SEQ[6..9]);
}

#[test]
fn reset_after_round_trips_through_the_keras_config() {
    for on in [true, false] {
        let gru = GRU::new(2).reset_after(on).named("g");
        let config = gru.keras_config().unwrap();
        assert_eq!(config["reset_after"], serde_json::json!(on));
        let back = layer_from_config("GRU", &config).unwrap();
        assert_eq!(back.keras_config().unwrap(), config);
    }
    // Missing means Keras' default, true.
    let mut config = GRU::new(2).reset_after(false).keras_config().unwrap();
    config.as_object_mut().unwrap().remove("reset_after");
    assert_eq!(layer_from_config("GRU", &config).unwrap().keras_config().unwrap()["reset_after"], true);
}

#[test]
fn bidirectional_keeps_reset_before_in_both_directions() {
    let mut bi = Bidirectional::new(GRU::new(U).reset_after(false), MergeMode::Concat);
    bi.build(&[T, F], &mut Rng::seed(0)).unwrap();
    let biases: Vec<Vec<usize>> =
        bi.weights().iter().filter(|p| p.name().ends_with("/bias")).map(|p| p.shape().to_vec()).collect();
    assert_eq!(biases, vec![vec![3 * U], vec![3 * U]]);
    let config = bi.keras_config().unwrap();
    assert_eq!(
        (&config["layer"]["config"]["reset_after"], &config["backward_layer"]["config"]["reset_after"]),
        (&serde_json::json!(false), &serde_json::json!(false))
    );
    let mut back = layer_from_config("Bidirectional", &config).unwrap();
    back.build(&[T, F], &mut Rng::seed(0)).unwrap();
    for (a, b) in back.weights().iter().zip(bi.weights()) {
        a.set(b.value().to_array());
    }
    let x = input();
    close(&back.forward(&x, &mut Ctx::eval()), &bi.forward(&x, &mut Ctx::eval()).to_vec());
}

/// `reset_after=False` step by step with plain tensor ops (Keras' formula written out), for
/// sizes where the fused op splits batch rows across threads and the gate blocks are wide.
fn composed(x: &Tensor, k: &Tensor, rk: &Tensor, b: &Tensor) -> Tensor {
    let (n, t, u) = (x.shape()[0], x.shape()[1], rk.shape()[0]);
    let block = |w: &Tensor, i: usize| w.narrow(w.shape().len() - 1, i * u, u);
    let mut h = Tensor::zeros(&[n, u]);
    let mut outs = Vec::new();
    for s in 0..t {
        let xs = x.narrow(1, s, 1).reshape(&[n, x.shape()[2]]);
        let z = (xs.matmul(&block(k, 0)) + h.matmul(&block(rk, 0)) + block(b, 0)).sigmoid();
        let r = (xs.matmul(&block(k, 1)) + h.matmul(&block(rk, 1)) + block(b, 1)).sigmoid();
        let c = (xs.matmul(&block(k, 2)) + (&r * &h).matmul(&block(rk, 2)) + block(b, 2)).tanh();
        h = &z * &h + (Tensor::ones(&[n, u]) - &z) * c;
        outs.push(h.clone());
    }
    Tensor::stack(&outs.iter().collect::<Vec<_>>(), 1)
}

#[test]
fn reset_before_matches_the_composed_formula_on_wide_layers() {
    let (n, t, f, u) = (7, 5, 4, 19);
    let mut rng = Rng::seed(3);
    let x = Tensor::normal(&[n, t, f], 0.0, 1.0, &mut rng);
    let mut gru = GRU::new(u).reset_after(false).return_sequences(true);
    gru.build(&[t, f], &mut rng).unwrap();
    gru.bias().unwrap().set(Tensor::normal(&[3 * u], 0.0, 0.3, &mut rng).to_array());
    let [k, rk, b] = gru.base.values("gru");
    let want = composed(&x, &k, &rk, &b).to_vec();
    close(&gru.forward(&x, &mut Ctx::eval()), &want);
    // Gradients of the same probe through both.
    let probe = Tensor::normal(&[n, t, u], 0.0, 1.0, &mut rng);
    let xg = x.clone().requires_grad();
    let fused = (gru.forward(&xg, &mut Ctx::train(0)) * &probe).sum_all().backward();
    let (xc, kc, rkc, bc) =
        (x.requires_grad(), k.detach().requires_grad(), rk.detach().requires_grad(), b.detach().requires_grad());
    let plain = (composed(&xc, &kc, &rkc, &bc) * &probe).sum_all().backward();
    close(&fused.get(&xg).unwrap(), &plain.get(&xc).unwrap().to_vec());
    for (p, c) in [(gru.kernel(), &kc), (gru.recurrent_kernel(), &rkc), (gru.bias(), &bc)] {
        let got = Tensor::from_array(fused.param(p.unwrap()).unwrap().clone());
        close(&got, &plain.get(c).unwrap().to_vec());
    }
}
