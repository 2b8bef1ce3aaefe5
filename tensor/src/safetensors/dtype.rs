//! The safetensors element types Derin reads, and their conversion to `f32` (half floats
//! decoded here, integers only when exact).

/// An element type named by a safetensors header's `dtype` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Dtype {
    Bool,
    U8,
    I8,
    U16,
    I16,
    U32,
    I32,
    U64,
    I64,
    F16,
    BF16,
    F32,
    F64,
}

/// The dtypes of the format that Derin does not convert (8-, 6- and 4-bit floats, complex).
const UNSUPPORTED: [&str; 9] =
    ["F8_E5M2", "F8_E4M3", "F8_E8M0", "F8_E4M3FNUZ", "F8_E5M2FNUZ", "F6_E2M3", "F6_E3M2", "F4", "C64"];

/// What the reader accepts, for error messages.
pub(super) const ACCEPTED: &str = "F32, F64, F16, BF16, I8, I16, I32, I64, U8, U16, U32, U64, BOOL";

impl Dtype {
    /// The dtype called `name` in a header, or why it cannot be read.
    pub(super) fn parse(name: &str) -> Result<Dtype, String> {
        Ok(match name {
            "BOOL" => Dtype::Bool,
            "U8" => Dtype::U8,
            "I8" => Dtype::I8,
            "U16" => Dtype::U16,
            "I16" => Dtype::I16,
            "U32" => Dtype::U32,
            "I32" => Dtype::I32,
            "U64" => Dtype::U64,
            "I64" => Dtype::I64,
            "F16" => Dtype::F16,
            "BF16" => Dtype::BF16,
            "F32" => Dtype::F32,
            "F64" => Dtype::F64,
            other if UNSUPPORTED.contains(&other) => {
                return Err(format!("dtype {other} is not supported (Derin reads {ACCEPTED})"));
            }
            other => return Err(format!("unknown dtype {other:?} (Derin reads {ACCEPTED})")),
        })
    }

    /// The name in a header.
    pub(super) fn name(self) -> &'static str {
        match self {
            Dtype::Bool => "BOOL",
            Dtype::U8 => "U8",
            Dtype::I8 => "I8",
            Dtype::U16 => "U16",
            Dtype::I16 => "I16",
            Dtype::U32 => "U32",
            Dtype::I32 => "I32",
            Dtype::U64 => "U64",
            Dtype::I64 => "I64",
            Dtype::F16 => "F16",
            Dtype::BF16 => "BF16",
            Dtype::F32 => "F32",
            Dtype::F64 => "F64",
        }
    }

    /// Bytes per element.
    pub(super) fn size(self) -> usize {
        match self {
            Dtype::Bool | Dtype::U8 | Dtype::I8 => 1,
            Dtype::U16 | Dtype::I16 | Dtype::F16 | Dtype::BF16 => 2,
            Dtype::U32 | Dtype::I32 | Dtype::F32 => 4,
            Dtype::U64 | Dtype::I64 | Dtype::F64 => 8,
        }
    }

    /// Decodes little-endian `bytes` (a whole number of elements) as `f32`.
    ///
    /// Floats are rounded to the nearest `f32`; integers and booleans must convert exactly.
    /// On failure: the flat index of the first bad element and what is wrong with it.
    pub(super) fn to_f32(self, bytes: &[u8]) -> Result<Vec<f32>, (usize, String)> {
        let elements = bytes.chunks_exact(self.size());
        let int = |v: i128| exact_f32(v).ok_or_else(|| format!("{} value {v} has no exact float32", self.name()));
        elements
            .enumerate()
            .map(|(i, b)| {
                let value = match self {
                    Dtype::F32 => Ok(f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
                    Dtype::F16 => Ok(f16_to_f32(u16::from_le_bytes([b[0], b[1]]))),
                    Dtype::BF16 => Ok(bf16_to_f32(u16::from_le_bytes([b[0], b[1]]))),
                    Dtype::F64 => f64_to_f32(f64::from_le_bytes(le8(b))),
                    Dtype::Bool => match b[0] {
                        0 => Ok(0.0),
                        1 => Ok(1.0),
                        other => Err(format!("BOOL byte {other} is neither 0 nor 1")),
                    },
                    Dtype::U8 => Ok(f32::from(b[0])),
                    Dtype::I8 => Ok(f32::from(b[0] as i8)),
                    Dtype::U16 => Ok(f32::from(u16::from_le_bytes([b[0], b[1]]))),
                    Dtype::I16 => Ok(f32::from(i16::from_le_bytes([b[0], b[1]]))),
                    Dtype::U32 => int(u32::from_le_bytes([b[0], b[1], b[2], b[3]]).into()),
                    Dtype::I32 => int(i32::from_le_bytes([b[0], b[1], b[2], b[3]]).into()),
                    Dtype::U64 => int(u64::from_le_bytes(le8(b)).into()),
                    Dtype::I64 => int(i64::from_le_bytes(le8(b)).into()),
                };
                value.map_err(|reason| (i, reason))
            })
            .collect()
    }
}

fn le8(b: &[u8]) -> [u8; 8] {
    [b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]
}

/// `v` as `f32` when that is exact (every integer up to 2²⁴, and larger ones with few
/// significant bits, like 2⁴⁰).
fn exact_f32(v: i128) -> Option<f32> {
    let f = v as f32;
    // `f` is at most 2^64 here, so the cast back is exact and does not saturate.
    (f as i128 == v).then_some(f)
}

/// `v` rounded to the nearest `f32`; an error when a finite value overflows to infinity.
fn f64_to_f32(v: f64) -> Result<f32, String> {
    let f = v as f32;
    if f.is_infinite() && v.is_finite() { Err(format!("F64 value {v:e} overflows float32")) } else { Ok(f) }
}

/// IEEE 754 half precision (1 sign, 5 exponent, 10 mantissa bits) to `f32`, exactly.
pub(super) fn f16_to_f32(h: u16) -> f32 {
    let negative = h & 0x8000 != 0;
    let exponent = u32::from((h >> 10) & 0x1f);
    let mantissa = u32::from(h & 0x3ff);
    let sign = u32::from(negative) << 31;
    let bits = match exponent {
        0 => {
            // Zero or subnormal: mantissa · 2⁻²⁴, exact in f32.
            let magnitude = mantissa as f32 * f32::from_bits(0x3380_0000);
            return if negative { -magnitude } else { magnitude };
        }
        // Infinity or NaN (the payload is kept).
        0x1f => sign | 0x7f80_0000 | (mantissa << 13),
        // Normal: rebias the exponent from 15 to 127, widen the mantissa.
        _ => sign | ((exponent + 127 - 15) << 23) | (mantissa << 13),
    };
    f32::from_bits(bits)
}

/// bfloat16 (the top half of an `f32`) to `f32`, exactly.
pub(super) fn bf16_to_f32(h: u16) -> f32 {
    f32::from_bits(u32::from(h) << 16)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value of a half float from its definition, in f64 (independent of the bit tricks).
    fn f16_by_definition(h: u16) -> f64 {
        let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
        let exponent = i32::from((h >> 10) & 0x1f);
        let fraction = f64::from(h & 0x3ff) / 1024.0;
        match exponent {
            0 => sign * fraction * 2f64.powi(-14),
            0x1f if fraction == 0.0 => sign * f64::INFINITY,
            0x1f => f64::NAN,
            _ => sign * (1.0 + fraction) * 2f64.powi(exponent - 15),
        }
    }

    #[test]
    fn every_half_float_decodes_to_its_value() {
        for h in 0..=u16::MAX {
            let (got, want) = (f16_to_f32(h), f16_by_definition(h));
            if want.is_nan() {
                assert!(got.is_nan(), "{h:#06x}");
            } else {
                assert_eq!(f64::from(got), want, "{h:#06x}");
                assert_eq!(got.is_sign_negative(), h & 0x8000 != 0, "{h:#06x}");
            }
        }
    }

    #[test]
    fn known_half_floats() {
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(f16_to_f32(0x7bff), 65504.0);
        assert_eq!(f16_to_f32(0x0001), 2f32.powi(-24));
        assert_eq!(f16_to_f32(0x7c00), f32::INFINITY);
        assert!(f16_to_f32(0x7e00).is_nan());
        assert_eq!(bf16_to_f32(0x3f80), 1.0);
        assert_eq!(bf16_to_f32(0xc0a0), -5.0);
        assert_eq!(bf16_to_f32(0xff80), f32::NEG_INFINITY);
    }

    #[test]
    fn integers_convert_only_when_exact() {
        let big = |v: i64| Dtype::I64.to_f32(&v.to_le_bytes());
        assert_eq!(big(-(1 << 24)), Ok(vec![-16_777_216.0]));
        assert_eq!(big(1 << 40), Ok(vec![2f32.powi(40)]));
        assert_eq!(big((1 << 24) + 1), Err((0, "I64 value 16777217 has no exact float32".into())));
        assert!(big(i64::MAX).is_err());
        assert!(Dtype::U64.to_f32(&u64::MAX.to_le_bytes()).is_err());
        assert_eq!(Dtype::U32.to_f32(&(1u32 << 31).to_le_bytes()), Ok(vec![2f32.powi(31)]));
        assert_eq!(Dtype::I8.to_f32(&[0xff, 0x7f]), Ok(vec![-1.0, 127.0]));
        assert_eq!(Dtype::Bool.to_f32(&[1, 0, 2]), Err((2, "BOOL byte 2 is neither 0 nor 1".into())));
    }

    #[test]
    fn doubles_round_and_refuse_overflow() {
        let bytes: Vec<u8> = [0.1f64, -1e-50, f64::INFINITY].iter().flat_map(|v| v.to_le_bytes()).collect();
        let values = Dtype::F64.to_f32(&bytes).unwrap();
        assert_eq!(values[0], 0.1f32);
        assert_eq!(values[1], -0.0);
        assert_eq!(values[2], f32::INFINITY);
        assert_eq!(Dtype::F64.to_f32(&1e300f64.to_le_bytes()), Err((0, "F64 value 1e300 overflows float32".into())));
    }

    #[test]
    fn dtype_names_round_trip_and_others_are_refused() {
        for name in ACCEPTED.split(", ") {
            assert_eq!(Dtype::parse(name).unwrap().name(), name);
        }
        assert!(Dtype::parse("C64").unwrap_err().contains("dtype C64 is not supported"));
        assert!(Dtype::parse("f32").unwrap_err().contains("unknown dtype \"f32\""));
    }
}
