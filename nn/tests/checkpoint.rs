//! ModelCheckpoint: which epochs it saves, and that the file holds the best epoch's model.

use derin_data::Targets;
use derin_nn::{
    Activation, Dense, EarlyStopping, FitOptions, Graph, Loss, Model, ModelCheckpoint, Monitor, Sequential,
};
use derin_optim::{Sgd, SgdConfig};
use derin_tensor::{Rng, Tensor};

fn data(n: usize, seed: u64) -> (Tensor, Targets) {
    let mut rng = Rng::seed(seed);
    let x = Tensor::normal(&[n, 3], 0.0, 1.0, &mut rng);
    let w = Tensor::from_vec(vec![1.0, -2.0, 0.5], &[3, 1]);
    let y = x.matmul(&w) + Tensor::normal(&[n, 1], 0.0, 0.3, &mut rng);
    (x, Targets::Values(y))
}

fn model() -> Sequential {
    let mut m = Sequential::with_seed(&[3], 0)
        .add(Dense::new(16, Activation::Tanh))
        .unwrap()
        .add(Dense::new(1, Activation::Linear))
        .unwrap();
    // A large rate makes the validation loss go up and down.
    let sgd = Sgd::try_new(SgdConfig { learning_rate: 0.08, momentum: 0.9, ..SgdConfig::default() }).unwrap();
    m.compile(Box::new(sgd), Loss::MeanSquaredError, vec![]);
    m
}

#[test]
fn best_only_saves_improving_epochs_and_keeps_the_best_model() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("best.h5");
    let (x, y) = data(64, 1);
    let (xv, yv) = data(64, 2);
    let mut m = model();
    let options = FitOptions {
        epochs: 40,
        batch_size: 8,
        // Stopping restores the best epoch's weights: the final model is the best one.
        early_stopping: Some(EarlyStopping { patience: 3, restore_best_weights: true, ..EarlyStopping::default() }),
        callbacks: vec![Box::new(ModelCheckpoint::new(&path).monitor(Monitor::ValLoss).save_best_only(true))],
        ..FitOptions::default()
    };
    let history = m.fit_with_validation_data(&x, &y, &xv, &yv, options).unwrap();
    // The epochs (from 1) where val_loss reached a new minimum.
    let mut best = f32::INFINITY;
    let mut improving = Vec::new();
    for (i, &v) in history.val_loss().iter().enumerate() {
        if v < best {
            best = v;
            improving.push(i + 1);
        }
    }
    assert!(history.stopped.is_some(), "val_loss {:?}", history.val_loss());
    assert!(improving.len() >= 2, "val_loss {:?}", history.val_loss());
    let loaded = Sequential::load(&path).unwrap();
    let (a, b) = (loaded.predict(&xv, 64).unwrap().to_vec(), m.predict(&xv, 64).unwrap().to_vec());
    assert_eq!(a, b, "the file holds the best epoch's weights");
    // Every epoch: one file per epoch with `{epoch}` in the name.
    let mut m = model();
    let every = dir.path().join("e{epoch}.h5");
    let options =
        FitOptions { epochs: 3, callbacks: vec![Box::new(ModelCheckpoint::new(&every))], ..FitOptions::default() };
    m.fit(&x, &y, options).unwrap();
    for e in 1..=3 {
        assert!(dir.path().join(format!("e{e}.h5")).exists());
    }
}

#[test]
fn best_only_needs_the_monitored_value_and_functional_models_save() {
    let (x, y) = data(16, 1);
    let mut m = model();
    let options = FitOptions {
        epochs: 1,
        callbacks: vec![Box::new(ModelCheckpoint::new("never.h5").save_best_only(true))],
        ..FitOptions::default()
    };
    let err = m.fit(&x, &y, options).unwrap_err().to_string();
    assert!(err.contains("ModelCheckpoint") && err.contains("val_loss"), "{err}");
    // A functional model saves as a Keras functional .h5 that loads back.
    let mut g = Graph::with_seed(0);
    let input = g.input("x", &[3]).unwrap();
    let out = g.apply(Dense::new(1, Activation::Linear), &input).unwrap();
    let mut f = Model::new(g, &[&input], &[&out]).unwrap();
    f.compile(Box::new(Sgd::new()), vec![Loss::MeanSquaredError], None, vec![]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let options = FitOptions {
        epochs: 1,
        callbacks: vec![Box::new(ModelCheckpoint::new(dir.path().join("f.h5")))],
        ..FitOptions::default()
    };
    f.fit(&[x], &[y], options).unwrap();
    let back = Model::load(dir.path().join("f.h5")).unwrap();
    assert_eq!(back.weights()[0].value().to_vec(), f.weights()[0].value().to_vec());
}
