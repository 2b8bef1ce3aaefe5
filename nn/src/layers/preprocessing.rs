//! Keras' `Normalization` layer: features shifted and scaled by a stored mean and
//! variance, learned from data with `adapt` or given.

use derin_tensor::ndarray::{ArrayD, Axis, IxDyn};
use derin_tensor::{Param, Rng, Tensor};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::module::{Ctx, LayerCore, Module, check_weight_size};
use crate::serialize::{KerasConfig, base_config, f32_value};

/// Keras' `epsilon()`: the smallest standard deviation divided by.
const EPSILON: f32 = 1e-7;

/// `y = (x − mean) / max(√variance, 10⁻⁷)` per feature along `axis` (Keras'
/// `Normalization`; `invert` gives `x·max(√variance, 10⁻⁷) + mean`).
///
/// The mean and variance are state weights `mean`, `variance` (and `count`, the samples
/// they were computed from), set by [`adapt`](Normalization::adapt) or read from a Keras
/// file — or constants given with [`with_mean_and_variance`](Normalization::with_mean_and_variance),
/// in which case the layer has no weights, as in Keras.
///
/// # Shapes
/// Any input whose `axis` (counting the batch axis as 0; −1 is the last) exists; the
/// output has the input's shape.
///
/// ```
/// use derin_nn::{Ctx, Module, Normalization};
/// use derin_tensor::{Rng, Tensor};
/// let data = Tensor::from_vec(vec![1.0, 10.0, 3.0, 30.0], &[2, 2]);
/// let mut norm = Normalization::new();
/// norm.build(&[2], &mut Rng::seed(0)).unwrap();
/// norm.adapt(&data).unwrap(); // mean [2, 20], variance [1, 100]
/// let y = norm.forward(&data, &mut Ctx::eval());
/// assert_eq!(y.to_vec(), vec![-1.0, -1.0, 1.0, 1.0]);
/// ```
#[derive(Clone, Debug)]
pub struct Normalization {
    core: LayerCore,
    axis: Vec<isize>,
    invert: bool,
    constants: Option<(Vec<f32>, Vec<f32>)>,
    mean: Option<Param>,
    variance: Option<Param>,
    count: Option<Param>,
}

impl Normalization {
    /// Per feature of the last axis, weights to be set by `adapt` (or a file).
    pub fn new() -> Self {
        Normalization {
            core: LayerCore::new("normalization"),
            axis: vec![-1],
            invert: false,
            constants: None,
            mean: None,
            variance: None,
            count: None,
        }
    }

    /// The axes that keep their own statistics (counting the batch axis as 0).
    pub fn with_axis(mut self, axis: &[isize]) -> Self {
        self.axis = axis.to_vec();
        self
    }

    /// The inverse: `x·max(√variance, 10⁻⁷) + mean`.
    pub fn inverted(mut self) -> Self {
        self.invert = true;
        self
    }

    /// Fixed statistics (one value for every feature, or one per feature): no weights.
    pub fn with_mean_and_variance(mut self, mean: &[f32], variance: &[f32]) -> Self {
        self.constants = Some((mean.to_vec(), variance.to_vec()));
        self
    }

    /// Gives the layer a name.
    pub fn named(mut self, name: &str) -> Self {
        self.core.name = name.to_string();
        self
    }

    /// The sample axes (no batch axis) of `axis` for a per-sample shape of `rank` axes.
    fn kept(&self, rank: usize) -> Result<Vec<usize>> {
        let mut out = Vec::new();
        for &a in &self.axis {
            let full = if a < 0 { a + rank as isize + 1 } else { a };
            if full < 1 || full > rank as isize {
                let what = format!("{}: axis {a} of an input of {} axes with the batch", self.label(), rank + 1);
                return Err(Error::Hyperparameter { what, value: a as f64, range: "a non-batch axis" });
            }
            out.push(full as usize - 1);
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    /// Sets `mean`, `variance` (population) and `count` from `data` (`[N, …]`, the
    /// layer's input shape), reducing every axis but the kept ones.
    ///
    /// # Errors
    /// [`Error::Data`] when the layer is not built, uses constants, or `data` has another
    /// sample shape or no samples.
    pub fn adapt(&mut self, data: &Tensor) -> Result<()> {
        let (Some(mean), Some(variance), Some(count)) = (&self.mean, &self.variance, &self.count) else {
            let reason = format!("{} has no weights to adapt (not built, or built with constants)", self.label());
            return Err(Error::Data { operation: "Normalization::adapt", reason });
        };
        let kept = self.kept(data.ndim().saturating_sub(1))?;
        let want = mean.shape();
        let have: Vec<usize> = kept.iter().map(|&a| data.shape()[a + 1]).collect();
        if data.ndim() < 2 || have != want || data.shape()[0] == 0 {
            let reason = format!("data of shape {:?} for statistics of shape {want:?}", data.shape());
            return Err(Error::Data { operation: "Normalization::adapt", reason });
        }
        // Move the kept axes last, flatten the rest into rows.
        let x = data.to_array();
        let rest: Vec<usize> = (0..x.ndim()).filter(|a| !kept.contains(&(a.wrapping_sub(1)))).collect();
        let order: Vec<usize> = rest.iter().copied().chain(kept.iter().map(|a| a + 1)).collect();
        let features: usize = want.iter().product();
        let moved = x.permuted_axes(IxDyn(&order)).as_standard_layout().into_owned();
        let rows = moved.len() / features.max(1);
        let m = moved.into_shape_with_order((rows, features)).expect("sized above");
        let mu = m.mean_axis(Axis(0)).expect("rows > 0");
        let var = (&m - &mu).mapv(|v| v * v).mean_axis(Axis(0)).expect("rows > 0");
        mean.set(mu.into_shape_with_order(IxDyn(&want)).expect("features").into_dyn());
        variance.set(var.into_shape_with_order(IxDyn(&want)).expect("features").into_dyn());
        count.set(ArrayD::from_elem(IxDyn(&[]), rows as f32));
        Ok(())
    }

    /// Mean and variance as arrays broadcastable against a batch of `rank` sample axes.
    fn statistics(&self, rank: usize, shape: &[usize]) -> (ArrayD<f32>, ArrayD<f32>) {
        let kept = self.kept(rank).expect("checked when built");
        let mut b = vec![1; rank + 1];
        for &a in &kept {
            b[a + 1] = shape[a + 1];
        }
        let n: usize = b.iter().product();
        let fill = |v: &[f32]| if v.len() == 1 { vec![v[0]; n] } else { v.to_vec() };
        let (mean, var) = match (&self.constants, &self.mean, &self.variance) {
            (Some((m, v)), _, _) => (fill(m), fill(v)),
            (None, Some(m), Some(v)) => (m.value().to_vec(), v.value().to_vec()),
            _ => (vec![0.0; n], vec![1.0; n]),
        };
        let arr = |v: Vec<f32>| ArrayD::from_shape_vec(IxDyn(&b), v).expect("one value per kept feature");
        (arr(mean), arr(var))
    }

    pub(crate) fn from_keras_config(c: &KerasConfig) -> Result<Self> {
        let values = |key: &str| -> Result<Option<Vec<f32>>> {
            match c.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::Number(n)) => Ok(Some(vec![n.as_f64().unwrap_or(f64::NAN) as f32])),
                Some(Value::Array(a)) => a
                    .iter()
                    .map(|v| v.as_f64().map(|f| f as f32).ok_or_else(|| c.error(key, "must be numbers")))
                    .collect::<Result<Vec<f32>>>()
                    .map(Some),
                Some(_) => Err(c.error(key, "must be null, a number or a list of numbers")),
            }
        };
        let constants = match (values("mean")?, values("variance")?) {
            (Some(m), Some(v)) => Some((m, v)),
            (None, None) => None,
            _ => return Err(c.error("mean", "mean and variance must be given together")),
        };
        let axis = match c.get("axis") {
            None | Some(Value::Null) => vec![-1],
            Some(_) => c.axes("axis")?,
        };
        Ok(Normalization {
            axis,
            invert: c.bool_or("invert", false)?,
            constants,
            ..Normalization::new().named(&c.core("normalization")?.name)
        })
    }
}

impl Default for Normalization {
    fn default() -> Self {
        Normalization::new()
    }
}

impl Module for Normalization {
    fn forward(&self, x: &Tensor, _ctx: &mut Ctx) -> Tensor {
        let (mean, var) = self.statistics(x.ndim() - 1, x.shape());
        let std = Tensor::from_array(var.mapv(|v| v.sqrt().max(EPSILON)));
        let mean = Tensor::from_array(mean);
        if self.invert { x * &std + &mean } else { (x - &mean) / &std }
    }

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        self.kept(input.len())?;
        Ok(input.to_vec())
    }

    fn build(&mut self, input: &[usize], _rng: &mut Rng) -> Result<()> {
        let kept = self.kept(input.len())?;
        let shape: Vec<usize> = kept.iter().map(|&a| input[a]).collect();
        let n: usize = shape.iter().product();
        if let Some((m, v)) = &self.constants {
            if ![1, n].contains(&m.len()) || ![1, n].contains(&v.len()) {
                let what = format!("{}: {} means and {} variances for {n} features", self.label(), m.len(), v.len());
                return Err(Error::Hyperparameter { what, value: m.len() as f64, range: "1 or one per feature" });
            }
            return Ok(());
        }
        if self.mean.is_none() {
            check_weight_size(self.label(), input, "mean", &shape)?;
            self.mean = Some(Param::new("mean", ArrayD::zeros(IxDyn(&shape))));
            self.variance = Some(Param::new("variance", ArrayD::ones(IxDyn(&shape))));
            self.count = Some(Param::new("count", ArrayD::zeros(IxDyn(&[]))));
        }
        Ok(())
    }

    fn type_name(&self) -> &'static str {
        "Normalization"
    }

    fn core(&self) -> &LayerCore {
        &self.core
    }

    fn core_mut(&mut self) -> &mut LayerCore {
        &mut self.core
    }

    fn state_weights(&self) -> Vec<Param> {
        let name = &self.core.name;
        [("mean", &self.mean), ("variance", &self.variance), ("count", &self.count)]
            .iter()
            .filter_map(|(w, p)| p.as_ref().map(|p| p.renamed(&format!("{name}/{w}"))))
            .collect()
    }

    fn keras_config(&self) -> Result<Value> {
        let mut c = base_config(&self.core);
        let axis: Value = if self.axis.len() == 1 { self.axis[0].into() } else { self.axis.clone().into() };
        c.insert("axis".into(), axis);
        c.insert("invert".into(), self.invert.into());
        let list = |v: &[f32]| {
            if v.len() == 1 { f32_value(v[0]) } else { Value::Array(v.iter().map(|&x| f32_value(x)).collect()) }
        };
        let (mean, variance) = match &self.constants {
            Some((m, v)) => (list(m), list(v)),
            None => (Value::Null, Value::Null),
        };
        c.insert("mean".into(), mean);
        c.insert("variance".into(), variance);
        Ok(c.into())
    }
}

#[cfg(test)]
mod tests {
    use derin_tensor::check_gradients;

    use super::*;
    use crate::layer_from_config;

    #[test]
    fn adapts_per_feature_and_inverts() {
        // Per channel of [N, 2, 2, 3] (axis −1): channel c holds c·10 + sample index.
        let x = Tensor::from_vec((0..24).map(|i| ((i % 3) * 10 + i / 12) as f32).collect(), &[2, 2, 2, 3]);
        let mut n = Normalization::new();
        n.build(&[2, 2, 3], &mut Rng::seed(0)).unwrap();
        n.adapt(&x).unwrap();
        let w = n.state_weights();
        assert_eq!(w[0].value().to_vec(), vec![0.5, 10.5, 20.5]);
        assert_eq!(w[1].value().to_vec(), vec![0.25; 3]);
        assert_eq!((w[2].value().item(), w[2].name()), (8.0, "normalization/count"));
        let y = n.forward(&x, &mut Ctx::eval());
        assert!(y.to_vec().iter().all(|v| (v.abs() - 1.0).abs() < 1e-6));
        let mut inv = Normalization::new().inverted();
        inv.build(&[2, 2, 3], &mut Rng::seed(0)).unwrap();
        for (a, b) in inv.state_weights().iter().zip(n.state_weights()) {
            a.set(b.value().to_array());
        }
        let back = inv.forward(&y, &mut Ctx::eval());
        assert!(back.to_vec().iter().zip(x.to_vec()).all(|(a, b)| (a - b).abs() < 1e-5));
        let w = Tensor::from_vec((0..24).map(|i| (i as f32 * 0.7).sin()).collect(), &[2, 2, 2, 3]);
        check_gradients(|v| (n.forward(&v[0], &mut Ctx::eval()) * &w).sum_all(), &[x.clone()]).unwrap();
    }

    #[test]
    fn constants_axes_and_configs() {
        let mut n = Normalization::new().with_axis(&[1]).with_mean_and_variance(&[1.0, 2.0], &[4.0, 0.0]);
        n.build(&[2, 3], &mut Rng::seed(0)).unwrap();
        assert!(n.state_weights().is_empty());
        let y = n.forward(&Tensor::from_vec(vec![3.0, 5.0, 7.0, 2.0, 2.0, 2.0], &[1, 2, 3]), &mut Ctx::eval());
        // Row 0: (x − 1)/2; row 1: (x − 2)/max(0, 1e-7) = 0.
        assert_eq!(y.to_vec(), vec![1.0, 2.0, 3.0, 0.0, 0.0, 0.0]);
        let config = n.keras_config().unwrap();
        let back = layer_from_config("Normalization", &config).unwrap();
        assert_eq!(back.keras_config().unwrap(), config);
        let keras =
            serde_json::json!({"name": "normalization", "axis": -1, "invert": false, "mean": null, "variance": null});
        assert!(layer_from_config("Normalization", &keras).is_ok());
        let bad = serde_json::json!({"name": "n", "mean": 1.0});
        assert!(layer_from_config("Normalization", &bad).err().unwrap().to_string().contains("given together"));
        let mut wrong = Normalization::new().with_axis(&[0]);
        assert!(wrong.build(&[3], &mut Rng::seed(0)).is_err());
        let mut unbuilt = Normalization::new();
        assert!(unbuilt.adapt(&Tensor::zeros(&[2, 3])).is_err());
    }
}
