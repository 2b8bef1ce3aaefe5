//! Grad-CAM and guided backpropagation against pytorch-grad-cam 1.5.7
//! (reference/vision_grad_cam.py), Grad-CAM on a network whose answer is worked out by
//! hand, the deconvnet's properties, a channels-last model, and the pictures.

use derin_nn::{
    Activation, Conv2D, DataFormat, Dense, Flatten, Graph, MaxPooling2D, Model, Module, Padding, Sequential,
};
use derin_tensor::{Strictness, Tensor, load_params, load_safetensors};

use super::*;

fn close(got: &[f32], want: &[f32], tol: f32, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= tol, "{what}[{i}]: {g} vs pytorch-grad-cam {w}");
    }
}

/// The reference script's CNN with its weights, and the file.
fn reference_cnn() -> (Sequential, derin_tensor::SafeTensors) {
    let path = format!("{}/tests/fixtures/grad_cam.safetensors", env!("CARGO_MANIFEST_DIR"));
    let same = Padding::Explicit([1, 1]);
    let cnn = Sequential::new(&[1, 8, 8])
        .add(Conv2D::new(4, [3, 3], Activation::Relu).with_padding(same).named("conv1"))
        .unwrap()
        .add(MaxPooling2D::new([2, 2]))
        .unwrap()
        .add(Conv2D::new(6, [3, 3], Activation::Relu).with_padding(same).named("conv2"))
        .unwrap()
        .add(Flatten::new())
        .unwrap()
        .add(Dense::new(3, Activation::Linear).named("dense"))
        .unwrap();
    load_params(&path, &cnn.weights(), Strictness::IgnoreUnexpected).unwrap();
    (cnn, load_safetensors(&path).unwrap())
}

#[test]
fn grad_cam_and_guided_backprop_match_pytorch_grad_cam() {
    let (cnn, saved) = reference_cnn();
    let image = Tensor::from_array(saved.tensors["input"].clone());
    let explain = Explainer::sequential(&cnn);
    for c in 0..3 {
        let want = |k: &str| saved.tensors[&format!("expected/{k}/{c}")].iter().copied().collect::<Vec<f32>>();
        close(
            &explain.grad_cam(&image, "conv2", c).unwrap().to_vec(),
            &want("cam"),
            1e-5,
            &format!("Grad-CAM of class {c}"),
        );
        close(
            &explain.guided_backprop(&image, c).unwrap().to_vec(),
            &want("guided"),
            1e-6,
            &format!("guided backprop of class {c}"),
        );
    }
}

#[test]
fn grad_cam_of_a_network_worked_by_hand() {
    // The tapped layer is the image itself (a 1×1 convolution of weight 1, no bias, no
    // activation); the score is Σ w·A with w = +1 on the left half, −0.5 on the right:
    // ∂y/∂A = w, α = mean(w) = 0.25, so CAM = ReLU(0.25·A) scaled to [0, 1] — the image
    // itself where it is positive. A 4×4 CAM resized to 4×4 stays as it is.
    let mut g = Graph::new();
    let x = g.input("image", &[1, 4, 4]).unwrap();
    let a = g.apply(Conv2D::new(1, [1, 1], Activation::Linear).without_bias().named("identity"), &x).unwrap();
    let f = g.apply(Flatten::new(), &a).unwrap();
    let y = g.apply(Dense::new(1, Activation::Linear).named("score"), &f).unwrap();
    let model = Model::new(g, &[&x], &[&y]).unwrap();
    let weights = model.weights();
    weights[0].set(Tensor::ones(&[1, 1, 1, 1]).to_array());
    let w: Vec<f32> = (0..16).map(|i| if i % 4 < 2 { 1.0 } else { -0.5 }).collect();
    weights[1].set(Tensor::from_vec(w, &[16, 1]).to_array());
    weights[2].set(Tensor::zeros(&[1]).to_array());
    let image: Vec<f32> = (0..16).map(|i| (i as f32 - 5.0) / 10.0).collect();
    let heat = Explainer::model(&model, DataFormat::ChannelsFirst)
        .grad_cam(&Tensor::from_vec(image.clone(), &[1, 4, 4]), "identity", 0)
        .unwrap();
    let want: Vec<f32> = image.iter().map(|v| v.max(0.0) / 1.0).collect(); // max is 1.0
    close(&heat.to_vec(), &want, 1e-6, "hand-worked Grad-CAM");
}

#[test]
fn deconvnet_projects_one_unit_back_through_the_switches() {
    let (cnn, saved) = reference_cnn();
    let image = Tensor::from_array(saved.tensors["input"].clone());
    let explain = Explainer::sequential(&cnn);
    let maps = explain.feature_maps(&image, "conv2").unwrap();
    assert_eq!(maps.shape(), &[6, 4, 4]);
    for channel in 0..6 {
        let r = explain.deconvnet(&image, "conv2", channel).unwrap();
        assert_eq!(r.shape(), &[1, 8, 8]);
        let v = r.to_vec();
        if maps.narrow(0, channel, 1).to_vec().iter().all(|&m| m <= 0.0) {
            assert!(v.iter().all(|&x| x == 0.0), "a dead channel reconstructs nothing");
            continue;
        }
        // One unit of conv2 (3×3) sees 3×3 pooled cells, each one switch: at most 9
        // pixels, each then spread by conv1's 3×3 filters: a 9×9 window at most, and
        // never more than 9 switches × 9 taps.
        let lit = v.iter().filter(|&&x| x != 0.0).count();
        assert!(lit > 0 && lit <= 81, "channel {channel}: {lit} pixels");
    }
    let e = explain.deconvnet(&image, "conv2", 6).unwrap_err().to_string();
    assert_eq!(e, "deconvnet: channel 6 of a layer with 6 channels");
}

#[test]
fn a_channels_last_model_explains_like_its_channels_first_twin() {
    let build = |format: DataFormat| {
        let shape = if format == DataFormat::ChannelsFirst { [1, 6, 6] } else { [6, 6, 1] };
        let mut g = Graph::with_seed(5);
        let x = g.input("image", &shape).unwrap();
        let c = g.apply(Conv2D::new(3, [3, 3], Activation::Relu).with_data_format(format).named("conv"), &x).unwrap();
        let c = if format == DataFormat::ChannelsLast {
            g.apply(derin_nn::Permute::new(&[3, 1, 2]).unwrap(), &c).unwrap()
        } else {
            c
        };
        let f = g.apply(Flatten::new(), &c).unwrap();
        let y = g.apply(Dense::new(2, Activation::Linear).named("out"), &f).unwrap();
        Model::new(g, &[&x], &[&y]).unwrap()
    };
    let (first, last) = (build(DataFormat::ChannelsFirst), build(DataFormat::ChannelsLast));
    for (a, b) in first.weights().iter().zip(last.weights()) {
        b.set(a.value().to_array());
    }
    let image = Tensor::from_vec((0..36).map(|i| ((i * 5) % 7) as f32 / 7.0).collect(), &[1, 6, 6]);
    let (ef, el) =
        (Explainer::model(&first, DataFormat::ChannelsFirst), Explainer::model(&last, DataFormat::ChannelsLast));
    close(
        &el.grad_cam(&image, "conv", 1).unwrap().to_vec(),
        &ef.grad_cam(&image, "conv", 1).unwrap().to_vec(),
        1e-5,
        "Grad-CAM",
    );
    close(
        &el.feature_maps(&image, "conv").unwrap().to_vec(),
        &ef.feature_maps(&image, "conv").unwrap().to_vec(),
        1e-6,
        "maps",
    );
    close(
        &el.guided_backprop(&image, 0).unwrap().to_vec(),
        &ef.guided_backprop(&image, 0).unwrap().to_vec(),
        1e-6,
        "guided",
    );
}

#[test]
fn pictures_of_filters_and_maps() {
    let (cnn, saved) = reference_cnn();
    let kernel = cnn.weights()[0].value();
    let grid = filter_grid(&kernel, 4, 5).unwrap();
    assert_eq!((grid.width(), grid.height()), (4 * 16 + 1, 16 + 1));
    let maps =
        Explainer::sequential(&cnn).feature_maps(&Tensor::from_array(saved.tensors["input"].clone()), "conv1").unwrap();
    let grid = map_grid(&maps, 2, 1).unwrap();
    assert_eq!((grid.width(), grid.height()), (2 * 9 + 1, 2 * 9 + 1));
    let g = gradient_image(&Tensor::from_vec(vec![-2.0, 0.0, 1.0], &[1, 1, 3]));
    assert_eq!(g.to_vec(), vec![0.0, 0.5, 0.75]);
    assert!(filter_grid(&Tensor::zeros(&[2, 2]), 1, 1).is_err() && map_grid(&Tensor::zeros(&[2, 2]), 1, 1).is_err());
    let e = Explainer::sequential(&cnn).grad_cam(&Tensor::zeros(&[1, 8, 8]), "conv2", 3).unwrap_err().to_string();
    assert_eq!(e, "Explainer: class 3 of an output of shape [1, 3]");
}
