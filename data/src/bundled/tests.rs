//! Tests of the bundled loaders against counts checked with Python (see each test), and of
//! their errors.

use super::*;
use crate::balance::class_counts;
use crate::table::Column;
use crate::test_util::TempDir;

#[test]
fn data_dirs_default_to_the_datasets_crates_and_obey_derin_data() {
    let default = resolve_data_dirs(None);
    assert_eq!(default.len(), 2);
    assert_eq!(default[0], derin_datasets::assets());
    assert!(default[0].join("mnist").join("t10k-images-idx3-ubyte.gz").is_file());
    assert!(default[1].join("mnist").join("train-images-idx3-ubyte.gz").is_file());
    assert_eq!(resolve_data_dirs(Some("".into())), default);
    assert_eq!(resolve_data_dirs(Some("/elsewhere".into())), [PathBuf::from("/elsewhere")]);
}

#[test]
fn a_missing_bundled_file_names_every_place_looked_and_how_to_get_it() {
    let dirs = [PathBuf::from("/a"), PathBuf::from("/b")];
    let error = bundled_file(&dirs, "mnist/x.gz", &["mnist/x"]).unwrap_err();
    let Error::Io { path, source } = &error else { panic!("{error:?}") };
    assert_eq!((path.as_path(), source.kind()), (Path::new("/a/mnist/x.gz"), ErrorKind::NotFound));
    let text = error.to_string();
    assert!(text.contains("no such file (nor /a/mnist/x, /b/mnist/x.gz, /b/mnist/x)"), "{text}");
    assert!(text.contains("DERIN_DATA"), "{text}");
    let iris = bundled_file(&resolve_data_dirs(None), "tabular/iris.csv", &[]).unwrap();
    assert_eq!(iris, derin_datasets::assets().join("tabular").join("iris.csv"));
}

/// Python: `gzip.open(...).read()[8:]` of the label files gives 60000 and 10000 labels,
/// the first 5 and 7; train counts per digit 5923 6742 5958 6131 5842 5421 5918 6265 5851
/// 5949; the first training image's bytes sum to 27525.
#[test]
fn mnist_matches_the_published_files() {
    let m = mnist().unwrap();
    assert_eq!(m.train_images.shape(), &[60000, 1, 28, 28]);
    assert_eq!(m.test_images.shape(), &[10000, 1, 28, 28]);
    assert_eq!((m.train_labels.len(), m.test_labels.len()), (60000, 10000));
    assert_eq!(m.train_labels[..10], [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    assert_eq!(m.test_labels[..10], [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
    let counts: Vec<usize> = class_counts(&m.train_labels).into_values().collect();
    assert_eq!(counts, [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    let first_sum: f32 = m.train_images.slice(derin_tensor::ndarray::s![0, .., .., ..]).sum() * 255.0;
    assert!((first_sum - 27525.0).abs() < 0.5, "{first_sum}");
    assert!(m.train_images.iter().all(|v| (0.0..=1.0).contains(v)));
}

#[test]
fn mnist_from_reads_raw_files_and_reports_count_mismatches() {
    let dir = TempDir::new("mnist-raw");
    let header = |magic: u32, dims: &[u32]| -> Vec<u8> {
        let mut bytes = magic.to_be_bytes().to_vec();
        dims.iter().for_each(|d| bytes.extend(d.to_be_bytes()));
        bytes
    };
    let mut images = header(0x803, &[2, 28, 28]);
    images.resize(16 + 2 * 784, 255);
    std::fs::write(dir.path().join("train-images-idx3-ubyte"), &images).unwrap();
    std::fs::write(dir.path().join("t10k-images-idx3-ubyte"), &images).unwrap();
    std::fs::write(dir.path().join("train-labels-idx1-ubyte"), [header(0x801, &[2]), vec![3, 4]].concat()).unwrap();
    std::fs::write(dir.path().join("t10k-labels-idx1-ubyte"), [header(0x801, &[1]), vec![9]].concat()).unwrap();
    let error = mnist_from(dir.path()).unwrap_err().to_string();
    assert!(error.contains("t10k-labels-idx1-ubyte: 1 labels for 2 images in"), "{error}");
    std::fs::write(dir.path().join("t10k-labels-idx1-ubyte"), [header(0x801, &[2]), vec![9, 8]].concat()).unwrap();
    let small = mnist_from(dir.path()).unwrap();
    assert_eq!((small.train_labels, small.test_labels), (vec![3, 4], vec![9, 8]));
    assert_eq!(small.test_images[[1, 0, 27, 27]], 1.0);
}

/// Runs on the real package when `apt-get install dataset-fashion-mnist` has been done.
/// Python on its label files: first train labels 9 0 0 3 0, first test labels 9 2 1 1 6.
#[test]
fn fashion_mnist_loads_when_installed() {
    if !Path::new(FASHION_MNIST_DIR).is_dir() {
        let error = fashion_mnist().unwrap_err().to_string();
        assert!(error.contains("apt-get install dataset-fashion-mnist"), "{error}");
        return;
    }
    let f = fashion_mnist().unwrap();
    assert_eq!(f.train_images.shape(), &[60000, 1, 28, 28]);
    assert_eq!(f.test_images.shape(), &[10000, 1, 28, 28]);
    assert_eq!(f.train_labels[..5], [9, 0, 0, 3, 0]);
    assert_eq!(f.test_labels[..5], [9, 2, 1, 1, 6]);
    assert!(class_counts(&f.train_labels).values().all(|&n| n == 6000));
}

#[test]
fn fashion_mnist_in_an_empty_folder_says_how_to_install_it() {
    let dir = TempDir::new("fashion-empty");
    let error = fashion_mnist_from(dir.path()).unwrap_err();
    let Error::Io { path, source } = &error else { panic!("{error:?}") };
    assert!(path.ends_with("train-images-idx3-ubyte.gz"));
    assert_eq!(source.kind(), ErrorKind::NotFound);
    assert!(error.to_string().contains("install it with `apt-get install dataset-fashion-mnist`"), "{error}");
}

/// Python `collections.Counter` of the last column of each file gives these counts.
#[test]
fn sklearn_sets_have_their_published_shapes_and_class_counts() {
    let counts = |d: &ClassificationData| class_counts(&d.labels).into_values().collect::<Vec<_>>();
    let iris = iris().unwrap();
    assert_eq!(iris.features.dim(), (150, 4));
    assert_eq!(counts(&iris), [50, 50, 50]);
    assert_eq!(iris.features.row(0).to_vec(), [5.1, 3.5, 1.4, 0.2]);
    let wine = wine().unwrap();
    assert_eq!((wine.features.dim(), counts(&wine)), ((178, 13), vec![59, 71, 48]));
    assert_eq!(wine.features[[0, 12]], 1065.0);
    let cancer = breast_cancer().unwrap();
    assert_eq!((cancer.features.dim(), counts(&cancer)), ((569, 30), vec![212, 357]));
    assert_eq!(cancer.class_names, ["malignant", "benign"]);
    let digits = digits().unwrap();
    assert_eq!(digits.features.dim(), (1797, 64));
    assert_eq!(counts(&digits), [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]);
    assert_eq!(digits.labels[..2], [0, 1]);
}

/// Python: 442 targets, mean 152.1335, first 151 75 141.
#[test]
fn diabetes_has_442_patients_and_their_targets() {
    let d = diabetes().unwrap();
    assert_eq!(d.features.dim(), (442, 10));
    assert_eq!(d.targets[..3], [151.0, 75.0, 141.0]);
    let mean = d.targets.iter().sum::<f32>() / 442.0;
    assert!((mean - 152.1335).abs() < 1e-3, "{mean}");
    assert_eq!(d.features.row(0).to_vec(), [59.0, 2.0, 32.1, 101.0, 157.0, 93.2, 38.0, 4.0, 4.8598, 87.0]);
}

/// Python `csv` module: 2381 rows, `deny` yes 285, `NA` once in `pbcr` and in `self`.
#[test]
fn hdma_keeps_its_missing_values() {
    let t = hdma().unwrap();
    assert_eq!((t.n_rows(), t.n_cols()), (2381, 14));
    let Column::Text(deny) = t.column("deny").unwrap() else { panic!("deny is text") };
    assert_eq!(deny.iter().filter(|v| v.as_deref() == Some("yes")).count(), 285);
    let missing: Vec<(&str, usize)> = t
        .column_names()
        .into_iter()
        .map(|n| (n, t.column(n).unwrap().count_missing()))
        .filter(|&(_, m)| m > 0)
        .collect();
    assert_eq!(missing, [("pbcr", 1), ("self", 1)]);
}

#[test]
fn malformed_tabular_files_name_file_and_line() {
    let dir = TempDir::new("tabular-bad");
    let path = dir.path().join("bad.csv");
    let check = |text: &str, expected: &str| {
        std::fs::write(&path, text).unwrap();
        let error = tabular::read_counted(&path).unwrap_err().to_string();
        assert!(error.contains("bad.csv") && error.contains(expected), "{error}");
    };
    check("3,2,a,b\n1,2,0\n1,2,1\n", "line 1 promises 3 samples, found 2");
    check("2,2,a,b\n1,2,0\n1,2\n", "line 3: expected 3 fields, found 2");
    check("2,2,a,b\n1,x,0\n1,2,1\n", "line 2, field 2: \"x\" is not a number");
    check("2,2,a,b\n1,2,0\n1,2,2\n", "line 3: label 2 is not a class index below 2");
    check("2,2,a,b\n1,2,0\n1,2,0.5\n", "line 3: label 0.5 is not a class index below 2");
    check("iris\n", "line 1: expected `n_samples,n_features,class names…`");
    std::fs::write(&path, b"2,1,a\n\xff,0\n").unwrap();
    let error = tabular::read_counted(&path).unwrap_err().to_string();
    assert!(error.contains("byte 6: not valid UTF-8"), "{error}");
}
