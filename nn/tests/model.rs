//! `Sequential` as a whole: gradients through a stack, shape errors at build time,
//! fit's input checks, freezing and training on a tiny problem.

use derin_data::Targets;
use derin_nn::{
    Activation, Ctx, Dense, Dropout, Error, FitOptions, Flatten, Loss, Metric, Module, Reshape, Sequential,
};
use derin_optim::Sgd;
use derin_tensor::{Tensor, check_gradients};

fn mlp() -> Sequential {
    Sequential::with_seed(&[2, 2], 3)
        .add(Flatten::new())
        .unwrap()
        .add(Dense::new(3, Activation::Tanh))
        .unwrap()
        .add(Dropout::new(0.5).unwrap())
        .unwrap()
        .add(Dense::new(2, Activation::Softmax))
        .unwrap()
}

#[test]
fn gradient_check_through_a_sequential() {
    let model = mlp();
    let x = Tensor::from_vec(vec![0.3, -0.8, 1.2, 0.5, -1.1, 0.7, 0.2, -0.4], &[2, 2, 2]);
    let y = Targets::Labels(vec![1, 0]);
    let loss = Loss::SparseCategoricalCrossentropy { from_logits: false };
    let f = |xs: &[Tensor]| loss.compute(&model.forward(&xs[0], &mut Ctx::eval()), &y).unwrap();
    check_gradients(f, &[x.clone()]).unwrap();
    // Parameter gradients against central differences on the first kernel entry.
    let kernel = model.params()[0].clone();
    let grads = f(&[x.clone()]).backward();
    let analytic = grads.param(&kernel).unwrap()[[0, 0]];
    let base = kernel.value().to_array();
    let at = |d: f32| {
        let mut moved = base.clone();
        moved[[0, 0]] += d;
        kernel.set(moved);
        f(&[x.clone()]).item()
    };
    let numeric = (at(1e-3) - at(-1e-3)) / 2e-3;
    kernel.set(base);
    assert!((analytic - numeric).abs() < 1e-3, "{analytic} vs {numeric}");
}

#[test]
fn shape_mismatch_names_both_layers_and_shapes() {
    let dense = Dense::with_input(5, 2, Activation::Linear, &mut derin_tensor::Rng::seed(0));
    let err = Sequential::new(&[2, 3]).add(Flatten::new()).unwrap().add(dense).err().unwrap();
    assert!(matches!(err, Error::Incompatible { .. }));
    let msg = err.to_string();
    assert_eq!(
        msg,
        "cannot add dense (Dense) after flatten (Flatten): flatten (Flatten) outputs [6], \
         but dense (Dense) expects [5] (last axis of size 5)"
    );
    let err = Sequential::new(&[4]).add(Reshape::new(&[3])).err().unwrap().to_string();
    assert!(err.contains("input (InputLayer) outputs [4]") && err.contains("reshape (Reshape)"), "{err}");
}

#[test]
fn fit_checks_data_before_training() {
    let mut model = mlp();
    let x = Tensor::zeros(&[4, 2, 2]);
    let err = model.fit(&x, &Targets::Labels(vec![0; 4]), FitOptions::default()).unwrap_err();
    assert!(matches!(err, Error::NotCompiled { .. }));
    model.compile(Box::new(Sgd::new()), Loss::SparseCategoricalCrossentropy { from_logits: false }, vec![]);
    let err = model.fit(&Tensor::zeros(&[4, 3]), &Targets::Labels(vec![0; 4]), FitOptions::default()).unwrap_err();
    assert!(err.to_string().contains("[4, 3]") && err.to_string().contains("[2, 2]"), "{err}");
    let err = model.fit(&x, &Targets::Labels(vec![0; 3]), FitOptions::default()).unwrap_err();
    assert!(err.to_string().contains("3 labels for 4 inputs"), "{err}");
    let err = model.fit(&x, &Targets::Labels(vec![0, 1, 2, 1]), FitOptions::default()).unwrap_err();
    assert!(err.to_string().contains("label 2 is out of range for the model's 2 outputs"), "{err}");
    let err = model.fit(&x, &Targets::Values(Tensor::zeros(&[4, 2])), FitOptions::default()).unwrap_err();
    assert!(err.to_string().contains("needs labels"), "{err}");
    let bad = FitOptions { validation_split: 1.0, ..FitOptions::default() };
    assert!(matches!(model.fit(&x, &Targets::Labels(vec![0; 4]), bad), Err(Error::Hyperparameter { .. })));
}

#[test]
fn frozen_layers_do_not_change_and_fit_is_reproducible() {
    let data: Vec<f32> = (0..64).map(|i| ((i * 13 % 17) as f32 - 8.0) / 4.0).collect();
    let labels: Vec<usize> = data.chunks(4).map(|c| usize::from(c[0] + c[3] > 0.0)).collect();
    let x = Tensor::from_vec(data, &[16, 2, 2]);
    let y = Targets::Labels(labels);
    let run = |freeze: bool| {
        let mut model = mlp();
        if freeze {
            model.layer_mut("dense").unwrap().set_trainable(false);
        }
        let loss = Loss::SparseCategoricalCrossentropy { from_logits: false };
        model.compile(Box::new(Sgd::new()), loss, vec![Metric::Accuracy]);
        let before: Vec<Vec<f32>> = model.weights().iter().map(|p| p.value().to_vec()).collect();
        let h = model.fit(&x, &y, FitOptions { epochs: 3, batch_size: 4, ..FitOptions::default() }).unwrap();
        let after: Vec<Vec<f32>> = model.weights().iter().map(|p| p.value().to_vec()).collect();
        (before, after, h)
    };
    let (before, after, _) = run(true);
    assert_eq!(before[0], after[0]);
    assert_eq!(before[1], after[1]);
    assert_ne!(before[2], after[2]);
    let (_, a, ha) = run(false);
    let (_, b, hb) = run(false);
    assert_eq!(a, b);
    assert_eq!(ha, hb);
}
