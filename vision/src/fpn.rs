//! Feature Pyramid Network (Lin et al. 2017) as torchvision builds it: 1×1 lateral
//! convolutions, a top-down path of nearest upsampling to each lateral map's size, 3×3
//! output convolutions, and an extra level max-pooled from the coarsest.

use derin_nn::{Activation, Conv2D, Ctx, Module, Padding};
use derin_tensor::{Param, Pool2dOptions, Rng, Tensor};

use crate::{Error, Result};

/// A feature pyramid over a backbone's maps: every output level has `out_channels`.
///
/// Output `Pᵢ = layerᵢ(innerᵢ(Cᵢ) + nearest_upsample(Pᵢ₊₁'s inner sum, size of Cᵢ))`,
/// from the coarsest down; with `extra_pool`, one more level: the coarsest output
/// max-pooled with a 1×1 window and stride 2 (torchvision's `LastLevelMaxPool`, the
/// "pool" level Faster R-CNN anchors its largest boxes on).
///
/// ```
/// use derin_nn::Ctx;
/// use derin_tensor::Tensor;
/// use derin_vision::FeaturePyramid;
/// let fpn = FeaturePyramid::new(&[8, 16, 32], 12, true, 0).unwrap();
/// let maps = [Tensor::ones(&[1, 8, 16, 16]), Tensor::ones(&[1, 16, 8, 8]), Tensor::ones(&[1, 32, 4, 4])];
/// let levels = fpn.forward(&maps, &mut Ctx::eval()).unwrap();
/// let shapes: Vec<&[usize]> = levels.iter().map(|l| l.shape()).collect();
/// assert_eq!(shapes, [&[1, 12, 16, 16][..], &[1, 12, 8, 8], &[1, 12, 4, 4], &[1, 12, 2, 2]]);
/// ```
pub struct FeaturePyramid {
    inner: Vec<Conv2D>,
    layer: Vec<Conv2D>,
    in_channels: Vec<usize>,
    out_channels: usize,
    extra_pool: bool,
}

impl FeaturePyramid {
    /// A pyramid over maps of `in_channels` (finest first), weights drawn from `seed`;
    /// layers `fpn_inner{i}` (1×1) and `fpn_layer{i}` (3×3, padding 1), `i` from 0 = finest.
    ///
    /// # Errors
    /// [`Error::Option`] for no levels or a zero channel count.
    pub fn new(in_channels: &[usize], out_channels: usize, extra_pool: bool, seed: u64) -> Result<Self> {
        if in_channels.is_empty() || in_channels.contains(&0) || out_channels == 0 {
            let what = format!("needs levels with channels, got {in_channels:?} in and {out_channels} out");
            return Err(Error::Option { op: "FeaturePyramid", what });
        }
        let mut rng = Rng::seed(seed);
        let mut inner = Vec::new();
        let mut layer = Vec::new();
        for (i, &c) in in_channels.iter().enumerate() {
            let mut a = Conv2D::new(out_channels, [1, 1], Activation::Linear).named(&format!("fpn_inner{i}"));
            a.build(&[c, 1, 1], &mut rng)?;
            let mut b = Conv2D::new(out_channels, [3, 3], Activation::Linear)
                .with_padding(Padding::Explicit([1, 1]))
                .named(&format!("fpn_layer{i}"));
            b.build(&[out_channels, 3, 3], &mut rng)?;
            inner.push(a);
            layer.push(b);
        }
        Ok(FeaturePyramid { inner, layer, in_channels: in_channels.to_vec(), out_channels, extra_pool })
    }

    /// The pyramid's levels for `maps` (`[N, Cᵢ, Hᵢ, Wᵢ]`, finest first): one per map, each
    /// `[N, out_channels, Hᵢ, Wᵢ]`, then the pooled level if any.
    ///
    /// # Errors
    /// [`Error::Shape`] for a number of maps other than the levels, a map that is not 4-D,
    /// has other channels than its level or another batch.
    pub fn forward(&self, maps: &[Tensor], ctx: &mut Ctx) -> Result<Vec<Tensor>> {
        self.check(maps)?;
        let last = maps.len() - 1;
        let mut top = self.inner[last].forward(&maps[last], ctx);
        let mut out = vec![self.layer[last].forward(&top, ctx)];
        for i in (0..last).rev() {
            let size = [maps[i].shape()[2], maps[i].shape()[3]];
            top = self.inner[i].forward(&maps[i], ctx) + top.upsample_nearest2d_to(size);
            out.push(self.layer[i].forward(&top, ctx));
        }
        out.reverse();
        if self.extra_pool {
            let pooled = out[last].max_pool2d([1, 1], &Pool2dOptions { stride: Some([2, 2]), ..Default::default() });
            out.push(pooled);
        }
        Ok(out)
    }

    fn check(&self, maps: &[Tensor]) -> Result<()> {
        let bad = |what: String| Err(Error::Shape { op: "FeaturePyramid", what });
        if maps.len() != self.in_channels.len() {
            return bad(format!("{} maps for a pyramid of {} levels", maps.len(), self.in_channels.len()));
        }
        for (i, (m, &c)) in maps.iter().zip(&self.in_channels).enumerate() {
            let s = m.shape();
            if s.len() != 4 || s[1] != c || s[0] != maps[0].shape()[0] || s[2] == 0 || s[3] == 0 {
                return bad(format!("map {i} has shape {s:?}, level {i} takes [N, {c}, H, W] (N of map 0)"));
            }
        }
        Ok(())
    }

    /// Channels of every output level.
    pub fn out_channels(&self) -> usize {
        self.out_channels
    }

    /// Output levels: one per input map, plus the pooled one.
    pub fn levels(&self) -> usize {
        self.in_channels.len() + usize::from(self.extra_pool)
    }

    /// The convolutions' kernels and biases (`fpn_inner{i}/kernel`, …).
    pub fn weights(&self) -> Vec<Param> {
        self.inner.iter().chain(&self.layer).flat_map(|c| c.weights()).collect()
    }
}
