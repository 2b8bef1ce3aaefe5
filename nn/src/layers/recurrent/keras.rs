//! Keras configs of the recurrent layers and `Bidirectional`: the keys Keras 3 writes,
//! read back with `Err` for options Derin does not have (dropout, `stateful`, …).

use serde_json::{Map, Value, json};

use super::{Bidirectional, GRU, LSTM, MergeMode, Recurrent, RnnBase, RnnOptions, SimpleRNN};
use crate::activation::Activation;
use crate::error::Result;
use crate::module::{LayerCore, Module};
use crate::serialize::registry::class_and_config;
use crate::serialize::{KerasConfig, base_config, initializer, unserializable};

/// Options every Keras recurrent config may hold that Derin does not have.
const UNSUPPORTED: [&str; 13] = [
    "stateful",
    "unroll",
    "dropout",
    "recurrent_dropout",
    "kernel_regularizer",
    "recurrent_regularizer",
    "bias_regularizer",
    "activity_regularizer",
    "kernel_constraint",
    "recurrent_constraint",
    "bias_constraint",
    "time_major",
    "implementation_mode",
];

impl RnnBase {
    /// Reads the shared keys: name, trainable, the [`RnnOptions`], `units`; `use_bias`
    /// must be on (Derin's recurrent layers always have a bias).
    fn from_keras(c: &KerasConfig, default_name: &str, gates: usize) -> Result<Self> {
        c.unsupported_all(&UNSUPPORTED)?;
        if !c.bool_or("use_bias", true)? {
            return Err(c.error("use_bias", "a recurrent layer without a bias is not supported"));
        }
        let mut base = RnnBase::new(default_name, c.usize("units")?, gates);
        base.core = c.core(default_name)?;
        base.opts = RnnOptions {
            return_sequences: c.bool_or("return_sequences", false)?,
            return_state: c.bool_or("return_state", false)?,
            go_backwards: c.bool_or("go_backwards", false)?,
            zero_output_for_mask: c.bool_or("zero_output_for_mask", false)?,
        };
        Ok(base)
    }

    /// The shared keys, with `activation` given.
    fn keras_config(&self, activation: Value) -> Map<String, Value> {
        let mut c = base_config(&self.core);
        c.insert("return_sequences".into(), json!(self.opts.return_sequences));
        c.insert("return_state".into(), json!(self.opts.return_state));
        c.insert("go_backwards".into(), json!(self.opts.go_backwards));
        c.insert("stateful".into(), json!(false));
        c.insert("unroll".into(), json!(false));
        c.insert("zero_output_for_mask".into(), json!(self.opts.zero_output_for_mask));
        c.insert("units".into(), json!(self.units));
        c.insert("activation".into(), activation);
        c.insert("use_bias".into(), json!(true));
        let glorot = json!({"seed": null, "input_axes": null, "output_axes": null});
        c.insert("kernel_initializer".into(), initializer("GlorotUniform", glorot));
        c.insert("recurrent_initializer".into(), initializer("Orthogonal", json!({"seed": null, "gain": 1.0})));
        c.insert("bias_initializer".into(), initializer("Zeros", json!({})));
        for key in &UNSUPPORTED[4..11] {
            c.insert((*key).into(), Value::Null);
        }
        c.insert("dropout".into(), json!(0.0));
        c.insert("recurrent_dropout".into(), json!(0.0));
        c
    }
}

/// `Err` unless `key` names the activation Derin's gated layers use (`want`).
fn fixed_activation(c: &KerasConfig, key: &str, want: Activation, default: &str) -> Result<()> {
    let got = match c.get(key) {
        None => Activation::from_keras_name(default).expect("a known default"),
        Some(_) => c.activation(key)?,
    };
    if got != want {
        return Err(c.error(key, format!("only {default} is supported (got {got:?})")));
    }
    Ok(())
}

impl SimpleRNN {
    /// The (unbuilt) layer a Keras `SimpleRNN` config describes.
    pub(crate) fn from_keras_config(c: &KerasConfig) -> Result<Self> {
        let base = RnnBase::from_keras(c, "simple_rnn", 1)?;
        let activation = if c.get("activation").is_some() { c.activation("activation")? } else { Activation::Tanh };
        Ok(SimpleRNN { base, activation })
    }

    /// Its Keras config.
    pub(crate) fn to_keras_config(&self) -> Result<Value> {
        Ok(self.base.keras_config(self.activation.keras_value(&self.label())?).into())
    }
}

impl GRU {
    /// The (unbuilt) layer a Keras `GRU` config describes (tanh, sigmoid, `reset_after`).
    pub(crate) fn from_keras_config(c: &KerasConfig) -> Result<Self> {
        let base = RnnBase::from_keras(c, "gru", 3)?;
        fixed_activation(c, "activation", Activation::Tanh, "tanh")?;
        fixed_activation(c, "recurrent_activation", Activation::Sigmoid, "sigmoid")?;
        let reset_after = c.bool_or("reset_after", true)?;
        Ok(GRU { base, reset_after })
    }

    /// Its Keras config.
    pub(crate) fn to_keras_config(&self) -> Result<Value> {
        let mut c = self.base.keras_config(json!("tanh"));
        c.insert("recurrent_activation".into(), json!("sigmoid"));
        c.insert("reset_after".into(), json!(self.reset_after));
        c.insert("seed".into(), Value::Null);
        Ok(c.into())
    }
}

impl LSTM {
    /// The (unbuilt) layer a Keras `LSTM` config describes (tanh, sigmoid).
    pub(crate) fn from_keras_config(c: &KerasConfig) -> Result<Self> {
        let base = RnnBase::from_keras(c, "lstm", 4)?;
        fixed_activation(c, "activation", Activation::Tanh, "tanh")?;
        fixed_activation(c, "recurrent_activation", Activation::Sigmoid, "sigmoid")?;
        Ok(LSTM { base })
    }

    /// Its Keras config.
    pub(crate) fn to_keras_config(&self) -> Result<Value> {
        let mut c = self.base.keras_config(json!("tanh"));
        c.insert("recurrent_activation".into(), json!("sigmoid"));
        c.insert("unit_forget_bias".into(), json!(true));
        c.insert("seed".into(), Value::Null);
        Ok(c.into())
    }
}

/// A recurrent layer from a `{"class_name", "config"}` entry (Bidirectional's `layer`).
fn recurrent_from(entry: &Value, what: &str) -> Result<Box<dyn Recurrent>> {
    let (class, config) = class_and_config(entry, what)?;
    let c = KerasConfig::new(class, config)?;
    Ok(match class {
        "SimpleRNN" => Box::new(SimpleRNN::from_keras_config(&c)?),
        "GRU" => Box::new(GRU::from_keras_config(&c)?),
        "LSTM" => Box::new(LSTM::from_keras_config(&c)?),
        _ => return Err(c.error("class_name", format!("{what}: Bidirectional wraps SimpleRNN, GRU or LSTM"))),
    })
}

/// `{"module": "keras.layers", "class_name", "config", "registered_name": null}`.
fn entry(layer: &dyn Recurrent) -> Result<Value> {
    let config = layer.keras_config()?;
    Ok(json!({"module": "keras.layers", "class_name": layer.type_name(), "config": config, "registered_name": null}))
}

impl Bidirectional {
    /// The (unbuilt) wrapper a Keras `Bidirectional` config describes: `layer` (the
    /// forward layer, as Keras writes it), `backward_layer` (when missing, a copy of
    /// `layer` running the other way) and `merge_mode`.
    pub(crate) fn from_keras_config(c: &KerasConfig) -> Result<Self> {
        let merge_mode = match c.str_opt("merge_mode")? {
            Some("concat") => MergeMode::Concat,
            Some("sum") => MergeMode::Sum,
            Some("mul") => MergeMode::Mul,
            Some("ave") => MergeMode::Ave,
            Some(other) => return Err(c.error("merge_mode", format!("unknown merge mode {other:?}"))),
            None => return Err(c.error("merge_mode", "merge_mode None (a list of outputs) is not supported")),
        };
        let forward = recurrent_from(c.get("layer").ok_or_else(|| c.error("layer", "missing"))?, "layer")?;
        let backward = match c.get("backward_layer") {
            Some(entry) => recurrent_from(entry, "backward_layer")?,
            None => {
                let mut b = forward.fresh();
                b.options_mut().go_backwards = !forward.options().go_backwards;
                let inner = forward.name().strip_prefix("forward_").unwrap_or(forward.name()).to_string();
                b.set_name(&format!("backward_{inner}"));
                b
            }
        };
        if forward.options().return_sequences != backward.options().return_sequences {
            return Err(c.error("backward_layer", "return_sequences differs from the forward layer's"));
        }
        let mut core: LayerCore = c.core("bidirectional")?;
        core.trainable = c.bool_or("trainable", true)?;
        let mut bi = Bidirectional { core, forward, backward, merge_mode };
        let trainable = bi.core.trainable;
        bi.set_trainable(trainable);
        Ok(bi)
    }

    /// Its Keras config.
    pub(crate) fn to_keras_config(&self) -> Result<Value> {
        let mut c = base_config(&self.core);
        let mode = match self.merge_mode {
            MergeMode::Concat => "concat",
            MergeMode::Sum => "sum",
            MergeMode::Mul => "mul",
            MergeMode::Ave => "ave",
        };
        c.insert("merge_mode".into(), json!(mode));
        c.insert("layer".into(), entry(self.forward.as_ref())?);
        c.insert("backward_layer".into(), entry(self.backward.as_ref())?);
        if self.forward.type_name() != self.backward.type_name() {
            return Err(unserializable(&self.label(), "forward and backward layers of different classes"));
        }
        Ok(c.into())
    }
}
