//! `layer_from_config`: the one place that maps Keras class names to Derin layers.

use serde_json::Value;

use crate::activation::ActivationLayer;
use crate::error::{Error, Result};
use crate::layers::{
    Add, Average, AveragePooling1D, AveragePooling2D, BatchNormalization, Bidirectional, Concatenate, Conv1D, Conv2D,
    Conv2DTranspose, Cropping2D, Dense, DepthwiseConv2D, Dropout, Embedding, Flatten, GRU, GlobalAveragePooling1D,
    GlobalAveragePooling2D, GlobalMaxPooling1D, GlobalMaxPooling2D, LSTM, LayerNormalization, Masking, MaxPooling1D,
    MaxPooling2D, MergeLayer, Multiply, Normalization, Permute, ReLU, Rescaling, Reshape, SeparableConv2D, SimpleRNN,
    UpSampling2D, ZeroPadding2D,
};
use crate::module::Module;
use crate::serialize::KerasConfig;

/// The Keras class names [`layer_from_config`] knows.
const KNOWN: &str = "Activation, AveragePooling1D, AveragePooling2D, BatchNormalization, Bidirectional, \
Conv1D, Conv2D, Conv2DTranspose, Cropping2D, Dense, DepthwiseConv2D, Dropout, Embedding, Flatten, GRU, GlobalAveragePooling1D, \
GlobalAveragePooling2D, GlobalMaxPooling1D, GlobalMaxPooling2D, LSTM, LayerNormalization, Masking, MaxPooling1D, \
MaxPooling2D, Normalization, Permute, ReLU, Rescaling, Reshape, SeparableConv2D, SimpleRNN, UpSampling2D, ZeroPadding2D";

/// Rebuilds a layer from its Keras class name and config (what
/// [`Module::keras_config`] wrote, or what Keras' `get_config()` returns). The layer is
/// not built: [`Sequential::add`](crate::Sequential::add) builds it for its input.
///
/// A new layer type plugs in with one arm here calling its `from_keras_config`.
///
/// # Errors
/// [`Error::Config`] naming the layer and the key: an unknown class name (key
/// `class_name`), a missing or mistyped key, an option Derin does not have.
///
/// ```
/// use derin_nn::{Activation, Dense, Module, layer_from_config};
/// let config = Dense::new(4, Activation::Tanh).named("hidden").keras_config().unwrap();
/// let layer = layer_from_config("Dense", &config).unwrap();
/// assert_eq!(layer.label(), "hidden (Dense)");
/// assert_eq!(layer.output_shape(&[3]).unwrap(), vec![4]);
/// assert_eq!(layer.keras_config().unwrap(), config);
///
/// let err = layer_from_config("Conv7D", &config).err().unwrap();
/// assert!(err.to_string().starts_with("hidden (Conv7D): config key \"class_name\": unknown layer class"));
/// ```
pub fn layer_from_config(class_name: &str, config: &Value) -> Result<Box<dyn Module>> {
    let c = KerasConfig::new(class_name, config)?;
    Ok(match class_name {
        "Activation" => Box::new(ActivationLayer::from_keras_config(&c)?),
        "AveragePooling1D" => Box::new(AveragePooling1D::from_keras_config(&c)?),
        "AveragePooling2D" => Box::new(AveragePooling2D::from_keras_config(&c)?),
        "BatchNormalization" => Box::new(BatchNormalization::from_keras_config(&c)?),
        "Bidirectional" => Box::new(Bidirectional::from_keras_config(&c)?),
        "Conv1D" => Box::new(Conv1D::from_keras_config(&c)?),
        "Conv2D" => Box::new(Conv2D::from_keras_config(&c)?),
        "Conv2DTranspose" => Box::new(Conv2DTranspose::from_keras_config(&c)?),
        "Cropping2D" => Box::new(Cropping2D::from_keras_config(&c)?),
        "Dense" => Box::new(Dense::from_keras_config(&c)?),
        "DepthwiseConv2D" => Box::new(DepthwiseConv2D::from_keras_config(&c)?),
        "Dropout" => Box::new(Dropout::from_keras_config(&c)?),
        "Embedding" => Box::new(Embedding::from_keras_config(&c)?),
        "Flatten" => Box::new(Flatten::from_keras_config(&c)?),
        "GRU" => Box::new(GRU::from_keras_config(&c)?),
        "GlobalAveragePooling1D" => Box::new(GlobalAveragePooling1D::from_keras_config(&c)?),
        "GlobalAveragePooling2D" => Box::new(GlobalAveragePooling2D::from_keras_config(&c)?),
        "GlobalMaxPooling1D" => Box::new(GlobalMaxPooling1D::from_keras_config(&c)?),
        "GlobalMaxPooling2D" => Box::new(GlobalMaxPooling2D::from_keras_config(&c)?),
        "LSTM" => Box::new(LSTM::from_keras_config(&c)?),
        "LayerNormalization" => Box::new(LayerNormalization::from_keras_config(&c)?),
        "Masking" => Box::new(Masking::from_keras_config(&c)?),
        "MaxPooling1D" => Box::new(MaxPooling1D::from_keras_config(&c)?),
        "MaxPooling2D" => Box::new(MaxPooling2D::from_keras_config(&c)?),
        "Permute" => Box::new(Permute::from_keras_config(&c)?),
        "ReLU" => Box::new(ReLU::from_keras_config(&c)?),
        "Rescaling" => Box::new(Rescaling::from_keras_config(&c)?),
        "Normalization" => Box::new(Normalization::from_keras_config(&c)?),
        "Reshape" => Box::new(Reshape::from_keras_config(&c)?),
        "SeparableConv2D" => Box::new(SeparableConv2D::from_keras_config(&c)?),
        "SimpleRNN" => Box::new(SimpleRNN::from_keras_config(&c)?),
        "UpSampling2D" => Box::new(UpSampling2D::from_keras_config(&c)?),
        "ZeroPadding2D" => Box::new(ZeroPadding2D::from_keras_config(&c)?),
        _ => return Err(c.error("class_name", format!("unknown layer class (Derin reads {KNOWN})"))),
    })
}

/// The Keras merge classes [`merge_layer_from_config`] knows.
const KNOWN_MERGE: &str = "Add, Average, Concatenate, Multiply";

/// Rebuilds a merge layer (one that takes several inputs, used by
/// [`Graph::merge`](crate::Graph::merge)) from its Keras class name and config, as
/// [`layer_from_config`] does for one-input layers. `Concatenate`'s `axis` counts the
/// batch axis as 0 in both libraries, so it is kept as written.
///
/// # Errors
/// [`Error::Config`] naming the layer and the key: an unknown class name (key
/// `class_name`), a mistyped key.
///
/// ```
/// use derin_nn::{Concatenate, MergeLayer, merge_layer_from_config};
/// let config = Concatenate::new(-2).named("joined").keras_config().unwrap();
/// let layer = merge_layer_from_config("Concatenate", &config).unwrap();
/// assert_eq!(layer.label(), "joined (Concatenate)");
/// assert_eq!(layer.output_shape(&[vec![2, 3], vec![1, 3]]).unwrap(), vec![3, 3]);
///
/// let err = merge_layer_from_config("Subtract", &serde_json::json!({"name": "diff"})).err().unwrap();
/// assert!(err.to_string().starts_with("diff (Subtract): config key \"class_name\": unknown merge layer class"));
/// ```
pub fn merge_layer_from_config(class_name: &str, config: &Value) -> Result<Box<dyn MergeLayer>> {
    let c = KerasConfig::new(class_name, config)?;
    let mut layer: Box<dyn MergeLayer> = match class_name {
        "Add" => Box::new(Add::new()),
        "Average" => Box::new(Average::new()),
        "Multiply" => Box::new(Multiply::new()),
        "Concatenate" => {
            let axis = match c.get("axis") {
                None => -1,
                Some(_) => match c.axes("axis")?.as_slice() {
                    [a] => *a,
                    _ => return Err(c.error("axis", "expected one axis")),
                },
            };
            Box::new(Concatenate::new(axis))
        }
        _ => return Err(c.error("class_name", format!("unknown merge layer class (Derin reads {KNOWN_MERGE})"))),
    };
    let default = layer.default_name();
    *layer.core_mut() = c.core(&default)?;
    Ok(layer)
}

/// Whether `class_name` is a merge layer class [`merge_layer_from_config`] reads.
pub(crate) fn is_merge_class(class_name: &str) -> bool {
    KNOWN_MERGE.split(", ").any(|k| k == class_name)
}

/// The class name and config of one `{"class_name": …, "config": …}` entry.
pub(crate) fn class_and_config<'a>(entry: &'a Value, what: &str) -> Result<(&'a str, &'a Value)> {
    let error =
        |reason: &str| Error::Config { layer: what.to_string(), key: "class_name".into(), reason: reason.into() };
    let class = entry.get("class_name").ok_or_else(|| error("missing"))?;
    let class = class.as_str().ok_or_else(|| error("expected a string"))?;
    let config = entry.get("config").ok_or_else(|| Error::Config {
        layer: class.to_string(),
        key: "config".into(),
        reason: "missing".into(),
    })?;
    Ok((class, config))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::Activation;
    use crate::regularizer::Regularizer;
    use serde_json::json;

    #[test]
    fn every_layer_round_trips_through_its_config() {
        let layers: Vec<Box<dyn Module>> = vec![
            Box::new(
                Dense::new(3, Activation::Softmax)
                    .without_bias()
                    .with_kernel_regularizer(Regularizer::L2(0.01))
                    .with_bias_regularizer(Regularizer::L1L2 { l1: 0.5, l2: 0.25 })
                    .named("head"),
            ),
            Box::new(Dropout::new(0.3).unwrap()),
            Box::new(Flatten::new()),
            Box::new(Reshape::new(&[2, 3])),
            Box::new(Permute::new(&[2, 1]).unwrap()),
            Box::new(ActivationLayer::new(Activation::Gelu)),
        ];
        for layer in layers {
            let config = layer.keras_config().unwrap();
            let back = layer_from_config(layer.type_name(), &config).unwrap();
            assert_eq!(back.label(), layer.label());
            assert_eq!(back.keras_config().unwrap(), config, "{}", layer.label());
        }
    }

    #[test]
    fn keras_written_configs_are_read() {
        // Abridged from a Keras 3.15 model_config (see reference/keras_h5.py).
        let dense = json!({"name": "dense_2", "trainable": false, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}},
            "units": 4, "activation": "tanh", "use_bias": true,
            "kernel_regularizer": {"module": "keras.regularizers", "class_name": "L2", "config": {"l2": 0.01}, "registered_name": null},
            "bias_regularizer": null, "kernel_constraint": null, "bias_constraint": null, "quantization_config": null});
        let layer = layer_from_config("Dense", &dense).unwrap();
        assert_eq!(layer.label(), "dense_2 (Dense)");
        assert!(!layer.trainable());
        let c = layer.keras_config().unwrap();
        assert_eq!((c["activation"].as_str(), &c["kernel_regularizer"]["config"]["l2"]), (Some("tanh"), &json!(0.01)));
    }

    #[test]
    fn bad_configs_name_the_layer_and_key() {
        let cases = [
            ("Dense", json!({"name": "d"}), "d (Dense): config key \"units\": missing"),
            (
                "Dense",
                json!({"name": "d", "units": 2, "activation": "threshold"}),
                "d (Dense): config key \"activation\": unknown activation \"threshold\"",
            ),
            (
                "Dense",
                json!({"name": "d", "units": 2, "use_bias": 1}),
                "d (Dense): config key \"use_bias\": expected true or false, got a number",
            ),
            (
                "Dense",
                json!({"name": "d", "units": 2, "kernel_regularizer": {"class_name": "L3"}}),
                "d (Dense): config key \"kernel_regularizer\": class_name: unknown regularizer \"L3\" (Derin has L1, L2, L1L2)",
            ),
            ("Dropout", json!({"name": "x", "rate": 1.5}), "x (Dropout): config key \"rate\": 1.5 is not in [0, 1)"),
            (
                "Dropout",
                json!({"name": "x", "rate": 0.5, "noise_shape": [1, "3"]}),
                "x (Dropout): config key \"noise_shape\": must be null or a list of sizes and nulls (got [1,\"3\"])",
            ),
            (
                "Flatten",
                json!({"data_format": "channels_first"}),
                "Flatten: config key \"data_format\": data_format other than \"channels_last\" is not supported (got \"channels_first\")",
            ),
            (
                "Reshape",
                json!({"target_shape": "2x2"}),
                "Reshape: config key \"target_shape\": expected a list of integers, got a string",
            ),
            (
                "Permute",
                json!({"dims": [1, 1]}),
                "Permute: config key \"dims\": Permute dims [1, 1]: 0 is not in a permutation of 1..=len (no repeats)",
            ),
            ("Activation", json!({"name": "a"}), "a (Activation): config key \"activation\": missing"),
            (
                "Conv3D",
                json!({"name": "c"}),
                "c (Conv3D): config key \"class_name\": unknown layer class (Derin reads Activation, AveragePooling1D, AveragePooling2D, BatchNormalization, Bidirectional, Conv1D, Conv2D, Conv2DTranspose, Cropping2D, Dense, DepthwiseConv2D, Dropout, Embedding, Flatten, GRU, GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalMaxPooling1D, GlobalMaxPooling2D, LSTM, LayerNormalization, Masking, MaxPooling1D, MaxPooling2D, Normalization, Permute, ReLU, Rescaling, Reshape, SeparableConv2D, SimpleRNN, UpSampling2D, ZeroPadding2D)",
            ),
        ];
        for (class, config, want) in cases {
            let got = layer_from_config(class, &config).err().map(|e| e.to_string());
            assert_eq!(got.as_deref(), Some(want));
        }
    }

    #[test]
    fn merge_layers_round_trip_through_their_configs() {
        let layers: Vec<Box<dyn MergeLayer>> = vec![
            Box::new(Add::new().named("plus")),
            Box::new(Multiply::new()),
            Box::new(Average::new()),
            Box::new(Concatenate::new(1).named("cat")),
        ];
        for layer in layers {
            let config = layer.keras_config().unwrap();
            let back = merge_layer_from_config(layer.type_name(), &config).unwrap();
            assert_eq!(back.label(), layer.label());
            assert_eq!(back.keras_config().unwrap(), config);
            assert!(is_merge_class(layer.type_name()));
        }
        // Abridged from Keras 3.15 (reference/keras_functional.py): a DTypePolicy dtype.
        let keras = json!({"name": "cat", "trainable": false, "axis": -1,
            "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}}});
        let cat = merge_layer_from_config("Concatenate", &keras).unwrap();
        assert_eq!((cat.label(), cat.core().trainable), ("cat (Concatenate)".to_string(), false));
        assert_eq!(cat.output_shape(&[vec![2], vec![3]]).unwrap(), vec![5]);
        let err = merge_layer_from_config("Concatenate", &json!({"name": "c", "axis": "last"})).err().unwrap();
        assert!(err.to_string().starts_with("c (Concatenate): config key \"axis\""), "{err}");
        assert!(merge_layer_from_config("Add", &json!([])).is_err());
        assert!(!is_merge_class("Dense"));
    }

    #[test]
    fn unserializable_settings_are_errors() {
        let err = Dense::new(2, Activation::LeakyRelu(0.1)).keras_config().unwrap_err().to_string();
        assert!(err.starts_with("dense (Dense) cannot be saved: activation LeakyRelu(0.1) has no Keras name"), "{err}");
    }
}
