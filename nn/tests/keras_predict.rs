//! `predict_files` (the logic of the `keras_predict` example) on Keras-written fixture files:
//! int64 token ids and float32 images in, Keras' predictions out; wrong argument counts,
//! shapes and files are errors; the example binary itself exits 1 with a message.

use std::path::{Path, PathBuf};

use derin_nn::serialize::predict_files;
use derin_tensor::ndarray::{ArrayD, IxDyn};
use derin_tensor::npy;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// A fresh directory for one test.
fn dir(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("derin-keras-predict-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A `.npy` file of little-endian int64 values, as `np.save(path, a.astype(np.int64))` writes.
fn write_i64(path: &Path, shape: &[usize], values: &[i64]) {
    let dims: Vec<String> = shape.iter().map(|d| format!("{d},")).collect();
    let mut header = format!("{{'descr': '<i8', 'fortran_order': False, 'shape': ({}), }}", dims.join(" "));
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend((header.len() as u16).to_le_bytes());
    bytes.extend(header.as_bytes());
    for v in values {
        bytes.extend(v.to_le_bytes());
    }
    std::fs::write(path, bytes).unwrap();
}

/// `sin(0.37·i + 0.1)` in row-major order: the inputs of reference/keras_h5.py.
fn sin_input(shape: &[usize]) -> ArrayD<f32> {
    let n: usize = shape.iter().product();
    ArrayD::from_shape_vec(IxDyn(shape), (0..n).map(|i| (0.37 * i as f64 + 0.1).sin() as f32).collect()).unwrap()
}

fn assert_close(got: &ArrayD<f32>, keras: &[f64]) {
    let got: Vec<f32> = got.iter().copied().collect();
    assert_eq!(got.len(), keras.len());
    for (a, b) in got.iter().zip(keras) {
        assert!((f64::from(*a) - b).abs() < 1e-5, "{got:?} vs {keras:?}");
    }
}

// Keras' predictions from reference/keras_h5.py (Keras 3.15.1, TensorFlow 2.21.0), as in
// tests/hdf5_layers.rs.

#[test]
fn int64_token_ids_predict_as_keras() {
    let d = dir("text");
    let ids = d.join("ids.npy");
    write_i64(&ids, &[2, 6], &[0, 7, 4, 1, 0, 0, 2, 9, 6, 3, 0, 0]);
    let written = predict_files(fixture("keras_text.h5"), &[&ids], d.join("pred.npy")).unwrap();
    assert_eq!(written, vec![d.join("pred.npy")]);
    let pred = npy::read_f32(&written[0]).unwrap();
    assert_eq!(pred.shape(), &[2, 2]);
    assert_close(&pred, &[0.55933690, 0.44066310, 0.59897989, 0.40102011]);

    // An id no float32 holds exactly is refused, not rounded to another token.
    write_i64(&ids, &[2, 6], &[0, 7, 4, 1, 0, 0, 2, 9, 6, 3, 0, 16_777_217]);
    let err = predict_files(fixture("keras_text.h5"), &[&ids], d.join("pred2.npy")).unwrap_err().to_string();
    assert!(err.contains("ids.npy") && err.contains("value 16777217 (int64) at flat index 11"), "{err}");
    assert!(!d.join("pred2.npy").exists());
}

#[test]
fn float32_images_predict_as_keras() {
    let d = dir("cnn");
    let x = d.join("x.npy");
    npy::write_f32(&x, &sin_input(&[2, 6, 6, 2]).view()).unwrap();
    let written = predict_files(fixture("keras_cnn.h5"), &[&x], d.join("out")).unwrap();
    assert_eq!(written, vec![d.join("out")]);
    let keras = [0.02525434, 0.81036294, 0.16438277, 0.02503427, 0.80870920, 0.16625655];
    assert_close(&npy::read_f32(&written[0]).unwrap(), &keras);
}

#[test]
fn wrong_inputs_are_errors_naming_both_shapes() {
    let d = dir("errors");
    let model = fixture("keras_cnn.h5");
    let x = d.join("x.npy");
    // Channels-first instead of Keras' channels-last.
    npy::write_f32(&x, &sin_input(&[2, 2, 6, 6]).view()).unwrap();
    let err = predict_files(&model, &[&x], d.join("y.npy")).unwrap_err().to_string();
    assert!(err.contains("input 1 (") && err.contains("expected shape [batch, 6, 6, 2], got [2, 2, 6, 6]"), "{err}");
    // No batch axis.
    npy::write_f32(&x, &sin_input(&[6, 6, 2]).view()).unwrap();
    let err = predict_files(&model, &[&x], d.join("y.npy")).unwrap_err().to_string();
    assert!(err.contains("expected shape [batch, 6, 6, 2], got [6, 6, 2]"), "{err}");
    // Two arrays for a one-input model, none at all.
    let err = predict_files(&model, &[&x, &x], d.join("y.npy")).unwrap_err().to_string();
    assert!(err.contains("the model takes 1 input array(s) (sample shapes [[6, 6, 2]]), got 2 .npy file(s)"), "{err}");
    assert!(predict_files(&model, &[] as &[PathBuf], d.join("y.npy")).is_err());
    // Not a .npy file, a missing one, a missing model.
    std::fs::write(&x, b"not numpy at all").unwrap();
    let err = predict_files(&model, &[&x], d.join("y.npy")).unwrap_err().to_string();
    assert!(err.contains("x.npy: not a .npy file Derin can read: bad magic string"), "{err}");
    let err = predict_files(&model, &[d.join("missing.npy")], d.join("y.npy")).unwrap_err().to_string();
    assert!(err.contains("missing.npy") && err.contains("No such file"), "{err}");
    assert!(
        predict_files(d.join("missing.h5"), &[&x], d.join("y.npy")).unwrap_err().to_string().contains("no such file")
    );
    assert!(!d.join("y.npy").exists());
}

/// The example binary, which `cargo test` (without a target filter, as `cargo xtask ci`
/// runs it) builds next to this test's directory.
fn example_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile = exe.parent().and_then(Path::parent).unwrap();
    let path = profile.join("examples").join(format!("keras_predict{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is missing: run the tests without a target filter (or `cargo build --example keras_predict` with the same profile first)",
        path.display()
    );
    path
}

#[test]
fn the_example_exits_1_with_a_message() {
    let bin = example_binary();
    let d = dir("cli");
    let run = |args: &[&Path]| std::process::Command::new(&bin).args(args).output().unwrap();
    let out = run(&[&fixture("keras_text.h5")]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("expected at least 3 arguments, got 1") && stderr.contains("usage:"), "{stderr}");

    let x = d.join("x.npy");
    npy::write_f32(&x, &sin_input(&[2, 5]).view()).unwrap();
    let out = run(&[&fixture("keras_text.h5"), &x, &d.join("y.npy")]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("expected shape [batch, 6], got [2, 5]") && !stderr.contains("panicked"), "{stderr}");

    let ids = d.join("ids.npy");
    write_i64(&ids, &[2, 6], &[0, 7, 4, 1, 0, 0, 2, 9, 6, 3, 0, 0]);
    let out = run(&[&fixture("keras_text.h5"), &ids, &d.join("y.npy")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_close(&npy::read_f32(d.join("y.npy")).unwrap(), &[0.55933690, 0.44066310, 0.59897989, 0.40102011]);
}
