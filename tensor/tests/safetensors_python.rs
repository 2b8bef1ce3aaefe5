//! Interoperability with the Python `safetensors` package: Python reads what Derin writes and
//! Derin reads what Python writes, value for value (bit patterns compared).
//!
//! Checked with Python 3.11.7, safetensors 0.8.0 and numpy 2.4.6. These tests need `python3`
//! with both packages (`pip install safetensors numpy`; `.ci/run` installs them); without them
//! they fail, they do not skip.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use derin_tensor::ndarray::{ArrayD, IxDyn};
use derin_tensor::{load_safetensors, save_safetensors};
use serde_json::Value;

const INSTALL: &str = "run `pip install safetensors numpy` for the python3 on PATH";

/// Runs `python3 -c script path` and parses the JSON it prints.
fn python(script: &str, path: &Path) -> Value {
    let output = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3 ({e}): install Python 3, then {INSTALL}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("ModuleNotFoundError"), "a Python package is missing: {INSTALL}\n{stderr}");
    assert!(output.status.success(), "python3 failed ({}):\n{stderr}", output.status);
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("python3 printed no JSON ({e}): {}", String::from_utf8_lossy(&output.stdout)))
}

fn temp_file(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("derin-safetensors-python-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("file.safetensors")
}

fn array(shape: &[usize], values: Vec<f32>) -> ArrayD<f32> {
    ArrayD::from_shape_vec(IxDyn(shape), values).unwrap()
}

fn bits(array: &ArrayD<f32>) -> Vec<u64> {
    array.iter().map(|v| u64::from(v.to_bits())).collect()
}

fn json_bits(value: &Value) -> Vec<u64> {
    value.as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect()
}

fn json_shape(value: &Value) -> Vec<usize> {
    value.as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect()
}

/// Loads a file with `safetensors.numpy.load_file` and prints names, dtypes, shapes, float32
/// bit patterns and the metadata as JSON.
const PYTHON_READS: &str = r#"
import json, sys
import numpy as np
import safetensors
from safetensors import safe_open
from safetensors.numpy import load_file

path = sys.argv[1]
tensors = load_file(path)
with safe_open(path, framework="np") as f:
    metadata = f.metadata()
print(json.dumps({
    "versions": [safetensors.__version__, np.__version__],
    "metadata": metadata,
    "tensors": {
        name: {"dtype": str(a.dtype), "shape": list(a.shape), "bits": a.view(np.uint32).ravel().tolist()}
        for name, a in tensors.items()
    },
}))
"#;

#[test]
fn python_reads_what_derin_writes() {
    let path = temp_file("reads");
    let kernel = array(&[2, 3], vec![1.0 / 3.0, -0.0, f32::MAX, f32::from_bits(1), -1e-8, 1e30]);
    let scalar = array(&[], vec![-7.25]);
    let empty = array(&[0, 3], vec![]);
    let transposed = array(&[2, 2], vec![1.0, 2.0, 3.0, 4.0]).reversed_axes();
    let tensors = [("dense/kernel", &kernel), ("scalar", &scalar), ("empty", &empty), ("transposed", &transposed)];
    let metadata = BTreeMap::from([("format".to_string(), "pt".to_string()), ("epoch".to_string(), "7".to_string())]);
    save_safetensors(&path, &tensors, Some(&metadata)).unwrap();

    let seen = python(PYTHON_READS, &path);
    let versions = &seen["versions"];
    assert!(versions[0].is_string() && versions[1].is_string(), "{versions}");
    assert_eq!(seen["metadata"], serde_json::json!({"format": "pt", "epoch": "7"}));
    let by_name = seen["tensors"].as_object().unwrap();
    assert_eq!(by_name.len(), tensors.len(), "{by_name:?}");
    for (name, ours) in tensors {
        let theirs = &by_name[name];
        assert_eq!(theirs["dtype"], "float32", "{name}");
        assert_eq!(json_shape(&theirs["shape"]), ours.shape(), "{name}");
        assert_eq!(json_bits(&theirs["bits"]), bits(ours), "{name}");
    }
}

/// Writes float32, float64, float16, int64 and bool tensors (0-d and empty ones too) and
/// metadata with `safetensors.numpy.save_file`, and prints each tensor's shape and its values
/// as NumPy converts them to float32 (bit patterns).
const PYTHON_WRITES: &str = r#"
import json, sys
import numpy as np
from safetensors.numpy import save_file

tensors = {
    "f32": np.array([[1.5, -0.0], [3.4028235e38, 1e-45]], dtype=np.float32),
    "f64": np.array([0.1, -2.5, 1e-300, 123456789.123], dtype=np.float64),
    "f16": np.array([0.5, -1.25, 65504, 2.0**-24, np.inf], dtype=np.float16),
    "i64": np.array([[-(2**24)], [2**40], [7]], dtype=np.int64),
    "mask": np.array([True, False, True]),
    "scalar": np.array(3.0, dtype=np.float64),
    "empty": np.zeros((2, 0), dtype=np.float32),
}
save_file(tensors, sys.argv[1], metadata={"format": "np", "source": "python"})
print(json.dumps({
    name: {"shape": list(a.shape), "bits": a.astype(np.float32).view(np.uint32).ravel().tolist()}
    for name, a in tensors.items()
}))
"#;

#[test]
fn derin_reads_what_python_writes() {
    let path = temp_file("writes");
    let expected = python(PYTHON_WRITES, &path);
    let file = load_safetensors(&path).unwrap();
    let names: Vec<&String> = file.tensors.keys().collect();
    assert_eq!(names, ["empty", "f16", "f32", "f64", "i64", "mask", "scalar"]);
    for (name, array) in &file.tensors {
        assert_eq!(array.shape(), json_shape(&expected[name]["shape"]), "{name}");
        assert_eq!(bits(array), json_bits(&expected[name]["bits"]), "{name}");
    }
    // The same values, spelled out.
    let values = |name: &str| file.tensors[name].iter().copied().collect::<Vec<f32>>();
    assert_eq!(values("f16"), [0.5, -1.25, 65504.0, 2f32.powi(-24), f32::INFINITY]);
    assert_eq!(values("f64"), [0.1f32, -2.5, 0.0, 123_456_792.0]);
    assert_eq!(values("i64"), [-16_777_216.0, 2f32.powi(40), 7.0]);
    assert_eq!(values("mask"), [1.0, 0.0, 1.0]);
    assert_eq!(file.tensors["scalar"].ndim(), 0);
    assert_eq!(values("scalar"), [3.0]);
    assert_eq!(file.tensors["f32"][[1, 1]].to_bits(), 1);
    let metadata: Vec<(&str, &str)> = file.metadata.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(metadata, [("format", "np"), ("source", "python")]);
}
