//! `BatchNormalization` and `LayerNormalization`: normalise with batch or per-sample
//! statistics, then scale by `gamma` and shift by `beta`.

use derin_tensor::{Param, Rng, Tensor};

use self::kernel::batch_norm_train;
use crate::error::{Error, Result};
use crate::module::{Ctx, LayerCore, Module, check_weight_size};
use crate::serialize::{KerasConfig, base_config, f32_value, initializer};
use serde_json::{Value, json};

/// Normalises each channel with the statistics of the batch in training and with moving
/// averages of them in inference, then scales and shifts it (Keras 3's
/// `BatchNormalization`; PyTorch's `BatchNorm1d`/`BatchNorm2d`).
///
/// For channel `c`, with `μ_c` and `σ²_c` the mean and the *biased* variance (divided by
/// `n`) over every axis but `axis`:
///
/// `y = gamma_c · (x − μ_c) / √(σ²_c + epsilon) + beta_c`.
///
/// **Training** ([`Mode::Train`](crate::Mode::Train), layer trainable): `μ`, `σ²` come from
/// the batch, and the layer asks ([`Ctx::push_update`]) for
/// `moving_mean ← moving_mean · momentum + μ · (1 − momentum)` and
/// `moving_variance ← moving_variance · momentum + σ² · (1 − momentum)`. As in Keras 3
/// (`keras/src/layers/normalization/batch_normalization.py`, which takes both from
/// `ops.moments`) the moving variance averages the biased batch variance; PyTorch's
/// `running_var` averages the unbiased one (offered by
/// [`with_unbiased_variance`](BatchNormalization::with_unbiased_variance)) and its
/// `momentum` is `1 −` Keras'.
///
/// **Inference** ([`Mode::Eval`](crate::Mode::Eval)): `μ`, `σ²` are `moving_mean`,
/// `moving_variance`, nothing is updated.
///
/// **Frozen** (`set_trainable(false)`): the layer runs in inference mode even while the
/// model trains, and `gamma`, `beta` get no gradient — Keras' semantics since 2.1.3, the
/// usual choice when fine-tuning a pretrained network.
///
/// Weights (each `[C]`, `C` the size of `axis`): `gamma` (ones) and `beta` (zeros),
/// trainable, left out by [`without_scale`](BatchNormalization::without_scale) and
/// [`without_center`](BatchNormalization::without_center); `moving_mean` (zeros) and
/// `moving_variance` (ones), returned by [`Module::state_weights`] and so counted as
/// non-trainable. The time-step mask, if any, passes through unchanged (batch statistics
/// include padded steps).
///
/// Training mode runs as one fused differentiable op (the statistics and the gradient
/// written out by hand), about 4× faster than the same formula composed of tensor ops,
/// which the tests keep as its reference besides finite-difference checks.
///
/// # Shapes
/// Any input with a channel axis: `[N, C]`, `[N, C, L]`, `[N, C, H, W]` with the default
/// `axis = 1`; the output has the input's shape.
///
/// ```
/// use derin_nn::{BatchNormalization, Ctx, Module};
/// use derin_tensor::{Rng, Tensor};
/// let mut bn = BatchNormalization::new();
/// bn.build(&[1], &mut Rng::seed(0)).unwrap();
/// let x = Tensor::from_vec(vec![1.0, 3.0], &[2, 1]);
/// let mut ctx = Ctx::train(0);
/// let y = bn.forward(&x, &mut ctx).to_vec();
/// // μ = 2, σ² = 1: y = ±1 / √1.001
/// assert!((y[0] + 1.0 / 1.001f32.sqrt()).abs() < 1e-6 && (y[1] - 1.0 / 1.001f32.sqrt()).abs() < 1e-6);
/// ctx.apply_updates();
/// // moving_mean = 0·0.99 + 2·0.01, moving_variance = 1·0.99 + 1·0.01
/// assert!((bn.moving_mean().unwrap().value().item() - 0.02).abs() < 1e-7);
/// assert!((bn.moving_variance().unwrap().value().item() - 1.0).abs() < 1e-7);
/// ```
#[doc(alias = "BatchNorm1d", alias = "BatchNorm2d")]
#[derive(Clone, Debug)]
pub struct BatchNormalization {
    core: LayerCore,
    axis: isize,
    momentum: f32,
    epsilon: f32,
    center: bool,
    scale: bool,
    gamma: Option<Param>,
    beta: Option<Param>,
    moving_mean: Option<Param>,
    moving_variance: Option<Param>,
    unbiased_variance: bool,
}

impl BatchNormalization {
    /// The (unbuilt) layer a Keras `BatchNormalization` config describes: `axis` as
    /// written (Keras' default `-1`, channels-last), `momentum`, `epsilon`, `center`,
    /// `scale`; initializers are not read (the weights come from the file).
    pub(crate) fn from_keras_config(c: &KerasConfig) -> Result<Self> {
        let axis = match c.get("axis") {
            None => -1,
            Some(_) => match c.axes("axis")?.as_slice() {
                [a] => *a,
                more => return Err(c.error("axis", format!("one axis, got {more:?}"))),
            },
        };
        c.unsupported_all(&[
            "beta_regularizer",
            "gamma_regularizer",
            "beta_constraint",
            "gamma_constraint",
            "synchronized",
            "renorm",
            "renorm_clipping",
            "virtual_batch_size",
        ])?;
        let mut bn = BatchNormalization::new()
            .with_axis(axis)
            .with_momentum(c.f32_or("momentum", 0.99)?)
            .with_epsilon(c.f32_or("epsilon", 1e-3)?);
        bn.core = c.core("batch_normalization")?;
        bn.center = c.bool_or("center", true)?;
        bn.scale = c.bool_or("scale", true)?;
        Ok(bn)
    }

    /// Keras' defaults: `axis = 1` (the channel axis of `[N, C, …]`, counted with the batch
    /// axis as Keras counts it), `momentum = 0.99`, `epsilon = 1e-3`, with `gamma` and
    /// `beta`.
    ///
    /// ```
    /// # use derin_nn::{BatchNormalization, Module};
    /// let bn = BatchNormalization::new();
    /// assert_eq!((bn.axis(), bn.momentum(), bn.epsilon()), (1, 0.99, 1e-3));
    /// assert_eq!(bn.output_shape(&[3, 8, 8]).unwrap(), vec![3, 8, 8]);
    /// ```
    pub fn new() -> Self {
        BatchNormalization {
            core: LayerCore::new("batch_normalization"),
            axis: 1,
            momentum: 0.99,
            epsilon: 1e-3,
            center: true,
            scale: true,
            gamma: None,
            beta: None,
            moving_mean: None,
            moving_variance: None,
            unbiased_variance: false,
        }
    }

    /// Normalises along `axis` instead (Keras' `axis`, counted with the batch axis;
    /// negative values count from the end, `-1` for channels-last data).
    ///
    /// ```
    /// # use derin_nn::{BatchNormalization, Module};
    /// let bn = BatchNormalization::new().with_axis(-1);
    /// assert_eq!(bn.output_shape(&[5, 4]).unwrap(), vec![5, 4]);
    /// assert!(BatchNormalization::new().with_axis(0).output_shape(&[4]).is_err());
    /// ```
    pub fn with_axis(mut self, axis: isize) -> Self {
        self.axis = axis;
        self
    }

    /// Sets the moving-average `momentum` (PyTorch's `momentum` is `1 −` this); checked
    /// to lie in `[0, 1]` when the layer is built.
    ///
    /// ```
    /// # use derin_nn::{BatchNormalization, Module};
    /// # use derin_tensor::Rng;
    /// assert_eq!(BatchNormalization::new().with_momentum(0.9).momentum(), 0.9);
    /// assert!(BatchNormalization::new().with_momentum(1.5).build(&[2], &mut Rng::seed(0)).is_err());
    /// ```
    pub fn with_momentum(mut self, momentum: f32) -> Self {
        self.momentum = momentum;
        self
    }

    /// With `true`, the moving variance averages the *unbiased* batch variance
    /// (`σ²·n/(n − 1)`, `n` the values per channel), as PyTorch's `running_var` does;
    /// the default `false` is Keras' biased one. Normalizing a training batch uses the
    /// biased variance either way, as both libraries do. Keras has no such setting, so a
    /// saved Keras config does not keep it (the moving variance itself is saved): set it
    /// again after loading to go on training with PyTorch's convention. A batch with one
    /// value per channel updates with the biased variance (0), where PyTorch refuses it.
    ///
    /// ```
    /// use derin_nn::{BatchNormalization, Ctx, Module};
    /// use derin_tensor::{Rng, Tensor};
    /// let mut bn = BatchNormalization::new().with_unbiased_variance(true);
    /// bn.build(&[1], &mut Rng::seed(0)).unwrap();
    /// let mut ctx = Ctx::train(0);
    /// bn.forward(&Tensor::from_vec(vec![1.0, 3.0], &[2, 1]), &mut ctx);
    /// ctx.apply_updates();
    /// // σ² = 1 (biased), 2 (unbiased): 1·0.99 + 2·0.01
    /// assert!((bn.moving_variance().unwrap().value().item() - 1.01).abs() < 1e-6);
    /// ```
    pub fn with_unbiased_variance(mut self, unbiased: bool) -> Self {
        self.unbiased_variance = unbiased;
        self
    }

    /// Whether the moving variance averages the unbiased batch variance (PyTorch) rather
    /// than the biased one (Keras, the default).
    pub fn unbiased_variance(&self) -> bool {
        self.unbiased_variance
    }

    /// Sets `epsilon`, added to the variance; checked to be positive when built.
    ///
    /// ```
    /// # use derin_nn::BatchNormalization;
    /// assert_eq!(BatchNormalization::new().with_epsilon(1e-5).epsilon(), 1e-5);
    /// ```
    pub fn with_epsilon(mut self, epsilon: f32) -> Self {
        self.epsilon = epsilon;
        self
    }

    /// Without `beta` (`center=False`).
    ///
    /// ```
    /// # use derin_nn::{BatchNormalization, Module};
    /// # use derin_tensor::Rng;
    /// let mut bn = BatchNormalization::new().without_center();
    /// bn.build(&[3], &mut Rng::seed(0)).unwrap();
    /// assert_eq!(bn.weights().len(), 1);
    /// ```
    pub fn without_center(mut self) -> Self {
        self.center = false;
        self
    }

    /// Without `gamma` (`scale=False`), as before a ReLU.
    ///
    /// ```
    /// # use derin_nn::{BatchNormalization, Module};
    /// # use derin_tensor::Rng;
    /// let mut bn = BatchNormalization::new().without_scale();
    /// bn.build(&[3], &mut Rng::seed(0)).unwrap();
    /// assert_eq!(bn.weights()[0].name(), "batch_normalization/beta");
    /// ```
    pub fn without_scale(mut self) -> Self {
        self.scale = false;
        self
    }

    /// Gives the layer a name (its weights become `<name>/gamma`, …).
    ///
    /// ```
    /// # use derin_nn::{BatchNormalization, Module};
    /// assert_eq!(BatchNormalization::new().named("bn1").name(), "bn1");
    /// ```
    pub fn named(mut self, name: &str) -> Self {
        self.core.name = name.to_string();
        self
    }

    /// The normalised axis as given (counted with the batch axis).
    ///
    /// ```
    /// # use derin_nn::BatchNormalization;
    /// assert_eq!(BatchNormalization::new().with_axis(-1).axis(), -1);
    /// ```
    pub fn axis(&self) -> isize {
        self.axis
    }

    /// The moving-average momentum.
    ///
    /// ```
    /// # use derin_nn::BatchNormalization;
    /// assert_eq!(BatchNormalization::new().momentum(), 0.99);
    /// ```
    pub fn momentum(&self) -> f32 {
        self.momentum
    }

    /// The variance offset.
    ///
    /// ```
    /// # use derin_nn::BatchNormalization;
    /// assert_eq!(BatchNormalization::new().epsilon(), 1e-3);
    /// ```
    pub fn epsilon(&self) -> f32 {
        self.epsilon
    }

    /// The scale `gamma` `[C]` (ones at first), once built, unless `without_scale`.
    ///
    /// ```
    /// # use derin_nn::{BatchNormalization, Module};
    /// # use derin_tensor::Rng;
    /// let mut bn = BatchNormalization::new();
    /// bn.build(&[2, 5], &mut Rng::seed(0)).unwrap();
    /// assert_eq!(bn.gamma().unwrap().value().to_vec(), vec![1.0, 1.0]);
    /// ```
    pub fn gamma(&self) -> Option<&Param> {
        self.gamma.as_ref()
    }

    /// The shift `beta` `[C]` (zeros at first), once built, unless `without_center`.
    ///
    /// ```
    /// # use derin_nn::{BatchNormalization, Module};
    /// # use derin_tensor::Rng;
    /// let mut bn = BatchNormalization::new();
    /// bn.build(&[2], &mut Rng::seed(0)).unwrap();
    /// assert_eq!(bn.beta().unwrap().value().to_vec(), vec![0.0, 0.0]);
    /// ```
    pub fn beta(&self) -> Option<&Param> {
        self.beta.as_ref()
    }

    /// The moving mean `[C]` (zeros at first), once built.
    ///
    /// ```
    /// # use derin_nn::{BatchNormalization, Module};
    /// # use derin_tensor::Rng;
    /// let mut bn = BatchNormalization::new();
    /// bn.build(&[3], &mut Rng::seed(0)).unwrap();
    /// assert_eq!(bn.moving_mean().unwrap().value().to_vec(), vec![0.0; 3]);
    /// ```
    pub fn moving_mean(&self) -> Option<&Param> {
        self.moving_mean.as_ref()
    }

    /// The moving variance `[C]` (ones at first), once built.
    ///
    /// ```
    /// # use derin_nn::{BatchNormalization, Module};
    /// # use derin_tensor::Rng;
    /// let mut bn = BatchNormalization::new();
    /// bn.build(&[3], &mut Rng::seed(0)).unwrap();
    /// assert_eq!(bn.moving_variance().unwrap().value().to_vec(), vec![1.0; 3]);
    /// ```
    pub fn moving_variance(&self) -> Option<&Param> {
        self.moving_variance.as_ref()
    }

    /// The channel count once built.
    fn channels(&self) -> Option<usize> {
        self.moving_mean.as_ref().map(|p| p.shape()[0])
    }

    /// `axis` as an index into a sample shape of `rank` axes (batch axis excluded).
    fn sample_axis(&self, rank: usize) -> Option<usize> {
        let full = rank as isize + 1;
        let a = if self.axis < 0 { self.axis + full } else { self.axis };
        (1..full).contains(&a).then(|| a as usize - 1)
    }

    fn check_hyperparameters(&self) -> Result<()> {
        if !(0.0..=1.0).contains(&self.momentum) {
            let what = format!("{}: momentum", self.label());
            return Err(Error::Hyperparameter { what, value: self.momentum.into(), range: "[0, 1]" });
        }
        if self.epsilon.is_nan() || self.epsilon <= 0.0 {
            let what = format!("{}: epsilon", self.label());
            return Err(Error::Hyperparameter { what, value: self.epsilon.into(), range: "(0, ∞)" });
        }
        Ok(())
    }
}

impl Default for BatchNormalization {
    fn default() -> Self {
        BatchNormalization::new()
    }
}

/// `v` `[C]` reshaped to broadcast along `axis` of an `ndim`-axis input.
fn along(v: &Tensor, axis: usize, ndim: usize) -> Tensor {
    let mut shape = vec![1; ndim];
    shape[axis] = v.len();
    v.reshape(&shape)
}

/// The detached value of a weight, or the value itself when it should get a gradient.
pub(super) fn value(p: &Param, trainable: bool) -> Tensor {
    if trainable { p.value() } else { p.frozen_value() }
}

impl Module for BatchNormalization {
    fn supports_masking(&self) -> bool {
        true
    }

    /// # Panics
    /// If the layer is not built, or `x` has no axis `axis` or another channel count than
    /// it was built for; the message names the layer.
    fn forward(&self, x: &Tensor, ctx: &mut Ctx) -> Tensor {
        let label = || self.label();
        let (mm, mv) = match (&self.moving_mean, &self.moving_variance) {
            (Some(m), Some(v)) => (m, v),
            _ => panic!("{}: forward before build", label()),
        };
        let ndim = x.ndim();
        let axis = match self.sample_axis(ndim.saturating_sub(1)) {
            Some(a) => a + 1,
            None => panic!("{}: input of shape {:?} has no axis {}", label(), x.shape(), self.axis),
        };
        if x.shape()[axis] != mm.len() {
            panic!(
                "{}: input of shape {:?} has {} channels, the layer was built for {}",
                label(),
                x.shape(),
                x.shape()[axis],
                mm.len()
            );
        }
        let trainable = self.trainable();
        let gamma = self.gamma.as_ref().map(|g| value(g, trainable));
        let beta = self.beta.as_ref().map(|b| value(b, trainable));
        if ctx.is_training() && trainable {
            let (y, mean, mut var) = batch_norm_train(x, axis, gamma.as_ref(), beta.as_ref(), self.epsilon);
            let (c, m, keep) = (mm.len(), self.momentum, 1.0 - self.momentum);
            let n = x.len() / c.max(1);
            if self.unbiased_variance && n > 1 {
                let bessel = n as f32 / (n - 1) as f32;
                var.iter_mut().for_each(|v| *v *= bessel);
            }
            ctx.push_update(mm, mm.value().detach() * m + Tensor::from_vec(mean, &[c]) * keep);
            ctx.push_update(mv, mv.value().detach() * m + Tensor::from_vec(var, &[c]) * keep);
            y
        } else {
            // y = x · s + (beta − moving_mean · s), s = gamma / √(moving_variance + ε)
            let inv = along(&mv.value().detach(), axis, ndim).add_scalar(self.epsilon).powf(-0.5);
            let s = match gamma {
                Some(g) => along(&g, axis, ndim) * inv,
                None => inv,
            };
            let shift = along(&mm.value().detach(), axis, ndim).neg() * &s;
            let shift = match beta {
                Some(b) => shift + along(&b, axis, ndim),
                None => shift,
            };
            x * s + shift
        }
    }

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        self.check_hyperparameters()?;
        let expected = match (self.sample_axis(input.len()), self.channels()) {
            (None, _) => format!("an input with an axis {} besides the batch axis", self.axis),
            (Some(a), Some(c)) if input[a] != c => {
                format!("{c} channels on axis {} (the layer was built for {c}), got {}", self.axis, input[a])
            }
            (Some(a), None) if input[a] == 0 => format!("a non-empty axis {}", self.axis),
            _ => return Ok(input.to_vec()),
        };
        Err(Error::InputShape { layer: self.label(), expected, got: input.to_vec() })
    }

    fn build(&mut self, input: &[usize], _rng: &mut Rng) -> Result<()> {
        self.output_shape(input)?;
        if self.channels().is_none() {
            let c = input[self.sample_axis(input.len()).expect("checked by output_shape")];
            check_weight_size(self.label(), input, "moving_mean", &[c])?;
            let make = |name: &str, v: f32| Some(Param::new(name, Tensor::full(&[c], v).to_array()));
            self.gamma = if self.scale { make("gamma", 1.0) } else { None };
            self.beta = if self.center { make("beta", 0.0) } else { None };
            self.moving_mean = make("moving_mean", 0.0);
            self.moving_variance = make("moving_variance", 1.0);
        }
        Ok(())
    }

    fn type_name(&self) -> &'static str {
        "BatchNormalization"
    }

    fn core(&self) -> &LayerCore {
        &self.core
    }

    fn core_mut(&mut self) -> &mut LayerCore {
        &mut self.core
    }

    fn weights(&self) -> Vec<Param> {
        let name = &self.core.name;
        let gamma = self.gamma.iter().map(|p| p.renamed(&format!("{name}/gamma")));
        gamma.chain(self.beta.iter().map(|p| p.renamed(&format!("{name}/beta")))).collect()
    }

    fn keras_config(&self) -> Result<Value> {
        let mut c = base_config(&self.core);
        c.insert("axis".into(), json!(self.axis));
        c.insert("momentum".into(), f32_value(self.momentum));
        c.insert("epsilon".into(), f32_value(self.epsilon));
        c.insert("center".into(), json!(self.center));
        c.insert("scale".into(), json!(self.scale));
        c.insert("beta_initializer".into(), initializer("Zeros", json!({})));
        c.insert("gamma_initializer".into(), initializer("Ones", json!({})));
        c.insert("moving_mean_initializer".into(), initializer("Zeros", json!({})));
        c.insert("moving_variance_initializer".into(), initializer("Ones", json!({})));
        for key in ["beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint"] {
            c.insert(key.into(), Value::Null);
        }
        c.insert("synchronized".into(), json!(false));
        c.insert("renorm".into(), json!(false));
        c.insert("renorm_clipping".into(), Value::Null);
        c.insert("renorm_momentum".into(), json!(0.99));
        Ok(c.into())
    }

    fn state_weights(&self) -> Vec<Param> {
        let name = &self.core.name;
        let mean = self.moving_mean.iter().map(|p| p.renamed(&format!("{name}/moving_mean")));
        mean.chain(self.moving_variance.iter().map(|p| p.renamed(&format!("{name}/moving_variance")))).collect()
    }
}

mod kernel;
#[cfg(test)]
pub(crate) mod tests;
