//! Fuzz-style tests of safetensors reading: truncated, mutated and random files and headers
//! return `Ok` or `Err`, never panic; random tensors round-trip bit for bit.

use proptest::prelude::*;

use super::*;

/// Valid files: our own output with metadata, and hand-built ones in other dtypes.
fn valid_files() -> Vec<Vec<u8>> {
    let w = array(&[2, 3], vec![1.0, -2.0, 3.5, 0.0, 7.0, -8.25]);
    let s = array(&[], vec![0.5]);
    let ours = encode(&[("w", &w), ("s", &s), ("e", &array(&[0], vec![]))], Some(&metadata(&[("k", "v")]))).unwrap();
    let longs: Vec<u8> = [3i64, -1].iter().flat_map(|v| v.to_le_bytes()).collect();
    let mixed = file(
        r#"{"h":{"dtype":"F16","shape":[2],"data_offsets":[16,20]},"i":{"dtype":"I64","shape":[2,1],"data_offsets":[0,16]},"b":{"dtype":"BOOL","shape":[1],"data_offsets":[20,21]}}"#,
        &[longs, vec![0x00, 0x3c, 0xff, 0x7b, 1]].concat(),
    );
    vec![ours, mixed]
}

#[test]
fn every_truncation_is_an_error() {
    for bytes in valid_files() {
        assert!(SafeTensors::from_bytes(&bytes).is_ok());
        for len in 0..bytes.len() {
            assert!(SafeTensors::from_bytes(&bytes[..len]).is_err(), "prefix of {len} bytes parsed");
        }
    }
}

#[test]
fn every_single_byte_change_returns() {
    for bytes in valid_files() {
        for at in 0..bytes.len() {
            for value in [0u8, 1, b'0', b'9', b'"', b'{', b']', b',', 0x7f, 0xff] {
                let mut mutated = bytes.clone();
                mutated[at] = value;
                // Ok (a changed value, a different but valid header) or Err, never a panic.
                let _ = SafeTensors::from_bytes(&mutated);
            }
        }
    }
}

proptest! {
    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = SafeTensors::from_bytes(&bytes);
    }

    #[test]
    fn random_headers_never_panic(
        header in r#"[{}\[\]",: 0-9a-zA-Z_]{0,120}"#,
        data in proptest::collection::vec(any::<u8>(), 0..40),
    ) {
        let _ = SafeTensors::from_bytes(&file(&header, &data));
    }

    #[test]
    fn random_entries_never_panic(
        dtype in "(F32|F64|F16|BF16|I8|I16|I32|I64|U8|U16|U32|U64|BOOL|F8_E4M3|XX)",
        shape in proptest::collection::vec(prop_oneof![0u64..4, Just(u64::MAX), Just(1 << 62)], 0..4),
        begin in prop_oneof![0u64..24, Just(u64::MAX)],
        end in prop_oneof![0u64..24, Just(u64::MAX)],
        data in proptest::collection::vec(any::<u8>(), 0..24),
    ) {
        let header = format!(r#"{{"t":{{"dtype":"{dtype}","shape":{shape:?},"data_offsets":[{begin},{end}]}}}}"#);
        let _ = SafeTensors::from_bytes(&file(&header, &data));
    }

    #[test]
    fn mutated_files_never_panic(
        which in 0usize..2,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = valid_files().swap_remove(which);
        for (at, byte) in edits {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        let _ = SafeTensors::from_bytes(&bytes);
        let _ = SafeTensors::from_bytes(&bytes[..cut.index(bytes.len())]);
    }

    #[test]
    fn random_tensors_round_trip_bit_exactly(
        (shape, bits) in proptest::collection::vec(0usize..4, 0..4).prop_flat_map(|shape| {
            let n = shape.iter().product::<usize>();
            (Just(shape), proptest::collection::vec(any::<u32>(), n))
        }),
    ) {
        let values = array(&shape, bits.iter().map(|&b| f32::from_bits(b)).collect());
        let loaded = SafeTensors::from_bytes(&encode(&[("x", &values)], None).unwrap()).unwrap();
        let got: Vec<u32> = loaded.tensors["x"].iter().map(|v| v.to_bits()).collect();
        prop_assert_eq!(loaded.tensors["x"].shape(), shape.as_slice());
        prop_assert_eq!(got, bits);
    }
}
