//! Seeing inside a network: its filters and feature maps, the deconvnet's reconstruction
//! of one unit (Zeiler & Fergus 2014), guided backpropagation (Springenberg et al. 2015)
//! and Grad-CAM (Selvaraju et al. 2017), for a `Sequential`, a functional `Model` or a
//! model loaded from a Keras file.

#[cfg(test)]
mod tests;

use derin_nn::{Ctx, DataFormat, KerasModel, Model, Sequential};
use derin_tensor::ndarray::ArrayD;
use derin_tensor::{ReluGradient, Tensor, with_relu_gradient};

use crate::{Error, Picture, Result};

type Run<'a> = Box<dyn Fn(&Tensor, &[&str]) -> derin_nn::Result<(Tensor, Vec<Tensor>)> + 'a>;

/// A classifier of images whose layers can be tapped by name, with where its channels sit.
///
/// Images are given channels-first (`[C, H, W]`) and maps come back channels-first,
/// whatever the model's own layout. The model's first output is the class scores
/// `[1, classes]`; Grad-CAM and guided backpropagation differentiate the score as the
/// model gives it (logits, or probabilities for a model ending in softmax), as
/// pytorch-grad-cam does.
///
/// ```
/// use derin_nn::{Activation, Conv2D, Dense, Flatten, Sequential};
/// use derin_tensor::Tensor;
/// use derin_vision::Explainer;
/// let cnn = Sequential::new(&[1, 8, 8])
///     .add(Conv2D::new(4, [3, 3], Activation::Relu).named("conv")).unwrap()
///     .add(Flatten::new()).unwrap()
///     .add(Dense::new(3, Activation::Linear)).unwrap();
/// let image = Tensor::ones(&[1, 8, 8]);
/// let heat = Explainer::sequential(&cnn).grad_cam(&image, "conv", 2).unwrap();
/// assert_eq!(heat.shape(), &[8, 8]);
/// assert!(heat.to_vec().iter().all(|v| (0.0..=1.0).contains(v)));
/// ```
pub struct Explainer<'a> {
    run: Run<'a>,
    format: DataFormat,
}

impl<'a> Explainer<'a> {
    /// Explains a `Sequential` (its layers are channels-first unless built otherwise: say
    /// so with [`Explainer::with_format`]).
    pub fn sequential(model: &'a Sequential) -> Self {
        let run: Run<'a> = Box::new(move |x, taps| model.forward_with_taps(x, taps, &mut Ctx::eval()));
        Explainer { run, format: DataFormat::ChannelsFirst }
    }

    /// Explains a functional model laid out as `format` (Keras files:
    /// [`DataFormat::ChannelsLast`]).
    pub fn model(model: &'a Model, format: DataFormat) -> Self {
        let run: Run<'a> = Box::new(move |x, taps| {
            let (outs, maps) = model.forward_with_taps(&[x.clone()], taps, &mut Ctx::eval())?;
            Ok((outs.into_iter().next().expect("a model has an output"), maps))
        });
        Explainer { run, format }
    }

    /// Explains a model loaded from a Keras file (channels-last, as Keras saves them).
    pub fn keras(model: &'a KerasModel) -> Self {
        match model {
            KerasModel::Sequential(s) => Explainer::sequential(s).with_format(DataFormat::ChannelsLast),
            KerasModel::Functional(m) => Explainer::model(m, DataFormat::ChannelsLast),
        }
    }

    /// The same explainer for a model laid out as `format`.
    pub fn with_format(mut self, format: DataFormat) -> Self {
        self.format = format;
        self
    }

    /// Scores `[1, classes]` and the maps `taps` (channels-first) of one image `[C, H, W]`;
    /// the maps as the model made them (its layout) come last, for gradients.
    fn run(&self, image: &Tensor, taps: &[&str]) -> Result<(Tensor, Vec<Tensor>, Vec<Tensor>)> {
        let s = image.shape();
        if s.len() != 3 {
            return Err(Error::Shape { op: "Explainer", what: format!("an image is [C, H, W], got {s:?}") });
        }
        let x = self.to_model(&image.reshape(&[1, s[0], s[1], s[2]]));
        let (out, raw) = (self.run)(&x, taps)?;
        let maps = raw.iter().map(|m| self.to_channels_first(m)).collect::<Result<Vec<_>>>()?;
        Ok((out, maps, raw))
    }

    fn to_model(&self, x: &Tensor) -> Tensor {
        match self.format {
            DataFormat::ChannelsFirst => x.clone(),
            DataFormat::ChannelsLast => x.permute(&[0, 2, 3, 1]),
        }
    }

    fn to_channels_first(&self, m: &Tensor) -> Result<Tensor> {
        if m.ndim() != 4 {
            return Err(Error::Shape {
                op: "Explainer",
                what: format!("the tapped layer gives {:?}, not image maps", m.shape()),
            });
        }
        Ok(match self.format {
            DataFormat::ChannelsFirst => m.clone(),
            DataFormat::ChannelsLast => m.permute(&[0, 3, 1, 2]),
        })
    }

    /// The outputs of layer `layer` for `image`: `[K, h, w]`.
    ///
    /// # Errors
    /// [`Error::Shape`] for an image that is not `[C, H, W]` or a layer whose output is
    /// not a stack of maps; an `nn` error for an unknown layer or an image the model
    /// does not take.
    pub fn feature_maps(&self, image: &Tensor, layer: &str) -> Result<Tensor> {
        let (_, maps, _) = derin_tensor::no_grad(|| self.run(image, &[layer]))?;
        let s = maps[0].shape().to_vec();
        Ok(maps[0].reshape(&s[1..]))
    }

    /// Grad-CAM of class `class` at layer `layer`, `[H, W]` in [0, 1]: the maps `A_k`
    /// weighted by their mean gradient `α_k = mean(∂y_c/∂A_k)`, `ReLU(Σ α_k A_k)`,
    /// scaled to [0, 1], resized bilinearly to the image and scaled again (as
    /// pytorch-grad-cam 1.5 does for one layer).
    ///
    /// # Errors
    /// As [`feature_maps`](Self::feature_maps), and [`Error::Option`] for a class the
    /// output does not have.
    pub fn grad_cam(&self, image: &Tensor, layer: &str, class: usize) -> Result<Tensor> {
        let (out, maps, raw) = self.run(image, &[layer])?;
        let score = self.score(&out, class)?;
        let grads = score.backward_keeping(&[&raw[0]]);
        let g = self.to_channels_first(&grads.get(&raw[0]).unwrap_or_else(|| raw[0].zeros_like()))?;
        let [image_h, image_w] = [image.shape()[1], image.shape()[2]];
        Ok(cam(&maps[0].detach(), &g, [image_h, image_w]))
    }

    /// Guided backpropagation of class `class`: `∂y_c/∂image` with every ReLU passing back
    /// only positive gradients where its input was positive; `[C, H, W]`.
    ///
    /// # Errors
    /// As [`grad_cam`](Self::grad_cam).
    pub fn guided_backprop(&self, image: &Tensor, class: usize) -> Result<Tensor> {
        let x = image.detach().requires_grad();
        let (out, _, _) = with_relu_gradient(ReluGradient::Guided, || self.run(&x, &[]))?;
        let grads = self.score(&out, class)?.backward();
        Ok(grads.get(&x).unwrap_or_else(|| x.zeros_like()))
    }

    /// The deconvnet's reconstruction of the strongest activation of channel `channel`
    /// of layer `layer`: that one activation kept (all others zero) and projected back to
    /// the image through the switches of the max poolings, ReLUs of the backward signal
    /// and the transposed filters; `[C, H, W]`.
    ///
    /// # Errors
    /// As [`feature_maps`](Self::feature_maps), and [`Error::Option`] for a channel the
    /// layer does not have.
    pub fn deconvnet(&self, image: &Tensor, layer: &str, channel: usize) -> Result<Tensor> {
        let x = image.detach().requires_grad();
        let (_, maps, raw) = with_relu_gradient(ReluGradient::Deconvnet, || self.run(&x, &[layer]))?;
        let [_, k, h, w] = maps[0].shape().try_into().expect("4-D");
        if channel >= k {
            return Err(Error::Option {
                op: "deconvnet",
                what: format!("channel {channel} of a layer with {k} channels"),
            });
        }
        let v = maps[0].to_vec();
        let plane = &v[channel * h * w..(channel + 1) * h * w];
        let at = (0..plane.len()).fold(0, |best, i| if plane[i] > plane[best] { i } else { best });
        let mut seed = ArrayD::<f32>::zeros(vec![1, k, h, w]);
        seed[[0, channel, at / w, at % w]] = plane[at];
        let seed = self.to_model(&Tensor::from_array(seed)).to_array();
        let grads = raw[0].backward_with_grad(seed, &[]);
        Ok(grads.get(&x).unwrap_or_else(|| x.zeros_like()))
    }

    /// `out[0, class]` as a scalar to differentiate.
    fn score(&self, out: &Tensor, class: usize) -> Result<Tensor> {
        let classes = out.shape().get(1).copied().unwrap_or(0);
        if out.ndim() != 2 || class >= classes {
            return Err(Error::Option {
                op: "Explainer",
                what: format!("class {class} of an output of shape {:?}", out.shape()),
            });
        }
        Ok(out.narrow(1, class, 1).sum_all())
    }
}

/// Grad-CAM from maps `a` and their gradients `g` (`[1, K, h, w]`), resized to `size`.
pub(crate) fn cam(a: &Tensor, g: &Tensor, size: [usize; 2]) -> Tensor {
    let [_, k, h, w] = a.shape().try_into().expect("4-D maps");
    let (a, g) = (a.to_vec(), g.to_vec());
    let mut map = vec![0.0f32; h * w];
    for c in 0..k {
        let alpha = g[c * h * w..(c + 1) * h * w].iter().sum::<f32>() / (h * w) as f32;
        for (m, v) in map.iter_mut().zip(&a[c * h * w..(c + 1) * h * w]) {
            *m += alpha * v;
        }
    }
    let map = scaled(&map.iter().map(|v| v.max(0.0)).collect::<Vec<_>>());
    let resized = Tensor::from_vec(map, &[1, 1, h, w]).upsample_bilinear2d(size, false).to_vec();
    Tensor::from_vec(scaled(&resized), &size)
}

/// pytorch-grad-cam's `scale_cam_image`: `(v − min) / (10⁻⁷ + max of that)`.
pub(crate) fn scaled(v: &[f32]) -> Vec<f32> {
    let lo = v.iter().fold(f32::INFINITY, |m, &x| m.min(x));
    let shifted: Vec<f32> = v.iter().map(|x| x - lo).collect();
    let hi = shifted.iter().fold(f32::NEG_INFINITY, |m, &x| m.max(x));
    shifted.iter().map(|x| x / (1e-7 + hi)).collect()
}

/// A convolution kernel `[out, in, kh, kw]` as a grid of `columns` tiles, one per output
/// filter, each scaled to its own range: in colour when it reads three channels, else
/// the mean over its input channels; every pixel enlarged `scale` times.
///
/// # Errors
/// [`Error::Shape`] for a kernel that is not 4-D.
///
/// ```
/// use derin_tensor::Tensor;
/// let kernel = Tensor::from_vec((0..2 * 9).map(|v| v as f32).collect(), &[2, 1, 3, 3]);
/// let grid = derin_vision::filter_grid(&kernel, 2, 4).unwrap();
/// assert_eq!((grid.width(), grid.height()), (2 * 12 + 3, 12 + 2)); // 1-pixel gaps
/// ```
pub fn filter_grid(kernel: &Tensor, columns: usize, scale: usize) -> Result<Picture> {
    let Ok([o, i, kh, kw]) = <[usize; 4]>::try_from(kernel.shape()) else {
        return Err(Error::Shape {
            op: "filter_grid",
            what: format!("a kernel is [out, in, kh, kw], got {:?}", kernel.shape()),
        });
    };
    let v = kernel.to_vec();
    let tiles = (0..o)
        .map(|f| {
            let w = &v[f * i * kh * kw..(f + 1) * i * kh * kw];
            let (channels, values) = if i == 3 {
                (3, normalized(w))
            } else {
                let mean: Vec<f32> =
                    (0..kh * kw).map(|p| (0..i).map(|c| w[c * kh * kw + p]).sum::<f32>() / i as f32).collect();
                (1, normalized(&mean))
            };
            Picture::from_tensor(&Tensor::from_vec(values, &[channels, kh, kw])).map(|p| p.upscaled(scale))
        })
        .collect::<derin_data::Result<Vec<_>>>()?;
    Ok(Picture::grid(&tiles, columns, 1, [255; 3])?)
}

/// Maps `[K, h, w]` as a grid of `columns` gray tiles, each scaled to its own range,
/// every pixel enlarged `scale` times.
///
/// # Errors
/// [`Error::Shape`] for maps that are not 3-D.
pub fn map_grid(maps: &Tensor, columns: usize, scale: usize) -> Result<Picture> {
    let Ok([k, h, w]) = <[usize; 3]>::try_from(maps.shape()) else {
        return Err(Error::Shape { op: "map_grid", what: format!("maps are [K, h, w], got {:?}", maps.shape()) });
    };
    let v = maps.to_vec();
    let tiles = (0..k)
        .map(|c| {
            Picture::from_tensor(&Tensor::from_vec(normalized(&v[c * h * w..(c + 1) * h * w]), &[1, h, w]))
                .map(|p| p.upscaled(scale))
        })
        .collect::<derin_data::Result<Vec<_>>>()?;
    Ok(Picture::grid(&tiles, columns, 1, [255; 3])?)
}

/// A gradient image (`[C, H, W]`, as guided backpropagation and the deconvnet give)
/// scaled to [0, 1] around 0.5 for gray, as is usual for showing them: `0.5 + v / (2·max|v|)`.
pub fn gradient_image(g: &Tensor) -> Tensor {
    let m = g.to_vec().iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let v: Vec<f32> = g.to_vec().iter().map(|x| if m > 0.0 { 0.5 + x / (2.0 * m) } else { 0.5 }).collect();
    Tensor::from_vec(v, g.shape())
}

/// Values scaled to [0, 1] by their minimum and maximum (0.5 when constant).
fn normalized(v: &[f32]) -> Vec<f32> {
    let (lo, hi) = v.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
    if hi > lo { v.iter().map(|x| (x - lo) / (hi - lo)).collect() } else { vec![0.5; v.len()] }
}
