//! Properties of the augmentations: flips are involutions, crops shift content, noise has
//! the asked-for statistics, and everything is reproducible by seed.

use derin_tensor::ndarray::{ArrayD, IxDyn};

use super::*;

fn counting(shape: &[usize]) -> ArrayD<f32> {
    let n: usize = shape.iter().product();
    ArrayD::from_shape_vec(IxDyn(shape), (0..n).map(|i| i as f32).collect()).unwrap()
}

#[test]
fn flipping_twice_is_the_identity() {
    for shape in [&[3, 5, 7][..], &[4, 2, 3, 6]] {
        let x = counting(shape);
        for axis in [FlipAxis::Horizontal, FlipAxis::Vertical] {
            let once = flip(x.view(), axis).unwrap();
            assert_ne!(once, x);
            assert_eq!(flip(once.view(), axis).unwrap(), x);
        }
    }
}

#[test]
fn horizontal_flip_reverses_width_and_vertical_reverses_height() {
    let x = counting(&[1, 2, 3]);
    let h = flip(x.view(), FlipAxis::Horizontal).unwrap();
    assert_eq!(h.as_slice().unwrap(), &[2.0, 1.0, 0.0, 5.0, 4.0, 3.0]);
    let v = flip(x.view(), FlipAxis::Vertical).unwrap();
    assert_eq!(v.as_slice().unwrap(), &[3.0, 4.0, 5.0, 0.0, 1.0, 2.0]);
}

#[test]
fn random_flip_draws_per_image_at_rate_p() {
    let x = counting(&[1000, 1, 1, 2]);
    let out = random_flip(x.view(), FlipAxis::Horizontal, 0.3, &mut Rng::seed(9)).unwrap();
    let flipped = (0..1000).filter(|&i| out[[i, 0, 0, 0]] != x[[i, 0, 0, 0]]).count();
    assert!((250..350).contains(&flipped), "{flipped} of 1000 flipped at p = 0.3");
    for i in 0..1000 {
        let row = [out[[i, 0, 0, 0]], out[[i, 0, 0, 1]]];
        let (a, b) = (x[[i, 0, 0, 0]], x[[i, 0, 0, 1]]);
        assert!(row == [a, b] || row == [b, a]);
    }
}

#[test]
fn crop_with_zero_padding_is_the_identity() {
    let x = counting(&[2, 3, 4, 5]);
    assert_eq!(random_crop(x.view(), 0, &mut Rng::seed(1)).unwrap(), x);
}

#[test]
fn crop_shifts_content_within_the_padding_and_fills_zeros() {
    let x = counting(&[1, 6, 6]).mapv(|v| v + 1.0); // no zero inside the image
    for seed in 0..50 {
        let out = random_crop(x.view(), 2, &mut Rng::seed(seed)).unwrap();
        // Find the shift: the output pixel holding x[0, 2, 2] (value 15).
        let ((_, h, w), _) = out
            .view()
            .into_dimensionality::<derin_tensor::ndarray::Ix3>()
            .unwrap()
            .indexed_iter()
            .find(|(_, v)| **v == 15.0)
            .map(|(i, v)| (i, *v))
            .expect("centre pixel kept");
        let (dy, dx) = (h as isize - 2, w as isize - 2);
        assert!(dy.abs() <= 2 && dx.abs() <= 2);
        for ((_, oh, ow), &v) in out.view().into_dimensionality::<derin_tensor::ndarray::Ix3>().unwrap().indexed_iter()
        {
            let (sh, sw) = (oh as isize - dy, ow as isize - dx);
            let expected =
                if (0..6).contains(&sh) && (0..6).contains(&sw) { x[[0, sh as usize, sw as usize]] } else { 0.0 };
            assert_eq!(v, expected, "seed {seed} shift ({dy}, {dx}) at ({oh}, {ow})");
        }
    }
}

#[test]
fn noise_has_the_asked_mean_and_std() {
    let x = ArrayD::from_elem(IxDyn(&[4, 3, 50, 50]), 0.25f32);
    let noise = &gaussian_noise(x.view(), 0.2, &mut Rng::seed(3)).unwrap() - &x;
    let mean = noise.mean().unwrap();
    let std = noise.mapv(|v| (v - mean).powi(2)).mean().unwrap().sqrt();
    assert!(mean.abs() < 0.005, "mean {mean}");
    assert!((std - 0.2).abs() < 0.005, "std {std}");
    assert_eq!(gaussian_noise(x.view(), 0.0, &mut Rng::seed(3)).unwrap(), x);
}

#[test]
fn augmenter_is_reproducible_and_images_draw_independently() {
    let steps = vec![
        Augmentation::RandomFlip { axis: FlipAxis::Vertical, p: 0.5 },
        Augmentation::RandomCrop { padding: 1 },
        Augmentation::GaussianNoise { std: 0.01 },
    ];
    let x = ArrayD::from_shape_fn(IxDyn(&[16, 1, 4, 4]), |i| (i[2] * 4 + i[3]) as f32);
    let a = Augmenter::new(steps.clone(), 5).apply(x.view()).unwrap();
    assert_eq!(a, Augmenter::new(steps.clone(), 5).apply(x.view()).unwrap());
    assert_ne!(a, Augmenter::new(steps, 6).apply(x.view()).unwrap());
    let first = a.index_axis(Axis(0), 0);
    assert!((1..16).any(|i| (&a.index_axis(Axis(0), i) - &first).mapv(f32::abs).sum() > 1.0));
}

#[test]
fn bad_inputs_are_errors() {
    let flat = counting(&[4, 4]);
    let error = flip(flat.view(), FlipAxis::Horizontal).unwrap_err().to_string();
    assert_eq!(error, "flip: expected a CHW image or NCHW batch, got shape [4, 4]");
    let image = counting(&[1, 4, 4]);
    let error = random_flip(image.view(), FlipAxis::Horizontal, 1.5, &mut Rng::seed(0)).unwrap_err();
    assert_eq!(error.to_string(), "random_flip: p must be in [0, 1], got 1.5");
    let error = gaussian_noise(image.view(), -1.0, &mut Rng::seed(0)).unwrap_err();
    assert_eq!(error.to_string(), "gaussian_noise: std must be finite and ≥ 0, got -1");
    let mut augmenter = Augmenter::new(vec![Augmentation::GaussianNoise { std: f32::NAN }], 0);
    assert!(augmenter.apply_tensor(&Tensor::zeros(&[1, 2, 2])).is_err());
}
