//! Merge layers of functional models: `Concatenate`, `Add`, `Multiply`, `Average`, and
//! the `MergeLayer` trait for layers that take several inputs.

use derin_tensor::Tensor;
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::module::{Ctx, LayerCore, snake_case};
use crate::serialize::{base_config, unserializable};

/// A layer that takes several inputs (Keras' merge layers), used through
/// [`Graph::merge`](crate::Graph::merge). Shapes exclude the batch axis, as in
/// [`Module`](crate::Module).
///
/// ```
/// use derin_nn::{Add, Ctx, MergeLayer};
/// use derin_tensor::Tensor;
/// let add = Add::new();
/// assert_eq!(add.output_shape(&[vec![3], vec![3]]).unwrap(), vec![3]);
/// let y = add.forward(&[Tensor::ones(&[2, 3]), Tensor::ones(&[2, 3])], &mut Ctx::eval());
/// assert_eq!(y.to_vec(), vec![2.0; 6]);
/// ```
pub trait MergeLayer {
    /// The output for inputs `xs` (batch axis first, the same batch size in each).
    fn forward(&self, xs: &[Tensor], ctx: &mut Ctx) -> Tensor;

    /// The output shape for inputs of shapes `inputs`, all without the batch axis.
    ///
    /// # Errors
    /// [`Error::InputShape`] naming the layer and the shape it cannot take.
    fn output_shape(&self, inputs: &[Vec<usize>]) -> Result<Vec<usize>>;

    /// The Keras class name (`Concatenate`, `Add`, …).
    fn type_name(&self) -> &'static str;

    /// The name and `trainable` flag.
    fn core(&self) -> &LayerCore;

    /// Mutable access to the name and `trainable` flag.
    fn core_mut(&mut self) -> &mut LayerCore;

    /// The layer's name.
    fn name(&self) -> &str {
        &self.core().name
    }

    /// `name (Type)`, as error messages and `summary` show a layer.
    fn label(&self) -> String {
        format!("{} ({})", self.name(), self.type_name())
    }

    /// The type name in snake case (`Concatenate` → `concatenate`).
    fn default_name(&self) -> String {
        snake_case(self.type_name())
    }

    /// The layer's Keras config (what Keras' `get_config()` returns), read back by
    /// [`merge_layer_from_config`](crate::merge_layer_from_config). The default is
    /// [`Error::Unserializable`], for merge layers Keras has no config for.
    ///
    /// # Errors
    /// [`Error::Unserializable`] naming the layer.
    ///
    /// ```
    /// use derin_nn::{Concatenate, MergeLayer};
    /// let c = Concatenate::new(1).named("joined").keras_config().unwrap();
    /// assert_eq!((c["name"].as_str(), c["axis"].as_i64()), (Some("joined"), Some(1)));
    /// ```
    fn keras_config(&self) -> Result<Value> {
        Err(unserializable(&self.label(), "this merge layer has no Keras config"))
    }
}

/// At least two inputs, else an error naming `layer`.
fn at_least_two(layer: String, inputs: &[Vec<usize>]) -> Result<()> {
    if inputs.len() < 2 {
        let got = inputs.first().cloned().unwrap_or_default();
        return Err(Error::InputShape { layer, expected: format!("at least 2 inputs, got {}", inputs.len()), got });
    }
    Ok(())
}

/// The shape all inputs broadcast to, as Keras' element-wise merges allow: inputs of one
/// rank whose sizes on each axis are equal or 1 (a squeeze-and-excitation block
/// multiplies `[h, w, c]` features by `[1, 1, c]` weights); else an error naming
/// `layer` and the first input that does not fit.
fn broadcast_shapes(layer: String, inputs: &[Vec<usize>]) -> Result<Vec<usize>> {
    at_least_two(layer.clone(), inputs)?;
    let mut out = inputs[0].clone();
    for shape in &inputs[1..] {
        let fits = shape.len() == out.len() && shape.iter().zip(&out).all(|(&a, &b)| a == b || a == 1 || b == 1);
        if !fits {
            let expected = format!("a shape that broadcasts with {out:?} (same rank, each size equal or 1)");
            return Err(Error::InputShape { layer, expected, got: shape.clone() });
        }
        out.iter_mut().zip(shape).for_each(|(o, &a)| *o = (*o).max(a));
    }
    Ok(out)
}

macro_rules! elementwise_merge {
    ($(#[$doc:meta])* $name:ident, $keras:literal, $alias:literal, |$xs:ident| $combine:expr) => {
        $(#[$doc])*
        #[doc(alias = $alias)]
        #[derive(Clone, Debug)]
        pub struct $name {
            core: LayerCore,
        }

        impl $name {
            #[doc = concat!("A `", $keras, "` layer (named `", stringify!($name), "` in snake case unless renamed).")]
            ///
            /// ```
            #[doc = concat!("use derin_nn::{MergeLayer, ", stringify!($name), "};")]
            #[doc = concat!("assert_eq!(", stringify!($name), "::new().type_name(), \"", $keras, "\");")]
            /// ```
            pub fn new() -> Self {
                $name { core: LayerCore::new(&snake_case($keras)) }
            }

            /// The same layer called `name`.
            ///
            /// ```
            #[doc = concat!("use derin_nn::{MergeLayer, ", stringify!($name), "};")]
            #[doc = concat!("assert_eq!(", stringify!($name), "::new().named(\"merge\").name(), \"merge\");")]
            /// ```
            pub fn named(mut self, name: &str) -> Self {
                self.core.name = name.to_string();
                self
            }
        }

        impl Default for $name {
            fn default() -> Self {
                $name::new()
            }
        }

        impl MergeLayer for $name {
            fn forward(&self, $xs: &[Tensor], _ctx: &mut Ctx) -> Tensor {
                $combine
            }

            fn output_shape(&self, inputs: &[Vec<usize>]) -> Result<Vec<usize>> {
                broadcast_shapes(self.label(), inputs)
            }

            fn type_name(&self) -> &'static str {
                $keras
            }

            fn keras_config(&self) -> Result<Value> {
                Ok(Value::Object(base_config(&self.core)))
            }

            fn core(&self) -> &LayerCore {
                &self.core
            }

            fn core_mut(&mut self) -> &mut LayerCore {
                &mut self.core
            }
        }
    };
}

fn sum(xs: &[Tensor]) -> Tensor {
    xs[1..].iter().fold(xs[0].clone(), |acc, x| acc.add(x))
}

elementwise_merge!(
    /// The element-wise sum of its inputs (Keras' `Add`), which broadcast: all of one
    /// rank, each size equal or 1.
    ///
    /// ```
    /// use derin_nn::{Add, Ctx, MergeLayer};
    /// use derin_tensor::Tensor;
    /// let y = Add::new().forward(&[Tensor::full(&[1, 2], 1.0), Tensor::full(&[1, 2], 2.5)], &mut Ctx::eval());
    /// assert_eq!(y.to_vec(), vec![3.5, 3.5]);
    /// assert!(Add::new().output_shape(&[vec![2], vec![3]]).is_err());
    /// assert_eq!(Add::new().output_shape(&[vec![4, 1], vec![1, 3]]).unwrap(), vec![4, 3]);
    /// ```
    Add, "Add", "torch.add", |xs| sum(xs)
);

elementwise_merge!(
    /// The element-wise product of its inputs (Keras' `Multiply`), which broadcast as
    /// [`Add`]'s do: a squeeze-and-excitation block scales `[c, h, w]` features by
    /// `[c, 1, 1]` channel weights.
    ///
    /// ```
    /// use derin_nn::{Ctx, MergeLayer, Multiply};
    /// use derin_tensor::Tensor;
    /// let y = Multiply::new().forward(&[Tensor::full(&[1, 2], 3.0), Tensor::full(&[1, 2], 0.5)], &mut Ctx::eval());
    /// assert_eq!(y.to_vec(), vec![1.5, 1.5]);
    /// let features = Tensor::ones(&[1, 2, 2, 2]);
    /// let weights = Tensor::from_vec(vec![0.5, 2.0], &[1, 2, 1, 1]);
    /// let se = Multiply::new().forward(&[features, weights], &mut Ctx::eval());
    /// assert_eq!(se.to_vec(), vec![0.5, 0.5, 0.5, 0.5, 2.0, 2.0, 2.0, 2.0]);
    /// ```
    Multiply, "Multiply", "torch.mul", |xs| xs[1..].iter().fold(xs[0].clone(), |acc, x| acc.mul(x))
);

elementwise_merge!(
    /// The element-wise mean of its inputs (Keras' `Average`), which broadcast as
    /// [`Add`]'s do.
    ///
    /// ```
    /// use derin_nn::{Average, Ctx, MergeLayer};
    /// use derin_tensor::Tensor;
    /// let y = Average::new().forward(&[Tensor::full(&[1, 2], 1.0), Tensor::full(&[1, 2], 2.0)], &mut Ctx::eval());
    /// assert_eq!(y.to_vec(), vec![1.5, 1.5]);
    /// ```
    Average, "Average", "torch.mean", |xs| sum(xs).mul_scalar(1.0 / xs.len() as f32)
);

/// Joins its inputs along `axis` (Keras' `Concatenate(axis=-1)`): the axis counts the
/// batch axis as 0, negative values count from the end, and the batch axis itself cannot
/// be joined. Every input has the same rank and the same sizes off that axis.
///
/// ```
/// use derin_nn::{Concatenate, Ctx, MergeLayer};
/// use derin_tensor::Tensor;
/// let cat = Concatenate::new(-1);
/// assert_eq!(cat.output_shape(&[vec![2], vec![3]]).unwrap(), vec![5]);
/// let y = cat.forward(&[Tensor::zeros(&[4, 2]), Tensor::ones(&[4, 3])], &mut Ctx::eval());
/// assert_eq!(y.shape(), &[4, 5]);
/// let err = Concatenate::new(1).output_shape(&[vec![2, 3], vec![2, 4]]).unwrap_err().to_string();
/// assert!(err.contains("concatenate (Concatenate)") && err.contains("[2, 4]"), "{err}");
/// ```
#[doc(alias = "torch.cat")]
#[derive(Clone, Debug)]
pub struct Concatenate {
    core: LayerCore,
    axis: isize,
}

impl Concatenate {
    /// Concatenation along `axis` (Keras' default is -1, the last axis).
    ///
    /// ```
    /// # use derin_nn::Concatenate;
    /// assert_eq!(Concatenate::new(-1).axis(), -1);
    /// ```
    pub fn new(axis: isize) -> Self {
        Concatenate { core: LayerCore::new("concatenate"), axis }
    }

    /// The same layer called `name`.
    ///
    /// ```
    /// # use derin_nn::{Concatenate, MergeLayer};
    /// assert_eq!(Concatenate::new(-1).named("joined").name(), "joined");
    /// ```
    pub fn named(mut self, name: &str) -> Self {
        self.core.name = name.to_string();
        self
    }

    /// The axis joined, as given.
    ///
    /// ```
    /// # use derin_nn::Concatenate;
    /// assert_eq!(Concatenate::new(1).axis(), 1);
    /// ```
    pub fn axis(&self) -> isize {
        self.axis
    }

    /// The axis as an index into the sample shape (without the batch axis).
    fn sample_axis(&self, rank: usize) -> Option<usize> {
        let full = if self.axis < 0 { rank as isize + 1 + self.axis } else { self.axis };
        (1..=rank as isize).contains(&full).then(|| full as usize - 1)
    }
}

impl Default for Concatenate {
    fn default() -> Self {
        Concatenate::new(-1)
    }
}

impl MergeLayer for Concatenate {
    fn forward(&self, xs: &[Tensor], _ctx: &mut Ctx) -> Tensor {
        let axis = self.sample_axis(xs[0].ndim() - 1).expect("checked at build time") + 1;
        Tensor::concat(&xs.iter().collect::<Vec<_>>(), axis)
    }

    fn output_shape(&self, inputs: &[Vec<usize>]) -> Result<Vec<usize>> {
        at_least_two(self.label(), inputs)?;
        let first = &inputs[0];
        let Some(axis) = self.sample_axis(first.len()) else {
            let expected = format!("inputs with a non-batch axis {} to join", self.axis);
            return Err(Error::InputShape { layer: self.label(), expected, got: first.clone() });
        };
        let mut out = first.clone();
        for shape in &inputs[1..] {
            let fits = shape.len() == first.len()
                && shape.iter().zip(first).enumerate().all(|(i, (a, b))| i == axis || a == b);
            if !fits {
                let expected = format!("the first input's shape {first:?} except on axis {}", self.axis);
                return Err(Error::InputShape { layer: self.label(), expected, got: shape.clone() });
            }
            out[axis] += shape[axis];
        }
        Ok(out)
    }

    fn type_name(&self) -> &'static str {
        "Concatenate"
    }

    fn keras_config(&self) -> Result<Value> {
        let mut map = base_config(&self.core);
        map.insert("axis".into(), json!(self.axis));
        Ok(Value::Object(map))
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

    fn inputs() -> Vec<Tensor> {
        let a = Tensor::from_vec(vec![0.5, -1.0, 2.0, 0.25, 1.5, -0.75], &[2, 3]);
        let b = Tensor::from_vec(vec![1.0, 0.3, -2.0, 0.6, -0.4, 0.9], &[2, 3]);
        let c = Tensor::from_vec(vec![0.2, 0.7, -0.1, 1.1, -1.3, 0.4], &[2, 3]);
        vec![a, b, c]
    }

    #[test]
    fn forward_values_by_hand() {
        let xs = inputs();
        let ctx = &mut Ctx::eval();
        // First elements: 0.5 + 1.0 + 0.2 = 1.7; 0.5·1.0·0.2 = 0.1; 1.7 / 3.
        assert!((Add::new().forward(&xs, ctx).to_vec()[0] - 1.7).abs() < 1e-6);
        assert!((Multiply::new().forward(&xs, ctx).to_vec()[0] - 0.1).abs() < 1e-6);
        assert!((Average::new().forward(&xs, ctx).to_vec()[0] - 1.7 / 3.0).abs() < 1e-6);
        let cat = Concatenate::new(-1).forward(&xs[..2], ctx);
        assert_eq!(cat.shape(), &[2, 6]);
        assert_eq!(cat.to_vec()[..6], [0.5, -1.0, 2.0, 1.0, 0.3, -2.0]);
        let rows = Concatenate::new(1).forward(&[xs[0].reshape(&[2, 3, 1]), xs[1].reshape(&[2, 3, 1])], ctx);
        assert_eq!(rows.shape(), &[2, 6, 1]);
    }

    #[test]
    fn gradients_match_finite_differences() {
        let layers: Vec<Box<dyn MergeLayer>> = vec![
            Box::new(Add::new()),
            Box::new(Multiply::new()),
            Box::new(Average::new()),
            Box::new(Concatenate::new(-1)),
        ];
        let weights = Tensor::from_vec((0..18).map(|i| (i as f32 * 0.37).sin()).collect(), &[2, 9]);
        for layer in layers {
            let f = |xs: &[Tensor]| {
                let y = layer.forward(xs, &mut Ctx::eval());
                // A weighted sum so that every output element matters differently.
                let w = weights.narrow(1, 0, y.shape()[1]);
                y.mul(&w).sum_all()
            };
            check_gradients(f, &inputs()).unwrap_or_else(|e| panic!("{}: {e}", layer.label()));
        }
    }

    #[test]
    fn elementwise_merges_broadcast_size_one_axes() {
        // [batch, c, h, w] features times [batch, c, 1, 1] weights (squeeze-and-excitation),
        // plus a [batch, 1, h, 1] row term for Add and Average.
        let f = Tensor::from_vec((0..24).map(|i| (i as f32 * 0.53).sin()).collect(), &[2, 3, 2, 2]);
        let w = Tensor::from_vec(vec![0.5, -1.0, 2.0, 0.25, 1.5, -0.75], &[2, 3, 1, 1]);
        let r = Tensor::from_vec(vec![0.1, -0.2, 0.3, 0.4], &[2, 1, 2, 1]);
        let (fv, wv, rv) = (f.to_vec(), w.to_vec(), r.to_vec());
        let at = |n: usize, c: usize, i: usize, j: usize| ((n * 3 + c) * 2 + i) * 2 + j;
        let ctx = &mut Ctx::eval();
        let se = Multiply::new().forward(&[f.clone(), w.clone()], ctx).to_vec();
        let added = Add::new().forward(&[f.clone(), w.clone(), r.clone()], ctx).to_vec();
        let mean = Average::new().forward(&[f.clone(), r.clone()], ctx).to_vec();
        for (n, c, i, j) in (0..24).map(|k| (k / 12, k / 4 % 3, k / 2 % 2, k % 2)) {
            let (x, a, b) = (fv[at(n, c, i, j)], wv[n * 3 + c], rv[n * 2 + i]);
            assert!((se[at(n, c, i, j)] - x * a).abs() < 1e-6);
            assert!((added[at(n, c, i, j)] - (x + a + b)).abs() < 1e-6);
            assert!((mean[at(n, c, i, j)] - (x + b) / 2.0).abs() < 1e-6);
        }
        assert_eq!(Multiply::new().output_shape(&[vec![3, 2, 2], vec![3, 1, 1]]).unwrap(), vec![3, 2, 2]);
        assert_eq!(Add::new().output_shape(&[vec![1, 2, 1], vec![3, 1, 1], vec![1, 1, 4]]).unwrap(), vec![3, 2, 4]);
        let g = |xs: &[Tensor]| Multiply::new().forward(xs, &mut Ctx::eval()).mul(&f).sum_all();
        check_gradients(g, &[f.clone(), w.clone()]).unwrap();
        let err = Multiply::new().output_shape(&[vec![3, 2, 2], vec![3, 2]]).unwrap_err().to_string();
        assert!(err.contains("broadcasts with [3, 2, 2]") && err.contains("[3, 2]"), "{err}");
        assert!(Add::new().output_shape(&[vec![3, 2], vec![2, 2]]).is_err());
    }

    #[test]
    fn shape_errors_name_the_layer() {
        let err = Average::new().output_shape(&[vec![3]]).unwrap_err().to_string();
        assert!(err.contains("average (Average)") && err.contains("at least 2 inputs"), "{err}");
        let err = Multiply::new().output_shape(&[vec![3], vec![3], vec![4]]).unwrap_err().to_string();
        assert!(err.contains("multiply (Multiply)") && err.contains("[4]"), "{err}");
        assert!(Concatenate::new(0).output_shape(&[vec![3], vec![3]]).is_err());
        assert!(Concatenate::new(2).output_shape(&[vec![3], vec![3]]).is_err());
        assert_eq!(Concatenate::new(-2).output_shape(&[vec![2, 3], vec![4, 3]]).unwrap(), vec![6, 3]);
    }
}
