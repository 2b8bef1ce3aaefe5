//! `training_config`: the loss, metrics and optimizer of a compiled model, as Keras writes
//! them, and back.

use derin_optim::{
    Adagrad, AdagradConfig, Adam, AdamConfig, AdamW, AdamWConfig, Hyperparameters, Nadam, NadamConfig, Optimizer,
    RmsProp, RmsPropConfig, Sgd, SgdConfig,
};
use serde_json::{Map, Value, json};

use crate::error::{Error, Result};
use crate::loss::Loss;
use crate::metric::Metric;
use crate::module::snake_case;
use crate::serialize::{KerasConfig, f32_value};
use crate::train::Compiled;

/// Keras' class name of the optimizer that holds `h`.
pub(crate) fn keras_class(h: &Hyperparameters) -> &'static str {
    match h {
        Hyperparameters::Sgd(_) => "SGD",
        Hyperparameters::RmsProp(_) => "RMSprop",
        Hyperparameters::Adam(_) => "Adam",
        Hyperparameters::AdamW(_) => "AdamW",
        Hyperparameters::Adagrad(_) => "Adagrad",
        Hyperparameters::Nadam(_) => "Nadam",
    }
}

/// Keras' default optimizer name (`adam`, `rm_sprop`, …), the prefix of its variables.
pub(crate) fn keras_name(h: &Hyperparameters) -> String {
    snake_case(keras_class(h))
}

/// Keras' `training_config`: `{"loss", "loss_weights", "metrics", "weighted_metrics",
/// "optimizer_config": {"class_name", "config"}}`; `None` for a custom loss, which Keras
/// could not rebuild (the model then loads uncompiled, as in Keras).
pub(crate) fn training_config(compiled: &Compiled) -> Option<Value> {
    let metrics: Vec<&str> = compiled.metrics.iter().map(Metric::short_name).collect();
    Some(json!({
        "loss": loss_to_keras(&compiled.loss)?,
        "loss_weights": null,
        "metrics": metrics,
        "weighted_metrics": null,
        "run_eagerly": false,
        "steps_per_execution": 1,
        "jit_compile": false,
        "optimizer_config": optimizer_to_keras(&compiled.optimizer.state().hyperparameters),
    }))
}

/// The loss as Keras' string name when it has Keras' defaults, else as a class config;
/// `None` for a custom loss.
pub(crate) fn loss_to_keras(loss: &Loss) -> Option<Value> {
    let (class, name, extra) = match *loss {
        Loss::MeanSquaredError => return Some(json!("mean_squared_error")),
        Loss::MeanAbsoluteError => return Some(json!("mean_absolute_error")),
        Loss::Huber { delta: 1.0 } => return Some(json!("huber")),
        Loss::BinaryCrossentropy { from_logits: false } => return Some(json!("binary_crossentropy")),
        Loss::CategoricalCrossentropy { from_logits: false } => return Some(json!("categorical_crossentropy")),
        Loss::SparseCategoricalCrossentropy { from_logits: false } => {
            return Some(json!("sparse_categorical_crossentropy"));
        }
        Loss::Custom(_) | Loss::SmoothL1 { .. } => return None,
        Loss::Huber { delta } => ("Huber", "huber_loss", json!({"delta": f32_value(delta)})),
        Loss::BinaryCrossentropy { .. } => ("BinaryCrossentropy", "binary_crossentropy", json!({"from_logits": true})),
        Loss::CategoricalCrossentropy { .. } => {
            ("CategoricalCrossentropy", "categorical_crossentropy", json!({"from_logits": true}))
        }
        Loss::SparseCategoricalCrossentropy { .. } => {
            ("SparseCategoricalCrossentropy", "sparse_categorical_crossentropy", json!({"from_logits": true}))
        }
    };
    let mut config = json!({"name": name, "reduction": "sum_over_batch_size"});
    config.as_object_mut().expect("an object").extend(extra.as_object().expect("an object").clone());
    Some(json!({"module": "keras.losses", "class_name": class, "config": config, "registered_name": null}))
}

/// A loss from Keras' string name or class config.
pub(crate) fn loss_from_keras(value: &Value) -> Result<Loss> {
    let error = |reason: String| Error::Config { layer: "training_config".into(), key: "loss".into(), reason };
    let (class, config) = match value {
        Value::String(name) => (name.as_str(), None),
        Value::Object(map) => match map.get("class_name").and_then(Value::as_str) {
            Some(class) => (class, map.get("config")),
            None => return Err(error("a loss config without a class_name".into())),
        },
        other => return Err(error(format!("expected a name or a config, got {other}"))),
    };
    let empty = json!({});
    let c = KerasConfig::new(class, config.filter(|c| !c.is_null()).unwrap_or(&empty))?;
    let from_logits = c.bool_or("from_logits", false)?;
    c.unsupported("label_smoothing", &json!(0.0), "label_smoothing")?;
    c.unsupported("ignore_class", &Value::Null, "ignore_class")?;
    Ok(match class {
        "mean_squared_error" | "mse" | "MeanSquaredError" => Loss::MeanSquaredError,
        "mean_absolute_error" | "mae" | "MeanAbsoluteError" => Loss::MeanAbsoluteError,
        "huber" | "huber_loss" | "Huber" => Loss::Huber { delta: c.f32_or("delta", 1.0)? },
        "binary_crossentropy" | "BinaryCrossentropy" => Loss::BinaryCrossentropy { from_logits },
        "categorical_crossentropy" | "CategoricalCrossentropy" => Loss::CategoricalCrossentropy { from_logits },
        "sparse_categorical_crossentropy" | "SparseCategoricalCrossentropy" => {
            Loss::SparseCategoricalCrossentropy { from_logits }
        }
        other => return Err(error(format!("unknown loss {other:?}"))),
    })
}

/// A metric from Keras' string name (`"accuracy"`, `"mse"`, …) or class config.
pub(crate) fn metric_from_keras(value: &Value) -> Result<Metric> {
    let name = match value {
        Value::String(name) => name.as_str(),
        Value::Object(map) => map.get("class_name").and_then(Value::as_str).unwrap_or(""),
        _ => "",
    };
    Ok(match name {
        "accuracy" | "acc" | "Accuracy" => Metric::Accuracy,
        "precision" | "Precision" => Metric::Precision,
        "recall" | "Recall" => Metric::Recall,
        "f1_score" | "F1Score" => Metric::F1,
        "mse" | "mean_squared_error" | "MeanSquaredError" => Metric::MeanSquaredError,
        "mae" | "mean_absolute_error" | "MeanAbsoluteError" => Metric::MeanAbsoluteError,
        "r2_score" | "R2Score" => Metric::R2,
        _ => {
            let reason = format!("unknown metric {value}");
            return Err(Error::Config { layer: "training_config".into(), key: "metrics".into(), reason });
        }
    })
}

/// The optimizer as Keras' `{"class_name": "Adam", "config": {…}}`, with the keys Keras
/// knows. Options Keras lacks (SGD's dampening and coupled weight decay, Nadam's
/// momentum decay, Derin's epsilon placements) are kept only in the file's
/// `optimizer_weights` (`derin_hyperparameters`).
pub(crate) fn optimizer_to_keras(h: &Hyperparameters) -> Value {
    let mut c = Map::new();
    c.insert("name".into(), json!(keras_name(h)));
    c.insert("learning_rate".into(), f32_value(h.learning_rate()));
    c.insert("weight_decay".into(), Value::Null);
    for key in ["clipnorm", "global_clipnorm", "clipvalue", "ema_overwrite_frequency"] {
        c.insert(key.into(), Value::Null);
    }
    c.insert("use_ema".into(), json!(false));
    c.insert("ema_momentum".into(), json!(0.99));
    let adam = |c: &mut Map<String, Value>, b1: f32, b2: f32, eps: f32| {
        c.insert("beta_1".into(), f32_value(b1));
        c.insert("beta_2".into(), f32_value(b2));
        c.insert("epsilon".into(), f32_value(eps));
    };
    match h {
        Hyperparameters::Sgd(s) => {
            c.insert("momentum".into(), f32_value(s.momentum));
            c.insert("nesterov".into(), json!(s.nesterov));
        }
        Hyperparameters::RmsProp(r) => {
            c.insert("rho".into(), f32_value(r.rho));
            c.insert("momentum".into(), f32_value(r.momentum));
            c.insert("epsilon".into(), f32_value(r.epsilon));
            c.insert("centered".into(), json!(r.centered));
        }
        Hyperparameters::Adam(a) => {
            adam(&mut c, a.beta_1, a.beta_2, a.epsilon);
            c.insert("amsgrad".into(), json!(a.amsgrad));
        }
        Hyperparameters::AdamW(a) => {
            c.insert("weight_decay".into(), f32_value(a.weight_decay));
            adam(&mut c, a.beta_1, a.beta_2, a.epsilon);
            c.insert("amsgrad".into(), json!(a.amsgrad));
        }
        Hyperparameters::Adagrad(a) => {
            c.insert("initial_accumulator_value".into(), f32_value(a.initial_accumulator_value));
            c.insert("epsilon".into(), f32_value(a.epsilon));
        }
        Hyperparameters::Nadam(n) => adam(&mut c, n.beta_1, n.beta_2, n.epsilon),
    }
    json!({"class_name": keras_class(h), "config": c})
}

/// The optimizer a Keras `optimizer_config` describes, with Derin's (= Keras') defaults
/// for missing keys.
pub(crate) fn optimizer_from_keras(value: &Value) -> Result<Box<dyn Optimizer>> {
    let (class, config) = crate::serialize::registry::class_and_config(value, "optimizer_config")?;
    let c = KerasConfig::new(class, config)?;
    for key in ["clipnorm", "global_clipnorm", "clipvalue", "gradient_accumulation_steps"] {
        c.unsupported(key, &Value::Null, key)?;
    }
    c.unsupported("use_ema", &json!(false), "use_ema")?;
    c.unsupported("loss_scale_factor", &Value::Null, "loss_scale_factor")?;
    if c.get("learning_rate").is_some_and(|v| !v.is_number()) {
        return Err(c.error("learning_rate", "a learning-rate schedule is not supported; give a number"));
    }
    if class != "AdamW" {
        c.unsupported("weight_decay", &Value::Null, "weight_decay")?;
    }
    let h = match class {
        "SGD" => {
            let d = SgdConfig::default();
            Hyperparameters::Sgd(SgdConfig {
                learning_rate: c.f32_or("learning_rate", d.learning_rate)?,
                momentum: c.f32_or("momentum", d.momentum)?,
                nesterov: c.bool_or("nesterov", d.nesterov)?,
                ..d
            })
        }
        "RMSprop" => {
            let d = RmsPropConfig::default();
            Hyperparameters::RmsProp(RmsPropConfig {
                learning_rate: c.f32_or("learning_rate", d.learning_rate)?,
                rho: c.f32_or("rho", d.rho)?,
                momentum: c.f32_or("momentum", d.momentum)?,
                epsilon: c.f32_or("epsilon", d.epsilon)?,
                centered: c.bool_or("centered", d.centered)?,
                ..d
            })
        }
        "Adam" => {
            let d = AdamConfig::default();
            Hyperparameters::Adam(AdamConfig {
                learning_rate: c.f32_or("learning_rate", d.learning_rate)?,
                beta_1: c.f32_or("beta_1", d.beta_1)?,
                beta_2: c.f32_or("beta_2", d.beta_2)?,
                epsilon: c.f32_or("epsilon", d.epsilon)?,
                amsgrad: c.bool_or("amsgrad", d.amsgrad)?,
                ..d
            })
        }
        "AdamW" => {
            let d = AdamWConfig::default();
            Hyperparameters::AdamW(AdamWConfig {
                learning_rate: c.f32_or("learning_rate", d.learning_rate)?,
                weight_decay: c.f32_or("weight_decay", d.weight_decay)?,
                beta_1: c.f32_or("beta_1", d.beta_1)?,
                beta_2: c.f32_or("beta_2", d.beta_2)?,
                epsilon: c.f32_or("epsilon", d.epsilon)?,
                amsgrad: c.bool_or("amsgrad", d.amsgrad)?,
                ..d
            })
        }
        "Adagrad" => {
            let d = AdagradConfig::default();
            Hyperparameters::Adagrad(AdagradConfig {
                learning_rate: c.f32_or("learning_rate", d.learning_rate)?,
                initial_accumulator_value: c.f32_or("initial_accumulator_value", d.initial_accumulator_value)?,
                epsilon: c.f32_or("epsilon", d.epsilon)?,
                ..d
            })
        }
        "Nadam" => {
            let d = NadamConfig::default();
            Hyperparameters::Nadam(NadamConfig {
                learning_rate: c.f32_or("learning_rate", d.learning_rate)?,
                beta_1: c.f32_or("beta_1", d.beta_1)?,
                beta_2: c.f32_or("beta_2", d.beta_2)?,
                epsilon: c.f32_or("epsilon", d.epsilon)?,
                ..d
            })
        }
        other => {
            let reason = format!("unknown optimizer {other:?} (Derin has SGD, RMSprop, Adam, AdamW, Adagrad, Nadam)");
            return Err(c.error("class_name", reason));
        }
    };
    optimizer_from_hyperparameters(&h).map_err(|e| c.error("config", e.to_string()))
}

/// A fresh optimizer with hyperparameters `h`.
pub(crate) fn optimizer_from_hyperparameters(h: &Hyperparameters) -> derin_optim::Result<Box<dyn Optimizer>> {
    Ok(match h {
        Hyperparameters::Sgd(c) => Box::new(Sgd::try_new(*c)?),
        Hyperparameters::RmsProp(c) => Box::new(RmsProp::try_new(*c)?),
        Hyperparameters::Adam(c) => Box::new(Adam::try_new(*c)?),
        Hyperparameters::AdamW(c) => Box::new(AdamW::try_new(*c)?),
        Hyperparameters::Adagrad(c) => Box::new(Adagrad::try_new(*c)?),
        Hyperparameters::Nadam(c) => Box::new(Nadam::try_new(*c)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn losses_round_trip_through_keras_names_and_configs() {
        let all = [
            Loss::MeanSquaredError,
            Loss::MeanAbsoluteError,
            Loss::Huber { delta: 1.0 },
            Loss::Huber { delta: 2.5 },
            Loss::BinaryCrossentropy { from_logits: true },
            Loss::CategoricalCrossentropy { from_logits: false },
            Loss::SparseCategoricalCrossentropy { from_logits: true },
        ];
        for loss in all {
            assert_eq!(loss_from_keras(&loss_to_keras(&loss).unwrap()).unwrap(), loss);
        }
        assert_eq!(
            loss_to_keras(&Loss::SparseCategoricalCrossentropy { from_logits: false }).unwrap(),
            "sparse_categorical_crossentropy"
        );
        assert!(loss_to_keras(&Loss::custom("mine", |p, _| Ok(p.sum_all()))).is_none());
        let keras = json!({"class_name": "SparseCategoricalCrossentropy", "config": {"name": "sparse_categorical_crossentropy", "reduction": "sum_over_batch_size", "from_logits": true, "ignore_class": null}});
        assert_eq!(loss_from_keras(&keras).unwrap(), Loss::SparseCategoricalCrossentropy { from_logits: true });
        assert!(loss_from_keras(&json!("poisson")).unwrap_err().to_string().contains("unknown loss \"poisson\""));
    }

    #[test]
    fn optimizers_round_trip_through_keras_configs() {
        let all = [
            Hyperparameters::Sgd(SgdConfig { momentum: 0.9, nesterov: true, ..SgdConfig::default() }),
            Hyperparameters::RmsProp(RmsPropConfig { centered: true, momentum: 0.5, ..RmsPropConfig::default() }),
            Hyperparameters::Adam(AdamConfig { learning_rate: 0.01, amsgrad: true, ..AdamConfig::default() }),
            Hyperparameters::AdamW(AdamWConfig::default()),
            Hyperparameters::Adagrad(AdagradConfig::default()),
            Hyperparameters::Nadam(NadamConfig::default()),
        ];
        for h in all {
            let keras = optimizer_to_keras(&h);
            assert_eq!(optimizer_from_keras(&keras).unwrap().state().hyperparameters, h);
        }
        let rms = json!({"class_name": "RMSprop", "config": {"name": "rm_sprop", "learning_rate": 0.0010000000474974513, "clipnorm": 1.0}});
        let err = optimizer_from_keras(&rms).err().unwrap().to_string();
        assert_eq!(err, "rm_sprop (RMSprop): config key \"clipnorm\": clipnorm is not supported (got 1.0)");
    }
}
