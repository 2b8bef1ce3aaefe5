//! End to end: an MLP (784 → 128 ReLU → 10 softmax) trained with Adam on 10,000 bundled
//! MNIST digits for two epochs must classify the 10,000 test digits with accuracy > 0.90.

use derin_data::{Targets, mnist};
use derin_nn::{Activation, Dense, FitOptions, Flatten, Loss, Metric, Sequential};
use derin_optim::Adam;
use derin_tensor::Tensor;
use derin_tensor::ndarray::s;

#[test]
fn mlp_reaches_90_percent_on_mnist() {
    let data = mnist().expect("bundled MNIST");
    let n = 10_000;
    let x = Tensor::from_array(data.train_images.slice(s![..n, .., .., ..]).to_owned().into_dyn());
    let y = Targets::Labels(data.train_labels[..n].to_vec());
    let mut model = Sequential::with_seed(&[1, 28, 28], 42)
        .add(Flatten::new())
        .unwrap()
        .add(Dense::new(128, Activation::Relu))
        .unwrap()
        .add(Dense::new(10, Activation::Softmax))
        .unwrap();
    model.compile(
        Box::new(Adam::new()),
        Loss::SparseCategoricalCrossentropy { from_logits: false },
        vec![Metric::Accuracy],
    );
    let options = FitOptions { epochs: 2, batch_size: 32, validation_split: 0.1, seed: 7, ..FitOptions::default() };
    let history = model.fit(&x, &y, options).unwrap();
    assert_eq!(history.epochs.len(), 2);
    assert!(history.loss()[1] < history.loss()[0], "{:?}", history.loss());
    let x_test = Tensor::from_array(data.test_images.clone().into_dyn());
    let scores = model.evaluate(&x_test, &Targets::Labels(data.test_labels.clone()), 256).unwrap();
    let accuracy = scores.metric(Metric::Accuracy).unwrap();
    println!("test accuracy: {accuracy:.4}");
    assert!(accuracy > 0.90, "test accuracy {accuracy}");
    // predict agrees with evaluate's accuracy.
    let pred = model.predict(&x_test, 256).unwrap();
    let hits = pred.argmax(1, false).iter().zip(&data.test_labels).filter(|(a, b)| a == b).count();
    assert!((hits as f32 / 10_000.0 - accuracy).abs() < 1e-4);
}
