//! Tests of the graph machinery: accumulation, detach, no_grad, kept intermediates,
//! memory release.

use crate::testing::*;
use crate::{GradMode, Param, no_grad};

#[test]
fn detach_stops_the_gradient() {
    let x = t(&[2.0], &[1]).requires_grad();
    let y = &x * &x.detach(); // d/dx = x (the detached factor is a constant)
    assert_eq!(y.sum_all().backward().get(&x).unwrap().to_vec(), vec![2.0]);
}

#[test]
fn no_grad_records_nothing_and_restores_the_mode() {
    let x = t(&[1.0], &[1]).requires_grad();
    let y = no_grad(|| {
        assert!(!crate::is_grad_enabled());
        x.exp()
    });
    assert!(!y.is_tracked() && y.op_name().is_none());
    assert!(crate::is_grad_enabled());
    assert_eq!(x.exp().op_name(), Some("exp"));
}

#[test]
fn no_grad_holds_inside_the_library_pool() {
    use rayon::prelude::*;
    let w = t(&[1.0, 2.0], &[2]).requires_grad();
    let tracked: Vec<bool> = no_grad(|| {
        let mode = GradMode::current();
        crate::install(|| (0..8).into_par_iter().map(|_| mode.enter(|| (&w * 2.0).is_tracked())).collect())
    });
    assert_eq!(tracked, vec![false; 8]);
}

#[test]
fn gradients_reach_inputs_and_kept_intermediates() {
    let x = t(&[1.0, -1.0], &[2]).requires_grad();
    let h = x.exp();
    let y = h.sum_all();
    let g = y.backward_keeping(&[&h]);
    assert_eq!(g.get(&h).unwrap().to_vec(), vec![1.0, 1.0]);
    close(&g.get(&x).unwrap(), &[1f32.exp(), (-1f32).exp()]);
    // Without keeping, only leaves are stored.
    let h = x.exp();
    assert!(h.sum_all().backward().get(&h).is_none());
}

#[test]
fn a_constant_loss_has_no_gradients() {
    let y = t(&[1.0], &[1]).exp().sum_all();
    assert!(y.backward().is_empty());
}

#[test]
#[should_panic(expected = "backward: called on a tensor of shape [2]; it needs a single value (a loss)")]
fn backward_needs_a_scalar() {
    t(&[1.0, 2.0], &[2]).requires_grad().exp().backward();
}

#[test]
fn params_get_their_gradient_by_id() {
    let w = Param::new("w", t(&[3.0], &[1]).to_array());
    let loss = (&w.value() * &w.value()).sum_all();
    let g = loss.backward();
    assert_eq!(g.param(&w).unwrap().as_slice().unwrap(), &[6.0]);
}

#[test]
fn a_long_training_loop_does_not_grow() {
    // 10,000 steps of gradient descent; every graph is freed when the loss is dropped, so
    // the parameter's storage is updated in place every time (a graph kept alive would
    // force a copy and the pointer would move).
    let w = Param::new("w", ndarray::ArrayD::from_elem(ndarray::IxDyn(&[16]), 1.0f32));
    let x = t(&[0.5; 16], &[16]);
    let ptr = w.value().array().as_ptr();
    for _ in 0..10_000 {
        let loss = (&w.value() * &x).square().sum_all();
        let grads = loss.backward();
        // `loss` is still alive here: backward released its graph, so no copy is made.
        w.update(|v| v.scaled_add(-0.01, grads.param(&w).unwrap()));
    }
    assert_eq!(w.value().array().as_ptr(), ptr);
    assert!(w.value().to_vec()[0].abs() < 1e-3);
}

#[test]
#[should_panic(expected = "backward: the graph through `sum` was already used by an earlier backward call")]
fn a_graph_is_used_once() {
    let x = t(&[1.0], &[1]).requires_grad();
    let y = x.exp().sum_all();
    y.backward();
    y.backward();
}
