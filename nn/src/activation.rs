//! Activation functions: the `Activation` enum, used as a layer option and as a layer.

mod more;
#[cfg(test)]
mod more_tests;

use derin_tensor::Tensor;

use crate::error::{Error, Result};
use crate::module::{Ctx, LayerCore, Module};
use crate::serialize::{KerasConfig, base_config};

/// An elementwise (softmax: along the last axis) non-linearity.
///
/// | variant | formula | range | typical use |
/// |---|---|---|---|
/// | `Linear` | `x` | ℝ | regression outputs, logits |
/// | `Relu` | `max(0, x)` | [0, ∞) | the default hidden activation |
/// | `Sigmoid` | `1 / (1 + e⁻ˣ)` | (0, 1) | the output of a binary classifier |
/// | `Tanh` | `(eˣ − e⁻ˣ) / (eˣ + e⁻ˣ)` | (−1, 1) | inside recurrent cells |
/// | `Softmax` | `eˣⁱ / Σⱼ eˣʲ` (last axis) | (0, 1), sums to 1 | the output of a multi-class classifier |
/// | `LeakyRelu(α)` | `x` if `x > 0`, else `αx` | ℝ | against dying ReLUs (Keras' α = 0.3) |
/// | `Elu(α)` | `x` if `x > 0`, else `α(eˣ − 1)` | (−α, ∞) | against dying ReLUs, smoother (α = 1) |
/// | `Gelu` | `x·Φ(x)` | ≈ [−0.17, ∞) | transformers |
/// | `GeluTanh` | `½x(1 + tanh(√(2/π)(x + 0.044715x³)))` | ≈ [−0.17, ∞) | GELU as GPT-2 and BERT compute it |
/// | `Silu` | `x·σ(x)` (swish) | ≈ [−0.28, ∞) | deep CNNs (EfficientNet) |
/// | `Selu` | `1.0507·elu(x, 1.6733)` | (−1.76, ∞) | self-normalizing MLPs |
/// | `Softplus` | `ln(1 + eˣ)` | (0, ∞) | a smooth ReLU; positive outputs |
/// | `Softsign` | `x / (1 + |x|)` | (−1, 1) | a slower-saturating tanh |
/// | `Exponential` | `eˣ` | (0, ∞) | positive outputs (rates) |
/// | `Relu6` | `min(max(0, x), 6)` | [0, 6] | mobile networks |
/// | `HardSigmoid` | `relu6(x + 3) / 6` (Keras 3) | [0, 1] | a cheap sigmoid |
/// | `HardSigmoidKeras2` | `clip(0.2x + 0.5, 0, 1)` (Keras 2) | [0, 1] | old Keras 2 models |
/// | `HardSilu` | `x·relu6(x + 3) / 6` (hard swish) | [−0.375, ∞) | MobileNetV3 |
/// | `Mish` | `x·tanh(softplus(x))` | ≈ [−0.31, ∞) | YOLOv4-style CNNs |
/// | `LogSoftmax` | `xᵢ − ln Σⱼ eˣʲ` (last axis) | (−∞, 0] | log-probabilities |
/// | `LogSigmoid` | `ln σ(x)` | (−∞, 0) | log-probabilities of binary outputs |
/// | `HardTanh` | `clip(x, −1, 1)` | [−1, 1] | a cheap tanh |
/// | `HardShrink` | `x` if `|x| > 0.5`, else 0 | ℝ | sparse codes |
/// | `SoftShrink` | `x ∓ 0.5` if `|x| > 0.5`, else 0 | ℝ | sparse codes |
/// | `TanhShrink` | `x − tanh(x)` | ℝ | sparse codes |
/// | `SparsePlus` | 0, `(x + 1)²/4` on (−1, 1), `x` | [0, ∞) | a softplus with exact zeros |
/// | `SparseSigmoid` | `clip((x + 1)/2, 0, 1)` | [0, 1] | a sigmoid with exact 0 and 1 |
/// | `Squareplus` | `(x + √(x² + 4)) / 2` | (0, ∞) | a softplus without exp/log |
/// | `Sparsemax` | `max(xᵢ − τ, 0)`, sums to 1 (last axis) | [0, 1] | sparse probabilities |
///
/// Keras names them all (`"selu"`, `"hard_sigmoid"`, …, see [`Activation::from_keras_name`]);
/// Keras' `"celu"` (α = 1) is `Elu(1.0)`. Keras' `"hard_sigmoid"` changed formula between
/// Keras 2 (`0.2x + 0.5`) and Keras 3 (`(x + 3)/6`): the name gives the Keras 3 one, and
/// `HardSigmoidKeras2` is the Keras 2 one for models whose file says they come from Keras 2.
/// Not here: Keras' `glu` (halves the last axis) and `threshold` (needs arguments a name
/// cannot give).
///
/// ```
/// use derin_nn::Activation;
/// use derin_tensor::Tensor;
/// let x = Tensor::from_vec(vec![-2.0, 0.5], &[1, 2]);
/// assert_eq!(Activation::Relu.apply(&x).to_vec(), vec![0.0, 0.5]);
/// assert_eq!(Activation::LeakyRelu(0.1).apply(&x).to_vec(), vec![-0.2, 0.5]);
/// let p = Activation::Softmax.apply(&x).to_vec();
/// assert!((p[0] + p[1] - 1.0).abs() < 1e-6);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub enum Activation {
    /// The identity (Keras' `None`/`"linear"`), the default.
    #[default]
    Linear,
    /// Rectified linear unit.
    Relu,
    /// Logistic sigmoid.
    Sigmoid,
    /// Hyperbolic tangent.
    Tanh,
    /// Softmax over the last axis.
    Softmax,
    /// Leaky ReLU with negative slope α.
    LeakyRelu(f32),
    /// Exponential linear unit with scale α.
    Elu(f32),
    /// Gaussian error linear unit.
    Gelu,
    /// GELU's tanh approximation (Keras `gelu(approximate=True)`, PyTorch
    /// `GELU(approximate='tanh')`); Keras stores no name for it, so a Keras config
    /// cannot hold it.
    GeluTanh,
    /// Sigmoid-weighted linear unit (swish).
    Silu,
    /// Scaled exponential linear unit, Keras' α = 1.67326324 and scale 1.05070098.
    Selu,
    /// `ln(1 + eˣ)`.
    Softplus,
    /// `x / (1 + |x|)`.
    Softsign,
    /// `eˣ`.
    Exponential,
    /// ReLU capped at 6.
    Relu6,
    /// Keras 3's hard sigmoid, `relu6(x + 3) / 6`.
    HardSigmoid,
    /// Keras 2's (tf-keras') hard sigmoid, `clip(0.2x + 0.5, 0, 1)`.
    HardSigmoidKeras2,
    /// Hard SiLU (hard swish), `x·relu6(x + 3) / 6`.
    HardSilu,
    /// `x·tanh(softplus(x))`.
    Mish,
    /// Log-softmax over the last axis.
    LogSoftmax,
    /// `ln σ(x)`.
    LogSigmoid,
    /// `clip(x, −1, 1)`.
    HardTanh,
    /// `x` where `|x| > 0.5`, else 0.
    HardShrink,
    /// `x − 0.5·sign(x)` where `|x| > 0.5`, else 0.
    SoftShrink,
    /// `x − tanh(x)`.
    TanhShrink,
    /// 0 for `x ≤ −1`, `(x + 1)²/4` on (−1, 1), `x` for `x ≥ 1`.
    SparsePlus,
    /// `clip((x + 1)/2, 0, 1)`.
    SparseSigmoid,
    /// `(x + √(x² + 4)) / 2` (Keras' `b = 4`).
    Squareplus,
    /// Sparsemax over the last axis: the projection onto the probability simplex.
    Sparsemax,
}

impl Activation {
    /// Applies the activation to `x` (softmax along the last axis).
    ///
    /// ```
    /// # use derin_nn::Activation;
    /// # use derin_tensor::Tensor;
    /// let y = Activation::Sigmoid.apply(&Tensor::from_vec(vec![0.0], &[1]));
    /// assert_eq!(y.to_vec(), vec![0.5]);
    /// ```
    pub fn apply(&self, x: &Tensor) -> Tensor {
        match *self {
            Activation::Linear => x.clone(),
            Activation::Relu => x.relu(),
            Activation::Sigmoid => x.sigmoid(),
            Activation::Tanh => x.tanh(),
            Activation::Softmax => x.softmax(x.ndim().saturating_sub(1)),
            Activation::LeakyRelu(alpha) => x.leaky_relu(alpha),
            Activation::Elu(alpha) => x.elu(alpha),
            Activation::Gelu => x.gelu(),
            Activation::GeluTanh => x.gelu_tanh(),
            Activation::Silu => x.silu(),
            Activation::Selu => more::selu(x),
            Activation::Softplus => x.softplus(),
            Activation::Softsign => more::softsign(x),
            Activation::Exponential => x.exp(),
            Activation::Relu6 => more::relu6(x),
            Activation::HardSigmoid => more::hard_sigmoid(x),
            Activation::HardSigmoidKeras2 => more::hard_sigmoid_keras2(x),
            Activation::HardSilu => more::hard_silu(x),
            Activation::Mish => more::mish(x),
            Activation::LogSoftmax => x.log_softmax(x.ndim().saturating_sub(1)),
            Activation::LogSigmoid => more::log_sigmoid(x),
            Activation::HardTanh => more::hard_tanh(x),
            Activation::HardShrink => more::hard_shrink(x),
            Activation::SoftShrink => more::soft_shrink(x),
            Activation::TanhShrink => more::tanh_shrink(x),
            Activation::SparsePlus => more::sparse_plus(x),
            Activation::SparseSigmoid => more::sparse_sigmoid(x),
            Activation::Squareplus => more::squareplus(x),
            Activation::Sparsemax => more::sparsemax(x),
        }
    }

    /// Keras' name for the activation (`"relu"`, `"linear"`, …), as layer configs store
    /// it; `None` for a slope Keras' named functions do not have (Keras' `"leaky_relu"`
    /// has slope 0.2, `"elu"` α = 1) and for `HardSigmoidKeras2` (Keras 3, whose files
    /// Derin writes, means `HardSigmoid` by `"hard_sigmoid"`).
    ///
    /// ```
    /// # use derin_nn::Activation;
    /// assert_eq!(Activation::Silu.keras_name(), Some("silu"));
    /// assert_eq!(Activation::LeakyRelu(0.2).keras_name(), Some("leaky_relu"));
    /// assert_eq!(Activation::LeakyRelu(0.1).keras_name(), None);
    /// ```
    pub fn keras_name(&self) -> Option<&'static str> {
        Some(match *self {
            Activation::Linear => "linear",
            Activation::Relu => "relu",
            Activation::Sigmoid => "sigmoid",
            Activation::Tanh => "tanh",
            Activation::Softmax => "softmax",
            Activation::LeakyRelu(0.2) => "leaky_relu",
            Activation::Elu(1.0) => "elu",
            Activation::Gelu => "gelu",
            Activation::Silu => "silu",
            Activation::Selu => "selu",
            Activation::Softplus => "softplus",
            Activation::Softsign => "softsign",
            Activation::Exponential => "exponential",
            Activation::Relu6 => "relu6",
            Activation::HardSigmoid => "hard_sigmoid",
            Activation::HardSilu => "hard_silu",
            Activation::Mish => "mish",
            Activation::LogSoftmax => "log_softmax",
            Activation::LogSigmoid => "log_sigmoid",
            Activation::HardTanh => "hard_tanh",
            Activation::HardShrink => "hard_shrink",
            Activation::SoftShrink => "soft_shrink",
            Activation::TanhShrink => "tanh_shrink",
            Activation::SparsePlus => "sparse_plus",
            Activation::SparseSigmoid => "sparse_sigmoid",
            Activation::Squareplus => "squareplus",
            Activation::Sparsemax => "sparsemax",
            // Keras 3 files say "hard_sigmoid" for the other formula.
            Activation::LeakyRelu(_) | Activation::Elu(_) | Activation::HardSigmoidKeras2 | Activation::GeluTanh => {
                return None;
            }
        })
    }

    /// The activation Keras 3 calls `name` (`"swish"` is `silu`, `"hard_swish"` is
    /// `hard_silu`, `"celu"` with its α = 1 is `elu`), if Derin has it. Every name of
    /// Keras 3.15's `keras.activations` but `glu` and `threshold`, and every
    /// name of tf-keras 2.21 (whose `"hard_sigmoid"` is [`Activation::HardSigmoidKeras2`]).
    ///
    /// ```
    /// # use derin_nn::Activation;
    /// assert_eq!(Activation::from_keras_name("swish"), Some(Activation::Silu));
    /// assert_eq!(Activation::from_keras_name("elu"), Some(Activation::Elu(1.0)));
    /// assert_eq!(Activation::from_keras_name("selu"), Some(Activation::Selu));
    /// assert_eq!(Activation::from_keras_name("hard_sigmoid"), Some(Activation::HardSigmoid));
    /// assert_eq!(Activation::from_keras_name("glu"), None);
    /// ```
    pub fn from_keras_name(name: &str) -> Option<Activation> {
        Some(match name {
            "linear" => Activation::Linear,
            "relu" => Activation::Relu,
            "sigmoid" => Activation::Sigmoid,
            "tanh" => Activation::Tanh,
            "softmax" => Activation::Softmax,
            "leaky_relu" => Activation::LeakyRelu(0.2),
            "elu" => Activation::Elu(1.0),
            "gelu" => Activation::Gelu,
            "silu" | "swish" => Activation::Silu,
            "celu" => Activation::Elu(1.0),
            "selu" => Activation::Selu,
            "softplus" => Activation::Softplus,
            "softsign" => Activation::Softsign,
            "exponential" => Activation::Exponential,
            "relu6" => Activation::Relu6,
            "hard_sigmoid" => Activation::HardSigmoid,
            "hard_silu" | "hard_swish" => Activation::HardSilu,
            "mish" => Activation::Mish,
            "log_softmax" => Activation::LogSoftmax,
            "log_sigmoid" => Activation::LogSigmoid,
            "hard_tanh" => Activation::HardTanh,
            "hard_shrink" => Activation::HardShrink,
            "soft_shrink" => Activation::SoftShrink,
            "tanh_shrink" => Activation::TanhShrink,
            "sparse_plus" => Activation::SparsePlus,
            "sparse_sigmoid" => Activation::SparseSigmoid,
            "squareplus" => Activation::Squareplus,
            "sparsemax" => Activation::Sparsemax,
            _ => return None,
        })
    }

    /// The activation as a config value, or the reason it has no Keras name.
    pub(crate) fn keras_value(&self, layer: &str) -> Result<serde_json::Value> {
        self.keras_name().map(serde_json::Value::from).ok_or_else(|| Error::Unserializable {
            layer: layer.to_string(),
            reason: format!(
                "activation {self:?} has no Keras name (Keras' \"leaky_relu\" has slope 0.2, \"elu\" α = 1; Keras 3's \"hard_sigmoid\" is HardSigmoid)"
            ),
        })
    }
}

/// A layer that applies an [`Activation`] (Keras' `Activation` layer).
///
/// # Shapes
/// Any input; the output has the input's shape.
///
/// ```
/// use derin_nn::{Activation, ActivationLayer, Ctx, Module};
/// use derin_tensor::Tensor;
/// let layer = ActivationLayer::new(Activation::Tanh);
/// let y = layer.forward(&Tensor::zeros(&[2, 3]), &mut Ctx::eval());
/// assert_eq!(y.to_vec(), vec![0.0; 6]);
/// assert_eq!(layer.name(), "activation");
/// ```
#[doc(alias = "Activation")]
#[derive(Clone, Debug)]
pub struct ActivationLayer {
    core: LayerCore,
    activation: Activation,
}

impl ActivationLayer {
    /// A layer applying `activation`.
    ///
    /// ```
    /// # use derin_nn::{Activation, ActivationLayer};
    /// assert_eq!(ActivationLayer::new(Activation::Relu).activation(), Activation::Relu);
    /// ```
    pub fn new(activation: Activation) -> Self {
        ActivationLayer { core: LayerCore::new("activation"), activation }
    }

    /// The layer a Keras `Activation` config describes.
    pub(crate) fn from_keras_config(c: &KerasConfig) -> Result<Self> {
        if c.get("activation").is_none() {
            return Err(c.error("activation", "missing"));
        }
        Ok(ActivationLayer { core: c.core("activation")?, activation: c.activation("activation")? })
    }

    /// The activation it applies.
    ///
    /// ```
    /// # use derin_nn::{Activation, ActivationLayer};
    /// assert_eq!(ActivationLayer::new(Activation::Gelu).activation(), Activation::Gelu);
    /// ```
    pub fn activation(&self) -> Activation {
        self.activation
    }
}

impl Module for ActivationLayer {
    fn supports_masking(&self) -> bool {
        true
    }

    fn forward(&self, x: &Tensor, _ctx: &mut Ctx) -> Tensor {
        self.activation.apply(x)
    }

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        Ok(input.to_vec())
    }

    fn type_name(&self) -> &'static str {
        "Activation"
    }

    fn keras_config(&self) -> Result<serde_json::Value> {
        let mut c = base_config(&self.core);
        c.insert("activation".into(), self.activation.keras_value(&self.label())?);
        Ok(c.into())
    }

    fn core(&self) -> &LayerCore {
        &self.core
    }

    fn core_mut(&mut self) -> &mut LayerCore {
        &mut self.core
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use derin_tensor::check_gradients;

    #[test]
    fn every_activation_has_a_correct_gradient() {
        let all = [
            Activation::Linear,
            Activation::Relu,
            Activation::Sigmoid,
            Activation::Tanh,
            Activation::Softmax,
            Activation::LeakyRelu(0.3),
            Activation::Elu(1.0),
            Activation::Gelu,
            Activation::GeluTanh,
            Activation::Silu,
        ];
        let x = Tensor::from_vec(vec![-1.3, 0.4, 2.1, -0.2, 0.9, -2.5], &[2, 3]);
        let w = Tensor::from_vec(vec![0.3, -1.1, 0.7, 1.5, -0.4, 0.2], &[2, 3]);
        for a in all {
            check_gradients(|xs| (a.apply(&xs[0]) * &w).sum_all(), &[x.clone()])
                .unwrap_or_else(|e| panic!("{a:?}: {e}"));
        }
    }

    #[test]
    fn values_match_hand_computed_numbers() {
        let x = Tensor::from_vec(vec![-1.0, 2.0], &[1, 2]);
        let elu = Activation::Elu(1.0).apply(&x).to_vec();
        assert!((elu[0] - ((-1.0f32).exp() - 1.0)).abs() < 1e-6 && elu[1] == 2.0);
        let silu = Activation::Silu.apply(&x).to_vec();
        assert!((silu[1] - 2.0 / (1.0 + (-2.0f32).exp())).abs() < 1e-6);
        let sm = Activation::Softmax.apply(&x).to_vec();
        assert!((sm[1] - 1.0 / (1.0 + (-3.0f32).exp())).abs() < 1e-6);
    }
}
