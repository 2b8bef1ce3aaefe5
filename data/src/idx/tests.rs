//! Tests of the IDX reader on hand-built files, raw and gzipped, and on broken ones.

use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;

use super::*;

/// An `idx3` file of `n` images of `rows × cols` whose bytes count up from 0.
fn images_file(n: u32, rows: u32, cols: u32) -> Vec<u8> {
    let mut bytes = IMAGES_MAGIC.to_be_bytes().to_vec();
    for d in [n, rows, cols] {
        bytes.extend(d.to_be_bytes());
    }
    bytes.extend((0..n * rows * cols).map(|i| (i % 256) as u8));
    bytes
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    let path = std::env::temp_dir().join(format!("derin-idx-test-{}-{name}", std::process::id()));
    fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn reads_hand_built_images_raw_and_gzipped() {
    let raw = images_file(3, 4, 5);
    for (name, bytes) in [("raw.idx3", raw.clone()), ("gz.idx3.gz", gzip(&raw))] {
        let path = temp_file(name, &bytes);
        let images = read_idx_images(&path).unwrap();
        fs::remove_file(&path).unwrap();
        assert_eq!(images.shape(), &[3, 4, 5]);
        assert_eq!(images[[0, 0, 0]], 0);
        assert_eq!(images[[2, 3, 4]], 59);
        assert_eq!(images[[1, 2, 3]], 20 + 10 + 3);
    }
}

#[test]
fn reads_hand_built_labels_raw_and_gzipped() {
    let raw = [0u8, 0, 8, 1, 0, 0, 0, 4, 9, 0, 3, 255];
    assert_eq!(idx_labels_from_bytes(&raw).unwrap(), vec![9, 0, 3, 255]);
    assert_eq!(idx_labels_from_bytes(&gzip(&raw)).unwrap(), vec![9, 0, 3, 255]);
    let path = temp_file("labels.gz", &gzip(&raw));
    assert_eq!(read_idx_labels(&path).unwrap(), vec![9, 0, 3, 255]);
    fs::remove_file(&path).unwrap();
}

#[test]
fn f32_images_are_channels_first_in_unit_range() {
    let images = images_to_f32(&idx_images_from_bytes(&images_file(2, 16, 16)).unwrap());
    assert_eq!(images.shape(), &[2, 1, 16, 16]);
    assert_eq!(images[[0, 0, 0, 0]], 0.0);
    assert_eq!(images[[0, 0, 15, 15]], 1.0);
    assert!(images.iter().all(|v| (0.0..=1.0).contains(v)));
}

#[test]
fn empty_file_of_zero_images_is_fine() {
    let images = idx_images_from_bytes(&images_file(0, 28, 28)).unwrap();
    assert_eq!(images.shape(), &[0, 28, 28]);
}

#[test]
fn wrong_magic_names_file_and_both_magics() {
    let path = temp_file("labels-as-images", &[0, 0, 8, 1, 0, 0, 0, 0]);
    let error = read_idx_images(&path).unwrap_err().to_string();
    fs::remove_file(&path).unwrap();
    assert!(error.contains("labels-as-images"), "{error}");
    assert!(
        error.contains("byte 0: expected magic 0x00000803 (idx3 unsigned-byte images), found 0x00000801"),
        "{error}"
    );
}

#[test]
fn truncated_header_and_data_give_the_offset() {
    let raw = images_file(2, 3, 3);
    let error = idx_images_from_bytes(&raw[..2]).unwrap_err().to_string();
    assert!(error.contains("header ends at byte 2"), "{error}");
    let error = idx_images_from_bytes(&raw[..10]).unwrap_err().to_string();
    assert!(error.contains("header ends at byte 10: idx3 unsigned-byte images need a 16-byte header"), "{error}");
    let error = idx_images_from_bytes(&raw[..20]).unwrap_err().to_string();
    assert!(
        error.contains("<memory>: data ends at byte 20: header promises 2×3×3 = 18 bytes from byte 16, found 4"),
        "{error}"
    );
}

#[test]
fn trailing_bytes_are_an_error() {
    let mut raw = images_file(1, 2, 2);
    raw.extend([1, 2, 3]);
    let error = idx_images_from_bytes(&raw).unwrap_err().to_string();
    assert!(error.contains("byte 20: 3 unexpected bytes after the 1×2×2 data"), "{error}");
}

#[test]
fn huge_sizes_fail_without_allocating() {
    let mut raw = IMAGES_MAGIC.to_be_bytes().to_vec();
    for _ in 0..3 {
        raw.extend(u32::MAX.to_be_bytes());
    }
    let error = idx_images_from_bytes(&raw).unwrap_err().to_string();
    assert!(error.contains("bytes 4..16: sizes 4294967295×4294967295×4294967295 overflow"), "{error}");
    let mut raw = IMAGES_MAGIC.to_be_bytes().to_vec();
    for d in [60_000u32, 28, 28] {
        raw.extend(d.to_be_bytes());
    }
    let error = idx_images_from_bytes(&raw).unwrap_err().to_string();
    assert!(error.contains("header promises 60000×28×28 = 47040000 bytes from byte 16, found 0"), "{error}");
}

#[test]
fn truncated_gzip_names_the_decompressed_offset() {
    let gz = gzip(&images_file(10, 28, 28));
    let path = temp_file("cut.gz", &gz[..gz.len() / 2]);
    let error = read_idx_images(&path).unwrap_err().to_string();
    fs::remove_file(&path).unwrap();
    assert!(error.contains("cut.gz: gzip stream broken after"), "{error}");
}

#[test]
fn missing_file_is_an_io_error_naming_it() {
    let error = read_idx_labels("/nonexistent/derin/labels.idx1").unwrap_err();
    assert!(matches!(error, Error::Io { .. }));
    assert!(error.to_string().contains("/nonexistent/derin/labels.idx1"), "{error}");
}
