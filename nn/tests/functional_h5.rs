//! Functional models in Keras' `.h5` layout: Keras 3 and Keras 2 (tf-keras) files load
//! with Keras' predictions, Derin's files round-trip bit for bit, malformed configs are
//! errors (reference files: reference/keras_functional.py).

use std::path::{Path, PathBuf};

use derin_data::Targets;
use derin_nn::{Activation, Add, Average, Concatenate, Dense, Graph, KerasModel, Loss, Model, Multiply, load_model};
use derin_optim::{Adam, Sgd};
use derin_tensor::Tensor;
use serde_json::{Value, json};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/functional").join(name)
}

fn npy(name: &str) -> Tensor {
    Tensor::from_array(derin_tensor::npy::read_f32(fixture(name)).unwrap())
}

fn inputs() -> Vec<Tensor> {
    vec![npy("inputs_a.npy"), npy("inputs_b.npy")]
}

/// A fresh directory for one test.
fn dir(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("derin-fh5-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Within 1e-4 relative + 1e-5 absolute of Keras' values.
fn assert_close(got: &Tensor, want: &Tensor, what: &str) {
    assert_eq!(got.shape(), want.shape(), "{what}");
    for (i, (g, w)) in got.to_vec().iter().zip(want.to_vec()).enumerate() {
        assert!((g - w).abs() <= 1e-5 + 1e-4 * w.abs(), "{what}[{i}]: derin {g}, keras {w}");
    }
}

/// The fixtures' model built in Derin, with weights drawn from `seed`.
fn derin_model(seed: u64) -> Model {
    let mut g = Graph::with_seed(seed);
    let a = g.input("a", &[4]).unwrap();
    let b = g.input("b", &[3]).unwrap();
    let proj = g.apply(Dense::new(4, Activation::Relu).named("proj"), &b).unwrap();
    let shared = g.layer(Dense::new(5, Activation::Tanh).named("shared")).unwrap();
    let (s0, s1) = (g.call(shared, &a).unwrap(), g.call(shared, &proj).unwrap());
    let cat = g.merge(Concatenate::new(-1).named("cat"), &[&s0, &s1]).unwrap();
    let sum = g.merge(Add::new().named("sum"), &[&s0, &s1]).unwrap();
    let prod = g.merge(Multiply::new().named("prod"), &[&s0, &s1]).unwrap();
    let avg = g.merge(Average::new().named("avg"), &[&sum, &prod]).unwrap();
    let out1 = g.apply(Dense::new(2, Activation::Softmax).named("out1"), &cat).unwrap();
    let out2 = g.apply(Dense::new(3, Activation::Linear).named("out2"), &avg).unwrap();
    Model::new(g, &[&a, &b], &[&out1, &out2]).unwrap().named("two_heads")
}

fn bits(m: &Model) -> Vec<Vec<u32>> {
    m.weights().iter().map(|p| p.value().to_vec().iter().map(|v| v.to_bits()).collect()).collect()
}

#[test]
fn keras_files_predict_as_keras() {
    for tag in ["keras3", "keras2"] {
        let m = Model::load(fixture(&format!("{tag}.h5"))).unwrap();
        assert_eq!(m.input_names(), ["a", "b"], "{tag}");
        assert_eq!(m.output_names(), ["out1", "out2"], "{tag}");
        assert_eq!(m.weights().len(), 8, "{tag}: proj, shared, out1, out2");
        // Keras 3's training_config (Adam, mse) maps; tf-keras' "Custom>Adam" may not,
        // and is then ignored rather than an error.
        if tag == "keras3" {
            assert!(m.is_compiled());
        }
        let ys = m.predict(&inputs(), 2).unwrap();
        for (k, y) in ys.iter().enumerate() {
            assert_close(y, &npy(&format!("{tag}_out{k}.npy")), &format!("{tag} output {k}"));
        }
        let any = load_model(fixture(&format!("{tag}.h5"))).unwrap();
        assert!(matches!(any, KerasModel::Functional(_)), "{tag}");
        assert_eq!(any.predict(&inputs(), 5).unwrap()[1].to_vec(), ys[1].to_vec());
    }
}

#[test]
fn keras_layer_order_is_reproduced() {
    // The fixture's layer_names (Keras' model.layers): inputs first, by depth.
    let m = Model::load(fixture("keras3.h5")).unwrap();
    let config = m.to_keras_config().unwrap();
    let names: Vec<&str> = config["layers"].as_array().unwrap().iter().map(|l| l["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["b", "a", "proj", "shared", "sum", "prod", "cat", "avg", "out1", "out2"]);
    // The shared layer's second call is its node 1, and the merges take both.
    let sum = &config["layers"][4];
    let history: Vec<&Value> =
        sum["inbound_nodes"][0]["args"][0].as_array().unwrap().iter().map(|t| &t["config"]["keras_history"]).collect();
    assert_eq!(history, [&json!(["shared", 0, 0]), &json!(["shared", 1, 0])]);
    // The same model built in Derin writes the same order.
    let built = derin_model(0).to_keras_config().unwrap();
    assert_eq!(built["layers"].as_array().unwrap().len(), 10);
    assert_eq!(built["layers"][0]["name"], "b");
}

#[test]
fn derin_round_trip_is_bit_identical() {
    let d = dir("round-trip");
    let m = derin_model(5);
    let path = d.join("m.h5");
    m.save(&path).unwrap();
    let back = Model::load(&path).unwrap();
    assert_eq!(bits(&back), bits(&m));
    assert!(!back.is_compiled());
    // Compiled: the losses, loss weights and optimizer come back (not its state).
    let mut compiled = derin_model(5);
    let losses = vec![Loss::CategoricalCrossentropy { from_logits: true }, Loss::MeanAbsoluteError];
    compiled.compile(Box::new(Sgd::new()), losses, Some(vec![0.25, 2.0]), vec![]).unwrap();
    compiled.save(d.join("compiled.h5")).unwrap();
    let c = Model::load(d.join("compiled.h5")).unwrap();
    assert_eq!((c.is_compiled(), c.learning_rate()), (true, Some(0.01)));
    let x = inputs();
    let y = vec![Targets::Values(Tensor::full(&[5, 2], 0.5)), Targets::Values(Tensor::zeros(&[5, 3]))];
    let loss = |m: &Model| m.evaluate(&x, &y, 5).unwrap().loss;
    assert_eq!(loss(&c).to_bits(), loss(&compiled).to_bits());
    // The loaded model lists its layers in Keras' order (the file's), the same lines.
    let lines = |s: String| {
        let mut l: Vec<String> = s.lines().map(str::to_string).collect();
        l.sort();
        l
    };
    assert_eq!(lines(back.summary()), lines(m.summary()));
    assert!(back.summary().find(" b (InputLayer)") < back.summary().find(" a (InputLayer)"));
    let (ys, back_ys) = (m.predict(&inputs(), 5).unwrap(), back.predict(&inputs(), 5).unwrap());
    for (y, b) in ys.iter().zip(&back_ys) {
        let to_bits = |t: &Tensor| t.to_vec().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(to_bits(y), to_bits(b));
    }
    // Weights only, into a model with other weights; and through KerasModel.
    let weights = d.join("w.h5");
    m.save_weights(&weights).unwrap();
    let mut other = derin_model(6);
    assert_ne!(bits(&other), bits(&m));
    other.load_weights(&weights).unwrap();
    assert_eq!(bits(&other), bits(&m));
    let mut any = KerasModel::Functional(derin_model(7));
    any.load_weights(&path).unwrap();
    any.save_keras(d.join("again.h5")).unwrap();
    let again = load_model(d.join("again.h5")).unwrap();
    assert_eq!(again.summary(), back.summary());
    assert_eq!(again.predict(&inputs(), 5).unwrap()[0].to_vec(), ys[0].to_vec());
    // Keras' files load into a Derin-built model by layer order, too.
    let mut fresh = derin_model(8);
    fresh.load_weights(fixture("keras2.h5")).unwrap();
    assert_close(&fresh.predict(&inputs(), 5).unwrap()[1], &npy("keras2_out1.npy"), "load_weights keras2");
    std::fs::remove_dir_all(&d).unwrap();
}

/// Writes `DERIN_FUNCTIONAL_OUT` (when set) for `reference/keras_functional.py --check`:
/// Derin's save of the fixture model with other weights, and its predictions.
#[test]
fn derin_saved_file_for_keras() {
    let Ok(path) = std::env::var("DERIN_FUNCTIONAL_OUT") else { return };
    let mut m = derin_model(42);
    let losses = vec![Loss::CategoricalCrossentropy { from_logits: false }, Loss::MeanSquaredError];
    m.compile(Box::new(Adam::new()), losses, Some(vec![1.0, 0.5]), vec![]).unwrap();
    m.save(&path).unwrap();
    for (k, y) in m.predict(&inputs(), 5).unwrap().iter().enumerate() {
        derin_tensor::npy::write_f32(format!("{path}.out{k}.npy"), &y.to_array().view()).unwrap();
    }
    // One input, one output (written as bare references, as Keras does).
    let mut g = Graph::with_seed(43);
    let a = g.input("a", &[4]).unwrap();
    let h = g.apply(Dense::new(3, Activation::Relu), &a).unwrap();
    let y = g.merge(Concatenate::new(-1), &[&a, &h]).unwrap();
    let single = Model::new(g, &[&a], &[&y]).unwrap();
    assert_eq!(single.to_keras_config().unwrap()["input_layers"], json!(["a", 0, 0]));
    single.save(format!("{path}.single.h5")).unwrap();
    let y = &single.predict(&inputs()[..1], 5).unwrap()[0];
    derin_tensor::npy::write_f32(format!("{path}.single.h5.out0.npy"), &y.to_array().view()).unwrap();
}

fn keras3_config() -> Value {
    let file = hdf5_metno::File::open(fixture("keras3.h5")).unwrap();
    let text = file.attr("model_config").unwrap().read_scalar::<hdf5_metno::types::VarLenUnicode>().unwrap();
    serde_json::from_str(text.as_str()).unwrap()
}

#[test]
fn malformed_configs_are_errors() {
    let base = keras3_config();
    assert_eq!(base["class_name"], "Functional");
    assert!(Model::from_keras_config(&base).is_ok());
    let mut renamed = base.clone();
    renamed["class_name"] = json!("Model");
    assert!(Model::from_keras_config(&renamed).is_ok());
    let broken = |edit: &dyn Fn(&mut Value)| {
        let mut c = base.clone();
        edit(&mut c);
        Model::from_keras_config(&c).err().map(|e| e.to_string()).unwrap_or_default()
    };
    fn history(c: &mut Value) -> &mut Value {
        &mut c["config"]["layers"][2]["inbound_nodes"][0]["args"][0]["config"]["keras_history"]
    }
    let err = broken(&|c| *history(c) = json!(["nowhere", 0, 0]));
    assert!(err.contains("proj (Dense)") && err.contains("unknown layer \"nowhere\""), "{err}");
    let err = broken(&|c| *history(c) = json!(["b", 3, 0]));
    assert!(err.contains("node 3 of layer \"b\" does not exist"), "{err}");
    let err = broken(&|c| *history(c) = json!(["b", 0, 1]));
    assert!(err.contains("tensor index 1"), "{err}");
    let err = broken(&|c| *history(c) = json!("b"));
    assert!(err.contains("expected [layer, node_index, tensor_index]"), "{err}");
    let err = broken(&|c| c["config"]["layers"][2]["inbound_nodes"] = json!("b"));
    assert!(err.contains("inbound_nodes"), "{err}");
    let err = broken(&|c| c["config"]["layers"][4]["class_name"] = json!("Subtract"));
    assert!(err.starts_with("sum (Subtract)") && err.contains("unknown layer class"), "{err}");
    let err = broken(&|c| {
        c["config"].as_object_mut().unwrap().remove("input_layers");
    });
    assert!(err.contains("\"input_layers\": missing"), "{err}");
    let err = broken(&|c| c["config"]["output_layers"] = json!([["out9", 0, 0]]));
    assert!(err.contains("output_layers") && err.contains("out9"), "{err}");
    let err = broken(&|c| c["class_name"] = json!("Sequential"));
    assert!(err.contains("class_name"), "{err}");
    let err = broken(&|c| c["config"]["layers"][0]["config"].as_object_mut().unwrap().clear());
    assert!(err.contains("batch_shape"), "{err}");
    // A two-input call of a one-input layer.
    let err = broken(&|c| {
        let t = c["config"]["layers"][2]["inbound_nodes"][0]["args"][0].clone();
        c["config"]["layers"][2]["inbound_nodes"][0]["args"] = json!([t.clone(), t]);
    });
    assert!(err.contains("2 inputs"), "{err}");
}

#[test]
fn keras2_format_configs_load() {
    let c = json!({"class_name": "Model", "config": {"name": "m", "layers": [
        {"class_name": "InputLayer", "name": "x", "config": {"batch_input_shape": [null, 2], "name": "x"}, "inbound_nodes": []},
        {"class_name": "Dense", "name": "d", "config": {"name": "d", "units": 2}, "inbound_nodes": [[["x", 0, 0, {}]], [["d", 0, 0, {}]]]},
        {"class_name": "Concatenate", "name": "c", "config": {"name": "c", "axis": 1}, "inbound_nodes": [[["d", 0, 0, {}], ["d", 1, 0, {}]]]}],
        "input_layers": ["x", 0, 0], "output_layers": [["c", 0, 0], ["d", 1, 0]]}});
    let m = Model::from_keras_config(&c).unwrap();
    assert_eq!(m.output_shapes(), [vec![4], vec![2]]);
    assert_eq!(m.weights().len(), 2);
    let out = m.to_keras_config().unwrap();
    assert_eq!(out["output_layers"], json!([["c", 0, 0], ["d", 1, 0]]));
    assert_eq!(out["layers"][1]["inbound_nodes"][1]["args"][0]["config"]["keras_history"], json!(["d", 0, 0]));
    // A merge layer called twice cannot be rebuilt: an error, not a panic.
    let mut twice = c.clone();
    twice["config"]["layers"][2]["inbound_nodes"] =
        json!([[["d", 0, 0, {}], ["d", 1, 0, {}]], [["d", 0, 0, {}], ["d", 1, 0, {}]]]);
    assert!(Model::from_keras_config(&twice).unwrap_err().to_string().contains("merge layer"));
    assert!(Model::from_keras_config(&json!({"layers": []})).is_err());
    assert!(Model::from_keras_config(&json!([])).is_err());
}

#[test]
fn broken_files_are_errors() {
    let d = dir("broken");
    let path = d.join("m.h5");
    derin_model(1).save(&path).unwrap();
    {
        let f = hdf5_metno::File::open_rw(&path).unwrap();
        f.unlink("model_weights").unwrap();
    }
    let err = Model::load(&path).unwrap_err().to_string();
    assert!(err.contains("missing group /model_weights"), "{err}");
    let truncated = d.join("t.h5");
    let bytes = std::fs::read(fixture("keras3.h5")).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    assert!(load_model(&truncated).is_err());
    // A Sequential file is not a functional model.
    let seq = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/keras_dense.h5");
    assert!(Model::load(&seq).unwrap_err().to_string().contains("class_name"));
    assert!(matches!(load_model(&seq).unwrap(), KerasModel::Sequential(_)));
    // Weights of a model of other shapes: an error naming both, the model unchanged.
    let mut small = {
        let mut g = Graph::new();
        let x = g.input("x", &[2]).unwrap();
        let y = g.apply(Dense::new(1, Activation::Linear), &x).unwrap();
        Model::new(g, &[&x], &[&y]).unwrap()
    };
    let before = bits(&small);
    assert!(small.load_weights(fixture("keras3.h5")).unwrap_err().to_string().contains("layers with weights"));
    assert_eq!(bits(&small), before);
    assert_eq!(small.layer("dense").unwrap().weights().len(), 2);
    std::fs::remove_dir_all(&d).unwrap();
}

/// Every leaf of the Keras 3 and Keras 2 configs replaced, one at a time, by values of
/// other kinds: each rebuild is `Ok` or `Err`, never a panic.
#[test]
fn mutated_configs_never_panic() {
    fn leaves(v: &Value, path: Vec<String>, out: &mut Vec<Vec<String>>) {
        match v {
            Value::Object(map) => {
                map.iter().for_each(|(k, x)| leaves(x, [path.clone(), vec![k.clone()]].concat(), out))
            }
            Value::Array(list) if !list.is_empty() => {
                list.iter().enumerate().for_each(|(i, x)| leaves(x, [path.clone(), vec![i.to_string()]].concat(), out))
            }
            _ => out.push(path),
        }
    }
    fn at<'a>(v: &'a mut Value, path: &[String]) -> &'a mut Value {
        path.iter().fold(v, |v, k| match v {
            Value::Array(list) => &mut list[k.parse::<usize>().unwrap()],
            other => &mut other[k.as_str()],
        })
    }
    let keras2 = {
        // tf-keras writes an ASCII variable-length string.
        let file = hdf5_metno::File::open(fixture("keras2.h5")).unwrap();
        let text = file.attr("model_config").unwrap().read_scalar::<hdf5_metno::types::VarLenAscii>().unwrap();
        serde_json::from_str::<Value>(text.as_str()).unwrap()
    };
    let mut tried = 0;
    for base in [keras3_config(), keras2] {
        let mut paths = Vec::new();
        leaves(&base, Vec::new(), &mut paths);
        for path in &paths {
            for replacement in
                [json!(null), json!("x"), json!([]), json!({}), json!(-1), json!(0), json!(2), json!(true)]
            {
                let mut c = base.clone();
                *at(&mut c, path) = replacement;
                let _ = Model::from_keras_config(&c);
                tried += 1;
            }
        }
    }
    assert!(tried > 1000, "{tried}");
}

/// Derin's file has Keras 3's layout: `layer_names` in the order Keras wrote for the same
/// model, empty `weight_names` for inputs and merges, `<layer>/<weight>` datasets.
#[test]
fn saved_layout_matches_keras() {
    use hdf5_metno::types::{VarLenAscii, VarLenUnicode};
    let d = dir("layout");
    let path = d.join("m.h5");
    derin_model(3).save(&path).unwrap();
    let names = |file: &Path| -> Vec<String> {
        let f = hdf5_metno::File::open(file).unwrap();
        let attr = f.group("model_weights").unwrap().attr("layer_names").unwrap();
        match attr.read_raw::<VarLenUnicode>() {
            Ok(v) => v.iter().map(|s| s.as_str().to_string()).collect(),
            Err(_) => attr.read_raw::<VarLenAscii>().unwrap().iter().map(|s| s.as_str().to_string()).collect(),
        }
    };
    assert_eq!(names(&path), names(&fixture("keras3.h5")));
    let f = hdf5_metno::File::open(&path).unwrap();
    let w = f.group("model_weights").unwrap();
    assert_eq!(w.group("a").unwrap().attr("weight_names").unwrap().size(), 0);
    assert_eq!(w.group("sum").unwrap().attr("weight_names").unwrap().size(), 0);
    assert_eq!(w.dataset("shared/shared/kernel").unwrap().shape(), [4, 5]);
    let config = f.attr("model_config").unwrap().read_scalar::<VarLenUnicode>().unwrap();
    let config: Value = serde_json::from_str(config.as_str()).unwrap();
    assert_eq!(config["class_name"], "Functional");
    assert_eq!(config["config"]["output_layers"], json!([["out1", 0, 0], ["out2", 0, 0]]));
    std::fs::remove_dir_all(&d).unwrap();
}
