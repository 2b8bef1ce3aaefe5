//! Keras 2 (tf-keras 2.21) full-model `.h5` files, one small model per layer type and a
//! few mixed ones (reference/keras2_layers.py): each loads with `Sequential::load` and
//! predicts what Keras predicted, within 1e-5 absolute + 1e-4 relative.

use std::path::{Path, PathBuf};

use derin_nn::Sequential;
use derin_tensor::{Tensor, npy};

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
