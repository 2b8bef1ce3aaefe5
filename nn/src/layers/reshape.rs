//! `Flatten`, `Reshape` and `Permute`: layers that move values, not change them.

use derin_tensor::Tensor;
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::module::{Ctx, LayerCore, Module};
use crate::serialize::{KerasConfig, base_config};

/// Flattens every axis but the batch axis: `[batch, d₁, …, dₖ]` → `[batch, d₁·…·dₖ]`.
///
/// The time axis is flattened away, so it clears the time-step mask of the [`Ctx`].
///
/// # Shapes
/// input `[batch, …]`, output `[batch, product of the rest]`.
///
/// ```
/// use derin_nn::{Ctx, Flatten, Module};
/// use derin_tensor::Tensor;
/// let f = Flatten::new();
/// assert_eq!(f.output_shape(&[1, 28, 28]).unwrap(), vec![784]);
/// assert_eq!(f.forward(&Tensor::zeros(&[2, 1, 28, 28]), &mut Ctx::eval()).shape(), &[2, 784]);
/// ```
#[derive(Clone, Debug)]
pub struct Flatten {
    core: LayerCore,
}

impl Flatten {
    /// A flatten layer.
    ///
    /// ```
    /// # use derin_nn::{Flatten, Module};
    /// assert_eq!(Flatten::new().name(), "flatten");
    /// ```
    pub fn new() -> Self {
        Flatten { core: LayerCore::new("flatten") }
    }

    /// The layer a Keras `Flatten` config describes. Derin's `Flatten` is a plain
    /// reshape, which is Keras' `data_format="channels_last"`; `channels_first` (which
    /// moves the channel axis last first) is refused.
    pub(crate) fn from_keras_config(c: &KerasConfig) -> Result<Self> {
        c.unsupported("data_format", &json!("channels_last"), "data_format other than \"channels_last\"")?;
        Ok(Flatten { core: c.core("flatten")? })
    }
}

impl Default for Flatten {
    fn default() -> Self {
        Flatten::new()
    }
}

impl Module for Flatten {
    /// Clears the time-step mask: the time axis is flattened away.
    fn forward(&self, x: &Tensor, ctx: &mut Ctx) -> Tensor {
        ctx.set_mask(None);
        let n = x.shape().first().copied().unwrap_or(1);
        x.reshape(&[n, x.len() / n.max(1)])
    }

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        Ok(vec![input.iter().product()])
    }

    fn type_name(&self) -> &'static str {
        "Flatten"
    }

    fn keras_config(&self) -> Result<Value> {
        let mut c = base_config(&self.core);
        c.insert("data_format".into(), json!("channels_last"));
        Ok(c.into())
    }

    fn core(&self) -> &LayerCore {
        &self.core
    }

    fn core_mut(&mut self) -> &mut LayerCore {
        &mut self.core
    }
}

/// Reshapes each sample to `target_shape` (the batch axis is kept), as Keras' `Reshape`.
///
/// # Shapes
/// input `[batch, …]` with as many elements per sample as `target_shape` holds; output
/// `[batch, target_shape…]`.
///
/// ```
/// use derin_nn::{Ctx, Module, Reshape};
/// use derin_tensor::Tensor;
/// let r = Reshape::new(&[2, 3]);
/// assert_eq!(r.forward(&Tensor::zeros(&[4, 6]), &mut Ctx::eval()).shape(), &[4, 2, 3]);
/// assert!(r.output_shape(&[5]).is_err());
/// ```
#[derive(Clone, Debug)]
pub struct Reshape {
    core: LayerCore,
    target: Vec<usize>,
}

impl Reshape {
    /// A layer reshaping each sample to `target_shape`.
    ///
    /// ```
    /// # use derin_nn::{Module, Reshape};
    /// assert_eq!(Reshape::new(&[1, 28, 28]).output_shape(&[784]).unwrap(), vec![1, 28, 28]);
    /// ```
    pub fn new(target_shape: &[usize]) -> Self {
        Reshape { core: LayerCore::new("reshape"), target: target_shape.to_vec() }
    }

    /// The layer a Keras `Reshape` config describes.
    pub(crate) fn from_keras_config(c: &KerasConfig) -> Result<Self> {
        Ok(Reshape { core: c.core("reshape")?, target: c.usize_list("target_shape")? })
    }
}

impl Module for Reshape {
    fn forward(&self, x: &Tensor, _ctx: &mut Ctx) -> Tensor {
        let mut shape = vec![x.shape().first().copied().unwrap_or(1)];
        shape.extend_from_slice(&self.target);
        x.reshape(&shape)
    }

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        let (have, want) = (input.iter().product::<usize>(), self.target.iter().product::<usize>());
        if have != want {
            let expected = format!("{want} elements per sample (to reshape to {:?})", self.target);
            return Err(Error::InputShape { layer: self.label(), expected, got: input.to_vec() });
        }
        Ok(self.target.clone())
    }

    fn type_name(&self) -> &'static str {
        "Reshape"
    }

    fn keras_config(&self) -> Result<Value> {
        let mut c = base_config(&self.core);
        c.insert("target_shape".into(), json!(self.target));
        Ok(c.into())
    }

    fn core(&self) -> &LayerCore {
        &self.core
    }

    fn core_mut(&mut self) -> &mut LayerCore {
        &mut self.core
    }
}

/// Reorders the axes of each sample (the batch axis stays first), as Keras' `Permute`:
/// `dims` lists the input axes in their new order, counted from 1 (axis 0 is the batch).
///
/// # Shapes
/// input `[batch, d₁, …, dₖ]`, output `[batch, d_dims[0], …, d_dims[k−1]]`.
///
/// ```
/// use derin_nn::{Ctx, Module, Permute};
/// use derin_tensor::Tensor;
/// let p = Permute::new(&[2, 1]).unwrap();
/// assert_eq!(p.output_shape(&[10, 64]).unwrap(), vec![64, 10]);
/// let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[1, 2, 3]);
/// assert_eq!(p.forward(&x, &mut Ctx::eval()).to_vec(), vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
/// ```
#[derive(Clone, Debug)]
pub struct Permute {
    core: LayerCore,
    dims: Vec<usize>,
}

impl Permute {
    /// A layer putting input axis `dims[i]` (counted from 1) at position `i + 1`.
    ///
    /// # Errors
    /// [`Error::Hyperparameter`] unless `dims` is a permutation of `1..=dims.len()`.
    ///
    /// ```
    /// # use derin_nn::Permute;
    /// assert!(Permute::new(&[0, 1]).is_err());
    /// assert!(Permute::new(&[2, 2]).is_err());
    /// assert!(Permute::new(&[3, 1, 2]).is_ok());
    /// ```
    pub fn new(dims: &[usize]) -> Result<Self> {
        let mut sorted = dims.to_vec();
        sorted.sort_unstable();
        if sorted.iter().enumerate().any(|(i, &d)| d != i + 1) {
            let what = format!("Permute dims {dims:?}");
            let value = dims.iter().copied().find(|&d| d == 0 || d > dims.len()).unwrap_or(0) as f64;
            return Err(Error::Hyperparameter { what, value, range: "a permutation of 1..=len (no repeats)" });
        }
        Ok(Permute { core: LayerCore::new("permute"), dims: dims.to_vec() })
    }

    /// The layer a Keras `Permute` config describes.
    pub(crate) fn from_keras_config(c: &KerasConfig) -> Result<Self> {
        let dims = c.usize_list("dims")?;
        let mut p = Permute::new(&dims).map_err(|e| c.error("dims", e.to_string()))?;
        p.core = c.core("permute")?;
        Ok(p)
    }
}

impl Module for Permute {
    fn supports_masking(&self) -> bool {
        true
    }

    fn forward(&self, x: &Tensor, _ctx: &mut Ctx) -> Tensor {
        let order: Vec<usize> = std::iter::once(0).chain(self.dims.iter().copied()).collect();
        x.permute(&order)
    }

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        if input.len() != self.dims.len() {
            let expected = format!("{} axes besides the batch axis", self.dims.len());
            return Err(Error::InputShape { layer: self.label(), expected, got: input.to_vec() });
        }
        Ok(self.dims.iter().map(|&d| input[d - 1]).collect())
    }

    fn type_name(&self) -> &'static str {
        "Permute"
    }

    fn keras_config(&self) -> Result<Value> {
        let mut c = base_config(&self.core);
        c.insert("dims".into(), json!(self.dims));
        Ok(c.into())
    }

    fn core(&self) -> &LayerCore {
        &self.core
    }

    fn core_mut(&mut self) -> &mut LayerCore {
        &mut self.core
    }
}
