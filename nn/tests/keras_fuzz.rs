//! Fuzzing `load_model` with mutated copies of the real fixture files: it must return `Ok`
//! or `Err`, never panic. Structural mutations (deleted attributes, groups and datasets,
//! randomly edited `model_config` JSON, weights of other shapes and types, fixed-length
//! strings) run in this process; byte-level ones (truncations, flipped bytes) run in a child
//! process each, since libhdf5 itself may crash on corrupted bytes, which is counted apart
//! from Derin panics (exit code 101). Fixed seed, bounded counts.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::Command;

use derin_nn::{KerasModel, load_model};
use derin_tensor::Tensor;
use hdf5::types::{FixedAscii, VarLenUnicode};
use hdf5_metno as hdf5;
use serde_json::{Value, json};

/// The environment variable naming the file the child test loads.
const CHILD_FILE: &str = "DERIN_KERAS_FUZZ_FILE";

thread_local! {
    /// Set while `load_model` runs under `catch_unwind`, to keep its panics off stderr.
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "h5"))
        .collect();
    files.sort();
    assert!(files.len() >= 6, "{files:?}");
    files
}

/// A fresh directory for one test.
fn dir(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("derin-keras-fuzz-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Every group and dataset path below the root, and every `(object, attribute)` pair.
fn objects(f: &hdf5::File) -> (Vec<String>, Vec<String>, Vec<(String, String)>) {
    let (mut groups, mut datasets, mut attrs) = (Vec::new(), Vec::new(), Vec::new());
    let mut todo = vec![String::new()];
    for name in f.attr_names().unwrap() {
        attrs.push((String::new(), name));
    }
    while let Some(path) = todo.pop() {
        let g = if path.is_empty() { f.as_group().unwrap() } else { f.group(&path).unwrap() };
        for member in g.member_names().unwrap() {
            let full = if path.is_empty() { member.clone() } else { format!("{path}/{member}") };
            if let Ok(sub) = g.group(&member) {
                for a in sub.attr_names().unwrap() {
                    attrs.push((full.clone(), a));
                }
                groups.push(full.clone());
                todo.push(full);
            } else {
                datasets.push(full);
            }
        }
    }
    (groups, datasets, attrs)
}

fn location(f: &hdf5::File, path: &str) -> hdf5::Location {
    let g = if path.is_empty() { f.as_group().unwrap() } else { f.group(path).unwrap() };
    (*g).clone()
}

fn write_vlen(loc: &hdf5::Location, name: &str, text: &str) {
    let v: VarLenUnicode = text.parse().unwrap();
    loc.new_attr::<VarLenUnicode>().create(name).unwrap().write_scalar(&v).unwrap();
}

/// A random edit somewhere in `config`: a deleted key, a value of the wrong type, a bad
/// number, an unknown class name.
fn mutate_json(config: &mut Value, rng: &mut Rng) -> String {
    let mut pointers = Vec::new();
    let mut todo = vec![(String::new(), &*config)];
    while let Some((p, v)) = todo.pop() {
        match v {
            Value::Object(m) => {
                m.iter().for_each(|(k, v)| todo.push((format!("{p}/{}", k.replace('~', "~0").replace('/', "~1")), v)))
            }
            Value::Array(a) => a.iter().enumerate().for_each(|(i, v)| todo.push((format!("{p}/{i}"), v))),
            _ => {}
        }
        pointers.push(p);
    }
    pointers.sort();
    let pointer = pointers[1 + rng.below(pointers.len() - 1)].clone();
    let choice = rng.below(13);
    if choice == 0 {
        // Delete the key (or array element).
        let (parent, last) = pointer.rsplit_once('/').unwrap();
        match config.pointer_mut(parent).unwrap() {
            Value::Object(m) => {
                m.remove(&last.replace("~1", "/").replace("~0", "~"));
            }
            Value::Array(a) => {
                a.remove(last.parse::<usize>().unwrap());
            }
            _ => unreachable!(),
        }
        return format!("delete {pointer}");
    }
    let replacement = match choice {
        1 => json!(null),
        2 => json!("nonsense"),
        3 => json!(-1),
        4 => json!(0),
        5 => json!(2.5),
        6 => json!(1e300),
        7 => json!([]),
        8 => json!({}),
        9 => json!(true),
        10 => json!([1, "x", null]),
        11 => json!(1000), // large enough to matter, small enough to allocate (huge sizes: hdf5.rs)
        _ => json!("NoSuchLayer"),
    };
    let text = format!("set {pointer} = {replacement}");
    *config.pointer_mut(&pointer).unwrap() = replacement;
    text
}

/// `Ok(())`, or the panic message of `load_model` (and of a prediction on zeros when the
/// file loads: a loaded model must also run on inputs of its own shape).
fn load_without_panic(path: &Path) -> Result<bool, String> {
    QUIET.set(true);
    let outcome = catch_unwind(AssertUnwindSafe(|| match load_model(path) {
        Ok(m) => {
            predict_zeros(&m);
            true
        }
        Err(e) => {
            assert!(!e.to_string().is_empty());
            false
        }
    }));
    QUIET.set(false);
    outcome.map_err(|p| {
        p.downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default()
    })
}

fn predict_zeros(m: &KerasModel) {
    let xs: Vec<Tensor> = m
        .input_shapes()
        .iter()
        .filter(|s| s.iter().product::<usize>() <= 1 << 20)
        .map(|s| Tensor::zeros(&[&[1][..], s].concat()))
        .collect();
    if xs.len() == m.input_shapes().len() {
        let _ = m.predict(&xs, 1);
    }
}

/// Held by each of the two fuzz tests: a child process forked by one would inherit the
/// other's open (and HDF5-locked) file descriptors, and the other's reopen would fail.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The case checked last, for the message when a copy cannot be reopened.
static LAST: std::sync::Mutex<String> = std::sync::Mutex::new(String::new());

/// Copies `src` to `dst` and applies `mutate` to the copy opened read-write.
fn mutated(src: &Path, dst: &Path, mutate: impl FnOnce(&hdf5::File)) {
    std::fs::copy(src, dst).unwrap();
    let f = hdf5::File::open_rw(dst).unwrap_or_else(|e| panic!("{e} (the case before: {})", LAST.lock().unwrap()));
    mutate(&f);
}

#[test]
fn structural_mutations_never_panic() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let default = std::panic::take_hook();
    // Panics inside load_model are collected and reported below; others print as usual.
    std::panic::set_hook(Box::new(move |info| {
        if !QUIET.get() {
            default(info);
        }
    }));
    let d = dir("structural");
    let mut rng = Rng(0x5eed_cafe_f00d_0001);
    let (mut cases, mut loaded, mut panics) = (0, 0, Vec::new());
    let mut check = |what: String, path: &Path| {
        cases += 1;
        *LAST.lock().unwrap() = what.clone();
        match load_without_panic(path) {
            Ok(ok) => loaded += usize::from(ok),
            Err(message) => panics.push(format!("{what}: {message}")),
        }
    };
    for (i, src) in fixtures().iter().enumerate() {
        let name = src.file_name().unwrap().to_string_lossy().to_string();
        let file = d.join(format!("{i}.h5"));
        let (groups, datasets, attrs) = objects(&hdf5::File::open(src).unwrap());
        for (loc, attr) in &attrs {
            mutated(src, &file, |f| location(f, loc).delete_attr(attr).unwrap());
            check(format!("{name}: delete attribute {loc}@{attr}"), &file);
            // The attribute as an integer instead of strings.
            mutated(src, &file, |f| {
                let l = location(f, loc);
                l.delete_attr(attr).unwrap();
                l.new_attr::<i32>().create(attr.as_str()).unwrap().write_scalar(&7).unwrap();
            });
            check(format!("{name}: integer attribute {loc}@{attr}"), &file);
        }
        for object in groups.iter().chain(&datasets) {
            mutated(src, &file, |f| f.unlink(object).unwrap());
            check(format!("{name}: delete {object}"), &file);
        }
        for ds in &datasets {
            let data: Vec<f64> =
                hdf5::File::open(src).unwrap().dataset(ds).unwrap().read_raw::<f64>().unwrap_or_default();
            let shape = hdf5::File::open(src).unwrap().dataset(ds).unwrap().shape();
            let (parent, leaf) = ds.rsplit_once('/').unwrap_or(("", ds));
            let grown: Vec<usize> = shape.iter().map(|&n| n + 1).collect();
            let kinds = ["f64", "i32", "u8", "grown", "flat", "extra-axis", "scalar", "string"];
            for kind in kinds {
                mutated(src, &file, |f| {
                    f.unlink(ds).unwrap();
                    let g = if parent.is_empty() { f.as_group().unwrap() } else { f.group(parent).unwrap() };
                    let n = data.len();
                    match kind {
                        "f64" => {
                            g.new_dataset::<f64>().shape(shape.clone()).create(leaf).unwrap().write_raw(&data).unwrap()
                        }
                        "i32" => {
                            let v: Vec<i32> = data.iter().map(|&x| x as i32).collect();
                            g.new_dataset::<i32>().shape(shape.clone()).create(leaf).unwrap().write_raw(&v).unwrap()
                        }
                        "u8" => g
                            .new_dataset::<u8>()
                            .shape(shape.clone())
                            .create(leaf)
                            .unwrap()
                            .write_raw(&vec![1u8; n])
                            .unwrap(),
                        "grown" => {
                            let m = grown.iter().product();
                            g.new_dataset::<f32>()
                                .shape(grown.clone())
                                .create(leaf)
                                .unwrap()
                                .write_raw(&vec![0.5f32; m])
                                .unwrap()
                        }
                        "flat" => {
                            g.new_dataset::<f32>().shape([n]).create(leaf).unwrap().write_raw(&vec![0.5f32; n]).unwrap()
                        }
                        "extra-axis" => {
                            let s = [&shape[..], &[1]].concat();
                            g.new_dataset::<f32>().shape(s).create(leaf).unwrap().write_raw(&vec![0.5f32; n]).unwrap()
                        }
                        "scalar" => g.new_dataset::<f32>().create(leaf).unwrap().write_scalar(&0.5f32).unwrap(),
                        _ => {
                            let v: VarLenUnicode = "kernel".parse().unwrap();
                            g.new_dataset::<VarLenUnicode>().shape([1]).create(leaf).unwrap().write_raw(&[v]).unwrap()
                        }
                    }
                });
                check(format!("{name}: {ds} as {kind}"), &file);
            }
        }
        // model_config: random JSON edits, truncated text, fixed-length strings.
        let config: Value = serde_json::from_str(
            &hdf5::File::open(src).unwrap().attr("model_config").unwrap().read_scalar::<VarLenUnicode>().unwrap(),
        )
        .unwrap();
        for _ in 0..150 {
            let mut edited = config.clone();
            let mut what = Vec::new();
            for _ in 0..1 + rng.below(3) {
                what.push(mutate_json(&mut edited, &mut rng));
            }
            mutated(src, &file, |f| {
                f.delete_attr("model_config").unwrap();
                write_vlen(f, "model_config", &edited.to_string());
            });
            check(format!("{name}: model_config {}", what.join(", ")), &file);
        }
        let text = config.to_string();
        for _ in 0..10 {
            let cut = rng.below(text.len());
            mutated(src, &file, |f| {
                f.delete_attr("model_config").unwrap();
                write_vlen(f, "model_config", &text[..cut]);
            });
            check(format!("{name}: model_config truncated at {cut}"), &file);
        }
        mutated(src, &file, |f| {
            for (loc, attr) in &attrs {
                let l = location(f, loc);
                let Ok(Some(s)) = l.attr(attr).map(|a| a.read_scalar::<VarLenUnicode>().ok()) else { continue };
                let Ok(fixed) = FixedAscii::<16384>::from_ascii(s.as_str()) else { continue };
                l.delete_attr(attr).unwrap();
                l.new_attr::<FixedAscii<16384>>().create(attr.as_str()).unwrap().write_scalar(&fixed).unwrap();
            }
        });
        check(format!("{name}: every scalar string attribute fixed-length"), &file);
    }
    eprintln!("structural: {cases} cases, {loaded} loaded (and predicted), {} panics", panics.len());
    assert!(panics.is_empty(), "{} panics in {cases} cases:\n{}", panics.len(), panics.join("\n"));
    assert!(cases > 300, "{cases}");
}

/// The child side of `byte_level_mutations_never_panic`: loads the file the environment
/// names, and does nothing without it.
#[test]
fn byte_level_child() {
    if let Some(path) = std::env::var_os(CHILD_FILE)
        && let Ok(m) = load_model(PathBuf::from(path))
    {
        predict_zeros(&m);
    }
}

/// Seconds a child may take on one file: libhdf5 can loop forever on some corrupted files
/// (a bad heap free list), which is libhdf5's fault, not a Derin panic.
const CHILD_LIMIT_S: u64 = 30;

/// Runs the child test on `file`; `None` when it had to be killed for running too long.
fn run_child(exe: &Path, file: &Path) -> Option<std::process::Output> {
    use std::process::Stdio;
    let mut child = Command::new(exe)
        .args(["--exact", "byte_level_child", "--nocapture", "--test-threads=1"])
        .env(CHILD_FILE, file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed().as_secs() >= CHILD_LIMIT_S {
            child.kill().unwrap();
            child.wait().unwrap();
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    Some(child.wait_with_output().unwrap())
}

#[test]
fn byte_level_mutations_never_panic() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let d = dir("bytes");
    let exe = std::env::current_exe().unwrap();
    let mut rng = Rng(0x5eed_cafe_f00d_0002);
    let (mut cases, mut ok, mut errors, mut panics, mut crashes) = (0, 0, 0, Vec::new(), Vec::new());
    for (i, src) in fixtures().iter().enumerate() {
        let bytes = std::fs::read(src).unwrap();
        let name = src.file_name().unwrap().to_string_lossy().to_string();
        for case in 0..48 {
            let mut b = bytes.clone();
            let what = if case < 16 {
                let cut = rng.below(b.len());
                b.truncate(cut);
                format!("{name} truncated to {cut} bytes")
            } else {
                let flips = 1 + rng.below(if case < 32 { 4 } else { 64 });
                for _ in 0..flips {
                    let at = rng.below(b.len());
                    b[at] ^= 1 << rng.below(8);
                }
                format!("{name} with {flips} flipped bits (case {case})")
            };
            let file = d.join(format!("{i}-{case}.h5"));
            std::fs::write(&file, &b).unwrap();
            let Some(out) = run_child(&exe, &file) else {
                cases += 1;
                crashes.push(format!(
                    "{what} ({}): libhdf5 still running after {CHILD_LIMIT_S} s, killed",
                    file.display()
                ));
                continue;
            };
            cases += 1;
            let stderr = String::from_utf8_lossy(&out.stderr);
            match out.status.code() {
                Some(0) => {
                    ok += 1;
                    std::fs::remove_file(&file).unwrap();
                }
                Some(101) => panics.push(format!("{what} ({}): {stderr}", file.display())),
                Some(code) => {
                    errors += 1;
                    crashes.push(format!("{what}: exit code {code}"));
                }
                None => {
                    use std::os::unix::process::ExitStatusExt;
                    let signal = out.status.signal().unwrap_or(0);
                    crashes.push(format!("{what} ({}): killed by signal {signal}", file.display()));
                }
            }
        }
    }
    eprintln!(
        "byte level: {cases} cases, {ok} ran to the end (loaded or Err), {} Derin panics, {} libhdf5 crashes{}",
        panics.len(),
        crashes.len(),
        if errors > 0 { format!(" ({errors} other exit codes)") } else { String::new() }
    );
    for c in &crashes {
        eprintln!("  libhdf5 crash: {c}");
    }
    assert!(panics.is_empty(), "{} panics in {cases} cases:\n{}", panics.len(), panics.join("\n"));
}
