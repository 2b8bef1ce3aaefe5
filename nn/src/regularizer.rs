//! Weight penalties added to the loss: L1, L2 and both.

use derin_optim::{l1_penalty, l2_penalty};
use derin_tensor::{Param, Tensor};
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::serialize::{KerasConfig, f32_value};

/// A penalty on a weight, added to the training loss (Keras' `regularizers`).
///
/// - `L1(λ)`: `λ·Σ|w|`, pushes weights to exactly zero (sparse models).
/// - `L2(λ)`: `λ·Σw²`, "weight decay", keeps weights small against over-fitting.
/// - `L1L2 { l1, l2 }`: both.
///
/// Keras' default factor is 0.01 ([`Regularizer::l1`], [`Regularizer::l2`]).
///
/// ```
/// use derin_nn::Regularizer;
/// use derin_tensor::{Param, Tensor};
/// let w = Param::new("kernel", Tensor::from_vec(vec![1.0, -2.0], &[2]).to_array());
/// assert!((Regularizer::L2(0.1).penalty(&w).item() - 0.5).abs() < 1e-6);
/// assert!((Regularizer::L1(0.1).penalty(&w).item() - 0.3).abs() < 1e-6);
/// let both = Regularizer::L1L2 { l1: 0.1, l2: 0.1 };
/// assert!((both.penalty(&w).item() - 0.8).abs() < 1e-6);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Regularizer {
    /// `λ·Σ|w|`.
    L1(f32),
    /// `λ·Σw²`.
    L2(f32),
    /// `l1·Σ|w| + l2·Σw²`.
    L1L2 {
        /// The L1 factor.
        l1: f32,
        /// The L2 factor.
        l2: f32,
    },
}

impl Regularizer {
    /// L1 with Keras' default factor 0.01.
    ///
    /// ```
    /// # use derin_nn::Regularizer;
    /// assert_eq!(Regularizer::l1(), Regularizer::L1(0.01));
    /// ```
    pub fn l1() -> Self {
        Regularizer::L1(0.01)
    }

    /// L2 with Keras' default factor 0.01.
    ///
    /// ```
    /// # use derin_nn::Regularizer;
    /// assert_eq!(Regularizer::l2(), Regularizer::L2(0.01));
    /// ```
    pub fn l2() -> Self {
        Regularizer::L2(0.01)
    }

    /// The penalty on `param`, a scalar that gradients flow through.
    ///
    /// ```
    /// # use derin_nn::Regularizer;
    /// # use derin_tensor::{Param, Tensor};
    /// let w = Param::new("kernel", Tensor::from_vec(vec![3.0], &[1]).to_array());
    /// let grads = Regularizer::L2(0.5).penalty(&w).backward();
    /// assert_eq!(grads.param(&w).unwrap().as_slice().unwrap(), &[3.0]); // 2·0.5·3
    /// ```
    pub fn penalty(&self, param: &Param) -> Tensor {
        let p = std::slice::from_ref(param);
        match *self {
            Regularizer::L1(l1) => l1_penalty(p, l1),
            Regularizer::L2(l2) => l2_penalty(p, l2),
            Regularizer::L1L2 { l1, l2 } => l1_penalty(p, l1) + l2_penalty(p, l2),
        }
    }

    /// The regularizer as Keras serializes it:
    /// `{"module": "keras.regularizers", "class_name": "L2", "config": {"l2": 0.01}, "registered_name": null}`.
    ///
    /// ```
    /// # use derin_nn::Regularizer;
    /// let c = Regularizer::L2(0.01).to_keras_config();
    /// assert_eq!(c["class_name"], "L2");
    /// assert_eq!(c["config"]["l2"], 0.01);
    /// assert_eq!(Regularizer::from_keras_config(&c).unwrap(), Regularizer::L2(0.01));
    /// ```
    pub fn to_keras_config(&self) -> Value {
        let (class, config) = match *self {
            Regularizer::L1(l1) => ("L1", json!({"l1": f32_value(l1)})),
            Regularizer::L2(l2) => ("L2", json!({"l2": f32_value(l2)})),
            Regularizer::L1L2 { l1, l2 } => ("L1L2", json!({"l1": f32_value(l1), "l2": f32_value(l2)})),
        };
        json!({"module": "keras.regularizers", "class_name": class, "config": config, "registered_name": null})
    }

    /// Reads a Keras regularizer config: `{"class_name": "L1" | "L2" | "L1L2", "config":
    /// {…}}`, or a bare name `"l1"`, `"l2"`, `"l1_l2"` (factor 0.01, as Keras).
    ///
    /// # Errors
    /// [`Error::Config`] naming the key for an unknown class or a missing or mistyped
    /// factor.
    ///
    /// ```
    /// # use derin_nn::Regularizer;
    /// # use serde_json::json;
    /// let both = json!({"class_name": "L1L2", "config": {"l1": 0.5, "l2": 0.25}});
    /// assert_eq!(Regularizer::from_keras_config(&both).unwrap(), Regularizer::L1L2 { l1: 0.5, l2: 0.25 });
    /// assert_eq!(Regularizer::from_keras_config(&json!("l2")).unwrap(), Regularizer::l2());
    /// let err = Regularizer::from_keras_config(&json!({"class_name": "L2", "config": {}})).unwrap_err();
    /// assert_eq!(err.to_string(), "L2: config key \"l2\": missing");
    /// ```
    pub fn from_keras_config(value: &Value) -> Result<Self> {
        let error = |key: &str, reason: String| Error::Config { layer: "regularizer".into(), key: key.into(), reason };
        let (class, config) = match value {
            Value::String(name) => match name.as_str() {
                "l1" => return Ok(Regularizer::l1()),
                "l2" => return Ok(Regularizer::l2()),
                "l1_l2" => return Ok(Regularizer::L1L2 { l1: 0.01, l2: 0.01 }),
                other => return Err(error("class_name", format!("unknown regularizer {other:?}"))),
            },
            Value::Object(map) => {
                let class = map.get("class_name").and_then(Value::as_str);
                let config = map.get("config").unwrap_or(&Value::Null);
                (class.ok_or_else(|| error("class_name", "missing or not a string".into()))?, config)
            }
            other => return Err(error("class_name", format!("expected an object or a name, got {other}"))),
        };
        let empty = json!({});
        let c = KerasConfig::new(class, if config.is_null() { &empty } else { config })?;
        match class {
            "L1" => Ok(Regularizer::L1(c.f32("l1")?)),
            "L2" => Ok(Regularizer::L2(c.f32("l2")?)),
            "L1L2" => Ok(Regularizer::L1L2 { l1: c.f32_or("l1", 0.0)?, l2: c.f32_or("l2", 0.0)? }),
            other => Err(error("class_name", format!("unknown regularizer {other:?} (Derin has L1, L2, L1L2)"))),
        }
    }
}
