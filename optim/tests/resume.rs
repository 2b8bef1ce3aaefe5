//! Checkpoints: 3 steps, state to JSON, a fresh optimizer and fresh parameters (as in
//! another process), 2 more steps — bit for bit the same as 5 uninterrupted steps. And the
//! errors a state that does not fit gives.

use derin_optim::*;
use derin_tensor::{Gradients, Param, Tensor};

/// Two parameters with names as a layer would give them.
fn params(kernel: &[f32], bias: &[f32]) -> [Param; 2] {
    [
        Param::new("dense/kernel", Tensor::from_vec(kernel.to_vec(), &[2, 3]).to_array()),
        Param::new("dense/bias", Tensor::from_vec(bias.to_vec(), &[3]).to_array()),
    ]
}

fn start() -> [Param; 2] {
    params(&[0.5, -1.0, 2.0, 0.1, 0.3, -0.7], &[0.0, 0.2, -0.2])
}

/// A loss whose gradient changes with the step and with the parameters:
/// `Σ (x·W + b − y)²` on a batch that depends on `step`.
fn grads(ps: &[Param; 2], step: usize) -> Gradients {
    let s = step as f32;
    let x = Tensor::from_vec(vec![1.0, -s, 0.5 * s, 2.0], &[2, 2]);
    let y = Tensor::from_vec(vec![1.0, 0.0, -1.0, s, 0.5, 0.25], &[2, 3]);
    (x.matmul(&ps[0].value()) + ps[1].value() - y).square().sum_all().backward()
}

fn values(ps: &[Param; 2]) -> Vec<u32> {
    ps.iter().flat_map(|p| p.value().to_vec()).map(f32::to_bits).collect()
}

/// Runs the 5-step and the 3 + 2-step trainings with optimizers from `make`, and compares
/// parameters and states bit for bit. The learning rate changes at step 2 (as a schedule
/// would), so it must travel with the state; the resumed optimizer is built with other
/// hyperparameters, which the state must replace.
fn check_resume(name: &str, make: impl Fn() -> Box<dyn Optimizer>, other: Box<dyn Optimizer>) {
    let lr = make().learning_rate();
    let run = |opt: &mut dyn Optimizer, ps: &[Param; 2], steps: std::ops::Range<usize>| {
        for step in steps {
            if step == 2 {
                opt.set_learning_rate(lr * 0.5);
            }
            opt.step(ps, &grads(ps, step));
        }
    };

    let straight = start();
    let mut opt = make();
    run(opt.as_mut(), &straight, 0..5);

    let first = start();
    let mut opt1 = make();
    run(opt1.as_mut(), &first, 0..3);
    let json = opt1.state().to_json();
    let kernel = first[0].value().to_vec();
    let bias = first[1].value().to_vec();
    drop((opt1, first));

    let second = params(&kernel, &bias);
    let mut opt2 = other;
    opt2.load_state(&OptimizerState::from_json(&json).unwrap(), &second).unwrap();
    assert_eq!(opt2.iterations(), 3, "{name}");
    assert_eq!(opt2.learning_rate(), lr * 0.5, "{name}");
    run(opt2.as_mut(), &second, 3..5);

    assert_eq!(values(&second), values(&straight), "{name}: parameters differ after resuming");
    assert_eq!(opt2.state(), opt.state(), "{name}: optimizer states differ after resuming");
}

#[test]
fn every_optimizer_resumes_exactly() {
    let sgd = |momentum, dampening, nesterov| {
        let c = SgdConfig { learning_rate: 0.05, momentum, dampening, nesterov, weight_decay: 0.01 };
        Box::new(Sgd::try_new(c).unwrap()) as Box<dyn Optimizer>
    };
    check_resume("Sgd", || sgd(0.0, 0.0, false), Box::new(Sgd::new()));
    check_resume("Sgd momentum", || sgd(0.9, 0.1, false), Box::new(Sgd::new()));
    check_resume("Sgd nesterov", || sgd(0.9, 0.0, true), Box::new(Sgd::new()));

    let rms = |momentum, centered| {
        let c = RmsPropConfig { learning_rate: 0.01, momentum, centered, ..RmsPropConfig::default() };
        Box::new(RmsProp::try_new(c).unwrap()) as Box<dyn Optimizer>
    };
    check_resume("RmsProp", || rms(0.0, false), Box::new(RmsProp::new()));
    check_resume("RmsProp centered momentum", || rms(0.5, true), Box::new(RmsProp::new()));

    let adam = |amsgrad| {
        let c = AdamConfig { learning_rate: 0.01, amsgrad, ..AdamConfig::default() };
        Box::new(Adam::try_new(c).unwrap()) as Box<dyn Optimizer>
    };
    check_resume("Adam", || adam(false), Box::new(Adam::new()));
    check_resume("Adam amsgrad", || adam(true), Box::new(Adam::new()));

    let adamw = || {
        let c = AdamWConfig { learning_rate: 0.01, weight_decay: 0.1, ..AdamWConfig::default() };
        Box::new(AdamW::try_new(c).unwrap()) as Box<dyn Optimizer>
    };
    check_resume("AdamW", adamw, Box::new(AdamW::new()));

    let adagrad = || {
        let c = AdagradConfig { learning_rate: 0.1, ..AdagradConfig::default() };
        Box::new(Adagrad::try_new(c).unwrap()) as Box<dyn Optimizer>
    };
    check_resume("Adagrad", adagrad, Box::new(Adagrad::new()));

    let nadam = || {
        let c = NadamConfig { learning_rate: 0.01, ..NadamConfig::default() };
        Box::new(Nadam::try_new(c).unwrap()) as Box<dyn Optimizer>
    };
    check_resume("Nadam", nadam, Box::new(Nadam::new()));
}

/// An Adam state after one step on `start()`'s parameters.
fn adam_state() -> OptimizerState {
    let ps = start();
    let mut opt = Adam::new();
    opt.step(&ps, &grads(&ps, 0));
    opt.state()
}

#[test]
fn the_json_names_parameters_and_slots() {
    let json = adam_state().to_json();
    assert!(json.contains("\"dense/kernel\":{\"momentum\":{\"shape\":[2,3],\"data\":["), "{json}");
    assert!(json.contains("\"velocity\""));
    assert!(json.contains("\"hyperparameters\":{\"Adam\":{\"learning_rate\":0.001"));
}

#[test]
fn a_state_that_does_not_fit_is_an_error() {
    let state = adam_state();
    let err = |opt: &mut dyn Optimizer, state: &OptimizerState, ps: &[Param]| opt.load_state(state, ps).unwrap_err();

    // Another optimizer.
    let e = err(&mut Sgd::new(), &state, &start());
    assert_eq!(e.to_string(), "Sgd::load_state: the state was saved by Adam, not Sgd");

    // Another shape: the parameter and both shapes are named.
    let wide = [Param::new("dense/kernel", Tensor::zeros(&[2, 4]).to_array()), start()[1].clone()];
    let e = err(&mut Adam::new(), &state, &wide);
    assert!(matches!(&e, Error::ShapeMismatch { param, .. } if param == "dense/kernel"));
    assert_eq!(
        e.to_string(),
        "Adam::load_state: parameter \"dense/kernel\" has shape [2, 4], its saved slot \"momentum\" has shape [2, 3]"
    );

    // A parameter the state knows is missing.
    let e = err(&mut Adam::new(), &state, &start()[..1]);
    assert!(e.to_string().contains("slots for parameter \"dense/bias\", which is not among the 1 parameters given"));

    // Duplicate names among the parameters.
    let twice = [start()[0].clone(), start()[0].clone(), start()[1].clone()];
    let e = err(&mut Adam::new(), &state, &twice);
    assert!(e.to_string().contains("two parameters are named \"dense/kernel\""));

    // A slot this configuration does not keep, and one that is missing.
    let mut extra = state.clone();
    let m = extra.slots["dense/bias"][&Slot::Momentum].clone();
    extra.slots.get_mut("dense/bias").unwrap().insert(Slot::VelocityHat, m);
    let e = err(&mut Adam::new(), &extra, &start());
    assert!(e.to_string().contains("parameter \"dense/bias\" has a slot \"velocity_hat\""), "{e}");
    let mut ams = state.clone();
    if let Hyperparameters::Adam(c) = &mut ams.hyperparameters {
        c.amsgrad = true;
    }
    let e = err(&mut Adam::new(), &ams, &start());
    assert!(e.to_string().contains("has no saved slot \"velocity_hat\""), "{e}");

    // Data that does not fill its shape.
    let mut short = state.clone();
    short.slots.get_mut("dense/bias").unwrap().get_mut(&Slot::Velocity).unwrap().data.pop();
    let e = err(&mut Adam::new(), &short, &start());
    assert!(e.to_string().contains("slot \"velocity\" of parameter \"dense/bias\" has 2 values for shape [3]"), "{e}");

    // Saved hyperparameters out of range.
    let mut bad = state.clone();
    if let Hyperparameters::Adam(c) = &mut bad.hyperparameters {
        c.beta_1 = 1.0;
    }
    assert_eq!(err(&mut Adam::new(), &bad, &start()).to_string(), "Adam: beta_1 must be in [0, 1), got 1");

    // Broken JSON.
    let e = OptimizerState::from_json("{\"iterations\": -1}").unwrap_err();
    assert!(matches!(e, Error::Json(_)));
}

#[test]
fn a_failed_load_leaves_the_optimizer_as_it_was() {
    let ps = start();
    let mut opt = Adam::new();
    opt.step(&ps, &grads(&ps, 0));
    let before = opt.state();
    let mut bad = before.clone();
    bad.slots.get_mut("dense/kernel").unwrap().get_mut(&Slot::Momentum).unwrap().shape = vec![3, 2];
    assert!(opt.load_state(&bad, &ps).is_err());
    assert_eq!(opt.state(), before);
}
