//! Tests of safetensors reading and writing: round trips, atomic saves and every kind of
//! malformed file (parameters, the reference crate and fuzzing are in `tests/`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ndarray::{ArrayD, IxDyn};

use super::*;

mod fuzz;
mod params;
mod reference;

/// A file with `header` as its JSON (no padding: readers must not require it) and `data`.
fn file(header: &str, data: &[u8]) -> Vec<u8> {
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend(header.as_bytes());
    bytes.extend(data);
    bytes
}

fn array(shape: &[usize], values: Vec<f32>) -> ArrayD<f32> {
    ArrayD::from_shape_vec(IxDyn(shape), values).unwrap()
}

fn metadata(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|&(k, v)| (k.to_string(), v.to_string())).collect()
}

/// The reason of the `<memory>` error that reading `bytes` gives.
fn reason(bytes: &[u8]) -> String {
    match SafeTensors::from_bytes(bytes) {
        Err(Error::SafeTensors { path, reason }) => {
            assert_eq!(path, Path::new(MEMORY));
            reason
        }
        other => panic!("expected a SafeTensors error, got {other:?}"),
    }
}

fn assert_reason(bytes: &[u8], expected: &str) {
    let reason = reason(bytes);
    assert!(reason.contains(expected), "reason {reason:?} does not contain {expected:?}");
}

/// A directory of its own under the system temp dir for one test.
fn temp_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("derin-safetensors-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

// ---- Writing and round trips ----

#[test]
fn round_trip_of_every_shape_through_a_file() {
    let dir = temp_dir("round-trip");
    let path = dir.join("all.safetensors");
    let scalar = array(&[], vec![-3.5]);
    let empty = array(&[0], vec![]);
    let empty_3d = array(&[3, 0, 2], vec![]);
    let matrix = array(&[2, 3], vec![1.0, -2.0, 0.5, f32::MAX, f32::MIN_POSITIVE, -0.0]);
    let ones = array(&[1, 1, 1, 1], vec![7.0]);
    let tensors = [("scalar", &scalar), ("empty", &empty), ("empty_3d", &empty_3d), ("w", &matrix), ("ones", &ones)];
    save_safetensors(&path, &tensors, None).unwrap();
    let loaded = load_safetensors(&path).unwrap();
    assert_eq!(loaded.tensors.keys().collect::<Vec<_>>(), ["empty", "empty_3d", "ones", "scalar", "w"]);
    for (name, value) in tensors {
        assert_eq!(&loaded.tensors[name], value, "{name}");
    }
    assert_eq!(loaded.tensors["w"][[1, 2]].to_bits(), (-0.0f32).to_bits());
    assert!(loaded.metadata.is_empty());
    // Only the file itself: the temporary one was renamed.
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
}

#[test]
fn non_contiguous_arrays_are_written_in_logical_order() {
    let matrix = array(&[2, 3], vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let transposed = matrix.t().to_owned();
    let mut sliced = matrix.clone();
    sliced.slice_collapse(ndarray::s![.., 1..]);
    assert!(!sliced.is_standard_layout());
    let bytes = encode(&[("t", &matrix.clone().reversed_axes()), ("s", &sliced)], None).unwrap();
    let loaded = SafeTensors::from_bytes(&bytes).unwrap();
    assert_eq!(loaded.tensors["t"], transposed);
    assert_eq!(loaded.tensors["t"].as_slice().unwrap(), &[1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
    assert_eq!(loaded.tensors["s"].as_slice().unwrap(), &[2.0, 3.0, 5.0, 6.0]);
}

#[test]
fn metadata_round_trips() {
    let dir = temp_dir("metadata");
    let path = dir.join("meta.safetensors");
    let meta = metadata(&[("format", "pt"), ("epoch", "12"), ("note", "ünïcode \"quoted\"\n"), ("", "")]);
    save_safetensors(&path, &[("w", &array(&[1], vec![1.0]))], Some(&meta)).unwrap();
    assert_eq!(load_safetensors(&path).unwrap().metadata, meta);
    // Metadata alone, and an empty map.
    let none: &[(&str, &ArrayD<f32>)] = &[];
    save_safetensors(&path, none, Some(&meta)).unwrap();
    let loaded = load_safetensors(&path).unwrap();
    assert_eq!((loaded.tensors.len(), loaded.metadata), (0, meta));
    save_safetensors(&path, none, Some(&BTreeMap::new())).unwrap();
    assert_eq!(load_safetensors(&path).unwrap(), SafeTensors::default());
}

#[test]
fn the_same_tensors_always_give_the_same_bytes() {
    let (a, b) = (array(&[2], vec![1.0, 2.0]), array(&[], vec![3.0]));
    let meta = metadata(&[("z", "1"), ("a", "2"), ("m", "3")]);
    let first = encode(&[("b", &b), ("a", &a)], Some(&meta)).unwrap();
    assert_eq!(encode(&[("a", &a), ("b", &b)], Some(&meta)).unwrap(), first);
    let header_len = u64::from_le_bytes(first[..8].try_into().unwrap()) as usize;
    assert_eq!(header_len % 8, 0);
    assert_eq!(first.len(), 8 + header_len + 12);
    let header = std::str::from_utf8(&first[8..8 + header_len]).unwrap();
    assert!(header.contains(r#""a":{"data_offsets":[0,8],"dtype":"F32","shape":[2]}"#), "{header}");
    assert!(header.contains(r#""b":{"data_offsets":[8,12],"dtype":"F32","shape":[]}"#), "{header}");
}

#[test]
fn saving_refuses_duplicate_and_reserved_names() {
    let w = array(&[1], vec![1.0]);
    let err = save_safetensors("unused.safetensors", &[("w", &w), ("b", &w), ("w", &w)], None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unused.safetensors: tensor name \"w\" is given twice; names in a safetensors file must be unique"
    );
    let err = encode(&[("__metadata__", &w)], None).unwrap_err();
    assert!(err.contains("tensor name \"__metadata__\" is reserved"), "{err}");
    assert!(!Path::new("unused.safetensors").exists());
}

// ---- Atomic saves ----

#[test]
fn saving_into_a_missing_folder_is_an_error_naming_the_file() {
    let dir = temp_dir("missing-folder");
    let path = dir.join("no/such/folder/model.safetensors");
    match save_safetensors(&path, &[("w", &array(&[1], vec![1.0]))], None) {
        Err(Error::Io { path: p, .. }) => assert_eq!(p, path),
        other => panic!("expected an Io error, got {other:?}"),
    }
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
}

#[test]
fn a_failed_save_leaves_the_previous_file_intact() {
    let dir = temp_dir("failed-save");
    // A name so long that the temporary file beside it (`.<name>.<pid>-<n>.tmp`) exceeds the
    // 255-byte file-name limit: saving there fails. The good file gets there by a rename.
    let path = dir.join(format!("{}.safetensors", "m".repeat(240)));
    let good = array(&[2], vec![1.0, 2.0]);
    save_safetensors(dir.join("good.safetensors"), &[("w", &good)], None).unwrap();
    std::fs::rename(dir.join("good.safetensors"), &path).unwrap();
    let before = std::fs::read(&path).unwrap();
    let err = save_safetensors(&path, &[("w", &array(&[3], vec![9.0; 3]))], None).unwrap_err();
    assert!(matches!(&err, Error::Io { path: p, .. } if *p == path), "{err:?}");
    // A save refused before writing anything, too.
    assert!(save_safetensors(&path, &[("w", &good), ("w", &good)], None).is_err());
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert_eq!(load_safetensors(&path).unwrap().tensors["w"], good);
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "a temporary file was left behind");
}

// ---- Reading: conversions ----

#[test]
fn every_accepted_dtype_reads_as_f32() {
    let half: Vec<u8> = [0x3c00u16, 0xc200].iter().flat_map(|h| h.to_le_bytes()).collect(); // 1, -3
    let bf16: Vec<u8> = [0x3f80u16, 0x4040].iter().flat_map(|h| h.to_le_bytes()).collect(); // 1, 3
    let doubles: Vec<u8> = [0.25f64, -1e10].iter().flat_map(|v| v.to_le_bytes()).collect();
    let longs: Vec<u8> = [-5i64, 1 << 40].iter().flat_map(|v| v.to_le_bytes()).collect();
    let cases: [(&str, Vec<u8>, Vec<f32>); 11] = [
        ("F16", half, vec![1.0, -3.0]),
        ("BF16", bf16, vec![1.0, 3.0]),
        ("F64", doubles, vec![0.25, -1e10]),
        ("I64", longs, vec![-5.0, 2f32.powi(40)]),
        ("U64", [7u64, 0].iter().flat_map(|v| v.to_le_bytes()).collect(), vec![7.0, 0.0]),
        ("I32", [-(1i32 << 24), 3].iter().flat_map(|v| v.to_le_bytes()).collect(), vec![-16_777_216.0, 3.0]),
        ("U32", [1u32, 2].iter().flat_map(|v| v.to_le_bytes()).collect(), vec![1.0, 2.0]),
        ("I16", [-300i16, 300].iter().flat_map(|v| v.to_le_bytes()).collect(), vec![-300.0, 300.0]),
        ("U16", [65535u16, 1].iter().flat_map(|v| v.to_le_bytes()).collect(), vec![65535.0, 1.0]),
        ("I8", vec![0x80, 0x7f], vec![-128.0, 127.0]),
        ("BOOL", vec![1, 0], vec![1.0, 0.0]),
    ];
    for (dtype, data, want) in cases {
        let header = format!(r#"{{"x":{{"dtype":"{dtype}","shape":[2],"data_offsets":[0,{}]}}}}"#, data.len());
        let loaded = SafeTensors::from_bytes(&file(&header, &data)).unwrap();
        assert_eq!(loaded.tensors["x"].as_slice().unwrap(), want.as_slice(), "{dtype}");
    }
    let u8s = file(r#"{"x":{"dtype":"U8","shape":[1,2],"data_offsets":[0,2]}}"#, &[255, 3]);
    assert_eq!(SafeTensors::from_bytes(&u8s).unwrap().tensors["x"], array(&[1, 2], vec![255.0, 3.0]));
}

#[test]
fn inexact_values_are_errors_naming_the_tensor() {
    let longs: Vec<u8> = [1i64, (1 << 24) + 1].iter().flat_map(|v| v.to_le_bytes()).collect();
    let ids = file(r#"{"ids":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}}"#, &longs);
    assert_eq!(reason(&ids), "tensor \"ids\": I64 value 16777217 has no exact float32 (flat index 1)");
    let big = file(r#"{"d":{"dtype":"F64","shape":[],"data_offsets":[0,8]}}"#, &1e39f64.to_le_bytes());
    assert_reason(&big, "tensor \"d\": F64 value 1e39 overflows float32");
    let flags = file(r#"{"mask":{"dtype":"BOOL","shape":[1],"data_offsets":[0,1]}}"#, &[7]);
    assert_reason(&flags, "tensor \"mask\": BOOL byte 7 is neither 0 nor 1");
}

// ---- Reading: malformed files ----

#[test]
fn a_missing_file_is_an_io_error_naming_it() {
    let path = temp_dir("missing-file").join("absent.safetensors");
    let err = load_safetensors(&path).unwrap_err();
    assert!(
        matches!(&err, Error::Io { path: p, source } if *p == path && source.kind() == std::io::ErrorKind::NotFound)
    );
    assert!(err.to_string().starts_with(&path.display().to_string()), "{err}");
}

#[test]
fn malformed_files_name_the_file_and_the_problem() {
    let dir = temp_dir("malformed");
    let path = dir.join("bad.safetensors");
    std::fs::write(&path, file(r#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, &[0; 4])).unwrap();
    let err = load_safetensors(&path).unwrap_err().to_string();
    assert_eq!(
        err,
        format!("{}: tensor \"w\": data_offsets [0, 8] are not a range within the 4 bytes of data", path.display())
    );
}

#[test]
fn every_kind_of_malformed_header_is_explained() {
    let w = |dtype: &str, shape: &str, offsets: &str| {
        format!(r#"{{"w":{{"dtype":"{dtype}","shape":{shape},"data_offsets":{offsets}}}}}"#)
    };
    assert_reason(b"\x02\x00", "file of 2 bytes is too short");
    assert_reason(&file("", b""), "header is not a JSON object");
    let mut truncated = file("{}", b"");
    truncated[0] = 100;
    assert_reason(&truncated, "truncated header: its length is 100 bytes but only 2 bytes follow");
    let mut huge = file("{}", b"");
    huge[..8].copy_from_slice(&200_000_000u64.to_le_bytes());
    assert_reason(&huge, "header length 200000000 is over the limit of 100000000 bytes");
    assert_reason(&file(r#"{"w":"#, b""), "header is not a JSON object: EOF while parsing");
    assert_reason(&file("[1, 2]", b""), "header is not a JSON object: invalid type: sequence");
    let mut latin1 = file("{\"\u{e9}\":1}", b"");
    latin1[10] = 0xff;
    assert_reason(&latin1, "header is not UTF-8");
    assert_reason(
        &file(&w("F33", "[1]", "[0,4]"), &[0; 4]),
        "tensor \"w\": unknown dtype \"F33\" (Derin reads F32, F64",
    );
    assert_reason(&file(&w("C64", "[1]", "[0,8]"), &[0; 8]), "tensor \"w\": dtype C64 is not supported");
    assert_reason(&file(&w("F32", "[1]", "[0,400]"), &[0; 4]), "data_offsets [0, 400] are not a range within");
    assert_reason(&file(&w("F32", "[0]", "[4,0]"), &[0; 4]), "data_offsets [4, 0] are not a range");
    assert_reason(
        &file(&w("F32", "[3]", "[0,8]"), &[0; 8]),
        "tensor \"w\": shape [3] of F32 needs 12 bytes, data_offsets [0, 8] hold 8 bytes",
    );
    assert_reason(&file(&w("F32", "[4611686018427387904,4]", "[0,0]"), b""), "needs more than usize::MAX bytes");
    assert_reason(&file(&w("F32", "[0,9223372036854775808]", "[0,0]"), b""), "cannot be an array");
    assert_reason(&file(&w("F32", "[-1]", "[0,4]"), &[0; 4]), "tensor \"w\": shape must be a list of sizes");
    assert_reason(&file(&w("F32", "[1.5]", "[0,4]"), &[0; 4]), "shape must be a list of sizes");
    assert_reason(&file(&w("F32", "[1]", "[0,4,8]"), &[0; 4]), "data_offsets must be a list [begin, end]");
    assert_reason(&file(&w("F32", "[1]", "\"0\""), &[0; 4]), "data_offsets must be a list [begin, end]");
    assert_reason(&file(r#"{"w":{"dtype":"F32","shape":[1]}}"#, &[0; 4]), "tensor \"w\" has no \"data_offsets\" field");
    assert_reason(&file(r#"{"w":{"dtype":4,"shape":[],"data_offsets":[0,4]}}"#, &[0; 4]), "dtype must be a string");
    assert_reason(&file(r#"{"w":[1]}"#, b""), "tensor \"w\" must be an object, found a list");
}

#[test]
fn offsets_must_tile_the_data_exactly() {
    let two = |a: &str, b: &str| {
        format!(
            r#"{{"a":{{"dtype":"F32","shape":[2],"data_offsets":{a}}},"b":{{"dtype":"F32","shape":[2],"data_offsets":{b}}}}}"#
        )
    };
    assert_reason(
        &file(&two("[0,8]", "[4,12]"), &[0; 12]),
        "tensors \"a\" (bytes 0..8) and \"b\" (bytes 4..12) overlap",
    );
    assert_reason(&file(&two("[0,8]", "[0,8]"), &[0; 8]), "overlap");
    assert_reason(&file(&two("[0,8]", "[12,20]"), &[0; 20]), "data bytes 8..12 belong to no tensor");
    assert_reason(&file(&two("[0,8]", "[8,16]"), &[0; 20]), "data bytes 16..20 belong to no tensor");
    // Order in the header does not matter; empty tensors may sit anywhere.
    let header = r#"{"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"e":{"dtype":"F32","shape":[0],"data_offsets":[4,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#;
    let data: Vec<u8> = [1.0f32, 2.0].iter().flat_map(|v| v.to_le_bytes()).collect();
    let loaded = SafeTensors::from_bytes(&file(header, &data)).unwrap();
    assert_eq!((loaded.tensors["a"][[0]], loaded.tensors["b"][[0]], loaded.tensors["e"].len()), (1.0, 2.0, 0));
}

#[test]
fn names_and_metadata_are_checked() {
    let entry = r#"{"dtype":"F32","shape":[0],"data_offsets":[0,0]}"#;
    assert_reason(&file(&format!(r#"{{"w":{entry},"w":{entry}}}"#), b""), "header names \"w\" twice");
    assert_reason(&file(r#"{"__metadata__":{},"__metadata__":{}}"#, b""), "header names \"__metadata__\" twice");
    assert_reason(
        &file(r#"{"__metadata__":{"epoch":3}}"#, b""),
        "__metadata__ entry \"epoch\" must be a string, found a number",
    );
    assert_reason(&file(r#"{"__metadata__":"x"}"#, b""), "__metadata__ must be an object of strings, found a string");
    let loaded = SafeTensors::from_bytes(&file(r#"{"__metadata__":{"k":"v"}}"#, b"")).unwrap();
    assert_eq!(loaded.metadata, metadata(&[("k", "v")]));
}
