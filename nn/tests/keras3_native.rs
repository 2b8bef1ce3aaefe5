//! Keras 3's native formats: `.keras` archives and `.weights.h5` files written by Keras
//! 3.15.1 (reference/keras3_native.py: Dense, Conv1D, Conv2D channels-last,
//! BatchNormalization, Embedding, SimpleRNN, GRU, LSTM,
//! Bidirectional(LSTM)) load with Keras' predictions; Derin's own `.weights.h5` and
//! `.keras` read back bit for bit; malformed archives are errors, never panics.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use derin_nn::{KerasModel, Module, Sequential, load_model};
use derin_tensor::Tensor;

/// Held by every test: loading a `.keras` file extracts a temporary file, and one test
/// checks that none is left behind.
static LOCK: Mutex<()> = Mutex::new(());

/// The lock, also after another test failed holding it.
fn lock() -> MutexGuard<'static, ()> {
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// The temporary files `load_model` of a `.keras` file made in this process and left.
fn leftover_temporaries() -> Vec<PathBuf> {
    let prefix = format!("derin-{}-", std::process::id());
    let entries = std::fs::read_dir(std::env::temp_dir()).unwrap();
    let names = entries.filter_map(|e| e.ok()).map(|e| e.path());
    names
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(&prefix)))
        .filter(|p| p.to_string_lossy().ends_with(".weights.h5"))
        .collect()
}

/// The fixtures of reference/keras3_native.py (`dense` is compiled: its files hold
/// optimizer variables and a `compile_config`, which are ignored).
const NAMES: [&str; 6] = ["cnn", "gru", "lstm", "rnn", "bilstm", "dense"];

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/keras3").join(name)
}

/// A fresh directory for one test.
fn dir(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("derin-keras3-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The fixture's input and Keras' predictions for it.
fn io(name: &str) -> (Tensor, Vec<f32>) {
    let x = derin_data::read_npy(fixture(&format!("{name}_x.npy"))).unwrap();
    let y = derin_data::read_npy(fixture(&format!("{name}_y.npy"))).unwrap();
    (Tensor::from_array(x), y.iter().copied().collect())
}

fn sequential(m: KerasModel) -> Sequential {
    match m {
        KerasModel::Sequential(m) => m,
        KerasModel::Functional(_) => panic!("expected a Sequential model"),
    }
}

/// Whether `got` matches Keras' `want` within 1e-4 relative + 1e-5 absolute.
fn assert_close(got: &[f32], want: &[f32], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= 1e-5 + 1e-4 * w.abs(), "{what}[{i}]: Derin {g}, Keras {w}");
    }
}

fn predict(m: &Sequential, x: &Tensor) -> Vec<f32> {
    m.predict(x, 32).unwrap().to_vec()
}

fn all_weights(m: &Sequential) -> Vec<Vec<f32>> {
    m.weights().iter().chain(&m.non_trainable_params()).map(|p| p.value().to_vec()).collect()
}

#[test]
fn keras_archives_predict_as_keras() {
    let _lock = lock();
    for name in NAMES {
        let m = sequential(load_model(fixture(&format!("{name}.keras"))).unwrap());
        let (x, want) = io(name);
        assert_close(&predict(&m, &x), &want, name);
    }
}

#[test]
fn keras3_weights_files_load_into_a_model_built_from_the_config() {
    let _lock = lock();
    for name in NAMES {
        let keras = sequential(load_model(fixture(&format!("{name}.keras"))).unwrap());
        let mut m = Sequential::from_keras_config(&keras.to_keras_config().unwrap()).unwrap();
        let (x, want) = io(name);
        assert_ne!(predict(&m, &x), predict(&keras, &x), "{name}: fresh weights must differ");
        m.load_weights(fixture(&format!("{name}.weights.h5"))).unwrap();
        assert_close(&predict(&m, &x), &want, name);
        assert_eq!(all_weights(&m), all_weights(&keras), "{name}: the two files hold the same weights");
    }
}

/// Derin's `.weights.h5` and `.keras` read back bit for bit. With `DERIN_KERAS3_OUT` set,
/// the files are also left there for `reference/keras3_native.py --check NAME FILE`.
#[test]
fn derin_written_files_read_back_bit_identical() {
    let _lock = lock();
    let d = dir("roundtrip");
    let keep = std::env::var_os("DERIN_KERAS3_OUT").map(PathBuf::from);
    for name in NAMES {
        let m = sequential(load_model(fixture(&format!("{name}.keras"))).unwrap());
        let (x, _) = io(name);
        let weights = d.join(format!("{name}.weights.h5"));
        m.save_weights(&weights).unwrap();
        let file = hdf5_metno::File::open(&weights).unwrap();
        assert!(file.link_exists("layers") && file.link_exists("vars"), "{name}: Keras 3's layout");
        drop(file);
        let mut back = Sequential::from_keras_config(&m.to_keras_config().unwrap()).unwrap();
        back.load_weights(&weights).unwrap();
        assert_eq!(all_weights(&back), all_weights(&m), "{name}");
        let archive = d.join(format!("{name}.keras"));
        m.save_keras_zip(&archive).unwrap();
        let back = sequential(load_model(&archive).unwrap());
        assert_eq!(all_weights(&back), all_weights(&m), "{name}");
        assert_eq!(predict(&back, &x), predict(&m, &x), "{name}");
        if let Some(out) = &keep {
            std::fs::create_dir_all(out).unwrap();
            std::fs::copy(&weights, out.join(format!("{name}.weights.h5"))).unwrap();
            std::fs::copy(&archive, out.join(format!("{name}.keras"))).unwrap();
        }
    }
    // A save that cannot be written is an error.
    let m = sequential(load_model(fixture("dense.keras")).unwrap());
    let err = m.save_keras_zip("/nonexistent/dir/m.keras").unwrap_err().to_string();
    assert!(err.starts_with("/nonexistent/dir/m.keras: cannot create a temporary file in /nonexistent/dir"), "{err}");
    // The Keras 3 group names: the second layer of a class is numbered.
    let file = hdf5_metno::File::open(d.join("cnn.weights.h5")).unwrap();
    for path in ["layers/conv2d_1/vars/1", "layers/dense_1/vars/0", "layers/batch_normalization/vars/3"] {
        assert!(file.dataset(path).is_ok(), "{path}");
    }
    let gru = hdf5_metno::File::open(d.join("gru.weights.h5")).unwrap();
    assert_eq!(gru.dataset("layers/gru/cell/vars/2").unwrap().shape(), [2, 15]);
    assert_eq!(gru.dataset("layers/gru_1/cell/vars/2").unwrap().shape(), [2, 12]);
    std::fs::remove_dir_all(&d).unwrap();
}

/// Writes a zip of `members` at `path`.
fn zip_of(path: &Path, members: &[(&str, &[u8])]) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, bytes) in members {
        zip.start_file(*name, options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap();
}

/// What `load_model` says about `path`.
fn load_error(path: &Path) -> String {
    load_model(path).err().map(|e| e.to_string()).unwrap_or_else(|| "loaded".into())
}

#[test]
fn malformed_archives_are_errors_naming_what_is_wrong() {
    let _lock = lock();
    let d = dir("malformed");
    let archive = std::fs::read(fixture("cnn.keras")).unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&archive)).unwrap();
    let read = |zip: &mut zip::ZipArchive<std::io::Cursor<&Vec<u8>>>, name: &str| {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut zip.by_name(name).unwrap(), &mut bytes).unwrap();
        bytes
    };
    let config = read(&mut zip, "config.json");
    let weights = read(&mut zip, "model.weights.h5");
    let gru_weights = std::fs::read(fixture("gru.weights.h5")).unwrap();
    let cases: Vec<(&str, Vec<(&str, &[u8])>, &str)> = vec![
        ("no_config", vec![("model.weights.h5", &weights)], "missing config.json in the .keras archive"),
        (
            "bad_json",
            vec![("config.json", b"{\"class_name\": "), ("model.weights.h5", &weights)],
            "config.json in the archive is not JSON",
        ),
        ("no_weights", vec![("config.json", &config)], "missing model.weights.h5 in the .keras archive"),
        (
            "garbled",
            vec![("config.json", &config), ("model.weights.h5", b"not hdf5 at all")],
            "model.weights.h5 in the archive: cannot open as HDF5",
        ),
        (
            "truncated_h5",
            vec![("config.json", &config), ("model.weights.h5", &weights[..weights.len() / 2])],
            "model.weights.h5 in the archive",
        ),
        (
            "wrong_weights",
            vec![("config.json", &config), ("model.weights.h5", &gru_weights)],
            "model.weights.h5 in the archive: group /layers/conv1d holds weights, the model has no layer for it",
        ),
        (
            "no_class",
            vec![("config.json", b"{\"config\": {}}"), ("model.weights.h5", &weights)],
            "config.json: config key \"class_name\": missing",
        ),
        (
            "subclassed",
            vec![("config.json", b"{\"class_name\": \"MyModel\", \"config\": {}}"), ("model.weights.h5", &weights)],
            "a MyModel model",
        ),
        (
            "functional",
            vec![("config.json", b"{\"class_name\": \"Functional\", \"config\": {}}"), ("model.weights.h5", &weights)],
            "Functional: config key \"layers\": missing or not a list",
        ),
    ];
    for (case, members, want) in cases {
        let path = d.join(format!("{case}.keras"));
        zip_of(&path, &members);
        let err = load_error(&path);
        assert!(err.contains(want), "{case}: {err}");
    }
    // Not a zip; a zip told by its magic only; a truncated archive; a missing file.
    std::fs::write(d.join("text.keras"), "hello").unwrap();
    assert!(load_error(&d.join("text.keras")).contains("not a .keras file (not a zip archive)"));
    zip_of(&d.join("magic.bin"), &[("model.weights.h5", &weights)]);
    assert!(load_error(&d.join("magic.bin")).contains("missing config.json"));
    std::fs::write(d.join("cut.keras"), &archive[..archive.len() * 2 / 3]).unwrap();
    assert!(load_error(&d.join("cut.keras")).contains("not a .keras file"));
    assert!(load_error(&d.join("absent.keras")).ends_with("absent.keras: no such file"));
    // Shapes: a model whose Dense is wider than the file's.
    let text = String::from_utf8(config.clone()).unwrap().replacen("\"units\": 4", "\"units\": 5", 1);
    zip_of(&d.join("shape.keras"), &[("config.json", text.as_bytes()), ("model.weights.h5", &weights)]);
    let err = load_error(&d.join("shape.keras"));
    assert!(err.contains("/layers/dense/vars/0 has shape [8, 4], dense (Dense) needs [8, 5]"), "{err}");
    assert_eq!(leftover_temporaries(), Vec::<PathBuf>::new(), "the extracted weights are removed after errors");
    std::fs::remove_dir_all(&d).unwrap();
}

/// Every byte of a real archive flipped in turn (a stride through the file): loading
/// returns a model or an error, never panics. The stored members' CRC-32 keeps garbage
/// away from libhdf5.
#[test]
fn mutated_archives_never_panic() {
    let _lock = lock();
    let d = dir("fuzz");
    let archive = std::fs::read(fixture("rnn.keras")).unwrap();
    let path = d.join("m.keras");
    let (mut ok, mut err) = (0, 0);
    for at in (0..archive.len()).step_by(97) {
        let mut bytes = archive.clone();
        bytes[at] ^= 0x5a;
        std::fs::write(&path, &bytes).unwrap();
        match load_model(&path) {
            Ok(_) => ok += 1,
            Err(_) => err += 1,
        }
    }
    assert!(err > 0 && ok + err == archive.len().div_ceil(97), "{ok} loaded, {err} errors");
    assert_eq!(leftover_temporaries(), Vec::<PathBuf>::new());
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn weights_files_that_do_not_fit_are_errors_and_change_nothing() {
    let _lock = lock();
    let mut m = sequential(load_model(fixture("cnn.keras")).unwrap());
    let before = all_weights(&m);
    let err = m.load_weights(fixture("gru.weights.h5")).unwrap_err().to_string();
    assert!(err.contains("group /layers/conv1d holds weights, the model has no layer for it"), "{err}");
    let err = m.load_weights(fixture("lstm.weights.h5")).unwrap_err().to_string();
    assert!(err.contains("group /layers/embedding holds weights"), "{err}");
    assert_eq!(all_weights(&m), before);
    let mut gru = sequential(load_model(fixture("gru.keras")).unwrap());
    let err = gru.load_weights(fixture("cnn.weights.h5")).unwrap_err().to_string();
    assert!(err.contains("holds weights, the model has no layer for it"), "{err}");
}
