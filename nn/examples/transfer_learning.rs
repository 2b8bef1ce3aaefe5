//! Transfer learning on MNIST: a network pre-trained on the digits 0–4 is given a new
//! head (its two dense layers) for the digits 5–9, its convolutional trunk is frozen, and only the head is trained on 100
//! samples of each new digit. The same network trained from scratch on those 500 samples
//! is the baseline; both are scored on every test image of the digits 5–9.
//!
//! Run: `cargo run --release -p derin-nn --example transfer_learning`

use derin_data::{Targets, mnist};
use derin_nn::{Activation, Conv2D, Dense, FitOptions, Flatten, Loss, MaxPooling2D, Metric, Module, Sequential};
use derin_optim::Adam;
use derin_tensor::Tensor;
use derin_tensor::ndarray::{Array4, Axis};

/// Images and labels (shifted by `offset`) of the digits in `digits`, at most `per_class`
/// of each.
fn subset(
    images: &Array4<f32>,
    labels: &[usize],
    digits: std::ops::Range<usize>,
    per_class: usize,
) -> (Tensor, Targets) {
    let mut taken = [0usize; 10];
    let idx: Vec<usize> = (0..labels.len())
        .filter(|&i| {
            let d = labels[i];
            let keep = digits.contains(&d) && taken[d] < per_class;
            taken[d] += keep as usize;
            keep
        })
        .collect();
    let x = Tensor::from_array(images.select(Axis(0), &idx).into_dyn());
    (x, Targets::Labels(idx.iter().map(|&i| labels[i] - digits.start).collect()))
}

fn trunk(seed: u64) -> Result<Sequential, derin_nn::Error> {
    Sequential::with_seed(&[1, 28, 28], seed)
        .add(Conv2D::new(32, [3, 3], Activation::Relu).named("trunk_1"))?
        .add(MaxPooling2D::new([2, 2]))?
        .add(Conv2D::new(64, [3, 3], Activation::Relu).named("trunk_2"))?
        .add(MaxPooling2D::new([2, 2]))?
        .add(Flatten::new())
}

/// The classifier on top of the convolutional trunk: Dense(128, ReLU) → Dense(5, softmax).
fn head(model: Sequential, tag: &str) -> Result<Sequential, derin_nn::Error> {
    model
        .add(Dense::new(128, Activation::Relu).named(&format!("head_{tag}_1")))?
        .add(Dense::new(5, Activation::Softmax).named(&format!("head_{tag}_2")))
}

fn compile(model: &mut Sequential) {
    model.compile(
        Box::new(Adam::new()),
        Loss::SparseCategoricalCrossentropy { from_logits: false },
        vec![Metric::Accuracy],
    );
}

fn options(epochs: usize, batch_size: usize) -> FitOptions {
    FitOptions { epochs, batch_size, seed: 0, verbose: false, ..FitOptions::default() }
}

fn accuracy(model: &Sequential, x: &Tensor, y: &Targets) -> Result<f32, derin_nn::Error> {
    Ok(model.evaluate(x, y, 512)?.metric(Metric::Accuracy).expect("compiled with accuracy"))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data = mnist()?;
    let (x_old, y_old) = subset(&data.train_images, &data.train_labels, 0..5, usize::MAX);
    let (x_new, y_new) = subset(&data.train_images, &data.train_labels, 5..10, 100);
    let (x_test, y_test) = subset(&data.test_images, &data.test_labels, 5..10, usize::MAX);
    println!(
        "pre-training set: {} images of 0–4; new task: {} images of 5–9; test: {} images of 5–9",
        x_old.shape()[0],
        x_new.shape()[0],
        x_test.shape()[0]
    );

    // 1. Pre-train on 0–4.
    let mut model = head(trunk(0)?, "old")?;
    compile(&mut model);
    model.fit(&x_old, &y_old, options(1, 64))?;
    let (x_old_test, y_old_test) = subset(&data.test_images, &data.test_labels, 0..5, usize::MAX);
    println!("pre-trained on 0–4: test accuracy on 0–4 {:.4}", accuracy(&model, &x_old_test, &y_old_test)?);

    // 2. Replace the head, freeze the trunk, train the head only on 500 samples.
    model.pop();
    model.pop();
    for name in ["trunk_1", "trunk_2"] {
        model.layer_mut(name).expect("named above").set_trainable(false);
    }
    let mut model = head(model, "new")?;
    compile(&mut model);
    println!(
        "fine-tuning: {} trainable weights of {} (trunk frozen)",
        model.params().iter().map(|p| p.shape().iter().product::<usize>()).sum::<usize>(),
        model.count_params()
    );
    let frozen_before = model.layer_mut("trunk_1").expect("named").weights()[0].value().to_vec();
    model.fit(&x_new, &y_new, options(30, 32))?;
    let frozen_after = model.layer_mut("trunk_1").expect("named").weights()[0].value().to_vec();
    let transfer = accuracy(&model, &x_test, &y_test)?;

    // 3. The same network from scratch on the same 500 samples.
    let mut scratch = head(trunk(1)?, "new")?;
    compile(&mut scratch);
    scratch.fit(&x_new, &y_new, options(30, 32))?;
    let baseline = accuracy(&scratch, &x_test, &y_test)?;

    println!("trunk weights unchanged by fine-tuning: {}", frozen_before == frozen_after);
    println!("test accuracy on 5–9, 100 samples per digit:");
    println!("  transfer (frozen trunk + new head): {transfer:.4}");
    println!("  from scratch (same network)       : {baseline:.4}");
    println!("  difference                        : {:+.4}", transfer - baseline);
    Ok(())
}
