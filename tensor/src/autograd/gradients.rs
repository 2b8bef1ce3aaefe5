//! The gradient store that `backward` returns.

use std::collections::HashMap;
use std::sync::OnceLock;

use ndarray::{ArrayD, ArrayViewMutD};

use super::sparse::{Grad, RowSparse};
use crate::param::Param;
use crate::tensor::{Tensor, TensorId};

/// Gradients from one `backward` call, keyed by tensor id.
///
/// Most gradients are dense arrays. The gradient of a table read by
/// [`index_select`](Tensor::index_select) along axis 0 (an `Embedding`) is kept
/// row-sparse ([`rows`](Gradients::rows)); asking for it as an array
/// ([`param`](Gradients::param), [`get`](Gradients::get), …) expands it once and keeps
/// the expansion.
#[derive(Default, Debug)]
pub struct Gradients {
    map: HashMap<TensorId, Entry>,
}

#[derive(Debug)]
enum Entry {
    Dense(ArrayD<f32>),
    Rows { rows: RowSparse, dense: OnceLock<ArrayD<f32>> },
}

impl Entry {
    fn dense(&self) -> &ArrayD<f32> {
        match self {
            Entry::Dense(g) => g,
            Entry::Rows { rows, dense } => dense.get_or_init(|| rows.to_dense()),
        }
    }

    /// The entry as a dense array that may be changed.
    fn dense_mut(&mut self) -> &mut ArrayD<f32> {
        if let Entry::Rows { rows, .. } = self {
            *self = Entry::Dense(rows.to_dense());
        }
        match self {
            Entry::Dense(g) => g,
            Entry::Rows { .. } => unreachable!("made dense above"),
        }
    }
}

/// A stored gradient as it is kept: dense, or row-sparse (see [`RowSparse`]).
#[derive(Clone, Copy, Debug)]
pub enum GradRef<'a> {
    /// Every value.
    Dense(&'a ArrayD<f32>),
    /// Zero outside some rows.
    Rows(&'a RowSparse),
}

impl GradRef<'_> {
    /// The shape of the tensor this is the gradient of.
    pub fn shape(&self) -> &[usize] {
        match self {
            GradRef::Dense(g) => g.shape(),
            GradRef::Rows(r) => r.shape(),
        }
    }
}

impl Gradients {
    pub(crate) fn insert(&mut self, id: TensorId, g: Grad) {
        let entry = match g {
            Grad::Dense(g) => Entry::Dense(g),
            Grad::Rows(rows) => Entry::Rows { rows: rows.coalesce(), dense: OnceLock::new() },
        };
        self.map.insert(id, entry);
    }

    /// ∂loss/∂`t` as a tensor, or `None` when the loss does not depend on `t`.
    pub fn get(&self, t: &Tensor) -> Option<Tensor> {
        self.map.get(&t.id()).map(|g| Tensor::from_array(g.dense().clone()))
    }

    /// ∂loss/∂`t` as an array, without copying (a row-sparse one is expanded once).
    pub fn array(&self, t: &Tensor) -> Option<&ArrayD<f32>> {
        self.by_id(t.id())
    }

    /// ∂loss/∂`p` for a parameter, without copying (a row-sparse one is expanded once).
    pub fn param(&self, p: &Param) -> Option<&ArrayD<f32>> {
        self.by_id(p.id())
    }

    /// The gradient stored under `id`, as an array (a row-sparse one is expanded once).
    pub fn by_id(&self, id: TensorId) -> Option<&ArrayD<f32>> {
        self.map.get(&id).map(Entry::dense)
    }

    /// ∂loss/∂`p` as it is stored, dense or row-sparse, without expanding it: what
    /// optimizers read.
    pub fn stored(&self, p: &Param) -> Option<GradRef<'_>> {
        self.stored_by_id(p.id())
    }

    /// The gradient under `id` as it is stored.
    pub fn stored_by_id(&self, id: TensorId) -> Option<GradRef<'_>> {
        self.map.get(&id).map(|e| match e {
            Entry::Dense(g) => GradRef::Dense(g),
            Entry::Rows { rows, .. } => GradRef::Rows(rows),
        })
    }

    /// ∂loss/∂`p` when it is kept row-sparse; `None` when it is dense or absent.
    pub fn rows(&self, p: &Param) -> Option<&RowSparse> {
        match self.map.get(&p.id()) {
            Some(Entry::Rows { rows, .. }) => Some(rows),
            _ => None,
        }
    }

    /// Takes the gradient stored under `id` out of the store, as an array.
    pub fn remove(&mut self, id: TensorId) -> Option<ArrayD<f32>> {
        self.map.remove(&id).map(|e| match e {
            Entry::Dense(g) => g,
            Entry::Rows { rows, dense } => dense.into_inner().unwrap_or_else(|| rows.to_dense()),
        })
    }

    /// Mutable access, for clipping and scaling gradients before an update (a row-sparse
    /// gradient is made dense; [`values_mut`](Gradients::values_mut) keeps it sparse).
    pub fn by_id_mut(&mut self, id: TensorId) -> Option<&mut ArrayD<f32>> {
        self.map.get_mut(&id).map(Entry::dense_mut)
    }

    /// Every stored gradient as a dense array, in no particular order (row-sparse ones
    /// are made dense; [`values_mut`](Gradients::values_mut) keeps them sparse).
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&TensorId, &mut ArrayD<f32>)> {
        self.map.iter_mut().map(|(id, e)| (id, e.dense_mut()))
    }

    /// The values each gradient stores, to scale or clip in place: all of a dense one,
    /// the kept rows of a row-sparse one (every other value is zero). Norms and scalings
    /// computed over these equal those over the dense gradients.
    pub fn values_mut(&mut self) -> impl Iterator<Item = (&TensorId, ArrayViewMutD<'_, f32>)> {
        self.map.iter_mut().map(|(id, e)| {
            let values = match e {
                Entry::Dense(g) => g.view_mut(),
                Entry::Rows { rows, dense } => {
                    dense.take();
                    rows.values_mut().into_dyn()
                }
            };
            (id, values)
        })
    }

    /// Makes the gradient under `id` dense, for an update that changes zeros too.
    pub fn make_dense(&mut self, id: TensorId) {
        if let Some(e) = self.map.get_mut(&id) {
            e.dense_mut();
        }
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
