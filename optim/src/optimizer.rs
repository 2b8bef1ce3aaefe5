//! The `Optimizer` trait every update rule implements, and the walk over parameters with gradients.

use std::collections::HashSet;

use derin_tensor::{GradRef, Gradients, Param};

use crate::error::Result;
use crate::state::OptimizerState;

/// An update rule: changes parameters in place from their gradients, one step at a time.
///
/// Optimizers keep per-parameter buffers (momentum, second moments, …) keyed by
/// **parameter name**, so names must be unique among the parameters given to
/// [`step`](Optimizer::step). The state, hyperparameters included, saves and loads
/// ([`state`](Optimizer::state), [`load_state`](Optimizer::load_state)), so training
/// resumes exactly, in another process too.
///
/// ```
/// use derin_optim::{Optimizer, Sgd};
/// use derin_tensor::{Param, Tensor};
/// // Minimize (w - 3)² with plain gradient descent.
/// let w = Param::new("w", Tensor::from_vec(vec![0.0], &[1]).to_array());
/// let mut opt: Box<dyn Optimizer> = Box::new(Sgd::new());
/// opt.set_learning_rate(0.1);
/// for _ in 0..100 {
///     let grads = (w.value() - 3.0).square().sum_all().backward();
///     opt.step(&[w.clone()], &grads);
/// }
/// assert!((w.value().item() - 3.0).abs() < 1e-4);
/// ```
pub trait Optimizer {
    /// Updates every parameter that has a gradient in `grads`, in place; parameters
    /// without one are skipped (their buffers stay as they are). When no parameter has a
    /// gradient nothing changes, the step counter included (as in Keras).
    ///
    /// # Panics
    /// When two of `params` have the same name (state is keyed by name), or a gradient's
    /// shape differs from its parameter's.
    ///
    /// ```
    /// use derin_optim::{Optimizer, Sgd};
    /// use derin_tensor::{Param, Tensor};
    /// let w = Param::new("w", Tensor::from_vec(vec![1.0, 2.0], &[2]).to_array());
    /// let unused = Param::new("b", Tensor::from_vec(vec![5.0], &[1]).to_array());
    /// let grads = w.value().sum_all().backward(); // d/dw = [1, 1]; nothing for b
    /// let mut opt = Sgd::new(); // lr 0.01
    /// opt.step(&[w.clone(), unused.clone()], &grads);
    /// assert_eq!(w.value().to_vec(), vec![0.99, 1.99]);
    /// assert_eq!(unused.value().to_vec(), vec![5.0]);
    /// assert_eq!(opt.iterations(), 1);
    /// ```
    fn step(&mut self, params: &[Param], grads: &Gradients);

    /// The learning rate the next step uses.
    ///
    /// ```
    /// use derin_optim::{Adam, Optimizer};
    /// assert_eq!(Adam::new().learning_rate(), 0.001); // Keras' default
    /// ```
    fn learning_rate(&self) -> f32;

    /// Sets the learning rate of the next steps (what a schedule calls between steps).
    ///
    /// # Panics
    /// When `lr` is negative, infinite or NaN: a schedule or caller bug, not bad data.
    ///
    /// ```
    /// use derin_optim::{Optimizer, RmsProp};
    /// let mut opt = RmsProp::new();
    /// opt.set_learning_rate(0.05);
    /// assert_eq!(opt.learning_rate(), 0.05);
    /// ```
    fn set_learning_rate(&mut self, lr: f32);

    /// The number of steps taken so far (Keras' `iterations`); the value a
    /// [`LearningRateSchedule`](crate::LearningRateSchedule) is usually asked about.
    ///
    /// ```
    /// use derin_optim::{Nadam, Optimizer};
    /// assert_eq!(Nadam::new().iterations(), 0);
    /// ```
    fn iterations(&self) -> u64;

    /// A copy of everything needed to resume: step count, hyperparameters and buffers.
    ///
    /// ```
    /// use derin_optim::{Adagrad, Optimizer};
    /// let state = Adagrad::new().state();
    /// assert_eq!(state.iterations, 0);
    /// assert!(state.slots.is_empty()); // buffers appear with the first gradient
    /// ```
    fn state(&self) -> OptimizerState;

    /// Replaces the step count, hyperparameters and buffers with `state`'s, checking the
    /// buffers against `params`, the parameters that later steps will update.
    ///
    /// # Errors
    /// - [`Error::State`](crate::Error::State): the state was saved by another kind of
    ///   optimizer; two of `params` share a name; the state has buffers for a name that
    ///   none of `params` has; a parameter's buffers are not the ones this configuration
    ///   keeps (say, AMSGrad's `velocity_hat` without AMSGrad); a saved array's data does
    ///   not fit its shape.
    /// - [`Error::ShapeMismatch`](crate::Error::ShapeMismatch): a saved buffer's shape
    ///   differs from its parameter's; the message names the parameter and both shapes.
    /// - [`Error::Hyperparameter`](crate::Error::Hyperparameter): the saved hyperparameters
    ///   are out of range.
    ///
    /// On error the optimizer is left unchanged.
    ///
    /// ```
    /// use derin_optim::{Adam, Error, Optimizer};
    /// use derin_tensor::{Param, Tensor};
    /// let w = Param::new("kernel", Tensor::zeros(&[2, 3]).to_array());
    /// let mut opt = Adam::new();
    /// opt.step(&[w.clone()], &w.value().sum_all().backward());
    /// let state = opt.state();
    ///
    /// let same = Param::new("kernel", Tensor::zeros(&[2, 3]).to_array()); // as in a new process
    /// let mut fresh = Adam::new();
    /// fresh.load_state(&state, &[same]).unwrap();
    /// assert_eq!(fresh.iterations(), 1);
    ///
    /// let other = Param::new("kernel", Tensor::zeros(&[3, 2]).to_array());
    /// let err = Adam::new().load_state(&state, &[other]).unwrap_err();
    /// assert!(matches!(err, Error::ShapeMismatch { .. }));
    /// assert_eq!(
    ///     err.to_string(),
    ///     "Adam::load_state: parameter \"kernel\" has shape [3, 2], its saved slot \"momentum\" has shape [2, 3]"
    /// );
    /// ```
    fn load_state(&mut self, state: &OptimizerState, params: &[Param]) -> Result<()>;
}

/// The parameters of `params` that have a gradient in `grads`, with that gradient.
///
/// # Panics
/// When two parameters share a name, or a gradient's shape differs from its parameter's.
pub(crate) fn with_gradients<'a>(
    owner: &'static str,
    params: &'a [Param],
    grads: &'a Gradients,
) -> Vec<(&'a Param, GradRef<'a>)> {
    let mut names = HashSet::with_capacity(params.len());
    let mut out = Vec::with_capacity(params.len());
    for p in params {
        assert!(
            names.insert(p.name()),
            "{owner}::step: two parameters are named \"{}\"; optimizer state is keyed by name, \
             so names must be unique (prefix them, e.g. \"dense_1/kernel\")",
            p.name()
        );
        if let Some(g) = grads.stored(p) {
            let shape = p.shape();
            assert_eq!(
                g.shape(),
                shape.as_slice(),
                "{owner}::step: gradient of parameter \"{}\" has shape {:?}, the parameter has {:?}",
                p.name(),
                g.shape(),
                shape
            );
            out.push((p, g));
        }
    }
    out
}
