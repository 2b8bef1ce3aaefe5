//! Losses as plain functions over tensors (Keras' `keras.losses.*` functions, PyTorch's
//! `torch.nn.functional.*_loss`): what a custom training step builds its loss from. Each
//! returns the mean over every element (or every sample, for the cross-entropies summed
//! over classes), a scalar gradients flow through, with the formulas of [`Loss`].
//!
//! # Panics
//! When `pred` and `target` differ in shape (a programmer error, as with any tensor op).
//!
//! ```
//! use derin_nn::losses;
//! use derin_tensor::Tensor;
//! let p = Tensor::from_vec(vec![0.0, 2.0], &[2, 1]);
//! let y = Tensor::from_vec(vec![0.0, 0.0], &[2, 1]);
//! assert_eq!(losses::mean_squared_error(&p, &y).item(), 2.0);
//! assert_eq!(losses::mean_absolute_error(&p, &y).item(), 1.0);
//! assert_eq!(losses::huber(&p, &y, 1.0).item(), 0.75); // (0 + (2 − ½)) / 2
//! ```

use derin_tensor::Tensor;

use super::{EPSILON, categorical};
#[cfg(doc)]
use crate::loss::Loss;

fn same_shape(op: &str, pred: &Tensor, target: &Tensor) {
    assert_eq!(
        pred.shape(),
        target.shape(),
        "{op}: predictions have shape {:?}, targets {:?}",
        pred.shape(),
        target.shape()
    );
}

/// `(ŷ − y)²`, elementwise.
pub(crate) fn squared_error(pred: &Tensor, y: &Tensor) -> Tensor {
    (pred - y).square()
}

/// Huber's `½e²` where `|e| ≤ δ`, else `δ(|e| − ½δ)`, elementwise.
pub(crate) fn huber_elementwise(pred: &Tensor, y: &Tensor, delta: f32) -> Tensor {
    let a = (pred - y).abs();
    let q = a.clamp(0.0, delta);
    q.square() * 0.5 + (a - &q) * delta
}

/// Binary cross-entropy, elementwise: from logits `softplus(z) − y·z`, from
/// probabilities clipped to `[ε, 1 − ε]`.
pub(crate) fn binary_elementwise(pred: &Tensor, y: &Tensor, from_logits: bool) -> Tensor {
    if from_logits {
        return pred.softplus() - pred * y;
    }
    let p = pred.clamp(EPSILON, 1.0 - EPSILON);
    -(y * p.log() + y.rsub_scalar(1.0) * p.rsub_scalar(1.0).log())
}

/// Mean squared error, `mean((ŷ − y)²)`.
///
/// ```
/// # use derin_nn::losses::mean_squared_error;
/// # use derin_tensor::Tensor;
/// assert_eq!(mean_squared_error(&Tensor::from_vec(vec![3.0], &[1]), &Tensor::from_vec(vec![1.0], &[1])).item(), 4.0);
/// ```
#[doc(alias = "mse_loss")]
pub fn mean_squared_error(pred: &Tensor, target: &Tensor) -> Tensor {
    same_shape("mean_squared_error", pred, target);
    squared_error(pred, target).mean_all()
}

/// Mean absolute error, `mean(|ŷ − y|)`.
///
/// ```
/// # use derin_nn::losses::mean_absolute_error;
/// # use derin_tensor::Tensor;
/// assert_eq!(mean_absolute_error(&Tensor::from_vec(vec![3.0], &[1]), &Tensor::from_vec(vec![1.0], &[1])).item(), 2.0);
/// ```
#[doc(alias = "l1_loss")]
pub fn mean_absolute_error(pred: &Tensor, target: &Tensor) -> Tensor {
    same_shape("mean_absolute_error", pred, target);
    (pred - target).abs().mean_all()
}

/// Huber loss with threshold `delta` (Keras' default 1): quadratic for errors up to
/// `delta`, linear beyond.
///
/// ```
/// # use derin_nn::losses::huber;
/// # use derin_tensor::Tensor;
/// assert_eq!(huber(&Tensor::from_vec(vec![0.5], &[1]), &Tensor::zeros(&[1]), 1.0).item(), 0.125);
/// ```
#[doc(alias = "huber_loss")]
pub fn huber(pred: &Tensor, target: &Tensor, delta: f32) -> Tensor {
    same_shape("huber", pred, target);
    huber_elementwise(pred, target, delta).mean_all()
}

/// PyTorch's smooth L1 loss with threshold `beta` (its default 1; torchvision's
/// detectors use 1/9), averaged over every element: `½e²/β` where `|e| < β`, else
/// `|e| − ½β`.
///
/// ```
/// # use derin_nn::losses::smooth_l1;
/// # use derin_tensor::Tensor;
/// assert_eq!(smooth_l1(&Tensor::from_vec(vec![0.5, -2.0], &[2]), &Tensor::zeros(&[2]), 1.0).item(), 0.8125);
/// ```
#[doc(alias = "smooth_l1_loss")]
pub fn smooth_l1(pred: &Tensor, target: &Tensor, beta: f32) -> Tensor {
    same_shape("smooth_l1", pred, target);
    pred.smooth_l1(target, beta).mean_all()
}

/// Binary cross-entropy of probabilities (or logits, with `from_logits`) against targets
/// in `[0, 1]`, averaged over every element — what a GAN's discriminator and generator
/// losses are made of.
///
/// ```
/// # use derin_nn::losses::binary_crossentropy;
/// # use derin_tensor::Tensor;
/// let logits = Tensor::zeros(&[4, 1]);
/// let l = binary_crossentropy(&logits, &Tensor::ones(&[4, 1]), true);
/// assert!((l.item() - 2f32.ln()).abs() < 1e-6);
/// ```
#[doc(alias = "binary_cross_entropy_with_logits")]
pub fn binary_crossentropy(pred: &Tensor, target: &Tensor, from_logits: bool) -> Tensor {
    same_shape("binary_crossentropy", pred, target);
    binary_elementwise(pred, target, from_logits).mean_all()
}

/// Categorical cross-entropy `−Σ y·ln p` over the last axis (classes), averaged over the
/// rest, from probabilities (normalised, clipped) or logits.
///
/// ```
/// # use derin_nn::losses::categorical_crossentropy;
/// # use derin_tensor::Tensor;
/// let l = categorical_crossentropy(&Tensor::zeros(&[2, 4]), &Tensor::one_hot(&[0, 3], 4), true);
/// assert!((l.item() - 4f32.ln()).abs() < 1e-6);
/// ```
#[doc(alias = "cross_entropy")]
pub fn categorical_crossentropy(pred: &Tensor, target: &Tensor, from_logits: bool) -> Tensor {
    same_shape("categorical_crossentropy", pred, target);
    assert!(pred.ndim() >= 1, "categorical_crossentropy: needs a class axis, got a scalar");
    categorical(pred, target, from_logits).mean_all()
}

/// Categorical cross-entropy with integer labels, `[batch, classes]` predictions.
///
/// # Panics
/// When `pred` is not `[labels.len(), classes]` or a label is not below `classes`.
///
/// ```
/// # use derin_nn::losses::sparse_categorical_crossentropy;
/// # use derin_tensor::Tensor;
/// let l = sparse_categorical_crossentropy(&Tensor::zeros(&[2, 4]), &[0, 3], true);
/// assert!((l.item() - 4f32.ln()).abs() < 1e-6);
/// ```
#[doc(alias = "nll_loss")]
pub fn sparse_categorical_crossentropy(pred: &Tensor, labels: &[usize], from_logits: bool) -> Tensor {
    match super::sparse_to_one_hot(pred, labels) {
        Ok(one_hot) => categorical(pred, &one_hot, from_logits).mean_all(),
        Err(e) => panic!("sparse_categorical_crossentropy: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use derin_data::Targets;
    use derin_tensor::{Rng, Tensor, check_gradients};

    use super::*;
    use crate::loss::Loss;

    /// The functions give what the `Loss` enum gives, values and gradients.
    #[test]
    fn functions_match_the_loss_enum() {
        let mut rng = Rng::seed(3);
        let p = Tensor::uniform(&[4, 3], 0.05, 0.95, &mut rng);
        let y = Tensor::uniform(&[4, 3], 0.0, 1.0, &mut rng);
        let v = Targets::Values(y.clone());
        let pairs: Vec<(Loss, Tensor)> = vec![
            (Loss::MeanSquaredError, mean_squared_error(&p, &y)),
            (Loss::MeanAbsoluteError, mean_absolute_error(&p, &y)),
            (Loss::Huber { delta: 0.3 }, huber(&p, &y, 0.3)),
            (Loss::SmoothL1 { beta: 0.3 }, smooth_l1(&p, &y, 0.3)),
            (Loss::BinaryCrossentropy { from_logits: false }, binary_crossentropy(&p, &y, false)),
            (Loss::BinaryCrossentropy { from_logits: true }, binary_crossentropy(&p, &y, true)),
            (Loss::CategoricalCrossentropy { from_logits: true }, categorical_crossentropy(&p, &y, true)),
            (Loss::CategoricalCrossentropy { from_logits: false }, categorical_crossentropy(&p, &y, false)),
        ];
        for (loss, value) in pairs {
            let expected = loss.compute(&p, &v).unwrap().item();
            assert!((value.item() - expected).abs() < 1e-6, "{loss:?}: {} vs {expected}", value.item());
        }
        let sparse = sparse_categorical_crossentropy(&p, &[0, 2, 1, 1], true).item();
        let expected =
            Loss::SparseCategoricalCrossentropy { from_logits: true }.compute(&p, &Targets::Labels(vec![0, 2, 1, 1]));
        assert!((sparse - expected.unwrap().item()).abs() < 1e-6);
    }

    #[test]
    fn gradients_match_finite_differences() {
        let mut rng = Rng::seed(4);
        let p = Tensor::uniform(&[3, 2], 0.1, 0.9, &mut rng);
        let y = Tensor::uniform(&[3, 2], 0.0, 1.0, &mut rng);
        let checks: Vec<Box<dyn Fn(&[Tensor]) -> Tensor>> = vec![
            Box::new(|x| mean_squared_error(&x[0], &y)),
            Box::new(|x| huber(&x[0], &y, 0.25)),
            Box::new(|x| smooth_l1(&x[0], &y, 0.25)),
            Box::new(|x| binary_crossentropy(&x[0], &y, true)),
            Box::new(|x| binary_crossentropy(&x[0], &y, false)),
            Box::new(|x| categorical_crossentropy(&x[0], &y, true)),
            Box::new(|x| sparse_categorical_crossentropy(&x[0], &[1, 0, 1], false)),
        ];
        for f in checks {
            check_gradients(|x: &[Tensor]| f(x), &[p.clone()]).unwrap();
        }
    }

    #[test]
    #[should_panic(expected = "mean_squared_error: predictions have shape [2], targets [3]")]
    fn shape_mismatch_names_both_shapes() {
        mean_squared_error(&Tensor::zeros(&[2]), &Tensor::zeros(&[3]));
    }
}
