//! Backbones: networks that turn images into feature maps at several strides (C2–C5),
//! built here (LeNet-5, VGG, ResNet-18/34/50) or any model of `nn` — one loaded from a
//! Keras file included — tapped at named layers.

mod classic;
mod resnet;
#[cfg(test)]
mod tests;

use derin_nn::{Ctx, DataFormat, Model};
use derin_tensor::{Param, Tensor};

use crate::{Error, Result};
pub use classic::{lenet5, vgg};
pub use resnet::{ResNet, ResNetDepth};

/// A model and the layers whose outputs are its feature maps, finest first.
///
/// Maps are always given channels-first (`[N, C, H, W]`); a channels-last model (as Keras
/// saves them) gets its input permuted to `[N, H, W, C]` and its maps permuted back.
///
/// ```
/// use derin_nn::Ctx;
/// use derin_tensor::Tensor;
/// use derin_vision::{ResNet, ResNetDepth};
/// let backbone = ResNet::new(ResNetDepth::R18, [3, 64, 64]).width(0.125).backbone().unwrap();
/// assert_eq!(backbone.strides(), vec![4, 8, 16, 32]);
/// assert_eq!(backbone.channels(), vec![8, 16, 32, 64]);
/// let maps = backbone.forward(&Tensor::zeros(&[2, 3, 64, 64]), &mut Ctx::eval()).unwrap();
/// assert_eq!(maps[3].shape(), &[2, 64, 2, 2]);
/// ```
pub struct Backbone {
    model: Model,
    taps: Vec<String>,
    format: DataFormat,
    /// `[C, H, W]` of each map.
    shapes: Vec<[usize; 3]>,
    /// `[C, H, W]` of the input.
    input: [usize; 3],
}

impl Backbone {
    /// The outputs of `model`'s layers `taps` (finest first) as feature maps; `format` is
    /// where the model wants its channels (Keras files: [`DataFormat::ChannelsLast`]).
    ///
    /// # Errors
    /// [`Error::Shape`] for a model without exactly one image input, a tap that is not an
    /// image-shaped output, or taps not ordered from fine to coarse; an `nn` error naming
    /// a tap the model does not have.
    pub fn new(model: Model, taps: &[&str], format: DataFormat) -> Result<Backbone> {
        const OP: &str = "Backbone";
        let chw = |s: &[usize]| -> Option<[usize; 3]> {
            let s: [usize; 3] = s.try_into().ok()?;
            Some(match format {
                DataFormat::ChannelsFirst => s,
                DataFormat::ChannelsLast => [s[2], s[0], s[1]],
            })
        };
        let inputs = model.input_shapes();
        let input = match &inputs[..] {
            [one] => chw(one),
            _ => None,
        }
        .ok_or_else(|| Error::Shape { op: OP, what: format!("the model must take one image, it takes {inputs:?}") })?;
        let mut shapes = Vec::with_capacity(taps.len());
        for (name, s) in taps.iter().zip(model.shapes_of(taps)?) {
            let shape = chw(&s)
                .ok_or_else(|| Error::Shape { op: OP, what: format!("layer {name:?} gives {s:?}, not an image") })?;
            if shapes.last().is_some_and(|p: &[usize; 3]| p[1] < shape[1]) {
                let what =
                    format!("taps must go from fine to coarse; {name:?} ({shape:?}) is finer than the one before");
                return Err(Error::Shape { op: OP, what });
            }
            shapes.push(shape);
        }
        Ok(Backbone { model, taps: taps.iter().map(|t| t.to_string()).collect(), format, shapes, input })
    }

    /// The feature maps of `images` (`[N, C, H, W]`), finest first, each `[N, Cₗ, Hₗ, Wₗ]`.
    ///
    /// # Errors
    /// An `nn` error when the images do not have the model's input shape.
    pub fn forward(&self, images: &Tensor, ctx: &mut Ctx) -> Result<Vec<Tensor>> {
        let taps: Vec<&str> = self.taps.iter().map(String::as_str).collect();
        Ok(match self.format {
            DataFormat::ChannelsFirst => self.model.outputs_of(&[images.clone()], &taps, ctx)?,
            DataFormat::ChannelsLast => {
                let maps = self.model.outputs_of(&[images.permute(&[0, 2, 3, 1])], &taps, ctx)?;
                maps.iter().map(|m| m.permute(&[0, 3, 1, 2])).collect()
            }
        })
    }

    /// Channels of each map.
    pub fn channels(&self) -> Vec<usize> {
        self.shapes.iter().map(|s| s[0]).collect()
    }

    /// `[H, W]` of each map.
    pub fn map_sizes(&self) -> Vec<[usize; 2]> {
        self.shapes.iter().map(|s| [s[1], s[2]]).collect()
    }

    /// Input height over map height, each map (4, 8, 16, 32 for a ResNet's C2–C5).
    pub fn strides(&self) -> Vec<usize> {
        self.shapes.iter().map(|s| self.input[1].div_ceil(s[1].max(1))).collect()
    }

    /// The `[C, H, W]` the model takes.
    pub fn input_shape(&self) -> [usize; 3] {
        self.input
    }

    /// The names of the tapped layers.
    pub fn taps(&self) -> &[String] {
        &self.taps
    }

    /// The model.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The model, to freeze layers ([`Model::set_trainable`], [`Model::layer_mut`]).
    pub fn model_mut(&mut self) -> &mut Model {
        &mut self.model
    }

    /// The trainable parameters.
    pub fn params(&self) -> Vec<Param> {
        self.model.params()
    }

    /// Every weight, moving statistics included (what a checkpoint saves).
    pub fn weights(&self) -> Vec<Param> {
        let mut w = self.model.weights();
        w.extend(self.model.state_weights());
        w
    }
}
