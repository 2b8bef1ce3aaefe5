//! `Embedding` (token ids to vectors, optionally masking id 0) and `Masking` (marks
//! padded time steps): the layers that make the time-step mask.

use derin_tensor::ndarray::ArrayD;
use derin_tensor::{Param, Rng, Tensor};

use crate::error::{Error, Result};
use crate::module::{Ctx, LayerCore, Module, check_weight_size};
use crate::serialize::{KerasConfig, base_config, f32_value, initializer};
use serde_json::{Value, json};

/// Turns token ids into vectors: row `id` of the `embeddings` table `[input_dim,
/// output_dim]` (Keras' `Embedding`, PyTorch's `nn.Embedding`).
///
/// Ids arrive as an f32 tensor of whole numbers in `[0, input_dim)`. The lookup is an
/// [`index_select`](Tensor::index_select), so the gradient reaches exactly the rows used,
/// and a row used several times gets the sum of their gradients. That gradient is kept
/// row-sparse ([`RowSparse`](derin_tensor::RowSparse)): a step over a 100,000-word table
/// allocates the rows it used, not the table, and the optimizers apply it as such. Keras
/// defaults: the table is drawn uniformly from `[−0.05, 0.05)`, no mask.
///
/// With [`with_mask_zero`](Embedding::with_mask_zero) id 0 is padding: the layer sets
/// the time-step mask ([`Ctx::set_mask`]) to 1 where the id is not 0 and 0 where it is,
/// so later recurrent and pooling layers skip those steps; as in Keras, the vocabulary
/// then needs `input_dim = vocabulary size + 1`. Without it the layer clears the mask.
///
/// Ids of any rank work, as in Keras: `[N]`, `[N, T]`, `[N, H, W]`, … map to the same
/// shape plus a last axis of `output_dim`; the mask of `mask_zero` has the shape of the
/// ids. [`lookup`](Embedding::lookup) takes the ids as integers (`usize`) instead.
///
/// # Shapes
/// input `[N, …]` (the sample shape given to `build` and `output_shape` is `[…]`, `[T]`
/// for sequences), output `[N, …, output_dim]`.
///
/// ```
/// use derin_nn::{Ctx, Embedding, Module};
/// use derin_tensor::{Rng, Tensor};
/// let mut emb = Embedding::new(3, 2).unwrap().with_mask_zero(true);
/// emb.build(&[2], &mut Rng::seed(0)).unwrap();
/// emb.embeddings().unwrap().set(Tensor::from_vec(vec![0.0, 0.0, 1.0, 2.0, 3.0, 4.0], &[3, 2]).to_array());
/// let mut ctx = Ctx::eval();
/// let y = emb.forward(&Tensor::from_vec(vec![2.0, 0.0], &[1, 2]), &mut ctx);
/// assert_eq!(y.shape(), &[1, 2, 2]);
/// assert_eq!(y.to_vec(), vec![3.0, 4.0, 0.0, 0.0]);
/// assert_eq!(ctx.mask().unwrap().to_vec(), vec![1.0, 0.0]);
/// ```
#[derive(Clone, Debug)]
pub struct Embedding {
    core: LayerCore,
    input_dim: usize,
    output_dim: usize,
    mask_zero: bool,
    embeddings: Option<Param>,
}

impl Embedding {
    /// An unbuilt layer for ids in `[0, input_dim)` mapped to vectors of `output_dim`.
    ///
    /// # Errors
    /// [`Error::Hyperparameter`] if `input_dim` or `output_dim` is 0.
    ///
    /// ```
    /// # use derin_nn::{Embedding, Module};
    /// let emb = Embedding::new(1000, 64).unwrap();
    /// assert_eq!((emb.input_dim(), emb.output_dim()), (1000, 64));
    /// assert_eq!(emb.output_shape(&[20]).unwrap(), vec![20, 64]);
    /// assert!(Embedding::new(0, 8).is_err());
    /// ```
    pub fn new(input_dim: usize, output_dim: usize) -> Result<Self> {
        for (what, v) in [("input_dim", input_dim), ("output_dim", output_dim)] {
            if v == 0 {
                return Err(Error::Hyperparameter { what: format!("Embedding {what}"), value: 0.0, range: "[1, ∞)" });
            }
        }
        Ok(Embedding { core: LayerCore::new("embedding"), input_dim, output_dim, mask_zero: false, embeddings: None })
    }

    /// The (unbuilt) layer a Keras `Embedding` config describes.
    pub(crate) fn from_keras_config(c: &KerasConfig) -> Result<Self> {
        c.unsupported_all(&[
            "embeddings_regularizer",
            "activity_regularizer",
            "embeddings_constraint",
            "lora_rank",
            "quantization_config",
        ])?;
        let mut e = Embedding::new(c.usize("input_dim")?, c.usize("output_dim")?)
            .map_err(|e| c.error("input_dim", e.to_string()))?
            .with_mask_zero(c.bool_or("mask_zero", false)?);
        e.core = c.core("embedding")?;
        Ok(e)
    }

    /// Whether id 0 is padding that the layer masks (Keras' `mask_zero`).
    ///
    /// ```
    /// # use derin_nn::Embedding;
    /// assert!(Embedding::new(5, 2).unwrap().with_mask_zero(true).mask_zero());
    /// ```
    pub fn with_mask_zero(mut self, mask_zero: bool) -> Self {
        self.mask_zero = mask_zero;
        self
    }

    /// Gives the layer a name (its table becomes `<name>/embeddings`).
    ///
    /// ```
    /// # use derin_nn::{Embedding, Module};
    /// assert_eq!(Embedding::new(5, 2).unwrap().named("tokens").name(), "tokens");
    /// ```
    pub fn named(mut self, name: &str) -> Self {
        self.core.name = name.to_string();
        self
    }

    /// The vocabulary size: ids lie in `[0, input_dim)`.
    ///
    /// ```
    /// # use derin_nn::Embedding;
    /// assert_eq!(Embedding::new(5, 2).unwrap().input_dim(), 5);
    /// ```
    pub fn input_dim(&self) -> usize {
        self.input_dim
    }

    /// The vector size.
    ///
    /// ```
    /// # use derin_nn::Embedding;
    /// assert_eq!(Embedding::new(5, 2).unwrap().output_dim(), 2);
    /// ```
    pub fn output_dim(&self) -> usize {
        self.output_dim
    }

    /// Whether id 0 is masked.
    ///
    /// ```
    /// # use derin_nn::Embedding;
    /// assert!(!Embedding::new(5, 2).unwrap().mask_zero());
    /// ```
    pub fn mask_zero(&self) -> bool {
        self.mask_zero
    }

    /// The table `[input_dim, output_dim]` (unprefixed name `embeddings`), once built.
    ///
    /// ```
    /// # use derin_nn::{Embedding, Module};
    /// # use derin_tensor::Rng;
    /// let mut emb = Embedding::new(50, 4).unwrap();
    /// emb.build(&[7], &mut Rng::seed(1)).unwrap();
    /// let table = emb.embeddings().unwrap().value().to_vec();
    /// assert_eq!(table.len(), 200);
    /// assert!(table.iter().all(|v| (-0.05..0.05).contains(v)));
    /// ```
    pub fn embeddings(&self) -> Option<&Param> {
        self.embeddings.as_ref()
    }

    /// The vectors of integer `ids` of any shape: `ids.shape() + [output_dim]`, with the
    /// gradient flowing to the rows used (in training, when the layer is trainable).
    ///
    /// # Errors
    /// [`Error::Data`] naming the layer and the first id not below `input_dim`, or when
    /// the layer is not built.
    ///
    /// ```
    /// use derin_nn::{Embedding, Module};
    /// use derin_tensor::{Rng, Tensor, ndarray::ArrayD};
    /// let mut emb = Embedding::new(3, 2).unwrap();
    /// emb.build(&[1], &mut Rng::seed(0)).unwrap();
    /// emb.embeddings().unwrap().set(Tensor::from_vec(vec![0.0, 0.0, 1.0, 2.0, 3.0, 4.0], &[3, 2]).to_array());
    /// let ids = ArrayD::from_shape_vec(vec![2, 1, 2], vec![2, 0, 1, 1]).unwrap();
    /// let y = emb.lookup(&ids).unwrap();
    /// assert_eq!(y.shape(), &[2, 1, 2, 2]);
    /// assert_eq!(y.to_vec(), vec![3.0, 4.0, 0.0, 0.0, 1.0, 2.0, 1.0, 2.0]);
    /// let bad = ArrayD::from_shape_vec(vec![1], vec![3]).unwrap();
    /// assert!(emb.lookup(&bad).unwrap_err().to_string().contains("token id 3"));
    /// ```
    pub fn lookup(&self, ids: &ArrayD<usize>) -> Result<Tensor> {
        let n = self.input_dim;
        let data = |reason: String| Error::Data { operation: "Embedding::lookup", reason };
        let table = self.embeddings.as_ref().ok_or_else(|| data(format!("{}: not built", self.label())))?;
        if let Some(bad) = ids.iter().find(|&&i| i >= n) {
            return Err(data(format!("{}: token id {bad} is not below input_dim = {n}", self.label())));
        }
        let rows: Vec<usize> = ids.iter().copied().collect();
        let table = if self.trainable() { table.value() } else { table.frozen_value() };
        Ok(table.index_select(0, &rows).reshape(&[ids.shape(), &[self.output_dim]].concat()))
    }

    /// The ids of `x` as row indices.
    ///
    /// # Panics
    /// On an id that is not a whole number in `[0, input_dim)`.
    fn ids(&self, x: &Tensor) -> Vec<usize> {
        let n = self.input_dim;
        x.array()
            .iter()
            .map(|&v| {
                if v.fract() != 0.0 || !(0.0..n as f32).contains(&v) {
                    panic!("{}: token id {v} is not a whole number in [0, {n}) (input_dim = {n})", self.label());
                }
                v as usize
            })
            .collect()
    }
}

impl Module for Embedding {
    fn supports_masking(&self) -> bool {
        true
    }

    /// # Panics
    /// If the layer is not built, `x` is not `[N, T]`, or an id is not a whole number in
    /// `[0, input_dim)`; the message names the layer (and the id and `input_dim`).
    fn forward(&self, x: &Tensor, ctx: &mut Ctx) -> Tensor {
        let table = self.embeddings.as_ref().unwrap_or_else(|| panic!("{}: forward before build", self.label()));
        assert!(x.ndim() >= 1, "{}: expected token ids of shape [batch, …], got a scalar", self.label());
        let ids = self.ids(x);
        let mask = self.mask_zero.then(|| {
            let keep = ids.iter().map(|&i| if i == 0 { 0.0 } else { 1.0 }).collect();
            Tensor::from_vec(keep, x.shape())
        });
        ctx.set_mask(mask);
        let table = if self.trainable() { table.value() } else { table.frozen_value() };
        table.index_select(0, &ids).reshape(&[x.shape(), &[self.output_dim]].concat())
    }

    fn check_input(&self, x: &Tensor) -> Result<()> {
        let n = self.input_dim;
        match x.array().iter().find(|&&v| v.fract() != 0.0 || !(0.0..n as f32).contains(&v)) {
            None => Ok(()),
            Some(v) => Err(Error::Data {
                operation: "check_input",
                reason: format!("{}: token id {v} is not a whole number in [0, {n}) (input_dim = {n})", self.label()),
            }),
        }
    }

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        Ok([input, &[self.output_dim]].concat())
    }

    fn build(&mut self, input: &[usize], rng: &mut Rng) -> Result<()> {
        self.output_shape(input)?;
        if self.embeddings.is_none() {
            check_weight_size(self.label(), input, "embeddings", &[self.input_dim, self.output_dim])?;
            let table = Tensor::uniform(&[self.input_dim, self.output_dim], -0.05, 0.05, rng);
            self.embeddings = Some(Param::new("embeddings", table.to_array()));
        }
        Ok(())
    }

    fn keras_config(&self) -> Result<Value> {
        let mut c = base_config(&self.core);
        c.insert("input_dim".into(), json!(self.input_dim));
        c.insert("output_dim".into(), json!(self.output_dim));
        let uniform = json!({"seed": null, "minval": -0.05, "maxval": 0.05});
        c.insert("embeddings_initializer".into(), initializer("RandomUniform", uniform));
        for key in ["embeddings_regularizer", "activity_regularizer", "embeddings_constraint"] {
            c.insert(key.into(), Value::Null);
        }
        c.insert("mask_zero".into(), json!(self.mask_zero));
        c.insert("quantization_config".into(), Value::Null);
        Ok(c.into())
    }

    fn type_name(&self) -> &'static str {
        "Embedding"
    }

    fn core(&self) -> &LayerCore {
        &self.core
    }

    fn core_mut(&mut self) -> &mut LayerCore {
        &mut self.core
    }

    fn weights(&self) -> Vec<Param> {
        self.embeddings.iter().map(|p| p.renamed(&format!("{}/embeddings", self.core.name))).collect()
    }
}

/// Marks the time steps whose features all equal `mask_value` as padding: zeroes them and
/// sets the time-step mask ([`Ctx::set_mask`]) to 0 there and 1 elsewhere (Keras'
/// `Masking`), for sequences of feature vectors that have no token ids to mask.
///
/// `mask[n, t] = 1` if `x[n, t, f] ≠ mask_value` for some `f`, else 0;
/// `y = x · mask` (broadcast over the features). The gradient passes where the mask is 1.
///
/// # Shapes
/// input `[N, T, F]`, output `[N, T, F]`, mask `[N, T]`.
///
/// ```
/// use derin_nn::{Ctx, Masking, Module};
/// use derin_tensor::Tensor;
/// let masking = Masking::new(-1.0);
/// let x = Tensor::from_vec(vec![1.0, -1.0, -1.0, -1.0], &[1, 2, 2]);
/// let mut ctx = Ctx::eval();
/// assert_eq!(masking.forward(&x, &mut ctx).to_vec(), vec![1.0, -1.0, 0.0, 0.0]);
/// assert_eq!(ctx.mask().unwrap().to_vec(), vec![1.0, 0.0]);
/// ```
#[derive(Clone, Debug)]
pub struct Masking {
    core: LayerCore,
    mask_value: f32,
}

impl Masking {
    /// Masks the steps whose features all equal `mask_value`.
    ///
    /// ```
    /// # use derin_nn::Masking;
    /// assert_eq!(Masking::new(-1.0).mask_value(), -1.0);
    /// ```
    pub fn new(mask_value: f32) -> Self {
        Masking { core: LayerCore::new("masking"), mask_value }
    }

    /// The padding value.
    ///
    /// ```
    /// # use derin_nn::Masking;
    /// assert_eq!(Masking::default().mask_value(), 0.0);
    /// ```
    pub fn mask_value(&self) -> f32 {
        self.mask_value
    }
}

impl Masking {
    /// The layer a Keras `Masking` config describes.
    pub(crate) fn from_keras_config(c: &KerasConfig) -> Result<Self> {
        let mut m = Masking::new(c.f32_or("mask_value", 0.0)?);
        m.core = c.core("masking")?;
        Ok(m)
    }
}

impl Default for Masking {
    /// Keras' default, `mask_value = 0.0`.
    fn default() -> Self {
        Masking::new(0.0)
    }
}

impl Module for Masking {
    fn supports_masking(&self) -> bool {
        true
    }

    /// # Panics
    /// If `x` is not `[N, T, F]`; the message names the layer.
    fn forward(&self, x: &Tensor, ctx: &mut Ctx) -> Tensor {
        let &[n, t, _] = x.shape() else {
            panic!("{}: expected an input of shape [batch, time, features], got {:?}", self.label(), x.shape());
        };
        let keep = x.detach().ne(&Tensor::scalar(self.mask_value)).max(&[2], true);
        ctx.set_mask(Some(keep.reshape(&[n, t])));
        x * keep
    }

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        if input.len() != 2 {
            let expected = "[time, features]".to_string();
            return Err(Error::InputShape { layer: self.label(), expected, got: input.to_vec() });
        }
        Ok(input.to_vec())
    }

    fn keras_config(&self) -> Result<Value> {
        let mut c = base_config(&self.core);
        c.insert("mask_value".into(), f32_value(self.mask_value));
        Ok(c.into())
    }

    fn type_name(&self) -> &'static str {
        "Masking"
    }

    fn core(&self) -> &LayerCore {
        &self.core
    }

    fn core_mut(&mut self) -> &mut LayerCore {
        &mut self.core
    }
}

#[cfg(test)]
mod tests;
