//! `LayerNormalization`: normalise each sample over its last axes, then scale and shift.

use derin_tensor::{Param, Rng, Tensor};

use super::normalization::value;
use crate::error::{Error, Result};
use crate::module::{Ctx, LayerCore, Module, check_weight_size};
use crate::serialize::{KerasConfig, base_config, f32_value, initializer};
use serde_json::{Value, json};

/// Normalises each sample over `axis` with its own mean and biased variance, then scales
/// by `gamma` and shifts by `beta` (Keras' `LayerNormalization`, PyTorch's `LayerNorm`):
///
/// `y = gamma · (x − μ) / √(σ² + epsilon) + beta`, `μ`, `σ²` over the axes `axis`.
///
/// The same in training and inference; no state. Keras defaults: `axis = -1` (the last
/// axis), `epsilon = 1e-3` (PyTorch's is `1e-5`), `gamma` ones and `beta` zeros of the
/// shape of the normalised axes. The time-step mask, if any, passes through unchanged.
///
/// # Shapes
/// Any input with the axes `axis`; the output has the input's shape.
///
/// ```
/// use derin_nn::{Ctx, LayerNormalization, Module};
/// use derin_tensor::{Rng, Tensor};
/// let mut ln = LayerNormalization::new();
/// ln.build(&[2], &mut Rng::seed(0)).unwrap();
/// let y = ln.forward(&Tensor::from_vec(vec![1.0, 3.0, 0.0, 0.0], &[2, 2]), &mut Ctx::eval()).to_vec();
/// // row 0: μ = 2, σ² = 1 → ±1/√1.001; row 1: constant → 0
/// let r = 1.0 / 1.001f32.sqrt();
/// assert!((y[0] + r).abs() < 1e-6 && (y[1] - r).abs() < 1e-6 && y[2] == 0.0 && y[3] == 0.0);
/// ```
#[doc(alias = "LayerNorm")]
#[derive(Clone, Debug)]
pub struct LayerNormalization {
    core: LayerCore,
    axes: Vec<isize>,
    epsilon: f32,
    center: bool,
    scale: bool,
    /// The sizes of the normalised axes, once built.
    built: Option<Vec<usize>>,
    gamma: Option<Param>,
    beta: Option<Param>,
}

impl LayerNormalization {
    /// The (unbuilt) layer a Keras `LayerNormalization` config describes (`rms_scaling`
    /// must be off).
    pub(crate) fn from_keras_config(c: &KerasConfig) -> Result<Self> {
        c.unsupported_all(&[
            "rms_scaling",
            "beta_regularizer",
            "gamma_regularizer",
            "beta_constraint",
            "gamma_constraint",
        ])?;
        let axes = if c.get("axis").is_some() { c.axes("axis")? } else { vec![-1] };
        let mut ln = LayerNormalization::new().with_axes(&axes).with_epsilon(c.f32_or("epsilon", 1e-3)?);
        ln.core = c.core("layer_normalization")?;
        ln.center = c.bool_or("center", true)?;
        ln.scale = c.bool_or("scale", true)?;
        Ok(ln)
    }

    /// Keras' defaults: the last axis, `epsilon = 1e-3`, with `gamma` and `beta`.
    ///
    /// ```
    /// # use derin_nn::LayerNormalization;
    /// let ln = LayerNormalization::new();
    /// assert_eq!((ln.axes(), ln.epsilon()), (&[-1isize][..], 1e-3));
    /// ```
    pub fn new() -> Self {
        LayerNormalization {
            core: LayerCore::new("layer_normalization"),
            axes: vec![-1],
            epsilon: 1e-3,
            center: true,
            scale: true,
            built: None,
            gamma: None,
            beta: None,
        }
    }

    /// Normalises over `axes` (Keras' `axis` given a list; counted with the batch axis,
    /// negative from the end), e.g. `[1, 2, 3]` for a whole `[N, C, H, W]` sample.
    ///
    /// ```
    /// # use derin_nn::{LayerNormalization, Module};
    /// # use derin_tensor::Rng;
    /// let mut ln = LayerNormalization::new().with_axes(&[1, 2]);
    /// ln.build(&[3, 4], &mut Rng::seed(0)).unwrap();
    /// assert_eq!(ln.gamma().unwrap().shape(), vec![3, 4]);
    /// ```
    pub fn with_axes(mut self, axes: &[isize]) -> Self {
        self.axes = axes.to_vec();
        self
    }

    /// Sets `epsilon`, added to the variance; checked to be positive when built.
    ///
    /// ```
    /// # use derin_nn::LayerNormalization;
    /// assert_eq!(LayerNormalization::new().with_epsilon(1e-5).epsilon(), 1e-5);
    /// ```
    pub fn with_epsilon(mut self, epsilon: f32) -> Self {
        self.epsilon = epsilon;
        self
    }

    /// Without `beta` (`center=False`).
    ///
    /// ```
    /// # use derin_nn::{LayerNormalization, Module};
    /// # use derin_tensor::Rng;
    /// let mut ln = LayerNormalization::new().without_center();
    /// ln.build(&[4], &mut Rng::seed(0)).unwrap();
    /// assert!(ln.beta().is_none() && ln.gamma().is_some());
    /// ```
    pub fn without_center(mut self) -> Self {
        self.center = false;
        self
    }

    /// Without `gamma` (`scale=False`).
    ///
    /// ```
    /// # use derin_nn::{LayerNormalization, Module};
    /// # use derin_tensor::Rng;
    /// let mut ln = LayerNormalization::new().without_scale();
    /// ln.build(&[4], &mut Rng::seed(0)).unwrap();
    /// assert_eq!(ln.weights().len(), 1);
    /// ```
    pub fn without_scale(mut self) -> Self {
        self.scale = false;
        self
    }

    /// Gives the layer a name.
    ///
    /// ```
    /// # use derin_nn::{LayerNormalization, Module};
    /// assert_eq!(LayerNormalization::new().named("ln").name(), "ln");
    /// ```
    pub fn named(mut self, name: &str) -> Self {
        self.core.name = name.to_string();
        self
    }

    /// The normalised axes as given (counted with the batch axis).
    ///
    /// ```
    /// # use derin_nn::LayerNormalization;
    /// assert_eq!(LayerNormalization::new().with_axes(&[-2, -1]).axes(), &[-2, -1]);
    /// ```
    pub fn axes(&self) -> &[isize] {
        &self.axes
    }

    /// The variance offset.
    ///
    /// ```
    /// # use derin_nn::LayerNormalization;
    /// assert_eq!(LayerNormalization::new().epsilon(), 1e-3);
    /// ```
    pub fn epsilon(&self) -> f32 {
        self.epsilon
    }

    /// The scale `gamma` (ones at first, the shape of the normalised axes), once built.
    ///
    /// ```
    /// # use derin_nn::{LayerNormalization, Module};
    /// # use derin_tensor::Rng;
    /// let mut ln = LayerNormalization::new();
    /// ln.build(&[5, 3], &mut Rng::seed(0)).unwrap();
    /// assert_eq!(ln.gamma().unwrap().value().to_vec(), vec![1.0; 3]);
    /// ```
    pub fn gamma(&self) -> Option<&Param> {
        self.gamma.as_ref()
    }

    /// The shift `beta` (zeros at first), once built.
    ///
    /// ```
    /// # use derin_nn::{LayerNormalization, Module};
    /// # use derin_tensor::Rng;
    /// let mut ln = LayerNormalization::new();
    /// ln.build(&[3], &mut Rng::seed(0)).unwrap();
    /// assert_eq!(ln.beta().unwrap().value().to_vec(), vec![0.0; 3]);
    /// ```
    pub fn beta(&self) -> Option<&Param> {
        self.beta.as_ref()
    }

    /// The axes as sorted indices into a sample shape of `rank` axes, or `None` when one
    /// is out of range, the batch axis or repeated (or none is given).
    fn sample_axes(&self, rank: usize) -> Option<Vec<usize>> {
        let full = rank as isize + 1;
        let mut out = Vec::new();
        for &a in &self.axes {
            let a = if a < 0 { a + full } else { a };
            if !(1..full).contains(&a) || out.contains(&(a as usize - 1)) {
                return None;
            }
            out.push(a as usize - 1);
        }
        out.sort_unstable();
        (!out.is_empty()).then_some(out)
    }
}

impl Default for LayerNormalization {
    fn default() -> Self {
        LayerNormalization::new()
    }
}

/// Normalises `x` over `axes` (sorted, batch axis excluded) and applies `gamma`, `beta`
/// (shaped like those axes).
fn normalize_sample(x: &Tensor, axes: &[usize], gamma: Option<&Tensor>, beta: Option<&Tensor>, eps: f32) -> Tensor {
    let mut shape = vec![1; x.ndim()];
    axes.iter().for_each(|&a| shape[a] = x.shape()[a]);
    let mean = x.mean(axes, true);
    let centred = x - &mean;
    let var = centred.square().mean(axes, true);
    let mut y = centred * var.add_scalar(eps).powf(-0.5);
    if let Some(g) = gamma {
        y = y * g.reshape(&shape);
    }
    if let Some(b) = beta {
        y = y + b.reshape(&shape);
    }
    y
}

impl Module for LayerNormalization {
    fn supports_masking(&self) -> bool {
        true
    }

    /// # Panics
    /// If the layer is not built or `x` lacks the axes; the message names the layer.
    fn forward(&self, x: &Tensor, _ctx: &mut Ctx) -> Tensor {
        if self.built.is_none() {
            panic!("{}: forward before build", self.label());
        }
        let ndim = x.ndim();
        let axes: Vec<usize> = match self.sample_axes(ndim.saturating_sub(1)) {
            Some(a) => a.iter().map(|a| a + 1).collect(),
            None => panic!("{}: input of shape {:?} has no axes {:?}", self.label(), x.shape(), self.axes),
        };
        let trainable = self.trainable();
        let gamma = self.gamma.as_ref().map(|g| value(g, trainable));
        let beta = self.beta.as_ref().map(|b| value(b, trainable));
        normalize_sample(x, &axes, gamma.as_ref(), beta.as_ref(), self.epsilon)
    }

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        if self.epsilon.is_nan() || self.epsilon <= 0.0 {
            let what = format!("{}: epsilon", self.label());
            return Err(Error::Hyperparameter { what, value: self.epsilon.into(), range: "(0, ∞)" });
        }
        let expected = match (self.sample_axes(input.len()), &self.built) {
            (None, _) => format!("an input with the distinct non-batch axes {:?}", self.axes),
            (Some(axes), Some(sizes)) if axes.iter().map(|&a| input[a]).ne(sizes.iter().copied()) => {
                format!("sizes {sizes:?} on axes {:?} (the layer was built for them)", self.axes)
            }
            _ => return Ok(input.to_vec()),
        };
        Err(Error::InputShape { layer: self.label(), expected, got: input.to_vec() })
    }

    fn build(&mut self, input: &[usize], _rng: &mut Rng) -> Result<()> {
        self.output_shape(input)?;
        if self.built.is_none() {
            let axes = self.sample_axes(input.len()).expect("checked by output_shape");
            let sizes: Vec<usize> = axes.iter().map(|&a| input[a]).collect();
            check_weight_size(self.label(), input, "gamma", &sizes)?;
            let make = |name: &str, v: f32| Some(Param::new(name, Tensor::full(&sizes, v).to_array()));
            self.gamma = if self.scale { make("gamma", 1.0) } else { None };
            self.beta = if self.center { make("beta", 0.0) } else { None };
            self.built = Some(sizes);
        }
        Ok(())
    }

    fn type_name(&self) -> &'static str {
        "LayerNormalization"
    }

    fn core(&self) -> &LayerCore {
        &self.core
    }

    fn core_mut(&mut self) -> &mut LayerCore {
        &mut self.core
    }

    fn keras_config(&self) -> Result<Value> {
        let mut c = base_config(&self.core);
        let axis = if let [a] = self.axes.as_slice() { json!(a) } else { json!(self.axes) };
        c.insert("axis".into(), axis);
        c.insert("epsilon".into(), f32_value(self.epsilon));
        c.insert("center".into(), json!(self.center));
        c.insert("scale".into(), json!(self.scale));
        c.insert("rms_scaling".into(), json!(false));
        c.insert("beta_initializer".into(), initializer("Zeros", json!({})));
        c.insert("gamma_initializer".into(), initializer("Ones", json!({})));
        for key in ["beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint"] {
            c.insert(key.into(), Value::Null);
        }
        Ok(c.into())
    }

    fn weights(&self) -> Vec<Param> {
        let name = &self.core.name;
        let gamma = self.gamma.iter().map(|p| p.renamed(&format!("{name}/gamma")));
        gamma.chain(self.beta.iter().map(|p| p.renamed(&format!("{name}/beta")))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::normalization::tests::{assert_close, wave};
    use derin_tensor::check_gradients;

    fn fixed() -> (LayerNormalization, Tensor, Tensor) {
        let mut ln = LayerNormalization::new();
        ln.build(&[4], &mut Rng::seed(0)).unwrap();
        ln.gamma().unwrap().set(Tensor::from_vec(vec![1.5, 0.8, -0.5, 1.1], &[4]).to_array());
        ln.beta().unwrap().set(Tensor::from_vec(vec![0.1, -0.2, 0.3, 0.0], &[4]).to_array());
        let x = Tensor::from_vec(vec![0.5, -1.2, 2.0, 0.3, 1.5, 0.3, -0.4, 2.2], &[2, 4]);
        let w = Tensor::from_vec(vec![0.3, -0.2, 0.5, 0.1, 0.4, -0.3, -0.6, 0.2], &[2, 4]);
        (ln, x, w)
    }

    #[test]
    fn forward_and_gradients_match_pytorch() {
        let (ln, x, w) = fixed();
        let x = x.requires_grad();
        // torch 2.15.0, F.layer_norm(x, (4,), gamma, beta, eps=1e-3) (reference/normalization.py)
        let y = ln.forward(&x, &mut Ctx::train(0));
        let want = [0.2322729, -1.328729, -0.4054553, -0.09700007, 0.9885232, -0.673879, 0.9417112, 1.411765];
        assert_close(&y.to_vec(), &want, 2e-5);
        let grads = (&y * &w).sum_all().backward();
        let dx = [0.3656361, -0.2043304, -0.2233519, 0.06204619, 0.3174205, -0.3964003, 0.2040697, -0.1250899];
        assert_close(&grads.array(&x).unwrap().iter().copied().collect::<Vec<_>>(), &dx, 2e-5);
        let g = |p: &Param| grads.param(p).unwrap().iter().copied().collect::<Vec<_>>();
        assert_close(&g(ln.gamma().unwrap()), &[0.2633941, 0.4598868, 1.475509, 0.2478663], 2e-5);
        assert_close(&g(ln.beta().unwrap()), &[0.7, -0.5, -0.1, 0.3], 2e-5);
        // Same in inference: no batch statistics.
        assert_eq!(ln.forward(&x, &mut Ctx::eval()).to_vec(), y.to_vec());
    }

    #[test]
    fn several_axes_normalise_the_whole_sample() {
        let mut ln = LayerNormalization::new().with_axes(&[-2, -1]);
        ln.build(&[2, 3], &mut Rng::seed(0)).unwrap();
        assert_eq!(ln.gamma().unwrap().shape(), vec![2, 3]);
        let y = ln.forward(&Tensor::from_vec(wave(12, 1.5), &[2, 2, 3]), &mut Ctx::eval());
        // torch 2.15.0, F.layer_norm(x, (2, 3), eps=1e-3)
        let want = [
            -1.077415,
            0.3938319,
            1.20717,
            1.014116,
            -0.06049317,
            -1.47721,
            -1.009519,
            -1.105255,
            -0.6305264,
            0.2107485,
            1.04226,
            1.492291,
        ];
        assert_close(&y.to_vec(), &want, 2e-5);
    }

    #[test]
    fn gradients_pass_finite_differences() {
        let (_, x, w) = fixed();
        let (g, b) =
            (Tensor::from_vec(vec![1.5, 0.8, -0.5, 1.1], &[4]), Tensor::from_vec(vec![0.1, -0.2, 0.3, 0.0], &[4]));
        let f = |xs: &[Tensor]| (normalize_sample(&xs[0], &[1], Some(&xs[1]), Some(&xs[2]), 1e-3) * &w).sum_all();
        check_gradients(f, &[x.clone(), g.clone(), b.clone()]).unwrap();
        let xt = Tensor::from_vec(vec![0.5, 1.5, -1.2, 0.3, 2.0, -0.4, 0.3, 2.2], &[4, 2]).t();
        assert_eq!(xt.to_vec(), x.to_vec());
        check_gradients(f, &[xt, g, b]).unwrap();
        let x3 = Tensor::from_vec(wave(12, 1.5), &[2, 2, 3]);
        let w3 = Tensor::from_vec(wave(12, 0.9).iter().rev().copied().collect(), &[2, 2, 3]);
        let g3 = Tensor::from_vec(wave(6, 0.5).iter().map(|v| v + 1.0).collect(), &[2, 3]);
        let f3 = |xs: &[Tensor]| (normalize_sample(&xs[0], &[1, 2], Some(&xs[1]), None, 1e-3) * &w3).sum_all();
        check_gradients(f3, &[x3, g3]).unwrap();
    }

    #[test]
    fn shape_errors_name_the_layer() {
        let ln = LayerNormalization::new().with_axes(&[1, 3]);
        let err = ln.output_shape(&[4, 5]).unwrap_err().to_string();
        assert!(err.contains("layer_normalization (LayerNormalization)") && err.contains("[4, 5]"), "{err}");
        assert!(LayerNormalization::new().with_axes(&[0]).output_shape(&[4]).is_err());
        assert!(LayerNormalization::new().with_axes(&[1, -1]).output_shape(&[4]).is_err());
        assert!(LayerNormalization::new().with_axes(&[]).output_shape(&[4]).is_err());
        let (ln, _, _) = fixed();
        let err = ln.output_shape(&[5]).unwrap_err().to_string();
        assert!(err.contains("[4]") && err.contains("[5]"), "{err}");
        assert_eq!(ln.output_shape(&[7, 4]).unwrap(), vec![7, 4]);
        assert!(LayerNormalization::new().with_epsilon(-1.0).output_shape(&[4]).is_err());
        let names: Vec<String> = ln.weights().iter().map(|p| p.name().to_string()).collect();
        assert_eq!(names, ["layer_normalization/gamma", "layer_normalization/beta"]);
    }
}
