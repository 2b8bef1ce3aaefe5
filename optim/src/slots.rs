//! Per-parameter buffers keyed by name, the step counter, and their save/load.

use std::collections::{BTreeMap, HashSet};

use derin_tensor::Param;
use derin_tensor::ndarray::ArrayD;

use crate::error::{Error, Result};
use crate::state::{Hyperparameters, OptimizerState, SavedArray, Slot};

/// What every optimizer keeps besides its hyperparameters: steps taken and the buffers of
/// each parameter, stored in the order of the optimizer's slot list.
#[derive(Clone, Debug, Default)]
pub(crate) struct Core {
    pub(crate) iterations: u64,
    slots: BTreeMap<String, Vec<ArrayD<f32>>>,
}

impl Core {
    /// The buffers of `param`, made by `init` when it has none yet; the flag says they were
    /// just made.
    ///
    /// # Panics
    /// When existing buffers have another shape than `param` (the optimizer was used with
    /// another model's parameters of the same name).
    pub(crate) fn slots(
        &mut self,
        owner: &'static str,
        param: &Param,
        shape: &[usize],
        init: impl FnOnce() -> Vec<ArrayD<f32>>,
    ) -> (&mut [ArrayD<f32>], bool) {
        let fresh = !self.slots.contains_key(param.name());
        if fresh {
            self.slots.insert(param.name().to_string(), init());
        }
        let slots = self.slots.get_mut(param.name()).expect("inserted above");
        if let Some(s) = slots.iter().find(|s| s.shape() != shape) {
            panic!(
                "{owner}::step: parameter \"{}\" has shape {shape:?}, its optimizer slots have shape {:?} \
                 (is this optimizer shared by two models with the same parameter names?)",
                param.name(),
                s.shape()
            );
        }
        (slots, fresh)
    }

    /// The state to save, with `names` naming the slots in the order they are stored.
    pub(crate) fn state(&self, hyperparameters: Hyperparameters, names: &[Slot]) -> OptimizerState {
        let slots = self
            .slots
            .iter()
            .map(|(param, arrays)| {
                let named = names.iter().zip(arrays).map(|(&slot, a)| (slot, SavedArray::from_array(a))).collect();
                (param.clone(), named)
            })
            .collect();
        OptimizerState { iterations: self.iterations, hyperparameters, slots }
    }

    /// Rebuilds the step counter and buffers from `state`, checking them against `params`.
    ///
    /// # Errors
    /// Two of `params` share a name; the state has buffers for a name none of `params`
    /// has; a parameter lacks one of `names` or has a slot not in `names`; a saved array's
    /// data does not fit its shape; a saved shape differs from its parameter's.
    pub(crate) fn load(owner: &'static str, state: &OptimizerState, names: &[Slot], params: &[Param]) -> Result<Core> {
        let err = |reason: String| Error::State { optimizer: owner, reason };
        let mut by_name = BTreeMap::new();
        for p in params {
            if by_name.insert(p.name(), p).is_some() {
                return Err(err(format!("two parameters are named \"{}\"; names must be unique", p.name())));
            }
        }
        let mut slots = BTreeMap::new();
        for (name, saved) in &state.slots {
            let Some(param) = by_name.get(name.as_str()) else {
                return Err(err(format!(
                    "the state has slots for parameter \"{name}\", which is not among the {} parameters given",
                    params.len()
                )));
            };
            let expected: HashSet<Slot> = names.iter().copied().collect();
            if let Some(extra) = saved.keys().find(|s| !expected.contains(s)) {
                return Err(err(format!(
                    "parameter \"{name}\" has a slot \"{extra}\" that this configuration does not keep"
                )));
            }
            let shape = param.shape();
            let mut arrays = Vec::with_capacity(names.len());
            for &slot in names {
                let Some(a) = saved.get(&slot) else {
                    return Err(err(format!("parameter \"{name}\" has no saved slot \"{slot}\"")));
                };
                let Some(array) = a.to_array() else {
                    return Err(err(format!(
                        "slot \"{slot}\" of parameter \"{name}\" has {} values for shape {:?}",
                        a.data.len(),
                        a.shape
                    )));
                };
                if array.shape() != shape.as_slice() {
                    return Err(Error::ShapeMismatch {
                        optimizer: owner,
                        param: name.clone(),
                        slot: slot.to_string(),
                        param_shape: shape,
                        saved_shape: a.shape.clone(),
                    });
                }
                arrays.push(array);
            }
            slots.insert(name.clone(), arrays);
        }
        Ok(Core { iterations: state.iterations, slots })
    }
}

/// The error for a state saved by another kind of optimizer.
pub(crate) fn wrong_optimizer(owner: &'static str, state: &OptimizerState) -> Error {
    Error::State {
        optimizer: owner,
        reason: format!("the state was saved by {}, not {owner}", state.hyperparameters.optimizer()),
    }
}
