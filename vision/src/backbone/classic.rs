//! The two classic backbones of the course: LeNet-5 and VGG (any number of blocks and
//! convolutions per block, Keras' `block{i}_conv{j}` names), channels-first.

use derin_nn::{Activation, AveragePooling2D, Conv2D, DataFormat, Graph, MaxPooling2D, Model, Padding};

use super::Backbone;
use crate::{Error, Result};

/// LeNet-5's feature extractor (LeCun et al. 1998): `conv1` 6 filters 5×5 (`same`
/// padding, as MNIST's 28×28 digits padded to 32×32), tanh, `pool1` 2×2 average pooling,
/// `conv2` 16 filters 5×5 valid, tanh, `pool2`. Tapped at `pool1` (stride 2) and
/// `pool2` (stride 4 on 28×28: 5×5 maps).
///
/// # Errors
/// An `nn` error for images smaller than 12×12.
///
/// ```
/// let lenet = derin_vision::lenet5([1, 28, 28], 0).unwrap();
/// assert_eq!(lenet.map_sizes(), vec![[14, 14], [5, 5]]);
/// assert_eq!(lenet.channels(), vec![6, 16]);
/// ```
pub fn lenet5(input: [usize; 3], seed: u64) -> Result<Backbone> {
    let mut g = Graph::with_seed(seed);
    let image = g.input("image", &input)?;
    let x = g.apply(Conv2D::new(6, [5, 5], Activation::Tanh).with_padding(Padding::Same).named("conv1"), &image)?;
    let x = g.apply(AveragePooling2D::new([2, 2]).named("pool1"), &x)?;
    let x = g.apply(Conv2D::new(16, [5, 5], Activation::Tanh).named("conv2"), &x)?;
    let x = g.apply(AveragePooling2D::new([2, 2]).named("pool2"), &x)?;
    let model = Model::new(g, &[&image], &[&x])?.named("lenet5");
    Backbone::new(model, &["pool1", "pool2"], DataFormat::ChannelsFirst)
}

/// A VGG feature extractor (Simonyan & Zisserman 2014): block `i` (from 1) has
/// `convs[i−1]` 3×3 `same` convolutions of `min(64·2^(i−1), 512)·width` channels with
/// ReLU, then 2×2 max pooling. `[2, 2, 3, 3, 3]` is VGG16's. Tapped at every block's
/// pooling (`block{i}_pool`, strides 2, 4, 8, …).
///
/// # Errors
/// [`Error::Option`] for no blocks or a width that is not positive; an `nn` error for
/// images too small for the blocks' poolings.
///
/// ```
/// let vgg = derin_vision::vgg(&[1, 1, 2], [3, 32, 32], 0.25, 0).unwrap();
/// assert_eq!(vgg.channels(), vec![16, 32, 64]);
/// assert_eq!(vgg.strides(), vec![2, 4, 8]);
/// assert_eq!(vgg.taps()[2], "block3_pool");
/// ```
pub fn vgg(convs: &[usize], input: [usize; 3], width: f32, seed: u64) -> Result<Backbone> {
    if convs.is_empty() || !(width.is_finite() && width > 0.0) {
        let what = format!("needs at least one block and a positive width, got {convs:?} and {width}");
        return Err(Error::Option { op: "vgg", what });
    }
    let mut g = Graph::with_seed(seed);
    let image = g.input("image", &input)?;
    let mut x = image.clone();
    let mut taps = Vec::new();
    for (i, &n) in convs.iter().enumerate() {
        let filters = (((64usize << i).min(512) as f32 * width).round() as usize).max(1);
        for j in 0..n {
            let conv = Conv2D::new(filters, [3, 3], Activation::Relu).with_padding(Padding::Same);
            x = g.apply(conv.named(&format!("block{}_conv{}", i + 1, j + 1)), &x)?;
        }
        taps.push(format!("block{}_pool", i + 1));
        x = g.apply(MaxPooling2D::new([2, 2]).named(&taps[i]), &x)?;
    }
    let model = Model::new(g, &[&image], &[&x])?.named("vgg");
    Backbone::new(model, &taps.iter().map(String::as_str).collect::<Vec<_>>(), DataFormat::ChannelsFirst)
}
