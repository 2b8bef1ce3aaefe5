//! Loss values against hand-computed numbers and finite-difference gradient checks.

use super::*;
use derin_tensor::check_gradients;

fn values(v: Vec<f32>, shape: &[usize]) -> Targets {
    Targets::Values(Tensor::from_vec(v, shape))
}

fn close(a: f32, b: f32) {
    assert!((a - b).abs() < 1e-5, "{a} vs {b}");
}

#[test]
fn regression_losses_match_hand_computed_values() {
    let pred = Tensor::from_vec(vec![0.5, 3.0], &[2, 1]);
    let y = values(vec![0.0, 1.0], &[2, 1]);
    close(Loss::MeanSquaredError.compute(&pred, &y).unwrap().item(), (0.25 + 4.0) / 2.0);
    close(Loss::MeanAbsoluteError.compute(&pred, &y).unwrap().item(), 1.25);
    // Huber δ = 1: ½·0.5² = 0.125 and 1·(2 − 0.5) = 1.5.
    close(Loss::huber().compute(&pred, &y).unwrap().item(), (0.125 + 1.5) / 2.0);
}

#[test]
fn smooth_l1_matches_pytorch() {
    // torch 2.15.0 smooth_l1_loss(reduction='mean'), reference/vision_ops.py.
    let pred = Tensor::from_vec(vec![0.5, -2.0, 1.0, 3.0, 0.0, -0.25], &[2, 3]);
    let y = values(vec![0.0, 0.0, 1.2, 0.0, 0.0, 0.5], &[2, 3]);
    close(Loss::smooth_l1().compute(&pred, &y).unwrap().item(), 0.737_708_3);
    close(Loss::SmoothL1 { beta: 0.5 }.compute(&pred, &y).unwrap().item(), 0.881_666_7);
    close(Loss::SmoothL1 { beta: 0.0 }.compute(&pred, &y).unwrap().item(), 1.075);
    // Per sample: the mean of each row.
    let rows = Loss::smooth_l1().per_sample(&pred, &y).unwrap().to_vec();
    close(rows[0], (0.125 + 1.5 + 0.02) / 3.0);
    close(rows[1], (2.5 + 0.0 + 0.281_25) / 3.0);
}

#[test]
fn binary_crossentropy_from_logits_and_probabilities() {
    let y = values(vec![1.0, 0.0], &[2, 1]);
    let logits = Tensor::from_vec(vec![0.0, 2.0], &[2, 1]);
    // ln 2 and softplus(2) = ln(1 + e²).
    let want = (2f32.ln() + (1.0 + 2f32.exp()).ln()) / 2.0;
    close(Loss::BinaryCrossentropy { from_logits: true }.compute(&logits, &y).unwrap().item(), want);
    let probs = Tensor::from_vec(vec![0.8, 0.3], &[2, 1]);
    let want = (-(0.8f32.ln()) - 0.7f32.ln()) / 2.0;
    close(Loss::BinaryCrossentropy { from_logits: false }.compute(&probs, &y).unwrap().item(), want);
}

#[test]
fn crossentropies_stay_finite_at_the_extremes() {
    let y = values(vec![1.0, 0.0], &[2, 1]);
    let p = Tensor::from_vec(vec![0.0, 1.0], &[2, 1]);
    let l = Loss::BinaryCrossentropy { from_logits: false }.compute(&p, &y).unwrap().item();
    // −ln ε for the first sample; 1 − (1 − ε) rounds to 2⁻²³ in f32 for the second.
    close(l, (-(EPSILON.ln()) - (1.0 - (1.0 - EPSILON)).ln()) / 2.0);
    let z = Tensor::from_vec(vec![-1000.0, 1000.0], &[2, 1]);
    close(Loss::BinaryCrossentropy { from_logits: true }.compute(&z, &y).unwrap().item(), 1000.0);
    let z = Tensor::from_vec(vec![1000.0, 0.0], &[1, 2]);
    let sparse = Loss::SparseCategoricalCrossentropy { from_logits: true };
    close(sparse.compute(&z, &Targets::Labels(vec![1])).unwrap().item(), 1000.0);
}

#[test]
fn categorical_crossentropy_values() {
    let y = values(vec![0.0, 1.0, 0.0], &[1, 3]);
    let p = Tensor::from_vec(vec![0.7, 0.2, 0.1], &[1, 3]);
    let cce = Loss::CategoricalCrossentropy { from_logits: false };
    close(cce.compute(&p, &y).unwrap().item(), -(0.2f32.ln()));
    // Unnormalised probabilities are normalised first, as in Keras.
    close(cce.compute(&(p * 2.0), &y).unwrap().item(), -(0.2f32.ln()));
    let z = Tensor::from_vec(vec![1.0, 2.0, 3.0], &[1, 3]);
    let lse = (1f32.exp() + 2f32.exp() + 3f32.exp()).ln();
    let y3 = values(vec![0.0, 0.0, 1.0], &[1, 3]);
    close(Loss::CategoricalCrossentropy { from_logits: true }.compute(&z, &y3).unwrap().item(), lse - 3.0);
    let sparse = Loss::SparseCategoricalCrossentropy { from_logits: true };
    close(sparse.compute(&z, &Targets::Labels(vec![2])).unwrap().item(), lse - 3.0);
}

#[test]
fn every_loss_has_correct_gradients() {
    let z = Tensor::from_vec(vec![0.3, -1.2, 2.1, 0.7, -0.4, 1.6], &[2, 3]);
    let p = Tensor::from_vec(vec![0.2, 0.5, 0.3, 0.6, 0.1, 0.3], &[2, 3]);
    let soft = values(vec![0.0, 1.0, 0.0, 0.5, 0.0, 0.5], &[2, 3]);
    let cases: Vec<(Loss, &Tensor, Targets)> = vec![
        (Loss::MeanSquaredError, &z, soft.clone()),
        (Loss::MeanAbsoluteError, &z, soft.clone()),
        (Loss::huber(), &z, soft.clone()),
        (Loss::BinaryCrossentropy { from_logits: true }, &z, soft.clone()),
        (Loss::BinaryCrossentropy { from_logits: false }, &p, soft.clone()),
        (Loss::CategoricalCrossentropy { from_logits: true }, &z, soft.clone()),
        (Loss::CategoricalCrossentropy { from_logits: false }, &p, soft.clone()),
        (Loss::SparseCategoricalCrossentropy { from_logits: true }, &z, Targets::Labels(vec![2, 0])),
        (Loss::SparseCategoricalCrossentropy { from_logits: false }, &p, Targets::Labels(vec![1, 0])),
    ];
    for (loss, x, y) in cases {
        check_gradients(|xs| loss.compute(&xs[0], &y).unwrap(), &[x.clone()])
            .unwrap_or_else(|e| panic!("{loss:?}: {e}"));
    }
}

#[test]
fn mismatches_are_errors_naming_both_shapes() {
    let pred = Tensor::zeros(&[2, 3]);
    let err = Loss::MeanSquaredError.compute(&pred, &values(vec![0.0; 2], &[2, 1])).unwrap_err().to_string();
    assert!(err.contains("[2, 1]") && err.contains("[2, 3]"), "{err}");
    let sparse = Loss::SparseCategoricalCrossentropy { from_logits: true };
    let err = sparse.compute(&pred, &Targets::Labels(vec![0, 3])).unwrap_err().to_string();
    assert!(err.contains("label 3") && err.contains("3 classes"), "{err}");
    assert!(sparse.compute(&pred, &Targets::Labels(vec![0])).is_err());
    assert!(sparse.compute(&pred, &values(vec![0.0; 6], &[2, 3])).is_err());
}
