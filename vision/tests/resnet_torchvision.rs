//! Our ResNet-18 and ResNet-50 compute what torchvision's do: narrow networks built from
//! torchvision 0.29.2's own blocks, their weights and outputs written by
//! reference/vision_resnet.py, loaded here by layer name.

use derin_nn::Ctx;
use derin_tensor::{Strictness, Tensor, load_params, load_safetensors};
use derin_vision::{ResNet, ResNetDepth};

fn check(depth: ResNetDepth, file: &str) {
    let path = format!("{}/tests/fixtures/{file}", env!("CARGO_MANIFEST_DIR"));
    let net = ResNet::new(depth, [3, 40, 48]).width(1.0 / 32.0).classes(10);
    let backbone = net.backbone().unwrap();
    let weights = backbone.weights();
    load_params(&path, &weights, Strictness::IgnoreUnexpected).unwrap();
    let saved = load_safetensors(&path).unwrap();
    let x = Tensor::from_array(saved.tensors["input"].clone());
    let (logits, maps) = backbone
        .model()
        .forward_with_taps(&[x], &net.stage_outputs().each_ref().map(String::as_str), &mut Ctx::eval())
        .unwrap();
    let close = |got: &Tensor, key: &str| {
        let want = &saved.tensors[key];
        assert_eq!(got.shape(), want.shape(), "{file} {key}");
        for (i, (g, w)) in got.to_vec().iter().zip(want.iter()).enumerate() {
            assert!((g - w).abs() <= 1e-5 + 1e-4 * w.abs(), "{file} {key}[{i}]: {g} vs torchvision {w}");
        }
    };
    close(&logits[0], "expected/logits");
    for (s, map) in maps.iter().enumerate() {
        close(map, &format!("expected/c{}", s + 2));
    }
}

#[test]
fn resnet18_matches_torchvision() {
    check(ResNetDepth::R18, "resnet18_narrow.safetensors");
}

#[test]
fn resnet50_matches_torchvision() {
    check(ResNetDepth::R50, "resnet50_narrow.safetensors");
}
