//! Tests of the `f64` reader and writer: bit-exact round trips, NumPy's own `float64` files
//! (reference/npy_fixtures.py, NumPy 2.4.6), exact-only integer conversion, malformed input.

use proptest::prelude::*;

use super::{array, fixture, npy, temp_dir};
use crate::Error;
use crate::npy::{from_bytes_f64, read_f32, read_f64, to_bytes_f32, to_bytes_f64, write_f64};

#[test]
fn round_trips_keep_every_bit() {
    let dir = temp_dir("f64-round-trip");
    let values = vec![0.1, -0.0, f64::NAN, f64::INFINITY, f64::MIN_POSITIVE / 4.0, 1e300];
    for shape in [&[6][..], &[2, 3], &[3, 1, 2]] {
        let a = array(shape, values.clone());
        let back = from_bytes_f64(&to_bytes_f64(&a.view())).unwrap();
        let path = dir.join("a.npy");
        write_f64(&path, &a.view()).unwrap();
        let from_file = read_f64(&path).unwrap();
        for got in [&back, &from_file] {
            assert_eq!(got.shape(), shape);
            assert!(got.iter().zip(&a).all(|(g, w)| g.to_bits() == w.to_bits()), "{got:?}");
        }
    }
    // 0-d, empty and non-contiguous views.
    let scalar = array(&[], vec![2.5]);
    assert_eq!(from_bytes_f64(&to_bytes_f64(&scalar.view())).unwrap(), scalar);
    let empty = array::<f64>(&[0, 4], vec![]);
    assert_eq!(from_bytes_f64(&to_bytes_f64(&empty.view())).unwrap().shape(), &[0, 4]);
    let m = array(&[2, 3], vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let t = from_bytes_f64(&to_bytes_f64(&m.view().reversed_axes())).unwrap();
    assert_eq!(t, array(&[3, 2], vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn reads_and_writes_what_numpy_does() {
    let precise = read_f64(fixture("f8_precise_2x3.npy")).unwrap();
    let want = [0.1, 1e10 + 0.5, 1e300, 5e-324, f64::INFINITY, -0.0];
    assert_eq!(precise.shape(), &[2, 3]);
    assert!(precise.iter().zip(&want).all(|(g, w)| g.to_bits() == w.to_bits()), "{precise:?}");
    // The writer reproduces NumPy's file byte for byte.
    assert_eq!(to_bytes_f64(&precise.view()), std::fs::read(fixture("f8_precise_2x3.npy")).unwrap());
    let big = read_f64(fixture("f8_big_endian.npy")).unwrap();
    assert_eq!(big, array(&[3], vec![1.5, -0.1, 9_007_199_254_740_992.0]));
    // f4 widens exactly; integers and bools convert where exact.
    assert_eq!(read_f64(fixture("f4_fortran_2x3.npy")).unwrap(), array(&[2, 3], vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]));
    assert_eq!(read_f64(fixture("f4_v3.npy")).unwrap(), array(&[3], vec![1.5, -2.5, 4.0]));
    let ids = read_f64(fixture("i8_ids_beyond_f32.npy")).unwrap();
    assert_eq!(ids, array(&[2, 3], vec![1.0, 2.0, 3.0, 4.0, 16_777_217.0, 5.0]));
    let negative = read_f64(fixture("i4_big_endian.npy")).unwrap();
    assert_eq!(negative, array(&[4], vec![1.0, -2.0, 65536.0, -2_147_483_648.0]));
    assert_eq!(read_f64(fixture("f4_scalar.npy")).unwrap(), array(&[], vec![7.5]));
    assert_eq!(read_f64(fixture("f8_2x3.npy")).unwrap()[[1, 0]], 1e-3);
    assert_eq!(read_f32(fixture("f8_2x3.npy")).unwrap()[[1, 0]], 1e-3f64 as f32);
}

#[test]
fn integers_beyond_2_pow_53_are_refused_with_their_place() {
    let error = read_f64(fixture("i8_beyond_f64.npy")).unwrap_err().to_string();
    assert!(error.contains("i8_beyond_f64.npy"), "{error}");
    assert!(error.contains("value 9007199254740993 (int64) at flat index 3 (index [1, 1]) is beyond ±2^53"), "{error}");
    let exact = |descr: &str, data: &[u8], n: usize| from_bytes_f64(&npy(descr, false, &format!("({n},)"), data));
    let limits = [(-(1i64 << 53)).to_be_bytes(), (1i64 << 53).to_be_bytes()].concat();
    assert_eq!(exact(">i8", &limits, 2).unwrap(), array(&[2], vec![-9_007_199_254_740_992.0, 9_007_199_254_740_992.0]));
    let error = exact("<u8", &u64::MAX.to_le_bytes(), 1).unwrap_err().to_string();
    assert!(error.contains("value 18446744073709551615 (uint64) at flat index 0"), "{error}");
    assert_eq!(exact("|b1", &[0, 7], 2).unwrap(), array(&[2], vec![0.0, 1.0]));
    assert_eq!(exact("|i1", &[0x80, 0x7f], 2).unwrap(), array(&[2], vec![-128.0, 127.0]));
    assert_eq!(exact(">u2", &[0xff, 0xfe], 1).unwrap(), array(&[1], vec![65534.0]));
}

#[test]
fn malformed_files_are_errors_that_say_where() {
    let good = to_bytes_f64(&array(&[2, 3], vec![0.5; 6]).view());
    let reason = |bytes: &[u8]| match from_bytes_f64(bytes) {
        Err(Error::Npy { reason, .. }) => reason,
        other => panic!("expected an Npy error, got {other:?}"),
    };
    assert!(reason(&good[..good.len() - 8]).contains("expected 48 bytes of data, found 40"));
    assert!(reason(&good[..5]).contains("file is 5 bytes, too short"));
    assert!(reason(&npy("<c16", false, "(1,)", &[0; 16])).contains("unsupported descr '<c16'"));
    assert!(reason(&npy("<f8", false, "(2,", &[0; 16])).contains("byte"));
    let missing = read_f64("/no/such/file.npy").unwrap_err();
    assert!(matches!(missing, Error::Io { .. }) && missing.to_string().contains("/no/such/file.npy"));
    // Every truncation of a valid file is an error, never a panic.
    for len in 0..good.len() {
        assert!(from_bytes_f64(&good[..len]).is_err(), "prefix of {len} bytes parsed");
    }
    // An f32 file reads too (widened), so the f32 writer's files are f64-readable.
    let f32s = to_bytes_f32(&array(&[2], vec![0.1f32, -3.0]).view());
    assert_eq!(from_bytes_f64(&f32s).unwrap(), array(&[2], vec![f64::from(0.1f32), -3.0]));
}

proptest! {
    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = from_bytes_f64(&bytes);
    }

    #[test]
    fn mutated_files_never_panic(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut file = to_bytes_f64(&array(&[2, 2], vec![1.0, -2.0, 0.25, 8.0]).view());
        for (at, byte) in edits {
            let i = at.index(file.len());
            file[i] = byte;
        }
        let _ = from_bytes_f64(&file);
        let _ = from_bytes_f64(&file[..cut.index(file.len() + 1)]);
    }

    #[test]
    fn random_arrays_round_trip(values in proptest::collection::vec(any::<f64>(), 0..30)) {
        let a = array(&[values.len()], values);
        let back = from_bytes_f64(&to_bytes_f64(&a.view())).unwrap();
        prop_assert!(back.iter().zip(&a).all(|(g, w)| g.to_bits() == w.to_bits()));
    }
}
