//! The README's main command: a convolutional network on the bundled MNIST digits.
//!
//! Conv2D(32, 3×3, ReLU) → MaxPooling2D(2) → Conv2D(64, 3×3, ReLU) → MaxPooling2D(2) →
//! Flatten → Dropout(0.25) → Dense(128, ReLU) → Dropout(0.5) → Dense(10, softmax), trained
//! with Adam on the 60,000 training images (10 % held out for validation), then scored on
//! the 10,000 test images. The last line is `test accuracy: 0.9xxx`.
//!
//! Run: `cargo run --release -p derin-nn --example mnist`

use std::time::Instant;

use derin_data::{Targets, mnist};
use derin_nn::{
    Activation, Conv2D, Dense, Dropout, FitOptions, Flatten, Loss, MaxPooling2D, Metric, Sequential, plot_history,
};
use derin_optim::Adam;
use derin_tensor::Tensor;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Keep freed activation buffers in the heap between steps (faster training).
    derin_tensor::tune_allocator();
    let data = mnist()?;
    let x = Tensor::from_array(data.train_images.into_dyn());
    let y = Targets::Labels(data.train_labels);
    let x_test = Tensor::from_array(data.test_images.into_dyn());
    let y_test = Targets::Labels(data.test_labels);

    let mut model = Sequential::with_seed(&[1, 28, 28], 0)
        .add(Conv2D::new(32, [3, 3], Activation::Relu))?
        .add(MaxPooling2D::new([2, 2]))?
        .add(Conv2D::new(64, [3, 3], Activation::Relu))?
        .add(MaxPooling2D::new([2, 2]))?
        .add(Flatten::new())?
        .add(Dropout::new(0.25)?)?
        .add(Dense::new(128, Activation::Relu))?
        .add(Dropout::new(0.5)?)?
        .add(Dense::new(10, Activation::Softmax))?;
    model.compile(
        Box::new(Adam::new()),
        Loss::SparseCategoricalCrossentropy { from_logits: false },
        vec![Metric::Accuracy],
    );
    println!("{}", model.summary());

    let start = Instant::now();
    let options = FitOptions {
        epochs: 6,
        batch_size: 64,
        validation_split: 0.1,
        seed: 0,
        verbose: true,
        ..FitOptions::default()
    };
    let history = model.fit(&x, &y, options)?;
    let trained = start.elapsed().as_secs_f64();
    println!("training time: {trained:.1} s");
    if let Some(diagnosis) = history.diagnose() {
        println!("{diagnosis}");
    }
    plot_history(&history, "mnist_learning_curves.png")?;
    println!("learning curves: mnist_learning_curves.png");
    model.save("mnist_cnn.h5")?;
    let reloaded = Sequential::load("mnist_cnn.h5")?;
    let same = reloaded.predict(&x_test.narrow(0, 0, 500), 500)?.to_vec()
        == model.predict(&x_test.narrow(0, 0, 500), 500)?.to_vec();
    println!("model saved: mnist_cnn.h5 (reloaded, same predictions: {same})");
    let scores = model.evaluate(&x_test, &y_test, 500)?;
    println!("test loss: {:.4}", scores.loss);
    println!("test accuracy: {:.4}", scores.metric(Metric::Accuracy).expect("compiled with accuracy"));
    Ok(())
}
