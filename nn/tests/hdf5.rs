//! Saving and loading `Sequential` models in Keras' `.h5` layout: round trips, optimizer
//! state, broken files, atomic saves and Keras-written reference files.

use std::path::{Path, PathBuf};

use derin_data::Targets;
use derin_nn::{
    Activation, Ctx, Dense, Dropout, Error, FitOptions, Flatten, Loss, Metric, Module, Regularizer, Sequential,
};
use derin_optim::{Adagrad, Adam, AdamConfig, AdamW, Nadam, Optimizer, RmsProp, RmsPropConfig, Sgd, SgdConfig};
use derin_tensor::{Rng, Tensor};
use hdf5::types::{FixedAscii, VarLenUnicode};
use hdf5_metno as hdf5;
use serde_json::Value;

/// A fresh directory for one test.
fn dir(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("derin-h5-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// Flatten → Dense(relu, L2) → Dropout → Dense(softmax), input [2, 3].
fn model(seed: u64) -> Sequential {
    Sequential::with_seed(&[2, 3], seed)
        .add(Flatten::new())
        .unwrap()
        .add(Dense::new(8, Activation::Relu).with_kernel_regularizer(Regularizer::L2(0.01)))
        .unwrap()
        .add(Dropout::new(0.5).unwrap())
        .unwrap()
        .add(Dense::new(3, Activation::Softmax))
        .unwrap()
}

fn data() -> (Tensor, Targets) {
    let mut rng = Rng::seed(11);
    let x = Tensor::uniform(&[40, 2, 3], -1.0, 1.0, &mut rng);
    let labels = (0..40).map(|i| (i * 7 + i / 3) % 3).collect();
    (x, Targets::Labels(labels))
}

fn bits(m: &Sequential) -> Vec<Vec<u32>> {
    m.weights().iter().map(|p| p.value().to_vec().iter().map(|v| v.to_bits()).collect()).collect()
}

fn attr_str(loc: &hdf5::Location, name: &str) -> String {
    loc.attr(name).unwrap().read_scalar::<VarLenUnicode>().unwrap().as_str().to_string()
}

fn attr_list(loc: &hdf5::Location, name: &str) -> Vec<String> {
    loc.attr(name).unwrap().read_raw::<VarLenUnicode>().unwrap().iter().map(|s| s.as_str().to_string()).collect()
}

#[test]
fn round_trip_keeps_predictions_summary_and_configs() {
    let d = dir("round-trip");
    let path = d.join("model.h5");
    let mut m = model(5);
    m.layer_mut("dense_1").unwrap().set_trainable(false);
    m.save(&path).unwrap();
    let back = Sequential::load(&path).unwrap();
    let x = data().0;
    let (want, got) = (m.predict(&x, 16).unwrap(), back.predict(&x, 16).unwrap());
    assert_eq!(
        want.to_vec().iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        got.to_vec().iter().map(|v| v.to_bits()).collect::<Vec<_>>()
    );
    assert_eq!(back.summary(), m.summary());
    assert_eq!(back.to_keras_config().unwrap(), m.to_keras_config().unwrap());
    assert!(!back.layers()[3].trainable() && back.layers()[1].trainable());
    assert!(!back.is_compiled());
    // Same regularization loss: the L2 regularizer came back.
    assert_eq!(back.regularization_loss().unwrap().item(), m.regularization_loss().unwrap().item());
    // Training-mode forward with the same seed: the dropout rate came back.
    let (a, b) = (m.forward(&x, &mut Ctx::train(3)), back.forward(&x, &mut Ctx::train(3)));
    assert_eq!(a.to_vec(), b.to_vec());
}

#[test]
fn file_follows_keras_legacy_h5_layout() {
    let d = dir("layout");
    let path = d.join("model.h5");
    model(0).save(&path).unwrap();
    let f = hdf5::File::open(&path).unwrap();
    let config: Value = serde_json::from_str(&attr_str(&f, "model_config")).unwrap();
    assert_eq!(config["class_name"], "Sequential");
    assert_eq!(config["config"]["name"], "sequential");
    let layers = config["config"]["layers"].as_array().unwrap();
    assert_eq!(layers[0]["class_name"], "InputLayer");
    assert_eq!(layers[0]["config"]["batch_shape"], serde_json::json!([null, 2, 3]));
    let classes: Vec<&str> = layers.iter().map(|l| l["class_name"].as_str().unwrap()).collect();
    assert_eq!(classes, ["InputLayer", "Flatten", "Dense", "Dropout", "Dense"]);
    let dense = &layers[2]["config"];
    assert_eq!(
        (dense["name"].as_str(), dense["units"].as_u64(), dense["activation"].as_str()),
        (Some("dense"), Some(8), Some("relu"))
    );
    assert_eq!(dense["kernel_regularizer"]["class_name"], "L2");
    assert_eq!(dense["kernel_regularizer"]["config"]["l2"], 0.01);
    assert_eq!(dense["kernel_initializer"]["class_name"], "GlorotUniform");
    assert_eq!(layers[3]["config"]["rate"], 0.5);
    assert_eq!(attr_str(&f, "keras_version"), "3.15.1");
    assert_eq!(attr_str(&f, "backend"), "derin");
    assert!(!f.attr_names().unwrap().contains(&"training_config".to_string()));
    assert!(!f.link_exists("optimizer_weights"));

    let w = f.group("model_weights").unwrap();
    assert_eq!(attr_list(&w, "layer_names"), ["flatten", "dense", "dropout", "dense_1"]);
    assert_eq!(
        attr_list(&w.group("dense").unwrap(), "weight_names"),
        ["sequential/dense/kernel", "sequential/dense/bias"]
    );
    assert_eq!(w.group("flatten").unwrap().attr("weight_names").unwrap().size(), 0);
    let kernel = w.dataset("dense/sequential/dense/kernel").unwrap();
    assert_eq!(kernel.shape(), [6, 8]);
    assert_eq!(kernel.read_raw::<f32>().unwrap(), model(0).weights()[0].value().to_vec());
    assert_eq!(w.dataset("dense_1/sequential/dense_1/bias").unwrap().shape(), [3]);
    assert!(w.link_exists("top_level_model_weights"));
}

fn compiled(seed: u64, optimizer: Box<dyn Optimizer>, dropout: bool) -> Sequential {
    let mut m =
        Sequential::with_seed(&[2, 3], seed).add(Flatten::new()).unwrap().add(Dense::new(8, Activation::Tanh)).unwrap();
    if dropout {
        m = m.add(Dropout::new(0.3).unwrap()).unwrap();
    }
    m = m.add(Dense::new(3, Activation::Softmax)).unwrap();
    m.compile(optimizer, Loss::SparseCategoricalCrossentropy { from_logits: false }, vec![Metric::Accuracy]);
    m
}

fn optimizers() -> Vec<Box<dyn Fn() -> Box<dyn Optimizer>>> {
    vec![
        Box::new(|| {
            Box::new(Adam::try_new(AdamConfig { learning_rate: 0.01, amsgrad: true, ..AdamConfig::default() }).unwrap())
        }),
        Box::new(|| {
            Box::new(
                RmsProp::try_new(RmsPropConfig { momentum: 0.5, centered: true, ..RmsPropConfig::default() }).unwrap(),
            )
        }),
        Box::new(|| {
            Box::new(
                Sgd::try_new(SgdConfig { momentum: 0.9, dampening: 0.1, weight_decay: 0.01, ..SgdConfig::default() })
                    .unwrap(),
            )
        }),
        Box::new(|| Box::new(Adagrad::new())),
        Box::new(|| Box::new(Nadam::new())),
        Box::new(|| Box::new(AdamW::new())),
    ]
}

#[test]
fn resuming_after_load_equals_training_in_one_go() {
    // Without shuffling or dropout, fit's generator does not matter: 2 epochs + save/load
    // + 1 epoch is bit-identical to 3 epochs in one call, for every optimizer.
    let d = dir("resume");
    let (x, y) = data();
    let opts = |epochs| FitOptions { epochs, batch_size: 8, shuffle: false, ..FitOptions::default() };
    for make in optimizers() {
        let mut straight = compiled(4, make(), false);
        straight.fit(&x, &y, opts(3)).unwrap();
        let mut first = compiled(4, make(), false);
        first.fit(&x, &y, opts(2)).unwrap();
        let path = d.join("resume.h5");
        first.save(&path).unwrap();
        let mut resumed = Sequential::load(&path).unwrap();
        let (a, b) = (first.layers()[0].type_name(), resumed.layers()[0].type_name());
        assert_eq!(a, b);
        assert_eq!(resumed.to_keras_config().unwrap(), first.to_keras_config().unwrap());
        resumed.fit(&x, &y, opts(1)).unwrap();
        assert_eq!(bits(&resumed), bits(&straight), "{:?}", straight.to_keras_config().unwrap());
        assert!(bits(&resumed) != bits(&first)); // it did train
    }
}

#[test]
fn resuming_with_shuffle_and_dropout_equals_resuming_without_saving() {
    // fit reseeds its generator from FitOptions::seed at every call, so a second fit call
    // after load matches a second fit call on the original model.
    let d = dir("resume-shuffle");
    let (x, y) = data();
    let opts = |epochs| FitOptions { epochs, batch_size: 8, seed: 9, ..FitOptions::default() };
    let make = || Box::new(Adam::new()) as Box<dyn Optimizer>;
    let mut kept = compiled(2, make(), true);
    kept.fit(&x, &y, opts(2)).unwrap();
    let path = d.join("m.h5");
    kept.save(&path).unwrap();
    let mut resumed = Sequential::load(&path).unwrap();
    let (h1, h2) = (kept.fit(&x, &y, opts(1)).unwrap(), resumed.fit(&x, &y, opts(1)).unwrap());
    assert_eq!(h1.loss()[0].to_bits(), h2.loss()[0].to_bits());
    assert_eq!(bits(&resumed), bits(&kept));
}

#[test]
fn optimizer_state_is_stored_as_keras_names_it() {
    let d = dir("optimizer");
    let (x, y) = data();
    let mut m = compiled(
        1,
        Box::new(Adam::try_new(AdamConfig { learning_rate: 0.02, ..AdamConfig::default() }).unwrap()),
        false,
    );
    m.fit(&x, &y, FitOptions { epochs: 1, batch_size: 10, ..FitOptions::default() }).unwrap();
    let path = d.join("m.h5");
    m.save(&path).unwrap();
    let f = hdf5::File::open(&path).unwrap();
    let training: Value = serde_json::from_str(&attr_str(&f, "training_config")).unwrap();
    assert_eq!(training["loss"], "sparse_categorical_crossentropy");
    assert_eq!(training["metrics"], serde_json::json!(["accuracy"]));
    assert_eq!(training["optimizer_config"]["class_name"], "Adam");
    assert_eq!(training["optimizer_config"]["config"]["learning_rate"], 0.02);
    assert_eq!(training["optimizer_config"]["config"]["beta_2"], 0.999);
    let g = f.group("optimizer_weights").unwrap();
    let names = attr_list(&g, "weight_names");
    assert_eq!(
        names,
        [
            "adam/iteration",
            "adam/learning_rate",
            "adam/sequential_dense_kernel_momentum",
            "adam/sequential_dense_kernel_velocity",
            "adam/sequential_dense_bias_momentum",
            "adam/sequential_dense_bias_velocity",
            "adam/sequential_dense_1_kernel_momentum",
            "adam/sequential_dense_1_kernel_velocity",
            "adam/sequential_dense_1_bias_momentum",
            "adam/sequential_dense_1_bias_velocity",
        ]
    );
    assert_eq!(g.dataset("adam/iteration").unwrap().read_scalar::<i64>().unwrap(), 4); // 40 samples / 10
    assert_eq!(g.dataset("adam/learning_rate").unwrap().read_scalar::<f32>().unwrap(), 0.02);
    let state = m.weights()[0].name().to_string();
    let momentum = g.dataset("adam/sequential_dense_kernel_momentum").unwrap().read_raw::<f32>().unwrap();
    assert_eq!(state, "dense/kernel");
    assert_eq!(momentum.len(), 6 * 8);
    let back = Sequential::load(&path).unwrap();
    assert!(back.is_compiled());
}

/// Saves a good model, applies `break_it` to the file, and returns the load error.
fn load_broken(test: &str, break_it: impl FnOnce(&hdf5::File)) -> String {
    let d = dir(test);
    let path = d.join("m.h5");
    let mut m = model(0);
    m.compile(Box::new(Adam::new()), Loss::SparseCategoricalCrossentropy { from_logits: false }, vec![]);
    m.save(&path).unwrap();
    {
        let f = hdf5::File::open_rw(&path).unwrap();
        break_it(&f);
    }
    Sequential::load(&path).unwrap_err().to_string()
}

fn set_config(f: &hdf5::File, edit: impl FnOnce(&mut Value)) {
    let mut config: Value = serde_json::from_str(&attr_str(f, "model_config")).unwrap();
    edit(&mut config);
    f.delete_attr("model_config").unwrap();
    let text: VarLenUnicode = config.to_string().parse().unwrap();
    f.new_attr::<VarLenUnicode>().create("model_config").unwrap().write_scalar(&text).unwrap();
}

#[test]
fn broken_files_are_errors_naming_what_is_wrong() {
    let d = dir("not-hdf5");
    let text = d.join("text.h5");
    std::fs::write(&text, "this is not HDF5").unwrap();
    let err = Sequential::load(&text).unwrap_err();
    assert!(matches!(err, Error::File { .. }));
    assert!(err.to_string().contains("cannot open as HDF5"), "{err}");

    let err = load_broken("no-config", |f| f.delete_attr("model_config").unwrap());
    assert!(err.ends_with("missing attribute model_config"), "{err}");
    let err = load_broken("no-weights", |f| f.unlink("model_weights").unwrap());
    assert!(err.ends_with("missing group /model_weights"), "{err}");
    let err = load_broken("no-layer", |f| f.unlink("model_weights/dense_1").unwrap());
    assert!(err.ends_with("missing group /model_weights/dense_1"), "{err}");
    let err = load_broken("no-dataset", |f| f.unlink("model_weights/dense/sequential/dense/bias").unwrap());
    assert!(err.ends_with("missing dataset /model_weights/dense/sequential/dense/bias"), "{err}");
    let err = load_broken("bad-json", |f| {
        f.delete_attr("model_config").unwrap();
        let text: VarLenUnicode = "{\"class_name\": ".parse().unwrap();
        f.new_attr::<VarLenUnicode>().create("model_config").unwrap().write_scalar(&text).unwrap();
    });
    assert!(err.contains("attribute model_config is not JSON"), "{err}");
    let err =
        load_broken("unknown-class", |f| set_config(f, |c| c["config"]["layers"][2]["class_name"] = "Conv9D".into()));
    assert!(err.starts_with("dense (Conv9D): config key \"class_name\": unknown layer class"), "{err}");
    let err = load_broken("missing-key", |f| {
        set_config(f, |c| {
            c["config"]["layers"][2]["config"].as_object_mut().unwrap().remove("units");
        })
    });
    assert_eq!(err, "dense (Dense): config key \"units\": missing");
    let err =
        load_broken("mistyped-key", |f| set_config(f, |c| c["config"]["layers"][3]["config"]["rate"] = "half".into()));
    assert_eq!(err, "dropout (Dropout): config key \"rate\": expected a number, got a string");
    let err = load_broken("bad-optimizer", |f| f.unlink("optimizer_weights/adam/iteration").unwrap());
    assert!(err.contains("iteration"), "{err}");
}

#[test]
fn weights_of_the_wrong_shape_or_type_are_errors() {
    let kernel = "model_weights/dense/sequential/dense/kernel";
    let err = load_broken("wrong-shape", |f| {
        f.unlink(kernel).unwrap();
        f.new_dataset::<f32>().shape([3, 3]).create(kernel).unwrap().write_raw(&[0.0f32; 9]).unwrap();
    });
    assert!(err.ends_with("dataset /model_weights/dense/sequential/dense/kernel has shape [3, 3], dense (Dense) needs [6, 8] for dense/kernel"), "{err}");
    let err = load_broken("wrong-type", |f| {
        f.unlink(kernel).unwrap();
        f.new_dataset::<f64>().shape([6, 8]).create(kernel).unwrap().write_raw(&[0.0f64; 48]).unwrap();
    });
    assert!(
        err.contains("/model_weights/dense/sequential/dense/kernel has type")
            && err.ends_with("expected float32 or an integer"),
        "{err}"
    );
    let err = load_broken("wrong-count", |f| {
        let g = f.group("model_weights/dense").unwrap();
        g.delete_attr("weight_names").unwrap();
        let names: Vec<VarLenUnicode> = vec!["sequential/dense/kernel".parse().unwrap()];
        g.new_attr::<VarLenUnicode>().shape([1]).create("weight_names").unwrap().write_raw(&names).unwrap();
    });
    assert!(err.ends_with("group /model_weights/dense has 1 weights, dense (Dense) has 2"), "{err}");
}

#[test]
fn truncated_file_is_an_error() {
    let d = dir("truncated");
    let path = d.join("m.h5");
    model(0).save(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let half = d.join("half.h5");
    std::fs::write(&half, &bytes[..bytes.len() / 2]).unwrap();
    let err = Sequential::load(&half).unwrap_err();
    assert!(matches!(err, Error::File { .. }), "{err}");
    assert!(err.to_string().starts_with(&half.display().to_string()), "{err}");
}

#[test]
fn failing_save_leaves_the_previous_file_intact() {
    let d = dir("atomic");
    let path = d.join("m.h5");
    model(0).save(&path).unwrap();
    let before = std::fs::read(&path).unwrap();
    let bad = Sequential::new(&[3]).add(Dense::new(2, Activation::LeakyRelu(0.1))).unwrap();
    let err = bad.save(&path).unwrap_err();
    assert!(matches!(err, Error::Unserializable { .. }), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
    let left: Vec<_> = std::fs::read_dir(&d).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left, [std::ffi::OsString::from("m.h5")]); // no temporary left behind
    assert!(Sequential::load(&path).is_ok());
    let err = model(0).save(d.join("missing-dir/m.h5")).unwrap_err();
    assert!(matches!(err, Error::File { .. }), "{err}");
}

#[test]
fn weights_only_files_load_into_a_model_of_the_same_architecture() {
    let d = dir("weights");
    let path = d.join("w.h5");
    let a = model(1);
    a.save_weights(&path).unwrap();
    let f = hdf5::File::open(&path).unwrap();
    assert_eq!(attr_list(&f, "layer_names"), ["flatten", "dense", "dropout", "dense_1"]);
    drop(f);
    let mut b = model(2);
    assert_ne!(bits(&a), bits(&b));
    b.load_weights(&path).unwrap();
    assert_eq!(bits(&a), bits(&b));
    // A full model file works too.
    let full = d.join("full.h5");
    model(3).save(&full).unwrap();
    b.load_weights(&full).unwrap();
    assert_eq!(bits(&b), bits(&model(3)));
    // Another architecture: an error, and the model is unchanged.
    let mut small =
        Sequential::new(&[2, 3]).add(Flatten::new()).unwrap().add(Dense::new(3, Activation::Linear)).unwrap();
    let before = bits(&small);
    let err = small.load_weights(&path).unwrap_err().to_string();
    assert!(
        err.contains("the file has weights for 2 layers") && err.contains("the model has 1 layers with weights"),
        "{err}"
    );
    assert_eq!(bits(&small), before);
}

#[test]
fn fixed_length_string_attributes_are_read() {
    // Older Keras/h5py wrote fixed-length byte strings; rewrite the attributes that way.
    let d = dir("fixed");
    let path = d.join("m.h5");
    let m = model(6);
    m.save(&path).unwrap();
    {
        let f = hdf5::File::open_rw(&path).unwrap();
        let config = attr_str(&f, "model_config");
        f.delete_attr("model_config").unwrap();
        let fixed = FixedAscii::<4096>::from_ascii(&config).unwrap();
        f.new_attr::<FixedAscii<4096>>().create("model_config").unwrap().write_scalar(&fixed).unwrap();
        let g = f.group("model_weights/dense_1").unwrap();
        g.delete_attr("weight_names").unwrap();
        let names: Vec<FixedAscii<32>> = ["sequential/dense_1/kernel", "sequential/dense_1/bias"]
            .iter()
            .map(|s| FixedAscii::from_ascii(s).unwrap())
            .collect();
        g.new_attr::<FixedAscii<32>>().shape([2]).create("weight_names").unwrap().write_raw(&names).unwrap();
    }
    let back = Sequential::load(&path).unwrap();
    assert_eq!(bits(&back), bits(&m));
}

/// `keras_dense.h5`: Keras 3.15.1 / TensorFlow 2.21, Dense(3, relu) → Dense(2, softmax),
/// compiled with Adam(0.01), one training step (reference/keras_h5.py).
#[test]
fn reads_a_keras_dense_model_and_predicts_what_keras_predicted() {
    let m = Sequential::load(fixture("keras_dense.h5")).unwrap();
    assert_eq!(m.input_shape(), &[4]);
    assert_eq!(m.layers().iter().map(|l| l.label()).collect::<Vec<_>>(), ["dense (Dense)", "dense_1 (Dense)"]);
    let x = Tensor::from_vec(vec![0.5, -1.0, 2.0, 0.25, -0.75, 1.5, 0.0, -2.0], &[2, 4]);
    let p = m.predict(&x, 2).unwrap().to_vec();
    // Printed by reference/keras_h5.py (keras 3.15.1, tensorflow 2.21.0).
    let keras: [f64; 4] = [0.35375273, 0.64624733, 0.50499940, 0.49500054];
    for (a, b) in p.iter().zip(keras) {
        assert!((f64::from(*a) - b).abs() < 1e-6, "{p:?} vs {keras:?}");
    }
    assert!(m.is_compiled());
    // Keras' optimizer state came along: Adam, lr 0.01, one step taken.
    let d = dir("keras-dense");
    m.save(d.join("again.h5")).unwrap();
    let f = hdf5::File::open(d.join("again.h5")).unwrap();
    let g = f.group("optimizer_weights").unwrap();
    assert_eq!(g.dataset("adam/iteration").unwrap().read_scalar::<i64>().unwrap(), 1);
    assert_eq!(g.dataset("adam/learning_rate").unwrap().read_scalar::<f32>().unwrap(), 0.01);
    let keras_file = hdf5::File::open(fixture("keras_dense.h5")).unwrap();
    let keras_m = keras_file
        .dataset("optimizer_weights/adam/sequential_dense_kernel_momentum")
        .unwrap()
        .read_raw::<f32>()
        .unwrap();
    assert_eq!(g.dataset("adam/sequential_dense_kernel_momentum").unwrap().read_raw::<f32>().unwrap(), keras_m);
}

/// `keras_layers.h5`: Permute, Flatten, Dense(tanh, L2), Dropout, Reshape, Flatten,
/// Activation(sigmoid), Dense(no bias), uncompiled (reference/keras_h5.py).
#[test]
fn reads_every_current_layer_from_a_keras_file() {
    let m = Sequential::load(fixture("keras_layers.h5")).unwrap();
    let types: Vec<&str> = m.layers().iter().map(|l| l.type_name()).collect();
    assert_eq!(types, ["Permute", "Flatten", "Dense", "Dropout", "Reshape", "Flatten", "Activation", "Dense"]);
    assert_eq!(m.name(), "layers");
    let x = Tensor::from_vec((0..12).map(|i| i as f32 / 6.0 - 1.0).collect(), &[2, 2, 3]);
    let p = m.predict(&x, 2).unwrap().to_vec();
    let keras: [f64; 4] = [0.57867396, -0.36165494, 0.42002255, -0.46268022];
    for (a, b) in p.iter().zip(keras) {
        assert!((f64::from(*a) - b).abs() < 1e-6, "{p:?} vs {keras:?}");
    }
    assert!(m.regularization_loss().is_some());
    assert!(!m.is_compiled());
    // load_weights from a Keras file into a Derin-built model of the same architecture.
    let mut same = Sequential::from_keras_config(&m.to_keras_config().unwrap()).unwrap();
    same.load_weights(fixture("keras_layers.h5")).unwrap();
    assert_eq!(same.predict(&x, 2).unwrap().to_vec(), p);
}

#[test]
fn configs_asking_for_more_memory_than_exists_are_errors() {
    // A config edit the fuzzer made: 1,350,000 features into 100,000 units is a
    // 1.35e11-value (540 GB) kernel. Building it must be an Err, not an allocation abort.
    let dense = serde_json::json!({"name": "m", "layers": [
        {"class_name": "InputLayer", "config": {"batch_shape": [null, 1350000]}},
        {"class_name": "Dense", "config": {"name": "big", "units": 100000}}]});
    let err = Sequential::from_keras_config(&dense).unwrap_err().to_string();
    assert_eq!(
        err,
        "cannot add big (Dense) after input (InputLayer): input (InputLayer) outputs [1350000], but big (Dense) \
         expects an input for which the kernel [1350000, 100000] holds at most 2^32 values (16 GiB)"
    );
    let cases = [
        ("Embedding", serde_json::json!({"name": "e", "input_dim": 1u64 << 40, "output_dim": 8}), vec![5u64]),
        (
            "Conv1D",
            serde_json::json!({"name": "c", "filters": 1u64 << 20, "kernel_size": 1 << 13}),
            vec![1 << 14, 1 << 10],
        ),
        ("LSTM", serde_json::json!({"name": "l", "units": 1u64 << 20}), vec![4, 3]),
        ("BatchNormalization", serde_json::json!({"name": "b"}), vec![1u64 << 33]),
    ];
    for (class, config, shape) in cases {
        let mut batch_shape = vec![Value::Null];
        batch_shape.extend(shape.iter().map(|&d| serde_json::json!(d)));
        let model = serde_json::json!({"name": "m", "layers": [
            {"class_name": "InputLayer", "config": {"batch_shape": batch_shape}},
            {"class_name": class, "config": config}]});
        let err = Sequential::from_keras_config(&model).unwrap_err().to_string();
        assert!(err.contains("holds at most 2^32 values (16 GiB)"), "{class}: {err}");
    }
}
