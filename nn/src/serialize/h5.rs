//! HDF5 plumbing for model files: string attributes (variable-length, as h5py 3 writes
//! them; fixed-length, as older files hold), `f32` datasets under nested groups, and the
//! write-to-a-temporary-then-rename that keeps a previous file intact.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use hdf5::types::{FixedAscii, FixedUnicode, FloatSize, IntSize, TypeDescriptor, VarLenAscii, VarLenUnicode};
use hdf5_metno as hdf5;

use crate::error::{Error, Result};

/// What went wrong, in words naming the object; turned into [`Error::File`] by the caller.
pub(crate) type Why<T> = std::result::Result<T, String>;

/// The longest fixed-length string read (HDF5 attributes hold at most 64 KiB).
const FIXED_MAX: usize = 1 << 16;

/// [`Error::File`] for `path`.
pub(crate) fn file_error(path: &Path, reason: impl Into<String>) -> Error {
    Error::File { path: path.display().to_string(), reason: reason.into() }
}

/// `what: error`, for HDF5 errors.
pub(crate) fn h5(what: &str) -> impl Fn(hdf5::Error) -> String + '_ {
    move |e| format!("{what}: {e}")
}

/// Writes `value` as a scalar variable-length UTF-8 string attribute.
pub(crate) fn write_str(loc: &hdf5::Location, name: &str, value: &str) -> Why<()> {
    let what = format!("attribute {name:?}");
    let v: VarLenUnicode = value.parse().map_err(|e| format!("{what}: {e}"))?;
    loc.new_attr::<VarLenUnicode>().create(name).and_then(|a| a.write_scalar(&v)).map_err(h5(&what))
}

/// Writes `values` as a 1-D string attribute, as Keras' `layer_names` and
/// `weight_names`; an empty list is an empty `float64` array, as h5py writes `[]`.
pub(crate) fn write_str_list(loc: &hdf5::Location, name: &str, values: &[String]) -> Why<()> {
    let what = format!("attribute {name:?}");
    if values.is_empty() {
        let attr = loc.new_attr::<f64>().shape(vec![0usize]).create(name).map_err(h5(&what))?;
        return attr.write_raw(&[] as &[f64]).map_err(h5(&what));
    }
    let vs: Vec<VarLenUnicode> =
        values.iter().map(|s| s.parse()).collect::<std::result::Result<_, _>>().map_err(|e| format!("{what}: {e}"))?;
    let attr = loc.new_attr::<VarLenUnicode>().shape(vec![vs.len()]).create(name).map_err(h5(&what))?;
    attr.write_raw(&vs).map_err(h5(&what))
}

/// Reads a string attribute (scalar or 1-D, any string type h5py writes); `None` when
/// absent. An empty array of any type reads as an empty list.
pub(crate) fn read_strs(loc: &hdf5::Location, name: &str) -> Why<Option<Vec<String>>> {
    if !loc.attr_names().map_err(h5("attribute names"))?.iter().any(|n| n == name) {
        return Ok(None);
    }
    let what = format!("attribute {name:?}");
    let attr = loc.attr(name).map_err(h5(&what))?;
    if attr.ndim() > 1 {
        return Err(format!("{what} has shape {:?}, expected a string or a list of strings", attr.shape()));
    }
    if attr.ndim() == 1 && attr.size() == 0 {
        return Ok(Some(Vec::new()));
    }
    let descriptor = attr.dtype().and_then(|t| t.to_descriptor()).map_err(h5(&what))?;
    let strings: Vec<String> = match descriptor {
        TypeDescriptor::VarLenUnicode => {
            attr.read_raw::<VarLenUnicode>().map_err(h5(&what))?.iter().map(|s| s.as_str().to_string()).collect()
        }
        TypeDescriptor::VarLenAscii => {
            attr.read_raw::<VarLenAscii>().map_err(h5(&what))?.iter().map(|s| s.as_str().to_string()).collect()
        }
        // HDF5 converts fixed-length strings to a longer fixed length of the same
        // character set, padding; read at the smallest of three lengths that fits.
        TypeDescriptor::FixedAscii(n) if n <= 256 => fixed::<FixedAscii<256>>(&attr, &what)?,
        TypeDescriptor::FixedAscii(n) if n <= 4096 => fixed::<FixedAscii<4096>>(&attr, &what)?,
        TypeDescriptor::FixedAscii(n) if n <= FIXED_MAX => fixed::<FixedAscii<FIXED_MAX>>(&attr, &what)?,
        TypeDescriptor::FixedUnicode(n) if n <= 256 => fixed::<FixedUnicode<256>>(&attr, &what)?,
        TypeDescriptor::FixedUnicode(n) if n <= 4096 => fixed::<FixedUnicode<4096>>(&attr, &what)?,
        TypeDescriptor::FixedUnicode(n) if n <= FIXED_MAX => fixed::<FixedUnicode<FIXED_MAX>>(&attr, &what)?,
        TypeDescriptor::FixedAscii(n) | TypeDescriptor::FixedUnicode(n) => {
            return Err(format!("{what} is a fixed-length string of {n} bytes, more than an attribute holds"));
        }
        other => return Err(format!("{what} has type {other}, expected strings")),
    };
    Ok(Some(strings))
}

/// Reads a fixed-length string attribute as `T` (a fixed string type at least as long).
fn fixed<T: hdf5::H5Type + AsRef<str>>(attr: &hdf5::Attribute, what: &str) -> Why<Vec<String>> {
    let raw = attr.read_raw::<T>().map_err(h5(what))?;
    Ok(raw.iter().map(|s| s.as_ref().trim_end_matches('\0').to_string()).collect())
}

/// Reads a scalar string attribute; `None` when absent.
pub(crate) fn read_str(loc: &hdf5::Location, name: &str) -> Why<Option<String>> {
    match read_strs(loc, name)? {
        None => Ok(None),
        Some(mut v) if v.len() == 1 => Ok(v.pop()),
        Some(v) => Err(format!("attribute {name:?} holds {} strings, expected one", v.len())),
    }
}

/// Reads a string-list attribute, also when Keras split it into `name0`, `name1`, …
/// because it outgrew an attribute's 64 KiB; `None` when absent.
pub(crate) fn read_str_list(loc: &hdf5::Location, name: &str) -> Why<Option<Vec<String>>> {
    if let Some(v) = read_strs(loc, name)? {
        return Ok(Some(v));
    }
    let mut out: Option<Vec<String>> = None;
    for i in 0.. {
        match read_strs(loc, &format!("{name}{i}"))? {
            Some(chunk) => out.get_or_insert_with(Vec::new).extend(chunk),
            None => break,
        }
    }
    Ok(out)
}

/// The group at `path` under `group` (`a/b/c`), created with its parents if missing.
pub(crate) fn group_at(group: &hdf5::Group, path: &str) -> Why<hdf5::Group> {
    let mut g = group.clone();
    for part in path.split('/').filter(|p| !p.is_empty()) {
        let what = format!("group {part:?} in {}", g.name());
        g = if g.link_exists(part) { g.group(part) } else { g.create_group(part) }.map_err(h5(&what))?;
    }
    Ok(g)
}

/// Writes an `f32` dataset at `path` under `group` (parents created), shape `shape`.
pub(crate) fn write_f32(group: &hdf5::Group, path: &str, shape: &[usize], data: &[f32]) -> Why<()> {
    let (parent, leaf) = path.rsplit_once('/').unwrap_or(("", path));
    let g = group_at(group, parent)?;
    let what = format!("dataset {path:?}");
    let ds = g.new_dataset::<f32>().shape(shape.to_vec()).create(leaf).map_err(h5(&what))?;
    ds.write_raw(data).map_err(h5(&what))
}

/// Writes an `i64` scalar dataset at `path` under `group` (Keras' `iteration`).
pub(crate) fn write_i64(group: &hdf5::Group, path: &str, value: i64) -> Why<()> {
    let (parent, leaf) = path.rsplit_once('/').unwrap_or(("", path));
    let g = group_at(group, parent)?;
    let what = format!("dataset {path:?}");
    g.new_dataset::<i64>().create(leaf).and_then(|d| d.write_scalar(&value)).map_err(h5(&what))
}

/// The dataset at `path` under `group`, or why not.
fn dataset(group: &hdf5::Group, path: &str) -> Why<hdf5::Dataset> {
    let full = format!("{}/{path}", group.name().trim_end_matches('/'));
    let exists = path.split('/').scan(String::new(), |acc, part| {
        if !acc.is_empty() {
            acc.push('/');
        }
        acc.push_str(part);
        Some(group.link_exists(acc))
    });
    if !exists.into_iter().all(|e| e) {
        return Err(format!("missing dataset {full}"));
    }
    group.dataset(path).map_err(h5(&format!("dataset {full}")))
}

/// Reads the `f32` dataset at `path` under `group`: its shape and row-major values.
/// Any other element type is an error (no silent conversion); `check` sees the shape
/// before any data is read.
pub(crate) fn read_f32(
    group: &hdf5::Group,
    path: &str,
    check: impl FnOnce(&str, &[usize]) -> Why<()>,
) -> Why<(Vec<usize>, Vec<f32>)> {
    let ds = dataset(group, path)?;
    let what = format!("dataset {}", ds.name());
    let descriptor = ds.dtype().and_then(|t| t.to_descriptor()).map_err(h5(&what))?;
    // Integer weights (a Normalization layer's int64 `count`) are read as f32, as the
    // library keeps every weight.
    let integer = matches!(descriptor, TypeDescriptor::Integer(_) | TypeDescriptor::Unsigned(_));
    if descriptor != TypeDescriptor::Float(FloatSize::U4) && !integer {
        return Err(format!("{what} has type {descriptor}, expected float32 or an integer"));
    }
    check(&what, &ds.shape())?;
    let data = if integer {
        ds.read_raw::<i64>().map_err(h5(&what))?.into_iter().map(|v| v as f32).collect()
    } else {
        ds.read_raw::<f32>().map_err(h5(&what))?
    };
    Ok((ds.shape(), data))
}

/// Reads the integer scalar dataset at `path` under `group` (Keras' `iteration`).
pub(crate) fn read_i64(group: &hdf5::Group, path: &str) -> Why<i64> {
    let ds = dataset(group, path)?;
    let what = format!("dataset {}", ds.name());
    let descriptor = ds.dtype().and_then(|t| t.to_descriptor()).map_err(h5(&what))?;
    if !matches!(
        descriptor,
        TypeDescriptor::Integer(_) | TypeDescriptor::Unsigned(IntSize::U1 | IntSize::U2 | IntSize::U4)
    ) && descriptor != TypeDescriptor::Unsigned(IntSize::U8)
    {
        return Err(format!("{what} has type {descriptor}, expected an integer"));
    }
    match ds.read_raw::<i64>().map_err(h5(&what))?.as_slice() {
        [v] => Ok(*v),
        other => Err(format!("{what} holds {} values, expected one", other.len())),
    }
}

/// The `model_config` attribute of a model file, parsed; a file whose `keras_version` is
/// 2.x has tf-keras' `hard_sigmoid` marked as such (see `mark_keras2_activations`).
pub(crate) fn read_model_config(file: &hdf5::File, path: &Path) -> Result<serde_json::Value> {
    let why = |r: String| file_error(path, r);
    let text =
        read_str(file, "model_config").map_err(why)?.ok_or_else(|| why("missing attribute model_config".into()))?;
    let mut config: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| why(format!("attribute model_config is not JSON: {e}")))?;
    if read_str(file, "keras_version").ok().flatten().is_some_and(|v| v.starts_with("2.")) {
        crate::serialize::mark_keras2_activations(&mut config);
    }
    Ok(config)
}

/// Opens `path` for reading; `Err` names the file and says why (missing, not HDF5,
/// truncated).
pub(crate) fn open(path: &Path) -> Result<hdf5::File> {
    if !path.is_file() {
        return Err(file_error(path, "no such file"));
    }
    hdf5::File::open(path)
        .map_err(|e| file_error(path, format!("cannot open as HDF5 (not an HDF5 file, or truncated): {e}")))
}

/// Writes a new file at `path` through `write`, atomically: into a temporary file in the
/// same directory, renamed over `path` only once written, synced and closed. On any
/// error the temporary is removed and a previous file at `path` is left as it was.
pub(crate) fn write_atomically(path: &Path, write: impl FnOnce(&hdf5::File) -> Result<()>) -> Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().ok_or_else(|| file_error(path, "not a file name"))?;
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!(".{}.{}-{n}.tmp", name.to_string_lossy(), std::process::id()));
    let result = (|| {
        let file = hdf5::File::create(&tmp).map_err(|e| file_error(&tmp, format!("cannot create: {e}")))?;
        write(&file)?;
        file.close().map_err(|e| file_error(&tmp, format!("cannot close: {e}")))?;
        std::fs::File::open(&tmp)
            .and_then(|f| f.sync_all())
            .map_err(|e| file_error(&tmp, format!("cannot sync: {e}")))?;
        std::fs::rename(&tmp, path)
            .map_err(|e| file_error(path, format!("cannot rename the temporary file over it: {e}")))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
