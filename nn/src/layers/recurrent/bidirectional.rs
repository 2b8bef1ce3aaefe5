//! `Bidirectional`: runs a recurrent layer forwards and a copy backwards, and merges them.

use derin_tensor::{Param, Rng, Tensor};

use super::{Recurrent, RnnOutput, reverse_time};
use crate::error::Result;
use crate::module::{Ctx, LayerCore, Module};

/// How [`Bidirectional`] merges the forward and backward outputs (Keras' `merge_mode`).
///
/// ```
/// use derin_nn::MergeMode;
/// assert_eq!(MergeMode::default(), MergeMode::Concat);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MergeMode {
    /// Join along the last axis (`2·units` features), the default.
    #[default]
    Concat,
    /// Add.
    Sum,
    /// Multiply elementwise.
    Mul,
    /// Average.
    Ave,
}

/// Runs a recurrent layer over the sequence and a fresh copy of it (its own weights)
/// over the reversed sequence, then merges the two outputs; with `return_sequences` the
/// backward outputs are put back in input order first, and both layers output zeros at
/// masked steps (as Keras sets `zero_output_for_mask`). The mask is reversed for the
/// backward layer.
///
/// Weights are named `<name>/forward_<layer>/kernel`, `<name>/backward_<layer>/kernel`, ….
///
/// # Shapes
/// input `[N, T, F]`; output `[N, 2·units]` (concat) or `[N, units]`, with a time axis
/// `[N, T, …]` when the layer returns sequences.
///
/// ```
/// use derin_nn::{Bidirectional, Ctx, GRU, MergeMode, Module, Recurrent};
/// use derin_tensor::{Rng, Tensor};
/// let mut bi = Bidirectional::new(GRU::new(4).return_sequences(true), MergeMode::Concat);
/// assert_eq!(bi.output_shape(&[6, 3]).unwrap(), vec![6, 8]);
/// bi.build(&[6, 3], &mut Rng::seed(0)).unwrap();
/// assert_eq!(bi.weights()[0].name(), "bidirectional/forward_gru/kernel");
/// assert_eq!(bi.weights().len(), 6);
/// let y = bi.forward(&Tensor::ones(&[2, 6, 3]), &mut Ctx::eval());
/// assert_eq!(y.shape(), &[2, 6, 8]);
/// ```
pub struct Bidirectional {
    pub(super) core: LayerCore,
    pub(super) forward: Box<dyn Recurrent>,
    pub(super) backward: Box<dyn Recurrent>,
    pub(super) merge_mode: MergeMode,
}

impl Bidirectional {
    /// Wraps `layer` (unbuilt; its `go_backwards` decides which copy runs backwards, as
    /// in Keras).
    ///
    /// ```
    /// # use derin_nn::{Bidirectional, LSTM, MergeMode, Module};
    /// let bi = Bidirectional::new(LSTM::new(3), MergeMode::Sum);
    /// assert_eq!(bi.output_shape(&[5, 2]).unwrap(), vec![3]);
    /// assert_eq!(bi.merge_mode(), MergeMode::Sum);
    /// ```
    pub fn new(layer: impl Recurrent + 'static, merge_mode: MergeMode) -> Self {
        let mut forward: Box<dyn Recurrent> = Box::new(layer);
        let mut backward = forward.fresh();
        let inner = forward.name().to_string();
        let seq = forward.options().return_sequences;
        forward.options_mut().zero_output_for_mask = seq;
        backward.options_mut().zero_output_for_mask = seq;
        backward.options_mut().go_backwards = !forward.options().go_backwards;
        forward.set_name(&format!("forward_{inner}"));
        backward.set_name(&format!("backward_{inner}"));
        Bidirectional { core: LayerCore::new("bidirectional"), forward, backward, merge_mode }
    }

    /// Gives the wrapper a name.
    ///
    /// ```
    /// # use derin_nn::{Bidirectional, GRU, MergeMode, Module};
    /// assert_eq!(Bidirectional::new(GRU::new(2), MergeMode::Ave).named("bi").name(), "bi");
    /// ```
    pub fn named(mut self, name: &str) -> Self {
        self.core.name = name.to_string();
        self
    }

    /// The merge mode.
    ///
    /// ```
    /// # use derin_nn::{Bidirectional, GRU, MergeMode};
    /// assert_eq!(Bidirectional::new(GRU::new(2), MergeMode::Mul).merge_mode(), MergeMode::Mul);
    /// ```
    pub fn merge_mode(&self) -> MergeMode {
        self.merge_mode
    }

    /// The layer that runs forwards.
    ///
    /// ```
    /// # use derin_nn::{Bidirectional, GRU, MergeMode, Module};
    /// assert_eq!(Bidirectional::new(GRU::new(2), MergeMode::Concat).forward_layer().name(), "forward_gru");
    /// ```
    pub fn forward_layer(&self) -> &dyn Recurrent {
        self.forward.as_ref()
    }

    /// The layer that runs backwards.
    ///
    /// ```
    /// # use derin_nn::{Bidirectional, GRU, MergeMode, Recurrent};
    /// assert!(Bidirectional::new(GRU::new(2), MergeMode::Concat).backward_layer().options().go_backwards);
    /// ```
    pub fn backward_layer(&self) -> &dyn Recurrent {
        self.backward.as_ref()
    }

    /// Runs both layers on `x` `[N, T, F]` with the context's mask (consumed without
    /// `return_sequences`), from `initial_state` (the forward layer's states then the
    /// backward one's; zeros when `None`). The states returned are in the same order.
    ///
    /// ```
    /// # use derin_nn::{Bidirectional, Ctx, LSTM, MergeMode, Module};
    /// # use derin_tensor::{Rng, Tensor};
    /// let mut bi = Bidirectional::new(LSTM::new(2), MergeMode::Concat);
    /// bi.build(&[3, 1], &mut Rng::seed(0)).unwrap();
    /// let out = bi.call(&Tensor::ones(&[1, 3, 1]), None, &mut Ctx::eval());
    /// assert_eq!(out.states.len(), 4); // h, c forwards; h, c backwards
    /// assert_eq!(out.output.narrow(1, 0, 2).to_vec(), out.states[0].to_vec());
    /// ```
    ///
    /// # Panics
    /// As [`Recurrent::call_masked`].
    pub fn call(&self, x: &Tensor, initial_state: Option<&[Tensor]>, ctx: &mut Ctx) -> RnnOutput {
        let seq = self.forward.options().return_sequences;
        let mask = if seq { ctx.mask().cloned() } else { ctx.take_mask() };
        let (init_f, init_b) = match initial_state {
            Some(s) => {
                let (a, b) = s.split_at(s.len() / 2);
                (Some(a), Some(b))
            }
            None => (None, None),
        };
        let fwd = self.forward.call_masked(x, init_f, mask.as_ref());
        let bwd = self.backward.call_masked(x, init_b, mask.as_ref());
        let back = if seq { reverse_time(&bwd.output) } else { bwd.output };
        let (a, b) = (&fwd.output, &back);
        let output = match self.merge_mode {
            MergeMode::Concat => Tensor::concat(&[a, b], a.ndim() - 1),
            MergeMode::Sum => a + b,
            MergeMode::Mul => a * b,
            MergeMode::Ave => (a + b) * 0.5,
        };
        RnnOutput { output, states: fwd.states.into_iter().chain(bwd.states).collect() }
    }
}

impl Module for Bidirectional {
    fn supports_masking(&self) -> bool {
        true
    }

    fn forward(&self, x: &Tensor, ctx: &mut Ctx) -> Tensor {
        self.call(x, None, ctx).output
    }

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        let mut out = self.forward.output_shape(input)?;
        if self.merge_mode == MergeMode::Concat {
            *out.last_mut().expect("recurrent outputs have a feature axis") *= 2;
        }
        Ok(out)
    }

    fn build(&mut self, input: &[usize], rng: &mut Rng) -> Result<()> {
        self.forward.build(input, rng)?;
        self.backward.build(input, rng)
    }

    fn type_name(&self) -> &'static str {
        "Bidirectional"
    }

    fn keras_config(&self) -> Result<serde_json::Value> {
        self.to_keras_config()
    }

    fn core(&self) -> &LayerCore {
        &self.core
    }

    fn core_mut(&mut self) -> &mut LayerCore {
        &mut self.core
    }

    fn set_trainable(&mut self, trainable: bool) {
        self.core.trainable = trainable;
        self.forward.set_trainable(trainable);
        self.backward.set_trainable(trainable);
    }

    fn weights(&self) -> Vec<Param> {
        let name = &self.core.name;
        let inner = self.forward.weights().into_iter().chain(self.backward.weights());
        inner.map(|p| p.renamed(&format!("{name}/{}", p.name()))).collect()
    }
}
