//! ResNet-18, -34 (BasicBlock) and -50 (Bottleneck) with torchvision's topology and
//! Keras' layer names (`conv1_conv`, `conv2_block1_1_conv`, …, `conv5_block3_out`), and a
//! width multiplier so that they fit a CPU.

use derin_nn::{
    Activation, Add, BatchNormalization, Conv2D, Dense, GlobalAveragePooling2D, Graph, MaxPooling2D, Model, Node,
    Padding, ReLU, ZeroPadding2D,
};

use super::Backbone;
use crate::{Error, Result};

/// Which ResNet: blocks per stage and block kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResNetDepth {
    /// Two 3×3 convolutions per block, stages of 2, 2, 2, 2 blocks.
    R18,
    /// Two 3×3 convolutions per block, stages of 3, 4, 6, 3.
    R34,
    /// 1×1 → 3×3 → 1×1 bottlenecks (×4 channels out), stages of 3, 4, 6, 3.
    R50,
}

impl ResNetDepth {
    fn blocks(self) -> [usize; 4] {
        match self {
            ResNetDepth::R18 => [2, 2, 2, 2],
            ResNetDepth::R34 | ResNetDepth::R50 => [3, 4, 6, 3],
        }
    }

    fn expansion(self) -> usize {
        if self == ResNetDepth::R50 { 4 } else { 1 }
    }
}

/// A ResNet (He et al. 2015) as torchvision builds it — 7×7/2 stem, 3×3/2 max pool, four
/// stages whose first block strides by 2 (in the 3×3 convolution, "ResNet v1.5"), batch
/// normalization after every convolution (ε = 10⁻⁵, momentum 0.9 as PyTorch's 0.1) —
/// channels-first, with Keras' layer names.
///
/// Stage `s` (2 to 5) has `64·2^(s−2)·width` channels (×4 out of a bottleneck); its
/// output is the layer `conv{s}_block{last}_out`, C2–C5 of a feature pyramid.
///
/// ```
/// use derin_vision::{ResNet, ResNetDepth};
/// let net = ResNet::new(ResNetDepth::R18, [3, 224, 224]).classes(1000);
/// let model = net.build().unwrap();
/// // torchvision's resnet18 has 11,689,512 parameters (moving statistics are not ones).
/// assert_eq!(model.params().iter().map(|p| p.value().len()).sum::<usize>(), 11_689_512);
/// assert_eq!(net.stage_outputs()[3], "conv5_block2_out");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ResNet {
    depth: ResNetDepth,
    input: [usize; 3],
    width: f32,
    classes: Option<usize>,
    seed: u64,
}

impl ResNet {
    /// A ResNet of `depth` for images `[channels, height, width]`, full width, no
    /// classifier, weights from seed 0.
    pub fn new(depth: ResNetDepth, input: [usize; 3]) -> Self {
        ResNet { depth, input, width: 1.0, classes: None, seed: 0 }
    }

    /// Multiplies every layer's channels (rounded, at least 1): 0.25 gives a ResNet-18 of
    /// 16 to 128 channels.
    pub fn width(mut self, width: f32) -> Self {
        self.width = width;
        self
    }

    /// Ends in global average pooling and a linear layer of `n` logits (`predictions`).
    pub fn classes(mut self, n: usize) -> Self {
        self.classes = Some(n);
        self
    }

    /// Draws the weights from `seed`.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The names of the four stages' outputs (C2–C5).
    pub fn stage_outputs(&self) -> [String; 4] {
        let blocks = self.depth.blocks();
        [0, 1, 2, 3].map(|s| format!("conv{}_block{}_out", s + 2, blocks[s]))
    }

    /// The network as a functional model (outputs: the logits with a classifier, else C5).
    ///
    /// # Errors
    /// [`Error::Option`] for a width that is not positive, an image too small for five
    /// halvings; `nn` errors from building the layers.
    pub fn build(&self) -> Result<Model> {
        if !(self.width.is_finite() && self.width > 0.0) {
            return Err(Error::Option { op: "ResNet", what: format!("width must be positive, got {}", self.width) });
        }
        if self.input[1] < 32 || self.input[2] < 32 {
            let what = format!("images of {:?} are smaller than 32×32, the ResNet's stride", self.input);
            return Err(Error::Option { op: "ResNet", what });
        }
        let ch = |c: usize| ((c as f32 * self.width).round() as usize).max(1);
        let mut g = Graph::with_seed(self.seed);
        let image = g.input("image", &self.input)?;
        let x = g.apply(ZeroPadding2D::symmetric([3, 3]).named("conv1_pad"), &image)?;
        let x = conv_bn(&mut g, &x, ch(64), 7, 2, 0, "conv1", true)?;
        let x = g.apply(ZeroPadding2D::symmetric([1, 1]).named("pool1_pad"), &x)?;
        let mut x = g.apply(MaxPooling2D::new([3, 3]).with_strides([2, 2]).named("pool1_pool"), &x)?;
        for (s, &n) in self.depth.blocks().iter().enumerate() {
            for b in 0..n {
                let stride = if b == 0 && s > 0 { 2 } else { 1 };
                let name = format!("conv{}_block{}", s + 2, b + 1);
                x = self.block(&mut g, &x, ch(64 << s), stride, &name)?;
            }
        }
        let out = match self.classes {
            Some(n) => {
                let pooled = g.apply(GlobalAveragePooling2D::new().named("avg_pool"), &x)?;
                g.apply(Dense::new(n, Activation::Linear).named("predictions"), &pooled)?
            }
            None => x,
        };
        Ok(Model::new(g, &[&image], &[&out])?.named(match self.depth {
            ResNetDepth::R18 => "resnet18",
            ResNetDepth::R34 => "resnet34",
            ResNetDepth::R50 => "resnet50",
        }))
    }

    /// The network tapped at its four stages (C2–C5, strides 4 to 32).
    ///
    /// # Errors
    /// As [`build`](ResNet::build).
    pub fn backbone(&self) -> Result<Backbone> {
        let taps = self.stage_outputs();
        Backbone::new(self.build()?, &taps.each_ref().map(String::as_str), derin_nn::DataFormat::ChannelsFirst)
    }

    /// One residual block of `width` (inner) channels.
    fn block(&self, g: &mut Graph, x: &Node, width: usize, stride: usize, name: &str) -> Result<Node> {
        let out = width * self.depth.expansion();
        let shortcut = if stride != 1 || x.shape()[0] != out {
            conv_bn(g, x, out, 1, stride, 0, &format!("{name}_0"), false)?
        } else {
            x.clone()
        };
        let y = if self.depth == ResNetDepth::R50 {
            let y = conv_bn(g, x, width, 1, 1, 0, &format!("{name}_1"), true)?;
            let y = conv_bn(g, &y, width, 3, stride, 1, &format!("{name}_2"), true)?;
            conv_bn(g, &y, out, 1, 1, 0, &format!("{name}_3"), false)?
        } else {
            let y = conv_bn(g, x, width, 3, stride, 1, &format!("{name}_1"), true)?;
            conv_bn(g, &y, out, 3, 1, 1, &format!("{name}_2"), false)?
        };
        let sum = g.merge(Add::new().named(&format!("{name}_add")), &[&shortcut, &y])?;
        Ok(g.apply(ReLU::new().named(&format!("{name}_out")), &sum)?)
    }
}

/// A bias-free `k×k` convolution (stride `s`, padding `p`), batch normalization and,
/// when `relu`, a ReLU: layers `{name}_conv`, `{name}_bn`, `{name}_relu`.
pub(super) fn conv_bn(
    g: &mut Graph,
    x: &Node,
    filters: usize,
    k: usize,
    s: usize,
    p: usize,
    name: &str,
    relu: bool,
) -> Result<Node> {
    let conv = Conv2D::new(filters, [k, k], Activation::Linear)
        .with_strides([s, s])
        .with_padding(Padding::Explicit([p, p]))
        .without_bias()
        .named(&format!("{name}_conv"));
    let y = g.apply(conv, x)?;
    let bn = BatchNormalization::new().with_axis(1).with_epsilon(1e-5).with_momentum(0.9).named(&format!("{name}_bn"));
    let y = g.apply(bn, &y)?;
    if relu { Ok(g.apply(ReLU::new().named(&format!("{name}_relu")), &y)?) } else { Ok(y) }
}
