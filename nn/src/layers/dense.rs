//! `Dense`: the fully connected layer.

use derin_tensor::{Param, Rng, Tensor};
use serde_json::{Value, json};

use crate::activation::Activation;
use crate::error::{Error, Result};
use crate::module::{Ctx, LayerCore, Module, check_weight_size};
use crate::regularizer::Regularizer;
use crate::serialize::{KerasConfig, base_config};

/// `y = activation(x · kernel + bias)` applied along the last axis (PyTorch's `Linear`).
///
/// Keras defaults: Glorot-uniform kernel `[in, units]`, zero bias, linear activation.
/// Built lazily: [`Dense::new`] only knows `units`; the kernel is made when the input
/// size is known ([`Module::build`], which [`Sequential`](crate::Sequential) calls),
/// or at once with [`Dense::with_input`].
///
/// # Shapes
/// input `[batch, …, in]`, output `[batch, …, units]`.
///
/// ```
/// use derin_nn::{Activation, Ctx, Dense, Module};
/// use derin_tensor::{Rng, Tensor};
/// let dense = Dense::with_input(2, 1, Activation::Linear, &mut Rng::seed(0));
/// dense.kernel().unwrap().set(Tensor::from_vec(vec![2.0, 3.0], &[2, 1]).to_array());
/// let y = dense.forward(&Tensor::from_vec(vec![1.0, 1.0], &[1, 2]), &mut Ctx::eval());
/// assert_eq!(y.to_vec(), vec![5.0]); // 1·2 + 1·3 + 0
/// ```
#[doc(alias = "Linear")]
#[derive(Clone, Debug)]
pub struct Dense {
    core: LayerCore,
    units: usize,
    activation: Activation,
    use_bias: bool,
    kernel: Option<Param>,
    bias: Option<Param>,
    kernel_regularizer: Option<Regularizer>,
    bias_regularizer: Option<Regularizer>,
}

impl Dense {
    /// An unbuilt layer with `units` outputs and a bias.
    ///
    /// ```
    /// # use derin_nn::{Activation, Dense, Module};
    /// let d = Dense::new(10, Activation::Softmax);
    /// assert_eq!(d.units(), 10);
    /// assert!(d.kernel().is_none());
    /// assert_eq!(d.output_shape(&[64]).unwrap(), vec![10]);
    /// ```
    pub fn new(units: usize, activation: Activation) -> Self {
        Dense {
            core: LayerCore::new("dense"),
            units,
            activation,
            use_bias: true,
            kernel: None,
            bias: None,
            kernel_regularizer: None,
            bias_regularizer: None,
        }
    }

    /// A layer built at once for inputs of size `input`.
    ///
    /// ```
    /// # use derin_nn::{Activation, Dense};
    /// # use derin_tensor::Rng;
    /// let d = Dense::with_input(3, 4, Activation::Relu, &mut Rng::seed(0));
    /// assert_eq!(d.kernel().unwrap().shape(), vec![3, 4]);
    /// ```
    pub fn with_input(input: usize, units: usize, activation: Activation, rng: &mut Rng) -> Self {
        let mut d = Dense::new(units, activation);
        d.make_weights(input, rng);
        d
    }

    /// Without a bias (`use_bias=False`), before building.
    ///
    /// ```
    /// # use derin_nn::{Activation, Dense, Module};
    /// # use derin_tensor::Rng;
    /// let mut d = Dense::new(2, Activation::Linear).without_bias();
    /// d.build(&[3], &mut Rng::seed(0)).unwrap();
    /// assert_eq!(d.weights().len(), 1);
    /// ```
    pub fn without_bias(mut self) -> Self {
        self.use_bias = false;
        self
    }

    /// Penalises the kernel with `regularizer` (Keras' `kernel_regularizer`).
    ///
    /// ```
    /// # use derin_nn::{Activation, Dense, Module, Regularizer};
    /// # use derin_tensor::Rng;
    /// let mut d = Dense::new(2, Activation::Linear).with_kernel_regularizer(Regularizer::L2(0.5));
    /// d.build(&[1], &mut Rng::seed(0)).unwrap();
    /// let k = d.kernel().unwrap().value().to_vec();
    /// let want = 0.5 * (k[0] * k[0] + k[1] * k[1]);
    /// assert!((d.regularization_loss().unwrap().item() - want).abs() < 1e-6);
    /// ```
    pub fn with_kernel_regularizer(mut self, regularizer: Regularizer) -> Self {
        self.kernel_regularizer = Some(regularizer);
        self
    }

    /// Penalises the bias with `regularizer` (Keras' `bias_regularizer`).
    ///
    /// ```
    /// # use derin_nn::{Activation, Dense, Module, Regularizer};
    /// # use derin_tensor::Rng;
    /// let mut d = Dense::new(2, Activation::Linear).with_bias_regularizer(Regularizer::l1());
    /// d.build(&[1], &mut Rng::seed(0)).unwrap();
    /// assert_eq!(d.regularization_loss().unwrap().item(), 0.0); // zero bias
    /// ```
    pub fn with_bias_regularizer(mut self, regularizer: Regularizer) -> Self {
        self.bias_regularizer = Some(regularizer);
        self
    }

    /// Gives the layer a name (its weights become `<name>/kernel`, `<name>/bias`).
    ///
    /// ```
    /// # use derin_nn::{Activation, Dense, Module};
    /// let d = Dense::new(2, Activation::Linear).named("head");
    /// assert_eq!(d.name(), "head");
    /// ```
    pub fn named(mut self, name: &str) -> Self {
        self.core.name = name.to_string();
        self
    }

    /// The number of outputs.
    ///
    /// ```
    /// # use derin_nn::{Activation, Dense};
    /// assert_eq!(Dense::new(7, Activation::Linear).units(), 7);
    /// ```
    pub fn units(&self) -> usize {
        self.units
    }

    /// The kernel `[in, units]` (unprefixed name `kernel`), once built.
    ///
    /// ```
    /// # use derin_nn::{Activation, Dense};
    /// # use derin_tensor::Rng;
    /// let d = Dense::with_input(2, 2, Activation::Linear, &mut Rng::seed(0));
    /// assert!(d.kernel().unwrap().value().to_vec().iter().all(|v| v.abs() <= 1.0));
    /// ```
    pub fn kernel(&self) -> Option<&Param> {
        self.kernel.as_ref()
    }

    /// The bias `[units]`, once built (zeros at first).
    ///
    /// ```
    /// # use derin_nn::{Activation, Dense};
    /// # use derin_tensor::Rng;
    /// let d = Dense::with_input(2, 3, Activation::Linear, &mut Rng::seed(0));
    /// assert_eq!(d.bias().unwrap().value().to_vec(), vec![0.0; 3]);
    /// ```
    pub fn bias(&self) -> Option<&Param> {
        self.bias.as_ref()
    }

    /// The (unbuilt) layer a Keras `Dense` config describes. Initializers are not read:
    /// the weights come from the file, or Derin's Glorot-uniform/zeros.
    pub(crate) fn from_keras_config(c: &KerasConfig) -> Result<Self> {
        let mut d = Dense::new(c.usize("units")?, c.activation("activation")?);
        d.core = c.core("dense")?;
        d.use_bias = c.bool_or("use_bias", true)?;
        d.kernel_regularizer = c.regularizer("kernel_regularizer")?;
        d.bias_regularizer = c.regularizer("bias_regularizer")?;
        for key in ["activity_regularizer", "kernel_constraint", "bias_constraint", "lora_rank"] {
            c.unsupported(key, &Value::Null, key)?;
        }
        Ok(d)
    }

    fn make_weights(&mut self, input: usize, rng: &mut Rng) {
        let kernel = Tensor::glorot_uniform(&[input, self.units], rng);
        self.kernel = Some(Param::new("kernel", kernel.to_array()));
        if self.use_bias {
            self.bias = Some(Param::new("bias", Tensor::zeros(&[self.units]).to_array()));
        }
    }

    fn expected(&self) -> String {
        match &self.kernel {
            Some(k) => format!("[{}] (last axis of size {})", k.shape()[0], k.shape()[0]),
            None => "at least one axis".to_string(),
        }
    }
}

impl Module for Dense {
    fn supports_masking(&self) -> bool {
        true
    }

    /// # Panics
    /// If the layer is not built; the message names the layer.
    fn forward(&self, x: &Tensor, _ctx: &mut Ctx) -> Tensor {
        let kernel = self.kernel.as_ref().unwrap_or_else(|| panic!("{}: forward before build", self.label()));
        let freeze = |p: &Param| if self.trainable() { p.value() } else { p.frozen_value() };
        let bias = self.bias.as_ref().map(freeze);
        self.activation.apply(&x.linear(&freeze(kernel), bias.as_ref()))
    }

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        let fits = match (&self.kernel, input.last()) {
            (_, None) => false,
            (Some(k), Some(&last)) => k.shape()[0] == last,
            (None, Some(&last)) => last > 0,
        };
        if !fits {
            return Err(Error::InputShape { layer: self.label(), expected: self.expected(), got: input.to_vec() });
        }
        let mut out = input.to_vec();
        *out.last_mut().expect("checked non-empty") = self.units;
        Ok(out)
    }

    fn build(&mut self, input: &[usize], rng: &mut Rng) -> Result<()> {
        self.output_shape(input)?;
        if self.kernel.is_none() {
            let features = *input.last().expect("checked by output_shape");
            check_weight_size(self.label(), input, "kernel", &[features, self.units])?;
            self.make_weights(features, rng);
        }
        Ok(())
    }

    fn type_name(&self) -> &'static str {
        "Dense"
    }

    fn keras_config(&self) -> Result<Value> {
        let initializer = |class: &str, config: Value| json!({"module": "keras.initializers", "class_name": class, "config": config, "registered_name": null});
        let regularizer = |r: Option<Regularizer>| r.map_or(Value::Null, |r| r.to_keras_config());
        let mut c = base_config(&self.core);
        c.insert("units".into(), json!(self.units));
        c.insert("activation".into(), self.activation.keras_value(&self.label())?);
        c.insert("use_bias".into(), json!(self.use_bias));
        c.insert("kernel_initializer".into(), initializer("GlorotUniform", json!({"seed": null})));
        c.insert("bias_initializer".into(), initializer("Zeros", json!({})));
        c.insert("kernel_regularizer".into(), regularizer(self.kernel_regularizer));
        c.insert("bias_regularizer".into(), regularizer(self.bias_regularizer));
        c.insert("kernel_constraint".into(), Value::Null);
        c.insert("bias_constraint".into(), Value::Null);
        Ok(c.into())
    }

    fn regularization_loss(&self) -> Option<Tensor> {
        let kernel = self.kernel.as_ref().zip(self.kernel_regularizer).map(|(p, r)| r.penalty(p));
        let bias = self.bias.as_ref().zip(self.bias_regularizer).map(|(p, r)| r.penalty(p));
        match (kernel, bias) {
            (Some(k), Some(b)) => Some(k + b),
            (k, b) => k.or(b),
        }
    }

    fn core(&self) -> &LayerCore {
        &self.core
    }

    fn core_mut(&mut self) -> &mut LayerCore {
        &mut self.core
    }

    fn weights(&self) -> Vec<Param> {
        let name = &self.core.name;
        let kernel = self.kernel.iter().map(|k| k.renamed(&format!("{name}/kernel")));
        kernel.chain(self.bias.iter().map(|b| b.renamed(&format!("{name}/bias")))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use derin_tensor::check_gradients;

    fn fixed() -> Dense {
        let d = Dense::with_input(3, 2, Activation::Relu, &mut Rng::seed(0));
        d.kernel().unwrap().set(Tensor::from_vec(vec![1.0, -1.0, 0.5, 2.0, -0.5, 1.0], &[3, 2]).to_array());
        d.bias().unwrap().set(Tensor::from_vec(vec![0.1, -0.2], &[2]).to_array());
        d
    }

    #[test]
    fn forward_with_fixed_weights() {
        let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, -1.0, 0.0, 1.0], &[2, 3]);
        let y = fixed().forward(&x, &mut Ctx::eval()).to_vec();
        // row 0: [1 + 1 − 1.5 + 0.1, −1 + 4 + 3 − 0.2] = [0.6, 5.8]
        // row 1: relu([−1 + 0 − 0.5 + 0.1, 1 + 0 + 1 − 0.2]) = [0, 1.8]
        let want = [0.6, 5.8, 0.0, 1.8];
        for (a, b) in y.iter().zip(want) {
            assert!((a - b).abs() < 1e-5, "{y:?}");
        }
    }

    #[test]
    fn gradients_reach_input_kernel_and_bias() {
        let d = Dense::with_input(3, 2, Activation::Tanh, &mut Rng::seed(3));
        let x = Tensor::from_vec(vec![0.3, -0.7, 1.1, 0.5, 0.2, -0.9], &[2, 3]);
        let (k, b) = (d.kernel().unwrap().value(), Tensor::from_vec(vec![0.2, -0.1], &[2]));
        let f = |xs: &[Tensor]| (xs[0].matmul(&xs[1]) + &xs[2]).tanh().sum_all();
        check_gradients(f, &[x.clone(), k, b]).unwrap();
        let grads = d.forward(&x, &mut Ctx::train(0)).sum_all().backward();
        assert!(grads.param(d.kernel().unwrap()).is_some() && grads.param(d.bias().unwrap()).is_some());
    }

    #[test]
    fn applies_to_the_last_axis_of_sequences() {
        let d = fixed();
        assert_eq!(d.output_shape(&[4, 3]).unwrap(), vec![4, 2]);
        let x = Tensor::from_vec((0..24).map(|i| i as f32 / 10.0 - 1.0).collect(), &[2, 4, 3]);
        let y = d.forward(&x, &mut Ctx::eval());
        assert_eq!(y.shape(), &[2, 4, 2]);
        let row = d.forward(&x.narrow(0, 1, 1).narrow(1, 2, 1).reshape(&[1, 3]), &mut Ctx::eval());
        assert_eq!(y.narrow(0, 1, 1).narrow(1, 2, 1).to_vec(), row.to_vec());
    }

    #[test]
    fn wrong_input_size_names_the_layer_and_shape() {
        let d = fixed();
        let err = d.output_shape(&[4]).unwrap_err().to_string();
        assert!(err.contains("dense (Dense)") && err.contains("[4]") && err.contains("3"), "{err}");
        assert!(Dense::new(2, Activation::Linear).output_shape(&[]).is_err());
    }

    #[test]
    fn frozen_layer_moves_weights_to_non_trainable() {
        let mut d = fixed();
        d.set_trainable(false);
        assert!(d.params().is_empty());
        assert_eq!(d.non_trainable_params().len(), 2);
        let grads = d.forward(&Tensor::ones(&[1, 3]), &mut Ctx::train(0)).sum_all().backward();
        assert!(grads.param(d.kernel().unwrap()).is_none());
    }
}
