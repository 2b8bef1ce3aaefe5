//! The `Module` trait every layer implements, and the context a forward pass runs in.

use derin_tensor::{Param, Rng, Tensor};

use crate::error::{Error, Result};

/// Training or inference: decides what [`Dropout`](crate::Dropout) and
/// [`BatchNormalization`](crate::BatchNormalization) do.
///
/// ```
/// use derin_nn::Mode;
/// assert_ne!(Mode::Train, Mode::Eval);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Training: dropout drops, state updates are collected.
    Train,
    /// Inference: every layer is deterministic.
    Eval,
}

/// What a forward pass runs in: the mode, the random generator for dropout, and the
/// state updates layers ask for (new values for non-trainable parameters such as moving
/// statistics), applied by the training loop after the step.
///
/// ```
/// use derin_nn::{Ctx, Mode};
/// let ctx = Ctx::train(0);
/// assert!(ctx.is_training());
/// assert_eq!(Ctx::eval().mode, Mode::Eval);
/// ```
pub struct Ctx {
    /// Training or inference.
    pub mode: Mode,
    /// The generator dropout masks are drawn from.
    pub rng: Rng,
    updates: Vec<(Param, Tensor)>,
    mask: Option<Tensor>,
}

impl Ctx {
    /// A training context whose generator starts from `seed`.
    ///
    /// ```
    /// # use derin_nn::{Ctx, Mode};
    /// assert_eq!(Ctx::train(1).mode, Mode::Train);
    /// ```
    pub fn train(seed: u64) -> Self {
        Ctx { mode: Mode::Train, rng: Rng::seed(seed), updates: Vec::new(), mask: None }
    }

    /// An inference context.
    ///
    /// ```
    /// # use derin_nn::Ctx;
    /// assert!(!Ctx::eval().is_training());
    /// ```
    pub fn eval() -> Self {
        Ctx { mode: Mode::Eval, rng: Rng::seed(0), updates: Vec::new(), mask: None }
    }

    /// Whether the mode is [`Mode::Train`].
    ///
    /// ```
    /// # use derin_nn::Ctx;
    /// assert!(Ctx::train(0).is_training());
    /// ```
    pub fn is_training(&self) -> bool {
        self.mode == Mode::Train
    }

    /// Asks for `param` to be set to `value` once the step is done.
    ///
    /// ```
    /// # use derin_nn::Ctx;
    /// # use derin_tensor::{Param, Tensor};
    /// let p = Param::new("moving_mean", Tensor::zeros(&[2]).to_array());
    /// let mut ctx = Ctx::train(0);
    /// ctx.push_update(&p, Tensor::ones(&[2]));
    /// ctx.apply_updates();
    /// assert_eq!(p.value().to_vec(), vec![1.0, 1.0]);
    /// ```
    pub fn push_update(&mut self, param: &Param, value: Tensor) {
        self.updates.push((param.clone(), value));
    }

    /// Applies and forgets every update asked for so far; returns how many there were.
    ///
    /// ```
    /// # use derin_nn::Ctx;
    /// assert_eq!(Ctx::eval().apply_updates(), 0);
    /// ```
    pub fn apply_updates(&mut self) -> usize {
        let n = self.updates.len();
        for (p, v) in self.updates.drain(..) {
            p.set(v.to_array());
        }
        n
    }
}

impl Ctx {
    /// Sets the time-step mask that flows with the batch, `[batch, time]` of 1 (keep) and
    /// 0 (padding), as Keras' `Embedding(mask_zero=True)` and `Masking` make it; `None`
    /// clears it. Recurrent layers and 1-D pooling honour it, layers that do not change
    /// the time axis pass it on, layers that remove the time axis consume it.
    ///
    /// ```
    /// # use derin_nn::Ctx;
    /// # use derin_tensor::Tensor;
    /// let mut ctx = Ctx::eval();
    /// ctx.set_mask(Some(Tensor::from_vec(vec![1.0, 0.0], &[1, 2])));
    /// assert_eq!(ctx.mask().unwrap().to_vec(), vec![1.0, 0.0]);
    /// assert!(ctx.take_mask().is_some() && ctx.mask().is_none());
    /// ```
    pub fn set_mask(&mut self, mask: Option<Tensor>) {
        self.mask = mask;
    }

    /// The current time-step mask, if any (see [`set_mask`](Ctx::set_mask)).
    ///
    /// ```
    /// # use derin_nn::Ctx;
    /// assert!(Ctx::eval().mask().is_none());
    /// ```
    pub fn mask(&self) -> Option<&Tensor> {
        self.mask.as_ref()
    }

    /// Removes and returns the mask: what a layer that consumes it calls.
    ///
    /// ```
    /// # use derin_nn::Ctx;
    /// assert!(Ctx::eval().take_mask().is_none());
    /// ```
    pub fn take_mask(&mut self) -> Option<Tensor> {
        self.mask.take()
    }
}

/// The name and `trainable` flag every layer keeps.
///
/// ```
/// use derin_nn::LayerCore;
/// let core = LayerCore::new("dense");
/// assert_eq!(core.name, "dense");
/// assert!(core.trainable);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayerCore {
    /// The layer's name, unique within a model (`dense`, `dense_1`, …).
    pub name: String,
    /// Whether an optimizer may change the layer's weights.
    pub trainable: bool,
}

impl LayerCore {
    /// A trainable layer called `name`.
    ///
    /// ```
    /// # use derin_nn::LayerCore;
    /// assert_eq!(LayerCore::new("flatten").name, "flatten");
    /// ```
    pub fn new(name: &str) -> Self {
        LayerCore { name: name.to_string(), trainable: true }
    }
}

/// A layer or a model: forward with a context, named weights, output shape from input
/// shape.
///
/// Shapes given to [`output_shape`](Module::output_shape) and
/// [`build`](Module::build) exclude the batch axis, like Keras' `input_shape`; tensors
/// given to [`forward`](Module::forward) carry it first.
///
/// ```
/// use derin_nn::{Activation, Ctx, Dense, Module};
/// use derin_tensor::{Rng, Tensor};
/// let mut dense = Dense::new(3, Activation::Relu);
/// assert_eq!(dense.output_shape(&[4]).unwrap(), vec![3]);
/// dense.build(&[4], &mut Rng::seed(0)).unwrap();
/// let y = dense.forward(&Tensor::ones(&[2, 4]), &mut Ctx::eval());
/// assert_eq!(y.shape(), &[2, 3]);
/// assert_eq!(dense.params()[0].name(), "dense/kernel");
/// ```
pub trait Module {
    /// The output for input `x` (batch axis first).
    fn forward(&self, x: &Tensor, ctx: &mut Ctx) -> Tensor;

    /// The output shape for an input of shape `input`, both without the batch axis.
    ///
    /// # Errors
    /// [`Error::InputShape`](crate::Error::InputShape) when the layer cannot take it.
    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>>;

    /// Creates the weights for an input of shape `input` (without the batch axis) if the
    /// layer has none yet. Layers without weights need not override it.
    ///
    /// # Errors
    /// As [`output_shape`](Module::output_shape).
    fn build(&mut self, input: &[usize], rng: &mut Rng) -> Result<()> {
        let _ = rng;
        self.output_shape(input).map(|_| ())
    }

    /// Checks the values of a batch before any training or inference starts, for layers
    /// whose input has rules beyond its shape (Embedding's token ids must be whole numbers
    /// in `[0, input_dim)`). [`Sequential`](crate::Sequential) asks its first layer in
    /// `fit`, `evaluate` and `predict`, so bad data is an `Err` there instead of a panic
    /// in `forward`. The default accepts everything.
    ///
    /// # Errors
    /// [`Error::Data`](crate::Error::Data) naming the layer and the bad value.
    ///
    /// ```
    /// use derin_nn::{Embedding, Module};
    /// use derin_tensor::Tensor;
    /// let e = Embedding::new(10, 4).unwrap();
    /// assert!(e.check_input(&Tensor::from_vec(vec![1.0, 9.0], &[1, 2])).is_ok());
    /// let err = e.check_input(&Tensor::from_vec(vec![1.0, 10.0], &[1, 2])).unwrap_err().to_string();
    /// assert!(err.contains("10") && err.contains("embedding"), "{err}");
    /// ```
    fn check_input(&self, x: &Tensor) -> Result<()> {
        let _ = x;
        Ok(())
    }

    /// The Keras class name, shown by `summary` (`Dense`, `Flatten`, …).
    fn type_name(&self) -> &'static str;

    /// The name and `trainable` flag.
    fn core(&self) -> &LayerCore;

    /// Mutable access to the name and `trainable` flag.
    fn core_mut(&mut self) -> &mut LayerCore;

    /// Every weight, trainable or frozen, named `<layer>/<weight>` (`dense/kernel`).
    fn weights(&self) -> Vec<Param> {
        Vec::new()
    }

    /// Weights no optimizer ever trains (BatchNormalization's moving statistics), named
    /// like [`weights`](Module::weights); layers update them through
    /// [`Ctx::push_update`].
    fn state_weights(&self) -> Vec<Param> {
        Vec::new()
    }

    /// The sum of the layer's weight penalties (see
    /// [`Regularizer`](crate::Regularizer)), added to the training loss; `None` when it
    /// has none.
    fn regularization_loss(&self) -> Option<Tensor> {
        None
    }

    /// The layer's name.
    fn name(&self) -> &str {
        &self.core().name
    }

    /// Renames the layer (and so its weights).
    fn set_name(&mut self, name: &str) {
        self.core_mut().name = name.to_string();
    }

    /// The name [`Sequential`](crate::Sequential) numbers when the user gave none: the
    /// type name in snake case (`Dense` → `dense`).
    fn default_name(&self) -> String {
        snake_case(self.type_name())
    }

    /// Whether the optimizer updates this layer's weights.
    fn trainable(&self) -> bool {
        self.core().trainable
    }

    /// Freezes (`false`) or unfreezes (`true`) the layer.
    fn set_trainable(&mut self, trainable: bool) {
        self.core_mut().trainable = trainable;
    }

    /// Whether the layer passes the time-step mask on, makes one, or consumes it itself
    /// (Keras' `supports_masking`). After a layer that does not, the model drops the mask,
    /// so a layer of your own that changes the time axis never hands a stale mask to the
    /// next; the default is `false`, as in Keras.
    fn supports_masking(&self) -> bool {
        false
    }

    /// Whether the layer is a model of layers (a nested [`Sequential`](crate::Sequential)):
    /// a model holding it prefixes its weights' names with its name
    /// (`generator/dense/kernel`), so that two nested models never share a name.
    fn is_container(&self) -> bool {
        false
    }

    /// The weights an optimizer updates: [`weights`](Module::weights) when trainable,
    /// nothing when frozen.
    fn params(&self) -> Vec<Param> {
        if self.trainable() { self.weights() } else { Vec::new() }
    }

    /// The weights an optimizer leaves alone: state weights, plus every weight of a
    /// frozen layer.
    fn non_trainable_params(&self) -> Vec<Param> {
        let mut out = if self.trainable() { Vec::new() } else { self.weights() };
        out.extend(self.state_weights());
        out
    }

    /// `name (Type)`, as error messages and `summary` show a layer.
    fn label(&self) -> String {
        format!("{} ({})", self.name(), self.type_name())
    }

    /// The layer's Keras config, as Keras' `get_config()` returns it (`name`, `trainable`,
    /// `dtype`, then the class's own keys with Keras' names and value spellings); what
    /// [`Sequential::save`](crate::Sequential::save) writes into `model_config` under
    /// `{"class_name": type_name(), "config": …}`, and what
    /// [`layer_from_config`](crate::layer_from_config) reads back.
    ///
    /// A layer that overrides it also gets an arm in `layer_from_config` (one line).
    ///
    /// # Errors
    /// The default: [`Error::Unserializable`], "this layer cannot be saved yet".
    ///
    /// ```
    /// use derin_nn::{Activation, Dense, Module};
    /// let c = Dense::new(3, Activation::Relu).keras_config().unwrap();
    /// assert_eq!((c["name"].as_str(), c["units"].as_u64(), c["activation"].as_str()), (Some("dense"), Some(3), Some("relu")));
    /// ```
    fn keras_config(&self) -> Result<serde_json::Value> {
        Err(Error::Unserializable { layer: self.label(), reason: "the layer has no Keras config yet".to_string() })
    }

    /// How weight `index` (in the order of [`weights`](Module::weights) then
    /// [`state_weights`](Module::state_weights)) is laid out in a Keras file: `None` (the
    /// default) when Keras' layout is Derin's, else the axis permutation that turns
    /// Derin's array into Keras' (`keras = derin.permute(axes)`). The `.h5` writer and
    /// reader apply it, so convolution kernels are stored as Keras stores them.
    ///
    /// ```
    /// use derin_nn::{Activation, Conv2D, Dense, Module};
    /// // Derin [filters, in, kh, kw] → Keras [kh, kw, in, filters]
    /// assert_eq!(Conv2D::new(2, [3, 3], Activation::Relu).keras_weight_axes(0), Some(vec![2, 3, 1, 0]));
    /// assert_eq!(Conv2D::new(2, [3, 3], Activation::Relu).keras_weight_axes(1), None); // bias
    /// assert_eq!(Dense::new(2, Activation::Relu).keras_weight_axes(0), None);
    /// ```
    fn keras_weight_axes(&self, index: usize) -> Option<Vec<usize>> {
        let _ = index;
        None
    }
}

/// The most values one weight may hold: 2³², 16 GiB of `f32`.
pub(crate) const MAX_WEIGHT_VALUES: usize = 1 << 32;

/// `Err` when weight `name` of `shape` would hold more than [`MAX_WEIGHT_VALUES`], so
/// that a layer asked (by a config read from a file, say) for more memory than a machine
/// has fails to build instead of aborting on allocation.
pub(crate) fn check_weight_size(layer: String, input: &[usize], name: &str, shape: &[usize]) -> Result<()> {
    match shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d)) {
        Some(n) if n <= MAX_WEIGHT_VALUES => Ok(()),
        _ => Err(Error::InputShape {
            layer,
            expected: format!("an input for which the {name} {shape:?} holds at most 2^32 values (16 GiB)"),
            got: input.to_vec(),
        }),
    }
}

/// `MaxPooling2D` → `max_pooling2d`, as Keras derives default layer names.
pub(crate) fn snake_case(type_name: &str) -> String {
    let chars: Vec<char> = type_name.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            if prev.is_ascii_lowercase() || (prev.is_ascii_uppercase() && next_lower) {
                out.push('_');
            }
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// `f(layer)`, with the names prefixed by the layer's name when it is a container (see
/// [`Module::is_container`]).
pub(crate) fn owned_weights(layer: &dyn Module, f: impl Fn(&dyn Module) -> Vec<Param>) -> Vec<Param> {
    match layer.is_container() {
        true => crate::checkpoint::prefixed(layer.name(), f(layer)),
        false => f(layer),
    }
}

#[cfg(test)]
mod tests {
    use super::snake_case;

    #[test]
    fn snake_case_matches_keras_names() {
        assert_eq!(snake_case("Dense"), "dense");
        assert_eq!(snake_case("MaxPooling2D"), "max_pooling2d");
        assert_eq!(snake_case("Conv2DTranspose"), "conv2d_transpose");
        assert_eq!(snake_case("Flatten"), "flatten");
    }
}
