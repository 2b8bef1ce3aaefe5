//! `load_model` reads keras.applications models — VGG16, ResNet50, MobileNetV2,
//! DenseNet121, EfficientNetB0, Xception, built with weights=None at small inputs and saved
//! by Keras 3.15.1 as .h5 and .keras (reference/keras_applications.py; the files are
//! gzipped and unpacked here) — and predicts what Keras predicts.

use std::io::Read;
use std::path::{Path, PathBuf};

use derin_nn::load_model;
use derin_tensor::{Tensor, npy};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/applications").join(name)
}

/// The gunzipped `{name}{ext}` in a fresh temporary directory.
fn unpacked(name: &str, ext: &str) -> PathBuf {
    let mut bytes = Vec::new();
    let file = std::fs::File::open(fixture(&format!("{name}{ext}.gz"))).unwrap();
    flate2::read::GzDecoder::new(file).read_to_end(&mut bytes).unwrap();
    let dir = std::env::temp_dir().join(format!("derin-apps-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}{ext}"));
    std::fs::write(&path, bytes).unwrap();
    path
}

fn predicts_as_keras(name: &str) {
    let x = Tensor::from_array(npy::read_f32(fixture(&format!("{name}.in.npy"))).unwrap());
    let want = npy::read_f32(fixture(&format!("{name}.out.npy"))).unwrap();
    let scale = want.iter().fold(0f32, |m, v| m.max(v.abs()));
    for ext in [".h5", ".keras"] {
        let path = unpacked(name, ext);
        let model = load_model(&path).unwrap_or_else(|e| panic!("{name}{ext}: {e}"));
        std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
        let got = model.predict(&[x.clone()], 1).unwrap_or_else(|e| panic!("{name}{ext}: {e}"));
        let got = got[0].to_vec();
        assert_eq!(got.len(), want.len(), "{name}{ext}");
        for (i, (g, w)) in got.iter().zip(want.iter()).enumerate() {
            // rtol 1e-4 of the largest output, atol 1e-5: Keras' own float32 error against
            // the same model in float64 is 4e-5 of it on VGG16, whose 13 unnormalized
            // convolutions cancel large sums (the reference script prints it per model).
            assert!((g - w).abs() <= 1e-5 + 1e-4 * scale, "{name}{ext} output {i}: {g} vs Keras {w}");
        }
    }
}

#[test]
fn vgg16() {
    predicts_as_keras("vgg16");
}

#[test]
fn resnet50() {
    predicts_as_keras("resnet50");
}

#[test]
fn mobilenet_v2() {
    predicts_as_keras("mobilenet_v2");
}

#[test]
fn densenet121() {
    predicts_as_keras("densenet121");
}

#[test]
fn efficientnet_b0() {
    predicts_as_keras("efficientnet_b0");
}

#[test]
fn xception() {
    predicts_as_keras("xception");
}
