//! The RPN and RoI heads against torchvision 0.29.2's on fixed features, weights and
//! targets, every candidate sampled so that nothing is random
//! (reference/vision_detection.py): proposals, the four losses, the detections; and the
//! targets a detector refuses.

use derin_nn::Ctx;
use derin_tensor::{Rng, SafeTensors, Strictness, Tensor, load_params, load_safetensors};

use super::*;
use crate::{BoxXyxy, ResNet, ResNetDepth};

const ALL: usize = 1_000_000;

fn fixture() -> (String, SafeTensors) {
    let path = format!("{}/tests/fixtures/detection.safetensors", env!("CARGO_MANIFEST_DIR"));
    let saved = load_safetensors(&path).unwrap();
    (path, saved)
}

fn rows(saved: &SafeTensors, key: &str) -> Vec<BoxXyxy> {
    flat_rows(saved.tensors[key].as_standard_layout().as_slice().unwrap())
}

fn values(saved: &SafeTensors, key: &str) -> Vec<f32> {
    saved.tensors[key].iter().copied().collect()
}

fn close(got: &[f32], want: &[f32], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: {got:?} vs torchvision {want:?}");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= 1e-4 + 1e-4 * w.abs(), "{what}[{i}]: {g} vs torchvision {w}");
    }
}

fn networks(path: &str) -> (RegionProposalNetwork, RoiHeads) {
    let mut rng = Rng::seed(0);
    let rpn = RpnConfig {
        anchor_sizes: vec![vec![8.0], vec![16.0], vec![32.0]],
        aspect_ratios: vec![vec![0.5, 1.0, 2.0]; 3],
        pre_nms_top_n: [40, 20],
        post_nms_top_n: [30, 15],
        batch_size_per_image: ALL,
        ..RpnConfig::default()
    };
    let rpn = RegionProposalNetwork::new(4, rpn, &mut rng).unwrap();
    let heads = RoiHeadsConfig { representation_size: 32, batch_size_per_image: ALL, ..RoiHeadsConfig::default() };
    let heads = RoiHeads::new(4, 4, heads, &mut rng).unwrap();
    let mut weights = rpn.weights();
    weights.extend(heads.weights());
    load_params(path, &weights, Strictness::IgnoreUnexpected).unwrap();
    (rpn, heads)
}

#[test]
fn rpn_and_roi_heads_match_torchvision() {
    let (path, saved) = fixture();
    let (rpn, heads) = networks(&path);
    let levels: Vec<Tensor> =
        (0..3).map(|l| Tensor::from_array(saved.tensors[&format!("features/{l}")].clone())).collect();
    let targets: Vec<Target> = (0..2)
        .map(|i| Target {
            boxes: rows(&saved, &format!("targets/{i}/boxes")),
            labels: values(&saved, &format!("targets/{i}/labels")).iter().map(|&v| v as usize).collect(),
        })
        .collect();
    let mut rng = Rng::seed(1);
    let mut ctx = Ctx::train(0);
    let (proposals, losses) = rpn.forward(&levels, [64, 64], Some(&targets), &mut ctx, &mut rng).unwrap();
    for (i, p) in proposals.iter().enumerate() {
        close(
            &p.concat(),
            &values(&saved, &format!("expected/rpn_train/{i}")),
            &format!("training proposals of image {i}"),
        );
    }
    let rpn_losses = losses.unwrap();
    let roi = heads.losses(&levels, &proposals, &targets, [64, 64], &mut ctx, &mut rng).unwrap();
    let got = [rpn_losses.objectness.item(), rpn_losses.box_reg.item(), roi.classifier.item(), roi.box_reg.item()];
    close(&got, &values(&saved, "expected/losses"), "losses (objectness, rpn box, classifier, box)");

    let mut ctx = Ctx::eval();
    let (proposals, none) = rpn.forward(&levels, [64, 64], None, &mut ctx, &mut rng).unwrap();
    assert!(none.is_none());
    for (i, p) in proposals.iter().enumerate() {
        close(
            &p.concat(),
            &values(&saved, &format!("expected/rpn_eval/{i}")),
            &format!("inference proposals of image {i}"),
        );
    }
    let found = heads.detect(&levels, &proposals, [64, 64], &mut ctx).unwrap();
    for (i, d) in found.iter().enumerate() {
        let key = |k: &str| format!("expected/detections/{i}/{k}");
        close(&d.boxes.concat(), &values(&saved, &key("boxes")), &key("boxes"));
        close(&d.scores, &values(&saved, &key("scores")), &key("scores"));
        assert_eq!(
            d.labels,
            values(&saved, &key("labels")).iter().map(|&v| v as usize).collect::<Vec<_>>(),
            "{}",
            key("labels")
        );
    }
}

#[test]
fn the_losses_send_gradients_to_every_head() {
    let (path, saved) = fixture();
    let (rpn, heads) = networks(&path);
    let levels: Vec<Tensor> =
        (0..3).map(|l| Tensor::from_array(saved.tensors[&format!("features/{l}")].clone())).collect();
    let targets = vec![Target { boxes: vec![[4.0, 6.0, 20.0, 26.0]], labels: vec![2] }, Target::default()];
    let mut rng = Rng::seed(1);
    let mut ctx = Ctx::train(0);
    let (proposals, losses) = rpn.forward(&levels, [64, 64], Some(&targets), &mut ctx, &mut rng).unwrap();
    let losses = losses.unwrap();
    let roi = heads.losses(&levels, &proposals, &targets, [64, 64], &mut ctx, &mut rng).unwrap();
    let total = &(&losses.objectness + &losses.box_reg) + &(&roi.classifier + &roi.box_reg);
    let grads = total.backward();
    for p in rpn.weights().iter().chain(&heads.weights()) {
        let g = grads.param(p).unwrap_or_else(|| panic!("no gradient for {}", p.name()));
        assert!(g.iter().any(|v| *v != 0.0), "zero gradient for {}", p.name());
    }
}

/// A small detector on 64×64 one-channel images.
fn detector() -> FasterRcnn {
    let backbone = ResNet::new(ResNetDepth::R18, [1, 64, 64]).width(0.125).backbone().unwrap();
    let config = FasterRcnnConfig {
        image_size: [64, 64],
        image_mean: vec![0.1],
        image_std: vec![0.3],
        fpn_channels: 8,
        rpn: RpnConfig {
            anchor_sizes: vec![vec![8.0], vec![16.0], vec![24.0], vec![32.0], vec![48.0]],
            ..RpnConfig::default()
        },
        roi_heads: RoiHeadsConfig { representation_size: 16, ..RoiHeadsConfig::default() },
        seed: 0,
    };
    FasterRcnn::new(backbone, 3, config).unwrap()
}

#[test]
fn bad_targets_are_errors_naming_the_image_and_box() {
    let mut d = detector();
    let img = vec![Tensor::zeros(&[1, 32, 40]), Tensor::zeros(&[1, 64, 64])];
    let mut check = |boxes: Vec<BoxXyxy>, labels: Vec<usize>| {
        let targets = vec![Target::default(), Target { boxes, labels }];
        d.losses(&img, &targets, &mut Ctx::train(0)).err().map(|e| e.to_string())
    };
    let e = check(vec![[5.0, 5.0, 3.0, 9.0]], vec![1]).unwrap();
    assert_eq!(e, "FasterRcnn: image 1: box 0 [5.0, 5.0, 3.0, 9.0] has x2 ≤ x1 or y2 ≤ y1");
    let e = check(vec![[5.0, 5.0, 9.0, 9.0], [0.0, f32::NAN, 1.0, 1.0]], vec![1, 2]).unwrap();
    assert_eq!(e, "FasterRcnn: image 1: box 1 [0.0, NaN, 1.0, 1.0] has a NaN or infinite coordinate");
    let e = check(vec![[50.0, 5.0, 70.0, 9.0]], vec![1]).unwrap();
    assert_eq!(e, "FasterRcnn: image 1: box 0 [50.0, 5.0, 70.0, 9.0] lies outside the image of 64×64 pixels");
    assert_eq!(
        check(vec![[1.0, 1.0, 9.0, 9.0]], vec![3]).unwrap(),
        "FasterRcnn: image 1: box 0 has label 3, not a class 1..2"
    );
    assert!(check(vec![[1.0, 1.0, 9.0, 9.0]], vec![0]).unwrap().contains("label 0"));
    assert!(check(vec![[1.0, 1.0, 9.0, 9.0]], vec![]).unwrap().contains("1 boxes but 0 labels"));
    // Good targets, one image without objects: losses, all finite.
    assert!(check(vec![[1.0, 1.0, 9.0, 9.0]], vec![2]).is_none());
    let e = d.detect(&[Tensor::zeros(&[3, 64, 64])]).err().unwrap().to_string();
    assert!(e.contains("image 0 has shape [3, 64, 64], expected [1, H, W]"), "{e}");
}

#[test]
fn bad_configurations_are_errors() {
    let backbone = || ResNet::new(ResNetDepth::R18, [1, 64, 64]).width(0.125).backbone().unwrap();
    let base = FasterRcnnConfig {
        image_size: [64, 64],
        image_mean: vec![0.1],
        image_std: vec![0.3],
        ..FasterRcnnConfig::default()
    };
    let e = |c: FasterRcnnConfig, classes| FasterRcnn::new(backbone(), classes, c).err().unwrap().to_string();
    assert!(e(base.clone(), 1).contains("at least one class"));
    assert!(e(FasterRcnnConfig { image_mean: vec![0.1; 3], ..base.clone() }, 3).contains("one per input channel"));
    let few =
        RpnConfig { anchor_sizes: vec![vec![32.0]; 3], aspect_ratios: vec![vec![1.0]; 3], ..RpnConfig::default() };
    assert!(e(FasterRcnnConfig { rpn: few, ..base.clone() }, 3).contains("3 anchor levels for a pyramid of 5"));
    // torchvision's default anchors start at 32 px; a 16×16 canvas is smaller.
    let small = ResNet::new(ResNetDepth::R18, [1, 32, 32]).width(0.125).backbone().unwrap();
    let tiny = FasterRcnnConfig { image_size: [16, 16], ..base.clone() };
    assert!(
        FasterRcnn::new(small, 3, tiny).err().unwrap().to_string().contains("smaller than the smallest anchor (32 px)")
    );
    assert!(e(FasterRcnnConfig { image_size: [96, 96], ..base }, 3).contains("is not the backbone's input"));
}
