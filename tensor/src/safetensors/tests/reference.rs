//! Cross-checks against the reference Rust implementation (the `safetensors` crate 0.8): it
//! reads what we write, writes the same bytes for the same tensors, and we read what it
//! writes in every dtype we accept.

use std::borrow::Cow;
use std::collections::HashMap;

use ::safetensors::{Dtype as RefDtype, SafeTensors as RefFile, View};

use super::*;

/// A tensor for the reference writer.
struct Raw {
    dtype: RefDtype,
    shape: Vec<usize>,
    data: Vec<u8>,
}

impl View for &Raw {
    fn dtype(&self) -> RefDtype {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(&self.data)
    }
    fn data_len(&self) -> usize {
        self.data.len()
    }
}

fn raw<T: Copy, const N: usize>(dtype: RefDtype, shape: &[usize], values: &[T], le: fn(T) -> [u8; N]) -> Raw {
    Raw { dtype, shape: shape.to_vec(), data: values.iter().flat_map(|&v| le(v)).collect() }
}

#[test]
fn the_reference_reads_what_we_write() {
    let w = array(&[2, 3], vec![1.0, -2.0, 3.5, 0.0, 1e-30, 6.0]);
    let s = array(&[], vec![42.0]);
    let e = array(&[0, 4], vec![]);
    let bytes = encode(&[("w", &w), ("s", &s), ("e", &e)], Some(&metadata(&[("format", "pt")]))).unwrap();
    let (_, header) = RefFile::read_metadata(&bytes).unwrap();
    assert_eq!(header.metadata().as_ref().unwrap()["format"], "pt");
    let file = RefFile::deserialize(&bytes).unwrap();
    assert_eq!(file.len(), 3);
    for (name, ours) in [("w", &w), ("s", &s), ("e", &e)] {
        let view = file.tensor(name).unwrap();
        assert_eq!(view.dtype(), RefDtype::F32);
        assert_eq!(view.shape(), ours.shape());
        let values: Vec<f32> = view.data().chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().unwrap())).collect();
        assert_eq!(values, ours.iter().copied().collect::<Vec<_>>(), "{name}");
    }
}

#[test]
fn we_write_the_same_bytes_as_the_reference() {
    let w = array(&[2, 2], vec![1.0, 2.0, 3.0, 4.0]);
    let b = array(&[2], vec![-1.0, 0.5]);
    let ours = encode(&[("kernel", &w), ("bias", &b)], Some(&metadata(&[("format", "pt")]))).unwrap();
    let tensors = [
        ("kernel".to_string(), raw(RefDtype::F32, &[2, 2], &[1.0f32, 2.0, 3.0, 4.0], f32::to_le_bytes)),
        ("bias".to_string(), raw(RefDtype::F32, &[2], &[-1.0f32, 0.5], f32::to_le_bytes)),
    ];
    let meta = HashMap::from([("format".to_string(), "pt".to_string())]);
    let theirs = ::safetensors::serialize(tensors.iter().map(|(n, t)| (n.clone(), t)), Some(meta)).unwrap();
    // Same data and header length; the header's keys may come in another order.
    assert_eq!(ours.len(), theirs.len());
    assert_eq!(ours[..8], theirs[..8]);
    assert_eq!(SafeTensors::from_bytes(&theirs).unwrap(), SafeTensors::from_bytes(&ours).unwrap());
    let data_start = ours.len() - 24;
    assert_eq!(ours[data_start..], theirs[data_start..]);
}

#[test]
fn we_read_every_dtype_the_reference_writes() {
    let tensors = [
        ("f64", raw(RefDtype::F64, &[2], &[0.1f64, -2.5], f64::to_le_bytes)),
        ("f16", raw(RefDtype::F16, &[3], &[0x3c00u16, 0x3555, 0xfbff], u16::to_le_bytes)),
        ("bf16", raw(RefDtype::BF16, &[1, 2], &[0x4049u16, 0x0001], u16::to_le_bytes)),
        ("i64", raw(RefDtype::I64, &[2, 1], &[-7i64, 1 << 24], i64::to_le_bytes)),
        ("u16", raw(RefDtype::U16, &[], &[65535u16], u16::to_le_bytes)),
        ("bool", raw(RefDtype::BOOL, &[2], &[1u8, 0], |v| [v])),
        ("empty", raw(RefDtype::I32, &[0, 3], &[] as &[i32], i32::to_le_bytes)),
    ];
    let bytes = ::safetensors::serialize(tensors.iter().map(|(n, t)| (*n, t)), None).unwrap();
    let file = SafeTensors::from_bytes(&bytes).unwrap();
    let values = |name: &str| file.tensors[name].iter().copied().collect::<Vec<f32>>();
    assert_eq!(values("f64"), [0.1f32, -2.5]);
    assert_eq!(values("f16"), [1.0, 0.333_251_95, -65504.0]);
    assert_eq!(values("bf16"), [3.140_625, f32::from_bits(0x0001_0000)]);
    assert_eq!(values("i64"), [-7.0, 16_777_216.0]);
    assert_eq!(values("u16"), [65535.0]);
    assert_eq!(values("bool"), [1.0, 0.0]);
    assert_eq!(file.tensors["empty"].shape(), &[0, 3]);
    assert_eq!(file.tensors["i64"].shape(), &[2, 1]);
    assert_eq!(file.tensors["u16"].ndim(), 0);
}
