//! Row-sparse gradients (from `index_select`, as an embedding makes) update a parameter
//! exactly as the same gradient given densely does, for every optimizer and clipping rule.

use derin_tensor::ndarray::{ArrayD, IxDyn};
use derin_tensor::{Gradients, Param, Rng, Tensor};

use crate::{
    Adagrad, AdagradConfig, Adam, AdamConfig, AdamW, AdamWConfig, Nadam, Optimizer, RmsProp, RmsPropConfig, Sgd,
    SgdConfig, clip_by_global_norm, clip_by_norm, clip_by_value,
};

const ROWS: usize = 7;
const WIDTH: usize = 3;

/// Three steps' lookups: rows repeat within a step, some rows are never looked up, and
/// one step touches no row that the others touch.
fn lookups() -> Vec<Vec<usize>> {
    vec![vec![1, 4, 1], vec![6, 0], vec![4, 2, 2, 5]]
}

/// Weights that the looked-up rows are multiplied by in the loss (their gradient).
fn weights(step: usize, n: usize) -> Tensor {
    let mut rng = Rng::seed(10 + step as u64);
    Tensor::normal(&[n, WIDTH], 0.0, 1.0, &mut rng)
}

fn table() -> Param {
    let mut rng = Rng::seed(3);
    Param::new("embeddings", Tensor::normal(&[ROWS, WIDTH], 0.0, 1.0, &mut rng).to_array())
}

/// ∂/∂table of Σ w ⊙ table[rows], row-sparse.
fn sparse_grads(p: &Param, step: usize) -> Gradients {
    let rows = &lookups()[step];
    let grads = (p.value().index_select(0, rows) * weights(step, rows.len())).sum_all().backward();
    assert!(grads.rows(p).is_some(), "index_select along axis 0 gives a row-sparse gradient");
    grads
}

/// The same gradient, dense: ∂/∂table of Σ G ⊙ table with G the scattered weights.
fn dense_grads(p: &Param, step: usize) -> Gradients {
    let rows = &lookups()[step];
    let w = weights(step, rows.len());
    let mut g = ArrayD::<f32>::zeros(IxDyn(&[ROWS, WIDTH]));
    for (k, &r) in rows.iter().enumerate() {
        for j in 0..WIDTH {
            g[[r, j]] += w.view()[[k, j]];
        }
    }
    let grads = (p.value() * Tensor::from_array(g)).sum_all().backward();
    assert!(grads.rows(p).is_none());
    grads
}

/// Runs three steps of `make()` with sparse and with dense gradients; the tables and the
/// optimizer states must agree to the bit.
fn same_updates(what: &str, make: impl Fn() -> Box<dyn Optimizer>) {
    let (sparse_p, dense_p) = (table(), table());
    let (mut sparse_opt, mut dense_opt) = (make(), make());
    for step in 0..lookups().len() {
        sparse_opt.step(&[sparse_p.clone()], &sparse_grads(&sparse_p, step));
        dense_opt.step(&[dense_p.clone()], &dense_grads(&dense_p, step));
        assert_eq!(sparse_p.value().to_vec(), dense_p.value().to_vec(), "{what}: values after step {step}");
    }
    let (a, b) = (sparse_opt.state(), dense_opt.state());
    assert_eq!(a.slots, b.slots, "{what}: optimizer slots");
    assert_ne!(sparse_p.value().to_vec(), table().value().to_vec(), "{what}: the table moved");
}

#[test]
fn every_optimizer_updates_as_with_the_dense_gradient() {
    same_updates("sgd", || Box::new(Sgd::try_new(SgdConfig { learning_rate: 0.1, ..SgdConfig::default() }).unwrap()));
    same_updates("sgd + weight decay", || {
        Box::new(Sgd::try_new(SgdConfig { learning_rate: 0.1, weight_decay: 0.01, ..SgdConfig::default() }).unwrap())
    });
    same_updates("sgd + nesterov momentum", || {
        let c = SgdConfig { learning_rate: 0.1, momentum: 0.9, nesterov: true, ..SgdConfig::default() };
        Box::new(Sgd::try_new(c).unwrap())
    });
    same_updates("adam", || {
        Box::new(Adam::try_new(AdamConfig { learning_rate: 0.1, ..AdamConfig::default() }).unwrap())
    });
    same_updates("adam + amsgrad", || {
        Box::new(Adam::try_new(AdamConfig { learning_rate: 0.1, amsgrad: true, ..AdamConfig::default() }).unwrap())
    });
    same_updates("adamw", || {
        Box::new(AdamW::try_new(AdamWConfig { learning_rate: 0.1, ..AdamWConfig::default() }).unwrap())
    });
    same_updates("nadam", || Box::new(Nadam::new()));
    same_updates("centered rmsprop + momentum", || {
        let c = RmsPropConfig { momentum: 0.5, centered: true, ..RmsPropConfig::default() };
        Box::new(RmsProp::try_new(c).unwrap())
    });
    same_updates("adagrad", || Box::new(Adagrad::try_new(AdagradConfig::default()).unwrap()));
}

#[test]
fn clipping_treats_sparse_and_dense_alike() {
    let p = table();
    type Clip = fn(&mut Gradients);
    let clips: [(&str, Clip); 4] = [
        ("norm", |g| clip_by_norm(g, 0.5)),
        ("global norm", |g| assert!(clip_by_global_norm(g, 0.5) > 0.5)),
        ("value", |g| clip_by_value(g, -0.3, 0.3)),
        ("value above zero", |g| clip_by_value(g, 0.1, 0.3)),
    ];
    for (what, clip) in clips {
        let (mut sparse, mut dense) = (sparse_grads(&p, 2), dense_grads(&p, 2));
        clip(&mut sparse);
        clip(&mut dense);
        assert_eq!(sparse.param(&p).unwrap(), dense.param(&p).unwrap(), "clip by {what}");
    }
    // Clipping into a range without 0 changes the zeros, so that gradient became dense.
    let mut g = sparse_grads(&p, 2);
    clip_by_value(&mut g, 0.1, 0.3);
    assert!(g.rows(&p).is_none());
    let mut g = sparse_grads(&p, 2);
    clip_by_norm(&mut g, 0.5);
    assert!(g.rows(&p).is_some(), "scaling keeps a gradient sparse");
}
