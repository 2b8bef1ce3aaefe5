//! Recurrent layers against PyTorch reference values, and gradient checks.

use derin_tensor::{Rng, Tensor, check_gradients};

use super::gru::gru_with;
use super::lstm::lstm_with;
use super::simple_rnn::simple_rnn_with;
use super::*;

pub(super) const N: usize = 2;
pub(super) const T: usize = 3;
pub(super) const F: usize = 2;
pub(super) const U: usize = 3;

/// `((37k + 11·seed) mod 17 − 8) / 10`, as in reference/recurrent.py.
pub(super) fn vals(shape: &[usize], seed: usize) -> Tensor {
    let count: usize = shape.iter().product();
    Tensor::from_vec((0..count).map(|k| ((37 * k + 11 * seed) % 17) as f32 / 10.0 - 0.8).collect(), shape)
}

/// `((5k + 2) mod 9 − 4) / 4`, `[2, 3, 2]`.
pub(super) fn input() -> Tensor {
    Tensor::from_vec((0..N * T * F).map(|k| ((5 * k + 2) % 9) as f32 / 4.0 - 1.0).collect(), &[N, T, F])
}

pub(super) fn set(layer: &dyn Recurrent, seeds: [usize; 3], bias_shape: &[usize]) {
    let g = layer.kernel().unwrap().shape()[1];
    layer.kernel().unwrap().set(vals(&[F, g], seeds[0]).to_array());
    layer.recurrent_kernel().unwrap().set(vals(&[U, g], seeds[1]).to_array());
    layer.bias().unwrap().set(vals(bias_shape, seeds[2]).to_array());
}

pub(super) fn close(got: &Tensor, want: &[f32]) {
    let g = got.to_vec();
    assert_eq!(g.len(), want.len(), "{g:?}");
    for (a, b) in g.iter().zip(want) {
        assert!((a - b).abs() < 2e-5, "got {g:?}\nwant {want:?}");
    }
}

fn seq() -> RnnOptions {
    RnnOptions { return_sequences: true, ..RnnOptions::default() }
}

// PyTorch 2.15.0 (reference/recurrent.py), `[N, T, U]` outputs.
const SIMPLE_RNN: [f32; 18] = [
    0.268271, -0.781806, 0.173235, -0.344520, -0.297916, 0.493501, 0.809613, -0.111847, -0.155720, 0.848284, -0.291313,
    -0.519022, 0.703669, -0.018850, -0.506096, 0.773430, -0.134706, -0.719647,
];
const SIMPLE_RNN_BACKWARDS: [f32; 18] = [
    0.861723, -0.379949, -0.379949, -0.183398, -0.594137, 0.288117, -0.083889, -0.497425, 0.487134, 0.817754,
    -0.099668, -0.728254, 0.778095, -0.190727, -0.632841, 0.773388, -0.207639, -0.461602,
];
const GRU_SEQ: [f32; 18] = [
    0.165856, -0.433231, 0.270154, 0.181217, -0.392024, 0.327115, 0.368782, -0.348099, 0.286758, 0.203985, -0.134776,
    -0.067892, 0.380980, -0.109144, -0.151877, 0.514269, -0.028036, -0.250642,
];
const LSTM_SEQ: [f32; 18] = [
    0.215905, -0.082813, -0.107386, 0.269032, -0.096899, -0.163275, 0.288153, -0.175133, -0.012716, 0.126765,
    -0.104561, 0.103593, 0.172359, -0.157524, 0.178081, 0.175584, -0.156280, 0.232821,
];
const LSTM_C: [f32; 6] = [0.501630, -0.271722, -0.023027, 0.550453, -0.298099, 0.415344];

/// Rows `T − 1` of an `[N, T, U]` reference.
fn last(seq: &[f32]) -> Vec<f32> {
    (0..N).flat_map(|i| seq[(i * T + T - 1) * U..(i * T + T) * U].to_vec()).collect()
}

#[test]
fn simple_rnn_matches_pytorch() {
    let mut rnn = SimpleRNN::new(U).return_sequences(true);
    rnn.build(&[T, F], &mut Rng::seed(0)).unwrap();
    set(&rnn, [1, 2, 3], &[U]);
    let out = rnn.call(&input(), None, &mut Ctx::eval());
    close(&out.output, &SIMPLE_RNN);
    close(&out.states[0], &last(&SIMPLE_RNN));
    let back = SimpleRNN::new(U).return_sequences(true).go_backwards(true);
    let w = [vals(&[F, U], 1), vals(&[U, U], 2), vals(&[U], 3)];
    let opts = *back.options();
    // go_backwards: PyTorch on the flipped input; the sequence stays in processing order.
    close(&simple_rnn_with(&input(), &w, opts, None).output, &SIMPLE_RNN_BACKWARDS);
}

#[test]
fn gru_matches_pytorch() {
    let mut gru = GRU::new(U);
    gru.build(&[T, F], &mut Rng::seed(0)).unwrap();
    set(&gru, [4, 5, 6], &[2, 3 * U]);
    let out = gru.call(&input(), None, &mut Ctx::eval());
    close(&out.output, &last(&GRU_SEQ));
    close(&out.states[0], &last(&GRU_SEQ));
    let w = [vals(&[F, 3 * U], 4), vals(&[U, 3 * U], 5), vals(&[2, 3 * U], 6)];
    close(&gru_with(&input(), &w, seq(), None).output, &GRU_SEQ);
}

// PyTorch 2.15.0 (reference/recurrent.py): gradients of Σ out · probe (probe = vals seed
// 13, [N, T, U]) for the GRU of `gru_matches_pytorch`, weights in Keras layout.
const GRU_GRAD_X: [f32; 12] = [
    -0.142280, -0.015356, -0.025897, -0.192447, -0.094372, 0.008463, -0.202532, -0.025524, -0.054584, 0.004866,
    -0.100815, -0.000433,
];
const GRU_GRAD_KERNEL: [f32; 18] = [
    0.124344, -0.014650, 0.050620, 0.006957, -0.005577, -0.003434, -0.238648, -0.120222, -0.015332, -0.183602,
    0.057865, -0.095945, -0.026174, -0.047464, -0.043569, 0.583821, -0.162307, -0.178748,
];
const GRU_GRAD_RECURRENT: [f32; 27] = [
    0.034121, 0.005713, 0.006012, -0.004085, -0.009398, 0.017030, 0.029168, -0.040999, 0.047240, -0.011594, -0.002216,
    -0.007384, 0.011848, 0.013619, -0.030133, -0.093865, 0.055462, -0.076313, -0.014817, -0.002317, 0.002327,
    -0.007701, -0.004663, 0.018946, 0.063378, -0.021007, 0.044123,
];
const GRU_GRAD_BIAS: [f32; 18] = [
    0.263597, 0.021413, -0.023636, -0.026135, -0.042083, 0.149731, 0.295621, -0.290209, 0.759830, 0.263597, 0.021413,
    -0.023636, -0.026135, -0.042083, 0.149731, 0.206574, -0.152588, 0.436005,
];

#[test]
fn gru_gradients_match_pytorch() {
    let mut gru = GRU::new(U).return_sequences(true);
    gru.build(&[T, F], &mut Rng::seed(0)).unwrap();
    set(&gru, [4, 5, 6], &[2, 3 * U]);
    let x = input().requires_grad();
    let grads = (gru.forward(&x, &mut Ctx::train(0)) * vals(&[N, T, U], 13)).sum_all().backward();
    close(&grads.get(&x).unwrap(), &GRU_GRAD_X);
    let of = |p: Option<&derin_tensor::Param>| Tensor::from_array(grads.param(p.unwrap()).unwrap().clone());
    close(&of(gru.kernel()), &GRU_GRAD_KERNEL);
    close(&of(gru.recurrent_kernel()), &GRU_GRAD_RECURRENT);
    close(&of(gru.bias()), &GRU_GRAD_BIAS);
}

#[test]
fn lstm_matches_pytorch() {
    let mut lstm = LSTM::new(U).return_sequences(true);
    lstm.build(&[T, F], &mut Rng::seed(0)).unwrap();
    set(&lstm, [7, 8, 9], &[4 * U]);
    let out = lstm.call(&input(), None, &mut Ctx::eval());
    close(&out.output, &LSTM_SEQ);
    close(&out.states[0], &last(&LSTM_SEQ));
    close(&out.states[1], &LSTM_C);
}

#[test]
fn initial_state_continues_a_sequence() {
    // Running steps 0..2 then step 2 from the returned state equals one run over 0..3.
    let mut gru = GRU::new(U);
    gru.build(&[T, F], &mut Rng::seed(0)).unwrap();
    set(&gru, [4, 5, 6], &[2, 3 * U]);
    let x = input();
    let first = gru.call(&x.narrow(1, 0, 2), None, &mut Ctx::eval());
    let rest = gru.call(&x.narrow(1, 2, 1), Some(&first.states), &mut Ctx::eval());
    close(&rest.output, &last(&GRU_SEQ));
}

fn weights(gates: usize, bias: &[usize], rng: &mut Rng) -> Vec<Tensor> {
    vec![
        Tensor::normal(&[F, gates * U], 0.0, 0.6, rng),
        Tensor::normal(&[U, gates * U], 0.0, 0.6, rng),
        Tensor::normal(bias, 0.0, 0.3, rng),
    ]
}

type Run = fn(&Tensor, &[Tensor], RnnOptions, Option<&Tensor>) -> RnnOutput;

fn check(run: Run, gates: usize, bias: &[usize], mask: Option<Tensor>) {
    let mut rng = Rng::seed(11);
    let x = Tensor::normal(&[N, T, F], 0.0, 1.0, &mut rng);
    let mut inputs = vec![x];
    inputs.extend(weights(gates, bias, &mut rng));
    let probe = Tensor::normal(&[N, T, U], 0.0, 1.0, &mut rng);
    for opts in [seq(), RnnOptions { go_backwards: true, ..RnnOptions::default() }] {
        let f = |v: &[Tensor]| {
            let out = run(&v[0], &v[1..], opts, mask.as_ref());
            let y = if opts.return_sequences { out.output * &probe } else { out.output };
            y.sum_all() + out.states.iter().map(|s| s.square().sum_all()).fold(Tensor::scalar(0.0), |a, b| a + b)
        };
        check_gradients(f, &inputs).unwrap_or_else(|e| panic!("{e}"));
    }
}

fn some_mask() -> Tensor {
    Tensor::from_vec(vec![1.0, 1.0, 0.0, 0.0, 1.0, 1.0], &[N, T])
}

#[test]
fn simple_rnn_gradients_reach_input_and_every_weight() {
    check(simple_rnn_with, 1, &[U], None);
    check(simple_rnn_with, 1, &[U], Some(some_mask()));
}

#[test]
fn gru_gradients_reach_input_and_every_weight() {
    check(gru_with, 3, &[2, 3 * U], None);
    check(gru_with, 3, &[2, 3 * U], Some(some_mask()));
    // reset_after=False: a 1-D bias.
    check(gru_with, 3, &[3 * U], None);
    check(gru_with, 3, &[3 * U], Some(some_mask()));
}

#[test]
fn lstm_gradients_reach_input_and_every_weight() {
    check(lstm_with, 4, &[4 * U], None);
    check(lstm_with, 4, &[4 * U], Some(some_mask()));
}

#[test]
fn gradients_reach_the_layer_params() {
    let mut lstm = LSTM::new(U);
    lstm.build(&[T, F], &mut Rng::seed(0)).unwrap();
    let grads = lstm.forward(&input(), &mut Ctx::train(0)).sum_all().backward();
    for p in [lstm.kernel(), lstm.recurrent_kernel(), lstm.bias()] {
        assert!(grads.param(p.unwrap()).is_some());
    }
    let names: Vec<String> = lstm.weights().iter().map(|p| p.name().to_string()).collect();
    assert_eq!(names, ["lstm/kernel", "lstm/recurrent_kernel", "lstm/bias"]);
}
