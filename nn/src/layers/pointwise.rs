//! Layers that map every value on its own: Keras' `ReLU` (with `max_value`,
//! `negative_slope` and `threshold`) and `Rescaling`.

use derin_tensor::Tensor;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::module::{Ctx, LayerCore, Module};
use crate::serialize::{KerasConfig, base_config, f32_value};

/// Keras' `ReLU` layer: with `t = threshold`, `m = max_value`, `s = negative_slope`,
///
/// `y = min(x, m)` for `x > t` (`x ≥ 0` with `t = 0`), and `s·(x − t)` below the threshold
/// (`0` when `s = 0`); `m = 6` is ReLU6 (MobileNet), `s > 0` a leaky ReLU. The gradient
/// is 1 between the threshold and `m`, `s` below the threshold, 0 above `m`.
///
/// # Shapes
/// Any; the output has the input's shape.
///
/// ```
/// use derin_nn::{Ctx, Module, ReLU};
/// use derin_tensor::Tensor;
/// let x = Tensor::from_vec(vec![-2.0, 0.5, 3.0, 9.0], &[4]);
/// let relu6 = ReLU::new().with_max_value(6.0);
/// assert_eq!(relu6.forward(&x, &mut Ctx::eval()).to_vec(), vec![0.0, 0.5, 3.0, 6.0]);
/// let leaky = ReLU::new().with_negative_slope(0.1).with_threshold(1.0);
/// assert_eq!(leaky.forward(&x, &mut Ctx::eval()).to_vec(), vec![-0.3, -0.05, 3.0, 9.0]);
/// ```
#[derive(Clone, Debug)]
pub struct ReLU {
    core: LayerCore,
    max_value: Option<f32>,
    negative_slope: f32,
    threshold: f32,
}

impl ReLU {
    /// A plain ReLU (Keras' defaults: no maximum, slope 0, threshold 0).
    pub fn new() -> Self {
        ReLU { core: LayerCore::new("re_lu"), max_value: None, negative_slope: 0.0, threshold: 0.0 }
    }

    /// Caps the output at `max_value` (checked to be ≥ 0 when built).
    pub fn with_max_value(mut self, max_value: f32) -> Self {
        self.max_value = Some(max_value);
        self
    }

    /// The slope below the threshold (checked to be ≥ 0 when built).
    pub fn with_negative_slope(mut self, negative_slope: f32) -> Self {
        self.negative_slope = negative_slope;
        self
    }

    /// Values at or below `threshold` take the negative slope (checked to be ≥ 0 when
    /// built).
    pub fn with_threshold(mut self, threshold: f32) -> Self {
        self.threshold = threshold;
        self
    }

    /// Gives the layer a name.
    pub fn named(mut self, name: &str) -> Self {
        self.core.name = name.to_string();
        self
    }

    /// `(max_value, negative_slope, threshold)`.
    ///
    /// ```
    /// # use derin_nn::ReLU;
    /// assert_eq!(ReLU::new().with_max_value(6.0).settings(), (Some(6.0), 0.0, 0.0));
    /// ```
    pub fn settings(&self) -> (Option<f32>, f32, f32) {
        (self.max_value, self.negative_slope, self.threshold)
    }

    pub(crate) fn from_keras_config(c: &KerasConfig) -> Result<Self> {
        let max_value = match c.get("max_value") {
            None | Some(Value::Null) => None,
            Some(_) => Some(c.f32("max_value")?),
        };
        let relu = ReLU {
            core: c.core("re_lu")?,
            max_value,
            negative_slope: c.f32_or("negative_slope", 0.0)?,
            threshold: c.f32_or("threshold", 0.0)?,
        };
        match relu.invalid() {
            Some((key, value)) => Err(c.error(key, format!("must be finite and ≥ 0, got {value}"))),
            None => Ok(relu),
        }
    }

    /// The first setting that is negative or not finite, if any.
    fn invalid(&self) -> Option<(&'static str, f32)> {
        let settings = [
            ("max_value", self.max_value.unwrap_or(0.0)),
            ("negative_slope", self.negative_slope),
            ("threshold", self.threshold),
        ];
        settings.into_iter().find(|&(_, v)| !(v.is_finite() && v >= 0.0))
    }
}

impl Default for ReLU {
    fn default() -> Self {
        ReLU::new()
    }
}

impl Module for ReLU {
    fn forward(&self, x: &Tensor, _ctx: &mut Ctx) -> Tensor {
        let (m, s, t) = (self.max_value.unwrap_or(f32::INFINITY), self.negative_slope, self.threshold);
        if self.max_value.is_none() && s == 0.0 && t == 0.0 {
            // The plain ReLU: the tensor op, whose gradient guided backpropagation and the
            // deconvnet can replace.
            return x.relu();
        }
        // Keras' order: keep x above the threshold (0 elsewhere), clip to [0, m], then
        // subtract s·relu(t − x).
        let above = move |x: f32| if t == 0.0 { x > 0.0 } else { x > t };
        x.map_op(
            "relu_layer",
            move |x| {
                let kept = if above(x) { x.clamp(0.0, m) } else { 0.0 };
                kept - s * (t - x).max(0.0)
            },
            move |x, _| {
                let through = if above(x) && x < m && x > 0.0 { 1.0 } else { 0.0 };
                through + if t - x > 0.0 { s } else { 0.0 }
            },
        )
    }

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        Ok(input.to_vec())
    }

    fn build(&mut self, _input: &[usize], _rng: &mut derin_tensor::Rng) -> Result<()> {
        match self.invalid() {
            Some((name, value)) => {
                let what = format!("{}: {name}", self.label());
                Err(Error::Hyperparameter { what, value: value.into(), range: "[0, ∞)" })
            }
            None => Ok(()),
        }
    }

    fn type_name(&self) -> &'static str {
        "ReLU"
    }

    fn keras_config(&self) -> Result<Value> {
        let mut c = base_config(&self.core);
        c.insert("max_value".into(), self.max_value.map_or(Value::Null, f32_value));
        c.insert("negative_slope".into(), f32_value(self.negative_slope));
        c.insert("threshold".into(), f32_value(self.threshold));
        Ok(c.into())
    }

    fn core(&self) -> &LayerCore {
        &self.core
    }

    fn core_mut(&mut self) -> &mut LayerCore {
        &mut self.core
    }
}

/// `y = x·scale + offset` (Keras' `Rescaling`): pixels from `[0, 255]` to `[0, 1]` with
/// `scale = 1/255`, or to `[−1, 1]` with `scale = 1/127.5, offset = −1`.
///
/// # Shapes
/// Any; the output has the input's shape.
///
/// ```
/// use derin_nn::{Ctx, Module, Rescaling};
/// use derin_tensor::Tensor;
/// let r = Rescaling::new(1.0 / 127.5, -1.0);
/// let y = r.forward(&Tensor::from_vec(vec![0.0, 255.0], &[2]), &mut Ctx::eval());
/// assert_eq!(y.to_vec(), vec![-1.0, 1.0]);
/// ```
#[derive(Clone, Debug)]
pub struct Rescaling {
    core: LayerCore,
    scale: f32,
    offset: f32,
}

impl Rescaling {
    /// `x·scale + offset`.
    pub fn new(scale: f32, offset: f32) -> Self {
        Rescaling { core: LayerCore::new("rescaling"), scale, offset }
    }

    /// Gives the layer a name.
    pub fn named(mut self, name: &str) -> Self {
        self.core.name = name.to_string();
        self
    }

    /// `(scale, offset)`.
    pub fn scale_and_offset(&self) -> (f32, f32) {
        (self.scale, self.offset)
    }

    pub(crate) fn from_keras_config(c: &KerasConfig) -> Result<Self> {
        Ok(Rescaling { core: c.core("rescaling")?, scale: c.f32("scale")?, offset: c.f32_or("offset", 0.0)? })
    }
}

impl Module for Rescaling {
    fn forward(&self, x: &Tensor, _ctx: &mut Ctx) -> Tensor {
        x.mul_scalar(self.scale).add_scalar(self.offset)
    }

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        Ok(input.to_vec())
    }

    fn type_name(&self) -> &'static str {
        "Rescaling"
    }

    fn keras_config(&self) -> Result<Value> {
        let mut c = base_config(&self.core);
        c.insert("scale".into(), f32_value(self.scale));
        c.insert("offset".into(), f32_value(self.offset));
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
    use derin_tensor::check_gradients;

    use super::*;
    use crate::layer_from_config;

    #[test]
    fn relu_matches_keras_formula() {
        // Keras 3.15 `ReLU(max_value=m, negative_slope=s, threshold=t)` by its
        // definition (keras/src/activations/activations.py, ReLU.static_call):
        // x·[x > t] clipped to [0, m], minus s·relu(t − x).
        let x = Tensor::from_vec(vec![-3.0, -0.5, 0.0, 0.7, 1.5, 4.0, 7.0], &[7]);
        let y = |r: ReLU| r.forward(&x, &mut Ctx::eval()).to_vec();
        assert_eq!(y(ReLU::new()), vec![0.0, 0.0, 0.0, 0.7, 1.5, 4.0, 7.0]);
        assert_eq!(y(ReLU::new().with_max_value(6.0)), vec![0.0, 0.0, 0.0, 0.7, 1.5, 4.0, 6.0]);
        let leaky = y(ReLU::new().with_negative_slope(0.2));
        let want = [-0.6, -0.1, 0.0, 0.7, 1.5, 4.0, 7.0];
        leaky.iter().zip(want).for_each(|(a, b)| assert!((a - b).abs() < 1e-6, "{leaky:?}"));
        let all = y(ReLU::new().with_max_value(5.0).with_negative_slope(0.5).with_threshold(1.0));
        let want = [-2.0, -0.75, -0.5, -0.15, 1.5, 4.0, 5.0];
        all.iter().zip(want).for_each(|(a, b)| assert!((a - b).abs() < 1e-6, "{all:?}"));
    }

    #[test]
    fn gradients_match_finite_differences() {
        // Away from the kinks at 0, the threshold 1 and the maximum 5.
        let x = Tensor::from_vec(vec![-3.1, -0.4, 0.3, 0.8, 1.6, 4.2, 6.3, 2.9], &[2, 4]);
        let w = Tensor::from_vec(vec![0.3, -1.1, 0.7, 1.5, -0.4, 0.2, 0.9, -0.6], &[2, 4]);
        let layers = [
            ReLU::new(),
            ReLU::new().with_max_value(5.0),
            ReLU::new().with_negative_slope(0.3),
            ReLU::new().with_max_value(5.0).with_negative_slope(0.5).with_threshold(1.0),
        ];
        for relu in layers {
            check_gradients(|v| (relu.forward(&v[0], &mut Ctx::eval()) * &w).sum_all(), &[x.clone()])
                .unwrap_or_else(|e| panic!("{:?}: {e}", relu.settings()));
        }
        let r = Rescaling::new(0.5, -1.0);
        check_gradients(|v| (r.forward(&v[0], &mut Ctx::eval()) * &w).sum_all(), &[x.clone()]).unwrap();
    }

    #[test]
    fn keras_configs_round_trip_and_bad_values_are_named() {
        let layers: Vec<Box<dyn Module>> = vec![
            Box::new(ReLU::new().with_max_value(6.0).named("relu6")),
            Box::new(ReLU::new().with_negative_slope(0.1).with_threshold(0.5)),
            Box::new(Rescaling::new(1.0 / 255.0, 0.0)),
        ];
        for layer in layers {
            let config = layer.keras_config().unwrap();
            let back = layer_from_config(layer.type_name(), &config).unwrap();
            assert_eq!(back.keras_config().unwrap(), config, "{}", layer.label());
        }
        let keras = serde_json::json!({"name": "r", "max_value": 6.0, "negative_slope": 0.0, "threshold": 0.0});
        assert!(layer_from_config("ReLU", &keras).is_ok());
        let bad = serde_json::json!({"name": "r", "max_value": -1.0});
        let err = layer_from_config("ReLU", &bad).err().unwrap().to_string();
        assert!(err.contains("max_value"), "{err}");
        let mut relu = ReLU::new().with_negative_slope(-0.1);
        let err = relu.build(&[3], &mut derin_tensor::Rng::seed(0)).unwrap_err().to_string();
        assert!(err.contains("negative_slope"), "{err}");
        let err = layer_from_config("Rescaling", &serde_json::json!({"name": "s"})).err().unwrap().to_string();
        assert!(err.contains("scale"), "{err}");
    }
}
