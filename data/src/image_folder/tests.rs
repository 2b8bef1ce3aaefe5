//! Tests of `ImageFolder` on folders built in a temp dir.

use image::{GrayImage, Luma, Rgb, RgbImage};

use super::*;
use crate::test_util::TempDir;

/// `root/<class>/<i>.png`, each a `w × h` gray image of value `10 · label + i`.
fn build(root: &Path, classes: &[(&str, usize)], w: u32, h: u32) {
    for (label, &(class, n)) in classes.iter().enumerate() {
        fs::create_dir_all(root.join(class)).unwrap();
        for i in 0..n {
            let value = (10 * label + i) as u8;
            GrayImage::from_pixel(w, h, Luma([value])).save(root.join(class).join(format!("{i}.png"))).unwrap();
        }
    }
}

#[test]
fn classes_are_sorted_and_samples_follow_them() {
    let dir = TempDir::new("folder");
    build(dir.path(), &[("bird", 2), ("ant", 3), ("cat", 1)], 4, 3);
    fs::write(dir.path().join("ant/notes.txt"), "not an image").unwrap();
    fs::write(dir.path().join("README"), "a file at the root").unwrap();
    let folder = ImageFolder::open(dir.path(), ImageFolderOptions::default()).unwrap();
    assert_eq!(folder.classes(), ["ant", "bird", "cat"]);
    assert_eq!(folder.labels(), vec![0, 0, 0, 1, 1, 2]);
    assert_eq!(folder.image_size(), [3, 4]);
    assert!(folder.path(5).unwrap().ends_with("cat/0.png"));
    let (image, label) = folder.get(3).unwrap();
    assert_eq!(label, 1);
    assert_eq!(image.shape(), &[3, 3, 4]);
    // "bird" was built first, so its images hold 10·0 + i.
    assert!(image.to_vec().iter().all(|&v| v == 0.0));
    let (batch, labels) = folder.load_all().unwrap();
    assert_eq!(batch.shape(), &[6, 3, 3, 4]);
    assert_eq!(labels, folder.labels());
    assert!((batch[[1, 2, 0, 0]] - 11.0 / 255.0).abs() < 1e-6);
    assert!(folder.get(6).unwrap_err().to_string().contains("index 6 is past the end (6 images)"));
}

#[test]
fn different_sizes_need_a_resize() {
    let dir = TempDir::new("sizes");
    build(dir.path(), &[("a", 2)], 4, 4);
    RgbImage::from_pixel(6, 2, Rgb([0, 0, 255])).save(dir.path().join("a/odd.png")).unwrap();
    let error = ImageFolder::open(dir.path(), ImageFolderOptions::default()).unwrap_err().to_string();
    assert!(error.contains("odd.png: image is 2×6 but"), "{error}");
    assert!(error.contains("set ImageFolderOptions::size"), "{error}");
    let options = ImageFolderOptions { color: ColorMode::Gray, size: Some([5, 3]) };
    let folder = ImageFolder::open(dir.path(), options).unwrap();
    let (batch, _) = folder.load_all().unwrap();
    assert_eq!(batch.shape(), &[3, 1, 5, 3]);
    let blue_luma = 0.0722;
    assert!((batch[[2, 0, 2, 1]] - blue_luma).abs() < 0.01, "{}", batch[[2, 0, 2, 1]]);
}

#[test]
fn unreadable_image_names_the_file() {
    let dir = TempDir::new("unreadable");
    build(dir.path(), &[("a", 1), ("b", 1)], 2, 2);
    fs::write(dir.path().join("b/corrupt.png"), b"\x89PNG\r\n\x1a\nnot really").unwrap();
    let error = ImageFolder::open(dir.path(), ImageFolderOptions::default()).unwrap_err();
    assert!(matches!(error, Error::Format { .. }), "{error:?}");
    assert!(error.to_string().contains("corrupt.png: cannot decode image"), "{error}");
}

#[test]
fn empty_class_and_bad_size_are_errors() {
    let dir = TempDir::new("empty-class");
    build(dir.path(), &[("a", 1)], 2, 2);
    fs::create_dir_all(dir.path().join("z")).unwrap();
    let error = ImageFolder::open(dir.path(), ImageFolderOptions::default()).unwrap_err().to_string();
    assert!(error.ends_with("z: class folder has no .png/.jpg/.jpeg file"), "{error}");
    let zero = ImageFolderOptions { size: Some([0, 4]), ..Default::default() };
    assert!(ImageFolder::open(dir.path(), zero).unwrap_err().to_string().contains("zero side"));
    let missing = ImageFolder::open(dir.path().join("nowhere"), ImageFolderOptions::default()).unwrap_err();
    assert!(matches!(missing, Error::Io { .. }));
}
