//! `fit` with callbacks: the order they run in, learning-rate changes, CSV logs,
//! TerminateOnNaN, determinism, epoch-level metrics, diagnosis and learning curves.

use std::cell::RefCell;
use std::rc::Rc;

use derin_data::Targets;
use derin_nn::{
    Activation, CSVLogger, Callback, Dense, EarlyStopping, EpochLog, Error, FitOptions, LearningRateScheduler, Loss,
    Metric, Module, Monitor, ReduceLROnPlateau, Result, Sequential, TrainInfo, TrainableModel,
};
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

/// Records every call, shared with the test.
struct Recorder {
    events: Rc<RefCell<Vec<String>>>,
    stop_after: Option<usize>,
}

impl Callback for Recorder {
    fn on_train_begin(&mut self, info: &TrainInfo, _: &mut dyn TrainableModel) -> Result<()> {
        self.events.borrow_mut().push(format!("begin {} {}", info.epochs, info.steps_per_epoch));
        Ok(())
    }
    fn on_epoch_begin(&mut self, epoch: usize, _: &mut dyn TrainableModel) -> Result<()> {
        self.events.borrow_mut().push(format!("epoch {epoch}"));
        Ok(())
    }
    fn on_batch_end(&mut self, batch: usize, _: &derin_nn::Logs) -> Option<String> {
        self.events.borrow_mut().push(format!("batch {batch}"));
        None
    }
    fn on_epoch_end(&mut self, epoch: usize, _: &EpochLog, _: &mut dyn TrainableModel) -> Result<Option<String>> {
        self.events.borrow_mut().push(format!("end {epoch}"));
        Ok((Some(epoch) == self.stop_after).then(|| "recorder asked".to_string()))
    }
}

#[test]
fn callbacks_run_in_order_and_all_see_the_stopping_epoch() {
    let (x, y) = regression();
    let first = Rc::new(RefCell::new(Vec::new()));
    let second = Rc::new(RefCell::new(Vec::new()));
    let callbacks: Vec<Box<dyn Callback>> = vec![
        Box::new(Recorder { events: first.clone(), stop_after: Some(1) }),
        Box::new(Recorder { events: second.clone(), stop_after: None }),
    ];
    // 32 samples in batches of 16: 2 steps per epoch; the first recorder stops after epoch 1.
    let opts = FitOptions { epochs: 5, batch_size: 16, callbacks, ..FitOptions::default() };
    let h = model(0.01).fit(&x, &y, opts).unwrap();
    assert_eq!(h.epochs.len(), 2);
    assert_eq!(h.stopped.as_deref(), Some("recorder asked"));
    let expected = ["begin 5 2", "epoch 0", "batch 0", "batch 1", "end 0", "epoch 1", "batch 0", "batch 1", "end 1"];
    assert_eq!(*first.borrow(), expected);
    assert_eq!(*second.borrow(), expected);
}

#[test]
fn early_stopping_as_a_callback_matches_the_option() {
    let (x, y) = regression();
    let rule = EarlyStopping { monitor: Monitor::Loss, min_delta: 100.0, patience: 2, restore_best_weights: true };
    let mut a = model(0.05);
    let ha =
        a.fit(&x, &y, FitOptions { epochs: 20, batch_size: 8, early_stopping: Some(rule), ..FitOptions::default() });
    let mut b = model(0.05);
    let hb =
        b.fit(&x, &y, FitOptions { epochs: 20, batch_size: 8, callbacks: vec![rule.into()], ..FitOptions::default() });
    assert_eq!(ha.unwrap(), hb.unwrap());
    assert_eq!(weights(&a), weights(&b));
}

#[test]
fn reduce_lr_on_plateau_checks_its_monitor_and_lowers_the_rate() {
    let (x, y) = regression();
    let rule = ReduceLROnPlateau::default(); // monitors val_loss
    let err =
        model(0.01).fit(&x, &y, FitOptions { callbacks: vec![rule.into()], ..FitOptions::default() }).unwrap_err();
    assert!(matches!(err, Error::Data { .. }) && err.to_string().contains("val_loss"), "{err}");
    // A frozen model's loss is the same every epoch: only epoch 0 improves (on +∞). A
    // scheduler sets the rate to 1 before epoch 0 and records the rate each epoch starts
    // with. Keras' counting with patience 2, cooldown 1 (the cooldown counter is
    // decremented first, and the same epoch may then count as waiting):
    // epoch 0 best; 1 wait 1; 2 wait 2 → 0.5, cooldown 1; 3 cooldown 1→0, wait 1;
    // 4 wait 2 → 0.25, cooldown 1; 5 cooldown →0, wait 1; 6 wait 2 → 0.125.
    let mut m = model(0.0);
    m.set_trainable(false);
    let rule = ReduceLROnPlateau { monitor: Monitor::Loss, factor: 0.5, patience: 2, cooldown: 1, ..rule };
    let lrs = Rc::new(RefCell::new(Vec::new()));
    let seen = lrs.clone();
    let set_once = LearningRateScheduler::new(move |epoch, lr| {
        seen.borrow_mut().push(lr);
        if epoch == 0 { 1.0 } else { lr }
    });
    let callbacks: Vec<Box<dyn Callback>> = vec![Box::new(set_once), rule.into()];
    m.fit(&x, &y, FitOptions { epochs: 7, batch_size: 32, callbacks, ..FitOptions::default() }).unwrap();
    assert_eq!(*lrs.borrow(), vec![0.0, 1.0, 1.0, 0.5, 0.5, 0.25, 0.25]);
    assert_eq!(m.learning_rate(), Some(0.125));
}

#[test]
fn csv_logger_writes_every_epoch_of_a_fit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.csv");
    let (x, y) = regression();
    let opts = FitOptions {
        epochs: 3,
        batch_size: 8,
        validation_split: 0.25,
        callbacks: vec![Box::new(CSVLogger::new(&path))],
        ..FitOptions::default()
    };
    let h = model(0.05).fit(&x, &y, opts).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "epoch,loss,mae,val_loss,val_mae");
    assert_eq!(lines.len(), 4);
    for (i, line) in lines[1..].iter().enumerate() {
        let cells: Vec<f32> = line.split(',').map(|c| c.parse().unwrap()).collect();
        assert_eq!(cells[0], i as f32);
        assert_eq!(cells[1], h.loss()[i]); // written with full precision
        assert_eq!(cells[3], h.val_loss()[i]);
    }
}

#[test]
fn a_step_that_makes_weights_infinite_is_undone() {
    // Learning rate 1e38: the first loss is finite, but its step sends the weights past
    // f32::MAX; TerminateOnNaN puts back the initial weights.
    let (x, y) = regression();
    let mut m = model(1e38);
    let initial = weights(&m);
    let h = m.fit(&x, &y, FitOptions { epochs: 3, batch_size: 32, ..FitOptions::default() }).unwrap();
    let why = h.stopped.unwrap();
    assert!(why.contains("weight became non-finite at epoch 1, batch 1") && why.contains("weights kept"), "{why}");
    assert!(h.epochs.is_empty());
    assert_eq!(weights(&m), initial);
    // Switched off, training goes on through all epochs (the bad steps are not undone).
    let mut m = model(1e38);
    let opts = FitOptions { epochs: 3, batch_size: 32, terminate_on_nan: false, ..FitOptions::default() };
    let h = m.fit(&x, &y, opts).unwrap();
    assert!(h.stopped.is_none() && h.epochs.len() == 3);
}

#[test]
fn callbacks_and_nan_guard_keep_fit_deterministic() {
    let (x, y) = regression();
    let run = |terminate_on_nan: bool, with_callbacks: bool, dir: &std::path::Path| {
        let mut m = model(0.05);
        let callbacks: Vec<Box<dyn Callback>> = if with_callbacks {
            vec![Box::new(CSVLogger::new(dir.join("log.csv"))), Box::new(LearningRateScheduler::new(|_, lr| lr))]
        } else {
            Vec::new()
        };
        let opts =
            FitOptions { epochs: 5, batch_size: 4, seed: 3, terminate_on_nan, callbacks, ..FitOptions::default() };
        m.fit(&x, &y, opts).unwrap();
        weights(&m)
    };
    let dir = tempfile::tempdir().unwrap();
    let reference = run(true, true, dir.path());
    assert_eq!(run(true, true, dir.path()), reference);
    assert_eq!(run(false, false, dir.path()), reference);
}

#[test]
fn epoch_metrics_do_not_depend_on_the_batch_size() {
    // A binary classifier on 40 points: AUC, precision, recall and R² of the whole set
    // must be the same whether it is scored in batches of 3 or in one batch.
    let xs: Vec<f32> = (0..80).map(|i| ((i * 29 % 17) as f32 - 8.0) / 4.0).collect();
    let labels: Vec<f32> = xs.chunks(2).map(|p| f32::from(p[0] - 0.5 * p[1] > 0.3)).collect();
    let (x, y) = (Tensor::from_vec(xs, &[40, 2]), Targets::Values(Tensor::from_vec(labels, &[40, 1])));
    let mut m = Sequential::with_seed(&[2], 1).add(Dense::new(1, Activation::Sigmoid)).unwrap();
    let metrics = vec![Metric::Auc, Metric::Precision, Metric::Recall, Metric::F1, Metric::R2, Metric::BinaryAccuracy];
    m.compile(Box::new(Sgd::new()), Loss::BinaryCrossentropy { from_logits: false }, metrics.clone());
    m.fit(&x, &y, FitOptions { epochs: 3, batch_size: 8, ..FitOptions::default() }).unwrap();
    let small = m.evaluate(&x, &y, 3).unwrap();
    let whole = m.evaluate(&x, &y, 40).unwrap();
    for metric in metrics {
        let (a, b) = (small.metric(metric).unwrap(), whole.metric(metric).unwrap());
        assert!((a - b).abs() < 1e-6, "{metric:?}: {a} vs {b}");
    }
    let p: Vec<f32> = m.predict(&x, 40).unwrap().to_vec();
    let positive: Vec<bool> = y.values().unwrap().to_vec().iter().map(|&t| t > 0.5).collect();
    let auc = derin_nn::roc_auc(&p, &positive).unwrap() as f32;
    assert!((whole.metric(Metric::Auc).unwrap() - auc).abs() < 1e-6);
}

#[cfg(feature = "plots")]
#[test]
fn verbose_fit_then_diagnosis_and_learning_curves() {
    let dir = tempfile::tempdir().unwrap();
    let (x, y) = regression();
    let mut m = model(0.05);
    let opts = FitOptions { epochs: 4, batch_size: 8, validation_split: 0.25, verbose: true, ..FitOptions::default() };
    let h = m.fit(&x, &y, opts).unwrap();
    // No accuracy: the errors are the losses of the last epoch.
    let d = h.diagnose().unwrap();
    assert_eq!((d.train_error, d.val_error), (h.loss()[3], h.val_loss()[3]));
    assert!(d.to_string().starts_with("diagnosis: "));
    let path = dir.path().join("curves.png");
    derin_nn::plot_history(&h, &path).unwrap();
    assert!(std::fs::metadata(&path).unwrap().len() > 5_000);
}
