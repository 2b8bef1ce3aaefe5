//! Fuzz-style tests of `.npy` reading: random bytes, random headers, mutated and truncated
//! files never panic, and random arrays round-trip bit for bit.

use proptest::prelude::*;

use super::{array, npy, npy_version};
use crate::npy::{from_bytes_f32, from_bytes_usize, to_bytes_f32};

fn valid_files() -> Vec<Vec<u8>> {
    let floats = array(&[2, 3], vec![1.0f32, -2.0, 3.5, 0.0, 7.0, -8.25]);
    let ints: Vec<u8> = [3i64, -1, 2].iter().flat_map(|v| v.to_be_bytes()).collect();
    vec![to_bytes_f32(&floats.view()), npy(">i8", true, "(3, 1)", &ints), npy("|u1", false, "()", &[9])]
}

#[test]
fn every_truncation_is_an_error() {
    for file in valid_files() {
        assert!(from_bytes_f32(&file).is_ok());
        for len in 0..file.len() {
            assert!(from_bytes_f32(&file[..len]).is_err(), "prefix of {len} bytes parsed");
            assert!(from_bytes_usize(&file[..len]).is_err(), "prefix of {len} bytes parsed");
        }
    }
}

proptest! {
    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = from_bytes_f32(&bytes);
        let _ = from_bytes_usize(&bytes);
    }

    #[test]
    fn random_headers_never_panic(dict in "[{}()\\[\\]'\",: 0-9a-z<>|_TFLe.-]{0,80}", data in proptest::collection::vec(any::<u8>(), 0..40)) {
        let _ = from_bytes_f32(&npy_version(1, &dict, &data));
        let _ = from_bytes_usize(&npy_version(3, &dict, &data));
    }

    #[test]
    fn mutated_files_never_panic(
        which in 0usize..3,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut file = valid_files().swap_remove(which);
        for (at, byte) in edits {
            let i = at.index(file.len());
            file[i] = byte;
        }
        let _ = from_bytes_f32(&file);
        let _ = from_bytes_usize(&file);
        let len = cut.index(file.len());
        let _ = from_bytes_f32(&file[..len]);
    }

    #[test]
    fn random_arrays_round_trip_bit_exactly(
        (shape, bits) in proptest::collection::vec(0usize..4, 0..4).prop_flat_map(|shape| {
            let n = shape.iter().product::<usize>();
            (Just(shape), proptest::collection::vec(any::<u32>(), n))
        })
    ) {
        let a = array(&shape, bits.iter().map(|&b| f32::from_bits(b)).collect());
        let back = from_bytes_f32(&to_bytes_f32(&a.view())).unwrap();
        prop_assert_eq!(back.shape(), a.shape());
        let back_bits: Vec<u32> = back.iter().map(|x| x.to_bits()).collect();
        prop_assert_eq!(back_bits, bits);
    }
}
