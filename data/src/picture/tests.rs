//! Pictures: conversion, boxes, text, grids, overlays and PNG files.

use super::*;

#[test]
fn boxes_and_text_land_where_asked() {
    let mut p = Picture::new(20, 12, [0; 3]);
    p.draw_box(&[2.0, 3.0, 8.0, 9.0], [255, 0, 0], 1);
    assert_eq!(
        (p.pixel(2, 3), p.pixel(7, 8), p.pixel(5, 3), p.pixel(2, 6)),
        ([255, 0, 0], [255, 0, 0], [255, 0, 0], [255, 0, 0])
    );
    assert_eq!((p.pixel(4, 5), p.pixel(8, 3), p.pixel(2, 9)), ([0; 3], [0; 3], [0; 3])); // inside, past the right and bottom edges
    // A box partly outside is clipped, not a panic.
    p.draw_box(&[-5.0, -5.0, 40.0, 40.0], [0, 255, 0], 2);
    let mut s = Picture::new(4, 4, [0; 3]);
    s.fill_rect(-1, 2, 3, 5, [7; 3]);
    assert_eq!((s.pixel(0, 2), s.pixel(1, 3), s.pixel(2, 2), s.pixel(0, 1)), ([7; 3], [7; 3], [0; 3], [0; 3]));
    let mut t = Picture::new(12, 8, [0; 3]);
    t.draw_text(0, 0, "1", [255; 3], [9; 3], 1);
    // "1" is 010/110/010/010/111, drawn from (1, 1): column 2 of row 1, the bottom row.
    assert_eq!((t.pixel(2, 1), t.pixel(1, 1), t.pixel(1, 5), t.pixel(3, 5)), ([255; 3], [9; 3], [255; 3], [255; 3]));
    assert_eq!(t.pixel(11, 7), [0; 3]); // outside the label's background
}

#[test]
fn grids_overlays_and_maps() {
    let a = Picture::new(2, 1, [10; 3]);
    let b = Picture::new(2, 1, [20; 3]);
    let g = Picture::grid(&[a.clone(), b.clone(), a], 2, 1, [255; 3]).unwrap();
    assert_eq!((g.width(), g.height()), (7, 5));
    assert_eq!(
        (g.pixel(1, 1), g.pixel(4, 1), g.pixel(1, 3), g.pixel(4, 3), g.pixel(3, 1)),
        ([10; 3], [20; 3], [10; 3], [255; 3], [255; 3])
    );
    assert!(Picture::grid(&[Picture::new(1, 1, [0; 3]), Picture::new(2, 1, [0; 3])], 2, 0, [0; 3]).is_err());
    let m = Picture::from_map(&Tensor::from_vec(vec![-2.0, 0.0, 2.0, 1.0], &[2, 2])).unwrap();
    assert_eq!((m.pixel(0, 0), m.pixel(0, 1), m.pixel(1, 1)), ([0; 3], [255; 3], [191; 3]));
    let o = Picture::new(2, 1, [0; 3]).overlay(&Tensor::from_vec(vec![0.0, 1.0], &[1, 2]), 1.0).unwrap();
    assert_eq!((o.pixel(0, 0), o.pixel(1, 0)), ([0, 0, 128], [128, 0, 0])); // jet's dark blue and dark red
    assert!(Picture::new(2, 1, [0; 3]).overlay(&Tensor::zeros(&[2, 2]), 0.5).is_err());
    assert_eq!(Picture::new(2, 1, [7; 3]).upscaled(3).width(), 6);
    assert!(Picture::from_tensor(&Tensor::zeros(&[2, 4, 4])).unwrap_err().to_string().contains("[1 or 3, H, W]"));
}

#[test]
fn png_files_are_written_whole_or_not_at_all() {
    let dir = std::env::temp_dir().join(format!("derin-draw-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("boxes.png");
    let mut p = Picture::from_tensor(&Tensor::full(&[3, 16, 24], 0.5)).unwrap();
    p.draw_labeled_box(&[2.0, 9.0, 12.0, 15.0], 3, "seven 0.97", 1);
    p.save_png(&path).unwrap();
    let back = image::open(&path).unwrap().to_rgb8();
    assert_eq!((back.width(), back.height()), (24, 16));
    assert_eq!(back.get_pixel(2, 14).0, PALETTE[3]);
    // A directory where the file should go: an error naming it, the old file intact.
    let err = p.save_png(&dir).unwrap_err().to_string();
    assert!(err.contains(&dir.display().to_string()), "{err}");
    assert!(image::open(&path).is_ok());
    std::fs::remove_dir_all(&dir).unwrap();
}
