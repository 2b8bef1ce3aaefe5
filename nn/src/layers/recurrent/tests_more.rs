//! Recurrent layers: masks, `Bidirectional`, shape errors, a small training run.

use derin_tensor::{Rng, Tensor, no_grad};

use super::tests::{F, N, T, U, close, input, set, vals};
use super::*;

/// Sample 0 keeps its 3 steps; sample 1 has 2 real steps then one padded step.
fn post_padded() -> Tensor {
    Tensor::from_vec(vec![1.0, 1.0, 1.0, 1.0, 1.0, 0.0], &[N, T])
}

fn built(mut layer: impl Recurrent, seeds: [usize; 3], bias: &[usize]) -> impl Recurrent {
    layer.build(&[T, F], &mut Rng::seed(0)).unwrap();
    set(&layer, seeds, bias);
    layer
}

fn layers(seq: bool, back: bool) -> Vec<Box<dyn Recurrent>> {
    vec![
        Box::new(built(SimpleRNN::new(U).return_sequences(seq).go_backwards(back), [1, 2, 3], &[U])),
        Box::new(built(GRU::new(U).return_sequences(seq).go_backwards(back), [4, 5, 6], &[2, 3 * U])),
        Box::new(built(LSTM::new(U).return_sequences(seq).go_backwards(back), [7, 8, 9], &[4 * U])),
    ]
}

/// Sample 1 of the input, cut to its two real steps: `[1, 2, F]`.
fn short() -> Tensor {
    input().narrow(0, 1, 1).narrow(1, 0, 2)
}

#[test]
fn padded_sequences_end_in_the_state_of_the_unpadded_ones() {
    for back in [false, true] {
        for layer in layers(false, back) {
            let mut ctx = Ctx::eval();
            ctx.set_mask(Some(post_padded()));
            let padded = layer.call(&input(), None, &mut ctx);
            assert!(ctx.mask().is_none(), "{}: the mask is consumed", layer.label());
            let alone = layer.call(&short(), None, &mut Ctx::eval());
            for (p, a) in padded.states.iter().zip(&alone.states) {
                close(&p.narrow(0, 1, 1), &a.to_vec());
            }
            close(&padded.output.narrow(0, 1, 1), &alone.output.to_vec());
            // Sample 0 has no padding: the same as without a mask.
            let plain = layer.call(&input(), None, &mut Ctx::eval());
            close(&padded.output.narrow(0, 0, 1), &plain.output.narrow(0, 0, 1).to_vec());
        }
    }
}

#[test]
fn masked_steps_repeat_the_previous_output_as_in_keras() {
    // Pre-padding: sample 1 = [pad, x₁, x₂]. Keras 3 (zero_output_for_mask=False): the
    // output is 0 before the first real step and repeats the last real output after it.
    let mask = Tensor::from_vec(vec![1.0, 1.0, 1.0, 0.0, 1.0, 0.0], &[N, T]);
    for layer in layers(true, false) {
        let mut ctx = Ctx::eval();
        ctx.set_mask(Some(mask.clone()));
        let out = layer.call(&input(), None, &mut ctx).output;
        assert_eq!(ctx.mask().unwrap().to_vec(), mask.to_vec(), "passed on with return_sequences");
        let s1 = out.narrow(0, 1, 1);
        assert_eq!(s1.narrow(1, 0, 1).to_vec(), vec![0.0; U]);
        assert_eq!(s1.narrow(1, 2, 1).to_vec(), s1.narrow(1, 1, 1).to_vec());
        // Step 1 of sample 1 is the first step of a fresh run on x₁ alone.
        let alone = layer.call(&input().narrow(0, 1, 1).narrow(1, 1, 1), None, &mut Ctx::eval());
        close(&s1.narrow(1, 1, 1), &alone.output.to_vec());
    }
}

#[test]
fn zero_output_for_mask_zeroes_masked_steps() {
    let mut gru = GRU::new(U).return_sequences(true).zero_output_for_mask(true);
    gru.build(&[T, F], &mut Rng::seed(1)).unwrap();
    let out = gru.call_masked(&input(), None, Some(&post_padded()));
    assert_eq!(out.output.narrow(0, 1, 1).narrow(1, 2, 1).to_vec(), vec![0.0; U]);
    // The state is still the last real one.
    assert_eq!(out.states[0].narrow(0, 1, 1).to_vec(), out.output.narrow(0, 1, 1).narrow(1, 1, 1).to_vec());
}

// PyTorch 2.15.0 (reference/recurrent.py): bidirectional GRU, `[N, T, 2U]`.
const BI_GRU: [f32; 36] = [
    0.165856, -0.433231, 0.270154, -0.050427, -0.612608, -0.351710, 0.181217, -0.392024, 0.327115, -0.026987,
    -0.403031, -0.271404, 0.368782, -0.348099, 0.286758, 0.219482, -0.091007, -0.179134, 0.203985, -0.134776,
    -0.067892, 0.518062, -0.234926, -0.039606, 0.380980, -0.109144, -0.151877, 0.413282, -0.161139, 0.066000, 0.514269,
    -0.028036, -0.250642, 0.250537, -0.082100, 0.093335,
];

fn bi(mode: MergeMode, seq: bool) -> Bidirectional {
    let mut bi = Bidirectional::new(GRU::new(U).return_sequences(seq), mode);
    bi.build(&[T, F], &mut Rng::seed(0)).unwrap();
    set(bi.forward_layer(), [4, 5, 6], &[2, 3 * U]);
    set(bi.backward_layer(), [10, 11, 12], &[2, 3 * U]);
    bi
}

#[test]
fn bidirectional_matches_pytorch_and_merges() {
    let out = bi(MergeMode::Concat, true).call(&input(), None, &mut Ctx::eval());
    close(&out.output, &BI_GRU);
    // Without sequences: the forward half at the last step, the backward half at the first.
    let last = bi(MergeMode::Concat, false).forward(&input(), &mut Ctx::eval());
    assert_eq!(last.shape(), &[N, 2 * U]);
    let (fw, bw) = (out.output.narrow(2, 0, U), out.output.narrow(2, U, U));
    let want = Tensor::concat(&[&fw.narrow(1, T - 1, 1), &bw.narrow(1, 0, 1)], 2).reshape(&[N, 2 * U]);
    close(&last, &want.to_vec());
    let merged = |mode| bi(mode, true).forward(&input(), &mut Ctx::eval());
    close(&merged(MergeMode::Sum), &(&fw + &bw).to_vec());
    close(&merged(MergeMode::Mul), &(&fw * &bw).to_vec());
    close(&merged(MergeMode::Ave), &((&fw + &bw) * 0.5).to_vec());
    assert_eq!(bi(MergeMode::Sum, true).output_shape(&[T, F]).unwrap(), vec![T, U]);
    assert_eq!(out.states.len(), 2);
}

#[test]
fn bidirectional_reverses_the_mask_for_the_backward_layer() {
    let b = bi(MergeMode::Concat, false);
    let mut ctx = Ctx::eval();
    ctx.set_mask(Some(post_padded()));
    let padded = b.call(&input(), None, &mut ctx).output;
    assert!(ctx.mask().is_none());
    let alone = b.forward(&short(), &mut Ctx::eval());
    close(&padded.narrow(0, 1, 1), &alone.to_vec());
    // With sequences, masked steps output zeros on both halves.
    let b = bi(MergeMode::Concat, true);
    let out = b.call(&input(), None, &mut Ctx::train(0)).output;
    let out_masked = b.forward(&input(), &mut {
        let mut c = Ctx::eval();
        c.set_mask(Some(post_padded()));
        c
    });
    assert_eq!(out_masked.narrow(0, 1, 1).narrow(1, 2, 1).to_vec(), vec![0.0; 2 * U]);
    assert_ne!(out.narrow(0, 1, 1).narrow(1, 2, 1).to_vec(), vec![0.0; 2 * U]);
}

#[test]
fn shape_errors_name_the_layer_and_both_shapes() {
    for layer in layers(false, false) {
        let err = layer.output_shape(&[T]).unwrap_err().to_string();
        assert!(err.contains(&layer.label()) && err.contains(&format!("[{T}]")), "{err}");
        let err = layer.output_shape(&[T, F + 1]).unwrap_err().to_string();
        assert!(err.contains(&format!("[{T}, {}]", F + 1)) && err.contains(&format!("{F} features")), "{err}");
        assert!(layer.output_shape(&[T, F, 1]).is_err());
    }
    assert!(GRU::new(2).output_shape(&[4]).is_err());
    assert_eq!(GRU::new(2).output_shape(&[4, 9]).unwrap(), vec![2]);
    let err = Bidirectional::new(LSTM::new(2), MergeMode::Concat).output_shape(&[3]).unwrap_err();
    assert!(err.to_string().contains("forward_lstm (LSTM)"), "{err}");
}

#[test]
fn default_weights_follow_keras() {
    let mut gru = GRU::new(4);
    gru.build(&[5, 3], &mut Rng::seed(2)).unwrap();
    assert_eq!(gru.kernel().unwrap().shape(), vec![3, 12]);
    assert_eq!(gru.bias().unwrap().value().to_vec(), vec![0.0; 24]);
    // Orthogonal recurrent kernel [4, 12]: its rows are orthonormal.
    let r = gru.recurrent_kernel().unwrap().value();
    let rrt = r.matmul(&r.transpose(0, 1)).to_vec();
    for (i, v) in rrt.iter().enumerate() {
        assert!((v - if i % 5 == 0 { 1.0 } else { 0.0 }).abs() < 1e-5, "{rrt:?}");
    }
    let limit = (6.0f32 / (3.0 + 12.0)).sqrt(); // Glorot-uniform
    assert!(gru.kernel().unwrap().value().to_vec().iter().all(|v| v.abs() <= limit));
    let _ = vals(&[1], 0);
}

#[test]
fn gru_learns_to_recall_the_first_step() {
    // Label: whether the first of 6 steps is positive; a GRU(8) + linear read-out must
    // carry it through 5 steps of noise. 200 plain SGD steps reach ≥ 95 % accuracy.
    let mut rng = Rng::seed(4);
    let (n, t) = (64, 6);
    let x = Tensor::normal(&[n, t, 1], 0.0, 1.0, &mut rng);
    let y: Vec<f32> = x.to_vec().chunks(t).map(|s| if s[0] > 0.0 { 1.0 } else { 0.0 }).collect();
    let y = Tensor::from_vec(y, &[n, 1]);
    let mut gru = GRU::new(8);
    gru.build(&[t, 1], &mut rng).unwrap();
    let mut head = crate::Dense::new(1, crate::Activation::Linear);
    head.build(&[8], &mut rng).unwrap();
    let params: Vec<_> = gru.params().into_iter().chain(head.params()).collect();
    let logits = |ctx: &mut Ctx| head.forward(&gru.forward(&x, ctx), ctx);
    let loss_of = |z: &Tensor| {
        (z.sigmoid().clamp(1e-6, 1.0 - 1e-6).log() * &y + (1.0 - &y) * (1.0 - z.sigmoid()).clamp(1e-6, 1.0).log())
            .mean_all()
            * -1.0
    };
    for _ in 0..200 {
        let grads = loss_of(&logits(&mut Ctx::train(0))).backward();
        for p in &params {
            let g = grads.param(p).unwrap().clone();
            p.update(|v| v.scaled_add(-1.0, &g));
        }
    }
    let z = no_grad(|| logits(&mut Ctx::eval())).to_vec();
    let hits = z.iter().zip(y.to_vec()).filter(|&(z, y)| (*z > 0.0) == (y > 0.5)).count();
    assert!(hits as f32 / n as f32 >= 0.95, "{hits}/{n}");
}

#[test]
fn non_contiguous_input_gives_the_same_output() {
    // The same [N, T, F] values stored time-major and permuted back.
    let x = input();
    let permuted = Tensor::from_array(x.permute(&[1, 0, 2]).to_array()).permute(&[1, 0, 2]);
    for layer in layers(true, false) {
        let a = layer.forward(&x, &mut Ctx::eval());
        close(&layer.forward(&permuted, &mut Ctx::eval()), &a.to_vec());
    }
}

#[test]
fn sequential_infers_shapes_and_counts_keras_parameters() {
    let model = crate::Sequential::new(&[T, F])
        .add(Bidirectional::new(GRU::new(U).return_sequences(true), MergeMode::Concat))
        .unwrap()
        .add(LSTM::new(4))
        .unwrap()
        .add(crate::Dense::new(1, crate::Activation::Sigmoid))
        .unwrap();
    assert_eq!(model.output_shape(), &[1]);
    // Keras: GRU 3·(F·U + U·U + 2U) per direction, LSTM 4·(2U·4 + 4·4 + 4), Dense 4 + 1.
    let gru = 3 * (F * U + U * U + 2 * U);
    assert_eq!(model.count_params(), 2 * gru + 4 * (2 * U * 4 + 4 * 4 + 4) + 5);
    assert_eq!(model.predict(&input(), 32).unwrap().shape(), &[N, 1]);
    let err = crate::Sequential::new(&[T]).add(GRU::new(2)).unwrap_err().to_string();
    assert!(err.contains("gru (GRU)"), "{err}");
}
