//! Values, shapes, channels-last inputs, gradients and Keras configs of the spatial
//! layers.

use derin_tensor::{Tensor, check_gradients};
use serde_json::json;

use super::*;
use crate::layer_from_config;

fn eval(layer: &dyn Module, x: &Tensor) -> Tensor {
    layer.forward(x, &mut Ctx::eval())
}

#[test]
fn zero_padding_in_both_layouts() {
    let x = Tensor::arange(1.0, 5.0, 1.0).reshape(&[1, 1, 2, 2]);
    let pad = ZeroPadding2D::new([[0, 1], [2, 0]]);
    let y = eval(&pad, &x);
    #[rustfmt::skip]
    assert_eq!(y.to_vec(), vec![
        0.0, 0.0, 1.0, 2.0,
        0.0, 0.0, 3.0, 4.0,
        0.0, 0.0, 0.0, 0.0,
    ]);
    assert_eq!(pad.output_shape(&[1, 2, 2]).unwrap(), vec![1, 3, 4]);
    // Channels-last gives the same pixels with the channel axis last.
    let last = pad.clone().with_data_format(DataFormat::ChannelsLast);
    let y_last = eval(&last, &x.permute(&[0, 2, 3, 1]));
    assert_eq!(y_last.shape(), &[1, 3, 4, 1]);
    assert_eq!(y_last.to_vec(), y.to_vec());
    assert_eq!(last.output_shape(&[2, 2, 1]).unwrap(), vec![3, 4, 1]);
    assert!(pad.output_shape(&[2, 2]).is_err());
}

#[test]
fn cropping_in_both_layouts() {
    let x = Tensor::arange(0.0, 20.0, 1.0).reshape(&[1, 1, 4, 5]);
    let crop = Cropping2D::new([[1, 2], [0, 3]]);
    assert_eq!(eval(&crop, &x).to_vec(), vec![5.0, 6.0]);
    let last = crop.clone().with_data_format(DataFormat::ChannelsLast);
    let y = eval(&last, &x.permute(&[0, 2, 3, 1]));
    assert_eq!((y.shape(), y.to_vec()), (&[1, 1, 2, 1][..], vec![5.0, 6.0]));
    let err = crop.output_shape(&[1, 3, 5]).unwrap_err().to_string();
    assert!(err.contains("height above 3 and width above 3"), "{err}");
}

#[test]
fn upsampling_nearest_and_bilinear() {
    let x = Tensor::arange(1.0, 5.0, 1.0).reshape(&[1, 1, 2, 2]);
    let up = UpSampling2D::new([2, 1]);
    assert_eq!(eval(&up, &x).to_vec(), vec![1.0, 2.0, 1.0, 2.0, 3.0, 4.0, 3.0, 4.0]);
    // PyTorch's 2×2 → 4×4 bilinear (align_corners=False), first row.
    let smooth = UpSampling2D::new([2, 2]).with_interpolation(Interpolation::Bilinear);
    assert_eq!(eval(&smooth, &x).to_vec()[..4], [1.0, 1.25, 1.75, 2.0]);
    let last = up.clone().with_data_format(DataFormat::ChannelsLast);
    let x2 = Tensor::arange(0.0, 8.0, 1.0).reshape(&[1, 2, 2, 2]); // [n, h, w, c]
    let y = eval(&last, &x2);
    assert_eq!(y.shape(), &[1, 4, 2, 2]);
    assert_eq!(y.to_vec()[..8], [0.0, 1.0, 2.0, 3.0, 0.0, 1.0, 2.0, 3.0]);
    assert_eq!(last.output_shape(&[5, 3, 7]).unwrap(), vec![10, 3, 7]);
}

#[test]
fn gradients_flow_through_each_layer() {
    let x = Tensor::from_vec((0..24).map(|i| (i as f32 * 0.37).sin()).collect(), &[1, 2, 3, 4]);
    let w = |n: usize| Tensor::from_vec((0..n).map(|i| (i as f32 * 0.61).cos()).collect(), &[n]);
    let layers: Vec<Box<dyn Module>> = vec![
        Box::new(ZeroPadding2D::new([[1, 0], [0, 2]])),
        Box::new(Cropping2D::new([[1, 0], [1, 1]])),
        Box::new(UpSampling2D::new([2, 3])),
        Box::new(UpSampling2D::new([2, 2]).with_interpolation(Interpolation::Bilinear)),
    ];
    for layer in layers {
        let n = eval(layer.as_ref(), &x).len();
        check_gradients(|v| (eval(layer.as_ref(), &v[0]).reshape(&[n]) * w(n)).sum_all(), &[x.clone()])
            .unwrap_or_else(|e| panic!("{}: {e}", layer.label()));
    }
}

#[test]
fn keras_configs_round_trip_and_parse_every_form() {
    let layers: Vec<Box<dyn Module>> = vec![
        Box::new(ZeroPadding2D::new([[1, 2], [3, 4]]).named("pad")),
        Box::new(Cropping2D::new([[0, 1], [2, 0]]).with_data_format(DataFormat::ChannelsLast)),
        Box::new(UpSampling2D::new([2, 3]).with_interpolation(Interpolation::Bilinear)),
    ];
    for layer in layers {
        let config = layer.keras_config().unwrap();
        let back = layer_from_config(layer.type_name(), &config).unwrap();
        assert_eq!(back.label(), layer.label());
        assert_eq!(back.keras_config().unwrap(), config);
    }
    let base = json!({"name": "p", "trainable": true, "data_format": "channels_first"});
    let with = |key: &str, v: serde_json::Value| {
        let mut c = base.clone();
        c[key] = v;
        c
    };
    let pad = |c| ZeroPadding2D::from_keras_config(&KerasConfig::new("ZeroPadding2D", &c).unwrap()).unwrap().padding();
    assert_eq!(pad(with("padding", json!(2))), [[2, 2], [2, 2]]);
    assert_eq!(pad(with("padding", json!([1, 3]))), [[1, 1], [3, 3]]);
    assert_eq!(pad(with("padding", json!([[1, 0], [0, 2]]))), [[1, 0], [0, 2]]);
    assert_eq!(pad(base.clone()), [[1, 1], [1, 1]]);
    let up = UpSampling2D::from_keras_config(&KerasConfig::new("UpSampling2D", &base).unwrap()).unwrap();
    assert_eq!((up.size(), up.interpolation()), ([2, 2], Interpolation::Nearest));
    // Keras' default layout is channels-last.
    let keras_default = json!({"name": "c", "cropping": [[1, 1], [1, 1]]});
    let crop = Cropping2D::from_keras_config(&KerasConfig::new("Cropping2D", &keras_default).unwrap()).unwrap();
    assert_eq!(crop.data_format(), DataFormat::ChannelsLast);
}

#[test]
fn bad_configs_are_errors_naming_the_key() {
    let bad = [
        ("ZeroPadding2D", json!({"name": "p", "padding": [1, 2, 3]}), "\"padding\""),
        ("ZeroPadding2D", json!({"name": "p", "padding": [[1], [2, 2]]}), "\"padding\""),
        ("Cropping2D", json!({"name": "c", "cropping": "same"}), "\"cropping\""),
        ("UpSampling2D", json!({"name": "u", "size": [0, 2]}), "\"size\""),
        ("UpSampling2D", json!({"name": "u", "interpolation": "lanczos3"}), "\"interpolation\""),
    ];
    for (class, config, key) in bad {
        let err = layer_from_config(class, &config).err().unwrap().to_string();
        assert!(err.contains(key), "{class}: {err}");
    }
}
