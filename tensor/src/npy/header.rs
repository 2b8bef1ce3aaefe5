//! The `.npy` preamble: magic string, version, header length and the Python-dict header,
//! read strictly (every malformed byte is an error that says where) and written as NumPy does.

use super::dtype::Dtype;

/// The six bytes every `.npy` file starts with.
const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// NumPy pads the header so that the data starts at a multiple of this many bytes.
const ALIGN: usize = 64;

/// What the header says about the data that follows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Header {
    pub(super) dtype: Dtype,
    pub(super) fortran_order: bool,
    pub(super) shape: Vec<usize>,
}

/// Splits a whole `.npy` file into its header and its data, checking that the data is exactly
/// `shape` × itemsize bytes long.
pub(super) fn split(bytes: &[u8]) -> Result<(Header, &[u8]), String> {
    let Some((magic, version)) = bytes.get(..6).zip(bytes.get(6..8)) else {
        return Err(format!("file is {} bytes, too short for the 8-byte magic string and version", bytes.len()));
    };
    if magic != MAGIC {
        return Err(format!("bad magic string {} at byte 0, expected \\x93NUMPY", quote(magic)));
    }
    let length_bytes = match (version[0], version[1]) {
        (1, 0) => 2,
        (2, 0) | (3, 0) => 4,
        (major, minor) => {
            return Err(format!("unsupported format version {major}.{minor} at byte 6 (known: 1.0, 2.0, 3.0)"));
        }
    };
    let start = 8 + length_bytes;
    let Some(field) = bytes.get(8..start) else {
        return Err(format!(
            "file ends at byte {} inside the {length_bytes}-byte header length at byte 8",
            bytes.len()
        ));
    };
    let header_len = field.iter().rev().fold(0usize, |len, &byte| len << 8 | usize::from(byte));
    let Some(text) = bytes.get(start..).and_then(|rest| rest.get(..header_len)) else {
        return Err(format!(
            "header length {header_len} (at byte 8) runs past the end of the file: the header would end at \
             byte {}, the file is {} bytes",
            start as u64 + header_len as u64,
            bytes.len()
        ));
    };
    let header = Parser { text, pos: 0, offset: start }.header()?;
    let data_start = start + header_len;
    let data = &bytes[data_start..];
    let expected = header.data_len()?;
    if data.len() != expected {
        let found = data.len();
        let trailing = match found.checked_sub(expected) {
            Some(1) => ": 1 trailing byte after the data".to_string(),
            Some(extra) => format!(": {extra} trailing bytes after the data"),
            None => String::new(),
        };
        let (shape, dtype) = (shape_text(&header.shape), header.dtype.name());
        return Err(format!(
            "expected {expected} bytes of data, found {found}{trailing} (shape {shape} of {dtype}, data from byte {data_start})"
        ));
    }
    Ok((header, data))
}

/// The preamble NumPy writes for a C-order array of `descr` with this shape: version 1.0, or
/// 2.0 when the header does not fit a 16-bit length, padded with spaces and a final newline
/// so that the data starts at a multiple of 64 bytes.
pub(super) fn encode(descr: &str, shape: &[usize]) -> Vec<u8> {
    let dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {}, }}", shape_text(shape));
    // Header length (dict, padding and newline) after a preamble of `prefix` bytes.
    let padded_len = |prefix: usize| (prefix + dict.len() + 1).div_ceil(ALIGN) * ALIGN - prefix;
    let mut out = MAGIC.to_vec();
    let header_len = match u16::try_from(padded_len(10)) {
        Ok(len) => {
            out.extend([1, 0]);
            out.extend(len.to_le_bytes());
            usize::from(len)
        }
        Err(_) => {
            let len = padded_len(12);
            out.extend([2, 0]);
            out.extend(u32::try_from(len).expect("npy: header of a shape with over 10^9 axes").to_le_bytes());
            len
        }
    };
    let data_start = out.len() + header_len;
    out.extend(dict.as_bytes());
    out.resize(data_start - 1, b' ');
    out.push(b'\n');
    out
}

/// A shape as Python prints a tuple: `()`, `(3,)`, `(2, 3)`.
pub(super) fn shape_text(shape: &[usize]) -> String {
    match shape {
        [n] => format!("({n},)"),
        _ => format!("({})", shape.iter().map(usize::to_string).collect::<Vec<_>>().join(", ")),
    }
}

impl Header {
    /// Number of data bytes the shape and dtype call for, or an error if it overflows `usize`.
    fn data_len(&self) -> Result<usize, String> {
        self.shape.iter().try_fold(self.dtype.size, |len, &dim| len.checked_mul(dim)).ok_or_else(|| {
            format!(
                "shape {} of {} is too large: its byte size overflows usize",
                shape_text(&self.shape),
                self.dtype.name()
            )
        })
    }
}

/// Some bytes of the file for an error message: escaped, at most 40 of them.
fn excerpt(bytes: &[u8]) -> String {
    let shown = &bytes[..bytes.len().min(40)];
    let ellipsis = if shown.len() < bytes.len() { "..." } else { "" };
    format!("{}{ellipsis}", shown.escape_ascii())
}

/// [`excerpt`] in double quotes.
fn quote(bytes: &[u8]) -> String {
    format!("\"{}\"", excerpt(bytes))
}

/// A cursor over the header text; `offset` is where the text starts in the file, so errors can
/// name file byte positions.
struct Parser<'a> {
    text: &'a [u8],
    pos: usize,
    offset: usize,
}

impl<'a> Parser<'a> {
    /// The whole header: a dict with exactly the keys `descr`, `fortran_order` and `shape`, in
    /// any order, then only whitespace.
    fn header(mut self) -> Result<Header, String> {
        self.expect(b'{', "at the start of the header, which must be a Python dict")?;
        let (mut descr, mut fortran_order, mut shape) = (None, None, None);
        while !self.eat(b'}') {
            let key_at = self.at();
            let key = self.string("a quoted key")?;
            self.expect(b':', "after a key")?;
            let duplicate = match key {
                b"descr" => descr.replace(self.descr()?).is_some(),
                b"fortran_order" => fortran_order.replace(self.boolean()?).is_some(),
                b"shape" => shape.replace(self.shape()?).is_some(),
                _ => {
                    return Err(format!(
                        "header at byte {key_at}: unexpected key {} (the keys are 'descr', 'fortran_order', 'shape')",
                        quote(key)
                    ));
                }
            };
            if duplicate {
                return Err(format!("header at byte {key_at}: key {} appears twice", quote(key)));
            }
            if !self.eat(b',') {
                self.expect(b'}', "after a value")?;
                break;
            }
        }
        self.skip_space();
        if self.pos < self.text.len() {
            return Err(self.error(format!("unexpected {} after the header dict", quote(&self.text[self.pos..]))));
        }
        let missing = |key: &str| format!("header has no '{key}' key");
        Ok(Header {
            dtype: descr.ok_or_else(|| missing("descr"))?,
            fortran_order: fortran_order.ok_or_else(|| missing("fortran_order"))?,
            shape: shape.ok_or_else(|| missing("shape"))?,
        })
    }

    /// The `descr` value: a type string such as `'<f4'` (structured dtypes are lists, refused).
    fn descr(&mut self) -> Result<Dtype, String> {
        self.skip_space();
        let at = self.at();
        let text = self.string("a dtype string for 'descr' (structured dtypes are not supported)")?;
        Dtype::parse(text).map_err(|reason| format!("header at byte {at}: {reason}"))
    }

    /// The `fortran_order` value: `True` or `False`.
    fn boolean(&mut self) -> Result<bool, String> {
        self.skip_space();
        let at = self.at();
        match self.take_while(|c| c.is_ascii_alphanumeric() || c == b'_') {
            b"True" => Ok(true),
            b"False" => Ok(false),
            word => Err(format!("header at byte {at}: 'fortran_order' must be True or False, found {}", quote(word))),
        }
    }

    /// The `shape` value: a tuple of non-negative ints, `()`, `(3,)` or `(2, 3)`.
    fn shape(&mut self) -> Result<Vec<usize>, String> {
        self.expect(b'(', "to open the 'shape' tuple")?;
        let mut dims = Vec::new();
        let mut trailing_comma = false;
        while !self.eat(b')') {
            dims.push(self.dim()?);
            trailing_comma = self.eat(b',');
            if !trailing_comma {
                self.expect(b')', "after a dimension in 'shape'")?;
                break;
            }
        }
        if let ([dim], false) = (dims.as_slice(), trailing_comma) {
            return Err(
                self.error(format!("'shape' ({dim}) is an int in parentheses, not a tuple; a 1-d shape is ({dim},)"))
            );
        }
        Ok(dims)
    }

    /// One dimension: decimal digits, with Python 2's `L` suffix allowed.
    fn dim(&mut self) -> Result<usize, String> {
        self.skip_space();
        let at = self.at();
        let negative = self.eat(b'-');
        let digits = self.take_while(|c| c.is_ascii_digit());
        if digits.is_empty() {
            return Err(self.error(format!("expected a non-negative int in 'shape', found {}", self.found())));
        }
        if negative {
            return Err(format!("header at byte {at}: 'shape' has a negative dimension -{}", excerpt(digits)));
        }
        if self.text.get(self.pos) == Some(&b'L') {
            self.pos += 1;
        }
        digits
            .iter()
            .try_fold(0usize, |n, &digit| n.checked_mul(10)?.checked_add(usize::from(digit - b'0')))
            .ok_or_else(|| format!("header at byte {at}: dimension {} does not fit in usize", excerpt(digits)))
    }

    /// A string in single or double quotes, without escapes; `what` names what was expected.
    fn string(&mut self, what: &str) -> Result<&'a [u8], String> {
        self.skip_space();
        let Some(&quote_mark @ (b'\'' | b'"')) = self.text.get(self.pos) else {
            return Err(self.error(format!("expected {what}, found {}", self.found())));
        };
        let start = self.pos + 1;
        let len = self.text[start..].iter().take_while(|&&c| c != quote_mark && c != b'\\' && c != b'\n').count();
        self.pos = start + len;
        match self.text.get(self.pos) {
            Some(&c) if c == quote_mark => {}
            Some(b'\\') => return Err(self.error("escapes in header strings are not supported")),
            _ => return Err(self.error("string is not closed before the end of the line")),
        }
        self.pos += 1;
        Ok(&self.text[start..start + len])
    }

    /// Skips whitespace, then consumes `c` if it comes next.
    fn eat(&mut self, c: u8) -> bool {
        self.skip_space();
        let found = self.text.get(self.pos) == Some(&c);
        if found {
            self.pos += 1;
        }
        found
    }

    /// Like [`eat`](Self::eat), but an error naming `context` if `c` is not next.
    fn expect(&mut self, c: u8, context: &str) -> Result<(), String> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(self.error(format!("expected '{}' {context}, found {}", c as char, self.found())))
        }
    }

    fn skip_space(&mut self) {
        self.take_while(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r'));
    }

    fn take_while(&mut self, keep: impl Fn(u8) -> bool) -> &'a [u8] {
        let start = self.pos;
        let len = self.text[start..].iter().take_while(|&&c| keep(c)).count();
        self.pos += len;
        &self.text[start..self.pos]
    }

    /// What comes next, for error messages.
    fn found(&self) -> String {
        match self.text.get(self.pos..) {
            Some([]) | None => "the end of the header".to_string(),
            Some(rest) => quote(&rest[..rest.len().min(12)]),
        }
    }

    /// The file byte position of the cursor.
    fn at(&self) -> usize {
        self.offset + self.pos
    }

    fn error(&self, what: impl std::fmt::Display) -> String {
        format!("header at byte {}: {what}", self.at())
    }
}
