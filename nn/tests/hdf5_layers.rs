//! Saving and loading every layer with weights or options beyond `Dense`: round trips of a
//! CNN and a text model, Keras-written reference files (convolutions in Keras' kernel
//! layout, channels-last data, BatchNormalization statistics, masks, recurrent layers),
//! wrong kernel layouts and Keras options Derin lacks.

use std::path::{Path, PathBuf};

use derin_nn::{
    Activation, AveragePooling1D, AveragePooling2D, BatchNormalization, Bidirectional, Conv1D, Conv2D, Conv2DTranspose,
    DataFormat, Dense, Embedding, Flatten, GRU, GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalMaxPooling1D,
    GlobalMaxPooling2D, LSTM, LayerNormalization, Masking, MaxPooling1D, MaxPooling2D, MergeMode, Module, Recurrent,
    Sequential, SimpleRNN, layer_from_config,
};
use derin_tensor::ndarray::{ArrayD, IxDyn};
use derin_tensor::{Padding, Padding1d, Tensor};
use hdf5_metno as hdf5;
use serde_json::json;

/// A fresh directory for one test.
fn dir(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("derin-h5-layers-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// `sin(0.37·i + 0.1)` in row-major order: the inputs of reference/keras_h5.py.
fn sin_input(shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    Tensor::from_vec((0..n).map(|i| (0.37 * i as f64 + 0.1).sin() as f32).collect(), shape)
}

/// Sets every weight (state weights too) to distinct values, so that any mix-up of
/// weights or axes changes the predictions; variances stay positive.
fn scramble(model: &Sequential) {
    let mut k = 0usize;
    for layer in model.layers() {
        for p in layer.weights().into_iter().chain(layer.state_weights()) {
            let shape = p.shape();
            let n: usize = shape.iter().product();
            let positive = p.name().ends_with("variance");
            let values: Vec<f32> = (0..n)
                .map(|i| {
                    k += 1;
                    let v = ((k * 7919 + i * 104729) % 1000) as f32 / 1000.0 - 0.5;
                    if positive { v + 1.0 } else { v }
                })
                .collect();
            p.set(ArrayD::from_shape_vec(IxDyn(&shape), values).unwrap());
        }
    }
}

/// Saves, loads, and checks the config and the predictions (bit for bit).
fn round_trip(model: &Sequential, x: &Tensor, test: &str) -> Sequential {
    scramble(model);
    let path = dir(test).join("model.h5");
    model.save(&path).unwrap();
    let back = Sequential::load(&path).unwrap();
    assert_eq!(back.to_keras_config().unwrap(), model.to_keras_config().unwrap());
    assert_eq!(back.summary(), model.summary());
    let (want, got) = (model.predict(x, 2).unwrap().to_vec(), back.predict(x, 2).unwrap().to_vec());
    assert_eq!(want, got);
    back
}

#[test]
fn cnn_round_trips_with_kernels_in_keras_layout() {
    let m = Sequential::with_seed(&[1, 6, 5], 1)
        .add(Conv2D::new(4, [3, 2], Activation::Relu).with_padding(Padding::Same))
        .unwrap()
        .add(MaxPooling2D::new([2, 2]))
        .unwrap()
        .add(BatchNormalization::new())
        .unwrap()
        .add(Flatten::new())
        .unwrap()
        .add(Dense::new(3, Activation::Softmax))
        .unwrap();
    let x = sin_input(&[2, 1, 6, 5]);
    round_trip(&m, &x, "cnn");
    let path = dir("cnn-layout").join("m.h5");
    m.save(&path).unwrap();
    let f = hdf5::File::open(&path).unwrap();
    let kernel = f.dataset("model_weights/conv2d/sequential/conv2d/kernel").unwrap();
    assert_eq!(kernel.shape(), vec![3, 2, 1, 4]); // Keras' [kh, kw, in, filters]
    // Keras' kernel[a, b, 0, o] (in = 1) is Derin's kernel[o, 0, a, b].
    let stored = kernel.read_raw::<f32>().unwrap();
    let derin = m.layers()[0].weights()[0].value().to_vec(); // [4, 1, 3, 2]
    for (a, b, o) in [(0, 0, 0), (2, 1, 3), (1, 0, 2)] {
        assert_eq!(stored[(a * 2 + b) * 4 + o], derin[o * 6 + a * 2 + b]);
    }
    let c = m.to_keras_config().unwrap();
    assert_eq!(c["layers"][1]["config"]["data_format"], "channels_first");
    assert_eq!(c["layers"][1]["config"]["kernel_size"], json!([3, 2]));
    assert_eq!(c["layers"][3]["config"]["axis"], 1);
}

#[test]
fn text_model_round_trips() {
    let m = Sequential::with_seed(&[6], 2)
        .add(Embedding::new(10, 4).unwrap().with_mask_zero(true))
        .unwrap()
        .add(Bidirectional::new(GRU::new(3).return_sequences(true), MergeMode::Concat))
        .unwrap()
        .add(LSTM::new(3).return_sequences(true))
        .unwrap()
        .add(GlobalAveragePooling1D::new().with_data_format(DataFormat::ChannelsLast))
        .unwrap()
        .add(Dense::new(2, Activation::Softmax))
        .unwrap();
    let x = Tensor::from_vec(vec![0., 7., 4., 1., 0., 0., 2., 9., 6., 3., 0., 0.], &[2, 6]);
    let back = round_trip(&m, &x, "text");
    let c = back.to_keras_config().unwrap();
    let bi = &c["layers"][2]["config"];
    assert_eq!((bi["merge_mode"].as_str(), bi["layer"]["class_name"].as_str()), (Some("concat"), Some("GRU")));
    assert_eq!(bi["backward_layer"]["config"]["go_backwards"], true);
    assert_eq!(c["layers"][1]["config"]["mask_zero"], true);
}

#[test]
fn every_other_layer_round_trips() {
    let a = Sequential::with_seed(&[8, 3], 3)
        .add(
            Conv1D::new(4, 3, Activation::Tanh)
                .with_padding(Padding1d::Causal)
                .with_data_format(DataFormat::ChannelsLast),
        )
        .unwrap()
        .add(AveragePooling1D::new(2).with_data_format(DataFormat::ChannelsLast))
        .unwrap()
        .add(
            MaxPooling1D::new(2)
                .with_strides(1)
                .with_padding(Padding1d::Same)
                .with_data_format(DataFormat::ChannelsLast),
        )
        .unwrap()
        .add(LayerNormalization::new())
        .unwrap()
        .add(Masking::new(0.0))
        .unwrap()
        .add(SimpleRNN::new(4).with_activation(Activation::Relu).return_sequences(true))
        .unwrap()
        .add(GlobalMaxPooling1D::new().with_data_format(DataFormat::ChannelsLast))
        .unwrap();
    round_trip(&a, &sin_input(&[2, 8, 3]), "others-1d");
    let b = Sequential::with_seed(&[2, 4, 4], 4)
        .add(Conv2DTranspose::new(3, [2, 2], Activation::Linear).with_strides([2, 2]))
        .unwrap()
        .add(AveragePooling2D::new([2, 2]))
        .unwrap()
        .add(BatchNormalization::new().with_axis(1).with_momentum(0.9).with_epsilon(1e-5))
        .unwrap()
        .add(GlobalAveragePooling2D::new().with_keepdims(true))
        .unwrap()
        .add(GlobalMaxPooling2D::new())
        .unwrap();
    round_trip(&b, &sin_input(&[2, 2, 4, 4]), "others-2d");
}

/// Loads a Keras-written reference file and checks its predictions against Keras'.
fn keras_predicts(name: &str, x: &Tensor, keras: &[f64], types: &[&str]) -> Sequential {
    let m = Sequential::load(fixture(name)).unwrap();
    let got: Vec<&str> = m.layers().iter().map(|l| l.type_name()).collect();
    assert_eq!(got, types);
    let p = m.predict(x, 2).unwrap().to_vec();
    assert_eq!(p.len(), keras.len());
    for (a, b) in p.iter().zip(keras) {
        assert!((f64::from(*a) - b).abs() < 1e-5, "{name}: {p:?} vs {keras:?}");
    }
    // A Derin save of the Keras model loads back with the same predictions.
    let path = dir(name).join("again.h5");
    m.save(&path).unwrap();
    assert_eq!(Sequential::load(&path).unwrap().predict(x, 2).unwrap().to_vec(), p);
    m
}

// The reference numbers below are printed by reference/keras_h5.py (Keras 3.15.1,
// TensorFlow 2.21.0), for the files it writes with random weights.

#[test]
fn keras_cnn_file_predicts_as_keras() {
    let keras = [0.02525434, 0.81036294, 0.16438277, 0.02503427, 0.80870920, 0.16625655];
    let types =
        ["Conv2D", "BatchNormalization", "MaxPooling2D", "Conv2DTranspose", "AveragePooling2D", "Flatten", "Dense"];
    let m = keras_predicts("keras_cnn.h5", &sin_input(&[2, 6, 6, 2]), &keras, &types);
    let c = m.to_keras_config().unwrap();
    assert_eq!(c["layers"][1]["config"]["data_format"], "channels_last");
    assert_eq!(c["layers"][2]["config"]["axis"], -1);
    assert_eq!(m.layers()[0].weights()[0].shape(), vec![3, 2, 3, 3]); // Derin's [filters, in, kh, kw]
}

#[test]
fn keras_conv1d_file_predicts_as_keras() {
    let keras = [1.97031713, -0.11061433, 2.22471428, -0.06499824];
    let types = ["Conv1D", "MaxPooling1D", "AveragePooling1D", "LayerNormalization", "GlobalMaxPooling1D", "Dense"];
    keras_predicts("keras_conv1d.h5", &sin_input(&[2, 8, 3]), &keras, &types);
}

#[test]
fn keras_masked_rnn_file_predicts_as_keras() {
    let keras = [-0.19861145, -0.09938088, -0.08414581, 0.33755082];
    let s = sin_input(&[2, 3, 2]);
    let x = Tensor::concat(&[&s, &Tensor::zeros(&[2, 2, 2])], 1);
    keras_predicts("keras_masked.h5", &x, &keras, &["Masking", "SimpleRNN", "GlobalAveragePooling1D", "Dense"]);
}

#[test]
fn keras_text_file_predicts_as_keras() {
    let keras = [0.55933690, 0.44066310, 0.59897989, 0.40102011];
    let x = Tensor::from_vec(vec![0., 7., 4., 1., 0., 0., 2., 9., 6., 3., 0., 0.], &[2, 6]);
    let types = ["Embedding", "Bidirectional", "LSTM", "GlobalAveragePooling1D", "Dense"];
    keras_predicts("keras_text.h5", &x, &keras, &types);
}

#[test]
fn a_kernel_in_the_wrong_layout_is_an_error() {
    let m = Sequential::with_seed(&[1, 5, 5], 5).add(Conv2D::new(4, [3, 2], Activation::Linear)).unwrap();
    let path = dir("wrong-layout").join("m.h5");
    m.save(&path).unwrap();
    {
        // Rewrite the kernel in Derin's own layout [filters, in, kh, kw].
        let f = hdf5::File::open_rw(&path).unwrap();
        let g = f.group("model_weights/conv2d/sequential/conv2d").unwrap();
        g.unlink("kernel").unwrap();
        let k = m.layers()[0].weights()[0].value().to_vec();
        g.new_dataset::<f32>().shape(vec![4, 1, 3, 2]).create("kernel").unwrap().write_raw(&k).unwrap();
    }
    let err = Sequential::load(&path).unwrap_err().to_string();
    assert!(err.contains("has shape [4, 1, 3, 2], conv2d (Conv2D) needs [3, 2, 1, 4] (Keras' layout)"), "{err}");
}

#[test]
fn keras_options_derin_lacks_are_errors() {
    let cases = [
        ("GRU", json!({"name": "g", "units": 3, "dropout": 0.2}), "g (GRU): config key \"dropout\""),
        ("LSTM", json!({"name": "l", "units": 3, "stateful": true}), "l (LSTM): config key \"stateful\""),
        (
            "GRU",
            json!({"name": "g", "units": 3, "recurrent_activation": "hard_sigmoid"}),
            "g (GRU): config key \"recurrent_activation\"",
        ),
        ("LSTM", json!({"name": "l", "units": 3, "activation": "relu"}), "l (LSTM): config key \"activation\""),
        (
            "Conv2D",
            json!({"name": "c", "filters": 2, "kernel_size": 3, "activation": "glu"}),
            "c (Conv2D): config key \"activation\"",
        ),
        ("Conv2D", json!({"name": "c", "filters": 2, "kernel_size": [3]}), "c (Conv2D): config key \"kernel_size\""),
        ("MaxPooling1D", json!({"name": "p", "padding": "causal"}), "p (MaxPooling1D): config key \"padding\""),
        (
            "LayerNormalization",
            json!({"name": "n", "rms_scaling": true}),
            "n (LayerNormalization): config key \"rms_scaling\"",
        ),
        ("BatchNormalization", json!({"name": "b", "renorm": true}), "b (BatchNormalization): config key \"renorm\""),
        ("Bidirectional", json!({"name": "b", "merge_mode": null}), "b (Bidirectional): config key \"merge_mode\""),
        (
            "Conv2DTranspose",
            json!({"name": "t", "filters": 1, "kernel_size": 2, "output_padding": [1, 1]}),
            "t (Conv2DTranspose): config key \"output_padding\"",
        ),
    ];
    for (class, config, want) in cases {
        let err = layer_from_config(class, &config).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.starts_with(want), "{class}: {err}");
    }
    let conv = Conv2D::new(2, [3, 3], Activation::Relu).with_padding(Padding::Explicit([1, 1]));
    assert!(conv.keras_config().unwrap_err().to_string().contains("has no Keras name"));
}

#[test]
fn keras_mobile_layers_file_predicts_as_keras() {
    // reference/keras_mobile_h5.py (Keras 3.15.1, TensorFlow 2.21.0), random weights.
    let keras = [-0.83355641, 0.22285545, -0.81104016, 0.22667044];
    let types = [
        "Rescaling",
        "ZeroPadding2D",
        "DepthwiseConv2D",
        "ReLU",
        "SeparableConv2D",
        "UpSampling2D",
        "Cropping2D",
        "ReLU",
        "GlobalAveragePooling2D",
        "Dense",
    ];
    let m = keras_predicts("keras_mobile.h5", &sin_input(&[2, 7, 7, 3]), &keras, &types);
    // Derin's layouts: depthwise [C, M, kh, kw], pointwise [filters, C·M, 1, 1].
    assert_eq!(m.layers()[2].weights()[0].shape(), vec![3, 2, 3, 3]);
    assert_eq!(m.layers()[4].weights()[1].shape(), vec![4, 6, 1, 1]);
    // An intermediate map by its Keras layer name (channels-last, as in the file).
    let name = m.layers()[2].name().to_string();
    let taps = m.outputs_of(&sin_input(&[2, 7, 7, 3]), &[&name], &mut derin_nn::Ctx::eval()).unwrap();
    assert_eq!(taps[0].shape(), &[2, 4, 4, 6]);
}
