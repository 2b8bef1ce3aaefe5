//! Tests of `.npy` I/O: round trips, hand-built files of every dtype, NumPy's own files and
//! every kind of malformed input (fuzzing is in `tests/fuzz.rs`).

use std::path::{Path, PathBuf};

use super::*;
use ndarray::{ArrayD, IxDyn};

mod float64;
mod fuzz;

/// A `.npy` file of this format version with `dict` (a newline is appended) as its header and
/// `data` after it. No alignment padding: readers must not require it.
fn npy_version(major: u8, dict: &str, data: &[u8]) -> Vec<u8> {
    let header = format!("{dict}\n");
    let mut bytes = b"\x93NUMPY".to_vec();
    bytes.extend([major, 0]);
    if major == 1 {
        bytes.extend(u16::try_from(header.len()).unwrap().to_le_bytes());
    } else {
        bytes.extend(u32::try_from(header.len()).unwrap().to_le_bytes());
    }
    bytes.extend(header.as_bytes());
    bytes.extend(data);
    bytes
}

/// A version-1.0 file with the usual three-key header.
fn npy(descr: &str, fortran_order: bool, shape: &str, data: &[u8]) -> Vec<u8> {
    let order = if fortran_order { "True" } else { "False" };
    npy_version(1, &format!("{{'descr': '{descr}', 'fortran_order': {order}, 'shape': {shape}, }}"), data)
}

fn array<T>(shape: &[usize], values: Vec<T>) -> ArrayD<T> {
    ArrayD::from_shape_vec(IxDyn(shape), values).unwrap()
}

/// The reason of the `Error::Npy` that parsing `bytes` as `f32` must return.
fn reason(bytes: &[u8]) -> String {
    match from_bytes_f32(bytes) {
        Err(Error::Npy { path, reason }) => {
            assert_eq!(path, Path::new("<memory>"));
            reason
        }
        other => panic!("expected an Npy error, got {other:?}"),
    }
}

fn assert_reason(bytes: &[u8], expected: &str) {
    let reason = reason(bytes);
    assert!(reason.contains(expected), "reason {reason:?} does not contain {expected:?}");
}

/// A directory of its own under the system temp dir for one test.
fn temp_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("derin-npy-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/npy").join(name)
}

// ---- Writing and round trips ----

#[test]
fn round_trip_f32_through_bytes_and_files() {
    let dir = temp_dir("round-trip");
    for shape in [&[][..], &[0], &[3], &[2, 3, 4]] {
        let n = shape.iter().product();
        let values = (0..n).map(|i| i as f32 * 0.5 - 3.0).collect();
        let original = array(shape, values);
        let bytes = to_bytes_f32(&original.view());
        assert_eq!((bytes.len() - 4 * n) % 64, 0, "data of shape {shape:?} is not 64-byte aligned");
        assert_eq!(bytes[bytes.len() - 4 * n - 1], b'\n');
        assert_eq!(from_bytes_f32(&bytes).unwrap(), original);

        let path = dir.join(format!("shape-{}.npy", shape.len()));
        write_f32(&path, &original.view()).unwrap();
        assert_eq!(read_f32(&path).unwrap(), original);
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn round_trip_keeps_nan_infinity_and_signed_zero_bits() {
    let values = vec![f32::NAN, f32::INFINITY, f32::NEG_INFINITY, -0.0, f32::MIN_POSITIVE / 2.0, f32::MAX];
    let back = from_bytes_f32(&to_bytes_f32(&array(&[6], values.clone()).view())).unwrap();
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(back.as_slice().unwrap()), bits(&values));
}

#[test]
fn writes_non_contiguous_views_in_logical_order() {
    let a = array(&[2, 3], vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let transposed = a.t();
    let back = from_bytes_f32(&to_bytes_f32(&transposed)).unwrap();
    assert_eq!(back, array(&[3, 2], vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]));
    let column = a.slice(ndarray::s![.., 1..2]).into_dyn();
    assert_eq!(from_bytes_f32(&to_bytes_f32(&column)).unwrap(), array(&[2, 1], vec![2.0, 5.0]));
}

#[test]
fn writes_exactly_what_numpy_writes() {
    let cases = [
        ("f4_c_2x3.npy", array(&[2, 3], vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0])),
        ("f4_scalar.npy", array(&[], vec![7.5])),
        ("f4_empty_0x3.npy", array(&[0, 3], vec![])),
    ];
    for (name, a) in cases {
        assert_eq!(to_bytes_f32(&a.view()), std::fs::read(fixture(name)).unwrap(), "{name}");
    }
}

#[test]
fn header_too_big_for_version_1_switches_to_version_2() {
    let shape = vec![1; 25_000]; // "1, " × 25,000 is over 64 KiB of header
    let a = ArrayD::from_elem(IxDyn(&shape), 2.5f32);
    let bytes = to_bytes_f32(&a.view());
    assert_eq!(&bytes[6..8], &[2, 0]);
    let header_len = u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize;
    assert!(header_len > usize::from(u16::MAX));
    assert_eq!((12 + header_len) % 64, 0);
    assert_eq!(from_bytes_f32(&bytes).unwrap(), a);
}

#[test]
fn failed_write_keeps_the_old_file_and_leaves_no_temporary() {
    let dir = temp_dir("atomic");
    let path = dir.join("weights.npy");
    write_f32(&path, &array(&[2], vec![1.0, 2.0]).view()).unwrap();
    write_f32(&path, &array(&[3], vec![3.0, 4.0, 5.0]).view()).unwrap();
    assert_eq!(read_f32(&path).unwrap(), array(&[3], vec![3.0, 4.0, 5.0]));

    // Renaming a file over a non-empty directory fails after the temporary file is written.
    let blocked = dir.join("blocked.npy");
    std::fs::create_dir(&blocked).unwrap();
    std::fs::write(blocked.join("keep"), b"old").unwrap();
    let error = write_f32(&blocked, &array(&[1], vec![9.0]).view()).unwrap_err();
    assert!(matches!(&error, Error::Io { path, .. } if *path == blocked), "{error:?}");
    assert_eq!(std::fs::read(blocked.join("keep")).unwrap(), b"old");

    let mut names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    names.sort();
    assert_eq!(names, ["blocked.npy", "weights.npy"]);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn io_errors_name_the_path() {
    let missing = std::env::temp_dir().join("derin-npy-no-such-dir/x.npy");
    for error in [read_f32(&missing).unwrap_err(), read_usize(&missing).unwrap_err()] {
        assert!(matches!(&error, Error::Io { path, .. } if *path == missing), "{error:?}");
    }
    let error = write_f32(&missing, &array(&[1], vec![1.0]).view()).unwrap_err();
    assert!(error.to_string().starts_with(&missing.display().to_string()), "{error}");
}

// ---- Hand-built files: every dtype, both byte orders, Fortran order ----

#[test]
fn reads_every_dtype_in_both_byte_orders() {
    fn join<const N: usize>(words: &[[u8; N]]) -> Vec<u8> {
        words.concat()
    }
    let cases: Vec<(&str, Vec<u8>, Vec<f32>)> = vec![
        ("<f4", join(&[1.5f32.to_le_bytes(), (-2.0f32).to_le_bytes()]), vec![1.5, -2.0]),
        (">f4", join(&[1.5f32.to_be_bytes(), (-2.0f32).to_be_bytes()]), vec![1.5, -2.0]),
        ("<f8", join(&[0.1f64.to_le_bytes(), (-3.5f64).to_le_bytes()]), vec![0.1, -3.5]),
        (">f8", join(&[0.1f64.to_be_bytes(), (-3.5f64).to_be_bytes()]), vec![0.1, -3.5]),
        ("|i1", vec![0x80, 5, 0x7f], vec![-128.0, 5.0, 127.0]),
        ("<i2", join(&[(-2i16).to_le_bytes(), 300i16.to_le_bytes()]), vec![-2.0, 300.0]),
        (">i2", join(&[(-2i16).to_be_bytes(), 300i16.to_be_bytes()]), vec![-2.0, 300.0]),
        ("<i4", join(&[(-70_000i32).to_le_bytes(), i32::MAX.to_le_bytes()]), vec![-70_000.0, i32::MAX as f32]),
        (">i4", join(&[(-70_000i32).to_be_bytes(), i32::MIN.to_be_bytes()]), vec![-70_000.0, i32::MIN as f32]),
        ("<i8", join(&[(-5i64).to_le_bytes(), (1i64 << 40).to_le_bytes()]), vec![-5.0, (1u64 << 40) as f32]),
        (">i8", join(&[(-5i64).to_be_bytes(), i64::MIN.to_be_bytes()]), vec![-5.0, i64::MIN as f32]),
        ("|u1", vec![0, 255], vec![0.0, 255.0]),
        ("<u1", vec![7], vec![7.0]),
        ("<u2", 65535u16.to_le_bytes().to_vec(), vec![65535.0]),
        (">u2", 258u16.to_be_bytes().to_vec(), vec![258.0]),
        ("<u4", 4_000_000_000u32.to_le_bytes().to_vec(), vec![4e9]),
        (">u4", 4_000_000_000u32.to_be_bytes().to_vec(), vec![4e9]),
        ("<u8", u64::MAX.to_le_bytes().to_vec(), vec![u64::MAX as f32]),
        (">u8", (1u64 << 40).to_be_bytes().to_vec(), vec![(1u64 << 40) as f32]),
        ("|b1", vec![0, 1, 2], vec![0.0, 1.0, 1.0]),
    ];
    for (descr, data, expected) in cases {
        let shape = format!("({},)", expected.len());
        let got = from_bytes_f32(&npy(descr, false, &shape, &data)).unwrap_or_else(|e| panic!("{descr}: {e}"));
        assert_eq!(got, array(&[expected.len()], expected), "{descr}");
    }
}

#[test]
fn reads_integer_dtypes_as_usize() {
    let cases: Vec<(&str, Vec<u8>, Vec<usize>)> = vec![
        ("|i1", vec![0, 127], vec![0, 127]),
        (">i2", 300i16.to_be_bytes().to_vec(), vec![300]),
        ("<i4", [5i32.to_le_bytes(), 9i32.to_le_bytes()].concat(), vec![5, 9]),
        (">i8", (1i64 << 40).to_be_bytes().to_vec(), vec![1 << 40]),
        ("|u1", vec![255, 3], vec![255, 3]),
        ("<u2", 65535u16.to_le_bytes().to_vec(), vec![65535]),
        (">u4", 4_000_000_000u32.to_be_bytes().to_vec(), vec![4_000_000_000]),
        ("<u8", u64::MAX.to_le_bytes().to_vec(), vec![usize::try_from(u64::MAX).unwrap()]),
        ("|b1", vec![1, 0], vec![1, 0]),
    ];
    for (descr, data, expected) in cases {
        let shape = format!("({},)", expected.len());
        let got = from_bytes_usize(&npy(descr, false, &shape, &data)).unwrap_or_else(|e| panic!("{descr}: {e}"));
        assert_eq!(got, array(&[expected.len()], expected), "{descr}");
    }
}

#[test]
fn fortran_order_becomes_standard_layout() {
    let data: Vec<u8> = [1.0f32, 4.0, 2.0, 5.0, 3.0, 6.0].iter().flat_map(|x| x.to_le_bytes()).collect();
    let a = from_bytes_f32(&npy("<f4", true, "(2, 3)", &data)).unwrap();
    assert_eq!(a, array(&[2, 3], vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]));
    assert!(a.is_standard_layout());

    // 3-d, big-endian u2: element [i, j, k] = 100 i + 10 j + k, stored with i varying fastest,
    // which is the row-major order of the axes-reversed array.
    let expected = ArrayD::from_shape_fn(IxDyn(&[2, 3, 4]), |ix| 100 * ix[0] + 10 * ix[1] + ix[2]);
    let storage: Vec<u8> = expected.t().iter().flat_map(|&v| (v as u16).to_be_bytes()).collect();
    assert_eq!(&storage[..6], &[0, 0, 0, 100, 0, 10]);
    let bytes = npy(">u2", true, "(2, 3, 4)", &storage);
    assert_eq!(from_bytes_usize(&bytes).unwrap(), expected);
    assert_eq!(from_bytes_f32(&bytes).unwrap(), expected.mapv(|v| v as f32));
}

#[test]
fn reads_zero_d_empty_and_all_versions() {
    assert_eq!(from_bytes_f32(&npy("<f4", false, "()", &2.5f32.to_le_bytes())).unwrap(), array(&[], vec![2.5]));
    assert_eq!(from_bytes_usize(&npy("<i8", false, "()", &7i64.to_le_bytes())).unwrap(), array(&[], vec![7]));
    assert_eq!(from_bytes_f32(&npy("<f4", false, "(2, 0, 3)", &[])).unwrap().shape(), &[2, 0, 3]);
    assert_eq!(from_bytes_usize(&npy("|u1", true, "(0,)", &[])).unwrap().shape(), &[0]);
    let dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }";
    for major in [1, 2, 3] {
        assert_eq!(from_bytes_f32(&npy_version(major, dict, &1.0f32.to_le_bytes())).unwrap(), array(&[1], vec![1.0]));
    }
}

#[test]
fn accepts_header_spellings_python_accepts() {
    let data = [1.0f32, 2.0].iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<_>>();
    for dict in [
        "{'shape': (2,), 'fortran_order': False, 'descr': '<f4'}",
        "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2,)}",
        " {  'descr' :'<f4' ,'fortran_order':False,\n'shape':( 2 , ) , }   ",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2L,), }",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1), }",
    ] {
        let a = from_bytes_f32(&npy_version(1, dict, &data)).unwrap_or_else(|e| panic!("{dict}: {e}"));
        assert_eq!(a.iter().copied().collect::<Vec<_>>(), [1.0, 2.0], "{dict}");
    }
}

// ---- NumPy's own files (reference/npy_fixtures.py, NumPy 2.4.6) ----

#[test]
fn reads_numpy_reference_files() {
    let f8 = read_f32(fixture("f8_2x3.npy")).unwrap();
    assert_eq!(f8, array(&[2, 3], vec![0.5, -1.25, 3.0, 1e-3f64 as f32, 2.5e10, -0.0]));
    assert_eq!(read_usize(fixture("i8_labels.npy")).unwrap(), array(&[5], vec![3, 0, 9, 1, 123_456_789]));
    let image = read_usize(fixture("u1_image_2x2x3.npy")).unwrap();
    assert_eq!(image, array(&[2, 2, 3], (0..12).map(|i| 10 * i + 5).collect()));
    assert_eq!(read_f32(fixture("u1_image_2x2x3.npy")).unwrap(), image.mapv(|v| v as f32));
    let fortran = read_f32(fixture("f4_fortran_2x3.npy")).unwrap();
    assert_eq!(fortran, array(&[2, 3], vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]));
    let big = [1.0, -2.0, 65536.0, -2_147_483_648.0];
    assert_eq!(read_f32(fixture("i4_big_endian.npy")).unwrap(), array(&[4], big.to_vec()));
    assert_eq!(read_f32(fixture("f4_scalar.npy")).unwrap(), array(&[], vec![7.5]));
    assert_eq!(read_f32(fixture("f4_empty_0x3.npy")).unwrap().shape(), &[0, 3]);
    for name in ["f4_v2.npy", "f4_v3.npy"] {
        assert_eq!(read_f32(fixture(name)).unwrap(), array(&[3], vec![1.5, -2.5, 4.0]), "{name}");
    }
    let error = read_usize(fixture("i4_big_endian.npy")).unwrap_err().to_string();
    assert!(error.contains("i4_big_endian.npy") && error.contains("value -2 at flat index 1"), "{error}");
}

// ---- read_as_f32: exact conversions only ----

#[test]
fn read_as_f32_keeps_exact_values_and_refuses_the_rest() {
    let exact = |descr: &str, data: &[u8], n: usize| {
        decode_as_f32(&npy(descr, false, &format!("({n},)"), data)).map(|a| a.iter().copied().collect::<Vec<f32>>())
    };
    // ±2^24 = ±16777216 are the widest integers every one of which is an f32.
    let limits = [(1i64 << 24).to_le_bytes(), (-(1i64 << 24)).to_le_bytes(), 3i64.to_le_bytes()].concat();
    assert_eq!(exact("<i8", &limits, 3).unwrap(), vec![16_777_216.0, -16_777_216.0, 3.0]);
    let beyond = [5i32.to_be_bytes(), (-(1i32 << 24) - 1).to_be_bytes()].concat();
    let reason = exact(">i4", &beyond, 2).unwrap_err();
    assert!(reason.starts_with("value -16777217 (int32) at flat index 1 (index [1]) is beyond ±2^24"), "{reason}");
    assert!(exact("<u8", &u64::MAX.to_le_bytes(), 1).unwrap_err().contains("18446744073709551615 (uint64)"));
    assert_eq!(exact("|u1", &[0, 255], 2).unwrap(), vec![0.0, 255.0]);
    assert_eq!(exact("|b1", &[0, 3], 2).unwrap(), vec![0.0, 1.0]);
    // f8 rounds (0.1 becomes the nearest f32) and keeps infinities and NaN, but a finite value
    // beyond f32::MAX is an error.
    let floats = [0.1f64.to_le_bytes(), f64::INFINITY.to_le_bytes(), f64::NAN.to_le_bytes()].concat();
    let got = exact("<f8", &floats, 3).unwrap();
    assert_eq!((got[0], got[1]), (0.1f32, f32::INFINITY));
    assert!(got[2].is_nan());
    assert!(exact("<f8", &1e39f64.to_le_bytes(), 1).unwrap_err().contains("overflows float32"));
    assert_eq!(exact("<f4", &f32::MAX.to_le_bytes(), 1).unwrap(), vec![f32::MAX]);
}

#[test]
fn read_as_f32_reads_numpy_token_files() {
    // reference/npy_fixtures.py (NumPy 2.4.6).
    let tokens = read_as_f32(fixture("i4_tokens_2x3.npy")).unwrap();
    assert_eq!(tokens, array(&[2, 3], vec![4.0, 0.0, 7.0, 16_777_216.0, -16_777_216.0, 9.0]));
    let error = read_as_f32(fixture("i8_ids_beyond_f32.npy")).unwrap_err().to_string();
    assert!(
        error.contains("i8_ids_beyond_f32.npy") && error.contains("value 16777217 (int64) at flat index 4"),
        "{error}"
    );
    assert_eq!(read_as_f32(fixture("u1_image_2x2x3.npy")).unwrap(), read_f32(fixture("u1_image_2x2x3.npy")).unwrap());
    assert_eq!(read_as_f32(fixture("f4_fortran_2x3.npy")).unwrap(), read_f32(fixture("f4_fortran_2x3.npy")).unwrap());
    let labels = read_as_f32(fixture("i8_labels.npy")).unwrap_err().to_string();
    assert!(labels.contains("value 123456789 (int64) at flat index 4"), "{labels}");
}

// ---- Malformed input: an error that says what and where ----

#[test]
fn rejects_bad_preambles() {
    let good = npy("<f4", false, "(1,)", &[0; 4]);
    assert_reason(&good[..5], "file is 5 bytes, too short");
    assert_reason(b"\x93NUMPX\x01\x00\x00\x00", "bad magic string \"\\x93NUMPX\" at byte 0");
    assert_reason(b"PK\x03\x04zipzipzip", "bad magic string");
    for version in [[1u8, 1], [4, 0], [0, 0]] {
        let mut bytes = good.clone();
        bytes[6..8].copy_from_slice(&version);
        assert_reason(&bytes, &format!("unsupported format version {}.{} at byte 6", version[0], version[1]));
    }
    assert_reason(&good[..9], "file ends at byte 9 inside the 2-byte header length");
    let mut long = good.clone();
    long[8..10].copy_from_slice(&60_000u16.to_le_bytes());
    assert_reason(&long, "header length 60000 (at byte 8) runs past the end of the file");
    let mut huge = b"\x93NUMPY\x02\x00\xff\xff\xff\xff".to_vec();
    huge.extend(b"{}");
    assert_reason(&huge, "header length 4294967295 (at byte 8) runs past the end of the file");
}

#[test]
fn rejects_malformed_headers() {
    let d = |dict: &str| npy_version(1, dict, &[0; 4]);
    let ok_rest = "'fortran_order': False, 'shape': (1,)";
    let cases = [
        (d("['descr', '<f4']"), "header at byte 10: expected '{' at the start of the header"),
        (d(&format!("{{'descr': '<f4', {ok_rest}")), "expected '}' after a value, found the end of the header"),
        (d("{'fortran_order': False, 'shape': (1,)}"), "header has no 'descr' key"),
        (d("{'descr': '<f4', 'shape': (1,)}"), "header has no 'fortran_order' key"),
        (d("{'descr': '<f4', 'fortran_order': False}"), "header has no 'shape' key"),
        (d(&format!("{{'descr': '<f4', {ok_rest}, 'extra': 1}}")), "unexpected key \"extra\""),
        (d(&format!("{{'descr': '<f4', 'descr': '<f4', {ok_rest}}}")), "key \"descr\" appears twice"),
        (d(&format!("{{descr: '<f4', {ok_rest}}}")), "expected a quoted key, found \"descr"),
        (d(&format!("{{'descr: '<f4', {ok_rest}}}")), "expected ':' after a key"),
        (d(&format!("{{'descr': '<f4\\n', {ok_rest}}}")), "escapes in header strings are not supported"),
        (d(&format!("{{'descr': [('a', '<f4')], {ok_rest}}}")), "structured dtypes are not supported"),
        (d(&format!("{{'descr': '<c8', {ok_rest}}}")), "header at byte 20: unsupported descr '<c8'"),
        (d(&format!("{{'descr': '<f2', {ok_rest}}}")), "unsupported descr '<f2'"),
        (d(&format!("{{'descr': '|i4', {ok_rest}}}")), "unsupported descr '|i4'"),
        (d(&format!("{{'descr': 'f4', {ok_rest}}}")), "unsupported descr 'f4'"),
        (d(&format!("{{'descr': '', {ok_rest}}}")), "unsupported descr ''"),
        (d("{'descr': '<f4', 'fortran_order': false, 'shape': (1,)}"), "must be True or False, found \"false\""),
        (
            d("{'descr': '<f4', 'fortran_order': False, 'shape': 1}"),
            "expected '(' to open the 'shape' tuple, found \"1",
        ),
        (d("{'descr': '<f4', 'fortran_order': False, 'shape': [1]}"), "expected '(' to open the 'shape' tuple"),
        (d("{'descr': '<f4', 'fortran_order': False, 'shape': (1)}"), "'shape' (1) is an int in parentheses"),
        (d("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}"), "'shape' has a negative dimension -1"),
        (d("{'descr': '<f4', 'fortran_order': False, 'shape': (1.0,)}"), "expected ')' after a dimension"),
        (d("{'descr': '<f4', 'fortran_order': False, 'shape': (,)}"), "expected a non-negative int in 'shape'"),
        (d("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), } x"), "unexpected \"x\\n\" after the header dict"),
        (d("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999,)}"), "does not fit in usize"),
        (d("{'descr': '<f4"), "string is not closed"),
    ];
    for (bytes, expected) in cases {
        assert_reason(&bytes, expected);
    }
}

#[test]
fn rejects_data_of_the_wrong_length() {
    assert_reason(
        &npy("<f8", false, "(2, 3)", &[0; 40]),
        "expected 48 bytes of data, found 40 (shape (2, 3) of float64, data from byte 70)",
    );
    assert_reason(&npy("<f4", false, "()", &[]), "expected 4 bytes of data, found 0 (shape () of float32");
    assert_reason(
        &npy("<f4", false, "(1,)", &[0; 5]),
        "expected 4 bytes of data, found 5: 1 trailing byte after the data (shape (1,) of float32, data from byte 68)",
    );
    let overflow = format!("({}, {})", usize::MAX / 2, 3);
    assert_reason(&npy("|u1", false, &overflow, &[]), "is too large: its byte size overflows usize");
    // A zero-sized shape whose other axes still overflow ndarray's size limit.
    assert_reason(&npy("|u1", false, &format!("(0, {}, 2)", usize::MAX), &[]), "cannot be an array");
}

#[test]
fn usize_rejects_floats_and_negative_values() {
    let floats = npy("<f8", false, "(1,)", &[0; 8]);
    let error = from_bytes_usize(&floats).unwrap_err().to_string();
    assert_eq!(
        error,
        "<memory>: malformed .npy file: expected an integer dtype (i1..i8, u1..u8, b1) for usize values, found float64"
    );
    let data: Vec<u8> = [0i32, 1, 2, 3, 4, -3].iter().flat_map(|v| v.to_le_bytes()).collect();
    let error = from_bytes_usize(&npy("<i4", false, "(2, 3)", &data)).unwrap_err().to_string();
    assert!(error.contains("value -3 at flat index 5 (index [1, 2]) is negative"), "{error}");
    // Fortran order: storage position 5 of a (2, 3) array is index [1, 2], C-order flat index 5;
    // position 1 is index [1, 0], flat index 3.
    let data: Vec<u8> = [0i8, -1, 2, 3, 4, 5].iter().map(|&v| v as u8).collect();
    let error = from_bytes_usize(&npy("|i1", true, "(2, 3)", &data)).unwrap_err().to_string();
    assert!(error.contains("value -1 at flat index 3 (index [1, 0]) is negative"), "{error}");
}
