//! Keras configs: the typed key reader layers rebuild themselves from, and the keys every
//! layer writes.

use serde_json::{Map, Value, json};

use derin_tensor::{Padding, Padding1d};

use crate::DataFormat;
use crate::activation::Activation;
use crate::error::{Error, Result};
use crate::module::LayerCore;
use crate::regularizer::Regularizer;

/// What [`mark_keras2_activations`] writes for Keras 2's `"hard_sigmoid"`.
const KERAS2_HARD_SIGMOID: &str = "derin:hard_sigmoid_keras2";

/// Rewrites every `"activation": "hard_sigmoid"` in the config of a model written by
/// Keras 2 (`keras_version` 2.x), whose hard sigmoid is `0.2x + 0.5`, so that it loads as
/// [`Activation::HardSigmoidKeras2`] rather than as Keras 3's `(x + 3)/6`.
#[cfg(feature = "hdf5")]
pub(crate) fn mark_keras2_activations(config: &mut Value) {
    match config {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                if key == "activation" && value.as_str() == Some("hard_sigmoid") {
                    *value = Value::from(KERAS2_HARD_SIGMOID);
                } else {
                    mark_keras2_activations(value);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mark_keras2_activations),
        _ => {}
    }
}

/// A layer's Keras config (`{"name": …, "units": …}`) with typed getters whose errors name
/// the layer and the key. What a layer's `from_keras_config` reads from.
pub(crate) struct KerasConfig<'a> {
    class: &'a str,
    map: &'a Map<String, Value>,
}

impl<'a> KerasConfig<'a> {
    /// The config of a layer of Keras class `class`; `Err` unless `value` is an object.
    pub(crate) fn new(class: &'a str, value: &'a Value) -> Result<Self> {
        match value {
            Value::Object(map) => Ok(KerasConfig { class, map }),
            other => Err(Error::Config {
                layer: class.to_string(),
                key: "config".into(),
                reason: format!("expected an object, got {}", kind(other)),
            }),
        }
    }

    /// `name (Class)`, or the class alone when the config has no name.
    pub(crate) fn who(&self) -> String {
        match self.map.get("name").and_then(Value::as_str) {
            Some(name) => format!("{name} ({})", self.class),
            None => self.class.to_string(),
        }
    }

    /// A [`Error::Config`] naming this layer and `key`.
    pub(crate) fn error(&self, key: &str, reason: impl Into<String>) -> Error {
        Error::Config { layer: self.who(), key: key.to_string(), reason: reason.into() }
    }

    /// The value of `key`; `None` when missing or `null`.
    pub(crate) fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    fn require(&self, key: &str) -> Result<&'a Value> {
        self.get(key).ok_or_else(|| self.error(key, "missing"))
    }

    fn mistyped(&self, key: &str, want: &str, got: &Value) -> Error {
        self.error(key, format!("expected {want}, got {}", kind(got)))
    }

    /// A non-negative integer.
    pub(crate) fn usize(&self, key: &str) -> Result<usize> {
        let v = self.require(key)?;
        v.as_u64().map(|n| n as usize).ok_or_else(|| self.mistyped(key, "a non-negative integer", v))
    }

    /// A number.
    pub(crate) fn f32(&self, key: &str) -> Result<f32> {
        let v = self.require(key)?;
        v.as_f64().map(|x| x as f32).ok_or_else(|| self.mistyped(key, "a number", v))
    }

    /// A number, `default` when missing or `null`.
    pub(crate) fn f32_or(&self, key: &str, default: f32) -> Result<f32> {
        if self.get(key).is_none() { Ok(default) } else { self.f32(key) }
    }

    /// A boolean, `default` when missing or `null`.
    pub(crate) fn bool_or(&self, key: &str, default: bool) -> Result<bool> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => v.as_bool().ok_or_else(|| self.mistyped(key, "true or false", v)),
        }
    }

    /// A string, `None` when missing or `null`.
    pub(crate) fn str_opt(&self, key: &str) -> Result<Option<&'a str>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v.as_str().map(Some).ok_or_else(|| self.mistyped(key, "a string", v)),
        }
    }

    /// A list of non-negative integers (a shape, axes).
    pub(crate) fn usize_list(&self, key: &str) -> Result<Vec<usize>> {
        let v = self.require(key)?;
        let list = v.as_array().ok_or_else(|| self.mistyped(key, "a list of integers", v))?;
        list.iter()
            .map(|x| x.as_u64().map(|n| n as usize).ok_or_else(|| self.mistyped(key, "a list of integers", v)))
            .collect()
    }

    /// An activation by Keras name; `Linear` when missing or `null` (Keras' `None`).
    pub(crate) fn activation(&self, key: &str) -> Result<Activation> {
        match self.get(key) {
            None => Ok(Activation::Linear),
            Some(Value::String(name)) if name == KERAS2_HARD_SIGMOID => Ok(Activation::HardSigmoidKeras2),
            Some(Value::String(name)) => {
                Activation::from_keras_name(name).ok_or_else(|| self.error(key, format!("unknown activation {name:?}")))
            }
            Some(other) => Err(self.mistyped(key, "an activation name", other)),
        }
    }

    /// A regularizer config, `None` when missing or `null`.
    pub(crate) fn regularizer(&self, key: &str) -> Result<Option<Regularizer>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => Regularizer::from_keras_config(v).map(Some).map_err(|e| match e {
                Error::Config { key: inner, reason, .. } => self.error(key, format!("{inner}: {reason}")),
                other => other,
            }),
        }
    }

    /// `Err` when `key` holds anything but `null` or `default`: an option Derin does not
    /// have (`what` says which).
    pub(crate) fn unsupported(&self, key: &str, default: &Value, what: &str) -> Result<()> {
        match self.get(key) {
            Some(v) if v != default => Err(self.error(key, format!("{what} is not supported (got {v})"))),
            _ => Ok(()),
        }
    }

    /// An axis or a list of axes (may be negative): `axis: -1` or `[1, 2]`.
    pub(crate) fn axes(&self, key: &str) -> Result<Vec<isize>> {
        let v = self.require(key)?;
        let one = |x: &Value| x.as_i64().map(|a| a as isize);
        if let Some(a) = one(v) {
            return Ok(vec![a]);
        }
        let list = v.as_array().ok_or_else(|| self.mistyped(key, "an axis or a list of axes", v))?;
        list.iter().map(|x| one(x).ok_or_else(|| self.mistyped(key, "a list of integers", v))).collect()
    }

    /// `n` sizes from an integer (repeated) or a list of `n` integers (`kernel_size: 3` or
    /// `[3, 3]`).
    pub(crate) fn sizes(&self, key: &str, n: usize) -> Result<Vec<usize>> {
        let v = self.require(key)?;
        if let Some(k) = v.as_u64() {
            return Ok(vec![k as usize; n]);
        }
        let list = self.usize_list(key)?;
        if list.len() != n {
            return Err(self.error(key, format!("expected {n} integers, got {}", list.len())));
        }
        Ok(list)
    }

    /// `data_format`: `"channels_last"` (Keras' default, also when missing) or
    /// `"channels_first"`.
    pub(crate) fn data_format(&self) -> Result<DataFormat> {
        match self.str_opt("data_format")? {
            None | Some("channels_last") => Ok(DataFormat::ChannelsLast),
            Some("channels_first") => Ok(DataFormat::ChannelsFirst),
            Some(other) => Err(self.error("data_format", format!("unknown data format {other:?}"))),
        }
    }

    /// A 2-D `padding`: `"valid"` (default) or `"same"`.
    pub(crate) fn padding2d(&self) -> Result<Padding> {
        match self.str_opt("padding")? {
            None | Some("valid") => Ok(Padding::Valid),
            Some("same") => Ok(Padding::Same),
            Some(other) => Err(self.error("padding", format!("unknown padding {other:?}"))),
        }
    }

    /// A 1-D `padding`: `"valid"` (default), `"same"` or `"causal"`.
    pub(crate) fn padding1d(&self) -> Result<Padding1d> {
        match self.str_opt("padding")? {
            None | Some("valid") => Ok(Padding1d::Valid),
            Some("same") => Ok(Padding1d::Same),
            Some("causal") => Ok(Padding1d::Causal),
            Some(other) => Err(self.error("padding", format!("unknown padding {other:?}"))),
        }
    }

    /// `Err` unless each of `keys` is missing, `null` or `false`/`0` (options Derin
    /// does not have: constraints, activity regularizers, `stateful`, …).
    pub(crate) fn unsupported_all(&self, keys: &[&str]) -> Result<()> {
        for &key in keys {
            match self.get(key) {
                None | Some(Value::Bool(false)) => {}
                Some(Value::Number(n)) if n.as_f64() == Some(0.0) => {}
                Some(v) => return Err(self.error(key, format!("{key} is not supported (got {v})"))),
            }
        }
        Ok(())
    }

    /// The name (`default_name` when missing) and the `trainable` flag (default `true`).
    pub(crate) fn core(&self, default_name: &str) -> Result<LayerCore> {
        let mut core = LayerCore::new(self.str_opt("name")?.unwrap_or(default_name));
        core.trainable = self.bool_or("trainable", true)?;
        Ok(core)
    }
}

/// What a JSON value is, in words, for error messages.
pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// The keys every Keras layer config starts with: `name`, `trainable`, `dtype`.
pub(crate) fn base_config(core: &LayerCore) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert("name".into(), json!(core.name));
    map.insert("trainable".into(), json!(core.trainable));
    map.insert("dtype".into(), json!("float32"));
    map
}

/// A Keras initializer entry (`{"module": "keras.initializers", "class_name": …}`).
pub(crate) fn initializer(class: &str, config: Value) -> Value {
    json!({"module": "keras.initializers", "class_name": class, "config": config, "registered_name": null})
}

/// Keras' spelling of a data format.
pub(crate) fn data_format_value(f: DataFormat) -> Value {
    json!(match f {
        DataFormat::ChannelsFirst => "channels_first",
        DataFormat::ChannelsLast => "channels_last",
    })
}

/// Keras' spelling of a 2-D padding; explicit amounts have none.
pub(crate) fn padding2d_value(label: &str, p: Padding) -> Result<Value> {
    match p {
        Padding::Valid => Ok(json!("valid")),
        Padding::Same => Ok(json!("same")),
        other => Err(unserializable(label, format!("padding {other:?} has no Keras name"))),
    }
}

/// Keras' spelling of a 1-D padding; explicit amounts have none.
pub(crate) fn padding1d_value(label: &str, p: Padding1d) -> Result<Value> {
    match p {
        Padding1d::Valid => Ok(json!("valid")),
        Padding1d::Same => Ok(json!("same")),
        Padding1d::Causal => Ok(json!("causal")),
        other => Err(unserializable(label, format!("padding {other:?} has no Keras name"))),
    }
}

/// [`Error::Unserializable`] for `label`.
pub(crate) fn unserializable(label: &str, reason: impl Into<String>) -> Error {
    Error::Unserializable { layer: label.to_string(), reason: reason.into() }
}

/// `x` as the JSON number with its shortest decimal form (`0.01`, not
/// `0.009999999776482582`), which reads back as the same `f32`.
pub(crate) fn f32_value(x: f32) -> Value {
    let shortest: f64 = x.to_string().parse().unwrap_or(f64::from(x));
    json!(shortest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn getters_name_the_layer_and_key() {
        let v = json!({"name": "d", "units": "3", "rate": 0.5, "dims": [2, -1]});
        let c = KerasConfig::new("Dense", &v).unwrap();
        assert_eq!(
            c.usize("units").unwrap_err().to_string(),
            "d (Dense): config key \"units\": expected a non-negative integer, got a string"
        );
        assert_eq!(c.f32("missing").unwrap_err().to_string(), "d (Dense): config key \"missing\": missing");
        assert_eq!(c.f32("rate").unwrap(), 0.5);
        assert!(c.usize_list("dims").is_err());
        assert_eq!(c.activation("activation").unwrap(), Activation::Linear);
        assert!(KerasConfig::new("Dense", &json!([1])).is_err());
    }

    #[test]
    fn f32_values_are_written_shortest() {
        assert_eq!(f32_value(0.01).to_string(), "0.01");
        assert_eq!(f32_value(0.1).as_f64().unwrap() as f32, 0.1);
    }
}
