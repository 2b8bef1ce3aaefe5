//! The gradient store that `backward` returns.

use std::collections::HashMap;

use ndarray::ArrayD;

use crate::param::Param;
use crate::tensor::{Tensor, TensorId};

/// Gradients from one `backward` call, keyed by tensor id.
#[derive(Default, Debug)]
pub struct Gradients {
    map: HashMap<TensorId, ArrayD<f32>>,
}

impl Gradients {
    pub(crate) fn insert(&mut self, id: TensorId, g: ArrayD<f32>) {
        self.map.insert(id, g);
    }

    /// ∂loss/∂`t` as a tensor, or `None` when the loss does not depend on `t`.
    pub fn get(&self, t: &Tensor) -> Option<Tensor> {
        self.map.get(&t.id()).map(|g| Tensor::from_array(g.clone()))
    }

    /// ∂loss/∂`t` as an array, without copying.
    pub fn array(&self, t: &Tensor) -> Option<&ArrayD<f32>> {
        self.map.get(&t.id())
    }

    /// ∂loss/∂`p` for a parameter, without copying.
    pub fn param(&self, p: &Param) -> Option<&ArrayD<f32>> {
        self.map.get(&p.id())
    }

    /// The gradient stored under `id`.
    pub fn by_id(&self, id: TensorId) -> Option<&ArrayD<f32>> {
        self.map.get(&id)
    }

    /// Takes the gradient stored under `id` out of the store.
    pub fn remove(&mut self, id: TensorId) -> Option<ArrayD<f32>> {
        self.map.remove(&id)
    }

    /// Mutable access, for clipping and scaling gradients before an update.
    pub fn by_id_mut(&mut self, id: TensorId) -> Option<&mut ArrayD<f32>> {
        self.map.get_mut(&id)
    }

    /// Every stored gradient, in no particular order.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&TensorId, &mut ArrayD<f32>)> {
        self.map.iter_mut()
    }

    /// The number of stored gradients.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether no gradient is stored.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}
