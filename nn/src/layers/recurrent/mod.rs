//! Recurrent layers (`SimpleRNN`, `GRU`, `LSTM`, `Bidirectional`): the options, output
//! and trait they share, and the sequence plumbing (input projection, masks, time order).
//!
//! Every recurrent layer first projects the whole input with one product
//! `[N·T, F] · kernel`, then runs the recurrence over the projected steps. A time-step
//! mask (from [`Ctx::mask`]) freezes the state at masked steps; see [`RnnOptions`] for
//! what the output holds there.

mod bidirectional;
mod gru;
mod gru_before;
mod gru_op;
mod keras;
mod lstm;
mod lstm_op;
mod simple_rnn;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_gru_before;
#[cfg(test)]
mod tests_more;

pub use bidirectional::{Bidirectional, MergeMode};
pub use gru::GRU;
pub use lstm::LSTM;
pub use simple_rnn::SimpleRNN;

use derin_tensor::ndarray::ArrayD;
use derin_tensor::{Param, Rng, Tensor};

use crate::error::{Error, Result};
use crate::module::{Ctx, LayerCore, Module};

/// The options every recurrent layer shares (Keras' `RNN` arguments); set them with the
/// builder methods of [`Recurrent`].
///
/// With a mask, the state is carried over unchanged at a masked step. The output at a
/// masked step follows Keras 3: by default it repeats the previous step's output (zeros
/// before the first unmasked step), so the last output is the one of the last unmasked
/// step; with `zero_output_for_mask` it is zero (what [`Bidirectional`] sets when it
/// returns sequences, as Keras does).
///
/// `dropout`, `recurrent_dropout`, `stateful` and `unroll` are not supported.
///
/// ```
/// use derin_nn::RnnOptions;
/// let o = RnnOptions::default();
/// assert!(!o.return_sequences && !o.return_state && !o.go_backwards && !o.zero_output_for_mask);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RnnOptions {
    /// Output every step `[N, T, units]` instead of the last one `[N, units]`.
    pub return_sequences: bool,
    /// Whether [`Recurrent::call`] is meant to be used for the final states (they are
    /// always in [`RnnOutput::states`]; the flag is kept for Keras parity and summaries).
    pub return_state: bool,
    /// Process the sequence from its last step to its first; the output sequence is then
    /// in processing (reversed) order, as in Keras.
    pub go_backwards: bool,
    /// Zero the output at masked steps instead of repeating the previous output.
    pub zero_output_for_mask: bool,
}

/// What [`Recurrent::call`] returns: the output and the final states.
///
/// ```
/// use derin_nn::{Ctx, GRU, Module, Recurrent};
/// use derin_tensor::{Rng, Tensor};
/// let mut gru = GRU::new(4);
/// gru.build(&[5, 3], &mut Rng::seed(0)).unwrap();
/// let out = gru.call(&Tensor::ones(&[2, 5, 3]), None, &mut Ctx::eval());
/// assert_eq!(out.output.shape(), &[2, 4]);
/// assert_eq!(out.states.len(), 1); // GRU: [h]; LSTM: [h, c]
/// assert_eq!(out.states[0].to_vec(), out.output.to_vec());
/// ```
#[derive(Clone, Debug)]
pub struct RnnOutput {
    /// `[N, units]`, or `[N, T, units]` with `return_sequences`.
    pub output: Tensor,
    /// The final states, each `[N, units]`: `[h]` for `SimpleRNN` and `GRU`, `[h, c]` for
    /// `LSTM` (forward then backward ones for [`Bidirectional`]).
    pub states: Vec<Tensor>,
}

/// What `SimpleRNN`, `GRU` and `LSTM` share: options, weights, and a call that takes
/// initial states and returns the final ones (for encoder–decoder models).
///
/// ```
/// use derin_nn::{LSTM, Module, Recurrent};
/// let lstm = LSTM::new(8).return_sequences(true);
/// assert_eq!(lstm.output_shape(&[10, 3]).unwrap(), vec![10, 8]);
/// assert_eq!(lstm.units(), 8);
/// ```
pub trait Recurrent: Module {
    /// The shared options.
    fn options(&self) -> &RnnOptions;

    /// Mutable access to the shared options.
    fn options_mut(&mut self) -> &mut RnnOptions;

    /// The size of the state (and of the output's last axis).
    fn units(&self) -> usize;

    /// The input kernel `[F, gates·units]`, once built.
    fn kernel(&self) -> Option<&Param>;

    /// The recurrent kernel `[units, gates·units]`, once built.
    fn recurrent_kernel(&self) -> Option<&Param>;

    /// The bias, once built (its shape depends on the layer).
    fn bias(&self) -> Option<&Param>;

    /// An unbuilt copy with the same options and name (what [`Bidirectional`] makes its
    /// backward layer from).
    fn fresh(&self) -> Box<dyn Recurrent>;

    /// Runs the layer on `x` `[N, T, F]` with an explicit mask `[N, T]` (1 keep, 0 skip)
    /// and optional initial states (each `[N, units]`; zeros when `None`).
    ///
    /// # Panics
    /// If the layer is not built, or `x`, the mask or the states have the wrong shape.
    fn call_masked(&self, x: &Tensor, initial_state: Option<&[Tensor]>, mask: Option<&Tensor>) -> RnnOutput;

    /// Runs the layer on `x` `[N, T, F]` with the context's mask, from `initial_state`
    /// (zeros when `None`), returning the output and the final states. Without
    /// `return_sequences` the mask is consumed, with it the mask is passed on.
    ///
    /// ```
    /// use derin_nn::{Ctx, Module, Recurrent, SimpleRNN};
    /// use derin_tensor::{Rng, Tensor};
    /// let mut rnn = SimpleRNN::new(2);
    /// rnn.build(&[3, 1], &mut Rng::seed(0)).unwrap();
    /// let h0 = Tensor::full(&[1, 2], 0.5);
    /// let mut ctx = Ctx::eval();
    /// ctx.set_mask(Some(Tensor::zeros(&[1, 3]))); // every step masked
    /// let out = rnn.call(&Tensor::ones(&[1, 3, 1]), Some(&[h0.clone()]), &mut ctx);
    /// assert_eq!(out.states[0].to_vec(), h0.to_vec()); // the state never moved
    /// assert!(ctx.mask().is_none()); // consumed: the output has no time axis
    /// ```
    fn call(&self, x: &Tensor, initial_state: Option<&[Tensor]>, ctx: &mut Ctx) -> RnnOutput {
        let mask = if self.options().return_sequences { ctx.mask().cloned() } else { ctx.take_mask() };
        self.call_masked(x, initial_state, mask.as_ref())
    }

    /// Returns every step (`return_sequences=True`).
    ///
    /// ```
    /// # use derin_nn::{GRU, Module, Recurrent};
    /// assert_eq!(GRU::new(3).return_sequences(true).output_shape(&[7, 2]).unwrap(), vec![7, 3]);
    /// ```
    fn return_sequences(mut self, on: bool) -> Self
    where
        Self: Sized,
    {
        self.options_mut().return_sequences = on;
        self
    }

    /// Marks the layer as returning its states (`return_state=True`); read them from
    /// [`call`](Recurrent::call).
    ///
    /// ```
    /// # use derin_nn::{GRU, Recurrent};
    /// assert!(GRU::new(3).return_state(true).options().return_state);
    /// ```
    fn return_state(mut self, on: bool) -> Self
    where
        Self: Sized,
    {
        self.options_mut().return_state = on;
        self
    }

    /// Processes the sequence backwards (`go_backwards=True`).
    ///
    /// ```
    /// # use derin_nn::{LSTM, Recurrent};
    /// assert!(LSTM::new(3).go_backwards(true).options().go_backwards);
    /// ```
    fn go_backwards(mut self, on: bool) -> Self
    where
        Self: Sized,
    {
        self.options_mut().go_backwards = on;
        self
    }

    /// Zeroes the output at masked steps (`zero_output_for_mask=True`).
    ///
    /// ```
    /// # use derin_nn::{SimpleRNN, Recurrent};
    /// assert!(SimpleRNN::new(3).zero_output_for_mask(true).options().zero_output_for_mask);
    /// ```
    fn zero_output_for_mask(mut self, on: bool) -> Self
    where
        Self: Sized,
    {
        self.options_mut().zero_output_for_mask = on;
        self
    }
}

/// The fields and checks the three layers share.
#[derive(Clone, Debug)]
pub(crate) struct RnnBase {
    pub core: LayerCore,
    pub units: usize,
    /// 1 (SimpleRNN), 3 (GRU), 4 (LSTM).
    pub gates: usize,
    pub opts: RnnOptions,
    pub kernel: Option<Param>,
    pub recurrent_kernel: Option<Param>,
    pub bias: Option<Param>,
}

impl RnnBase {
    pub fn new(name: &str, units: usize, gates: usize) -> Self {
        let core = LayerCore::new(name);
        RnnBase { core, units, gates, opts: RnnOptions::default(), kernel: None, recurrent_kernel: None, bias: None }
    }

    pub fn unbuilt(&self) -> Self {
        RnnBase { kernel: None, recurrent_kernel: None, bias: None, ..self.clone() }
    }

    pub fn output_shape(&self, label: String, input: &[usize]) -> Result<Vec<usize>> {
        let expected = match &self.kernel {
            Some(k) => format!("[time, {}] (2 axes, {} features)", k.shape()[0], k.shape()[0]),
            None => "[time, features] (2 axes)".to_string(),
        };
        let fits = input.len() == 2
            && input[1] > 0
            && input[0] > 0
            && self.kernel.as_ref().is_none_or(|k| k.shape()[0] == input[1]);
        if !fits || self.units == 0 {
            return Err(Error::InputShape { layer: label, expected, got: input.to_vec() });
        }
        Ok(if self.opts.return_sequences { vec![input[0], self.units] } else { vec![self.units] })
    }

    /// Glorot-uniform kernel, orthogonal recurrent kernel, the given bias.
    pub fn make_weights(&mut self, input: usize, bias: ArrayD<f32>, rng: &mut Rng) {
        let width = self.gates * self.units;
        let kernel = Tensor::glorot_uniform(&[input, width], rng);
        let recurrent = Tensor::orthogonal(&[self.units, width], 1.0, rng);
        self.kernel = Some(Param::new("kernel", kernel.to_array()));
        self.recurrent_kernel = Some(Param::new("recurrent_kernel", recurrent.to_array()));
        self.bias = Some(Param::new("bias", bias));
    }

    pub fn weights(&self) -> Vec<Param> {
        let name = &self.core.name;
        [&self.kernel, &self.recurrent_kernel, &self.bias]
            .into_iter()
            .flatten()
            .map(|p| p.renamed(&format!("{name}/{}", p.name())))
            .collect()
    }

    /// `[kernel, recurrent_kernel, bias]` as tensors (detached when frozen).
    ///
    /// # Panics
    /// If the layer is not built.
    pub fn values(&self, label: &str) -> [Tensor; 3] {
        let get = |p: &Option<Param>| {
            let p = p.as_ref().unwrap_or_else(|| panic!("{label}: forward before build"));
            if self.core.trainable { p.value() } else { p.frozen_value() }
        };
        [get(&self.kernel), get(&self.recurrent_kernel), get(&self.bias)]
    }
}

/// Implements `Module` and `Recurrent` for a layer with a `base: RnnBase` field and the
/// inherent methods `initial_bias(&self) -> ArrayD<f32>` and `run(...)`.
macro_rules! recurrent_layer {
    ($ty:ident, $name:literal) => {
        impl $crate::module::Module for $ty {
            fn supports_masking(&self) -> bool {
                true
            }

            /// # Panics
            /// If the layer is not built; the message names the layer.
            fn forward(&self, x: &Tensor, ctx: &mut $crate::module::Ctx) -> Tensor {
                $crate::layers::recurrent::Recurrent::call(self, x, None, ctx).output
            }

            fn output_shape(&self, input: &[usize]) -> $crate::error::Result<Vec<usize>> {
                self.base.output_shape(self.label(), input)
            }

            fn build(&mut self, input: &[usize], rng: &mut derin_tensor::Rng) -> $crate::error::Result<()> {
                self.output_shape(input)?;
                if self.base.kernel.is_none() {
                    let width = self.base.gates.saturating_mul(self.base.units);
                    for (name, shape) in [("kernel", [input[1], width]), ("recurrent_kernel", [self.base.units, width])]
                    {
                        $crate::module::check_weight_size(self.label(), input, name, &shape)?;
                    }
                    let bias = self.initial_bias();
                    self.base.make_weights(input[1], bias, rng);
                }
                Ok(())
            }

            fn type_name(&self) -> &'static str {
                $name
            }

            fn keras_config(&self) -> $crate::error::Result<serde_json::Value> {
                self.to_keras_config()
            }

            fn core(&self) -> &$crate::module::LayerCore {
                &self.base.core
            }

            fn core_mut(&mut self) -> &mut $crate::module::LayerCore {
                &mut self.base.core
            }

            fn weights(&self) -> Vec<derin_tensor::Param> {
                self.base.weights()
            }
        }

        impl $crate::layers::recurrent::Recurrent for $ty {
            fn options(&self) -> &$crate::layers::recurrent::RnnOptions {
                &self.base.opts
            }

            fn options_mut(&mut self) -> &mut $crate::layers::recurrent::RnnOptions {
                &mut self.base.opts
            }

            fn units(&self) -> usize {
                self.base.units
            }

            fn kernel(&self) -> Option<&derin_tensor::Param> {
                self.base.kernel.as_ref()
            }

            fn recurrent_kernel(&self) -> Option<&derin_tensor::Param> {
                self.base.recurrent_kernel.as_ref()
            }

            fn bias(&self) -> Option<&derin_tensor::Param> {
                self.base.bias.as_ref()
            }

            fn fresh(&self) -> Box<dyn $crate::layers::recurrent::Recurrent> {
                let mut copy = self.clone();
                copy.base = self.base.unbuilt();
                Box::new(copy)
            }

            fn call_masked(
                &self,
                x: &Tensor,
                initial_state: Option<&[Tensor]>,
                mask: Option<&Tensor>,
            ) -> $crate::layers::recurrent::RnnOutput {
                let label = $crate::module::Module::label(self);
                let [k, rk, b] = self.base.values(&label);
                self.run(&label, x, &k, &rk, &b, initial_state, mask)
            }
        }
    };
}
pub(crate) use recurrent_layer;

/// The input side of a recurrence: the projected steps in processing order and the mask.
pub(crate) struct Steps {
    /// `[N, T, G]`: `x · kernel (+ bias)`, time-reversed for `go_backwards`.
    pub xp: Tensor,
    /// `[N·T]` row-major, in processing order.
    pub mask: Option<Vec<f32>>,
    pub n: usize,
    pub t: usize,
}

impl Steps {
    /// Projects `x` `[N, T, F]` with `kernel` `[F, G]` (plus `bias` `[G]`).
    ///
    /// # Panics
    /// If `x` is not `[N, T, F]` with `F` the kernel's rows, or the mask is not `[N, T]`.
    pub fn new(
        label: &str,
        x: &Tensor,
        kernel: &Tensor,
        bias: Option<&Tensor>,
        opts: &RnnOptions,
        mask: Option<&Tensor>,
    ) -> Self {
        let s = x.shape();
        assert!(
            s.len() == 3 && s[2] == kernel.shape()[0] && s[1] > 0,
            "{label}: input of shape {s:?}, expected [batch, time, {}]",
            kernel.shape()[0]
        );
        let (n, t, f) = (s[0], s[1], s[2]);
        let g = kernel.shape()[1];
        let x = if opts.go_backwards { reverse_time(x) } else { x.clone() };
        let mut xp = x.reshape(&[n * t, f]).matmul(kernel);
        if let Some(b) = bias {
            xp = xp + b;
        }
        let mask = mask.map(|m| {
            assert_eq!(m.shape(), &[n, t], "{label}: mask of shape {:?} for an input of shape {s:?}", m.shape());
            let mut v = m.to_vec();
            if opts.go_backwards {
                v.chunks_mut(t).for_each(|row| row.reverse());
            }
            v
        });
        Steps { xp: xp.reshape(&[n, t, g]), mask, n, t }
    }

    /// Step `s` of the projection, `[N, G]`.
    pub fn at(&self, s: usize) -> Tensor {
        let g = self.xp.shape()[2];
        self.xp.narrow(1, s, 1).reshape(&[self.n, g])
    }

    /// The mask of step `s` as a `[N, 1]` column, or `None` when no row is masked there.
    pub fn mask_at(&self, s: usize) -> Option<Tensor> {
        let m = self.mask.as_ref()?;
        let col: Vec<f32> = (0..self.n).map(|i| m[i * self.t + s]).collect();
        if col.iter().all(|&v| v != 0.0) { None } else { Some(Tensor::from_vec(col, &[self.n, 1])) }
    }

    /// The output from the state sequence `h` `[N, T, U]` (see [`RnnOptions`] for masked
    /// steps).
    pub fn output(&self, h: &Tensor, opts: &RnnOptions) -> Tensor {
        let u = h.shape()[2];
        let seq = match &self.mask {
            Some(m) if m.contains(&0.0) => {
                let mut keep = m.clone();
                if !opts.zero_output_for_mask {
                    // The previous output is repeated, so only the steps before the first
                    // unmasked one read zero.
                    for row in keep.chunks_mut(self.t) {
                        let mut seen = false;
                        row.iter_mut().for_each(|v| {
                            seen |= *v != 0.0;
                            *v = if seen { 1.0 } else { 0.0 };
                        });
                    }
                }
                h * Tensor::from_vec(keep, &[self.n, self.t, 1])
            }
            _ => h.clone(),
        };
        if opts.return_sequences { seq } else { seq.narrow(1, self.t - 1, 1).reshape(&[self.n, u]) }
    }
}

/// `x` with its axis 1 (time) reversed.
pub(crate) fn reverse_time(x: &Tensor) -> Tensor {
    let t = x.shape()[1];
    x.index_select(1, &(0..t).rev().collect::<Vec<_>>())
}

/// `new` where the mask column `m` is 1, `old` where it is 0.
pub(crate) fn keep_where(m: Option<&Tensor>, new: Tensor, old: &Tensor) -> Tensor {
    match m {
        Some(m) => old + (new - old) * m,
        None => new,
    }
}

/// The initial states: the given ones (checked) or zeros.
///
/// # Panics
/// If the count or a shape is wrong.
pub(crate) fn initial_states(
    label: &str,
    given: Option<&[Tensor]>,
    count: usize,
    n: usize,
    units: usize,
) -> Vec<Tensor> {
    match given {
        None => (0..count).map(|_| Tensor::zeros(&[n, units])).collect(),
        Some(states) => {
            assert_eq!(states.len(), count, "{label}: {} initial states given, the layer has {count}", states.len());
            for s in states {
                assert_eq!(
                    s.shape(),
                    &[n, units],
                    "{label}: initial state of shape {:?}, expected [{n}, {units}]",
                    s.shape()
                );
            }
            states.to_vec()
        }
    }
}
