//! Keras interoperability: every model of nn/tests/fixtures/interop (written by
//! reference/keras_interop.py with Keras 3.15.1 and tf-keras 2.21.0) loads from each
//! format Keras wrote it in and predicts what Keras predicted, within 1e-4 relative +
//! 1e-5 absolute; Derin's own `.h5` and `.keras` of each loaded model read back bit for bit.
//!
//! With `DERIN_KERAS_ROUNDTRIP_DIR=DIR`, the Derin-written `.h5` and `.keras` files, their inputs and
//! Derin's predictions are left in DIR for `reference/keras_interop.py --check DIR`, which
//! loads them with Keras.

use std::path::{Path, PathBuf};

use derin_nn::{KerasModel, Module, load_model};
use derin_tensor::ndarray::{ArrayD, IxDyn};
use derin_tensor::{Tensor, npy};

fn fixtures(version: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/interop").join(version)
}

/// The model names in a fixture folder (one per `.h5` full-model file).
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            let stem = name.strip_suffix(".h5")?;
            (!stem.ends_with(".weights")).then(|| stem.to_string())
        })
        .collect();
    names.sort();
    names
}

/// `NAME.in0.npy`, `NAME.in1.npy`, … (or `out`), as tensors.
fn arrays(dir: &Path, name: &str, kind: &str) -> Vec<Tensor> {
    (0..)
        .map(|i| dir.join(format!("{name}.{kind}{i}.npy")))
        .take_while(|p| p.exists())
        .map(|p| Tensor::from_array(npy::read_f32(&p).unwrap()))
        .collect()
}

/// The largest `|got − want| / (1e-5 + 1e-4·|want|)` over every output: ≤ 1 passes.
fn worst(got: &[Tensor], want: &[Tensor]) -> f32 {
    assert_eq!(got.len(), want.len());
    let mut worst = 0.0f32;
    for (g, w) in got.iter().zip(want) {
        assert_eq!(g.shape(), w.shape());
        for (a, b) in g.to_vec().iter().zip(w.to_vec()) {
            worst = worst.max((a - b).abs() / (1e-5 + 1e-4 * b.abs()));
        }
    }
    worst
}

fn predict(model: &KerasModel, inputs: &[Tensor]) -> Vec<Tensor> {
    model.predict(inputs, 32).unwrap()
}

/// Loads each model of `version` from each file Keras wrote and checks the predictions.
fn check_version(version: &str, formats: &[&str]) {
    let dir = fixtures(version);
    let names = names(&dir);
    assert!(names.len() >= 17, "{version}: only {} fixtures", names.len());
    let roundtrip = std::env::var_os("DERIN_KERAS_ROUNDTRIP_DIR").map(PathBuf::from);
    let (mut failures, mut worst_seen, mut files) = (Vec::new(), 0.0f32, 0);
    for name in &names {
        let (inputs, want) = (arrays(&dir, name, "in"), arrays(&dir, name, "out"));
        assert!(!inputs.is_empty() && !want.is_empty(), "{version}/{name}: no inputs or outputs");
        for format in formats {
            let path = dir.join(format!("{name}.{format}"));
            let model = match *format {
                "weights.h5" => {
                    // The model with every weight zeroed, then the weights file.
                    let mut fresh = load_model(dir.join(format!("{name}.h5"))).unwrap();
                    let params = match &fresh {
                        KerasModel::Sequential(m) => [m.weights(), m.state_weights()].concat(),
                        KerasModel::Functional(m) => [m.weights(), m.state_weights()].concat(),
                    };
                    for p in params {
                        p.set(ArrayD::zeros(IxDyn(&p.shape())));
                    }
                    fresh.load_weights(&path).map(|_| fresh)
                }
                _ => load_model(&path),
            };
            match model {
                Err(e) => failures.push(format!("{version}/{name}.{format}: {e}")),
                Ok(model) => {
                    let err = worst(&predict(&model, &inputs), &want);
                    (worst_seen, files) = (worst_seen.max(err), files + 1);
                    if err > 1.0 {
                        failures.push(format!("{version}/{name}.{format}: error {err:.2} × tolerance"));
                    }
                }
            }
        }
        // Derin → .h5 / .keras → Derin: the same predictions, bit for bit.
        let model = load_model(dir.join(format!("{name}.h5"))).unwrap();
        let ours = predict(&model, &inputs);
        for ext in ["h5", "keras"] {
            let tmp = std::env::temp_dir().join(format!("derin-interop-{}-{version}-{name}.{ext}", std::process::id()));
            if let Err(e) = model.save_keras(&tmp) {
                // tf-keras' hard_sigmoid (clip(0.2x + 0.5)) has no Keras 3 name: such a model
                // cannot be saved for Keras 3 (the only Keras 2 model that cannot).
                assert_eq!((version, name.as_str()), ("keras2", "activations"), "{e}");
                assert!(e.to_string().contains("HardSigmoidKeras2 has no Keras name"), "{e}");
                continue;
            }
            let again = predict(&load_model(&tmp).unwrap(), &inputs);
            for (a, b) in ours.iter().zip(&again) {
                assert_eq!(
                    a.to_vec(),
                    b.to_vec(),
                    "{version}/{name}: save_keras({ext}) → load_model changed predictions"
                );
            }
            if let Some(out) = &roundtrip {
                std::fs::create_dir_all(out).unwrap();
                let stem = format!("{version}_{name}");
                std::fs::copy(&tmp, out.join(format!("{stem}.{ext}"))).unwrap();
                for (kind, tensors) in [("in", &inputs), ("out", &ours)] {
                    for (i, t) in tensors.iter().enumerate() {
                        npy::write_f32(out.join(format!("{stem}.{kind}{i}.npy")), &t.to_array().view()).unwrap();
                    }
                }
            }
            std::fs::remove_file(&tmp).unwrap();
        }
    }
    eprintln!("{version}: {files} files match Keras; worst error / tolerance {worst_seen:.4}");
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn keras3_files_predict_as_keras_did() {
    check_version("keras3", &["h5", "keras", "weights.h5"]);
}

#[test]
fn keras2_files_predict_as_keras_did() {
    check_version("keras2", &["h5", "weights.h5"]);
}
