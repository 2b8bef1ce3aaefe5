//! Backbone tests.

use super::*;

#[test]
fn resnets_have_torchvisions_parameter_counts() {
    for (depth, n) in [(ResNetDepth::R18, 11_689_512), (ResNetDepth::R34, 21_797_672), (ResNetDepth::R50, 25_557_032)] {
        let m = ResNet::new(depth, [3, 224, 224]).classes(1000).build().unwrap();
        let trainable: usize = m.params().iter().map(|p| p.value().len()).sum();
        assert_eq!(trainable, n, "{depth:?}");
    }
}

use derin_nn::{Activation, Conv2D, Ctx, Dense, Flatten, Graph, MaxPooling2D};
use derin_tensor::Tensor;

/// A two-stage convolutional model in `format`, weights from seed 3.
fn two_stage(format: DataFormat) -> Model {
    let shape = match format {
        DataFormat::ChannelsFirst => [2, 12, 10],
        DataFormat::ChannelsLast => [12, 10, 2],
    };
    let mut g = Graph::with_seed(3);
    let x = g.input("image", &shape).unwrap();
    let a = g.apply(Conv2D::new(4, [3, 3], Activation::Relu).with_data_format(format).named("a"), &x).unwrap();
    let p = g.apply(MaxPooling2D::new([2, 2]).with_data_format(format).named("pool"), &a).unwrap();
    let b = g.apply(Conv2D::new(5, [3, 3], Activation::Relu).with_data_format(format).named("b"), &p).unwrap();
    Model::new(g, &[&x], &[&b]).unwrap()
}

#[test]
fn a_channels_last_model_gives_channels_first_maps() {
    let first = Backbone::new(two_stage(DataFormat::ChannelsFirst), &["a", "b"], DataFormat::ChannelsFirst).unwrap();
    let last = Backbone::new(two_stage(DataFormat::ChannelsLast), &["a", "b"], DataFormat::ChannelsLast).unwrap();
    assert_eq!((last.channels(), last.map_sizes(), last.strides()), (vec![4, 5], vec![[10, 8], [3, 2]], vec![2, 4]));
    assert_eq!(last.input_shape(), [2, 12, 10]);
    // Same kernels (both layouts keep conv kernels [out, in, kh, kw]): same maps.
    for (a, b) in first.weights().iter().zip(last.weights()) {
        b.set(a.value().to_array());
    }
    let x = Tensor::from_vec((0..480).map(|i| ((i * 7) % 13) as f32 / 13.0 - 0.4).collect(), &[2, 2, 12, 10]);
    let (mf, ml) = (first.forward(&x, &mut Ctx::eval()).unwrap(), last.forward(&x, &mut Ctx::eval()).unwrap());
    for (f, l) in mf.iter().zip(&ml) {
        assert_eq!(f.shape(), l.shape());
        assert!(f.to_vec().iter().zip(l.to_vec()).all(|(a, b)| (a - b).abs() < 1e-5));
    }
}

#[test]
fn bad_taps_are_errors() {
    let m = || two_stage(DataFormat::ChannelsFirst);
    let e = Backbone::new(m(), &["b", "a"], DataFormat::ChannelsFirst).err().unwrap().to_string();
    assert_eq!(e, "Backbone: taps must go from fine to coarse; \"a\" ([4, 10, 8]) is finer than the one before");
    let e = Backbone::new(m(), &["conv9"], DataFormat::ChannelsFirst).err().unwrap().to_string();
    assert!(e.contains("no layer or input called \"conv9\""), "{e}");
    let mut g = Graph::new();
    let x = g.input("image", &[1, 8, 8]).unwrap();
    let f = g.apply(Flatten::new(), &x).unwrap();
    let d = g.apply(Dense::new(3, Activation::Relu).named("dense"), &f).unwrap();
    let e = Backbone::new(Model::new(g, &[&x], &[&d]).unwrap(), &["dense"], DataFormat::ChannelsFirst).err().unwrap();
    assert_eq!(e.to_string(), "Backbone: layer \"dense\" gives [3], not an image");
    let e = Backbone::new(m(), &["a"], DataFormat::ChannelsFirst)
        .unwrap()
        .forward(&Tensor::zeros(&[1, 3, 12, 10]), &mut Ctx::eval());
    assert!(e.err().unwrap().to_string().contains("has shape [1, 3, 12, 10]"));
    assert!(
        ResNet::new(ResNetDepth::R18, [3, 16, 64]).build().err().unwrap().to_string().contains("smaller than 32×32")
    );
    assert!(vgg(&[], [3, 8, 8], 1.0, 0).is_err() && vgg(&[1], [3, 8, 8], 0.0, 0).is_err());
}

#[test]
fn lenet_and_vgg_maps_have_their_documented_shapes() {
    let lenet = lenet5([1, 28, 28], 0).unwrap();
    let maps = lenet.forward(&Tensor::ones(&[3, 1, 28, 28]), &mut Ctx::eval()).unwrap();
    assert_eq!((maps[0].shape(), maps[1].shape()), (&[3, 6, 14, 14][..], &[3, 16, 5, 5][..]));
    // tanh then averaging keeps every value inside (−1, 1).
    assert!(maps[1].to_vec().iter().all(|v| v.abs() < 1.0));
    let vgg16 = vgg(&[2, 2, 3, 3, 3], [3, 64, 64], 1.0, 0).unwrap();
    assert_eq!(vgg16.channels(), vec![64, 128, 256, 512, 512]);
    assert_eq!(vgg16.model().count_params(), 14_714_688); // Keras' VGG16 without its top
}
