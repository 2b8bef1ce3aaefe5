//! Our feature pyramid computes what torchvision 0.29.2's FeaturePyramidNetwork with
//! LastLevelMaxPool does (weights and values from reference/vision_fpn.py), and sends
//! gradients down every path.

use derin_nn::Ctx;
use derin_tensor::{Strictness, Tensor, check_gradients, load_params, load_safetensors};
use derin_vision::FeaturePyramid;

#[test]
fn matches_torchvision() {
    let path = format!("{}/tests/fixtures/fpn.safetensors", env!("CARGO_MANIFEST_DIR"));
    let fpn = FeaturePyramid::new(&[3, 5, 6], 4, true, 0).unwrap();
    assert_eq!((fpn.levels(), fpn.out_channels()), (4, 4));
    load_params(&path, &fpn.weights(), Strictness::IgnoreUnexpected).unwrap();
    let saved = load_safetensors(&path).unwrap();
    let maps: Vec<Tensor> = (0..3).map(|i| Tensor::from_array(saved.tensors[&format!("input/c{i}")].clone())).collect();
    let levels = fpn.forward(&maps, &mut Ctx::eval()).unwrap();
    for (level, key) in levels.iter().zip(["p0", "p1", "p2", "pool"]) {
        let want = &saved.tensors[&format!("expected/{key}")];
        assert_eq!(level.shape(), want.shape(), "{key}");
        for (i, (g, w)) in level.to_vec().iter().zip(want.iter()).enumerate() {
            assert!((g - w).abs() <= 1e-5 + 1e-4 * w.abs(), "{key}[{i}]: {g} vs torchvision {w}");
        }
    }
}

#[test]
fn gradients_agree_with_finite_differences() {
    let fpn = FeaturePyramid::new(&[2, 3], 2, true, 1).unwrap();
    let map =
        |s: &[usize], k: f32| Tensor::from_vec((0..s.iter().product()).map(|i| (i as f32 * k).sin()).collect(), s);
    let inputs = [map(&[1, 2, 5, 3], 0.7), map(&[1, 3, 3, 2], 1.3)];
    let f = |xs: &[Tensor]| {
        let levels = fpn.forward(xs, &mut Ctx::eval()).unwrap();
        levels
            .iter()
            .enumerate()
            .map(|(i, l)| l.square().sum_all().mul_scalar(1.0 + i as f32))
            .reduce(|a, b| a + b)
            .unwrap()
    };
    check_gradients(f, &inputs).unwrap();
}

#[test]
fn wrong_maps_are_errors() {
    let fpn = FeaturePyramid::new(&[2, 3], 2, false, 1).unwrap();
    let e = fpn.forward(&[Tensor::zeros(&[1, 2, 4, 4])], &mut Ctx::eval()).err().unwrap().to_string();
    assert_eq!(e, "FeaturePyramid: 1 maps for a pyramid of 2 levels");
    let e = fpn.forward(&[Tensor::zeros(&[1, 2, 4, 4]), Tensor::zeros(&[1, 4, 2, 2])], &mut Ctx::eval()).err().unwrap();
    assert_eq!(e.to_string(), "FeaturePyramid: map 1 has shape [1, 4, 2, 2], level 1 takes [N, 3, H, W] (N of map 0)");
    assert!(FeaturePyramid::new(&[], 2, false, 0).is_err() && FeaturePyramid::new(&[2], 0, false, 0).is_err());
}
