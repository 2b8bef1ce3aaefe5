//! `OptimizerState`: what a checkpoint keeps of an optimizer, keyed by parameter name.

use std::collections::BTreeMap;
use std::fmt;

use derin_tensor::ndarray::{ArrayD, IxDyn};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::optimizers::{AdagradConfig, AdamConfig, AdamWConfig, NadamConfig, RmsPropConfig, SgdConfig};

/// The name of one per-parameter buffer an optimizer keeps (Keras' variable names).
///
/// | slot | kept by |
/// |---|---|
/// | `Momentum` | [`Sgd`](crate::Sgd) and [`RmsProp`](crate::RmsProp) with momentum (the velocity buffer); [`Adam`](crate::Adam), [`AdamW`](crate::AdamW), [`Nadam`](crate::Nadam) (first moment `m`) |
/// | `Velocity` | [`RmsProp`](crate::RmsProp) (mean square), [`Adam`](crate::Adam), [`AdamW`](crate::AdamW), [`Nadam`](crate::Nadam) (second moment `v`) |
/// | `VelocityHat` | [`Adam`](crate::Adam), [`AdamW`](crate::AdamW) with AMSGrad (running maximum of `v`) |
/// | `AverageGradient` | centered [`RmsProp`](crate::RmsProp) (mean gradient) |
/// | `Accumulator` | [`Adagrad`](crate::Adagrad) (sum of squared gradients) |
///
/// ```
/// use derin_optim::Slot;
/// assert_eq!(Slot::VelocityHat.to_string(), "velocity_hat");
/// assert_eq!(serde_json::to_string(&Slot::Momentum).unwrap(), "\"momentum\"");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Slot {
    /// A momentum buffer or first-moment estimate.
    Momentum,
    /// A moving average of squared gradients (second moment).
    Velocity,
    /// AMSGrad's running maximum of the velocity.
    VelocityHat,
    /// Centered RMSprop's moving average of gradients.
    AverageGradient,
    /// Adagrad's running sum of squared gradients.
    Accumulator,
}

impl fmt::Display for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Slot::Momentum => "momentum",
            Slot::Velocity => "velocity",
            Slot::VelocityHat => "velocity_hat",
            Slot::AverageGradient => "average_gradient",
            Slot::Accumulator => "accumulator",
        })
    }
}

/// An array as a checkpoint stores it: its shape and its values in row-major order.
///
/// ```
/// use derin_optim::SavedArray;
/// use derin_tensor::ndarray::{ArrayD, IxDyn};
/// let a = ArrayD::from_shape_vec(IxDyn(&[2, 2]), vec![1.0, 2.0, 3.0, 4.0]).unwrap();
/// let saved = SavedArray::from_array(&a.t().to_owned()); // a transposed (column-major) array
/// assert_eq!(saved.data, vec![1.0, 3.0, 2.0, 4.0]);
/// assert_eq!(saved.to_array().unwrap(), a.t());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedArray {
    /// The array's shape.
    pub shape: Vec<usize>,
    /// Its values in row-major (C) order.
    pub data: Vec<f32>,
}

impl SavedArray {
    /// Copies `array` in row-major order, whatever its memory layout.
    ///
    /// ```
    /// use derin_optim::SavedArray;
    /// use derin_tensor::ndarray::{ArrayD, IxDyn};
    /// let saved = SavedArray::from_array(&ArrayD::<f32>::zeros(IxDyn(&[2, 3])));
    /// assert_eq!((saved.shape, saved.data.len()), (vec![2, 3], 6));
    /// ```
    pub fn from_array(array: &ArrayD<f32>) -> Self {
        SavedArray { shape: array.shape().to_vec(), data: array.iter().copied().collect() }
    }

    /// The array back, or `None` when `data` does not hold one value per element of `shape`.
    ///
    /// ```
    /// use derin_optim::SavedArray;
    /// assert!(SavedArray { shape: vec![2, 2], data: vec![0.0; 3] }.to_array().is_none());
    /// assert_eq!(SavedArray { shape: vec![3], data: vec![0.0; 3] }.to_array().unwrap().len(), 3);
    /// ```
    pub fn to_array(&self) -> Option<ArrayD<f32>> {
        ArrayD::from_shape_vec(IxDyn(&self.shape), self.data.clone()).ok()
    }
}

/// One optimizer's hyperparameters, tagged with which optimizer it is.
///
/// ```
/// use derin_optim::{Adam, Hyperparameters, Optimizer};
/// let state = Adam::new().state();
/// assert!(matches!(state.hyperparameters, Hyperparameters::Adam(_)));
/// assert_eq!(state.hyperparameters.optimizer(), "Adam");
/// assert_eq!(state.hyperparameters.learning_rate(), 0.001);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Hyperparameters {
    /// [`Sgd`](crate::Sgd)'s.
    Sgd(SgdConfig),
    /// [`RmsProp`](crate::RmsProp)'s.
    RmsProp(RmsPropConfig),
    /// [`Adam`](crate::Adam)'s.
    Adam(AdamConfig),
    /// [`AdamW`](crate::AdamW)'s.
    AdamW(AdamWConfig),
    /// [`Adagrad`](crate::Adagrad)'s.
    Adagrad(AdagradConfig),
    /// [`Nadam`](crate::Nadam)'s.
    Nadam(NadamConfig),
}

impl Hyperparameters {
    /// The optimizer's type name (`"Sgd"`, `"Adam"`, …).
    ///
    /// ```
    /// use derin_optim::{Hyperparameters, SgdConfig};
    /// assert_eq!(Hyperparameters::Sgd(SgdConfig::default()).optimizer(), "Sgd");
    /// ```
    pub fn optimizer(&self) -> &'static str {
        match self {
            Hyperparameters::Sgd(_) => "Sgd",
            Hyperparameters::RmsProp(_) => "RmsProp",
            Hyperparameters::Adam(_) => "Adam",
            Hyperparameters::AdamW(_) => "AdamW",
            Hyperparameters::Adagrad(_) => "Adagrad",
            Hyperparameters::Nadam(_) => "Nadam",
        }
    }

    /// The learning rate they hold.
    ///
    /// ```
    /// use derin_optim::{Hyperparameters, SgdConfig};
    /// assert_eq!(Hyperparameters::Sgd(SgdConfig::default()).learning_rate(), 0.01);
    /// ```
    pub fn learning_rate(&self) -> f32 {
        match self {
            Hyperparameters::Sgd(c) => c.learning_rate,
            Hyperparameters::RmsProp(c) => c.learning_rate,
            Hyperparameters::Adam(c) => c.learning_rate,
            Hyperparameters::AdamW(c) => c.learning_rate,
            Hyperparameters::Adagrad(c) => c.learning_rate,
            Hyperparameters::Nadam(c) => c.learning_rate,
        }
    }
}

/// Everything an optimizer needs to resume training exactly: the number of steps taken,
/// the hyperparameters (learning rate included, as a schedule last set it) and every
/// per-parameter buffer, keyed by **parameter name** and [`Slot`].
///
/// Parameter ids change from one process to the next; names do not, so a state saved
/// with [`to_json`](OptimizerState::to_json) in one process loads with
/// [`Optimizer::load_state`](crate::Optimizer::load_state) into a fresh optimizer in
/// another. The JSON stores each array as `{"shape": [...], "data": [...]}`, with every
/// `f32` written so that it reads back bit for bit.
///
/// ```
/// use derin_optim::{Adam, Optimizer, OptimizerState};
/// use derin_tensor::{Param, Tensor};
/// let w = Param::new("dense/kernel", Tensor::from_vec(vec![1.0, -1.0], &[2]).to_array());
/// let mut opt = Adam::new();
/// let grads = (&w.value() * &w.value()).sum_all().backward();
/// opt.step(&[w.clone()], &grads);
///
/// let json = opt.state().to_json();
/// let state = OptimizerState::from_json(&json).unwrap();
/// assert_eq!(state, opt.state());
/// assert_eq!(state.iterations, 1);
/// assert_eq!(state.slots["dense/kernel"].len(), 2); // momentum and velocity
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OptimizerState {
    /// Steps taken so far (Keras' `iterations`); the next step's bias corrections use `iterations + 1`.
    pub iterations: u64,
    /// The optimizer's hyperparameters, which also say which optimizer saved the state.
    pub hyperparameters: Hyperparameters,
    /// Per-parameter buffers: parameter name → slot → array.
    pub slots: BTreeMap<String, BTreeMap<Slot, SavedArray>>,
}

impl OptimizerState {
    /// The state as JSON text. Non-finite values (a run that diverged) are written as
    /// `null`, which [`from_json`](OptimizerState::from_json) then refuses.
    ///
    /// ```
    /// use derin_optim::{Optimizer, Sgd};
    /// let json = Sgd::new().state().to_json();
    /// assert!(json.contains("\"iterations\":0"));
    /// assert!(json.contains("\"learning_rate\":0.01"));
    /// ```
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("an optimizer state always serializes")
    }

    /// Reads a state written by [`to_json`](OptimizerState::to_json).
    ///
    /// # Errors
    /// [`Error::Json`](crate::Error::Json) when the text is not a valid state (the message
    /// says where it broke). Whether the state fits an optimizer and its parameters is
    /// checked later, by [`Optimizer::load_state`](crate::Optimizer::load_state).
    ///
    /// ```
    /// use derin_optim::OptimizerState;
    /// let err = OptimizerState::from_json("{\"iterations\": 3}").unwrap_err();
    /// assert!(err.to_string().starts_with("OptimizerState::from_json: missing field"));
    /// ```
    pub fn from_json(text: &str) -> Result<Self> {
        Ok(serde_json::from_str(text)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn every_finite_f32_survives_json(bits in any::<u32>()) {
            let x = f32::from_bits(bits);
            prop_assume!(x.is_finite());
            let saved = SavedArray { shape: vec![1], data: vec![x] };
            let back: SavedArray = serde_json::from_str(&serde_json::to_string(&saved).unwrap()).unwrap();
            prop_assert_eq!(back.data[0].to_bits(), bits);
        }
    }

    #[test]
    fn non_finite_values_are_written_as_null_and_refused() {
        let saved = SavedArray { shape: vec![2], data: vec![f32::NAN, 1.0] };
        let json = serde_json::to_string(&saved).unwrap();
        assert_eq!(json, "{\"shape\":[2],\"data\":[null,1.0]}");
        assert!(serde_json::from_str::<SavedArray>(&json).is_err());
    }

    #[test]
    fn slots_serialize_as_keras_names() {
        for slot in [Slot::Momentum, Slot::Velocity, Slot::VelocityHat, Slot::AverageGradient, Slot::Accumulator] {
            assert_eq!(serde_json::to_string(&slot).unwrap(), format!("\"{slot}\""));
        }
    }
}
