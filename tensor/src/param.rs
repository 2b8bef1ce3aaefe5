//! `Param`: a named trainable value that optimizers update in place.

use std::sync::{Arc, RwLock};

use ndarray::ArrayD;

use crate::tensor::{Inner, Tensor, TensorId, Values};

/// A trainable value (a layer's kernel, a bias) with a name and a stable id.
///
/// [`value`](Param::value) hands out a tracked leaf tensor whose gradient is stored under
/// the parameter's id; optimizers then change the values in place with
/// [`update`](Param::update). Clones share the same storage.
///
/// ```
/// use derin_tensor::{Param, Tensor};
/// let w = Param::new("kernel", Tensor::from_vec(vec![1.0, 2.0], &[2]).to_array());
/// let loss = (&w.value() * &w.value()).sum_all();
/// let grads = loss.backward();
/// let g = grads.param(&w).unwrap().clone();
/// w.update(|v| v.scaled_add(-0.5, &g)); // one gradient-descent step
/// assert_eq!(w.value().to_vec(), vec![0.0, 0.0]);
/// ```
#[derive(Clone)]
pub struct Param {
    name: Arc<str>,
    id: TensorId,
    value: Arc<RwLock<Tensor>>,
    /// The untracked handle [`frozen_value`](Param::frozen_value) hands out (sharing the
    /// value's buffer), made once per change of the value.
    frozen: Arc<RwLock<Option<Tensor>>>,
}

impl Param {
    /// A parameter called `name` holding `value`.
    pub fn new(name: &str, value: ArrayD<f32>) -> Self {
        let id = TensorId::new();
        let value = Arc::new(RwLock::new(Tensor::make_with_id(id, Values::Array(value.into_shared()), true)));
        Param { name: name.into(), id, value, frozen: Arc::new(RwLock::new(None)) }
    }

    /// The parameter's name (Keras' weight names: `kernel`, `bias`, `gamma`, …).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The same storage under another name (a layer prefixing its weights).
    pub fn renamed(&self, name: &str) -> Self {
        Param { name: name.into(), id: self.id, value: self.value.clone(), frozen: self.frozen.clone() }
    }

    /// The id its gradients are stored under.
    pub fn id(&self) -> TensorId {
        self.id
    }

    /// The current value as a tracked leaf tensor (a cheap handle, no copy).
    pub fn value(&self) -> Tensor {
        self.value.read().expect("parameter lock poisoned").clone()
    }

    /// The current value as an untracked tensor (no gradient flows to the parameter): what
    /// a frozen layer computes with. It shares the parameter's buffer (no copy), and the
    /// same handle is handed out until the value changes.
    ///
    /// ```
    /// use derin_tensor::{Param, Tensor};
    /// let w = Param::new("kernel", Tensor::ones(&[2]).to_array());
    /// let (a, b) = (w.frozen_value(), w.frozen_value());
    /// assert!(!a.is_tracked());
    /// assert_eq!(a.array().as_ptr(), b.array().as_ptr());
    /// assert_eq!(a.array().as_ptr(), w.value().array().as_ptr()); // the parameter's own buffer
    /// w.set(Tensor::zeros(&[2]).to_array());
    /// assert_eq!(w.frozen_value().to_vec(), vec![0.0, 0.0]); // follows the value
    /// ```
    pub fn frozen_value(&self) -> Tensor {
        if let Some(t) = self.frozen.read().expect("parameter lock poisoned").as_ref() {
            return t.clone();
        }
        let slot = self.value.read().expect("parameter lock poisoned");
        let mut frozen = self.frozen.write().expect("parameter lock poisoned");
        frozen.get_or_insert_with(|| slot.detach()).clone()
    }

    /// The shape.
    pub fn shape(&self) -> Vec<usize> {
        self.value().shape().to_vec()
    }

    /// The number of scalars.
    pub fn len(&self) -> usize {
        self.value().len()
    }

    /// Whether the parameter holds no scalar.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Replaces the value.
    ///
    /// # Panics
    /// If `value` has another shape than the parameter.
    pub fn set(&self, value: ArrayD<f32>) {
        let mut slot = self.value.write().expect("parameter lock poisoned");
        assert_eq!(
            value.shape(),
            slot.shape(),
            "Param::set({}): new value has shape {:?}, parameter has {:?}",
            self.name,
            value.shape(),
            slot.shape()
        );
        *slot = Tensor::make_with_id(self.id, Values::Array(value.into_shared()), true);
        *self.frozen.write().expect("parameter lock poisoned") = None;
    }

    /// Changes the values in place. Tensors handed out earlier by [`value`](Param::value)
    /// keep the old values: when one is still alive the storage is copied first.
    pub fn update(&self, f: impl FnOnce(&mut ArrayD<f32>)) {
        let mut slot = self.value.write().expect("parameter lock poisoned");
        *self.frozen.write().expect("parameter lock poisoned") = None;
        match Arc::get_mut(&mut slot.inner) {
            Some(Inner { data, .. }) => {
                // Moves the buffer out without a copy when no other tensor shares it (a
                // detached or reshaped handle to it still alive gets the old values).
                let mut values = std::mem::take(data).into_array().into_owned();
                f(&mut values);
                *data = Values::Array(values.into_shared());
            }
            None => {
                let mut data = slot.to_array();
                f(&mut data);
                *slot = Tensor::make_with_id(self.id, Values::Array(data.into_shared()), true);
            }
        }
    }
}

impl std::fmt::Debug for Param {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Param({}, shape={:?})", self.name, self.shape())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_is_in_place_when_no_handle_is_alive() {
        let p = Param::new("w", ArrayD::zeros(ndarray::IxDyn(&[1000])));
        let before = p.value().array().as_ptr();
        p.update(|v| v.fill(1.0));
        assert_eq!(p.value().array().as_ptr(), before);
        assert_eq!(p.value().to_vec()[999], 1.0);
    }

    #[test]
    fn update_copies_when_an_old_value_is_held() {
        let p = Param::new("w", ArrayD::zeros(ndarray::IxDyn(&[3])));
        let old = p.value();
        p.update(|v| v.fill(2.0));
        assert_eq!(old.to_vec(), vec![0.0; 3]);
        assert_eq!(p.value().to_vec(), vec![2.0; 3]);
        assert_eq!(p.value().id(), p.id());
    }

    #[test]
    #[should_panic(expected = "Param::set(w): new value has shape [2], parameter has [3]")]
    fn set_checks_the_shape() {
        let p = Param::new("w", ArrayD::zeros(ndarray::IxDyn(&[3])));
        p.set(ArrayD::zeros(ndarray::IxDyn(&[2])));
    }
}
