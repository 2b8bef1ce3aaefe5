//! A small Faster R-CNN trains through `fit` on synthetic digit canvases (the loss falls,
//! images without objects included), and a checkpoint of it detects exactly what it does.

use derin_data::DataLoader;
use derin_nn::{FitOptions, TrainableModel, fit, load_weights, save_weights};
use derin_optim::{Adam, AdamConfig};
use derin_tensor::ndarray::Array3;
use derin_vision::{
    CollateDetections, DigitCanvas, FasterRcnn, FasterRcnnConfig, ResNet, ResNetDepth, RoiHeadsConfig, RpnConfig,
    Target,
};

/// Ten blocky "digits": digit d is a filled rectangle of width 6 + 2d.
fn blocks() -> (Array3<f32>, Vec<usize>) {
    let mut a = Array3::zeros((10, 28, 28));
    for d in 0..10 {
        for y in 4..24 {
            for x in 14 - (3 + d)..14 + (3 + d) {
                a[[d, y, x.min(27)]] = 1.0;
            }
        }
    }
    (a, (0..10).collect())
}

fn detector(seed: u64) -> FasterRcnn {
    let backbone = ResNet::new(ResNetDepth::R18, [1, 64, 64]).width(0.125).seed(seed).backbone().unwrap();
    let config = FasterRcnnConfig {
        image_size: [64, 64],
        image_mean: vec![0.2],
        image_std: vec![0.4],
        fpn_channels: 16,
        rpn: RpnConfig {
            anchor_sizes: vec![vec![12.0], vec![20.0], vec![32.0], vec![48.0], vec![64.0]],
            pre_nms_top_n: [200, 100],
            post_nms_top_n: [100, 50],
            batch_size_per_image: 64,
            ..RpnConfig::default()
        },
        roi_heads: RoiHeadsConfig { representation_size: 64, batch_size_per_image: 64, ..RoiHeadsConfig::default() },
        seed,
    };
    FasterRcnn::new(backbone, 11, config).unwrap()
}

#[test]
fn trains_through_fit_and_reloads_from_a_checkpoint() {
    let (digits, labels) = blocks();
    let mut set =
        DigitCanvas::new([64, 64]).digits(0, 2).sides(20, 32).generate(digits.view(), &labels, 48, 0).unwrap();
    assert!(set.targets.iter().any(|t| t.boxes.is_empty()), "some canvases have no digit");
    set.targets.push(Target::default());
    set.images.push(derin_tensor::Tensor::zeros(&[1, 64, 64]));
    let mut d = detector(1);
    d.compile(Box::new(Adam::try_new(AdamConfig { learning_rate: 2e-3, ..AdamConfig::default() }).unwrap()));
    let mut loader = DataLoader::new(set.clone(), 7).unwrap().collate_fn(CollateDetections).shuffle(0);
    let history = fit(&mut d, &mut loader, None, FitOptions { epochs: 6, ..FitOptions::default() }).unwrap();
    let loss = history.get("loss");
    assert!(loss[5] < 0.6 * loss[0], "loss {loss:?}");
    for key in ["loss_classifier", "loss_box_reg", "loss_objectness", "loss_rpn_box_reg"] {
        assert!(history.get(key).iter().all(|v| v.is_finite()), "{key}");
    }
    let found = d.detect(&set.images[..8]).unwrap();
    for (f, image) in found.iter().zip(&set.images) {
        assert!(f.boxes.iter().all(|b| b[0] >= 0.0 && b[1] >= 0.0 && b[2] <= 64.0 && b[3] <= 64.0 && b[0] <= b[2]));
        assert!(f.scores.windows(2).all(|w| w[0] >= w[1]), "best first");
        assert_eq!(image.shape(), &[1, 64, 64]);
    }

    // Grad-CAM of the most confident detection, on P2: an image-sized map in [0, 1],
    // warmer inside the box than outside it.
    let (k, found_k) = found.iter().enumerate().find(|(_, f)| !f.scores.is_empty()).expect("something is detected");
    let (b, label) = (found_k.boxes[0], found_k.labels[0]);
    let heat = d.grad_cam(&set.images[k], &b, label, 0).unwrap();
    assert_eq!(heat.shape(), &[64, 64]);
    let v = heat.to_vec();
    assert!(v.iter().all(|x| (0.0..=1.0).contains(x)) && v.iter().any(|&x| x > 0.99));
    let inside = |i: usize| {
        let (y, x) = ((i / 64) as f32 + 0.5, (i % 64) as f32 + 0.5);
        x >= b[0] && x <= b[2] && y >= b[1] && y <= b[3]
    };
    let mean = |keep: bool| {
        let s: Vec<f32> = (0..v.len()).filter(|&i| inside(i) == keep).map(|i| v[i]).collect();
        s.iter().sum::<f32>() / s.len().max(1) as f32
    };
    assert!(mean(true) > mean(false), "Grad-CAM inside the box {} vs outside {}", mean(true), mean(false));
    assert!(d.grad_cam(&set.images[k], &b, 0, 0).is_err() && d.grad_cam(&set.images[k], &b, label, 4).is_err());
    let path = std::env::temp_dir().join(format!("derin-detector-{}.safetensors", std::process::id()));
    save_weights(&path, &d.model_weights()).unwrap();
    let restored = detector(9);
    load_weights(&path, &restored.model_weights()).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(restored.detect(&set.images[..8]).unwrap(), found);
}
