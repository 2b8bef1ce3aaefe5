//! Tests of `save_params` / `load_params`: matching by name, shape checks, strictness, and
//! that a failed load changes nothing.

use super::*;
use crate::Param;

fn param(name: &str, shape: &[usize], value: f32) -> Param {
    Param::new(name, ArrayD::from_elem(IxDyn(shape), value))
}

/// A file holding `params`, in a fresh folder for `test`.
fn saved(test: &str, params: &[Param]) -> PathBuf {
    let path = temp_dir(test).join("params.safetensors");
    save_params(&path, params, Some(&metadata(&[("epoch", "3")]))).unwrap();
    path
}

fn load_error(path: &Path, params: &[Param], strictness: Strictness) -> String {
    match load_params(path, params, strictness) {
        Err(Error::SafeTensors { path: p, reason }) => {
            assert_eq!(p, path);
            reason
        }
        other => panic!("expected a SafeTensors error, got {other:?}"),
    }
}

#[test]
fn params_round_trip_by_name() {
    let path = saved("params-round-trip", &[param("dense/kernel", &[2, 3], 0.5), param("dense/bias", &[3], -1.0)]);
    assert_eq!(load_safetensors(&path).unwrap().metadata, metadata(&[("epoch", "3")]));
    // Another order, fresh values: matched by name.
    let fresh = [param("dense/bias", &[3], 0.0), param("dense/kernel", &[2, 3], 0.0)];
    load_params(&path, &fresh, Strictness::Strict).unwrap();
    assert_eq!(fresh[0].value().to_vec(), vec![-1.0; 3]);
    assert_eq!(fresh[1].value().to_vec(), vec![0.5; 6]);
    // Loading keeps the parameters' ids, so optimizer state stays attached.
    let id = fresh[1].id();
    load_params(&path, &fresh, Strictness::Strict).unwrap();
    assert_eq!(fresh[1].value().id(), id);
}

#[test]
fn a_shape_mismatch_names_the_parameter_and_both_shapes() {
    let path = saved("params-shape", &[param("kernel", &[2, 3], 1.0), param("bias", &[3], 1.0)]);
    let model = [param("kernel", &[3, 2], 0.0), param("bias", &[3], 0.0)];
    let reason = load_error(&path, &model, Strictness::Strict);
    assert_eq!(reason, "cannot load parameters: parameter \"kernel\" has shape [3, 2], the file's tensor has [2, 3]");
    // All or nothing: the bias, which did fit, is unchanged too.
    assert_eq!(model[1].value().to_vec(), vec![0.0; 3]);
}

#[test]
fn missing_parameters_are_listed() {
    let path = saved("params-missing", &[param("kernel", &[2], 1.0)]);
    let model = [param("kernel", &[2], 0.0), param("bias", &[2], 0.0), param("gamma", &[2], 0.0)];
    for strictness in [Strictness::Strict, Strictness::IgnoreUnexpected] {
        assert_eq!(
            load_error(&path, &model, strictness),
            "cannot load parameters: no tensor for parameter(s) [\"bias\", \"gamma\"] (the file holds [\"kernel\"])"
        );
    }
    assert_eq!(model[0].value().to_vec(), vec![0.0; 2]);
}

#[test]
fn unexpected_tensors_are_an_error_only_when_strict() {
    let path = saved("params-extra", &[param("kernel", &[2], 1.0), param("moving_mean", &[2], 2.0)]);
    let model = [param("kernel", &[2], 0.0)];
    assert_eq!(
        load_error(&path, &model, Strictness::Strict),
        "cannot load parameters: unexpected tensor(s) [\"moving_mean\"] match no parameter \
         (Strictness::IgnoreUnexpected skips them)"
    );
    assert_eq!(model[0].value().to_vec(), vec![0.0; 2]);
    load_params(&path, &model, Strictness::IgnoreUnexpected).unwrap();
    assert_eq!(model[0].value().to_vec(), vec![1.0; 2]);
}

#[test]
fn every_problem_is_reported_at_once() {
    let path = saved("params-all", &[param("a", &[1], 1.0), param("b", &[2], 1.0), param("extra", &[], 1.0)]);
    let model = [param("a", &[1], 0.0), param("b", &[3], 0.0), param("c", &[1], 0.0)];
    let reason = load_error(&path, &model, Strictness::Strict);
    for part in [
        "no tensor for parameter(s) [\"c\"]",
        "parameter \"b\" has shape [3], the file's tensor has [2]",
        "unexpected tensor(s) [\"extra\"]",
    ] {
        assert!(reason.contains(part), "{reason:?} lacks {part:?}");
    }
    assert_eq!(model[0].value().to_vec(), vec![0.0]);
}

#[test]
fn duplicate_parameter_names_are_errors_naming_the_duplicate() {
    let dir = temp_dir("params-duplicate");
    let path = dir.join("params.safetensors");
    let model = [param("kernel", &[1], 1.0), param("bias", &[1], 1.0), param("kernel", &[2], 1.0)];
    let err = save_params(&path, &model, None).unwrap_err().to_string();
    assert!(err.ends_with("parameter name \"kernel\" is given twice; names in a safetensors file must be unique"));
    assert!(!path.exists());
    let path = saved("params-duplicate-load", &model[..2]);
    assert!(load_error(&path, &model, Strictness::Strict).contains("parameter name \"kernel\" is given twice"));
}

#[test]
fn params_load_from_other_dtypes() {
    // A half-precision checkpoint (as `model.half()` in PyTorch would save).
    let header = r#"{"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}"#;
    let path = temp_dir("params-f16").join("half.safetensors");
    std::fs::write(&path, file(header, &[0x00, 0x38, 0x00, 0xbc])).unwrap(); // 0.5, -1
    let w = param("w", &[2], 0.0);
    load_params(&path, std::slice::from_ref(&w), Strictness::Strict).unwrap();
    assert_eq!(w.value().to_vec(), vec![0.5, -1.0]);
}

#[test]
fn a_missing_or_malformed_file_changes_no_parameter() {
    let dir = temp_dir("params-bad-file");
    let w = param("w", &[1], 4.0);
    assert!(matches!(
        load_params(dir.join("absent"), std::slice::from_ref(&w), Strictness::Strict),
        Err(Error::Io { .. })
    ));
    std::fs::write(dir.join("bad"), b"not a safetensors file").unwrap();
    assert!(load_error(&dir.join("bad"), std::slice::from_ref(&w), Strictness::Strict).contains("header length"));
    assert_eq!(w.value().to_vec(), vec![4.0]);
}
