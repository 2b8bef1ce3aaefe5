//! `Dropout`: inverted dropout, active in training mode only.

use derin_tensor::Tensor;
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::module::{Ctx, LayerCore, Module};
use crate::serialize::{KerasConfig, base_config, f32_value};

/// Sets each input element to 0 with probability `rate` and scales the rest by
/// `1 / (1 − rate)` in [`Mode::Train`](crate::Mode::Train); the identity in
/// [`Mode::Eval`](crate::Mode::Eval). Masks come from the context's generator.
///
/// # Shapes
/// Any input; the output has the input's shape.
///
/// ```
/// use derin_nn::{Ctx, Dropout, Module};
/// use derin_tensor::Tensor;
/// let drop = Dropout::new(0.5).unwrap();
/// let x = Tensor::ones(&[1, 100]);
/// assert_eq!(drop.forward(&x, &mut Ctx::eval()).to_vec(), x.to_vec());
/// let y = drop.forward(&x, &mut Ctx::train(0)).to_vec();
/// assert!(y.iter().all(|&v| v == 0.0 || v == 2.0));
/// ```
#[derive(Clone, Debug)]
pub struct Dropout {
    core: LayerCore,
    rate: f32,
    noise_shape: Option<Vec<Option<usize>>>,
}

impl Dropout {
    /// Dropout with drop probability `rate`.
    ///
    /// # Errors
    /// [`Error::Hyperparameter`] if `rate` is not in `[0, 1)`.
    ///
    /// ```
    /// # use derin_nn::Dropout;
    /// assert!(Dropout::new(1.0).is_err());
    /// assert_eq!(Dropout::new(0.2).unwrap().rate(), 0.2);
    /// ```
    pub fn new(rate: f32) -> Result<Self> {
        if !(0.0..1.0).contains(&rate) {
            return Err(Error::Hyperparameter { what: "Dropout rate".into(), value: rate.into(), range: "[0, 1)" });
        }
        Ok(Dropout { core: LayerCore::new("dropout"), rate, noise_shape: None })
    }

    /// Drops whole slices: one mask of shape `noise_shape` (batch axis first; `None`
    /// takes the input's size) broadcast over the input — Keras' `noise_shape`, e.g.
    /// `[None, 1, 1, 1]` drops whole samples (stochastic depth in EfficientNet).
    ///
    /// ```
    /// # use derin_nn::{Ctx, Dropout, Module};
    /// # use derin_tensor::Tensor;
    /// let drop = Dropout::new(0.5).unwrap().with_noise_shape(&[None, Some(1)]);
    /// let y = drop.forward(&Tensor::ones(&[64, 5]), &mut Ctx::train(3)).to_vec();
    /// // Each row is all 0 or all 2.
    /// assert!(y.chunks(5).all(|r| r.iter().all(|&v| v == r[0]) && (r[0] == 0.0 || r[0] == 2.0)));
    /// ```
    pub fn with_noise_shape(mut self, noise_shape: &[Option<usize>]) -> Self {
        self.noise_shape = Some(noise_shape.to_vec());
        self
    }

    /// The drop probability.
    ///
    /// ```
    /// # use derin_nn::Dropout;
    /// assert_eq!(Dropout::new(0.0).unwrap().rate(), 0.0);
    /// ```
    pub fn rate(&self) -> f32 {
        self.rate
    }

    /// The layer a Keras `Dropout` config describes (`seed` is not read: masks come from
    /// the training context's generator).
    pub(crate) fn from_keras_config(c: &KerasConfig) -> Result<Self> {
        let rate = c.f32("rate")?;
        let mut d = Dropout::new(rate).map_err(|_| c.error("rate", format!("{rate} is not in [0, 1)")))?;
        d.core = c.core("dropout")?;
        d.noise_shape = match c.get("noise_shape") {
            None | Some(Value::Null) => None,
            Some(v) => {
                let bad = || c.error("noise_shape", format!("must be null or a list of sizes and nulls (got {v})"));
                let list = v.as_array().ok_or_else(bad)?;
                let sizes = list
                    .iter()
                    .map(|x| if x.is_null() { Ok(None) } else { x.as_u64().map(|n| Some(n as usize)).ok_or_else(bad) });
                Some(sizes.collect::<Result<Vec<_>>>()?)
            }
        };
        Ok(d)
    }
}

impl Module for Dropout {
    fn supports_masking(&self) -> bool {
        true
    }

    fn forward(&self, x: &Tensor, ctx: &mut Ctx) -> Tensor {
        if !ctx.is_training() || self.rate == 0.0 {
            return x.clone();
        }
        match &self.noise_shape {
            None => x.dropout(self.rate, &mut ctx.rng),
            Some(noise) => {
                let shape: Vec<usize> =
                    x.shape().iter().enumerate().map(|(i, &d)| noise.get(i).copied().flatten().unwrap_or(d)).collect();
                x * &Tensor::ones(&shape).dropout(self.rate, &mut ctx.rng)
            }
        }
    }

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        if let Some(noise) = &self.noise_shape {
            let fits = noise.len() == input.len() + 1
                && noise[1..].iter().zip(input).all(|(n, &d)| n.is_none_or(|n| n == 1 || n == d));
            if !fits {
                let expected = format!("an input that noise_shape {noise:?} broadcasts over (batch axis first)");
                return Err(Error::InputShape { layer: self.label(), expected, got: input.to_vec() });
            }
        }
        Ok(input.to_vec())
    }

    fn type_name(&self) -> &'static str {
        "Dropout"
    }

    fn keras_config(&self) -> Result<Value> {
        let mut c = base_config(&self.core);
        c.insert("rate".into(), f32_value(self.rate));
        c.insert("seed".into(), Value::Null);
        let noise = self
            .noise_shape
            .as_ref()
            .map_or(Value::Null, |n| n.iter().map(|d| d.map_or(Value::Null, Value::from)).collect());
        c.insert("noise_shape".into(), noise);
        Ok(json!(c))
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

    #[test]
    fn keeps_the_expected_value_and_is_seeded() {
        let drop = Dropout::new(0.25).unwrap();
        let x = Tensor::ones(&[1, 4000]);
        let a = drop.forward(&x, &mut Ctx::train(7));
        let b = drop.forward(&x, &mut Ctx::train(7));
        assert_eq!(a.to_vec(), b.to_vec());
        assert!((a.mean_all().item() - 1.0).abs() < 0.05);
    }
}
