//! Tests of the image readers (PNG and JPEG written here) and of HWC ↔ CHW.

use derin_tensor::ndarray::{ArrayD, IxDyn};
use image::{GrayImage, Luma, Rgb, RgbImage, Rgba, RgbaImage};

use super::*;
use crate::test_util::TempDir;

/// A 5 × 3 (width × height) image whose pixels encode their position.
fn pattern() -> RgbImage {
    RgbImage::from_fn(5, 3, |x, y| Rgb([(50 * x) as u8, (100 * y) as u8, 255 - (10 * (x + y)) as u8]))
}

#[test]
fn png_round_trip_gives_chw_in_unit_range() {
    let dir = TempDir::new("png");
    let path = dir.path().join("pattern.png");
    pattern().save(&path).unwrap();
    let chw = read_image(&path, ColorMode::Rgb).unwrap();
    assert_eq!(chw.shape(), &[3, 3, 5]);
    let original = pattern();
    for ((c, h, w), &v) in
        chw.array().view().into_dimensionality::<derin_tensor::ndarray::Ix3>().unwrap().indexed_iter()
    {
        let byte = original.get_pixel(w as u32, h as u32)[c];
        assert_eq!(v, f32::from(byte) / 255.0, "at channel {c}, row {h}, column {w}");
    }
}

#[test]
fn gray_mode_uses_luminance_and_gray_files_expand_to_rgb() {
    let dir = TempDir::new("gray");
    let colour = dir.path().join("colour.png");
    RgbImage::from_pixel(2, 2, Rgb([255, 0, 0])).save(&colour).unwrap();
    let gray = read_image(&colour, ColorMode::Gray).unwrap();
    assert_eq!(gray.shape(), &[1, 2, 2]);
    assert!((gray.to_vec()[0] - 0.2126).abs() < 0.01, "{:?}", gray.to_vec());
    let gray_file = dir.path().join("gray.png");
    GrayImage::from_pixel(3, 1, Luma([51])).save(&gray_file).unwrap();
    let rgb = read_image(&gray_file, ColorMode::Rgb).unwrap();
    assert_eq!(rgb.shape(), &[3, 1, 3]);
    assert!(rgb.to_vec().iter().all(|&v| (v - 0.2).abs() < 1e-6));
}

#[test]
fn alpha_is_dropped_and_jpeg_decodes_close_to_the_original() {
    let dir = TempDir::new("alpha-jpeg");
    let rgba = dir.path().join("a.png");
    RgbaImage::from_pixel(2, 2, Rgba([0, 255, 0, 7])).save(&rgba).unwrap();
    assert_eq!(read_image(&rgba, ColorMode::Rgb).unwrap().to_vec()[4..8], [1.0; 4]);
    let jpeg = dir.path().join("flat.jpg");
    RgbImage::from_pixel(16, 16, Rgb([200, 100, 50])).save(&jpeg).unwrap();
    let decoded = decode_image(&std::fs::read(&jpeg).unwrap(), ColorMode::Rgb).unwrap();
    assert_eq!(decoded.shape(), &[3, 16, 16]);
    let means: Vec<f32> =
        (0..3).map(|c| decoded.to_vec()[c * 256..(c + 1) * 256].iter().sum::<f32>() / 256.0).collect();
    for (mean, expected) in means.iter().zip([200.0, 100.0, 50.0]) {
        assert!((mean * 255.0 - expected).abs() < 4.0, "{means:?}");
    }
}

#[test]
fn unreadable_images_name_the_file() {
    let dir = TempDir::new("bad-image");
    let path = dir.path().join("broken.png");
    let mut bytes = Vec::new();
    pattern().write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let error = read_image(&path, ColorMode::Rgb).unwrap_err();
    assert!(matches!(error, Error::Format { .. }), "{error:?}");
    assert!(error.to_string().contains("broken.png: cannot decode image"), "{error}");
    let missing = read_image(dir.path().join("missing.png"), ColorMode::Rgb).unwrap_err();
    assert!(matches!(missing, Error::Io { .. }) && missing.to_string().contains("missing.png"));
}

#[test]
fn hwc_and_chw_are_inverse_permutations() {
    let hwc = ArrayD::from_shape_fn(IxDyn(&[4, 5, 3]), |i| (100 * i[0] + 10 * i[1] + i[2]) as f32);
    let chw = hwc_to_chw(hwc.view()).unwrap();
    assert_eq!(chw.shape(), &[3, 4, 5]);
    assert_eq!(chw[IxDyn(&[2, 3, 1])], 312.0);
    assert!(chw.is_standard_layout());
    assert_eq!(chw_to_hwc(chw.view()).unwrap(), hwc);
    let tensor = Tensor::from_array(chw.clone());
    assert_eq!(chw_to_hwc_tensor(&tensor).unwrap().to_array(), hwc);
    assert_eq!(hwc_to_chw_tensor(&Tensor::from_array(hwc)).unwrap().to_array(), chw);
    let error = hwc_to_chw(ArrayD::<f32>::zeros(IxDyn(&[2, 2])).view()).unwrap_err();
    assert_eq!(error.to_string(), "hwc_to_chw: expected a 3-D image or 4-D batch, got shape [2, 2]");
}
