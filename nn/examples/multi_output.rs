//! A functional model with one trunk and two heads on the bundled MNIST digits: the
//! digit (10-way softmax, sparse categorical cross-entropy) and whether it is 5 or more
//! (sigmoid, binary cross-entropy), trained together with loss weights 1.0 and 0.5.
//!
//! image → Conv2D(16, 3×3, ReLU) → MaxPooling2D(2) → Conv2D(32, 3×3, ReLU) →
//! MaxPooling2D(2) → Flatten → Dense(64, ReLU) → { digit: Dense(10, softmax),
//! big: Dense(1, sigmoid) }, on 20,000 training images (10 % held out for validation),
//! scored on the 10,000 test images.
//!
//! Run: `cargo run --release -p derin-nn --example multi_output`

use std::time::Instant;

use derin_data::{Targets, mnist};
use derin_nn::{Activation, Conv2D, Dense, FitOptions, Flatten, Graph, Loss, MaxPooling2D, Metric, Model};
use derin_optim::Adam;
use derin_tensor::Tensor;

const TRAIN: usize = 20_000;

/// The digit labels and the "digit ≥ 5" targets, `[n, 1]`.
fn targets(labels: &[usize]) -> Vec<Targets> {
    let big: Vec<f32> = labels.iter().map(|&l| f32::from(l >= 5)).collect();
    vec![Targets::Labels(labels.to_vec()), Targets::Values(Tensor::from_vec(big, &[labels.len(), 1]))]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data = mnist()?;
    let x = Tensor::from_array(data.train_images.into_dyn()).narrow(0, 0, TRAIN);
    let y = targets(&data.train_labels[..TRAIN]);
    let x_test = Tensor::from_array(data.test_images.into_dyn());
    let y_test = targets(&data.test_labels);

    let mut g = Graph::with_seed(0);
    let image = g.input("image", &[1, 28, 28])?;
    let h = g.apply(Conv2D::new(16, [3, 3], Activation::Relu), &image)?;
    let h = g.apply(MaxPooling2D::new([2, 2]), &h)?;
    let h = g.apply(Conv2D::new(32, [3, 3], Activation::Relu), &h)?;
    let h = g.apply(MaxPooling2D::new([2, 2]), &h)?;
    let h = g.apply(Flatten::new(), &h)?;
    let h = g.apply(Dense::new(64, Activation::Relu), &h)?;
    let digit = g.apply(Dense::new(10, Activation::Softmax).named("digit"), &h)?;
    let big = g.apply(Dense::new(1, Activation::Sigmoid).named("big"), &h)?;
    let mut model = Model::new(g, &[&image], &[&digit, &big])?;
    model.compile(
        Box::new(Adam::new()),
        vec![
            Loss::SparseCategoricalCrossentropy { from_logits: false },
            Loss::BinaryCrossentropy { from_logits: false },
        ],
        Some(vec![1.0, 0.5]),
        vec![vec![Metric::Accuracy], vec![Metric::Accuracy]],
    )?;
    println!("{}", model.summary());

    let start = Instant::now();
    let options =
        FitOptions { epochs: 3, batch_size: 64, validation_split: 0.1, verbose: true, ..FitOptions::default() };
    model.fit(std::slice::from_ref(&x), &y, options)?;
    println!("training time: {:.1} s", start.elapsed().as_secs_f64());

    let s = model.evaluate(&[x_test], &y_test, 500)?;
    let get = |key: &str| s.get(key).ok_or_else(|| format!("no {key} in the scores"));
    println!("test loss (1.0·digit + 0.5·big): {:.4}", s.loss);
    println!("test digit_loss: {:.4}", get("digit_loss")?);
    println!("test big_loss: {:.4}", get("big_loss")?);
    println!("test digit_accuracy: {:.4}", get("digit_accuracy")?);
    println!("test big_accuracy: {:.4}", get("big_accuracy")?);
    Ok(())
}
