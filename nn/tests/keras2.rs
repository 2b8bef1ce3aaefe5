//! Keras 2 (tf-keras 2.21) full-model `.h5` files, one small model per layer type and a
//! few mixed ones (reference/keras2_layers.py): each loads with `Sequential::load` and
//! predicts what Keras predicted, within 1e-5 absolute + 1e-4 relative.

use std::path::{Path, PathBuf};

use derin_nn::{Sequential, layer_from_config};
use derin_tensor::{Tensor, npy};
use serde_json::json;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/keras2")
}

/// Loads `NAME.h5`, predicts on `NAME.in.npy` and compares with `NAME.out.npy`; the
/// error message when it does not match.
fn check(name: &str) -> Result<(), String> {
    let dir = fixtures();
    let model = Sequential::load(dir.join(format!("{name}.h5"))).map_err(|e| format!("{name}: load: {e}"))?;
    let x = Tensor::from_array(npy::read_f32(dir.join(format!("{name}.in.npy"))).unwrap());
    let want = npy::read_f32(dir.join(format!("{name}.out.npy"))).unwrap();
    let got = model.predict(&x, 32).map_err(|e| format!("{name}: predict: {e}"))?;
    if got.shape() != want.shape() {
        return Err(format!("{name}: output shape {:?}, Keras {:?}", got.shape(), want.shape()));
    }
    for (i, (d, k)) in got.to_vec().iter().zip(want.iter()).enumerate() {
        if (d - k).abs() > 1e-5 + 1e-4 * k.abs() {
            return Err(format!("{name}: element {i}: Derin {d}, Keras {k} ({})", model.summary()));
        }
    }
    Ok(())
}

#[test]
fn every_keras2_fixture_loads_and_predicts_like_keras() {
    let mut names: Vec<String> = std::fs::read_dir(fixtures())
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().to_str()?.strip_suffix(".h5").map(str::to_string))
        .collect();
    names.sort();
    assert!(names.len() >= 30, "{names:?}");
    let failures: Vec<String> = names.iter().filter_map(|n| check(n).err()).collect();
    assert!(failures.is_empty(), "{} of {} failed:\n{}", failures.len(), names.len(), failures.join("\n"));
}

/// A Keras 2 layer config as tf-keras 2.21 writes it (abridged from the fixtures), with
/// `key` set to `value`.
fn keras2_config(class: &str, key: &str, value: serde_json::Value) -> serde_json::Value {
    let init =
        |c: &str| json!({"module": "keras.initializers", "class_name": c, "config": {}, "registered_name": null});
    let rnn = |extra: serde_json::Value| {
        let mut c = json!({"name": "rnn", "trainable": true, "dtype": "float32", "return_sequences": false,
            "return_state": false, "go_backwards": false, "stateful": false, "unroll": false, "time_major": false,
            "units": 2, "activation": "tanh", "use_bias": true, "kernel_initializer": init("GlorotUniform"),
            "recurrent_initializer": init("Orthogonal"), "bias_initializer": init("Zeros"), "kernel_regularizer": null,
            "recurrent_regularizer": null, "bias_regularizer": null, "activity_regularizer": null,
            "kernel_constraint": null, "recurrent_constraint": null, "bias_constraint": null, "dropout": 0.0,
            "recurrent_dropout": 0.0, "implementation": 2});
        c.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        c
    };
    let mut c = match class {
        "Dense" => json!({"name": "d", "trainable": true, "dtype": "float32", "units": 2, "activation": "linear",
            "use_bias": true, "kernel_initializer": init("GlorotUniform"), "bias_initializer": init("Zeros"),
            "kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null,
            "kernel_constraint": null, "bias_constraint": null}),
        "Conv2D" | "Conv1D" => json!({"name": "c", "trainable": true, "dtype": "float32", "filters": 2,
            "kernel_size": if class == "Conv2D" { json!([3, 3]) } else { json!([3]) },
            "strides": if class == "Conv2D" { json!([1, 1]) } else { json!([1]) }, "padding": "same",
            "data_format": "channels_last", "dilation_rate": if class == "Conv2D" { json!([1, 1]) } else { json!([1]) },
            "groups": 1, "activation": "linear", "use_bias": true, "kernel_initializer": init("GlorotUniform"),
            "bias_initializer": init("Zeros"), "kernel_regularizer": null, "bias_regularizer": null,
            "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null}),
        "BatchNormalization" => json!({"name": "bn", "trainable": true, "dtype": "float32", "axis": [3],
            "momentum": 0.99, "epsilon": 0.001, "center": true, "scale": true, "beta_initializer": init("Zeros"),
            "gamma_initializer": init("Ones"), "moving_mean_initializer": init("Zeros"),
            "moving_variance_initializer": init("Ones"), "beta_regularizer": null, "gamma_regularizer": null,
            "beta_constraint": null, "gamma_constraint": null}),
        "Embedding" => json!({"name": "e", "trainable": true, "dtype": "float32", "batch_input_shape": [null, 5],
            "input_dim": 10, "output_dim": 3, "embeddings_initializer": init("RandomUniform"),
            "embeddings_regularizer": null, "activity_regularizer": null, "embeddings_constraint": null,
            "mask_zero": false, "input_length": 5}),
        "Dropout" => json!({"name": "dr", "trainable": true, "dtype": "float32", "rate": 0.5, "noise_shape": null,
            "seed": null}),
        "SimpleRNN" => rnn(json!({})),
        "LSTM" => rnn(json!({"recurrent_activation": "sigmoid", "unit_forget_bias": true})),
        "GRU" => rnn(json!({"recurrent_activation": "sigmoid", "reset_after": false})),
        "Bidirectional" => json!({"name": "bi", "trainable": true, "dtype": "float32", "merge_mode": "concat",
            "layer": {"class_name": "GRU", "config": rnn(json!({"recurrent_activation": "sigmoid", "reset_after": false}))}}),
        other => panic!("no config for {other}"),
    };
    assert!(layer_from_config(class, &c).is_ok(), "{class}: the unmodified config loads");
    c[key] = value;
    c
}

#[test]
fn keras2_options_derin_lacks_are_errors_naming_class_layer_and_key() {
    let l2 =
        json!({"module": "keras.regularizers", "class_name": "L2", "config": {"l2": 0.01}, "registered_name": null});
    let max_norm =
        json!({"module": "keras.constraints", "class_name": "MaxNorm", "config": {"max_value": 2, "axis": 0}});
    let cases = [
        ("Dense", "activity_regularizer", l2.clone()),
        ("Dense", "kernel_constraint", max_norm.clone()),
        ("Conv2D", "activity_regularizer", l2.clone()),
        ("Conv2D", "bias_constraint", max_norm.clone()),
        ("Conv1D", "kernel_constraint", max_norm.clone()),
        ("BatchNormalization", "renorm", json!(true)),
        ("BatchNormalization", "virtual_batch_size", json!(2)),
        ("BatchNormalization", "gamma_constraint", max_norm.clone()),
        ("BatchNormalization", "axis", json!([1, 2])),
        ("Embedding", "embeddings_constraint", max_norm.clone()),
        ("Embedding", "activity_regularizer", l2.clone()),
        ("SimpleRNN", "time_major", json!(true)),
        ("SimpleRNN", "stateful", json!(true)),
        ("LSTM", "unroll", json!(true)),
        ("LSTM", "recurrent_dropout", json!(0.25)),
        ("GRU", "dropout", json!(0.5)),
        ("GRU", "recurrent_constraint", max_norm.clone()),
        ("GRU", "activation", json!("relu")),
        ("Bidirectional", "merge_mode", json!(null)),
    ];
    let mut accepted = Vec::new();
    for (class, key, value) in cases {
        let config = keras2_config(class, key, value);
        let name = config["name"].as_str().unwrap();
        match layer_from_config(class, &config) {
            Ok(_) => accepted.push(format!("{class}.{key}")),
            Err(e) => {
                let msg = e.to_string();
                let want = format!("{name} ({class}): config key \"{key}\"");
                assert!(msg.starts_with(&want), "{msg} (expected it to start with {want})");
            }
        }
    }
    assert!(accepted.is_empty(), "accepted without an error: {accepted:?}");
}

#[test]
fn older_keras2_configs_without_input_layer_or_modules_load() {
    // Keras 2.3-style: no InputLayer (the first layer holds `batch_input_shape`), string
    // dtypes, initializer and regularizer entries without `module`, Keras 2's RNN keys.
    let config = json!({"name": "sequential", "layers": [
        {"class_name": "Embedding", "config": {"name": "embedding", "trainable": true, "batch_input_shape": [null, 4],
            "dtype": "float32", "input_dim": 7, "output_dim": 3,
            "embeddings_initializer": {"class_name": "RandomUniform", "config": {"minval": -0.05, "maxval": 0.05, "seed": null}},
            "embeddings_regularizer": null, "activity_regularizer": null, "embeddings_constraint": null,
            "mask_zero": false, "input_length": 4}},
        {"class_name": "GRU", "config": {"name": "gru", "trainable": true, "dtype": "float32", "return_sequences": false,
            "return_state": false, "go_backwards": false, "stateful": false, "unroll": false, "time_major": false,
            "units": 2, "activation": "tanh", "recurrent_activation": "hard_sigmoid", "use_bias": true,
            "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": null}},
            "recurrent_initializer": {"class_name": "Orthogonal", "config": {"gain": 1.0, "seed": null}},
            "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": null,
            "recurrent_regularizer": null, "bias_regularizer": null, "activity_regularizer": null,
            "kernel_constraint": null, "recurrent_constraint": null, "bias_constraint": null, "dropout": 0.0,
            "recurrent_dropout": 0.0, "implementation": 1, "reset_after": false}},
        {"class_name": "Dense", "config": {"name": "dense", "trainable": true, "dtype": "float32", "units": 2,
            "activation": "softmax", "use_bias": true,
            "kernel_regularizer": {"class_name": "L1L2", "config": {"l1": 0.0, "l2": 0.01}}}}]});
    // Keras 2.3's default recurrent activation, hard_sigmoid, is not Derin's sigmoid.
    let err = Sequential::from_keras_config(&config).unwrap_err().to_string();
    assert!(err.starts_with("gru (GRU): config key \"recurrent_activation\""), "{err}");
    let mut config = config;
    config["layers"][1]["config"]["recurrent_activation"] = json!("sigmoid");
    let m = Sequential::from_keras_config(&config).unwrap();
    assert_eq!((m.input_shape(), m.output_shape()), (&[4][..], &[2][..]));
    assert_eq!(m.layers()[1].keras_config().unwrap()["reset_after"], json!(false));
}

#[test]
fn sparse_or_ragged_inputs_are_errors() {
    for key in ["sparse", "ragged"] {
        let mut input = json!({"batch_input_shape": [null, 3], "dtype": "float32", "sparse": false, "ragged": false,
            "name": "input_1"});
        input[key] = json!(true);
        let config = json!({"name": "m", "layers": [{"class_name": "InputLayer", "config": input},
            {"class_name": "Dense", "config": {"name": "d", "units": 2}}]});
        let err = Sequential::from_keras_config(&config).unwrap_err().to_string();
        assert_eq!(err, format!("input_1 (InputLayer): config key \"{key}\": {key} is not supported (got true)"));
    }
}
