//! The functional API: graphs with several inputs and outputs, shared layers, merge
//! layers, per-output losses, loss weights and metrics, and `fit` on them.

use derin_data::Targets;
use derin_nn::{
    Activation, Concatenate, Conv2D, Ctx, Dense, EarlyStopping, FitOptions, Flatten, Graph, Loss, Metric, Model,
    Monitor, Sequential,
};
use derin_optim::{Adam, AdamConfig, Sgd};
use derin_tensor::Tensor;

fn values(m: &Model) -> Vec<Vec<f32>> {
    m.weights().iter().map(|p| p.value().to_vec()).collect()
}

#[test]
fn a_two_input_model_concatenates_and_reports_keras_summary() {
    let mut g = Graph::new();
    let a = g.input("a", &[3]).unwrap();
    let b = g.input("b", &[2]).unwrap();
    let joined = g.merge(Concatenate::new(-1), &[&a, &b]).unwrap();
    assert_eq!(joined.shape(), &[5]);
    let h = g.apply(Dense::new(4, Activation::Relu), &joined).unwrap();
    let out = g.apply(Dense::new(1, Activation::Sigmoid).named("out"), &h).unwrap();
    let model = Model::new(g, &[&a, &b], &[&out]).unwrap();
    // dense: 5·4 + 4 = 24; out: 4·1 + 1 = 5.
    assert_eq!(model.count_params(), 29);
    assert_eq!(model.output_shapes(), [vec![1]]);
    let want = "\
Model: \"model\"
__________________________________________________________________________________________________
 Layer (type)                   Output Shape         Param #     Connected to
==================================================================================================
 a (InputLayer)                 [(None, 3)]          0
 b (InputLayer)                 [(None, 2)]          0
 concatenate (Concatenate)      (None, 5)            0           ['a[0][0]',
                                                                  'b[0][0]']
 dense (Dense)                  (None, 4)            24          ['concatenate[0][0]']
 out (Dense)                    (None, 1)            5           ['dense[0][0]']
==================================================================================================
Total params: 29
Trainable params: 29
Non-trainable params: 0
__________________________________________________________________________________________________
";
    assert_eq!(model.summary(), want);
    let p = model.predict(&[Tensor::ones(&[7, 3]), Tensor::ones(&[7, 2])], 4).unwrap();
    assert_eq!(p[0].shape(), &[7, 1]);
}

/// x `[1, 6, 6]` → Conv2D(2, 3×3) → Flatten → digit (3-way softmax) and big (sigmoid).
fn two_headed(seed: u64) -> Model {
    let mut g = Graph::with_seed(seed);
    let x = g.input("image", &[1, 6, 6]).unwrap();
    let h = g.apply(Conv2D::new(2, [3, 3], Activation::Relu), &x).unwrap();
    assert_eq!(h.shape(), &[2, 4, 4]);
    let h = g.apply(Flatten::new(), &h).unwrap();
    let digit = g.apply(Dense::new(3, Activation::Softmax).named("digit"), &h).unwrap();
    let big = g.apply(Dense::new(1, Activation::Sigmoid).named("big"), &h).unwrap();
    Model::new(g, &[&x], &[&digit, &big]).unwrap()
}

#[test]
fn a_two_output_model_has_both_heads() {
    let model = two_headed(0);
    assert_eq!(model.output_names(), ["digit", "big"]);
    assert_eq!(model.output_shapes(), [vec![3], vec![1]]);
    // conv2d: 2·1·3·3 + 2 = 20; digit: 32·3 + 3 = 99; big: 32 + 1 = 33.
    assert_eq!(model.count_params(), 152);
    let s = model.summary();
    let line = |start: &str| s.lines().find(|l| l.starts_with(start)).unwrap_or_else(|| panic!("{start}: {s}"));
    assert_eq!(line(" image (InputLayer)"), " image (InputLayer)             [(None, 1, 6, 6)]    0");
    assert!(line(" conv2d (Conv2D)").contains("(None, 2, 4, 4)      20          ['image[0][0]']"));
    assert!(line(" digit (Dense)").ends_with("99          ['flatten[0][0]']"));
    assert!(line(" big (Dense)").ends_with("33          ['flatten[0][0]']"));
}

#[test]
fn a_shared_dense_has_one_kernel_and_sums_both_gradients() {
    let mut g = Graph::new();
    let a = g.input("a", &[2]).unwrap();
    let b = g.input("b", &[2]).unwrap();
    let shared = g.layer(Dense::new(1, Activation::Linear)).unwrap();
    let (ya, yb) = (g.call(shared, &a).unwrap(), g.call(shared, &b).unwrap());
    let sum = g.merge(derin_nn::Add::new(), &[&ya, &yb]).unwrap();
    let model = Model::new(g, &[&a, &b], &[&sum]).unwrap();
    assert_eq!(model.weights().len(), 2);
    assert_eq!(model.count_params(), 3);
    assert!(model.summary().contains("['a[0][0]',") && model.summary().contains(" 'b[0][0]']"));
    let (kernel, bias) = (model.weights()[0].clone(), model.weights()[1].clone());
    kernel.set(Tensor::from_vec(vec![0.5, -1.0], &[2, 1]).to_array());
    // out = a·k + c + b·k + c, so ∂Σout/∂k = Σ_batch (a + b) and ∂Σout/∂c = 2·batch.
    // a = [1, 2], [0, 1]; b = [3, −1], [2, 2]: ∂k = [1 + 0 + 3 + 2, 2 + 1 − 1 + 2] = [6, 4]; ∂c = 4.
    let xa = Tensor::from_vec(vec![1.0, 2.0, 0.0, 1.0], &[2, 2]);
    let xb = Tensor::from_vec(vec![3.0, -1.0, 2.0, 2.0], &[2, 2]);
    let out = model.forward(&[xa, xb], &mut Ctx::train(0)).unwrap();
    // Values: a·k = [−1.5, −1], b·k = [2.5, −1]; sum = [1, −2] (bias 0).
    assert_eq!(out[0].to_vec(), vec![1.0, -2.0]);
    let grads = out[0].sum_all().backward();
    assert_eq!(grads.param(&kernel).unwrap().iter().copied().collect::<Vec<f32>>(), vec![6.0, 4.0]);
    assert_eq!(grads.param(&bias).unwrap().iter().copied().collect::<Vec<f32>>(), vec![4.0]);
}

/// 48 samples of `[1, 6, 6]`, a 3-class label and a binary target that depend on them.
fn data() -> (Vec<Tensor>, Vec<Targets>) {
    let n = 48;
    let x: Vec<f32> = (0..n * 36).map(|i| ((i * 7919 % 97) as f32 / 48.0 - 1.0).abs()).collect();
    let labels: Vec<usize> = x.chunks(36).map(|s| (s[..12].iter().sum::<f32>() * 3.0) as usize % 3).collect();
    let big: Vec<f32> = x.chunks(36).map(|s| f32::from(s[18..].iter().sum::<f32>() > 9.0)).collect();
    let x = Tensor::from_vec(x, &[n, 1, 6, 6]);
    (vec![x], vec![Targets::Labels(labels), Targets::Values(Tensor::from_vec(big, &[n, 1]))])
}

fn losses() -> Vec<Loss> {
    vec![Loss::SparseCategoricalCrossentropy { from_logits: false }, Loss::BinaryCrossentropy { from_logits: false }]
}

#[test]
fn loss_weights_scale_the_total_exactly() {
    let (xs, ys) = data();
    let mut model = two_headed(1);
    model.compile(Box::new(Sgd::new()), losses(), Some(vec![0.7, 0.2]), vec![vec![Metric::Accuracy]]).unwrap();
    let preds = model.predict(&xs, 100).unwrap();
    let l1 = losses()[0].compute(&preds[0], &ys[0]).unwrap().item();
    let l2 = losses()[1].compute(&preds[1], &ys[1]).unwrap().item();
    let s = model.evaluate(&xs, &ys, 100).unwrap();
    assert!((s.get("digit_loss").unwrap() - l1).abs() < 1e-6);
    assert!((s.get("big_loss").unwrap() - l2).abs() < 1e-6);
    assert!((s.loss - (0.7 * l1 + 0.2 * l2)).abs() < 1e-6, "{} vs {}", s.loss, 0.7 * l1 + 0.2 * l2);
    assert!(s.get("digit_accuracy").is_some() && s.get("big_accuracy").is_some());
    let keys: Vec<String> = s.entries().into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys, ["loss", "digit_loss", "big_loss", "digit_accuracy", "big_accuracy"]);
    // train_on_batch returns the same total, computed before its step.
    let first = model.train_on_batch(&xs, &ys).unwrap();
    assert!((first - (0.7 * l1 + 0.2 * l2)).abs() < 1e-5);
}

fn trained(seed: u64) -> (Model, derin_nn::History) {
    let (xs, ys) = data();
    let mut model = two_headed(seed);
    let adam = Adam::try_new(AdamConfig { learning_rate: 0.01, ..AdamConfig::default() }).unwrap();
    model.compile(Box::new(adam), losses(), Some(vec![1.0, 0.5]), vec![vec![Metric::Accuracy]]).unwrap();
    let options = FitOptions { epochs: 15, batch_size: 8, validation_split: 0.25, seed: 3, ..FitOptions::default() };
    let history = model.fit(&xs, &ys, options).unwrap();
    (model, history)
}

#[test]
fn a_two_output_model_trains_both_heads_deterministically() {
    let (model, h) = trained(2);
    let (digit, big) = (h.get("digit_loss"), h.get("big_loss"));
    assert_eq!((digit.len(), big.len(), h.get("val_digit_accuracy").len()), (15, 15, 15));
    assert!(digit[14] < digit[0] && big[14] < big[0], "{digit:?} {big:?}");
    // The total is the weighted sum of the epoch means.
    for (e, log) in h.epochs.iter().enumerate() {
        assert!((log.train["loss"] - (digit[e] + 0.5 * big[e])).abs() < 1e-4);
    }
    let (again, h2) = trained(2);
    assert_eq!(h, h2);
    assert_eq!(values(&model), values(&again));
}

#[test]
fn a_one_input_one_output_model_trains_as_sequential() {
    let x = Tensor::from_vec((0..80).map(|i| ((i * 37 % 23) as f32 - 11.0) / 5.0).collect(), &[20, 4]);
    let y = Targets::Labels((0..20).map(|i| i % 3).collect());
    let mut seq = Sequential::with_seed(&[4], 7)
        .add(Dense::new(8, Activation::Relu))
        .unwrap()
        .add(Dense::new(3, Activation::Softmax))
        .unwrap();
    let mut g = Graph::with_seed(7);
    let input = g.input("x", &[4]).unwrap();
    let h = g.apply(Dense::new(8, Activation::Relu), &input).unwrap();
    let out = g.apply(Dense::new(3, Activation::Softmax), &h).unwrap();
    let mut model = Model::new(g, &[&input], &[&out]).unwrap();
    let loss = Loss::SparseCategoricalCrossentropy { from_logits: false };
    seq.compile(Box::new(Adam::new()), loss.clone(), vec![Metric::Accuracy]);
    model.compile(Box::new(Adam::new()), vec![loss], None, vec![vec![Metric::Accuracy]]).unwrap();
    let options = || FitOptions { epochs: 4, batch_size: 6, validation_split: 0.2, seed: 1, ..FitOptions::default() };
    let hs = seq.fit(&x, &y, options()).unwrap();
    let hm = model.fit(std::slice::from_ref(&x), std::slice::from_ref(&y), options()).unwrap();
    assert_eq!(hs, hm); // same loss and accuracy keys and values, no per-output entries
    let ws: Vec<Vec<f32>> = derin_nn::Module::weights(&seq).iter().map(|p| p.value().to_vec()).collect();
    assert_eq!(ws, values(&model));
    assert_eq!(seq.predict(&x, 5).unwrap().to_vec(), model.predict(&[x], 5).unwrap()[0].to_vec());
}

#[test]
fn mismatched_data_is_an_error_naming_both_before_training() {
    let (xs, ys) = data();
    let mut model = two_headed(0);
    model.compile(Box::new(Sgd::new()), losses(), None, vec![]).unwrap();
    let before = values(&model);
    let err = model.fit(&[xs[0].clone(), xs[0].clone()], &ys, FitOptions::default()).unwrap_err().to_string();
    assert!(err.contains("2 input arrays for the model's 1 inputs [\"image\"]"), "{err}");
    let err = model.fit(&xs, &ys[..1], FitOptions::default()).unwrap_err().to_string();
    assert!(err.contains("1 targets for the model's 2 outputs"), "{err}");
    let short = vec![ys[0].clone(), Targets::Values(Tensor::ones(&[47, 1]))];
    let err = model.fit(&xs, &short, FitOptions::default()).unwrap_err().to_string();
    assert!(err.contains("output \"big\"") && err.contains("[47, 1]") && err.contains("[48, 1, 6, 6]"), "{err}");
    let swapped = vec![ys[1].clone(), ys[0].clone()];
    assert!(model.fit(&xs, &swapped, FitOptions::default()).is_err());
    let err = model.evaluate(&[Tensor::ones(&[4, 1, 5, 5])], &ys, 8).unwrap_err().to_string();
    assert!(err.contains("[4, 1, 5, 5]") && err.contains("[1, 6, 6]"), "{err}");
    let weighted = FitOptions { class_weight: Some(vec![1.0, 2.0, 1.0]), ..FitOptions::default() };
    assert!(model.fit(&xs, &ys, weighted).unwrap_err().to_string().contains("one output"));
    assert_eq!(values(&model), before);
    assert!(two_headed(0).fit(&xs, &ys, FitOptions::default()).is_err()); // not compiled
    // Shape errors at build time name the layer and both shapes.
    let mut g = Graph::new();
    let x = g.input("image", &[1, 6, 6]).unwrap();
    let err = g
        .apply(Dense::new(2, Activation::Relu), &x)
        .and_then(|d| g.apply(Conv2D::new(1, [3, 3], Activation::Relu), &d));
    let err = err.unwrap_err().to_string();
    assert!(err.contains("conv2d (Conv2D)") && err.contains("dense (Dense) outputs [1, 6, 2]"), "{err}");
}

#[test]
fn callbacks_see_functional_models() {
    let (xs, ys) = data();
    let mut model = two_headed(4);
    let adam = Adam::try_new(AdamConfig { learning_rate: 0.05, ..AdamConfig::default() }).unwrap();
    model.compile(Box::new(adam), losses(), None, vec![]).unwrap();
    let stop =
        EarlyStopping { monitor: Monitor::Loss, patience: 1, restore_best_weights: true, ..EarlyStopping::default() };
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("log.csv");
    let options = FitOptions {
        epochs: 3,
        early_stopping: Some(stop),
        callbacks: vec![Box::new(derin_nn::CSVLogger::new(&csv))],
        ..FitOptions::default()
    };
    let h = model.fit(&xs, &ys, options).unwrap();
    assert!(!h.epochs.is_empty());
    let header = std::fs::read_to_string(&csv).unwrap().lines().next().unwrap().to_string();
    assert_eq!(header, "epoch,big_loss,digit_loss,loss");
    let accuracy_stop = EarlyStopping { monitor: Monitor::Metric(Metric::Accuracy), ..EarlyStopping::default() };
    let options = FitOptions { early_stopping: Some(accuracy_stop), ..FitOptions::default() };
    assert!(model.fit(&xs, &ys, options).is_err()); // no plain `accuracy` with two outputs
    // Per-output values are monitored by their log names.
    let options = |key| FitOptions {
        epochs: 50,
        validation_split: 0.25,
        early_stopping: Some(EarlyStopping { monitor: Monitor::Key(key), patience: 2, ..EarlyStopping::default() }),
        ..FitOptions::default()
    };
    let h = model.fit(&xs, &ys, options("val_digit_loss")).unwrap();
    assert!(h.epochs.len() < 50 && h.stopped.unwrap().contains("val_digit_loss"));
    let err = model.fit(&xs, &ys, options("val_digit_accuracy")).unwrap_err().to_string();
    assert!(err.contains("val_digit_accuracy, which is not logged") && err.contains("\"val_big_loss\""), "{err}");
}

#[test]
fn masks_follow_one_input_layers_and_stop_at_merges() {
    use derin_nn::{DataFormat, Embedding, GlobalAveragePooling1D};
    let mut g = Graph::new();
    let ids = g.input("ids", &[4]).unwrap();
    let emb = g.apply(Embedding::new(10, 2).unwrap().with_mask_zero(true), &ids).unwrap();
    let pool = || GlobalAveragePooling1D::new().with_data_format(DataFormat::ChannelsLast);
    let masked = g.apply(pool(), &emb).unwrap();
    let doubled = g.merge(derin_nn::Add::new(), &[&emb, &emb]).unwrap();
    let unmasked = g.apply(pool(), &doubled).unwrap();
    let model = Model::new(g, &[&ids], &[&masked, &unmasked]).unwrap();
    let table = model.weights()[0].value().to_vec();
    let row = |i: usize, f: usize| table[i * 2 + f];
    let x = Tensor::from_vec(vec![3.0, 5.0, 0.0, 0.0], &[1, 4]);
    let out = model.predict(&[x], 1).unwrap();
    for f in 0..2 {
        // Masked: the mean of the two real steps, (E₃ + E₅) / 2. After Add the mask is
        // gone: the mean of all four steps of 2·E, 2·(E₃ + E₅ + 2·E₀) / 4.
        let want_masked = (row(3, f) + row(5, f)) / 2.0;
        let want_unmasked = 2.0 * (row(3, f) + row(5, f) + 2.0 * row(0, f)) / 4.0;
        assert!((out[0].to_vec()[f] - want_masked).abs() < 1e-6);
        assert!((out[1].to_vec()[f] - want_unmasked).abs() < 1e-6);
    }
}

#[test]
fn taps_are_the_layers_outputs_of_the_same_pass_and_carry_gradients() {
    let mut g = Graph::with_seed(3);
    let x = g.input("x", &[3]).unwrap();
    let h = g.apply(Dense::new(4, Activation::Tanh).named("hidden"), &x).unwrap();
    let y = g.apply(Dense::new(2, Activation::Linear).named("head"), &h).unwrap();
    let m = Model::new(g, &[&x], &[&y]).unwrap();
    let input = Tensor::from_vec(vec![0.3, -0.7, 1.1, 0.5, 0.2, -0.9], &[2, 3]);
    let (out, taps) = m.forward_with_taps(&[input.clone()], &["hidden", "head"], &mut Ctx::eval()).unwrap();
    let hidden = m.layer("hidden").unwrap().forward(&input, &mut Ctx::eval());
    assert_eq!(taps[0].to_vec(), hidden.to_vec());
    assert_eq!(taps[1].to_vec(), out[0].to_vec());
    // Grad-CAM's pattern: the gradient of one output column with respect to a tapped
    // feature map is that column of the head's kernel, for every sample.
    let score = out[0].narrow(1, 1, 1).sum_all();
    let grads = score.backward_keeping(&[&taps[0]]);
    let d = grads.get(&taps[0]).expect("a gradient for the tapped map").to_vec();
    let kernel = m.layer("head").unwrap().weights()[0].value().to_vec(); // [4, 2]
    for s in 0..2 {
        for j in 0..4 {
            assert!((d[s * 4 + j] - kernel[j * 2 + 1]).abs() < 1e-6);
        }
    }
    let err = m.outputs_of(&[input], &["conv5_block3_out"], &mut Ctx::eval()).unwrap_err().to_string();
    assert!(err.contains("conv5_block3_out") && err.contains("hidden"), "{err}");
}
