//! Activations against Keras' own numbers (reference/activations_keras.py) and
//! finite-difference gradient checks of every activation.

use super::*;
use derin_tensor::check_gradients;

/// The reference script's input, `[2, 5]`.
const X: [f32; 10] = [-3.5, -1.2, -0.7, -0.3, 0.0, 0.2, 0.6, 1.5, 3.1, 7.0];

/// `keras.activations.get(name)(X)`, Keras 3.15.1 (TensorFlow 2.21.0 backend, NumPy 2.4.6).
#[rustfmt::skip]
#[allow(clippy::excessive_precision, clippy::approx_constant)] // Keras' digits, as printed
const KERAS3: &[(&str, &[f32])] = &[
    ("celu", &[-0.96980262, -0.69880581, -0.50341469, -0.25918177, 0.0, 0.2, 0.60000002, 1.5, 3.0999999, 7.0]),
    ("elu", &[-0.96980262, -0.69880581, -0.50341469, -0.2591818, 0.0, 0.2, 0.60000002, 1.5, 3.0999999, 7.0]),
    ("exponential", &[0.030197384, 0.30119419, 0.49658531, 0.7408182, 1.0, 1.2214028, 1.8221189, 4.481689, 22.197948, 1096.6332]),
    ("gelu", &[-0.00081420154, -0.13808364, -0.16937457, -0.11462658, 0.0, 0.11585194, 0.43544814, 1.3997892, 3.0970004, 7.0]),
    ("hard_shrink", &[-3.5, -1.2, -0.69999999, 0.0, 0.0, 0.0, 0.60000002, 1.5, 3.0999999, 7.0]),
    ("hard_sigmoid", &[0.0, 0.29999998, 0.38333333, 0.45000002, 0.5, 0.53333336, 0.59999996, 0.75, 1.0, 1.0]),
    ("hard_silu", &[-0.0, -0.35999998, -0.26833332, -0.13500001, 0.0, 0.10666668, 0.35999998, 1.125, 3.0999999, 7.0]),
    ("hard_swish", &[-0.0, -0.35999998, -0.26833332, -0.13500001, 0.0, 0.10666668, 0.35999998, 1.125, 3.0999999, 7.0]),
    ("hard_tanh", &[-1.0, -1.0, -0.69999999, -0.30000001, 0.0, 0.2, 0.60000002, 1.0, 1.0, 1.0]),
    ("leaky_relu", &[-0.69999999, -0.24000001, -0.14, -0.060000002, 0.0, 0.2, 0.60000002, 1.5, 3.0999999, 7.0]),
    ("linear", &[-3.5, -1.2, -0.69999999, -0.30000001, 0.0, 0.2, 0.60000002, 1.5, 3.0999999, 7.0]),
    ("log_sigmoid", &[-3.5297503, -1.4632825, -1.103186, -0.85435522, -0.69314718, -0.59813887, -0.43748793, -0.20141326, -0.04406397, -0.00091146649]),
    ("log_softmax", &[-4.4434371, -2.1434369, -1.6434369, -1.2434371, -0.94343698, -6.8267436, -6.4267435, -5.5267434, -3.9267433, -0.026743211]),
    ("mish", &[-0.10409577, -0.30883577, -0.26787022, -0.15113316, 0.0, 0.13259901, 0.46613649, 1.4033781, 3.0884998, 6.999989]),
    ("relu", &[0.0, 0.0, 0.0, 0.0, 0.0, 0.2, 0.60000002, 1.5, 3.0999999, 7.0]),
    ("relu6", &[0.0, 0.0, 0.0, 0.0, 0.0, 0.2, 0.60000002, 1.5, 3.0999999, 6.0]),
    ("selu", &[-1.7050093, -1.22857, -0.88505304, -0.45566735, 0.0, 0.21014021, 0.63042063, 1.5760515, 3.2571731, 7.354907]),
    ("sigmoid", &[0.029312231, 0.2314752, 0.3318122, 0.4255574, 0.5, 0.54983395, 0.64565635, 0.81757444, 0.95689273, 0.99908894]),
    ("silu", &[-0.10259281, -0.27777025, -0.23226854, -0.12766723, 0.0, 0.10996679, 0.38739383, 1.2263616, 2.9663675, 6.9936228]),
    ("soft_shrink", &[-3.0, -0.70000005, -0.19999999, 0.0, 0.0, 0.0, 0.10000002, 1.0, 2.5999999, 6.5]),
    ("softmax", &[0.011755466, 0.11725115, 0.19331448, 0.28839132, 0.38928756, 0.0010843837, 0.0016177106, 0.0039789267, 0.019707752, 0.97361124]),
    ("softplus", &[0.029750422, 0.26328245, 0.40318602, 0.5543552, 0.69314718, 0.79813892, 1.0374879, 1.7014133, 3.1440639, 7.0009117]),
    ("softsign", &[-0.77777779, -0.54545456, -0.41176468, -0.23076925, 0.0, 0.16666666, 0.375, 0.60000002, 0.75609756, 0.875]),
    ("sparse_plus", &[0.0, 0.0, 0.022500003, 0.12249999, 0.25, 0.36000004, 0.64000005, 1.5, 3.0999999, 7.0]),
    ("sparse_sigmoid", &[0.0, 0.0, 0.15000001, 0.34999999, 0.5, 0.60000002, 0.80000001, 1.0, 1.0, 1.0]),
    ("sparsemax", &[0.0, 0.0, 0.0, 0.34999996, 0.64999998, 0.0, 0.0, 0.0, 0.0, 1.0]),
    ("squareplus", &[0.26556444, 0.56619036, 0.709481, 0.86118746, 1.0, 1.1049876, 1.3440306, 2.0, 3.3945866, 7.1400547]),
    ("swish", &[-0.10259281, -0.27777025, -0.23226854, -0.12766723, 0.0, 0.10996679, 0.38739383, 1.2263616, 2.9663675, 6.9936228]),
    ("tanh", &[-0.99817795, -0.8336547, -0.60436773, -0.29131263, 0.0, 0.19737533, 0.53704959, 0.90514833, 0.99594945, 0.99999833]),
    ("tanh_shrink", &[-2.501822, -0.36634535, -0.095632255, -0.008687377, 0.0, 0.0026246756, 0.062950432, 0.59485167, 2.1040504, 6.0000019]),
];

/// The same with tf-keras 2.21.0 (`TF_USE_LEGACY_KERAS=1`), TensorFlow 2.21.0.
#[rustfmt::skip]
#[allow(clippy::excessive_precision, clippy::approx_constant)]
const KERAS2: &[(&str, &[f32])] = &[
    ("elu", &[-0.96980262, -0.69880581, -0.50341469, -0.2591818, 0.0, 0.2, 0.60000002, 1.5, 3.0999999, 7.0]),
    ("exponential", &[0.030197384, 0.30119419, 0.49658531, 0.7408182, 1.0, 1.2214028, 1.8221189, 4.481689, 22.197948, 1096.6332]),
    ("gelu", &[-0.00081420154, -0.13808364, -0.16937457, -0.11462658, 0.0, 0.11585194, 0.43544814, 1.3997892, 3.0970004, 7.0]),
    ("hard_sigmoid", &[0.0, 0.25999999, 0.36000001, 0.44, 0.5, 0.54000002, 0.62, 0.80000001, 1.0, 1.0]),
    ("leaky_relu", &[-0.69999999, -0.24000001, -0.14, -0.060000002, 0.0, 0.2, 0.60000002, 1.5, 3.0999999, 7.0]),
    ("linear", &[-3.5, -1.2, -0.69999999, -0.30000001, 0.0, 0.2, 0.60000002, 1.5, 3.0999999, 7.0]),
    ("log_softmax", &[-4.4434371, -2.1434369, -1.6434369, -1.2434371, -0.94343698, -6.8267436, -6.4267435, -5.5267434, -3.9267433, -0.026743211]),
    ("mish", &[-0.10409577, -0.30883577, -0.26787022, -0.15113316, 0.0, 0.13259901, 0.46613649, 1.4033781, 3.0884998, 6.999989]),
    ("relu", &[0.0, 0.0, 0.0, 0.0, 0.0, 0.2, 0.60000002, 1.5, 3.0999999, 7.0]),
    ("relu6", &[0.0, 0.0, 0.0, 0.0, 0.0, 0.2, 0.60000002, 1.5, 3.0999999, 6.0]),
    ("selu", &[-1.7050093, -1.22857, -0.88505304, -0.45566735, 0.0, 0.21014021, 0.63042063, 1.5760515, 3.2571731, 7.354907]),
    ("sigmoid", &[0.029312231, 0.2314752, 0.3318122, 0.4255574, 0.5, 0.54983395, 0.64565635, 0.81757444, 0.95689273, 0.99908894]),
    ("silu", &[-0.10259281, -0.27777025, -0.23226854, -0.12766723, 0.0, 0.10996679, 0.38739383, 1.2263616, 2.9663675, 6.9936228]),
    ("softmax", &[0.011755466, 0.11725115, 0.19331448, 0.28839132, 0.38928756, 0.0010843837, 0.0016177106, 0.0039789267, 0.019707752, 0.97361124]),
    ("softplus", &[0.029750422, 0.26328245, 0.40318602, 0.5543552, 0.69314718, 0.79813892, 1.0374879, 1.7014133, 3.1440639, 7.0009117]),
    ("softsign", &[-0.77777779, -0.54545456, -0.41176468, -0.23076925, 0.0, 0.16666666, 0.375, 0.60000002, 0.75609756, 0.875]),
    ("swish", &[-0.10259281, -0.27777025, -0.23226854, -0.12766723, 0.0, 0.10996679, 0.38739383, 1.2263616, 2.9663675, 6.9936228]),
    ("tanh", &[-0.99817795, -0.8336547, -0.60436773, -0.29131263, 0.0, 0.19737533, 0.53704959, 0.90514833, 0.99594945, 0.99999833]),
];

/// Every variant, with the slopes Keras' names give.
pub(super) const ALL: [Activation; 29] = [
    Activation::Linear,
    Activation::Relu,
    Activation::Sigmoid,
    Activation::Tanh,
    Activation::Softmax,
    Activation::LeakyRelu(0.2),
    Activation::Elu(1.0),
    Activation::Gelu,
    Activation::GeluTanh,
    Activation::Silu,
    Activation::Selu,
    Activation::Softplus,
    Activation::Softsign,
    Activation::Exponential,
    Activation::Relu6,
    Activation::HardSigmoid,
    Activation::HardSigmoidKeras2,
    Activation::HardSilu,
    Activation::Mish,
    Activation::LogSoftmax,
    Activation::LogSigmoid,
    Activation::HardTanh,
    Activation::HardShrink,
    Activation::SoftShrink,
    Activation::TanhShrink,
    Activation::SparsePlus,
    Activation::SparseSigmoid,
    Activation::Squareplus,
    Activation::Sparsemax,
];

fn assert_matches(a: Activation, keras: &[f32], source: &str) {
    let got = a.apply(&Tensor::from_vec(X.to_vec(), &[2, 5])).to_vec();
    for (i, (g, k)) in got.iter().zip(keras).enumerate() {
        assert!((g - k).abs() <= 1e-5 + 1e-5 * k.abs(), "{a:?} at x = {}: {g} vs {source} {k}", X[i]);
    }
}

#[test]
fn every_keras3_name_loads_and_matches_keras() {
    for &(name, keras) in KERAS3 {
        let a = Activation::from_keras_name(name).unwrap_or_else(|| panic!("{name} does not load"));
        assert_matches(a, keras, "Keras 3");
    }
    // The names Derin lacks: glu changes the shape, threshold needs arguments.
    for name in ["glu", "threshold", "no_such_thing"] {
        assert_eq!(Activation::from_keras_name(name), None, "{name}");
    }
}

#[test]
fn every_keras2_name_loads_and_matches_tf_keras() {
    for &(name, keras) in KERAS2 {
        // tf-keras' hard_sigmoid is 0.2x + 0.5, not Keras 3's (x + 3)/6.
        let a = if name == "hard_sigmoid" {
            Activation::HardSigmoidKeras2
        } else {
            Activation::from_keras_name(name).unwrap_or_else(|| panic!("{name} does not load"))
        };
        assert_matches(a, keras, "tf-keras");
    }
}

#[test]
fn names_round_trip() {
    for a in ALL {
        match a.keras_name() {
            Some(name) => assert_eq!(Activation::from_keras_name(name), Some(a), "{name}"),
            None => assert!(matches!(a, Activation::HardSigmoidKeras2 | Activation::GeluTanh), "{a:?}"),
        }
    }
    assert_eq!(Activation::from_keras_name("hard_swish"), Some(Activation::HardSilu));
    assert_eq!(Activation::from_keras_name("celu"), Some(Activation::Elu(1.0)));
    let err = ActivationLayer::new(Activation::HardSigmoidKeras2).keras_config().unwrap_err().to_string();
    assert!(err.contains("activation HardSigmoidKeras2 has no Keras name"), "{err}");
    let err = ActivationLayer::new(Activation::GeluTanh).keras_config().unwrap_err().to_string();
    assert!(err.contains("activation GeluTanh has no Keras name"), "{err}");
}

#[test]
fn every_activation_has_a_correct_gradient_away_from_kinks() {
    // Kinks at 0, ±0.5, ±1, ±2.5, ±3 and 6 are avoided.
    let x = Tensor::from_vec(vec![-3.7, -2.8, -1.3, -0.8, -0.2, 0.4, 0.7, 1.6, 2.1, 3.4, 6.6, -4.2], &[2, 6]);
    let w = Tensor::from_vec(vec![0.3, -1.1, 0.7, 1.5, -0.4, 0.2, 0.9, -0.6, 1.2, 0.5, -0.8, 0.1], &[2, 6]);
    for a in ALL {
        // e^6.6 ≈ 735 would swamp the f32 finite differences of the other terms.
        let x = if a == Activation::Exponential { x.mul_scalar(0.3) } else { x.clone() };
        check_gradients(|xs| (a.apply(&xs[0]) * &w).sum_all(), &[x]).unwrap_or_else(|e| panic!("{a:?}: {e}"));
    }
}

#[test]
fn sparsemax_projects_rows_onto_the_simplex() {
    // Row [1, 0.5, -2]: k = 2 (1 + 2·0.5 = 2 > 1.5, 1 + 3·(−2) < −0.5), τ = (1.5 − 1)/2 = 0.25,
    // so [0.75, 0.25, 0]. Row [3, 0, 0]: k = 1, τ = 2, so [1, 0, 0].
    let x = Tensor::from_vec(vec![1.0, 0.5, -2.0, 3.0, 0.0, 0.0], &[2, 3]);
    assert_eq!(Activation::Sparsemax.apply(&x).to_vec(), vec![0.75, 0.25, 0.0, 1.0, 0.0, 0.0]);
    // Gradient on the support {0, 1} of row 0: g − mean(g on support), 0 elsewhere.
    let w = Tensor::from_vec(vec![0.3, -1.1, 0.7, 1.5, -0.4, 0.2], &[2, 3]);
    check_gradients(|xs| (Activation::Sparsemax.apply(&xs[0]) * &w).sum_all(), &[x]).unwrap();
}

#[test]
fn activation_layers_and_dense_load_every_name() {
    use crate::serialize::layer_from_config;
    let layer = layer_from_config("Activation", &serde_json::json!({"name": "a", "activation": "hard_swish"})).unwrap();
    assert_eq!(layer.keras_config().unwrap()["activation"], "hard_silu");
    let dense =
        layer_from_config("Dense", &serde_json::json!({"name": "d", "units": 2, "activation": "mish"})).unwrap();
    assert_eq!(dense.keras_config().unwrap()["activation"], "mish");
    let err = layer_from_config("Activation", &serde_json::json!({"name": "a", "activation": "glu"})).err().unwrap();
    assert_eq!(err.to_string(), "a (Activation): config key \"activation\": unknown activation \"glu\"");
}

#[cfg(feature = "hdf5")]
#[test]
fn keras2_files_load_hard_sigmoid_with_keras2_formula() {
    use crate::{Dense, Sequential};
    use hdf5_metno as hdf5;
    let path = std::env::temp_dir().join(format!("derin-hard-sigmoid-keras2-{}.h5", std::process::id()));
    let m = Sequential::new(&[2]).add(Dense::new(3, Activation::HardSigmoid)).unwrap();
    m.save(&path).unwrap();
    let activation = |m: &Sequential| m.layers()[0].keras_config().unwrap()["activation"].clone();
    let back = Sequential::load(&path).unwrap();
    assert_eq!(activation(&back), "hard_sigmoid"); // a Keras 3 file: relu6(x + 3)/6
    // The same file as Keras 2 (tf-keras) writes it: 0.2x + 0.5, which has no Keras 3 name.
    {
        let f = hdf5::File::open_rw(&path).unwrap();
        f.delete_attr("keras_version").unwrap();
        let v: hdf5::types::VarLenUnicode = "2.21.0".parse().unwrap();
        f.new_attr::<hdf5::types::VarLenUnicode>().create("keras_version").unwrap().write_scalar(&v).unwrap();
    }
    let keras2 = Sequential::load(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    let err = keras2.layers()[0].keras_config().unwrap_err().to_string();
    assert!(err.contains("activation HardSigmoidKeras2 has no Keras name"), "{err}");
    let err = ActivationLayer::new(Activation::GeluTanh).keras_config().unwrap_err().to_string();
    assert!(err.contains("activation GeluTanh has no Keras name"), "{err}");
    let x = Tensor::from_vec(vec![1.0, -0.5], &[1, 2]);
    let z = x.matmul(&keras2.layers()[0].weights()[0].value()).to_vec();
    let y = keras2.predict(&x, 1).unwrap().to_vec();
    for (y, z) in y.iter().zip(&z) {
        assert!((y - (0.2 * z + 0.5).clamp(0.0, 1.0)).abs() < 1e-6, "{y} vs hard_sigmoid_keras2({z})");
    }
}
