//! Optimizer slots of a convolution kernel are stored in Keras' `[kh, kw, in, out]`
//! layout, as the kernel is: a Keras-written file with Adam's state loads, and saving it
//! again writes the same slot arrays (reference/keras_mnist_cnn.py, Keras 3.15.1).

use std::path::Path;

use derin_nn::{KerasModel, load_model};
use hdf5_metno as hdf5;

fn slot(path: &Path, name: &str) -> (Vec<usize>, Vec<f32>) {
    let file = hdf5::File::open(path).unwrap();
    let ds = file.dataset(name).unwrap_or_else(|e| panic!("{name}: {e}"));
    (ds.shape(), ds.read_raw::<f32>().unwrap())
}

#[test]
fn conv_kernel_slots_keep_keras_layout() {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/optimizer/keras_conv_adam.h5");
    let KerasModel::Sequential(model) = load_model(&source).unwrap() else { panic!("a Sequential model") };
    let saved = std::env::temp_dir().join(format!("derin-conv-adam-{}.h5", std::process::id()));
    model.save(&saved).unwrap();
    for (param, shape) in [("conv_kernel", vec![3, 3, 1, 2]), ("conv_bias", vec![2]), ("dense_kernel", vec![32, 3])] {
        for kind in ["momentum", "velocity"] {
            let keras = slot(&source, &format!("optimizer_weights/adam_1/tiny_{param}_{kind}"));
            let ours = slot(&saved, &format!("optimizer_weights/adam/tiny_{param}_{kind}"));
            assert_eq!(keras.0, shape, "{param} {kind}");
            assert!(keras.1.iter().any(|&v| v != 0.0), "{param} {kind} was trained");
            assert_eq!(ours, keras, "{param} {kind}");
        }
    }
    std::fs::remove_file(&saved).unwrap();
}
