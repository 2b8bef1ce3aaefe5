//! What a CNN sees, as pictures: trains a small MNIST CNN (one epoch), then writes one
//! PNG each of its first-layer filters, the feature maps of both convolutions for one
//! test digit, the deconvnet's reconstructions of the strongest unit of every
//! second-layer channel, guided backpropagation and Grad-CAM of the predicted class —
//! and Grad-CAM of a CNN trained and saved by Keras (`examples/data/keras_mnist_cnn.h5`).
//!
//! Run: `cargo run --release -p derin-vision --example visualize`

use derin_data::{Targets, mnist};
use derin_nn::{
    Activation, Conv2D, DataFormat, Dense, FitOptions, Flatten, KerasModel, Loss, MaxPooling2D, Metric, Module,
    Sequential, load_model,
};
use derin_optim::Adam;
use derin_tensor::Tensor;
use derin_vision::{Explainer, Picture, filter_grid, gradient_image, map_grid};

/// A heat map `[28, 28]` over the digit, both enlarged 8×.
fn heat_picture(digit: &Tensor, heat: &Tensor) -> Result<Picture, Box<dyn std::error::Error>> {
    let big = heat.reshape(&[1, 1, 28, 28]).upsample_bilinear2d([224, 224], false).reshape(&[224, 224]);
    Ok(Picture::from_tensor(digit)?.upscaled(8).overlay(&big, 0.5)?)
}

/// The class with the highest score of `[1, classes]`.
fn argmax(scores: &Tensor) -> usize {
    let v = scores.to_vec();
    (0..v.len()).fold(0, |b, i| if v[i] > v[b] { i } else { b })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    derin_tensor::tune_allocator();
    let data = mnist()?;
    let x = Tensor::from_array(data.train_images.into_dyn());
    let x_test = Tensor::from_array(data.test_images.into_dyn());
    let mut cnn = Sequential::with_seed(&[1, 28, 28], 0)
        .add(Conv2D::new(8, [3, 3], Activation::Relu).named("conv1"))?
        .add(MaxPooling2D::new([2, 2]).named("pool1"))?
        .add(Conv2D::new(16, [3, 3], Activation::Relu).named("conv2"))?
        .add(MaxPooling2D::new([2, 2]).named("pool2"))?
        .add(Flatten::new())?
        .add(Dense::new(10, Activation::Linear).named("logits"))?;
    cnn.compile(
        Box::new(Adam::new()),
        Loss::SparseCategoricalCrossentropy { from_logits: true },
        vec![Metric::Accuracy],
    );
    let options = FitOptions { epochs: 1, batch_size: 64, seed: 0, verbose: true, ..FitOptions::default() };
    cnn.fit(&x, &Targets::Labels(data.train_labels), options)?;
    let scores = cnn.evaluate(&x_test, &Targets::Labels(data.test_labels.clone()), 500)?;
    println!("test accuracy: {:.4}", scores.metric(Metric::Accuracy).expect("compiled with accuracy"));

    let digit = x_test.narrow(0, 0, 1).reshape(&[1, 28, 28]);
    let explain = Explainer::sequential(&cnn);
    let class = argmax(&cnn.predict(&digit.reshape(&[1, 1, 28, 28]), 1)?);
    println!("test digit 0: label {}, predicted {class}", data.test_labels[0]);

    filter_grid(&cnn.weights()[0].value(), 8, 12)?.save_png("filters.png")?;
    map_grid(&explain.feature_maps(&digit, "conv1")?, 4, 4)?.save_png("feature_maps_conv1.png")?;
    map_grid(&explain.feature_maps(&digit, "conv2")?, 4, 8)?.save_png("feature_maps_conv2.png")?;
    let mut reconstructions = Vec::new();
    for c in 0..16 {
        let r = gradient_image(&explain.deconvnet(&digit, "conv2", c)?);
        reconstructions.push(Picture::from_tensor(&r)?.upscaled(4));
    }
    Picture::grid(&reconstructions, 4, 2, [255; 3])?.save_png("deconvnet.png")?;
    Picture::from_tensor(&gradient_image(&explain.guided_backprop(&digit, class)?))?
        .upscaled(8)
        .save_png("guided_backprop.png")?;
    heat_picture(&digit, &explain.grad_cam(&digit, "conv2", class)?)?.save_png("grad_cam.png")?;
    println!(
        "wrote filters.png, feature_maps_conv1.png, feature_maps_conv2.png, deconvnet.png, guided_backprop.png, grad_cam.png"
    );

    // A CNN trained by Keras (channels-last), loaded from its .h5 file.
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data/keras_mnist_cnn.h5");
    let KerasModel::Sequential(keras) = load_model(path)? else { unreachable!("the file holds a Sequential model") };
    let keras_explain = Explainer::sequential(&keras).with_format(DataFormat::ChannelsLast);
    let keras_class = argmax(&keras.predict(&digit.reshape(&[1, 28, 28, 1]), 1)?);
    heat_picture(&digit, &keras_explain.grad_cam(&digit, "conv2", keras_class)?)?.save_png("grad_cam_keras.png")?;
    println!("Keras CNN predicts {keras_class}; wrote grad_cam_keras.png");
    Ok(())
}
