//! `Sequential`: a stack of layers whose shapes are checked as they are added.

use derin_tensor::{Param, Rng, Tensor};

use crate::error::{Error, Result};
use crate::module::{Ctx, LayerCore, Module, owned_weights};
use crate::train::Compiled;

/// A linear stack of layers, built from the input shape (without the batch axis), as
/// Keras' `Sequential([Input(shape), …])`.
///
/// Each [`add`](Sequential::add) names the layer (`dense`, `dense_1`, … unless it was
/// given a name), builds its weights from the model's seeded generator and infers its
/// output shape, so a mismatch is an [`Error`] at build time naming both layers and
/// shapes, not a panic on the first batch.
///
/// ```
/// use derin_nn::{Activation, Dense, Flatten, Module, Sequential};
/// let model = Sequential::new(&[1, 28, 28])
///     .add(Flatten::new()).unwrap()
///     .add(Dense::new(128, Activation::Relu)).unwrap()
///     .add(Dense::new(10, Activation::Softmax)).unwrap();
/// assert_eq!(model.output_shape(), &[10]);
/// let names: Vec<String> = model.params().iter().map(|p| p.name().to_string()).collect();
/// assert_eq!(names, ["dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"]);
/// let err = Sequential::new(&[4]).add(Flatten::new()).unwrap()
///     .add(derin_nn::Reshape::new(&[3])).unwrap_err();
/// assert!(err.to_string().contains("flatten (Flatten) outputs [4]"));
/// ```
pub struct Sequential {
    core: LayerCore,
    input_shape: Vec<usize>,
    pub(crate) layers: Vec<Box<dyn Module>>,
    shapes: Vec<Vec<usize>>,
    pub(crate) rng: Rng,
    pub(crate) compiled: Option<Compiled>,
}

impl Sequential {
    /// An empty model for samples of shape `input_shape`; weights are drawn from seed 0.
    ///
    /// ```
    /// # use derin_nn::Sequential;
    /// let m = Sequential::new(&[3, 32, 32]);
    /// assert_eq!(m.output_shape(), &[3, 32, 32]);
    /// assert!(m.layers().is_empty());
    /// ```
    pub fn new(input_shape: &[usize]) -> Self {
        Sequential::with_seed(input_shape, 0)
    }

    /// An empty model whose weights are drawn from `seed`.
    ///
    /// ```
    /// # use derin_nn::{Activation, Dense, Module, Sequential};
    /// let a = Sequential::with_seed(&[2], 1).add(Dense::new(2, Activation::Linear)).unwrap();
    /// let b = Sequential::with_seed(&[2], 1).add(Dense::new(2, Activation::Linear)).unwrap();
    /// assert_eq!(a.params()[0].value().to_vec(), b.params()[0].value().to_vec());
    /// ```
    pub fn with_seed(input_shape: &[usize], seed: u64) -> Self {
        Sequential {
            core: LayerCore::new("sequential"),
            input_shape: input_shape.to_vec(),
            layers: Vec::new(),
            shapes: Vec::new(),
            rng: Rng::seed(seed),
            compiled: None,
        }
    }

    /// Appends `layer`: names it, builds it for the current output shape, records its
    /// output shape.
    ///
    /// # Errors
    /// [`Error::Incompatible`] naming the previous layer, its output shape and the new
    /// layer when the layer cannot take that shape; [`Error::DuplicateName`] when a
    /// layer given a name collides with one already in the model.
    ///
    /// ```
    /// # use derin_nn::{Activation, Dense, Sequential};
    /// let m = Sequential::new(&[3]).add(Dense::new(2, Activation::Relu).named("hidden")).unwrap();
    /// assert!(m.add(Dense::new(2, Activation::Relu).named("hidden")).is_err());
    /// ```
    #[allow(clippy::should_implement_trait)] // Keras' name for it; `+` would read oddly here.
    pub fn add(self, layer: impl Module + 'static) -> Result<Self> {
        self.add_boxed(Box::new(layer))
    }

    /// [`add`](Sequential::add) for a layer already boxed (as
    /// [`layer_from_config`](crate::layer_from_config) returns it).
    ///
    /// # Errors
    /// As [`add`](Sequential::add).
    ///
    /// ```
    /// # use derin_nn::{Activation, Dense, Sequential, layer_from_config, Module};
    /// let layer = layer_from_config("Dense", &Dense::new(2, Activation::Relu).keras_config().unwrap()).unwrap();
    /// assert_eq!(Sequential::new(&[3]).add_boxed(layer).unwrap().output_shape(), &[2]);
    /// ```
    pub fn add_boxed(mut self, mut layer: Box<dyn Module>) -> Result<Self> {
        let taken = |name: &str| self.layers.iter().any(|l| l.name() == name);
        if layer.name() == layer.default_name() {
            let base = layer.default_name();
            let name = (0..).map(|i| if i == 0 { base.clone() } else { format!("{base}_{i}") }).find(|n| !taken(n));
            layer.set_name(&name.expect("an unbounded range has a free name"));
        } else if taken(layer.name()) {
            return Err(Error::DuplicateName { name: layer.name().to_string() });
        }
        let previous_shape = self.output_shape().to_vec();
        let incompatible = |e: Error, layer: &dyn Module| match e {
            Error::InputShape { expected, .. } => Error::Incompatible {
                previous: self.layers.last().map_or_else(|| "input (InputLayer)".to_string(), |l| l.label()),
                previous_shape: previous_shape.clone(),
                layer: layer.label(),
                reason: format!("{} expects {expected}", layer.label()),
            },
            other => other,
        };
        if let Err(e) = layer.build(&previous_shape, &mut self.rng) {
            return Err(incompatible(e, layer.as_ref()));
        }
        let shape = match layer.output_shape(&previous_shape) {
            Ok(shape) => shape,
            Err(e) => return Err(incompatible(e, layer.as_ref())),
        };
        self.layers.push(layer);
        self.shapes.push(shape);
        Ok(self)
    }

    /// Removes and returns the last layer (to replace a head for transfer learning).
    ///
    /// ```
    /// # use derin_nn::{Activation, Dense, Sequential};
    /// let mut m = Sequential::new(&[3]).add(Dense::new(5, Activation::Linear)).unwrap();
    /// assert_eq!(m.pop().unwrap().name(), "dense");
    /// assert_eq!(m.output_shape(), &[3]);
    /// ```
    pub fn pop(&mut self) -> Option<Box<dyn Module>> {
        self.shapes.pop();
        self.layers.pop()
    }

    /// The sample shape the model takes (without the batch axis).
    ///
    /// ```
    /// # use derin_nn::Sequential;
    /// assert_eq!(Sequential::new(&[7]).input_shape(), &[7]);
    /// ```
    pub fn input_shape(&self) -> &[usize] {
        &self.input_shape
    }

    /// The sample shape the model returns (without the batch axis).
    ///
    /// ```
    /// # use derin_nn::{Flatten, Sequential};
    /// assert_eq!(Sequential::new(&[2, 3]).add(Flatten::new()).unwrap().output_shape(), &[6]);
    /// ```
    pub fn output_shape(&self) -> &[usize] {
        self.shapes.last().unwrap_or(&self.input_shape)
    }

    /// The output shape of each layer, in order.
    ///
    /// ```
    /// # use derin_nn::{Flatten, Sequential};
    /// let m = Sequential::new(&[2, 3]).add(Flatten::new()).unwrap();
    /// assert_eq!(m.layer_shapes(), &[vec![6]]);
    /// ```
    pub fn layer_shapes(&self) -> &[Vec<usize>] {
        &self.shapes
    }

    /// The layers, in order.
    ///
    /// ```
    /// # use derin_nn::{Flatten, Sequential};
    /// assert_eq!(Sequential::new(&[2]).add(Flatten::new()).unwrap().layers()[0].name(), "flatten");
    /// ```
    pub fn layers(&self) -> &[Box<dyn Module>] {
        &self.layers
    }

    /// The layer called `name`, mutably (to freeze it).
    ///
    /// ```
    /// # use derin_nn::{Activation, Dense, Module, Sequential};
    /// let mut m = Sequential::new(&[2]).add(Dense::new(2, Activation::Linear)).unwrap();
    /// m.layer_mut("dense").unwrap().set_trainable(false);
    /// assert!(m.params().is_empty());
    /// assert_eq!(m.non_trainable_params().len(), 2);
    /// ```
    pub fn layer_mut(&mut self, name: &str) -> Option<&mut Box<dyn Module>> {
        self.layers.iter_mut().find(|l| l.name() == name)
    }

    /// The number of weights, trainable and not.
    ///
    /// ```
    /// # use derin_nn::{Activation, Dense, Sequential};
    /// let m = Sequential::new(&[3]).add(Dense::new(2, Activation::Linear)).unwrap();
    /// assert_eq!(m.count_params(), 8);
    /// ```
    pub fn count_params(&self) -> usize {
        self.params().iter().chain(&self.non_trainable_params()).map(Param::len).sum()
    }
}

impl Sequential {
    /// The model's output and, from the same forward pass, the outputs of the layers
    /// called `taps`, in that order (see [`Model::forward_with_taps`](crate::Model::forward_with_taps)).
    ///
    /// # Errors
    /// [`Error::Data`] naming a tap that is no layer of the model (with the names it has).
    ///
    /// ```
    /// # use derin_nn::{Activation, Ctx, Dense, Sequential};
    /// # use derin_tensor::Tensor;
    /// let m = Sequential::new(&[2]).add(Dense::new(3, Activation::Relu).named("hidden")).unwrap()
    ///     .add(Dense::new(1, Activation::Linear)).unwrap();
    /// let (y, taps) = m.forward_with_taps(&Tensor::ones(&[4, 2]), &["hidden"], &mut Ctx::eval()).unwrap();
    /// assert_eq!((y.shape(), taps[0].shape()), (&[4, 1][..], &[4, 3][..]));
    /// assert!(m.outputs_of(&Tensor::ones(&[4, 2]), &["conv5"], &mut Ctx::eval()).is_err());
    /// ```
    pub fn forward_with_taps(&self, x: &Tensor, taps: &[&str], ctx: &mut Ctx) -> Result<(Tensor, Vec<Tensor>)> {
        let at: Vec<usize> = taps
            .iter()
            .map(|&name| {
                self.layers.iter().position(|l| l.name() == name).ok_or_else(|| {
                    let known: Vec<&str> = self.layers.iter().map(|l| l.name()).collect();
                    let reason = format!("no layer called {name:?} (the model has {known:?})");
                    Error::Data { operation: "outputs_of", reason }
                })
            })
            .collect::<Result<_>>()?;
        let mut tapped = vec![None; at.len()];
        let y = self.run(x, ctx, |i, h| {
            at.iter().zip(&mut tapped).filter(|(a, _)| **a == i).for_each(|(_, t)| *t = Some(h.clone()));
        });
        Ok((y, tapped.into_iter().map(|t| t.expect("every tapped layer ran")).collect()))
    }

    /// The forward pass, showing `each(i, output)` the output of layer `i`; a layer that
    /// does not support masking drops the mask for the next.
    fn run(&self, x: &Tensor, ctx: &mut Ctx, mut each: impl FnMut(usize, &Tensor)) -> Tensor {
        self.layers.iter().enumerate().fold(x.clone(), |h, (i, layer)| {
            let y = layer.forward(&h, ctx);
            if !layer.supports_masking() {
                ctx.set_mask(None);
            }
            each(i, &y);
            y
        })
    }

    /// The outputs of the layers called `names` for `x`
    /// ([`forward_with_taps`](Sequential::forward_with_taps) without the model's output).
    ///
    /// # Errors
    /// As [`forward_with_taps`](Sequential::forward_with_taps).
    pub fn outputs_of(&self, x: &Tensor, names: &[&str], ctx: &mut Ctx) -> Result<Vec<Tensor>> {
        Ok(self.forward_with_taps(x, names, ctx)?.1)
    }
}

impl std::fmt::Debug for Sequential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let layers: Vec<String> = self.layers.iter().map(|l| l.label()).collect();
        f.debug_struct("Sequential")
            .field("name", &self.core.name)
            .field("input_shape", &self.input_shape)
            .field("layers", &layers)
            .field("compiled", &self.compiled.is_some())
            .finish()
    }
}

impl Module for Sequential {
    fn supports_masking(&self) -> bool {
        true
    }

    fn forward(&self, x: &Tensor, ctx: &mut Ctx) -> Tensor {
        self.run(x, ctx, |_, _| {})
    }

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        if input != self.input_shape.as_slice() {
            let expected = format!("{:?}", self.input_shape);
            return Err(Error::InputShape { layer: self.label(), expected, got: input.to_vec() });
        }
        Ok(Sequential::output_shape(self).to_vec())
    }

    fn type_name(&self) -> &'static str {
        "Sequential"
    }

    fn core(&self) -> &LayerCore {
        &self.core
    }

    fn core_mut(&mut self) -> &mut LayerCore {
        &mut self.core
    }

    fn weights(&self) -> Vec<Param> {
        self.layers.iter().flat_map(|l| owned_weights(l.as_ref(), |l| l.weights())).collect()
    }

    fn regularization_loss(&self) -> Option<Tensor> {
        self.layers.iter().filter_map(|l| l.regularization_loss()).reduce(|a, b| a + b)
    }

    fn state_weights(&self) -> Vec<Param> {
        self.layers.iter().flat_map(|l| owned_weights(l.as_ref(), |l| l.state_weights())).collect()
    }

    fn is_container(&self) -> bool {
        true
    }

    fn set_trainable(&mut self, trainable: bool) {
        self.core.trainable = trainable;
        self.layers.iter_mut().for_each(|l| l.set_trainable(trainable));
    }

    fn params(&self) -> Vec<Param> {
        self.layers.iter().flat_map(|l| owned_weights(l.as_ref(), |l| l.params())).collect()
    }

    fn non_trainable_params(&self) -> Vec<Param> {
        self.layers.iter().flat_map(|l| owned_weights(l.as_ref(), |l| l.non_trainable_params())).collect()
    }
}
