//! `fit`'s stopping rules: early stopping (with best-weight restore) and a loss that
//! stops being finite.

use derin_data::Targets;
use derin_nn::{Activation, Dense, EarlyStopping, Error, FitOptions, Loss, Metric, Module, Monitor, Sequential};
use derin_optim::{Sgd, SgdConfig};
use derin_tensor::Tensor;

fn regression() -> (Tensor, Targets) {
    let xs: Vec<f32> = (0..32).map(|i| (i as f32 - 16.0) / 8.0).collect();
    let ys: Vec<f32> = xs.iter().map(|x| 3.0 * x - 1.0).collect();
    (Tensor::from_vec(xs, &[32, 1]), Targets::Values(Tensor::from_vec(ys, &[32, 1])))
}

fn model(learning_rate: f32) -> Sequential {
    let mut m = Sequential::with_seed(&[1], 5).add(Dense::new(1, Activation::Linear)).unwrap();
    let sgd = Sgd::try_new(SgdConfig { learning_rate, ..SgdConfig::default() }).unwrap();
    m.compile(Box::new(sgd), Loss::MeanSquaredError, vec![Metric::MeanAbsoluteError]);
    m
}

fn weights(m: &Sequential) -> Vec<Vec<f32>> {
    m.weights().iter().map(|p| p.value().to_vec()).collect()
}

#[test]
fn early_stopping_stops_and_restores_the_best_weights() {
    let (x, y) = regression();
    // An improvement must beat 100: only the first epoch "improves", so training stops
    // after patience = 2 more epochs and puts back the weights of epoch 1.
    let rule = EarlyStopping { monitor: Monitor::Loss, min_delta: 100.0, patience: 2, restore_best_weights: true };
    let opts = FitOptions { epochs: 20, batch_size: 8, early_stopping: Some(rule), ..FitOptions::default() };
    let mut stopped = model(0.05);
    let h = stopped.fit(&x, &y, opts).unwrap();
    assert_eq!(h.epochs.len(), 3);
    let why = h.stopped.unwrap();
    assert!(why.contains("after epoch 3") && why.contains("epoch 1") && why.contains("restored"), "{why}");
    let mut one_epoch = model(0.05);
    one_epoch.fit(&x, &y, FitOptions { epochs: 1, batch_size: 8, ..FitOptions::default() }).unwrap();
    assert_eq!(weights(&stopped), weights(&one_epoch));
}

#[test]
fn early_stopping_needs_what_it_monitors() {
    let (x, y) = regression();
    let opts = FitOptions { early_stopping: Some(EarlyStopping::default()), ..FitOptions::default() };
    let err = model(0.05).fit(&x, &y, opts).unwrap_err();
    assert!(matches!(err, Error::Data { .. }));
    assert!(err.to_string().contains("val_loss") && err.to_string().contains("no validation data"), "{err}");
    let rule = EarlyStopping { monitor: Monitor::ValMetric(Metric::Accuracy), ..EarlyStopping::default() };
    let opts = FitOptions { validation_split: 0.25, early_stopping: Some(rule), ..FitOptions::default() };
    let err = model(0.05).fit(&x, &y, opts).unwrap_err().to_string();
    assert!(err.contains("val_accuracy") && err.contains("not compiled"), "{err}");
}

#[test]
fn a_diverging_loss_stops_training_with_the_last_finite_weights() {
    let (x, y) = regression();
    let mut m = model(1e6);
    let h = m.fit(&x, &y, FitOptions { epochs: 50, batch_size: 32, ..FitOptions::default() }).unwrap();
    let why = h.stopped.expect("the loss overflows");
    assert!(why.contains("loss became") && why.contains("weights kept"), "{why}");
    assert!(h.epochs.len() < 50);
    assert!(weights(&m).iter().flatten().all(|v| v.is_finite()));
}

#[test]
fn regression_converges_and_reports_metrics() {
    let (x, y) = regression();
    let mut m = model(0.1);
    let opts = FitOptions { epochs: 40, batch_size: 8, validation_split: 0.25, ..FitOptions::default() };
    let h = m.fit(&x, &y, opts).unwrap();
    assert!(h.loss()[39] < 1e-3, "{:?}", h.loss());
    assert_eq!(h.metric(Metric::MeanAbsoluteError).len(), 40);
    assert_eq!(h.val_metric(Metric::MeanAbsoluteError).len(), 40);
    let w = weights(&m);
    assert!((w[0][0] - 3.0).abs() < 0.05 && (w[1][0] + 1.0).abs() < 0.05, "{w:?}");
}

#[test]
fn l2_penalty_shrinks_the_kernel_and_counts_in_the_loss() {
    use derin_nn::Regularizer;
    let (x, y) = regression();
    let dense = Dense::new(1, Activation::Linear).with_kernel_regularizer(Regularizer::L2(1.0));
    let mut m = Sequential::with_seed(&[1], 5).add(dense).unwrap();
    let sgd = Sgd::try_new(SgdConfig { learning_rate: 0.05, ..SgdConfig::default() }).unwrap();
    m.compile(Box::new(sgd), Loss::MeanSquaredError, vec![]);
    m.fit(&x, &y, FitOptions { epochs: 60, batch_size: 8, ..FitOptions::default() }).unwrap();
    let w = weights(&m)[0][0];
    assert!(w > 0.5 && w < 2.5, "kernel {w} should shrink from 3");
    let mse = Loss::MeanSquaredError.compute(&m.predict(&x, 32).unwrap(), &y).unwrap().item();
    let scores = m.evaluate(&x, &y, 32).unwrap();
    assert!((scores.loss - (mse + w * w)).abs() < 1e-4, "{} vs {}", scores.loss, mse + w * w);
}

#[test]
fn class_weight_shifts_the_fitted_probability() {
    // Constant input: only the bias learns. Half the samples are positive; weighting
    // positives 3 : 1 moves the weighted maximum-likelihood probability to 3 / (1 + 3).
    let x = Tensor::zeros(&[8, 1]);
    let y = Targets::Values(Tensor::from_vec(vec![0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0], &[8, 1]));
    let mut m = Sequential::new(&[1]).add(Dense::new(1, Activation::Sigmoid)).unwrap();
    let adam = derin_optim::Adam::try_new(derin_optim::AdamConfig {
        learning_rate: 0.05,
        ..derin_optim::AdamConfig::default()
    })
    .unwrap();
    m.compile(Box::new(adam), Loss::BinaryCrossentropy { from_logits: false }, vec![]);
    let opts = FitOptions { epochs: 400, batch_size: 8, class_weight: Some(vec![1.0, 3.0]), ..FitOptions::default() };
    m.fit(&x, &y, opts).unwrap();
    let p = m.predict(&Tensor::zeros(&[1, 1]), 1).unwrap().item();
    assert!((p - 0.75).abs() < 0.02, "p = {p}");
    let bad = FitOptions { class_weight: Some(vec![1.0, 2.0, 3.0]), ..FitOptions::default() };
    let err = m.fit(&x, &y, bad).unwrap_err().to_string();
    assert!(err.contains("3 entries") && err.contains("2 classes"), "{err}");
}
