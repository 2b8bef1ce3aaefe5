//! The element types a `.npy` file may hold (its `descr`), and their conversion to `f32`,
//! `f64` or `usize`.

/// What kind of number one element is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Float,
    Int,
    Uint,
    Bool,
}

/// A supported `descr`: kind, size in bytes and byte order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Dtype {
    pub(super) kind: Kind,
    pub(super) size: usize,
    pub(super) big_endian: bool,
}

impl Dtype {
    /// Parses a `descr` string such as `<f4`, `>i8` or `|u1`.
    ///
    /// Accepts `f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1` with byte order `<` or `>`, and `|` (no byte
    /// order) for the 1-byte types. The error says what was found and what is supported.
    pub(super) fn parse(descr: &[u8]) -> Result<Dtype, String> {
        let unsupported = || {
            format!(
                "unsupported descr '{}' (supported: f4, f8, i1, i2, i4, i8, u1, u2, u4, u8, b1, \
                 with byte order '<', '>' or, for 1-byte types, '|')",
                String::from_utf8_lossy(descr)
            )
        };
        let [order, kind, size @ ..] = descr else { return Err(unsupported()) };
        let size = match size {
            b"1" => 1,
            b"2" => 2,
            b"4" => 4,
            b"8" => 8,
            _ => return Err(unsupported()),
        };
        let kind = match (kind, size) {
            (b'f', 4 | 8) => Kind::Float,
            (b'i', _) => Kind::Int,
            (b'u', _) => Kind::Uint,
            (b'b', 1) => Kind::Bool,
            _ => return Err(unsupported()),
        };
        let big_endian = match (order, size) {
            (b'<', _) | (b'|', 1) => false,
            (b'>', _) => true,
            _ => return Err(unsupported()),
        };
        Ok(Dtype { kind, size, big_endian })
    }

    /// NumPy's name for the type, for error messages: `float64`, `int8`, `bool`.
    pub(super) fn name(self) -> String {
        match self.kind {
            Kind::Float => format!("float{}", 8 * self.size),
            Kind::Int => format!("int{}", 8 * self.size),
            Kind::Uint => format!("uint{}", 8 * self.size),
            Kind::Bool => "bool".to_string(),
        }
    }

    /// Every element of `data` as `f32`, in storage order.
    ///
    /// `f8` and integers wider than 24 bits are rounded to the nearest `f32`; `data.len()` must
    /// be a multiple of the element size (any remainder is ignored).
    pub(super) fn to_f32(self, data: &[u8]) -> Vec<f32> {
        match (self.kind, self.size) {
            (Kind::Float, 4) => data.chunks_exact(4).map(|word| f32::from_le_bytes(self.little::<4>(word))).collect(),
            (Kind::Float, _) => {
                data.chunks_exact(8).map(|word| f64::from_le_bytes(self.little::<8>(word)) as f32).collect()
            }
            _ => data.chunks_exact(self.size).map(|word| self.integer(word) as f32).collect(),
        }
    }

    /// Every element of `data` as `f32`, refusing values that do not survive the conversion.
    ///
    /// `f4` as is; `f8` rounded to the nearest `f32` unless a finite value overflows `f32`;
    /// integers only up to ±2²⁴ (beyond, not every integer is an `f32`); bool as 0 and 1. On a
    /// refused value returns its storage position and the value, written out.
    pub(super) fn to_f32_exact(self, data: &[u8]) -> Result<Vec<f32>, (usize, String)> {
        const EXACT: i128 = 1 << 24;
        data.chunks_exact(self.size)
            .enumerate()
            .map(|(position, word)| match (self.kind, self.size) {
                (Kind::Float, 4) => Ok(f32::from_le_bytes(self.little::<4>(word))),
                (Kind::Float, _) => {
                    let wide = f64::from_le_bytes(self.little::<8>(word));
                    let narrow = wide as f32;
                    if wide.is_finite() && narrow.is_infinite() {
                        Err((position, wide.to_string()))
                    } else {
                        Ok(narrow)
                    }
                }
                _ => {
                    let value = self.integer(word);
                    if value.abs() <= EXACT { Ok(value as f32) } else { Err((position, value.to_string())) }
                }
            })
            .collect()
    }

    /// Every element of `data` as `f64`, refusing integers beyond ±2⁵³ (beyond, not every
    /// integer is an `f64`); floats and bools always convert exactly. On a refused value
    /// returns its storage position and the value, written out.
    pub(super) fn to_f64_exact(self, data: &[u8]) -> Result<Vec<f64>, (usize, String)> {
        const EXACT: i128 = 1 << 53;
        data.chunks_exact(self.size)
            .enumerate()
            .map(|(position, word)| match (self.kind, self.size) {
                (Kind::Float, 4) => Ok(f64::from(f32::from_le_bytes(self.little::<4>(word)))),
                (Kind::Float, _) => Ok(f64::from_le_bytes(self.little::<8>(word))),
                _ => {
                    let value = self.integer(word);
                    if value.abs() <= EXACT { Ok(value as f64) } else { Err((position, value.to_string())) }
                }
            })
            .collect()
    }

    /// Every element of an integer or bool `data` as `usize`, in storage order.
    ///
    /// On a value that does not fit (a negative one) returns its storage position and value.
    pub(super) fn to_usize(self, data: &[u8]) -> Result<Vec<usize>, (usize, i128)> {
        data.chunks_exact(self.size)
            .enumerate()
            .map(|(position, word)| {
                let value = self.integer(word);
                usize::try_from(value).map_err(|_| (position, value))
            })
            .collect()
    }

    /// One `N`-byte element with its bytes put in little-endian order.
    fn little<const N: usize>(self, word: &[u8]) -> [u8; N] {
        let mut bytes = [0; N];
        bytes.copy_from_slice(word);
        if self.big_endian {
            bytes.reverse();
        }
        bytes
    }

    /// The value of one integer or bool element, widened to `i128` so that every supported
    /// type fits (bool: any non-zero byte is 1).
    fn integer(self, word: &[u8]) -> i128 {
        let mut wide = [0u8; 16];
        for (i, &byte) in word.iter().enumerate() {
            let at = if self.big_endian { word.len() - 1 - i } else { i };
            wide[at] = byte;
        }
        let negative = self.kind == Kind::Int && wide[word.len() - 1] & 0x80 != 0;
        if negative {
            wide[word.len()..].fill(0xff);
        }
        let value = i128::from_le_bytes(wide);
        if self.kind == Kind::Bool { i128::from(value != 0) } else { value }
    }
}
