//! Parsing and checking a safetensors header: the 8-byte length, the JSON, each tensor's
//! dtype, shape and offsets, and that the offsets tile the data exactly.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;

use super::dtype::Dtype;

/// The largest header accepted, in bytes (the limit of the reference implementation).
pub(super) const MAX_HEADER_LEN: u64 = 100_000_000;

/// The key under which a header keeps its string-to-string metadata.
pub(super) const METADATA_KEY: &str = "__metadata__";

/// One tensor's entry in the header, checked against the data it points into.
#[derive(Debug)]
pub(super) struct Entry {
    pub name: String,
    pub dtype: Dtype,
    pub shape: Vec<usize>,
    /// Byte range within the data (after the header).
    pub begin: usize,
    pub end: usize,
}

/// A parsed header and the data that follows it.
pub(super) struct Parsed<'a> {
    pub entries: Vec<Entry>,
    pub metadata: BTreeMap<String, String>,
    pub data: &'a [u8],
}

/// Splits a whole file into its checked header and its data.
///
/// On success every entry's range lies inside `data`, holds exactly shape × dtype size bytes,
/// and the ranges tile `data` without gaps or overlaps. Errors say what is wrong and name the
/// tensor.
pub(super) fn parse(bytes: &[u8]) -> Result<Parsed<'_>, String> {
    let Some((len, rest)) = bytes.split_first_chunk::<8>() else {
        return Err(format!(
            "file of {} bytes is too short: a safetensors file starts with an 8-byte header length",
            bytes.len()
        ));
    };
    let len = u64::from_le_bytes(*len);
    if len > MAX_HEADER_LEN {
        return Err(format!(
            "header length {len} is over the limit of {MAX_HEADER_LEN} bytes (not a safetensors file?)"
        ));
    }
    // Fits: at most 10^8.
    let len = len as usize;
    if len > rest.len() {
        return Err(format!("truncated header: its length is {len} bytes but only {} bytes follow", rest.len()));
    }
    let (json, data) = rest.split_at(len);
    let text = std::str::from_utf8(json).map_err(|e| format!("header is not UTF-8: {e}"))?;
    let Entries(pairs) = serde_json::from_str(text).map_err(|e| format!("header is not a JSON object: {e}"))?;

    let mut entries = Vec::with_capacity(pairs.len());
    let mut metadata = None;
    let mut seen = BTreeSet::new();
    for (name, value) in pairs {
        if !seen.insert(name.clone()) {
            return Err(format!("header names {name:?} twice"));
        }
        if name == METADATA_KEY {
            metadata = Some(parse_metadata(value)?);
        } else {
            entries.push(parse_entry(name, &value, data.len())?);
        }
    }
    check_tiling(&mut entries, data.len())?;
    Ok(Parsed { entries, metadata: metadata.unwrap_or_default(), data })
}

/// The `__metadata__` object: strings to strings.
fn parse_metadata(value: Value) -> Result<BTreeMap<String, String>, String> {
    let Value::Object(map) = value else {
        return Err(format!("{METADATA_KEY} must be an object of strings, found {}", kind(&value)));
    };
    map.into_iter()
        .map(|(key, value)| match value {
            Value::String(text) => Ok((key, text)),
            other => Err(format!("{METADATA_KEY} entry {key:?} must be a string, found {}", kind(&other))),
        })
        .collect()
}

/// One tensor's `{"dtype", "shape", "data_offsets"}`, checked against `data_len`.
fn parse_entry(name: String, value: &Value, data_len: usize) -> Result<Entry, String> {
    let field = |key: &str| value.get(key).ok_or_else(|| format!("tensor {name:?} has no {key:?} field"));
    if !value.is_object() {
        return Err(format!("tensor {name:?} must be an object, found {}", kind(value)));
    }
    let dtype = match field("dtype")? {
        Value::String(text) => Dtype::parse(text).map_err(|e| format!("tensor {name:?}: {e}"))?,
        other => return Err(format!("tensor {name:?}: dtype must be a string, found {}", kind(other))),
    };
    let shape = sizes(field("shape")?).ok_or_else(|| format!("tensor {name:?}: shape must be a list of sizes"))?;
    let offsets = sizes(field("data_offsets")?).filter(|o| o.len() == 2);
    let Some(&[begin, end]) = offsets.as_deref() else {
        return Err(format!("tensor {name:?}: data_offsets must be a list [begin, end] of two byte offsets"));
    };
    if begin > end || end > data_len {
        return Err(format!(
            "tensor {name:?}: data_offsets [{begin}, {end}] are not a range within the {data_len} bytes of data"
        ));
    }
    let needed = shape.iter().try_fold(dtype.size(), |n, &d| n.checked_mul(d));
    if needed != Some(end - begin) {
        let needed = needed.map_or("more than usize::MAX bytes".into(), |n| format!("{n} bytes"));
        return Err(format!(
            "tensor {name:?}: shape {shape:?} of {} needs {needed}, data_offsets [{begin}, {end}] hold {} bytes",
            dtype.name(),
            end - begin
        ));
    }
    Ok(Entry { name, dtype, shape, begin, end })
}

/// Sorts `entries` by offset and checks that they cover `0..data_len` exactly once, as the
/// format requires (no overlaps, no unclaimed bytes).
fn check_tiling(entries: &mut [Entry], data_len: usize) -> Result<(), String> {
    entries.sort_by_key(|e| (e.begin, e.end));
    let mut covered = 0;
    let mut previous: Option<&Entry> = None;
    for entry in entries.iter() {
        // `covered > 0` only once a non-empty entry has been seen, so `previous` is set here.
        if let Some(p) = previous.filter(|_| entry.begin < covered) {
            let e = entry;
            return Err(format!(
                "tensors {:?} (bytes {}..{}) and {:?} (bytes {}..{}) overlap",
                p.name, p.begin, p.end, e.name, e.begin, e.end
            ));
        }
        if entry.begin > covered {
            return Err(format!("data bytes {covered}..{} belong to no tensor", entry.begin));
        }
        covered = entry.end;
        if entry.end > entry.begin {
            previous = Some(entry);
        }
    }
    if covered != data_len {
        return Err(format!("data bytes {covered}..{data_len} belong to no tensor"));
    }
    Ok(())
}

/// A JSON list of non-negative integers that fit `usize`.
fn sizes(value: &Value) -> Option<Vec<usize>> {
    value.as_array()?.iter().map(|v| usize::try_from(v.as_u64()?).ok()).collect()
}

/// What a JSON value is, for error messages.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// A JSON object's entries in file order, duplicates kept (`serde_json::Map` would silently
/// keep only the last of two equal keys).
struct Entries(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for Entries {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor;
        impl<'de> Visitor<'de> for EntriesVisitor {
            type Value = Entries;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object mapping tensor names to {dtype, shape, data_offsets}")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries, A::Error> {
                let mut pairs = Vec::new();
                while let Some(pair) = map.next_entry::<String, Value>()? {
                    pairs.push(pair);
                }
                Ok(Entries(pairs))
            }
        }
        deserializer.deserialize_map(EntriesVisitor)
    }
}
