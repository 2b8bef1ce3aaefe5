//! The benchmark workloads of `shared/BENCHMARKS.md` that need the vision crate, one JSON
//! line each on stdout: `cargo xtask bench [filter]` (timing policy in
//! `derin_tensor::workload`).

use derin_nn::Ctx;
use derin_tensor::workload::{Workloads, emit, median, time_train};
use derin_tensor::{Rng, Tensor, no_grad};
use derin_vision::{BoxXyxy, ResNet, ResNetDepth, RoiAlignOptions, nms, roi_align};

/// `n` boxes inside a `size`-pixel square image, sides 8 to size/2 (cut at the border),
/// as the peers' `seeded_boxes`.
fn seeded_boxes(n: usize, size: f32, rng: &mut Rng) -> Vec<BoxXyxy> {
    (0..n)
        .map(|_| {
            let (x, y) = (rng.uniform01() * size * 0.75, rng.uniform01() * size * 0.75);
            let (w, h) = (8.0 + rng.uniform01() * (size / 2.0 - 8.0), 8.0 + rng.uniform01() * (size / 2.0 - 8.0));
            [x, y, (x + w).min(size), (y + h).min(size)]
        })
        .collect()
}

/// torchvision's ResNet-18 (1000 classes, batch normalization in inference mode) on a
/// batch of 8 images 3×224×224, without a graph.
fn resnet18_bench(rng: &mut Rng) {
    let model = ResNet::new(ResNetDepth::R18, [3, 224, 224]).classes(1000).build().expect("a valid ResNet");
    let x = Tensor::normal(&[8, 3, 224, 224], 0.0, 1.0, rng);
    let t = time_train(|| {
        no_grad(|| std::hint::black_box(model.forward(&[x.clone()], &mut Ctx::eval()).expect("input fits")));
    });
    emit("derin", "resnet18_forward", 8.0 / median(&t), "images/s", t.len(), "");
}

/// Forward and backward of 512 boxes on [2, 256, 64, 64] features (a 256×256 image).
fn roi_align_bench(rng: &mut Rng) {
    let feat = Tensor::normal(&[2, 256, 64, 64], 0.0, 1.0, rng).requires_grad();
    let rows: Vec<f32> = seeded_boxes(512, 256.0, rng)
        .iter()
        .enumerate()
        .flat_map(|(i, b)| [(i % 2) as f32, b[0], b[1], b[2], b[3]])
        .collect();
    let rois = Tensor::from_vec(rows, &[512, 5]);
    let g = Tensor::normal(&[512, 256, 7, 7], 0.0, 1.0, rng);
    let options = RoiAlignOptions::new([7, 7]).spatial_scale(0.25).sampling_ratio(2);
    let t = time_train(|| {
        let out = roi_align(&feat, &rois, options).expect("valid boxes");
        let grads = (&out * &g).sum_all().backward();
        std::hint::black_box(grads.get(&feat));
    });
    emit("derin", "roi_align", 1.0 / median(&t), "calls/s", t.len(), "");
}

/// NMS of 4,000 boxes in a 512×512 image, uniform scores, IoU threshold 0.7.
fn nms_bench(rng: &mut Rng) {
    let boxes = seeded_boxes(4000, 512.0, rng);
    let scores: Vec<f32> = (0..boxes.len()).map(|_| rng.uniform01()).collect();
    let kept = nms(&boxes, &scores, 0.7).expect("valid boxes").len();
    let t = time_train(|| {
        std::hint::black_box(nms(&boxes, &scores, 0.7).expect("valid boxes"));
    });
    emit("derin", "nms", 1.0 / median(&t), "calls/s", t.len(), &format!(", \"kept\": {kept}"));
}

fn main() {
    let w = Workloads::setup();
    let mut rng = Rng::seed(0);
    if w.wanted("resnet18_forward") {
        resnet18_bench(&mut rng);
    }
    if w.wanted("roi_align") {
        roi_align_bench(&mut rng);
    }
    if w.wanted("nms") {
        nms_bench(&mut rng);
    }
}
