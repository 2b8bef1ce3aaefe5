//! End to end: every optimizer minimizes a convex quadratic and the 2-D Rosenbrock
//! function through autograd, to a stated tolerance.

use derin_optim::*;
use derin_tensor::{Param, Tensor};

/// `f(x, y) = (1 − x)² + 100·(y − x²)²`, minimum 0 at (1, 1).
fn rosenbrock(p: &Param) -> Tensor {
    let v = p.value();
    let x = v.narrow(0, 0, 1);
    let y = v.narrow(0, 1, 1);
    (x.rsub_scalar(1.0).square() + (y - x.square()).square() * 100.0).sum_all()
}

/// `f(w) = ½·Σ cᵢ·(wᵢ − tᵢ)²` with curvatures 1, 10, 0.5 and minimum at t = (1, −2, 3).
fn quadratic(p: &Param) -> Tensor {
    let c = Tensor::from_vec(vec![1.0, 10.0, 0.5], &[3]);
    let t = Tensor::from_vec(vec![1.0, -2.0, 3.0], &[3]);
    ((p.value() - t).square() * c).sum_all() * 0.5
}

/// Runs `steps` steps from `start`; the final point.
fn minimize(opt: &mut dyn Optimizer, f: fn(&Param) -> Tensor, start: &[f32], steps: usize) -> Vec<f32> {
    let p = Param::new("p", Tensor::from_vec(start.to_vec(), &[start.len()]).to_array());
    for _ in 0..steps {
        let grads = f(&p).backward();
        opt.step(&[p.clone()], &grads);
    }
    p.value().to_vec()
}

fn distance(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f32>().sqrt()
}

/// Every optimizer, at learning rate `lr` (Adagrad, whose steps shrink as its accumulator
/// grows, at `adagrad_lr`).
fn optimizers(lr: f32, adagrad_lr: f32) -> Vec<(&'static str, Box<dyn Optimizer>)> {
    let sgd = |momentum, nesterov| SgdConfig { learning_rate: lr, momentum, nesterov, ..SgdConfig::default() };
    vec![
        ("Sgd", Box::new(Sgd::try_new(sgd(0.0, false)).unwrap())),
        ("Sgd momentum", Box::new(Sgd::try_new(sgd(0.9, false)).unwrap())),
        ("Sgd nesterov", Box::new(Sgd::try_new(sgd(0.9, true)).unwrap())),
        (
            "RmsProp",
            Box::new(RmsProp::try_new(RmsPropConfig { learning_rate: lr, ..RmsPropConfig::default() }).unwrap()),
        ),
        ("Adam", Box::new(Adam::try_new(AdamConfig { learning_rate: lr, ..AdamConfig::default() }).unwrap())),
        (
            "Adam amsgrad",
            Box::new(Adam::try_new(AdamConfig { learning_rate: lr, amsgrad: true, ..AdamConfig::default() }).unwrap()),
        ),
        (
            "AdamW",
            Box::new(
                AdamW::try_new(AdamWConfig { learning_rate: lr, weight_decay: 0.0, ..AdamWConfig::default() }).unwrap(),
            ),
        ),
        (
            "Adagrad",
            Box::new(
                Adagrad::try_new(AdagradConfig { learning_rate: adagrad_lr, ..AdagradConfig::default() }).unwrap(),
            ),
        ),
        ("Nadam", Box::new(Nadam::try_new(NadamConfig { learning_rate: lr, ..NadamConfig::default() }).unwrap())),
    ]
}

#[test]
fn every_optimizer_minimizes_a_quadratic() {
    // 2000 steps from (-2, 1, 0), learning rate 0.01 (Adagrad 0.3): within 1e-3 of (1, -2, 3).
    for (name, mut opt) in optimizers(0.01, 0.3) {
        let w = minimize(opt.as_mut(), quadratic, &[-2.0, 1.0, 0.0], 2000);
        let d = distance(&w, &[1.0, -2.0, 3.0]);
        assert!(d < 1e-3, "{name} ended at {w:?}, {d} from the minimum");
    }
}

#[test]
fn every_optimizer_minimizes_rosenbrock() {
    // 20000 steps from (-1.5, 2) along the curved valley, learning rate 0.001 (Adagrad 0.3,
    // AMSGrad 0.01):
    // within 5e-3 of (1, 1). AdamW without decay here: its decay pulls toward 0, not (1, 1).
    for (name, mut opt) in optimizers(0.001, 0.3) {
        if name == "Adam amsgrad" {
            // The running maximum keeps the early, steep gradients' v: it needs a larger rate.
            opt.set_learning_rate(0.01);
        }
        let w = minimize(opt.as_mut(), rosenbrock, &[-1.5, 2.0], 20000);
        let d = distance(&w, &[1.0, 1.0]);
        assert!(d < 5e-3, "{name} ended at {w:?}, {d} from the minimum");
    }
}

#[test]
fn mini_batch_sgd_fits_a_line() {
    // y = 3x − 1 on 32 points; batch GD (k = 32), mini-batch (k = 8) and stochastic GD
    // (k = 1) are the same Sgd fed different batch sizes, each for 40 epochs.
    let xs: Vec<f32> = (0..32).map(|i| i as f32 / 16.0 - 1.0).collect();
    let ys: Vec<f32> = xs.iter().map(|x| 3.0 * x - 1.0).collect();
    for batch in [32, 8, 1] {
        let w = Param::new("kernel", Tensor::zeros(&[1]).to_array());
        let b = Param::new("bias", Tensor::zeros(&[1]).to_array());
        let mut opt = Sgd::try_new(SgdConfig { learning_rate: 0.1, ..SgdConfig::default() }).unwrap();
        for _ in 0..if batch == 32 { 400 } else { 40 } {
            for start in (0..32).step_by(batch) {
                let x = Tensor::from_vec(xs[start..start + batch].to_vec(), &[batch]);
                let y = Tensor::from_vec(ys[start..start + batch].to_vec(), &[batch]);
                let loss = (x * w.value() + b.value() - y).square().mean_all();
                opt.step(&[w.clone(), b.clone()], &loss.backward());
            }
        }
        let (wv, bv) = (w.value().item(), b.value().item());
        assert!((wv - 3.0).abs() < 1e-3 && (bv + 1.0).abs() < 1e-3, "batch {batch}: w {wv}, b {bv}");
    }
}
